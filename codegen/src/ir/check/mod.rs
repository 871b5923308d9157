//! Cross-cutting rules over the lowered IR, one commented function each; they only read it.
//!
//! Local problems (a dangling `$ref`, an unknown format) are found while lowering; the rules here
//! need the whole API at once.

use std::collections::BTreeMap;

use super::{Api, Operation, TypeDef, TypeKind};
use crate::diag::{Diagnostics, Pointer};
use crate::load::Spec;

mod events;

/// Runs every rule over the lowered API. It only reads: what the emitters need derived from
/// a valid API is `analyze`'s.
pub fn check(spec: &Spec, api: &Api, diags: &mut Diagnostics) {
    // Everything after this follows aliases to the type they name: a loop of aliases would
    // never end, so it stops here.
    if !aliases_end(spec, &api.types, diags) {
        return;
    }
    has_operations(spec, api, diags);
    duplicate_operation_ids(spec, &api.operations, diags);
    path_params_match_template(spec, &api.operations, diags);
    argument_names_unique(spec, &api.operations, diags);
    type_names_unique(spec, &api.types, diags);
    member_names_unique(spec, &api.types, diags);
    area_names_unique(spec, api, diags);
    events::event_names_unique(spec, api, diags);
    events::events_match_operations(spec, api, diags);
    events::event_scopes_agree(spec, api, diags);
    events::rtm_endpoints_callable(spec, api, diags);
    paging_works(spec, api, diags);
    mcp_tools_unique(spec, api, diags);
}

/// The client and the server are made of operations: a spec without any has nothing to
/// generate them from.
///
/// ```yaml
/// paths: {}     # rejected
/// ```
fn has_operations(spec: &Spec, api: &Api, diags: &mut Diagnostics) {
    if api.operations.is_empty() && diags.is_empty() {
        diags.push(
            spec.diag(
                "/paths",
                "the spec has no operation, so there is no client or server to generate",
            )
            .with_help("add at least one operation under `paths`"),
        );
    }
}

/// A schema that is only a `$ref`, or an array or map of another schema, is another name for a
/// type (a type alias); a loop of such names stands for no type at all (`type A = Vec<A>` does
/// not compile, and anything that follows aliases would never stop).
///
/// ```yaml
/// components:
///   schemas:
///     Foo: {$ref: '#/components/schemas/Foo'}                   # rejected
///     A: {$ref: '#/components/schemas/B'}                       # rejected, with B
///     B: {type: array, items: {$ref: '#/components/schemas/A'}}
/// ```
///
/// Returns whether every chain of aliases ends.
fn aliases_end(spec: &Spec, types: &[TypeDef], diags: &mut Diagnostics) -> bool {
    // The aliases each alias names, through arrays and maps.
    let edges: Vec<Vec<usize>> = types
        .iter()
        .map(|def| match &def.kind {
            TypeKind::Alias(ty) => ty
                .named()
                .map(|id| id.0)
                .filter(|id| matches!(types[*id].kind, TypeKind::Alias(_)))
                .into_iter()
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    // Depth-first, with the path kept: an edge back into the path closes a loop.
    let mut state = vec![0_u8; types.len()]; // 0 unseen, 1 on the path, 2 done
    let mut all_end = true;
    for start in 0..types.len() {
        if state[start] != 0 {
            continue;
        }
        let mut path: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = 1;
        while let Some((node, edge)) = path.last_mut() {
            let node = *node;
            let Some(&next) = edges[node].get(*edge) else {
                state[node] = 2;
                path.pop();
                continue;
            };
            *edge += 1;
            match state[next] {
                0 => {
                    state[next] = 1;
                    path.push((next, 0));
                }
                1 => {
                    all_end = false;
                    let position = path.iter().position(|(id, _)| *id == next).unwrap_or(0);
                    let cycle: Vec<usize> = path[position..].iter().map(|(id, _)| *id).collect();
                    let first = *cycle.iter().min().unwrap_or(&next);
                    let names: Vec<String> = cycle
                        .iter()
                        .map(|id| {
                            format!(
                                "`{}`",
                                types[*id]
                                    .component
                                    .clone()
                                    .unwrap_or_else(|| types[*id].name.clone())
                            )
                        })
                        .collect();
                    let message = if cycle.len() == 1 {
                        format!(
                            "schema {} names itself as its own type (a `$ref`, array or map of itself)",
                            names[0]
                        )
                    } else {
                        format!(
                            "schemas {} name one another as their type (`$ref`s, arrays or maps), in a loop that names no type",
                            names.join(", ")
                        )
                    };
                    let whom = if cycle.len() == 1 {
                        "it"
                    } else {
                        "one of them"
                    };
                    diags.push(
                        spec.diag(&types[first].pointer, message)
                            .with_help(format!("give {whom} a schema of its own (an object with `properties`, an enum…) instead of the `$ref`")),
                    );
                }
                _ => {}
            }
        }
    }
    all_end
}

/// Two operations with one `operationId` would give two methods one name.
///
/// ```yaml
/// /a: {get: {operationId: getThing}}
/// /b: {get: {operationId: getThing}}   # rejected
/// ```
fn duplicate_operation_ids(spec: &Spec, operations: &[Operation], diags: &mut Diagnostics) {
    let mut seen: BTreeMap<&str, &Pointer> = BTreeMap::new();
    for op in operations {
        if let Some(first) = seen.insert(&op.id, &op.pointer) {
            diags.push(
                spec.diag(&op.pointer, format!("operationId `{}` is used twice", op.id))
                    .with_help(format!("it is already the id of the operation at {first}; give each operation its own id")),
            );
        }
    }
    // Two ids that differ only in case would still give one Rust method name; and a paged
    // operation also has a `…_stream` method, which another operation's name may take.
    let mut methods: BTreeMap<String, &str> = BTreeMap::new();
    for op in operations {
        let mut names = vec![op.method_name.bare().to_owned()];
        if op.docs.pagination.is_some() {
            names.push(format!("{}_stream", op.method_name.bare()));
        }
        for name in names {
            if let Some(first) = methods.insert(name.clone(), &op.id) {
                if first != op.id {
                    diags.push(
                        spec.diag(&op.pointer, format!("operationIds `{first}` and `{}` both give the method `{name}`", op.id))
                            .with_help("rename one of them so their snake_case forms (and the `…_stream` form of a paged one) differ"),
                    );
                }
            }
        }
    }
}

/// A paged operation that answers a list gets a stream, which must be able to page: by a
/// required `uint32` `page_number`, or back in time by an optional `uint64` `timestamp_before`
/// query parameter and the `timestamp` of each item. (One that answers no list just pages, and
/// its docs say it has no stream.)
///
/// ```yaml
/// /website/{website_id}/people/profiles:
///   get:
///     x-crisp-pagination: page_number     # rejected: no `{page_number}` in the path
/// ```
fn paging_works(spec: &Spec, api: &Api, diags: &mut Diagnostics) {
    for op in &api.operations {
        if let Err(super::stream::NoStream::Broken(reason)) = super::stream::stream(api, op) {
            let how = op
                .docs
                .pagination
                .map_or("", |pagination| pagination.as_str());
            diags.push(
                spec.diag(op.pointer.push("x-crisp-pagination"), format!("operation `{}` pages by `{how}` and answers a list, but it cannot be streamed: {reason}", op.id))
                    .with_help("declare the parameter it pages with, or remove `x-crisp-pagination`"),
            );
        }
    }
}

/// Every `{name}` of the path is declared `in: path`, and every path parameter is in the path.
///
/// ```yaml
/// /website/{website_id}:
///   get: {parameters: []}            # rejected: website_id is not declared
/// /website:
///   get: {parameters: [{name: website_id, in: path}]}   # rejected: not in the path
/// ```
fn path_params_match_template(spec: &Spec, operations: &[Operation], diags: &mut Diagnostics) {
    for op in operations {
        for name in op.path.params() {
            if !op.path_params.iter().any(|p| p.name.wire == name) {
                diags.push(
                    spec.diag(&op.pointer, format!("path parameter `{name}` is not declared"))
                        .with_help(format!("add a parameter with `in: path` and `name: {name}`, or remove `{{{name}}}` from the path")),
                );
            }
        }
        for param in &op.path_params {
            if param.multi_segment && op.path.params().last() != Some(param.name.wire.as_str()) {
                diags.push(
                    spec.diag(&param.pointer, format!("multi-segment path parameter `{}` is not the last placeholder of `{}`", param.name.wire, op.path.raw))
                        .with_help("only the end of a path can take several segments; move the placeholder last or drop `x-crisp-multi-segment`"),
                );
            }
            if !op.path.params().any(|name| name == param.name.wire) {
                diags.push(
                    spec.diag(
                        &param.pointer,
                        format!(
                            "path parameter `{}` does not appear in the path `{}`",
                            param.name.wire, op.path.raw
                        ),
                    )
                    .with_help(format!(
                        "add `{{{}}}` to the path, or declare the parameter `in: query`",
                        param.name.wire
                    )),
                );
            }
        }
    }
}

/// The arguments of a generated method are the parameters plus `options` and `body`, and
/// their Rust names must all differ.
///
/// ```yaml
/// parameters: [{name: userId, in: query}, {name: user_id, in: query}]   # rejected
/// ```
fn argument_names_unique(spec: &Spec, operations: &[Operation], diags: &mut Diagnostics) {
    for op in operations {
        // The names the generated methods use for themselves (`caller`, `options`, `body`…)
        // never come up: `naming::param` gives such a parameter a `_param` suffix.
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        for param in op.path_params.iter().chain(&op.other_params) {
            if let Some(first) = seen.insert(param.name.bare(), &param.name.wire) {
                diags.push(
                    spec.diag(
                        &param.pointer,
                        format!(
                            "parameter `{}` and `{first}` both become `{}` in Rust",
                            param.name.wire,
                            param.name.bare()
                        ),
                    )
                    .with_help(
                        "rename one of them; names are compared after conversion to snake_case",
                    ),
                );
            }
        }
    }
}

/// Every generated type has its own name: two component schemas, or a component and an inline
/// type, must not collide after conversion to `PascalCase`.
///
/// ```yaml
/// components:
///   schemas:
///     conversation_meta: {...}
///     ConversationMeta: {...}     # rejected: both are `ConversationMeta`
/// ```
fn type_names_unique(spec: &Spec, types: &[TypeDef], diags: &mut Diagnostics) {
    let mut seen: BTreeMap<&str, &TypeDef> = BTreeMap::new();
    for def in types.iter().filter(|def| !def.hidden) {
        if crate::naming::is_reserved_type(&def.name) {
            diags.push(
                spec.diag(
                    &def.pointer,
                    format!(
                        "the type name `{}` is reserved by the generated code",
                        def.name
                    ),
                )
                .with_help("rename the schema (for example with a more specific name)"),
            );
        }
        if let Some(first) = seen.insert(&def.name, def) {
            let what = |d: &TypeDef| match &d.component {
                Some(name) => format!("component schema `{name}`"),
                None => "an inline schema".to_owned(),
            };
            diags.push(
                spec.diag(
                    &def.pointer,
                    format!(
                        "{} and {} would both be named `{}`",
                        what(first),
                        what(def),
                        def.name
                    ),
                )
                .with_help(format!(
                    "rename one of them; the other is at {}",
                    first.pointer
                )),
            );
        }
    }
}

/// Fields of one struct, and variants of one enum or union, have distinct Rust names.
///
/// ```yaml
/// properties: {user_id: {...}, userId: {...}}     # rejected: both are `user_id`
/// enum: [not-resolved, not_resolved]              # rejected: both are `NotResolved`
/// oneOf: [$ref: A, $ref: A], discriminator: {…}     # rejected: both variants have the tags of A
/// ```
fn member_names_unique(spec: &Spec, types: &[TypeDef], diags: &mut Diagnostics) {
    for def in types.iter().filter(|def| !def.hidden) {
        match &def.kind {
            TypeKind::Struct { fields } => {
                let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
                for field in fields {
                    if let Some(first) = seen.insert(field.name.bare(), &field.name.wire) {
                        diags.push(
                            spec.diag(&field.pointer, format!("properties `{first}` and `{}` both become the field `{}`", field.name.wire, field.name.bare()))
                                .with_help("rename one of them; names are compared after conversion to snake_case"),
                        );
                    }
                }
            }
            TypeKind::Enum { variants } => {
                let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
                for variant in variants {
                    if let Some(first) = seen.insert(&variant.name.ident, &variant.name.wire) {
                        diags.push(
                            spec.diag(&variant.pointer, format!("enum values `{first}` and `{}` both become the variant `{}`", variant.name.wire, variant.name.ident))
                                .with_help("remove the duplicate value, or spell the values so they differ in PascalCase"),
                        );
                    }
                }
            }
            TypeKind::OneOf {
                discriminator,
                variants,
            } => {
                // Variant names are made unique while lowering; tags must be too, and a tagged
                // union needs a free name for the variant that keeps unknown tags.
                if discriminator.is_some() {
                    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
                    for variant in variants {
                        for tag in &variant.tags {
                            if let Some(first) = seen.insert(tag, &variant.name) {
                                diags.push(
                                    spec.diag(&variant.pointer, format!("the tag `{tag}` selects both the variants `{first}` and `{}`", variant.name))
                                        .with_help("give each variant its own tag in the discriminator's `mapping`"),
                                );
                            }
                        }
                    }
                    if super::one_of_fallback(variants).is_none() {
                        diags.push(
                            spec.diag(&def.pointer, "the union has variants named `Other`, `Unknown` and `Unrecognized`, so no variant is left for tags it does not know")
                                .with_help("rename one of these tags in the discriminator's `mapping`"),
                        );
                    }
                }
            }
            TypeKind::Alias(_) => {}
        }
        if let TypeKind::Enum { variants } = &def.kind {
            if super::enum_fallback(variants).is_none() {
                diags.push(
                    spec.diag(&def.pointer, "the enum has values named `other`, `unknown` and `unrecognized`, so no variant is left for values it does not know")
                        .with_help("rename or drop one of these three values: the variant for unknown values takes the first of these names that is free"),
                );
            }
        }
    }
}

/// Module names the generated crates use for themselves (or that name their root file).
const RESERVED_MODULES: &[&str] = &[
    "components",
    "events",
    "example_tests",
    "examples",
    "models",
    "tier",
    "rtm",
    "lib",
    "main",
];

/// Methods of the generated `Client` besides the area accessors.
const CLIENT_METHODS: &[&str] = &[
    "builder",
    "from_env",
    "from_config",
    "base_url",
    "tier",
    "realtime",
    "rtm_endpoint",
];

/// Names at the root of the generated client and server crates, which area types must not take.
const ROOT_TYPES: &[&str] = &[
    "Client",
    "ClientBuilder",
    "Credentials",
    "Error",
    "RetryPolicy",
    "Reason",
    "Tier",
    "Access",
    "ApiError",
    "Authenticate",
    "Caller",
    "Limits",
    "Scopes",
    "StaticTokens",
    "NotImplemented",
    "RouterBuilder",
    "Ctx",
    "Routes",
    "Arc",
    "BTreeMap",
    "MethodRouter",
];

/// Cargo features the generated crates define besides the area features.
const RESERVED_FEATURES: &[&str] = &["default", "legacy", "internal", "examples", "rtm", "events"];

/// Areas become modules and traits: two tags with one `snake_case` form would clash, and so
/// would a tag whose module, accessor, type or feature is a name the generated crates use for
/// themselves.
///
/// ```yaml
/// tags: [website.conversation, website_conversation]   # rejected
/// tags: [examples, routes, legacy]                      # rejected: module, type, feature
/// ```
fn area_names_unique(spec: &Spec, api: &Api, diags: &mut Diagnostics) {
    for (index, area) in api.areas.iter().enumerate() {
        // Only areas with operations become modules.
        if api.operations_of(index).next().is_none() {
            continue;
        }
        let feature = area.feature();
        let clash = if RESERVED_MODULES.contains(&area.module.as_str()) {
            Some(format!("the module `{}`", area.module))
        } else if CLIENT_METHODS.contains(&area.module.as_str()) {
            Some(format!("the client method `{}`", area.module))
        } else if ROOT_TYPES.contains(&area.type_name.as_str()) {
            Some(format!("the type `{}`", area.type_name))
        } else if RESERVED_FEATURES.contains(&feature.as_str()) {
            Some(format!("the cargo feature `{feature}`"))
        } else {
            None
        };
        if let Some(clash) = clash {
            diags.push(
                spec.diag(
                    &area.pointer,
                    format!(
                        "tag `{}` would become {clash}, which the generated crates already use",
                        area.tag
                    ),
                )
                .with_help("rename the tag"),
            );
        }
    }
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for area in &api.areas {
        if let Some(first) = seen.insert(&area.module, &area.tag) {
            // Where the second spelling is declared, or first used.
            diags.push(
                spec.diag(
                    &area.pointer,
                    format!(
                        "tags `{first}` and `{}` both become the module `{}`",
                        area.tag, area.module
                    ),
                )
                .with_help("use one spelling of the tag"),
            );
        }
    }
}

/// The names of the generic tools of the MCP server, which reach every operation.
pub const GENERIC_MCP_TOOLS: [&str; 3] =
    ["search_operations", "describe_operation", "call_operation"];

/// Each `x-crisp-mcp` names a tool of its own: no two operations share one, and none takes
/// the name of a generic tool.
///
/// ```yaml
/// x-crisp-mcp: get_conversation      # on two operations: rejected at the second
/// x-crisp-mcp: call_operation        # rejected: the generic tool's name
/// ```
fn mcp_tools_unique(spec: &Spec, api: &Api, diags: &mut Diagnostics) {
    let mut seen: BTreeMap<&str, &Operation> = BTreeMap::new();
    for op in &api.operations {
        let Some(tool) = op.docs.mcp_tool.as_deref() else {
            continue;
        };
        let at = op.pointer.push("x-crisp-mcp");
        if GENERIC_MCP_TOOLS.contains(&tool) {
            diags.push(
                spec.diag(&at, format!("`{tool}` is the name of a generic MCP tool"))
                    .with_help("name the operation's tool otherwise, e.g. after its operationId in snake case"),
            );
        } else if let Some(first) = seen.insert(tool, op) {
            diags.push(
                spec.diag(
                    &at,
                    format!(
                        "operations `{}` and `{}` both name the MCP tool `{tool}`",
                        first.id, op.id
                    ),
                )
                .with_help(format!(
                    "give each its own tool name; the other is at {}",
                    first.pointer
                )),
            );
        }
    }
}
