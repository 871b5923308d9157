//! Lowering of paths and operations: areas, parameters, option structs, bodies, answers in the
//! envelope, and the `x-crisp-*` facts of each operation.

use indexmap::IndexMap;
use openapiv3::{
    Components, MediaType, Parameter, ReferenceOr, RequestBody, Schema, SchemaKind, StatusCode,
    Type,
};
use serde_json::Value;

use super::super::{
    AreaId, Body, Field, Home, HttpMethod, Operation, OperationDocs, Pagination, Param,
    ParamLocation, PathTemplate, Response, TypeDef, TypeId, TypeKind, TypeRef,
};
use super::schemas::is_envelope_schema;
use super::{Ctx, Lowerer, new_area};
use crate::diag::Pointer;
use crate::naming::{join_type, pascal, snake};

/// The only media type bodies may use.
const JSON: &str = "application/json";

/// The keys of an OpenAPI path item.
const PATH_ITEM_KEYS: &[&str] = &[
    "summary",
    "description",
    "get",
    "put",
    "post",
    "delete",
    "options",
    "head",
    "patch",
    "trace",
    "servers",
    "parameters",
    "$ref",
];

/// A section of `components` whose entries operations refer to.
struct ComponentKind<T: 'static> {
    /// Its key under `components` (`requestBodies`).
    section: &'static str,
    /// What one entry is, in messages (`request body`).
    noun: &'static str,
    /// The same, shorter, in hints (`body`).
    short: &'static str,
    /// The section in a parsed document.
    get: fn(&Components) -> &IndexMap<String, ReferenceOr<T>>,
}

const PARAMETERS: ComponentKind<Parameter> = ComponentKind {
    section: "parameters",
    noun: "parameter",
    short: "parameter",
    get: |components| &components.parameters,
};

const REQUEST_BODIES: ComponentKind<RequestBody> = ComponentKind {
    section: "requestBodies",
    noun: "request body",
    short: "body",
    get: |components| &components.request_bodies,
};

const RESPONSES: ComponentKind<openapiv3::Response> = ComponentKind {
    section: "responses",
    noun: "response",
    short: "response",
    get: |components| &components.responses,
};

impl<'a> Lowerer<'a> {
    /// The component an operation's parameter, body or response refers to (following a chain
    /// of references), with its pointer; or the item itself when it is written in place. A
    /// reference that leads to no component is reported.
    fn resolve_component<'c, T>(
        &mut self,
        item: &'c ReferenceOr<T>,
        pointer: &Pointer,
        kind: &ComponentKind<T>,
    ) -> Option<(&'c T, Pointer)>
    where
        'a: 'c,
    {
        let mut reference = match item {
            ReferenceOr::Item(item) => return Some((item, pointer.to_owned())),
            ReferenceOr::Reference { reference } => reference,
        };
        let first = reference;
        let section = format!("/components/{}", kind.section);
        for _ in 0..32 {
            let Some(found) = reference
                .strip_prefix('#')
                .and_then(|at| at.strip_prefix(section.as_str()))
                .and_then(|at| at.strip_prefix('/'))
                .and_then(|name| {
                    Some((name, (kind.get)(self.api.components.as_ref()?).get(name)?))
                })
            else {
                break;
            };
            match found {
                (name, ReferenceOr::Item(item)) => {
                    let at = Pointer::root().push("components").push(kind.section);
                    return Some((item, at.push(name)));
                }
                (_, ReferenceOr::Reference { reference: next }) => reference = next,
            }
        }
        self.error(
            pointer,
            format!("`$ref: {first}` points at no {}", kind.noun),
            format!("refer to a {} under `#{section}/`, or add it", kind.short),
        );
        None
    }

    // ----- paths and operations -----

    pub(super) fn lower_paths(&mut self) {
        // openapiv3 keeps only the paths that start with `/`: any other would vanish unseen.
        for key in self.spec.keys_at("/paths").unwrap_or_default() {
            if !key.starts_with('/') && !key.starts_with("x-") {
                self.error(
                    &Pointer::root().push("paths").push(&key),
                    format!("path `{key}` does not start with `/`"),
                    format!("write it `/{key}`: paths are relative to the server URL and start with a slash"),
                );
            }
        }
        for (raw_path, item) in &self.api.paths.paths {
            let path_pointer = Pointer::root().push("paths").push(raw_path);
            let item = match item {
                ReferenceOr::Item(item) => item,
                ReferenceOr::Reference { .. } => {
                    self.error(
                        &path_pointer,
                        "path items given by `$ref` are not supported",
                        "write the path item out",
                    );
                    continue;
                }
            };
            let template = match PathTemplate::parse(raw_path) {
                Ok(template) => template,
                Err(message) => {
                    self.error(
                        &path_pointer,
                        message,
                        "write placeholders as `{name}` between slashes",
                    );
                    continue;
                }
            };
            // openapiv3 ignores keys it does not know: a misspelt method would vanish.
            for key in self.spec.keys_at(&path_pointer).unwrap_or_default() {
                if !PATH_ITEM_KEYS.contains(&key.as_str()) && !key.starts_with("x-") {
                    self.error(
                        &path_pointer.push(&key),
                        format!("unknown key `{key}` in the path item"),
                        format!(
                            "a path item has {}",
                            PATH_ITEM_KEYS
                                .iter()
                                .map(|k| format!("`{k}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                }
            }
            for (name, op) in [("options", &item.options), ("trace", &item.trace)] {
                if op.is_some() {
                    self.error(
                        &path_pointer.push(name),
                        format!("`{name}` operations are not supported"),
                        "Crisp uses GET, HEAD, POST, PUT, PATCH and DELETE only",
                    );
                }
            }
            let methods = [
                (HttpMethod::Get, "get", &item.get),
                (HttpMethod::Head, "head", &item.head),
                (HttpMethod::Post, "post", &item.post),
                (HttpMethod::Put, "put", &item.put),
                (HttpMethod::Patch, "patch", &item.patch),
                (HttpMethod::Delete, "delete", &item.delete),
            ];
            for (method, key, op) in methods {
                if let Some(op) = op {
                    let pointer = path_pointer.push(key);
                    if let Some(operation) =
                        self.lower_operation(method, &template, &item.parameters, op, &pointer)
                    {
                        self.operations.push(operation);
                    }
                }
            }
        }
    }

    pub(super) fn area_of(
        &mut self,
        op: &openapiv3::Operation,
        pointer: &Pointer,
    ) -> Option<AreaId> {
        match op.tags.as_slice() {
            [tag] => Some(match self.areas.iter().position(|a| &a.tag == tag) {
                Some(index) => index,
                None => {
                    self.areas.push(new_area(tag, None, pointer.push("tags")));
                    self.areas.len() - 1
                }
            }),
            [] => {
                self.error(pointer, "the operation has no tag", "add `tags: [<area>]`, e.g. `tags: [website.conversation]`; the tag decides its client group and server trait");
                None
            }
            _ => {
                self.error(
                    &pointer.push("tags"),
                    "the operation has several tags",
                    "give exactly one tag: the area it belongs to",
                );
                None
            }
        }
    }

    pub(super) fn lower_operation(
        &mut self,
        method: HttpMethod,
        path: &PathTemplate,
        shared_params: &[ReferenceOr<Parameter>],
        op: &openapiv3::Operation,
        pointer: &Pointer,
    ) -> Option<Operation> {
        let area = self.area_of(op, pointer);
        let Some(id) = op.operation_id.clone() else {
            self.error(pointer, "the operation has no `operationId`", "add `operationId: <method name>`; it names the client method and the server trait method");
            return None;
        };
        let area = area?;
        let type_prefix = pascal(&id).ident;
        let docs = self.docs(op, pointer);
        let home = Home::Area(area);
        let ctx = Ctx {
            name: type_prefix.clone(),
            home,
        };

        // Parameters: those of the path item, overridden by the operation's own.
        let mut params: Vec<Param> = Vec::new();
        let shared = shared_params.iter().enumerate().map(|(i, p)| {
            (
                p,
                pointer
                    .parent()
                    .unwrap_or_default()
                    .push("parameters")
                    .push(i),
            )
        });
        let own = op
            .parameters
            .iter()
            .enumerate()
            .map(|(i, p)| (p, pointer.push("parameters").push(i)));
        for (param, param_pointer) in shared.chain(own).collect::<Vec<_>>() {
            if let Some(param) = self.lower_param(param, &param_pointer, &ctx) {
                params.retain(|p: &Param| {
                    !(p.name.wire == param.name.wire && p.location == param.location)
                });
                params.push(param);
            }
        }
        let (mut path_params, other_params): (Vec<Param>, Vec<Param>) = params
            .into_iter()
            .partition(|p| p.location == ParamLocation::Path);
        // Path parameters follow the order of the template; undeclared ones stay at the end
        // for `check` to report.
        let order: Vec<&str> = path.params().collect();
        path_params.sort_by_key(|p| {
            order
                .iter()
                .position(|name| *name == p.name.wire)
                .unwrap_or(usize::MAX)
        });

        let options = self.options_type(&other_params, &type_prefix, home, pointer);
        let body = match &op.request_body {
            Some(body) => self.lower_body(body, &pointer.push("requestBody"), &ctx.child("Body")),
            None => None,
        };
        let (response, response_example, response_pointer) =
            self.lower_response(method, op, pointer, &ctx.child("Data"));
        Some(Operation {
            method_name: snake(&id),
            id,
            type_prefix,
            method,
            path: path.clone(),
            area,
            docs,
            path_params,
            other_params,
            options,
            body,
            response,
            response_example,
            response_pointer,
            pointer: pointer.to_owned(),
        })
    }

    pub(super) fn docs(&mut self, op: &openapiv3::Operation, pointer: &Pointer) -> OperationDocs {
        let mut docs = OperationDocs {
            summary: op.summary.clone(),
            description: op.description.clone(),
            deprecated: op.deprecated,
            ..OperationDocs::default()
        };
        for (key, value) in &op.extensions {
            let at = pointer.push(key);
            match key.as_str() {
                "x-crisp-tiers" => {
                    docs.tiers = self.string_list(value, &at);
                    for tier in docs.tiers.clone() {
                        if tier != "user" && tier != "plugin" {
                            self.error(&at, format!("unknown tier `{tier}`"), "tiers are `user` and `plugin`");
                        }
                    }
                }
                "x-crisp-scope" => match value.as_str() {
                    Some(scope) => docs.scope = Some(scope.to_owned()),
                    None => self.error(&at, "`x-crisp-scope` must be a string", "write the plugin scope, e.g. `website:conversation:sessions`"),
                },
                "x-crisp-webhook-events" => docs.webhook_events = self.string_list(value, &at),
                "x-crisp-node-methods" => docs.node_methods = self.string_list(value, &at),
                "x-crisp-internal" => match value.as_bool() {
                    Some(flag) => docs.internal = flag,
                    None => self.error(&at, "`x-crisp-internal` must be `true` or `false`", "write `x-crisp-internal: true`"),
                },
                "x-crisp-rtm-endpoints" => match value.as_bool() {
                    Some(flag) => docs.rtm_endpoints = flag,
                    None => self.error(&at, "`x-crisp-rtm-endpoints` must be `true` or `false`", "write `x-crisp-rtm-endpoints: true` on the operation that answers where the real-time socket is"),
                },
                "x-crisp-mcp" => match value.as_str() {
                    Some(tool) if is_tool_name(tool) => docs.mcp_tool = Some(tool.to_owned()),
                    Some(tool) => self.error(&at, format!("`{tool}` cannot name an MCP tool"), "write lower case letters, digits and `_`, starting with a letter, at most 60 characters (agent clients refuse longer names)"),
                    None => self.error(&at, "`x-crisp-mcp` must be a string", "write the name of the operation's tool, e.g. `x-crisp-mcp: get_conversation`"),
                },
                "x-crisp-pagination" => {
                    docs.pagination = match value.as_str() {
                        Some("page_number") => Some(Pagination::PageNumber),
                        Some("timestamp_before") => Some(Pagination::TimestampBefore),
                        _ => {
                            self.error(&at, format!("unknown pagination `{value}`"), "use `page_number` or `timestamp_before`");
                            None
                        }
                    }
                }
                other if other.starts_with("x-crisp-") => {
                    self.error(&at, format!("unknown extension `{other}`"), "the extensions are documented at the top of spec/crisp.yaml");
                }
                _ => {}
            }
        }
        docs
    }

    pub(super) fn lower_param(
        &mut self,
        param: &ReferenceOr<Parameter>,
        pointer: &Pointer,
        ctx: &Ctx,
    ) -> Option<Param> {
        let (param, pointer) = self.resolve_component(param, pointer, &PARAMETERS)?;
        let (data, location) = match param {
            Parameter::Path { parameter_data, .. } => (parameter_data, ParamLocation::Path),
            Parameter::Query { parameter_data, .. } => (parameter_data, ParamLocation::Query),
            Parameter::Header { parameter_data, .. } => (parameter_data, ParamLocation::Header),
            Parameter::Cookie { .. } => {
                self.error(
                    &pointer,
                    "cookie parameters are not supported",
                    "Crisp takes parameters in the path, the query or headers",
                );
                return None;
            }
        };
        let schema = match &data.format {
            openapiv3::ParameterSchemaOrContent::Schema(schema) => schema,
            openapiv3::ParameterSchemaOrContent::Content(_) => {
                self.error(
                    &pointer.push("content"),
                    "parameters described by `content` are not supported",
                    "describe the parameter with `schema`",
                );
                return None;
            }
        };
        let ty = self.lower_ref(schema, &pointer.push("schema"), &ctx.child(&data.name));
        // Path segments and headers carry one plain value: a string, a number, a boolean or
        // a string enum. Objects and arrays only travel in the query, JSON-encoded.
        let plain = match &ty {
            TypeRef::Named(id) => matches!(
                self.types[id.0].kind,
                TypeKind::Enum { .. } | TypeKind::Alias(TypeRef::String)
            ),
            TypeRef::String | TypeRef::Bool | TypeRef::Int(_) | TypeRef::F32 | TypeRef::F64 => true,
            _ => false,
        };
        let is_string = matches!(&ty, TypeRef::String)
            || matches!(&ty, TypeRef::Named(id) if matches!(self.types[id.0].kind, TypeKind::Alias(TypeRef::String)));
        if location == ParamLocation::Path && !plain {
            self.error(
                &pointer.push("schema"),
                format!(
                    "path parameter `{}` must be a string, a number, a boolean or a string enum",
                    data.name
                ),
                "move structured values to the query, where they travel JSON-encoded",
            );
        }
        if location == ParamLocation::Header && !is_string {
            self.error(
                &pointer.push("schema"),
                format!("header parameter `{}` must be a string", data.name),
                "declare the header with `type: string`",
            );
        }
        let mut multi_segment = false;
        for (key, value) in &data.extensions {
            let at = pointer.push(key);
            match key.as_str() {
                "x-crisp-multi-segment" => match (value.as_bool(), location) {
                    (Some(flag), ParamLocation::Path) => multi_segment = flag,
                    (Some(_), _) => self.error(
                        &at,
                        "`x-crisp-multi-segment` applies to path parameters only",
                        "remove it, or declare the parameter `in: path`",
                    ),
                    (None, _) => self.error(
                        &at,
                        "`x-crisp-multi-segment` must be `true` or `false`",
                        "write `x-crisp-multi-segment: true`",
                    ),
                },
                other if other.starts_with("x-crisp-") => {
                    self.error(
                        &at,
                        format!("unknown extension `{other}`"),
                        "the extensions are documented at the top of spec/crisp.yaml",
                    );
                }
                _ => {}
            }
        }
        if multi_segment && !is_string {
            self.error(
                &pointer.push("schema"),
                format!(
                    "multi-segment path parameter `{}` must be a string",
                    data.name
                ),
                "declare it with `type: string`",
            );
        }
        if location == ParamLocation::Path && !data.required {
            self.error(
                &pointer.push("required"),
                format!("path parameter `{}` must be required", data.name),
                "add `required: true`",
            );
        }
        Some(Param {
            name: crate::naming::param(&data.name),
            location,
            required: data.required || location == ParamLocation::Path,
            ty,
            description: data.description.clone(),
            multi_segment,
            example: data.example.clone().or_else(|| match schema {
                ReferenceOr::Item(schema) => schema.schema_data.example.clone(),
                ReferenceOr::Reference { .. } => None,
            }),
            pointer,
        })
    }

    /// Makes the `<Operation>Options` type that holds optional query and header parameters.
    pub(super) fn options_type(
        &mut self,
        params: &[Param],
        prefix: &str,
        home: Home,
        pointer: &Pointer,
    ) -> Option<TypeId> {
        let optional: Vec<&Param> = params.iter().filter(|p| !p.required).collect();
        if optional.is_empty() {
            return None;
        }
        let fields = optional
            .iter()
            .map(|p| Field {
                name: p.name.clone(),
                ty: p.ty.clone(),
                required: false,
                nullable: false,
                boxed: false,
                description: p.description.clone(),
                pointer: p.pointer.clone(),
            })
            .collect();
        let id = TypeId(self.types.len());
        self.push_inline(TypeDef {
            name: join_type(&[prefix, "Options"]),
            component: None,
            description: Some(format!("Optional parameters of `{prefix}`.")),
            kind: TypeKind::Struct { fields },
            home,
            hidden: false,
            internal: false,
            example: None,
            pointer: pointer.to_owned(),
        });
        Some(id)
    }

    pub(super) fn lower_body(
        &mut self,
        body: &ReferenceOr<RequestBody>,
        pointer: &Pointer,
        ctx: &Ctx,
    ) -> Option<Body> {
        let (body, pointer) = self.resolve_component(body, pointer, &REQUEST_BODIES)?;
        let media = self.json_media(&body.content, &pointer.push("content"))?;
        let schema_pointer = pointer.push("content").push(JSON).push("schema");
        let Some(schema) = &media.schema else {
            self.error(
                &schema_pointer,
                "the request body has no schema",
                "add a `schema` under `application/json`",
            );
            return None;
        };
        let ty = self.lower_ref(schema, &schema_pointer, ctx);
        let example = media.example.clone().or_else(|| match schema {
            ReferenceOr::Item(schema) => schema.schema_data.example.clone(),
            ReferenceOr::Reference { .. } => None,
        });
        Some(Body {
            required: body.required,
            ty,
            description: body.description.clone(),
            example,
            pointer,
        })
    }

    /// Finds the `application/json` media type of a body, or reports the ones it found.
    pub(super) fn json_media<'m>(
        &mut self,
        content: &'m IndexMap<String, MediaType>,
        pointer: &Pointer,
    ) -> Option<&'m MediaType> {
        for (key, media) in content {
            if key == JSON {
                return Some(media);
            }
        }
        let found: Vec<&str> = content.keys().map(String::as_str).collect();
        self.error(
            pointer,
            format!(
                "unsupported media type: {}",
                if found.is_empty() {
                    "none".to_owned()
                } else {
                    found.join(", ")
                }
            ),
            "Crisp bodies are JSON: describe them under `application/json`",
        );
        None
    }

    pub(super) fn lower_response(
        &mut self,
        method: HttpMethod,
        op: &openapiv3::Operation,
        pointer: &Pointer,
        ctx: &Ctx,
    ) -> (Response, Option<Value>, Pointer) {
        let responses_pointer = pointer.push("responses");
        let success = op.responses.responses.iter().find(|(code, _)| match code {
            StatusCode::Code(code) => (200..300).contains(code),
            StatusCode::Range(range) => *range == 2,
        });
        let Some((code, response)) = success else {
            self.error(
                &responses_pointer,
                "the operation has no success (2xx) response",
                "add a `'200'` response",
            );
            return (Response::Empty, None, responses_pointer);
        };
        if method == HttpMethod::Head {
            return (Response::Exists, None, responses_pointer.push(code));
        }
        // The answer is known by where the operation lists it, even when that is a `$ref`.
        let at = responses_pointer.push(code);
        let response_pointer = at.clone();
        let Some((response, response_pointer)) =
            self.resolve_component(response, &response_pointer, &RESPONSES)
        else {
            return (Response::Empty, None, at);
        };
        if response.content.is_empty() {
            return (Response::Empty, None, at);
        }
        let content_pointer = response_pointer.push("content");
        let Some(media) = self.json_media(&response.content, &content_pointer) else {
            return (Response::Empty, None, at);
        };
        let schema_pointer = content_pointer.push(JSON).push("schema");
        let Some(schema) = &media.schema else {
            return (Response::Empty, None, at);
        };
        let example = media
            .example
            .as_ref()
            .and_then(|example| example.get("data"))
            .cloned();
        match self.envelope_data(schema, &schema_pointer) {
            Ok(Some((data, data_pointer))) => (
                Response::Data(self.lower_boxed_ref(&data, &data_pointer, ctx)),
                example,
                at,
            ),
            Ok(None) => (Response::Empty, None, at),
            Err(()) => {
                self.error(
                    &schema_pointer,
                    "a success response must be Crisp's envelope",
                    "write `allOf: [{$ref: '#/components/schemas/Envelope'}, {type: object, properties: {data: ...}}]`, or refer to the envelope alone when there is no data",
                );
                (Response::Empty, None, at)
            }
        }
    }

    /// Finds the schema of `data` in an envelope: `Ok(None)` for an envelope without data.
    #[allow(clippy::type_complexity)]
    pub(super) fn envelope_data(
        &self,
        schema: &ReferenceOr<Schema>,
        pointer: &Pointer,
    ) -> Result<Option<(ReferenceOr<Box<Schema>>, Pointer)>, ()> {
        let (schema, pointer) = match schema {
            ReferenceOr::Reference { reference } => {
                let (target, target_pointer) = self.component_schema(reference).ok_or(())?;
                if is_envelope_schema(target) {
                    return Ok(None);
                }
                (target, target_pointer)
            }
            ReferenceOr::Item(schema) => (schema, pointer.to_owned()),
        };
        let SchemaKind::AllOf { all_of } = &schema.schema_kind else {
            return Err(());
        };
        let mut saw_envelope = false;
        let mut data = None;
        for (index, part) in all_of.iter().enumerate() {
            let part_pointer = pointer.push("allOf").push(index);
            let (part, part_pointer) = match part {
                ReferenceOr::Reference { reference } => {
                    let (target, target_pointer) = self.component_schema(reference).ok_or(())?;
                    if is_envelope_schema(target) {
                        saw_envelope = true;
                        continue;
                    }
                    (target, target_pointer)
                }
                ReferenceOr::Item(part) => (part, part_pointer),
            };
            let properties = match &part.schema_kind {
                SchemaKind::Type(Type::Object(object)) => &object.properties,
                SchemaKind::Any(any) => &any.properties,
                _ => return Err(()),
            };
            if let Some(value) = properties.get("data") {
                data = Some((value.clone(), part_pointer.push("properties").push("data")));
            }
        }
        if saw_envelope { Ok(data) } else { Err(()) }
    }
}

/// Whether `name` may name an MCP tool: `[a-z][a-z0-9_]*`, at most 60 characters.
fn is_tool_name(name: &str) -> bool {
    name.len() <= 60
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}
