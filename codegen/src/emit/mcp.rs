//! The MCP crate: one `crisp_runtime::mcp::Operation` per operation, with the JSON Schema of
//! its arguments, and the `crisp-mcp` command.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::quote;
use serde_json::{Map, Value, json};

use super::{ident, rust_type};
use crate::ir::{
    Api, HttpMethod, IntType, Operation, ParamLocation, Response, TypeId, TypeKind, TypeRef,
};

/// How deep a schema inlines named types before it refers to them in `$defs` (types met again
/// on the way down, a cycle, always go to `$defs`).
const INLINE_DEPTH: usize = 6;

/// The crate root: the operation table and the command.
pub fn lib(api: &Api) -> TokenStream {
    let operations = api.operations.iter().map(|op| operation(api, op));
    let count = api.operations.len();
    let curated = api
        .operations
        .iter()
        .filter(|op| op.docs.mcp_tool.is_some())
        .count();
    let title = format!(" A Model Context Protocol server for the {}.", api.title);
    let table_doc = format!(
        " Every operation of the spec ({count}), in spec order; with a tool of their own: {curated}."
    );
    quote! {
        #![doc = #title]
        //!
        //! Run `crisp-mcp` (standard input and output) or `crisp-mcp --http 127.0.0.1:8931`
        //! with a token in `CRISP_IDENTIFIER`, `CRISP_KEY` and `CRISP_TIER`. Agents get one tool
        //! per operation of the default toolset (`x-crisp-mcp` in the spec) and three generic
        //! tools that search, describe and call every other operation, bounded by the token's
        //! tier and scopes (`--scopes` or `CRISP_SCOPES`). [`crisp_runtime::mcp`] holds the
        //! server; this crate gives it the spec's operations.
        #![warn(missing_docs)]

        pub use ::crisp_runtime::mcp::{McpServer, Reach, http_router, serve_stdio};

        #[doc = #table_doc]
        pub static OPERATIONS: &[::crisp_runtime::mcp::Operation] = &[#(#operations),*];

        /// The `crisp-mcp` command: serves [`OPERATIONS`] until the client leaves.
        pub fn main() -> ::std::process::ExitCode {
            ::crisp_runtime::mcp::run(OPERATIONS, env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
        }
    }
}

/// The binary's `main.rs`.
pub fn main_rs() -> TokenStream {
    quote! {
        //! The `crisp-mcp` command (see the library's documentation).

        fn main() -> ::std::process::ExitCode {
            ::crisp_mcp::main()
        }
    }
}

fn operation(api: &Api, op: &Operation) -> TokenStream {
    let Operation {
        id,
        method_name: _,
        type_prefix: _,
        method,
        path,
        area,
        docs,
        path_params,
        other_params,
        options: _,
        body,
        response,
        response_example: _,
        response_pointer: _,
        pointer: _,
    } = op;
    let tool = match &docs.mcp_tool {
        Some(tool) => quote!(Some(#tool)),
        None => quote!(None),
    };
    let area = &api.areas[*area].tag;
    let summary = docs.summary.clone().unwrap_or_else(|| id.clone());
    let description = docs.description.clone().unwrap_or_default();
    let method = ident(match method {
        HttpMethod::Get => "Get",
        HttpMethod::Head => "Head",
        HttpMethod::Post => "Post",
        HttpMethod::Put => "Put",
        HttpMethod::Patch => "Patch",
        HttpMethod::Delete => "Delete",
    });
    let template = &path.raw;
    let params = path_params.iter().chain(other_params).map(|param| {
        let name = &param.name.wire;
        let location = ident(match param.location {
            ParamLocation::Path => "Path",
            ParamLocation::Query => "Query",
            ParamLocation::Header => "Header",
        });
        let required = param.required || param.location == ParamLocation::Path;
        let kind = ident(kind(api, &param.ty));
        let multi_segment = param.multi_segment;
        quote! {
            ::crisp_runtime::mcp::Param {
                name: #name,
                location: ::crisp_runtime::mcp::Location::#location,
                required: #required,
                kind: ::crisp_runtime::mcp::Kind::#kind,
                multi_segment: #multi_segment,
            }
        }
    });
    let body = match body {
        Some(body) => {
            let required = body.required;
            let ty = rust_type(api, &body.ty, &quote!(::crisp_models));
            quote! {
                Some(::crisp_runtime::mcp::Body {
                    required: #required,
                    check: ::crisp_runtime::mcp::check::<#ty>,
                })
            }
        }
        None => quote!(None),
    };
    let answer = ident(match response {
        Response::Data(_) => "Data",
        Response::Empty => "Empty",
        Response::Exists => "Exists",
    });
    let schema = input_schema(api, op).to_string();
    let tiers = docs.tiers.iter().map(|tier| {
        let tier = ident(if tier == "user" { "User" } else { "Plugin" });
        quote!(::crisp_runtime::Tier::#tier)
    });
    let scope = match &docs.scope {
        Some(scope) => quote!(Some(#scope)),
        None => quote!(None),
    };
    let internal = docs.internal;
    let deprecated = docs.deprecated;
    quote! {
        ::crisp_runtime::mcp::Operation {
            id: #id,
            tool: #tool,
            area: #area,
            summary: #summary,
            description: #description,
            method: ::crisp_runtime::mcp::Method::#method,
            path: #template,
            params: &[#(#params),*],
            body: #body,
            answer: ::crisp_runtime::mcp::Answer::#answer,
            input_schema: #schema,
            tiers: &[#(#tiers),*],
            scope: #scope,
            internal: #internal,
            deprecated: #deprecated,
        }
    }
}

/// The JSON type of a parameter's argument, as `crisp_runtime::mcp::Kind` names it.
fn kind(api: &Api, ty: &TypeRef) -> &'static str {
    match api.resolve(ty) {
        TypeRef::String => "String",
        TypeRef::Bool => "Boolean",
        TypeRef::Int(_) => "Integer",
        TypeRef::F32 | TypeRef::F64 => "Number",
        TypeRef::Named(id) if matches!(api.types[id.0].kind, TypeKind::Enum { .. }) => "String",
        _ => "Json",
    }
}

/// The JSON Schema of an operation's arguments: its parameters by wire name, and its body as
/// `body`. A named type the schema meets once is inlined (down to `INLINE_DEPTH`); one it
/// meets more than once, or inside itself (a cycle), or deeper, is written once in `$defs` and
/// referred to: the variants of a message share their fields' types, and an agent reads every
/// byte of the default toolset's schemas.
pub fn input_schema(api: &Api, op: &Operation) -> Value {
    let mut uses = BTreeMap::new();
    for param in op.path_params.iter().chain(&op.other_params) {
        count_uses(api, &param.ty, &mut uses);
    }
    if let Some(body) = &op.body {
        count_uses(api, &body.ty, &mut uses);
    }
    let shared = uses
        .into_iter()
        .filter(|(_, count)| *count > 1)
        .map(|(id, _)| id)
        .collect();
    let mut schemas = Schemas {
        api,
        defs: BTreeMap::new(),
        wanted: BTreeSet::new(),
        shared,
    };
    let mut properties = Map::new();
    let mut required = Vec::new();
    for param in op.path_params.iter().chain(&op.other_params) {
        let mut schema = schemas.of(&param.ty, &mut Vec::new());
        describe(&mut schema, param.description.as_deref());
        properties.insert(param.name.wire.clone(), schema);
        if param.required || param.location == ParamLocation::Path {
            required.push(Value::String(param.name.wire.clone()));
        }
    }
    if let Some(body) = &op.body {
        let mut schema = schemas.of(&body.ty, &mut Vec::new());
        match body.description.as_deref() {
            Some(description) => describe(&mut schema, Some(description)),
            None if schema.get("description").is_none() => {
                describe(&mut schema, Some("The request body."));
            }
            None => {}
        }
        properties.insert("body".to_owned(), schema);
        if body.required {
            required.push(Value::String("body".to_owned()));
        }
    }
    let mut schema = json!({
        "type": "object",
        "properties": properties,
        "additionalProperties": false,
    });
    if !required.is_empty() {
        schema["required"] = Value::Array(required);
    }
    // A type referred to may refer to others: define until nothing new is wanted.
    while let Some(id) = schemas.next_wanted() {
        let definition = schemas.named(id, &mut vec![id]);
        schemas.defs.insert(id, definition);
    }
    if !schemas.defs.is_empty() {
        let defs: Map<String, Value> = schemas
            .defs
            .into_iter()
            .map(|(id, schema)| (api.types[id.0].name.clone(), schema))
            .collect();
        schema["$defs"] = Value::Object(defs);
    }
    schema
}

/// Sets a schema's description: a field's or parameter's says more than its type's, which it
/// replaces (a `$ref`'s siblings are kept by 2020-12).
fn describe(schema: &mut Value, description: Option<&str>) {
    if let (Some(description), Value::Object(map)) = (description, schema) {
        map.insert(
            "description".to_owned(),
            Value::String(description.to_owned()),
        );
    }
}

/// How many times each named type is referred to from `ty` down, each type's own references
/// counted once (the first time it is met).
fn count_uses(api: &Api, ty: &TypeRef, uses: &mut BTreeMap<TypeId, usize>) {
    match ty {
        TypeRef::Array(inner) | TypeRef::Map(inner) => count_uses(api, inner, uses),
        TypeRef::Named(id) => {
            let count = uses.entry(*id).or_insert(0);
            *count += 1;
            if *count > 1 {
                return;
            }
            match &api.types[id.0].kind {
                TypeKind::Struct { fields } => {
                    for field in fields {
                        count_uses(api, &field.ty, uses);
                    }
                }
                TypeKind::OneOf { variants, .. } => {
                    for variant in variants {
                        count_uses(api, &variant.ty, uses);
                    }
                }
                TypeKind::Alias(target) => count_uses(api, target, uses),
                TypeKind::Enum { .. } => {}
            }
        }
        _ => {}
    }
}

struct Schemas<'a> {
    api: &'a Api,
    defs: BTreeMap<TypeId, Value>,
    wanted: BTreeSet<TypeId>,
    /// The named types met more than once, which go to `$defs` (small enums and aliases of
    /// primitives excepted: a reference would be longer than they are).
    shared: BTreeSet<TypeId>,
}

impl Schemas<'_> {
    fn next_wanted(&mut self) -> Option<TypeId> {
        let id = *self.wanted.iter().find(|id| !self.defs.contains_key(id))?;
        self.wanted.remove(&id);
        Some(id)
    }

    /// The schema of a type reference; `stack` holds the named types being inlined.
    fn of(&mut self, ty: &TypeRef, stack: &mut Vec<TypeId>) -> Value {
        match ty {
            TypeRef::String => json!({ "type": "string" }),
            TypeRef::Bool => json!({ "type": "boolean" }),
            TypeRef::Int(int) => match int {
                IntType::U8 | IntType::U16 | IntType::U32 | IntType::U64 => {
                    json!({ "type": "integer", "minimum": 0 })
                }
                _ => json!({ "type": "integer" }),
            },
            TypeRef::F32 | TypeRef::F64 => json!({ "type": "number" }),
            TypeRef::Any => json!({}),
            TypeRef::FreeObject => json!({ "type": "object" }),
            TypeRef::Array(item) => json!({ "type": "array", "items": self.of(item, stack) }),
            TypeRef::Map(value) => {
                json!({ "type": "object", "additionalProperties": self.of(value, stack) })
            }
            TypeRef::Named(id) => {
                let shared = self.shared.contains(id) && !self.is_small(*id);
                if shared || stack.contains(id) || stack.len() >= INLINE_DEPTH {
                    if !self.defs.contains_key(id) {
                        self.wanted.insert(*id);
                    }
                    return json!({ "$ref": format!("#/$defs/{}", self.api.types[id.0].name) });
                }
                stack.push(*id);
                let schema = self.named(*id, stack);
                stack.pop();
                schema
            }
        }
    }

    /// Whether a named type is as short inline as a reference: an alias of a primitive, or an
    /// enum of a few values.
    fn is_small(&self, id: TypeId) -> bool {
        match &self.api.types[id.0].kind {
            TypeKind::Enum { variants } => variants.len() <= 4,
            TypeKind::Alias(target) => !matches!(
                self.api.resolve(target),
                TypeRef::Named(_) | TypeRef::Array(_) | TypeRef::Map(_)
            ),
            _ => false,
        }
    }

    /// The schema of a named type, inlined.
    fn named(&mut self, id: TypeId, stack: &mut Vec<TypeId>) -> Value {
        let def = &self.api.types[id.0];
        let mut schema = match &def.kind {
            TypeKind::Struct { fields } => {
                let mut properties = Map::new();
                let mut required = Vec::new();
                for field in fields {
                    let mut schema = self.of(&field.ty, stack);
                    if field.nullable {
                        schema = json!({ "anyOf": [schema, { "type": "null" }] });
                    }
                    describe(&mut schema, field.description.as_deref());
                    properties.insert(field.name.wire.clone(), schema);
                    if field.required {
                        required.push(Value::String(field.name.wire.clone()));
                    }
                }
                let mut schema = json!({ "type": "object", "properties": properties });
                if !required.is_empty() {
                    schema["required"] = Value::Array(required);
                }
                schema
            }
            TypeKind::Enum { variants } => json!({
                "type": "string",
                "enum": variants.iter().map(|variant| variant.name.wire.clone()).collect::<Vec<_>>(),
            }),
            TypeKind::OneOf { variants, .. } => json!({
                "anyOf": variants.iter().map(|variant| self.of(&variant.ty, stack)).collect::<Vec<_>>(),
            }),
            TypeKind::Alias(target) => self.of(target, stack),
        };
        if !schema
            .as_object()
            .is_some_and(|map| map.contains_key("description"))
        {
            describe(&mut schema, def.description.as_deref());
        }
        schema
    }
}
