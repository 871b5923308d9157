//! IR → tokens: one module per generated crate, and the helpers they share (types, docs).

pub mod client;
pub mod events;
pub mod examples;
pub mod mcp;
pub mod models;
pub mod server;

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::ir::{Api, Operation, OperationDocs, Pagination, ParamLocation, TypeKind, TypeRef};

/// An identifier token from a name the naming module made (raw identifiers included).
pub fn ident(name: &str) -> Ident {
    match name.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(name, Span::call_site()),
    }
}

/// The Rust type for a type reference; named types are paths under `root` (`crate`, `::crisp_models`).
pub fn rust_type(api: &Api, ty: &TypeRef, root: &TokenStream) -> TokenStream {
    match ty {
        TypeRef::String => quote!(String),
        TypeRef::Bool => quote!(bool),
        TypeRef::Int(int) => {
            let int = ident(int.rust());
            quote!(#int)
        }
        TypeRef::F32 => quote!(f32),
        TypeRef::F64 => quote!(f64),
        TypeRef::Any => quote!(::serde_json::Value),
        TypeRef::FreeObject => quote!(::serde_json::Map<String, ::serde_json::Value>),
        TypeRef::Array(item) => {
            let item = rust_type(api, item, root);
            quote!(Vec<#item>)
        }
        TypeRef::Map(value) => {
            let value = rust_type(api, value, root);
            quote!(::std::collections::BTreeMap<String, #value>)
        }
        TypeRef::Named(id) => {
            let name = ident(&api.types[id.0].name);
            quote!(#root::#name)
        }
    }
}

/// The attribute that compiles an item only with the `internal` feature, when `internal`.
pub fn internal_cfg(internal: bool) -> TokenStream {
    if internal {
        quote!(#[cfg(feature = "internal")])
    } else {
        quote!()
    }
}

/// The `#[cfg]` of a model type: `internal` when only internal operations use it, else the
/// features of the areas whose operations reach it, and `events` when a public event carries
/// it (see [`TypeUse`](crate::ir::TypeUse)).
pub fn type_cfg(api: &Api, id: usize) -> TokenStream {
    features_cfg(type_features(api, id))
}

/// The features a model type is compiled under, `None` when it is always compiled.
pub fn type_features(api: &Api, id: usize) -> Option<std::collections::BTreeSet<String>> {
    if api.types[id].internal {
        return Some(["internal".to_owned()].into());
    }
    match api.type_uses.get(id) {
        Some(crate::ir::TypeUse::Areas {
            public,
            internal,
            events,
        }) => {
            let mut features: std::collections::BTreeSet<String> = public
                .iter()
                .map(|area| api.areas[*area].feature())
                .collect();
            if *internal {
                features.insert("internal".to_owned());
            }
            if *events {
                features.insert(EVENTS_FEATURE.to_owned());
            }
            Some(features)
        }
        _ => None,
    }
}

/// The models' (and client's) feature that compiles `Event`, `Delivery` and what public events
/// carry.
pub const EVENTS_FEATURE: &str = "events";

/// `#[cfg(feature = …)]` or `#[cfg(any(…))]` over `features`; nothing for `None`.
pub fn features_cfg(features: Option<std::collections::BTreeSet<String>>) -> TokenStream {
    let Some(features) = features else {
        return quote!();
    };
    let features: Vec<String> = features.into_iter().collect();
    match features.as_slice() {
        [feature] => quote!(#[cfg(feature = #feature)]),
        _ => quote!(#[cfg(any(#(feature = #features),*))]),
    }
}

/// The `#[cfg]` of an area in the client crate: its own feature, or `internal` for an area
/// whose every operation is internal.
pub fn area_cfg(api: &Api, area: usize) -> TokenStream {
    let area = &api.areas[area];
    if area.internal {
        internal_cfg(true)
    } else {
        let feature = area.feature();
        quote!(#[cfg(feature = #feature)])
    }
}

/// The `#[cfg]` of an operation inside its area in the client crate: `internal` for internal
/// operations of public areas, `legacy` for deprecated ones.
pub fn client_operation_cfg(api: &Api, op: &crate::ir::Operation) -> TokenStream {
    let internal = op.docs.internal && !api.areas[op.area].internal;
    match (internal, op.docs.deprecated) {
        (true, true) => quote!(#[cfg(all(feature = "internal", feature = "legacy"))]),
        (true, false) => internal_cfg(true),
        (false, true) => quote!(#[cfg(feature = "legacy")]),
        (false, false) => quote!(),
    }
}

/// Every feature the client crate needs to compile an operation: its area's (or `internal`
/// for an internal area), plus `internal` for an internal operation of a public area and
/// `legacy` for a deprecated one; in name order.
pub fn client_operation_features(
    api: &Api,
    op: &crate::ir::Operation,
) -> std::collections::BTreeSet<String> {
    let area = &api.areas[op.area];
    let mut features = std::collections::BTreeSet::new();
    features.insert(if area.internal {
        "internal".to_owned()
    } else {
        area.feature()
    });
    if op.docs.internal {
        features.insert("internal".to_owned());
    }
    if op.docs.deprecated {
        features.insert("legacy".to_owned());
    }
    features
}

/// Whether a type is a string enum of the arena.
pub fn is_enum(api: &Api, ty: &TypeRef) -> bool {
    matches!(ty, TypeRef::Named(id) if matches!(api.types[id.0].kind, TypeKind::Enum { .. }))
}

/// One `#[doc]` attribute per line of text, made safe for rustdoc.
pub fn doc_lines(text: &str) -> TokenStream {
    let lines: Vec<String> = sanitize_doc(text)
        .into_iter()
        .map(|line| {
            if line.is_empty() {
                line
            } else {
                format!(" {line}")
            }
        })
        .collect();
    quote!(#(#[doc = #lines])*)
}

/// Several paragraphs of docs, separated by blank doc lines, skipping empty ones.
pub fn doc_paragraphs(paragraphs: &[String]) -> TokenStream {
    let text = paragraphs
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    doc_lines(&text)
}

/// Rewrites spec prose so rustdoc reads it as prose: no stray HTML, no broken intra-doc links,
/// no bare URLs, and no code blocks that would run as doctests.
pub fn sanitize_doc(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_fence = false;
    for line in text.trim().lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            out.push(if in_fence {
                "```".to_owned()
            } else {
                "```text".to_owned()
            });
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            out.push(line.trim_end().to_owned());
        } else {
            out.push(escape_prose(trimmed));
        }
    }
    if in_fence {
        out.push("```".to_owned());
    }
    out
}

/// Escapes markup outside backtick code spans and wraps bare URLs in angle brackets.
fn escape_prose(line: &str) -> String {
    let mut out = String::new();
    for (index, part) in line.split('`').enumerate() {
        if index > 0 {
            out.push('`');
        }
        if index % 2 == 1 {
            out.push_str(part);
            continue;
        }
        let mut words = Vec::new();
        for word in part.split(' ') {
            let escaped = word
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('[', "\\[")
                .replace(']', "\\]");
            if word.starts_with("http://") || word.starts_with("https://") {
                let end = word.trim_end_matches(['.', ',', ';', ')', ':']);
                words.push(format!("<{end}>{}", &word[end.len()..]));
            } else {
                words.push(escaped);
            }
        }
        out.push_str(&words.join(" "));
    }
    out
}

/// The docs of an operation: what it does, its route, tiers, scope, events and pagination.
pub fn operation_docs(api: &Api, op: &Operation) -> TokenStream {
    let Operation {
        id,
        method,
        path,
        docs,
        // Read through `op` by the helpers called below, or not needed here; listed so
        // that a new field of `Operation` is a compile error until it is considered.
        method_name: _,
        type_prefix: _,
        area: _,
        path_params: _,
        other_params: _,
        options: _,
        body: _,
        response: _,
        response_example: _,
        pointer: _,
        response_pointer: _,
    } = op;
    let OperationDocs {
        summary,
        description,
        deprecated,
        tiers,
        scope,
        webhook_events,
        pagination,
        node_methods,
        internal,
        rtm_endpoints,
        // The MCP crate's table names the tool; the client and server docs do not.
        mcp_tool: _,
    } = docs;
    let mut paragraphs = Vec::new();
    paragraphs.push(summary.clone().unwrap_or_else(|| format!("Calls `{id}`.")));
    if let Some(description) = description {
        paragraphs.push(description.clone());
    }
    let mut facts = vec![format!(
        "- Route: `{} {}{}`",
        method.as_str(),
        api.base_path,
        path.raw
    )];
    facts.push(format!("- Operation: `{id}`"));
    if tiers.is_empty() {
        facts.push("- Tiers: not stated by the reference".to_owned());
    } else {
        facts.push(format!(
            "- Tiers: {}",
            tiers
                .iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(scope) = scope {
        facts.push(format!("- Plugin scope: `{scope}`"));
    }
    if !webhook_events.is_empty() {
        facts.push(format!(
            "- Fires: {}",
            webhook_events
                .iter()
                .map(|name| fired_event(api, op, name))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(pagination) = pagination {
        let stream = match crate::ir::stream::stream(api, op) {
            Err(crate::ir::stream::NoStream::NoList) => {
                " (it answers no list, so it has no `…_stream` form)"
            }
            _ => "",
        };
        facts.push(match pagination {
            Pagination::PageNumber => {
                format!("- Paged: by `page_number`, from 1 until a page comes back empty{stream}")
            }
            Pagination::TimestampBefore => {
                format!("- Paged: by `timestamp_before`, going back in time{stream}")
            }
        });
    }
    if *internal {
        facts.push("- Internal: Crisp reserves this operation for its own apps, and it may change without notice; compiled with the `internal` feature".to_owned());
    }
    if *rtm_endpoints {
        facts.push(format!("- Real-time: tells {} tokens where the real-time (RTM) socket is; clients call it before listening to events", tiers.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ")));
    }
    if !node_methods.is_empty() {
        facts.push(format!(
            "- Serves the Node client's {}",
            node_methods
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(" and ")
        ));
    }
    let mut tokens = doc_paragraphs(&paragraphs);
    let facts = facts.join("\n");
    let facts: Vec<String> = facts.lines().map(|l| format!(" {l}")).collect();
    tokens.extend(quote!(#[doc = ""] #(#[doc = #facts])*));
    if *deprecated {
        tokens.extend(quote!(#[deprecated]));
    }
    tokens
}

/// An event an operation fires, as its docs name it: a link to its variant of
/// `models::Event` when the spec declares it and the link resolves whenever the operation is
/// compiled (an internal event is only linked from an internal operation).
fn fired_event(api: &Api, op: &Operation, name: &str) -> String {
    match api.events.iter().find(|event| event.name.wire == name) {
        Some(event) if !event.internal || op.docs.internal => {
            format!("[`{name}`](crate::models::Event::{})", event.name.ident)
        }
        _ => format!("`{name}`"),
    }
}

/// The parameters that become arguments: path parameters, then required query and header ones.
pub fn argument_params(op: &Operation) -> impl Iterator<Item = &crate::ir::Param> {
    op.path_params.iter().chain(
        op.other_params
            .iter()
            .filter(|p| p.required && p.location != ParamLocation::Path),
    )
}
