//! Our own model of the API: areas, operations, parameters, bodies, responses and an arena of types.
//!
//! Emitters read only this model, never `openapiv3` types. Every node keeps the JSON pointer
//! of the spec place it came from, so later checks can point at the spec.
//!
//! [`build`] makes it in three stages, each in its own module: [`lower`] turns the `openapiv3`
//! document into the model and reports local problems; [`check`] reads the whole model and
//! reports what breaks a rule across it; [`analyze`] fills in what the emitters need derived
//! from a valid model. No stage imports a later one.

pub mod analyze;
pub mod check;
pub mod lower;
pub mod path;
pub mod stream;

use crate::diag::Pointer;
use crate::naming::Name;
pub use path::PathTemplate;

use crate::diag::Diagnostics;
use crate::load::Spec;

/// Builds the API of a loaded spec: lowered, checked and analyzed, or every problem found by
/// lowering and checking together.
pub fn build(spec: &Spec) -> Result<Api, Diagnostics> {
    let (api, mut diags) = lower::lower(spec);
    check::check(spec, &api, &mut diags);
    let mut api = diags.into_result(api)?;
    analyze::analyze(&mut api);
    Ok(api)
}

/// The whole API as the emitters see it.
#[derive(Debug)]
pub struct Api {
    /// The API's title, from `info.title`.
    pub title: String,
    /// The base URL of the first server (`https://api.crisp.chat/v1`).
    pub base_url: String,
    /// The path prefix of the base URL (`/v1`), under which the server serves routes.
    pub base_path: String,
    /// Areas (tags) in the order the spec declares or first uses them.
    pub areas: Vec<Area>,
    /// Operations in spec order.
    pub operations: Vec<Operation>,
    /// Every named type: component schemas first, then inline types in the order met.
    pub types: Vec<TypeDef>,
    /// For each type of [`Api::types`], the areas whose operations use it (computed by
    /// [`analyze`]), which decides the cargo features it is compiled under.
    pub type_uses: Vec<TypeUse>,
    /// The web hook and real-time events (`x-crisp-events`), in spec order.
    pub events: Vec<Event>,
    /// The version of the generated crates (`info.x-crisp-crate-version`, `0.1.0` unless
    /// given): the one place a maintainer bumps it.
    pub crate_version: String,
    /// Whether the spec declares its events (has `x-crisp-events`, even empty). Only then do
    /// operations have to name declared events, and the models crate get an `events` module.
    pub events_declared: bool,
}

impl Api {
    /// The areas that have at least one operation, in order, with their ids: an area without
    /// operations gets no module, trait or feature.
    pub fn areas_with_operations(&self) -> impl Iterator<Item = (AreaId, &Area)> {
        self.areas
            .iter()
            .enumerate()
            .filter(|(index, _)| self.operations.iter().any(|op| op.area == *index))
    }

    /// The operations of one area, in spec order.
    pub fn operations_of(&self, area: AreaId) -> impl Iterator<Item = &Operation> {
        self.operations.iter().filter(move |op| op.area == area)
    }

    /// `ty` with aliases followed to what they name (a loop of aliases is rejected by
    /// `check` before anything follows them).
    pub fn resolve<'a>(&'a self, mut ty: &'a TypeRef) -> &'a TypeRef {
        while let TypeRef::Named(id) = ty {
            match &self.types[id.0].kind {
                TypeKind::Alias(inner) => ty = inner,
                _ => break,
            }
        }
        ty
    }

    /// The scopes of the operations of `fired_by` that state one, without repeats, in order.
    pub fn firing_scopes(&self, fired_by: &[String]) -> Vec<&str> {
        let mut scopes: Vec<&str> = Vec::new();
        for op in self
            .operations
            .iter()
            .filter(|op| fired_by.contains(&op.id))
        {
            if let Some(scope) = op.docs.scope.as_deref() {
                if !scopes.contains(&scope) {
                    scopes.push(scope);
                }
            }
        }
        scopes
    }
}

/// One web hook / real-time event of `x-crisp-events`.
#[derive(Debug)]
pub struct Event {
    /// The variant name of `Event` (`MessageSend`) paired with the event name (`message:send`).
    pub name: Name,
    /// What happened.
    pub description: Option<String>,
    /// Whether Crisp documents the event as a web hook event (`webhook-documented`); otherwise
    /// it is only known from the real-time event lists of the official clients.
    pub webhook_documented: bool,
    /// Whether only Crisp's internal reference names the event, so it is compiled with the
    /// `internal` feature only.
    pub internal: bool,
    /// The operationIds of the operations whose call fires the event (`fired-by`).
    pub fired_by: Vec<String>,
    /// The plugin scope a token needs, at read level at least, to receive the event: the
    /// spec's `scope`, or else the scope of the operations that fire it (filled in by the
    /// checks); `None` when neither says.
    pub scope: Option<String>,
    /// The type of the event's `data`.
    pub payload: TypeRef,
    /// An example of `data`, when the spec gives one.
    pub example: Option<serde_json::Value>,
    /// Where the event is in the spec (`/x-crisp-events/message:send`).
    pub pointer: Pointer,
}

/// Which operations reach a type, directly or through other types.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum TypeUse {
    /// No operation reaches it (or something always compiled does): always compiled.
    #[default]
    Always,
    /// Only operations of these areas (or events) reach it: compiled when one of their
    /// features is on.
    Areas {
        /// The public areas whose operations use it.
        public: std::collections::BTreeSet<AreaId>,
        /// Whether operations of internal-only areas (or internal events) use it too.
        internal: bool,
        /// Whether a public event carries it: then the `events` feature compiles it too.
        events: bool,
    },
}

/// One area of the API: a tag, grouping operations into a client accessor and a server trait.
#[derive(Debug)]
pub struct Area {
    /// Whether every operation of the area is internal, so the whole area is behind the
    /// `internal` feature.
    pub internal: bool,
    /// The tag as the spec writes it (`website.conversation`).
    pub tag: String,
    /// The module name (`website_conversation`).
    pub module: String,
    /// The type name of the client accessor and server trait (`WebsiteConversation`).
    pub type_name: String,
    /// The tag's description, if the spec declares it.
    pub description: Option<String>,
    /// Where the tag is declared (`/tags/3`), or first used by an operation that names a tag
    /// the spec does not declare (`…/get/tags`).
    pub pointer: Pointer,
}

impl Area {
    /// The cargo feature that compiles a public area in the models and client crates
    /// (`website-conversation`).
    pub fn feature(&self) -> String {
        self.module.trim_end_matches('_').replace('_', "-")
    }
}

/// Index of an area in [`Api::areas`].
pub type AreaId = usize;

/// Index of a type in [`Api::types`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TypeId(pub usize);

/// One operation: a method on a path.
#[derive(Debug)]
pub struct Operation {
    /// The spec's `operationId` (`listConversations`).
    pub id: String,
    /// The method name in Rust (`list_conversations`).
    pub method_name: Name,
    /// The prefix of the operation's own type names (`ListConversations`).
    pub type_prefix: String,
    /// The HTTP method.
    pub method: HttpMethod,
    /// The path template, relative to the base path.
    pub path: PathTemplate,
    /// The area the operation belongs to.
    pub area: AreaId,
    /// Documentation and Crisp metadata.
    pub docs: OperationDocs,
    /// Path parameters in the order of the path template.
    pub path_params: Vec<Param>,
    /// Query and header parameters in spec order.
    pub other_params: Vec<Param>,
    /// The type that holds the optional query and header parameters, if there are any.
    pub options: Option<TypeId>,
    /// The request body, if the operation takes one.
    pub body: Option<Body>,
    /// What a success answers.
    pub response: Response,
    /// The `data` of the success example, when the spec gives one.
    pub response_example: Option<serde_json::Value>,
    /// Where the operation lists its success answer (`…/responses/200`).
    pub response_pointer: Pointer,
    /// Where the operation is in the spec.
    pub pointer: Pointer,
}

/// The text and metadata that go into an operation's docs.
#[derive(Debug, Default)]
pub struct OperationDocs {
    /// One-line summary.
    pub summary: Option<String>,
    /// Longer description.
    pub description: Option<String>,
    /// Whether the operation is deprecated.
    pub deprecated: bool,
    /// Token tiers allowed to call the operation (`x-crisp-tiers`); empty when unstated.
    pub tiers: Vec<String>,
    /// Plugin scope needed (`x-crisp-scope`).
    pub scope: Option<String>,
    /// Web hook events the operation fires (`x-crisp-webhook-events`).
    pub webhook_events: Vec<String>,
    /// How the operation pages (`x-crisp-pagination`).
    pub pagination: Option<Pagination>,
    /// The Node client methods this operation serves (`x-crisp-node-methods`).
    pub node_methods: Vec<String>,
    /// Whether Crisp reserves the operation for its own apps (`x-crisp-internal`); such
    /// operations are compiled only with the `internal` cargo feature.
    pub internal: bool,
    /// Whether the operation answers where the real-time socket of its tier's tokens is
    /// (`x-crisp-rtm-endpoints`): the client calls it before listening to events.
    pub rtm_endpoints: bool,
    /// The name of the operation's own tool in the MCP server (`x-crisp-mcp`), which puts it
    /// in the default toolset.
    pub mcp_tool: Option<String>,
}

/// How a list operation pages through results.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pagination {
    /// A `{page_number}` path segment, from 1 until an empty page.
    PageNumber,
    /// A `timestamp_before` query parameter, going back in time.
    TimestampBefore,
}

impl Pagination {
    /// The extension value that names this kind of pagination.
    pub fn as_str(self) -> &'static str {
        match self {
            Pagination::PageNumber => "page_number",
            Pagination::TimestampBefore => "timestamp_before",
        }
    }
}

/// The HTTP methods the generator supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum HttpMethod {
    /// `GET`.
    Get,
    /// `HEAD`.
    Head,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
}

impl HttpMethod {
    /// The method as HTTP spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Head => "HEAD",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }
}

/// Where a parameter travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamLocation {
    /// A `{name}` segment of the path.
    Path,
    /// A query string pair.
    Query,
    /// A request header.
    Header,
}

/// One parameter of an operation.
#[derive(Debug)]
pub struct Param {
    /// The Rust name paired with the wire name.
    pub name: Name,
    /// Where it travels.
    pub location: ParamLocation,
    /// Whether the caller must give it.
    pub required: bool,
    /// Its type.
    pub ty: TypeRef,
    /// Its description.
    pub description: Option<String>,
    /// Whether a path parameter may span several segments (`x-crisp-multi-segment`), so
    /// that its `/` travel unencoded; only the last placeholder of a path can.
    pub multi_segment: bool,
    /// The parameter's example value, when the spec gives one.
    pub example: Option<serde_json::Value>,
    /// Where it is in the spec.
    pub pointer: Pointer,
}

/// The request body of an operation.
#[derive(Debug)]
pub struct Body {
    /// Whether the body must be sent.
    pub required: bool,
    /// Its type.
    pub ty: TypeRef,
    /// Its description.
    pub description: Option<String>,
    /// The body's example, when the spec gives one.
    pub example: Option<serde_json::Value>,
    /// The JSON pointer of the body (the operation's `requestBody`, or the component it refers to).
    pub pointer: Pointer,
}

/// What a successful call answers.
#[derive(Debug)]
pub enum Response {
    /// An envelope whose `data` has this type.
    Data(TypeRef),
    /// An envelope without `data`, or no content at all.
    Empty,
    /// A `HEAD` route: the resource exists (200) or not (404).
    Exists,
}

/// A reference to a type: a primitive, a container, or a named type of the arena.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeRef {
    /// A string.
    String,
    /// A boolean.
    Bool,
    /// An integer of this width and signedness.
    Int(IntType),
    /// A 32-bit float.
    F32,
    /// A 64-bit float.
    F64,
    /// Any JSON value.
    Any,
    /// A JSON object of unknown shape.
    FreeObject,
    /// An array of items.
    Array(Box<TypeRef>),
    /// An object used as a map from strings to values.
    Map(Box<TypeRef>),
    /// A named type of the arena.
    Named(TypeId),
}

impl TypeRef {
    /// Whether the type is a JSON object or array, which query strings carry JSON-encoded.
    pub fn is_structured(&self, types: &[TypeDef]) -> bool {
        match self {
            TypeRef::Array(_) | TypeRef::Map(_) | TypeRef::FreeObject | TypeRef::Any => true,
            TypeRef::Named(id) => match &types[id.0].kind {
                TypeKind::Enum { .. } => false,
                TypeKind::Alias(inner) => inner.is_structured(types),
                TypeKind::Struct { .. } | TypeKind::OneOf { .. } => true,
            },
            _ => false,
        }
    }

    /// The named type this reference holds, through arrays and maps.
    pub fn named(&self) -> Option<TypeId> {
        match self {
            TypeRef::Named(id) => Some(*id),
            TypeRef::Array(inner) | TypeRef::Map(inner) => inner.named(),
            _ => None,
        }
    }

    /// Whether the type is `Copy` in Rust, so arguments take it by value.
    pub fn is_copy(&self) -> bool {
        matches!(
            self,
            TypeRef::Bool | TypeRef::Int(_) | TypeRef::F32 | TypeRef::F64
        )
    }
}

/// Integer widths, from the schema's `format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntType {
    /// `int8`.
    I8,
    /// `int16`.
    I16,
    /// `int32`.
    I32,
    /// `int64`, and integers without a format.
    I64,
    /// `uint8`.
    U8,
    /// `uint16`.
    U16,
    /// `uint32`.
    U32,
    /// `uint64`.
    U64,
}

impl IntType {
    /// The Rust type name.
    pub fn rust(self) -> &'static str {
        match self {
            IntType::I8 => "i8",
            IntType::I16 => "i16",
            IntType::I32 => "i32",
            IntType::I64 => "i64",
            IntType::U8 => "u8",
            IntType::U16 => "u16",
            IntType::U32 => "u32",
            IntType::U64 => "u64",
        }
    }

    /// Parses an OpenAPI integer `format`.
    pub fn from_format(format: &str) -> Option<IntType> {
        Some(match format {
            "int8" => IntType::I8,
            "int16" => IntType::I16,
            "int32" => IntType::I32,
            "int64" => IntType::I64,
            "uint8" => IntType::U8,
            "uint16" => IntType::U16,
            "uint32" => IntType::U32,
            "uint64" => IntType::U64,
            _ => return None,
        })
    }
}

/// Where a named type's code goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Home {
    /// Shared components, used from anywhere.
    Components,
    /// The module of one area, next to the operation that first used it.
    Area(AreaId),
}

/// A named type.
#[derive(Debug)]
pub struct TypeDef {
    /// The Rust type name, unique in the models crate.
    pub name: String,
    /// The component name in the spec, for component schemas.
    pub component: Option<String>,
    /// Documentation lines.
    pub description: Option<String>,
    /// What the type is.
    pub kind: TypeKind,
    /// Which module it goes into.
    pub home: Home,
    /// Whether the type stays out of the generated code (the envelope, which the runtime models).
    pub hidden: bool,
    /// Whether only internal operations use the type, so it is compiled with the `internal`
    /// feature only.
    pub internal: bool,
    /// The schema's own example, when the spec gives one.
    pub example: Option<serde_json::Value>,
    /// Where it is in the spec.
    pub pointer: Pointer,
}

/// The shape of a named type.
#[derive(Debug)]
pub enum TypeKind {
    /// An object with known properties.
    Struct {
        /// Its fields in spec order.
        fields: Vec<Field>,
    },
    /// A string enum that keeps unknown values.
    Enum {
        /// Its known values in spec order.
        variants: Vec<EnumVariant>,
    },
    /// One of several shapes.
    OneOf {
        /// The property that tells the variants apart, when there is one.
        discriminator: Option<String>,
        /// The variants in spec order.
        variants: Vec<Variant>,
    },
    /// Another name for a type (a component that is an array, a map or a primitive).
    Alias(TypeRef),
}

/// A field of a struct.
#[derive(Debug)]
pub struct Field {
    /// The Rust name paired with the JSON key.
    pub name: Name,
    /// Its type.
    pub ty: TypeRef,
    /// Whether the key must be present.
    pub required: bool,
    /// Whether the value may be `null`.
    pub nullable: bool,
    /// Whether the field must be boxed to break a cycle of types.
    pub boxed: bool,
    /// Its description.
    pub description: Option<String>,
    /// Where it is in the spec.
    pub pointer: Pointer,
}

/// The name of the variant that keeps values a string enum does not know: `Other`, unless a
/// known value already has that name (Crisp has an `other` category), then `Unknown`, then
/// `Unrecognized`; `None` when all three are taken.
pub fn enum_fallback(variants: &[EnumVariant]) -> Option<&'static str> {
    ["Other", "Unknown", "Unrecognized"]
        .into_iter()
        .find(|name| variants.iter().all(|v| v.name.ident != *name))
}

/// The name of the variant that keeps the values a tagged union does not know: `Other`, unless
/// a variant already has that name (a tag `other`), then `Unknown`, then `Unrecognized`;
/// `None` when all three are taken.
pub fn one_of_fallback(variants: &[Variant]) -> Option<&'static str> {
    ["Other", "Unknown", "Unrecognized"]
        .into_iter()
        .find(|name| variants.iter().all(|v| v.name != *name))
}

/// A known value of a string enum.
#[derive(Debug)]
pub struct EnumVariant {
    /// The variant name paired with the wire value.
    pub name: Name,
    /// The JSON pointer of the value in the schema's `enum`.
    pub pointer: Pointer,
}

/// A variant of a `oneOf`.
#[derive(Debug)]
pub struct Variant {
    /// The variant's name in Rust.
    pub name: String,
    /// The discriminator values that select it (tagged unions only).
    pub tags: Vec<String>,
    /// Its type.
    pub ty: TypeRef,
    /// The JSON pointer of the alternative in the schema's `oneOf`.
    pub pointer: Pointer,
}
