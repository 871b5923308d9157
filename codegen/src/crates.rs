//! The file list of `generated/`: for each crate its manifest, its root module and one module
//! per area, in a fixed order.

use std::path::PathBuf;

use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::{client, events, examples, ident, mcp, models, server};
use crate::format::{Memo, markdown_file, rust_files_with, toml_file};
use crate::ir::Api;
use crate::write::GeneratedFile;

/// Every generated file, or the description of a generator bug; Rust files `memo` kept are not
/// formatted again.
pub fn files(api: &Api, memo: Option<&dyn Memo>) -> Result<Vec<GeneratedFile>, String> {
    let mut files = Vec::new();
    // Rust files are printed to text here and formatted at the end on every core
    // (`format::rust_files`): token streams cannot cross threads, text can.
    let mut pending: Vec<(String, String)> = Vec::new();
    let mut rust = |path: &str, tokens: TokenStream| -> Result<(), String> {
        pending.push((path.to_owned(), tokens.to_string()));
        Ok(())
    };

    // Models.
    let modules = models::modules(api);
    let example_test = examples::models_test(api);
    let test_module = if example_test.is_some() {
        quote!(
            #[cfg(test)]
            mod example_tests;
        )
    } else {
        quote!()
    };
    let declarations = modules.iter().map(|(module, _, cfg, _)| {
        let module = ident(module);
        quote!(#cfg mod #module; #cfg pub use #module::*;)
    });
    let events_module = events::module(api);
    let events_feature = crate::emit::EVENTS_FEATURE;
    let events_declaration = if events_module.is_some() {
        quote!(
            #[cfg(feature = #events_feature)]
            mod events;
            #[cfg(feature = #events_feature)]
            pub use events::{Delivery, Event};
        )
    } else {
        quote!()
    };
    let events_doc = if events_module.is_some() {
        quote! {
            #![cfg_attr(feature = #events_feature, doc = "")]
            #![cfg_attr(feature = #events_feature, doc = " [`Event`] holds one typed payload per web hook and real-time event of the spec, and")]
            #![cfg_attr(feature = #events_feature, doc = " [`Delivery`] is the whole body Crisp posts to a web hook.")]
        }
    } else {
        quote!()
    };
    let title = format!(" Types of the {}, as serde models.", api.title);
    rust(
        "models/src/lib.rs",
        quote! {
            #![doc = #title]
            //!
            //! Every schema of the spec is a type here: objects are structs that ignore unknown
            //! fields, string enums keep values they do not know in an `Other` variant, and
            //! optional fields that may also be `null` use [`Patch`] to tell "left out", "null"
            //! and "set" apart.
            //!
            //! Structs and enums are `#[non_exhaustive]`, so that a field or a value the spec
            //! adds is not a breaking change: build a struct with `Default` when all its fields
            //! are optional, else with its `new`, which takes the required fields, then set the
            //! optional ones; match enums with a `_` arm.
            #events_doc
            #![warn(missing_docs)]

            pub use ::crisp_runtime::Patch;

            #(#declarations)*

            #events_declaration

            #test_module
        },
    )?;
    if let Some(tokens) = example_test {
        rust("models/src/example_tests.rs", tokens)?;
    }
    if let Some(tokens) = events_module {
        rust("models/src/events.rs", tokens)?;
    }
    for (module, doc, _, tokens) in &modules {
        let doc = format!(" {doc}");
        rust(
            &format!("models/src/{module}.rs"),
            quote!(#![doc = #doc] #tokens),
        )?;
    }

    // Client.
    // Operations link the events they fire, which only the `events` feature compiles.
    let event_links = if api.events_declared {
        quote!(#![cfg_attr(not(feature = #events_feature), allow(rustdoc::broken_intra_doc_links))])
    } else {
        quote!()
    };
    let client_lib = client::lib(api);
    rust(
        "client/src/lib.rs",
        with_lints(quote!(#event_links #client_lib)),
    )?;
    for (index, area) in api.areas_with_operations() {
        rust(
            &format!("client/src/{}.rs", area.module),
            client::area(api, index),
        )?;
    }

    rust("client/src/examples.rs", examples::client(api))?;

    // Server.
    rust("server/src/lib.rs", with_lints(server::lib(api)))?;
    rust("server/src/examples.rs", examples::server(api))?;
    for (index, area) in api.areas_with_operations() {
        rust(
            &format!("server/src/{}.rs", area.module),
            server::area(api, index),
        )?;
    }

    // MCP.
    rust("mcp/src/lib.rs", mcp::lib(api))?;
    rust("mcp/src/main.rs", mcp::main_rs())?;

    // Per-area features: every public area with operations, on by default.
    let area_features: Vec<String> = api
        .areas_with_operations()
        .filter(|(_, area)| !area.internal)
        .map(|(_, area)| area.feature())
        .collect();
    let quoted = |features: &[String]| {
        features
            .iter()
            .map(|f| format!("\"{f}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    // With events, `events` compiles `Event`, `Delivery` and what public events carry; it is
    // on by default too.
    let events_feature = crate::emit::EVENTS_FEATURE.to_owned();
    let default_features = if api.events_declared {
        [
            area_features.as_slice(),
            std::slice::from_ref(&events_feature),
        ]
        .concat()
    } else {
        area_features.clone()
    };
    let default = format!("default = [{}]", quoted(&default_features));
    let mut models_features = vec![AREAS_DOC.to_owned(), default.clone()];
    models_features.extend(area_features.iter().map(|f| format!("{f} = []")));
    if api.events_declared {
        models_features.extend([
            MODELS_EVENTS_DOC.to_owned(),
            format!("{events_feature} = []"),
        ]);
    }
    // With events, the models' feature also compiles the internal events.
    let internal_doc = if api.events.iter().any(|event| event.internal) {
        INTERNAL_EVENTS_DOC
    } else {
        INTERNAL_DOC
    };
    models_features.extend([internal_doc.to_owned(), "internal = []".to_owned()]);
    let mut client_features = vec![AREAS_DOC.to_owned(), default];
    client_features.extend(
        area_features
            .iter()
            .map(|f| format!("{f} = [\"crisp-models/{f}\"]")),
    );
    if api.events_declared {
        client_features.extend([
            CLIENT_EVENTS_DOC.to_owned(),
            format!("{events_feature} = [\"crisp-models/{events_feature}\"]"),
        ]);
        // The public areas whose operation finds the real-time endpoint come with `rtm`.
        let mut rtm = vec!["crisp-runtime/rtm".to_owned(), events_feature.clone()];
        for op in api.operations.iter().filter(|op| op.docs.rtm_endpoints) {
            let area = &api.areas[op.area];
            if !area.internal && !rtm.contains(&area.feature()) {
                rtm.push(area.feature());
            }
        }
        client_features.extend([RTM_DOC.to_owned(), format!("rtm = [{}]", quoted(&rtm))]);
    }
    client_features.extend([
        LEGACY_DOC.to_owned(),
        "legacy = []".to_owned(),
        INTERNAL_DOC.to_owned(),
        "internal = [\"crisp-models/internal\"]".to_owned(),
        EXAMPLES_DOC.to_owned(),
        format!(
            "examples = [{}]",
            quoted(&[area_features.as_slice(), &["legacy".to_owned()]].concat())
        ),
    ]);
    let server_features = [
        EXAMPLES_DOC,
        "examples = []",
        INTERNAL_DOC,
        "internal = [\"crisp-models/internal\"]",
    ]
    .map(str::to_owned);
    files.push(manifest(
        "models/Cargo.toml",
        "crisp-models",
        &api.crate_version,
        MODELS_DESCRIPTION,
        &Listing {
            keywords: &["crisp", "chat", "api", "serde", "models"],
            categories: &["api-bindings", "encoding"],
        },
        &models_features,
        &[
            "crisp-runtime.workspace = true",
            "serde.workspace = true",
            "serde_json.workspace = true",
        ],
    ));
    files.push(manifest(
        "client/Cargo.toml",
        "crisp-client",
        &api.crate_version,
        CLIENT_DESCRIPTION,
        &Listing {
            keywords: &["crisp", "chat", "api", "client", "sdk"],
            categories: &[
                "api-bindings",
                "web-programming::http-client",
                "asynchronous",
            ],
        },
        &client_features,
        &[
            "crisp-models = { workspace = true, default-features = false }",
            "crisp-runtime = { workspace = true, features = [\"client\"] }",
            "reqwest.workspace = true",
            "serde_json.workspace = true",
        ],
    ));
    files.push(manifest(
        "server/Cargo.toml",
        "crisp-server",
        &api.crate_version,
        SERVER_DESCRIPTION,
        &Listing {
            keywords: &["crisp", "chat", "api", "axum", "server"],
            categories: &["api-bindings", "web-programming::http-server"],
        },
        &server_features,
        &[
            "axum.workspace = true",
            "crisp-models = { workspace = true, features = [\"default\"] }",
            "crisp-runtime = { workspace = true, features = [\"server\"] }",
            "serde_json.workspace = true",
        ],
    ));
    let mut mcp_manifest = manifest(
        "mcp/Cargo.toml",
        "crisp-mcp",
        &api.crate_version,
        MCP_DESCRIPTION,
        &Listing {
            keywords: &["crisp", "chat", "api", "mcp", "agent"],
            categories: &["api-bindings", "command-line-utilities"],
        },
        &[],
        &[
            "crisp-models = { workspace = true, features = [\"default\", \"internal\"] }",
            "crisp-runtime = { workspace = true, features = [\"mcp\"] }",
            "serde_json.workspace = true",
        ],
    );
    // The library keeps its name when a test workspace renames the package; the binary is the
    // command agent clients start.
    mcp_manifest.contents = mcp_manifest.contents.replace(
        "\n[dependencies]\n",
        "\n[lib]\nname = \"crisp_mcp\"\npath = \"src/lib.rs\"\n\n[[bin]]\nname = \"crisp-mcp\"\npath = \"src/main.rs\"\n\n[dependencies]\n",
    );
    files.push(mcp_manifest);
    let curated: Vec<String> = api
        .operations
        .iter()
        .filter_map(|op| {
            op.docs.mcp_tool.as_ref().map(|tool| {
                format!(
                    "- `{tool}`: {}",
                    op.docs.summary.as_deref().unwrap_or(&op.id)
                )
            })
        })
        .collect();
    let toolset = if curated.is_empty() {
        "No operation of the spec has a tool of its own (`x-crisp-mcp`): agents reach them all through the generic tools.".to_owned()
    } else {
        format!(
            "The default toolset (operations marked `x-crisp-mcp` in the spec):\n\n{}",
            curated.join("\n")
        )
    };
    files.push(GeneratedFile {
        path: PathBuf::from("mcp/README.md"),
        contents: markdown_file(&format!(
            "# crisp-mcp\n\n{MCP_DESCRIPTION}\n\nRun `crisp-mcp` (standard input and output) or `crisp-mcp --http 127.0.0.1:8931` (streamable HTTP at `/mcp`) with a token in `CRISP_IDENTIFIER`, `CRISP_KEY` and `CRISP_TIER`, and a plugin token's scopes in `CRISP_SCOPES` (`scope=read,other:scope=write`). Agents see the tools of the default toolset that the token's tier and scopes allow, and three generic tools, `search_operations`, `describe_operation` and `call_operation`, which reach every other operation ({} in all) within the same bounds. `--internal` adds the operations Crisp reserves for its own apps.\n\n{toolset}\n\nThe crate is generated: its repository holds the spec, the generator and the whole documentation.\n",
            api.operations.len()
        )),
    });
    // What crates.io shows of each crate.
    let mut areas: Vec<String> = area_features.iter().map(|f| format!("- `{f}`")).collect();
    let internal_areas = api
        .areas_with_operations()
        .filter(|(_, area)| area.internal)
        .count();
    if internal_areas > 0 {
        let more = if internal_areas == 1 { "area" } else { "areas" };
        areas.push(format!(
            "\nThe `internal` feature adds the operations Crisp reserves for its own apps ({internal_areas} more {more}, and internal operations of public ones), which may change without notice."
        ));
    }
    // The usage lines name an area and an operation this API has.
    let usage = api
        .areas_with_operations()
        .find(|(_, area)| !area.internal)
        .or_else(|| api.areas_with_operations().next())
        .and_then(|(index, area)| {
            let op = api.operations_of(index).next()?;
            let token = if op.docs.tiers == ["user"] {
                "user"
            } else {
                "plugin"
            };
            Some((area.module.clone(), op.method_name.ident.clone(), token))
        })
        .unwrap_or_default();
    let (module, method, token) = usage;
    let client_use = format!(
        "Build a client with `Client::builder().{token}(identifier, key).build()?` (or `Client::from_env()`), then call an area's operations: `client.{module}().{method}(..)`. The token's tier is in the client's type, so an operation of the other tier does not compile."
    );
    let server_use = format!(
        "Implement the traits of the areas you serve (every method answers `501 not_implemented` until you do), then `RouterBuilder::new(auth).{module}(service).build()` gives an `axum::Router` that authenticates, checks tiers and scopes, and validates every request."
    );
    for (krate, name, description, use_it) in [
        (
            "models",
            "crisp-models",
            MODELS_DESCRIPTION,
            "The client and server crates re-export it as `models`; depend on it directly to share the types without either.",
        ),
        (
            "client",
            "crisp-client",
            CLIENT_DESCRIPTION,
            client_use.as_str(),
        ),
        (
            "server",
            "crisp-server",
            SERVER_DESCRIPTION,
            server_use.as_str(),
        ),
    ] {
        let events = match krate {
            _ if !api.events_declared => "",
            "models" => {
                "\n\nThe `events` feature, on by default too, compiles `Event` and `Delivery` (web hook and real-time events) and the types they carry: leave it out when you use neither."
            }
            "client" => {
                "\n\nThe `events` feature, on by default too, compiles `models::Event` and `models::Delivery` (web hook and real-time events) and the types they carry: leave it out when you use neither."
            }
            _ => "",
        };
        let body = format!(
            "# {name}\n\n{description}\n\n{use_it}\n\nEach area of the API is a cargo feature; the public ones are on by default. Turn default features off and pick the areas you use to compile only those:\n\n{}{events}\n\nThe crate is generated: its repository holds the spec, the generator, a local Crisp to develop against (`crisp-sandbox`) and the whole documentation.\n",
            areas.join("\n")
        );
        files.push(GeneratedFile {
            path: PathBuf::from(format!("{krate}/README.md")),
            contents: markdown_file(&body),
        });
    }
    // rustfmt and prettyplease disagree: `cargo fmt` on the workspace must leave the generated
    // crates as prettyplease printed them, or the drift check would fail on every file.
    files.push(GeneratedFile {
        path: PathBuf::from("rustfmt.toml"),
        contents: toml_file("# The generated crates are formatted by the generator (prettyplease): rustfmt leaves them alone.\ndisable_all_formatting = true"),
    });
    // One fixed order, whatever order the emitters ran in.
    for (path, contents) in rust_files_with(pending, memo)? {
        files.push(GeneratedFile {
            path: PathBuf::from(path),
            contents,
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// The description of each generated crate, in its manifest and its README.
const MODELS_DESCRIPTION: &str =
    "Serde types of the Crisp REST API, generated from spec/crisp.yaml.";
const CLIENT_DESCRIPTION: &str =
    "An async client of the Crisp REST API, generated from spec/crisp.yaml.";
const MCP_DESCRIPTION: &str = "A Model Context Protocol server of the Crisp REST API for AI agents, bounded by the token's tier and scopes; generated from spec/crisp.yaml.";
const SERVER_DESCRIPTION: &str =
    "Traits and an axum router that serve the Crisp REST API, generated from spec/crisp.yaml.";

/// Adds the crate-wide lint that every public item has docs.
fn with_lints(tokens: TokenStream) -> TokenStream {
    quote!(#![warn(missing_docs)] #tokens)
}

/// The comment above the `examples` feature of the client and server crates.
const EXAMPLES_DOC: &str = "# The spec's examples as code: `examples::call_every_operation` (client), `examples::Examples` (server).";

/// The comment above the per-area features.
const AREAS_DOC: &str = "# One feature per public area, all on by default: turn default features off and pick areas to compile only those.";

/// The comment above the models' `events` feature.
const MODELS_EVENTS_DOC: &str = "# Web hook and real-time events: `Event`, `Delivery` and the types public events carry, on by default.";

/// The comment above the client's `events` feature.
const CLIENT_EVENTS_DOC: &str = "# Web hook and real-time events: `models::Event` and `models::Delivery` (`crisp-models/events`), on by default.";

/// The comment above the client's `rtm` feature.
const RTM_DOC: &str = "# Real-time events: `Client::realtime`, a stream of `models::Event` over Crisp's RTM API (socket.io over WebSocket, with rustls).";

/// The comment above the `legacy` feature.
const LEGACY_DOC: &str =
    "# The deprecated routes the public reference still lists (the legacy help center).";

/// The comment above the `internal` feature.
const INTERNAL_DOC: &str = "# The operations Crisp reserves for its own apps (`x-crisp-internal`), which may change without notice.";

/// The comment above the models' `internal` feature when some events are internal too.
const INTERNAL_EVENTS_DOC: &str = "# The operations and events Crisp reserves for its own apps (`x-crisp-internal`, `internal: true` events), which may change without notice.";

/// What crates.io and docs.rs show of a generated crate, besides its description.
struct Listing {
    keywords: &'static [&'static str],
    categories: &'static [&'static str],
}

fn manifest(
    path: &str,
    name: &str,
    version: &str,
    description: &str,
    listing: &Listing,
    features: &[String],
    dependencies: &[&str],
) -> GeneratedFile {
    let dependencies = dependencies.join("\n");
    let features = if features.is_empty() {
        String::new()
    } else {
        format!("\n[features]\n{}\n", features.join("\n"))
    };
    let list = |items: &[&str]| {
        items
            .iter()
            .map(|item| format!("\"{item}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let keywords = list(listing.keywords);
    let categories = list(listing.categories);
    let body = format!(
        r#"[package]
name = "{name}"
version = "{version}"
description = "{description}"
edition.workspace = true
rust-version.workspace = true
license.workspace = true
repository.workspace = true
readme = "README.md"
keywords = [{keywords}]
categories = [{categories}]
{features}
[dependencies]
{dependencies}

[package.metadata.docs.rs]
all-features = true
"#
    );
    GeneratedFile {
        path: PathBuf::from(path),
        contents: toml_file(&body),
    }
}
