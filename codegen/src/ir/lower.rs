//! Lowering: `openapiv3` → IR. Resolves `$ref`s, names inline types and reports local problems.
//!
//! Every problem becomes a diagnostic with the JSON pointer of the spec node and lowering goes
//! on, so one run reports everything. Lowering never panics on input.

use indexmap::IndexMap;
use openapiv3::{
    AdditionalProperties, AnySchema, MediaType, ObjectType, OpenAPI, Parameter, ReferenceOr,
    RequestBody, Schema, SchemaKind, StatusCode, Type, VariantOrUnknownOrEmpty,
};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

use super::{
    Api, Area, AreaId, Body, EnumVariant, Event, Field, Home, HttpMethod, IntType, Operation,
    OperationDocs, Pagination, Param, ParamLocation, PathTemplate, Response, TypeDef, TypeId,
    TypeKind, TypeRef, Variant,
};
use crate::diag::{Diagnostic, Diagnostics, escape_pointer_token, unescape_pointer_token};
use crate::load::Spec;
use crate::naming::{Name, join_type, pascal, snake};

/// The only media type bodies may use.
const JSON: &str = "application/json";

/// The top-level extension that declares the events.
const EVENTS: &str = "x-crisp-events";

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

/// The keys an entry of `x-crisp-events` may have.
const EVENT_KEYS: &[&str] = &[
    "description",
    "webhook-documented",
    "internal",
    "fired-by",
    "scope",
    "payload",
    "example",
];

/// Lowers a loaded spec into the IR, or returns every problem found.
pub fn lower(spec: &Spec) -> Result<Api, Diagnostics> {
    let mut lowerer = Lowerer::new(spec);
    lowerer.lower_components();
    lowerer.lower_paths();
    lowerer.lower_top_level_extensions();
    let events_declared = spec.api.extensions.contains_key(EVENTS);
    let Lowerer {
        diags,
        types,
        areas,
        operations,
        events,
        ..
    } = lowerer;
    let base_url = spec
        .api
        .servers
        .first()
        .map(|s| s.url.clone())
        .unwrap_or_default();
    let base_path = base_path_of(&base_url);
    let mut api = Api {
        title: spec.api.info.title.clone(),
        base_url,
        base_path,
        areas,
        operations,
        types,
        type_uses: Vec::new(),
        events,
        events_declared,
    };
    let mut diags = diags;
    if spec.api.servers.is_empty() {
        diags.push(
            spec.diag("/servers", "the spec declares no server")
                .with_help("add `servers: [{url: https://api.crisp.chat/v1}]`"),
        );
    }
    super::check::check(spec, &mut api, &mut diags);
    diags.into_result(api)
}

/// The path part of a server URL, without a trailing slash (`https://x/v1/` → `/v1`).
fn base_path_of(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("", |at| &after_scheme[at..]);
    path.trim_end_matches('/').to_owned()
}

/// Whether a pointer names a component schema itself (`/components/schemas/Name`).
fn is_component_pointer(pointer: &str) -> bool {
    pointer
        .strip_prefix("/components/schemas/")
        .is_some_and(|name| !name.is_empty() && !name.contains('/'))
}

/// Appends one token to a JSON pointer.
pub(crate) fn ptr(base: &str, token: &str) -> String {
    format!("{base}/{}", escape_pointer_token(token))
}

/// Where a schema is met, which decides the name of an inline type.
#[derive(Clone)]
struct Ctx {
    /// The name an inline type met here gets.
    name: String,
    /// The module it goes into.
    home: Home,
}

impl Ctx {
    fn child(&self, suffix: &str) -> Ctx {
        Ctx {
            name: join_type(&[&self.name, suffix]),
            home: self.home,
        }
    }
}

/// Properties met in an object or in the parts of an `allOf`, each with the pointer where
/// it is written; the names required, each with the pointer of its `required` list.
#[derive(Default)]
struct Gathered {
    properties: IndexMap<String, (ReferenceOr<Box<Schema>>, String)>,
    required: IndexMap<String, String>,
}

impl Gathered {
    /// Adds an object's properties (a later one of the same name wins) and required names.
    fn add(
        &mut self,
        properties: &IndexMap<String, ReferenceOr<Box<Schema>>>,
        required: &[String],
        pointer: &str,
    ) {
        for (key, property) in properties {
            let at = ptr(&ptr(pointer, "properties"), key);
            self.properties.insert(key.clone(), (property.clone(), at));
        }
        for name in required {
            self.required
                .entry(name.clone())
                .or_insert_with(|| ptr(pointer, "required"));
        }
    }
}

struct Lowerer<'a> {
    spec: &'a Spec,
    api: &'a OpenAPI,
    diags: Diagnostics,
    types: Vec<TypeDef>,
    component_ids: BTreeMap<String, TypeId>,
    areas: Vec<Area>,
    operations: Vec<Operation>,
    events: Vec<Event>,
    /// The cycles of `allOf` merges already reported, by their members.
    all_of_cycles: BTreeSet<BTreeSet<String>>,
    /// The inline schemas being lowered, by where they are written. `allOf` copies the
    /// properties of the schemas it merges, so an inline schema can meet itself again.
    inline_active: Vec<String>,
}

impl<'a> Lowerer<'a> {
    fn new(spec: &'a Spec) -> Self {
        let mut areas = Vec::new();
        for tag in &spec.api.tags {
            areas.push(new_area(&tag.name, tag.description.clone()));
        }
        Lowerer {
            spec,
            api: &spec.api,
            diags: Diagnostics::new(spec.file.clone()),
            types: Vec::new(),
            component_ids: BTreeMap::new(),
            areas,
            operations: Vec::new(),
            events: Vec::new(),
            all_of_cycles: BTreeSet::new(),
            inline_active: Vec::new(),
        }
    }

    #[track_caller]
    fn error(&mut self, pointer: &str, message: impl Into<String>, help: impl Into<String>) {
        let diagnostic: Diagnostic = self.spec.diag(pointer, message).with_help(help);
        // A schema met twice (its own lowering, then merged by an `allOf`) has its problems
        // reported once.
        if !self.diags.iter().any(|known| *known == diagnostic) {
            self.diags.push(diagnostic);
        }
    }

    /// Adds an inline type, naming it by the collision rule.
    ///
    /// An inline type is named after where it is met (`ListConversationsData`). When another
    /// type already has that name, an area's type is qualified by its area
    /// (`WebsitePeopleListConversationsData`); a name still taken is left for `check` to report.
    fn push_inline(&mut self, mut def: TypeDef) {
        let taken = |types: &[TypeDef], name: &str| types.iter().any(|other| other.name == name);
        if taken(&self.types, &def.name) {
            if let Home::Area(area) = def.home {
                let qualified = format!("{}{}", self.areas[area].type_name, def.name);
                if !taken(&self.types, &qualified) {
                    def.name = qualified;
                }
            }
        }
        self.types.push(def);
    }

    // ----- components -----

    /// Reserves an id for every component schema first, so references (and cycles) resolve,
    /// then lowers each one.
    fn lower_components(&mut self) {
        let Some(components) = &self.api.components else {
            return;
        };
        for (name, schema) in &components.schemas {
            let id = TypeId(self.types.len());
            self.types.push(TypeDef {
                name: pascal(name).ident,
                component: Some(name.clone()),
                description: None,
                kind: TypeKind::Alias(TypeRef::Any),
                home: Home::Components,
                // Known before any schema is lowered, so a `$ref` to it can be refused.
                hidden: is_envelope(schema),
                internal: false,
                example: None,
                pointer: ptr("/components/schemas", name),
            });
            self.component_ids.insert(name.clone(), id);
        }
        for (name, schema) in &components.schemas {
            let id = self.component_ids[name];
            let pointer = ptr("/components/schemas", name);
            if is_envelope(schema) {
                // The envelope is modelled once, by hand, in the runtime crate.
                self.types[id.0].hidden = true;
                continue;
            }
            let ctx = Ctx {
                name: pascal(name).ident,
                home: Home::Components,
            };
            let (kind, description, example) = match schema {
                ReferenceOr::Reference { reference } => (
                    TypeKind::Alias(self.resolve_schema_ref(reference, &pointer)),
                    None,
                    None,
                ),
                ReferenceOr::Item(schema) => (
                    self.lower_kind(schema, &pointer, &ctx),
                    schema.schema_data.description.clone(),
                    schema.schema_data.example.clone(),
                ),
            };
            let def = &mut self.types[id.0];
            def.kind = kind;
            def.description = description;
            def.example = example;
        }
    }

    fn resolve_schema_ref(&mut self, reference: &str, pointer: &str) -> TypeRef {
        match reference
            .strip_prefix("#/components/schemas/")
            .and_then(|n| self.component_ids.get(n))
        {
            // The envelope is the runtime's, and only wraps answers: no model holds one.
            Some(id) if self.types[id.0].hidden => {
                self.error(
                    pointer,
                    format!("`$ref: {reference}` points at the envelope, which only wraps the answers of operations"),
                    "refer to the schema of the answer's `data` instead, or use the envelope only in a response",
                );
                TypeRef::Any
            }
            Some(id) => TypeRef::Named(*id),
            None => {
                self.error(
                    pointer,
                    format!("`$ref: {reference}` points at no schema"),
                    "refer to a schema under `#/components/schemas/`, or add the missing schema",
                );
                TypeRef::Any
            }
        }
    }

    /// Finds the component schema a reference points at, following chains of references.
    fn component_schema(&self, reference: &str) -> Option<(&'a Schema, String)> {
        let mut reference = reference.to_owned();
        for _ in 0..32 {
            let name = reference.strip_prefix("#/components/schemas/")?;
            match self.api.components.as_ref()?.schemas.get(name)? {
                ReferenceOr::Item(schema) => {
                    return Some((schema, ptr("/components/schemas", name)));
                }
                ReferenceOr::Reference { reference: next } => reference = next.clone(),
            }
        }
        None
    }

    // ----- schemas -----

    /// Lowers a schema where it is used: a reference, a primitive, or a new named type.
    fn lower_ref(&mut self, schema: &ReferenceOr<Schema>, pointer: &str, ctx: &Ctx) -> TypeRef {
        match schema {
            ReferenceOr::Reference { reference } => self.resolve_schema_ref(reference, pointer),
            ReferenceOr::Item(schema) => self.lower_inline(schema, pointer, ctx),
        }
    }

    fn lower_boxed_ref(
        &mut self,
        schema: &ReferenceOr<Box<Schema>>,
        pointer: &str,
        ctx: &Ctx,
    ) -> TypeRef {
        match schema {
            ReferenceOr::Reference { reference } => self.resolve_schema_ref(reference, pointer),
            ReferenceOr::Item(schema) => self.lower_inline(schema, pointer, ctx),
        }
    }

    /// Lowers an inline schema; structs, enums and unions become named types.
    fn lower_inline(&mut self, schema: &Schema, pointer: &str, ctx: &Ctx) -> TypeRef {
        if self.inline_active.iter().any(|active| active == pointer) {
            // Only `allOf` gets here: it merged a schema holding this one into this one.
            self.error(
                pointer,
                "this schema contains itself: an `allOf` merges a schema that holds it",
                "move the schema into `components/schemas` and refer to it with `$ref`",
            );
            return TypeRef::Any;
        }
        if let Some(direct) = self.direct_type(schema, pointer, ctx) {
            return direct;
        }
        self.inline_active.push(pointer.to_owned());
        let kind = self.lower_kind(schema, pointer, ctx);
        self.inline_active.pop();
        if let TypeKind::Alias(inner) = kind {
            return inner;
        }
        let id = TypeId(self.types.len());
        self.push_inline(TypeDef {
            name: ctx.name.clone(),
            component: None,
            description: schema
                .schema_data
                .description
                .clone()
                .or_else(|| schema.schema_data.title.clone()),
            kind,
            home: ctx.home,
            hidden: false,
            internal: false,
            example: schema.schema_data.example.clone(),
            pointer: pointer.to_owned(),
        });
        TypeRef::Named(id)
    }

    /// A schema that needs no named type of its own: a one-element `allOf` around a reference.
    fn direct_type(&mut self, schema: &Schema, pointer: &str, ctx: &Ctx) -> Option<TypeRef> {
        if let SchemaKind::AllOf { all_of } = &schema.schema_kind {
            if let [only] = all_of.as_slice() {
                return Some(self.lower_ref(only, &ptr(&ptr(pointer, "allOf"), "0"), ctx));
            }
        }
        None
    }

    /// Lowers the shape of a schema; primitives and containers come back as an alias.
    fn lower_kind(&mut self, schema: &Schema, pointer: &str, ctx: &Ctx) -> TypeKind {
        match &schema.schema_kind {
            SchemaKind::Type(Type::String(string)) => {
                let values: Vec<&String> = string.enumeration.iter().flatten().collect();
                if values.is_empty() {
                    TypeKind::Alias(TypeRef::String)
                } else {
                    let variants = values
                        .into_iter()
                        .map(|value| EnumVariant {
                            name: pascal(value),
                        })
                        .collect();
                    TypeKind::Enum { variants }
                }
            }
            SchemaKind::Type(Type::Boolean(_)) => TypeKind::Alias(TypeRef::Bool),
            SchemaKind::Type(Type::Integer(integer)) => {
                TypeKind::Alias(self.integer(&integer.format, &ptr(pointer, "format")))
            }
            SchemaKind::Type(Type::Number(number)) => TypeKind::Alias(match &number.format {
                VariantOrUnknownOrEmpty::Item(openapiv3::NumberFormat::Float) => TypeRef::F32,
                VariantOrUnknownOrEmpty::Unknown(f) if f == "float32" => TypeRef::F32,
                _ => TypeRef::F64,
            }),
            SchemaKind::Type(Type::Array(array)) => {
                let item = match &array.items {
                    Some(items) => {
                        self.lower_boxed_ref(items, &ptr(pointer, "items"), &ctx.child("Item"))
                    }
                    None => TypeRef::Any,
                };
                TypeKind::Alias(TypeRef::Array(Box::new(item)))
            }
            SchemaKind::Type(Type::Object(object)) => self.lower_object(object, pointer, ctx),
            SchemaKind::OneOf { one_of } => self.lower_one_of(schema, one_of, pointer, ctx),
            SchemaKind::AllOf { all_of } => self.lower_all_of(all_of, pointer, ctx),
            SchemaKind::AnyOf { .. } => {
                self.error(
                    &ptr(pointer, "anyOf"),
                    "`anyOf` is not supported",
                    "use `oneOf` (the generator tries the alternatives in order)",
                );
                TypeKind::Alias(TypeRef::Any)
            }
            SchemaKind::Not { .. } => {
                self.error(
                    &ptr(pointer, "not"),
                    "`not` is not supported",
                    "describe the accepted shape instead of the rejected one",
                );
                TypeKind::Alias(TypeRef::Any)
            }
            SchemaKind::Any(any) => self.lower_any(any, pointer, ctx),
        }
    }

    fn integer(
        &mut self,
        format: &VariantOrUnknownOrEmpty<openapiv3::IntegerFormat>,
        pointer: &str,
    ) -> TypeRef {
        match format {
            VariantOrUnknownOrEmpty::Empty => TypeRef::Int(IntType::I64),
            VariantOrUnknownOrEmpty::Item(openapiv3::IntegerFormat::Int32) => {
                TypeRef::Int(IntType::I32)
            }
            VariantOrUnknownOrEmpty::Item(openapiv3::IntegerFormat::Int64) => {
                TypeRef::Int(IntType::I64)
            }
            VariantOrUnknownOrEmpty::Unknown(format) => match IntType::from_format(format) {
                Some(int) => TypeRef::Int(int),
                None => {
                    self.error(
                        pointer,
                        format!("unknown integer format `{format}`"),
                        "use one of int8, int16, int32, int64, uint8, uint16, uint32, uint64",
                    );
                    TypeRef::Int(IntType::I64)
                }
            },
        }
    }

    fn lower_object(&mut self, object: &ObjectType, pointer: &str, ctx: &Ctx) -> TypeKind {
        if object.properties.is_empty() {
            // (`allOf` parts, which may require what another part declares, are merged
            // elsewhere.)
            if let Some(name) = object.required.first() {
                self.error(
                    &ptr(pointer, "required"),
                    format!("`{name}` is required, but the object declares no properties"),
                    format!("declare `{name}` under `properties`, or remove `required`"),
                );
            }
            return TypeKind::Alias(self.additional(
                object.additional_properties.as_ref(),
                pointer,
                ctx,
            ));
        }
        if matches!(
            object.additional_properties,
            Some(AdditionalProperties::Schema(_))
        ) {
            self.error(
                &ptr(pointer, "additionalProperties"),
                "an object with both `properties` and typed `additionalProperties` is not supported",
                "move the known properties into their own object, or drop `additionalProperties`",
            );
        }
        let fields = self.fields(&object.properties, &object.required, pointer, ctx);
        TypeKind::Struct { fields }
    }

    fn additional(
        &mut self,
        additional: Option<&AdditionalProperties>,
        pointer: &str,
        ctx: &Ctx,
    ) -> TypeRef {
        match additional {
            Some(AdditionalProperties::Schema(value)) => {
                let value = self.lower_ref(
                    value,
                    &ptr(pointer, "additionalProperties"),
                    &ctx.child("Value"),
                );
                TypeRef::Map(Box::new(value))
            }
            _ => TypeRef::FreeObject,
        }
    }

    fn fields(
        &mut self,
        properties: &IndexMap<String, ReferenceOr<Box<Schema>>>,
        required: &[String],
        pointer: &str,
        ctx: &Ctx,
    ) -> Vec<Field> {
        let mut gathered = Gathered::default();
        gathered.add(properties, required, pointer);
        self.gathered_fields(gathered, ctx)
    }

    /// The fields of properties gathered from one object or from the parts of an `allOf`;
    /// each field keeps the pointer of the property it was written as.
    fn gathered_fields(&mut self, gathered: Gathered, ctx: &Ctx) -> Vec<Field> {
        let mut fields = Vec::new();
        for (key, (property, field_pointer)) in &gathered.properties {
            let name = snake(key);
            let ty = self.lower_boxed_ref(property, field_pointer, &ctx.child(key));
            let (nullable, description) = match property {
                ReferenceOr::Item(schema) => (
                    schema.schema_data.nullable,
                    schema.schema_data.description.clone(),
                ),
                ReferenceOr::Reference { reference } => match self.component_schema(reference) {
                    Some((schema, _)) => (schema.schema_data.nullable, None),
                    None => (false, None),
                },
            };
            fields.push(Field {
                name,
                ty,
                required: gathered.required.contains_key(key),
                nullable,
                boxed: false,
                description,
                pointer: field_pointer.clone(),
            });
        }
        for (key, required_pointer) in &gathered.required {
            if !gathered.properties.contains_key(key) {
                self.error(
                    required_pointer,
                    format!("`{key}` is required but is not a property"),
                    format!("add `{key}` under `properties`, or remove it from `required`"),
                );
            }
        }
        fields
    }

    /// Merges the parts of an `allOf` into one struct: properties in order, later ones winning.
    fn lower_all_of(
        &mut self,
        all_of: &[ReferenceOr<Schema>],
        pointer: &str,
        ctx: &Ctx,
    ) -> TypeKind {
        let mut gathered = Gathered::default();
        // A component's own `allOf` starts the chain of components being merged.
        let mut merging: Vec<String> = Vec::new();
        if is_component_pointer(pointer) {
            merging.push(pointer.to_owned());
        }
        let mut ok = true;
        for (index, part) in all_of.iter().enumerate() {
            let part_pointer = ptr(&ptr(pointer, "allOf"), &index.to_string());
            ok &= self.collect_object(part, &part_pointer, &mut gathered, &mut merging);
        }
        if !ok {
            return TypeKind::Alias(TypeRef::Any);
        }
        let fields = self.gathered_fields(gathered, ctx);
        TypeKind::Struct { fields }
    }

    /// Gathers the properties of one `allOf` part, following references and nested `allOf`s.
    ///
    /// `merging` holds the component schemas being merged, outermost first: a reference to
    /// one of them closes a cycle, reported once per cycle.
    fn collect_object(
        &mut self,
        part: &ReferenceOr<Schema>,
        pointer: &str,
        gathered: &mut Gathered,
        merging: &mut Vec<String>,
    ) -> bool {
        let (schema, pointer, component) = match part {
            ReferenceOr::Item(schema) => (schema, pointer.to_owned(), false),
            ReferenceOr::Reference { reference } => match self.component_schema(reference) {
                Some((schema, target)) => {
                    if let Some(at) = merging.iter().position(|active| *active == target) {
                        let name = |at: &String| {
                            unescape_pointer_token(at.rsplit('/').next().unwrap_or_default())
                        };
                        let members: BTreeSet<String> = merging[at..].iter().cloned().collect();
                        if self.all_of_cycles.insert(members) {
                            let chain: Vec<String> = merging[at..]
                                .iter()
                                .chain([&target])
                                .map(|at| format!("`{}`", name(at)))
                                .collect();
                            self.error(
                                pointer,
                                format!(
                                    "`allOf` merges `{}` into itself: {} merges {}",
                                    name(&target),
                                    chain[0],
                                    chain[1..].join(", which merges ")
                                ),
                                "break the cycle: merge the shared properties from a schema that refers to none of these",
                            );
                        }
                        return false;
                    }
                    merging.push(target.clone());
                    (schema, target, true)
                }
                None => {
                    self.resolve_schema_ref(reference, pointer);
                    return false;
                }
            },
        };
        let ok = self.collect_parts(schema, &pointer, gathered, merging);
        if component {
            merging.pop();
        }
        ok
    }

    /// Gathers the properties of one schema met as an `allOf` part.
    fn collect_parts(
        &mut self,
        schema: &Schema,
        pointer: &str,
        gathered: &mut Gathered,
        merging: &mut Vec<String>,
    ) -> bool {
        let pointer = pointer.to_owned();
        match &schema.schema_kind {
            SchemaKind::Type(Type::Object(object)) => {
                gathered.add(&object.properties, &object.required, &pointer);
                true
            }
            SchemaKind::Any(any)
                if any.typ.as_deref().is_none_or(|t| t == "object") && any.one_of.is_empty() =>
            {
                gathered.add(&any.properties, &any.required, &pointer);
                true
            }
            SchemaKind::AllOf { all_of } => {
                let mut ok = true;
                for (index, inner) in all_of.iter().enumerate() {
                    let inner_pointer = ptr(&ptr(&pointer, "allOf"), &index.to_string());
                    ok &= self.collect_object(inner, &inner_pointer, gathered, merging);
                }
                ok
            }
            _ => {
                self.error(
                    &pointer,
                    "every part of an `allOf` must be an object",
                    "merge objects only; use `oneOf` for alternatives",
                );
                false
            }
        }
    }

    fn lower_one_of(
        &mut self,
        schema: &Schema,
        one_of: &[ReferenceOr<Schema>],
        pointer: &str,
        ctx: &Ctx,
    ) -> TypeKind {
        let discriminator = schema.schema_data.discriminator.as_ref();
        let mut variants: Vec<Variant> = Vec::new();
        for (index, option) in one_of.iter().enumerate() {
            let option_pointer = ptr(&ptr(pointer, "oneOf"), &index.to_string());
            let ty = self.lower_ref(
                option,
                &option_pointer,
                &ctx.child(&variant_hint(option, index)),
            );
            let mut name = self.variant_name(option, &ty);
            let mut tags = Vec::new();
            if let Some(discriminator) = discriminator {
                let ReferenceOr::Reference { reference } = option else {
                    self.error(
                        &option_pointer,
                        "a variant of a `oneOf` with a `discriminator` must be a `$ref`",
                        "move the variant into `components/schemas` and refer to it",
                    );
                    continue;
                };
                tags = discriminator
                    .mapping
                    .iter()
                    .filter(|(_, target)| *target == reference)
                    .map(|(tag, _)| tag.clone())
                    .collect();
                if tags.is_empty() {
                    // Without a mapping entry, the tag is the component's own name.
                    tags.push(reference.rsplit('/').next().unwrap_or_default().to_owned());
                }
                name = pascal(&tags[0]).ident;
                self.check_variant_has_tag(
                    reference,
                    &discriminator.property_name,
                    &option_pointer,
                );
            }
            let mut unique = name.clone();
            let mut counter = 2;
            while variants.iter().any(|v| v.name == unique) {
                unique = format!("{name}{counter}");
                counter += 1;
            }
            variants.push(Variant {
                name: unique,
                tags,
                ty,
            });
        }
        if let Some(discriminator) = discriminator {
            for (tag, target) in &discriminator.mapping {
                if !one_of.iter().any(
                    |o| matches!(o, ReferenceOr::Reference { reference } if reference == target),
                ) {
                    self.error(
                        &ptr(&ptr(&ptr(pointer, "discriminator"), "mapping"), tag),
                        format!(
                            "mapping `{tag}` points at `{target}`, which is not one of the variants"
                        ),
                        "map each tag to a `$ref` listed under `oneOf`",
                    );
                }
            }
        }
        TypeKind::OneOf {
            discriminator: discriminator.map(|d| d.property_name.clone()),
            variants,
        }
    }

    fn check_variant_has_tag(&mut self, reference: &str, property: &str, pointer: &str) {
        let Some((schema, _)) = self.component_schema(reference) else {
            return;
        };
        let has = match &schema.schema_kind {
            SchemaKind::Type(Type::Object(object)) => object.required.iter().any(|r| r == property),
            SchemaKind::AllOf { .. } => true,
            _ => false,
        };
        if !has {
            self.error(
                pointer,
                format!(
                    "variant `{reference}` does not require the discriminator property `{property}`"
                ),
                format!("declare `{property}` as a required string property of the variant"),
            );
        }
    }

    fn variant_name(&self, option: &ReferenceOr<Schema>, ty: &TypeRef) -> String {
        if let ReferenceOr::Item(schema) = option {
            if let Some(title) = &schema.schema_data.title {
                return pascal(title).ident;
            }
        }
        match ty {
            TypeRef::String => "String".into(),
            TypeRef::Bool => "Bool".into(),
            TypeRef::Int(_) => "Integer".into(),
            TypeRef::F32 | TypeRef::F64 => "Number".into(),
            TypeRef::Any => "Value".into(),
            TypeRef::FreeObject => "Object".into(),
            TypeRef::Array(_) => "List".into(),
            TypeRef::Map(_) => "Map".into(),
            TypeRef::Named(id) => self.types[id.0].name.clone(),
        }
    }

    fn lower_any(&mut self, any: &AnySchema, pointer: &str, ctx: &Ctx) -> TypeKind {
        if any.not.is_some() {
            self.error(
                &ptr(pointer, "not"),
                "`not` is not supported",
                "describe the accepted shape instead of the rejected one",
            );
            return TypeKind::Alias(TypeRef::Any);
        }
        if !any.any_of.is_empty() {
            self.error(
                &ptr(pointer, "anyOf"),
                "`anyOf` is not supported",
                "use `oneOf` (the generator tries the alternatives in order)",
            );
            return TypeKind::Alias(TypeRef::Any);
        }
        if !any.properties.is_empty() {
            let fields = self.fields(&any.properties, &any.required, pointer, ctx);
            return TypeKind::Struct { fields };
        }
        if any.typ.as_deref() == Some("object") || any.additional_properties.is_some() {
            return TypeKind::Alias(self.additional(
                any.additional_properties.as_ref(),
                pointer,
                ctx,
            ));
        }
        if let Some(typ) = &any.typ {
            self.error(
                pointer,
                format!(
                    "this `type: {typ}` schema mixes keywords the generator cannot read together"
                ),
                "check the keywords against OpenAPI 3.0 (for example `oneOf` beside `type`)",
            );
        }
        TypeKind::Alias(TypeRef::Any)
    }

    // ----- paths and operations -----

    fn lower_paths(&mut self) {
        // openapiv3 keeps only the paths that start with `/`: any other would vanish unseen.
        for key in self.spec.keys_at("/paths").unwrap_or_default() {
            if !key.starts_with('/') && !key.starts_with("x-") {
                self.error(
                    &ptr("/paths", &key),
                    format!("path `{key}` does not start with `/`"),
                    format!("write it `/{key}`: paths are relative to the server URL and start with a slash"),
                );
            }
        }
        for (raw_path, item) in &self.api.paths.paths {
            let path_pointer = ptr("/paths", raw_path);
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
                        &ptr(&path_pointer, &key),
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
                        &ptr(&path_pointer, name),
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
                    let pointer = ptr(&path_pointer, key);
                    if let Some(operation) =
                        self.lower_operation(method, &template, &item.parameters, op, &pointer)
                    {
                        self.operations.push(operation);
                    }
                }
            }
        }
    }

    fn area_of(&mut self, op: &openapiv3::Operation, pointer: &str) -> Option<AreaId> {
        match op.tags.as_slice() {
            [tag] => Some(match self.areas.iter().position(|a| &a.tag == tag) {
                Some(index) => index,
                None => {
                    self.areas.push(new_area(tag, None));
                    self.areas.len() - 1
                }
            }),
            [] => {
                self.error(pointer, "the operation has no tag", "add `tags: [<area>]`, e.g. `tags: [website.conversation]`; the tag decides its client group and server trait");
                None
            }
            _ => {
                self.error(
                    &ptr(pointer, "tags"),
                    "the operation has several tags",
                    "give exactly one tag: the area it belongs to",
                );
                None
            }
        }
    }

    fn lower_operation(
        &mut self,
        method: HttpMethod,
        path: &PathTemplate,
        shared_params: &[ReferenceOr<Parameter>],
        op: &openapiv3::Operation,
        pointer: &str,
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
                ptr(
                    &ptr(
                        pointer.rsplit_once('/').map_or("", |(head, _)| head),
                        "parameters",
                    ),
                    &i.to_string(),
                ),
            )
        });
        let own = op
            .parameters
            .iter()
            .enumerate()
            .map(|(i, p)| (p, ptr(&ptr(pointer, "parameters"), &i.to_string())));
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
            Some(body) => self.lower_body(body, &ptr(pointer, "requestBody"), &ctx.child("Body")),
            None => None,
        };
        let (response, response_example) =
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
            pointer: pointer.to_owned(),
        })
    }

    fn docs(&mut self, op: &openapiv3::Operation, pointer: &str) -> OperationDocs {
        let mut docs = OperationDocs {
            summary: op.summary.clone(),
            description: op.description.clone(),
            deprecated: op.deprecated,
            ..OperationDocs::default()
        };
        for (key, value) in &op.extensions {
            let at = ptr(pointer, key);
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

    // ----- events -----

    /// Checks the top-level `x-crisp-*` extensions and lowers `x-crisp-events`.
    fn lower_top_level_extensions(&mut self) {
        for (key, value) in &self.api.extensions {
            match key.as_str() {
                EVENTS => self.lower_events(value),
                other if other.starts_with("x-crisp-") => {
                    self.error(
                        &ptr("", other),
                        format!("unknown extension `{other}`"),
                        "the extensions are documented at the top of spec/crisp.yaml",
                    );
                }
                _ => {}
            }
        }
    }

    /// Lowers every entry of `x-crisp-events`, in the order the spec writes them.
    fn lower_events(&mut self, value: &Value) {
        let pointer = ptr("", EVENTS);
        let Some(entries) = value.as_object() else {
            self.error(&pointer, "`x-crisp-events` must be a mapping from event names to events", "write `x-crisp-events: {'message:send': {description: ..., webhook-documented: true, payload: {$ref: ...}}}`");
            return;
        };
        // JSON objects come back sorted; the raw document keeps the spec's order.
        let mut names = self.spec.keys_at(&pointer).unwrap_or_default();
        names.retain(|name| entries.contains_key(name));
        for name in entries.keys() {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        for name in names {
            if let Some(entry) = entries.get(&name) {
                let event = self.lower_event(&name, entry, &ptr(&pointer, &name));
                self.events.push(event);
            }
        }
    }

    /// Lowers one event, reporting every problem of its entry.
    ///
    /// An event with problems is still declared (with a JSON payload), so that the operations
    /// naming it are not reported as well.
    fn lower_event(&mut self, name: &str, entry: &Value, pointer: &str) -> Event {
        let mut event = Event {
            name: Name {
                ident: pascal(name).ident,
                wire: name.to_owned(),
            },
            description: None,
            webhook_documented: false,
            internal: false,
            fired_by: Vec::new(),
            scope: None,
            payload: TypeRef::Any,
            example: None,
            pointer: pointer.to_owned(),
        };
        let Some(entry) = entry.as_object() else {
            self.error(
                pointer,
                format!("event `{name}` must be a mapping"),
                "give it `description`, `webhook-documented`, `payload` and `example`",
            );
            return event;
        };
        for key in entry
            .keys()
            .filter(|key| !EVENT_KEYS.contains(&key.as_str()))
        {
            self.error(
                &ptr(pointer, key),
                format!("unknown key `{key}` in event `{name}`"),
                format!(
                    "an event has {}; they are documented at the top of spec/crisp.yaml",
                    EVENT_KEYS
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        event.example = entry.get("example").cloned();
        event.description = match entry.get("description") {
            None => None,
            Some(Value::String(text)) => Some(text.clone()),
            Some(_) => {
                self.error(
                    &ptr(pointer, "description"),
                    format!("the description of event `{name}` must be a string"),
                    "describe in a sentence what happened",
                );
                None
            }
        };
        event.webhook_documented = match entry.get("webhook-documented") {
            Some(Value::Bool(flag)) => *flag,
            Some(_) => {
                self.error(&ptr(pointer, "webhook-documented"), "`webhook-documented` must be `true` or `false`", "`true` when Crisp documents the event as a web hook event, `false` when it is only known as a real-time event");
                false
            }
            None => {
                self.error(
                    pointer,
                    format!(
                        "event `{name}` does not say whether Crisp documents it as a web hook event"
                    ),
                    "add `webhook-documented: true` or `webhook-documented: false`",
                );
                false
            }
        };
        event.internal = match entry.get("internal") {
            None => false,
            Some(Value::Bool(flag)) => *flag,
            Some(_) => {
                self.error(
                    &ptr(pointer, "internal"),
                    "`internal` must be `true` or `false`",
                    "write `internal: true` for an event only Crisp's internal reference names",
                );
                false
            }
        };
        event.fired_by = match entry.get("fired-by").map(|list| {
            list.as_array().map(|items| {
                items
                    .iter()
                    .map(|item| item.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
            })
        }) {
            None => Vec::new(),
            Some(Some(Some(ids))) => ids,
            Some(_) => {
                self.error(
                    &ptr(pointer, "fired-by"),
                    "`fired-by` must be a list of operationIds",
                    "write it as `[changeConversationState, ...]`",
                );
                Vec::new()
            }
        };
        event.scope = match entry.get("scope") {
            None => None,
            Some(Value::String(scope)) if !scope.trim().is_empty() => Some(scope.clone()),
            Some(_) => {
                self.error(&ptr(pointer, "scope"), format!("the scope of event `{name}` must be a plugin scope"), "write it as an operation's `x-crisp-scope` is written, e.g. `scope: website:conversation:messages`");
                None
            }
        };
        let payload_pointer = ptr(pointer, "payload");
        let Some(payload) = entry.get("payload") else {
            self.error(pointer, format!("event `{name}` has no payload"), "add `payload: {$ref: '#/components/schemas/<Name>'}`, the schema of the event's `data`");
            return event;
        };
        // The raw YAML keeps the order of an inline schema's properties; the JSON of the
        // extension has them sorted.
        let parsed = match self.spec.raw_at(&payload_pointer) {
            Some(raw) => serde_path_to_error::deserialize(raw)
                .map_err(|error| (error.path().clone(), error.into_inner().to_string())),
            None => serde_path_to_error::deserialize(payload)
                .map_err(|error| (error.path().clone(), error.into_inner().to_string())),
        };
        let payload: ReferenceOr<Schema> = match parsed {
            Ok(schema) => schema,
            Err((path, message)) => {
                let mut at = payload_pointer.clone();
                for segment in path.iter() {
                    match segment {
                        serde_path_to_error::Segment::Map { key } => at = ptr(&at, key),
                        serde_path_to_error::Segment::Seq { index } => {
                            at = ptr(&at, &index.to_string())
                        }
                        _ => break,
                    }
                }
                self.error(
                    &at,
                    format!("the payload of event `{name}` is not a schema: {message}"),
                    "write a schema, usually `payload: {$ref: '#/components/schemas/<Name>'}`",
                );
                return event;
            }
        };
        let ctx = Ctx {
            name: join_type(&["Event", &event.name.ident]),
            home: Home::Components,
        };
        event.payload = self.lower_ref(&payload, &payload_pointer, &ctx);
        // An inline payload is a type of its own, which says what it carries.
        if let TypeRef::Named(id) = event.payload {
            let def = &mut self.types[id.0];
            if def.component.is_none()
                && def.pointer == payload_pointer
                && def.description.is_none()
            {
                def.description = Some(format!("Payload of the `{name}` event."));
            }
        }
        event
    }

    fn string_list(&mut self, value: &Value, pointer: &str) -> Vec<String> {
        match value.as_array().map(|items| {
            items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
        }) {
            Some(Some(list)) => list,
            _ => {
                let name = pointer.rsplit('/').next().unwrap_or_default().to_owned();
                self.error(
                    pointer,
                    format!("`{name}` must be a list of strings"),
                    format!("write it as a YAML list, e.g. `{name}: [a, b]`"),
                );
                Vec::new()
            }
        }
    }

    fn lower_param(
        &mut self,
        param: &ReferenceOr<Parameter>,
        pointer: &str,
        ctx: &Ctx,
    ) -> Option<Param> {
        let (param, pointer) = match param {
            ReferenceOr::Item(param) => (param, pointer.to_owned()),
            ReferenceOr::Reference { reference } => {
                let found = reference
                    .strip_prefix("#/components/parameters/")
                    .and_then(|name| {
                        let components = self.api.components.as_ref()?;
                        match components.parameters.get(name)? {
                            ReferenceOr::Item(param) => {
                                Some((param, ptr("/components/parameters", name)))
                            }
                            ReferenceOr::Reference { .. } => None,
                        }
                    });
                match found {
                    Some(found) => found,
                    None => {
                        self.error(
                            pointer,
                            format!("`$ref: {reference}` points at no parameter"),
                            "refer to a parameter under `#/components/parameters/`, or add it",
                        );
                        return None;
                    }
                }
            }
        };
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
                    &ptr(&pointer, "content"),
                    "parameters described by `content` are not supported",
                    "describe the parameter with `schema`",
                );
                return None;
            }
        };
        let ty = self.lower_ref(schema, &ptr(&pointer, "schema"), &ctx.child(&data.name));
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
                &ptr(&pointer, "schema"),
                format!(
                    "path parameter `{}` must be a string, a number, a boolean or a string enum",
                    data.name
                ),
                "move structured values to the query, where they travel JSON-encoded",
            );
        }
        if location == ParamLocation::Header && !is_string {
            self.error(
                &ptr(&pointer, "schema"),
                format!("header parameter `{}` must be a string", data.name),
                "declare the header with `type: string`",
            );
        }
        let mut multi_segment = false;
        for (key, value) in &data.extensions {
            let at = ptr(&pointer, key);
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
                &ptr(&pointer, "schema"),
                format!(
                    "multi-segment path parameter `{}` must be a string",
                    data.name
                ),
                "declare it with `type: string`",
            );
        }
        if location == ParamLocation::Path && !data.required {
            self.error(
                &ptr(&pointer, "required"),
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
    fn options_type(
        &mut self,
        params: &[Param],
        prefix: &str,
        home: Home,
        pointer: &str,
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

    fn lower_body(
        &mut self,
        body: &ReferenceOr<RequestBody>,
        pointer: &str,
        ctx: &Ctx,
    ) -> Option<Body> {
        let (body, pointer) = match body {
            ReferenceOr::Item(body) => (body, pointer.to_owned()),
            ReferenceOr::Reference { reference } => {
                let found = reference
                    .strip_prefix("#/components/requestBodies/")
                    .and_then(|name| {
                        match self.api.components.as_ref()?.request_bodies.get(name)? {
                            ReferenceOr::Item(body) => {
                                Some((body, ptr("/components/requestBodies", name)))
                            }
                            ReferenceOr::Reference { .. } => None,
                        }
                    });
                match found {
                    Some(found) => found,
                    None => {
                        self.error(
                            pointer,
                            format!("`$ref: {reference}` points at no request body"),
                            "refer to a body under `#/components/requestBodies/`, or add it",
                        );
                        return None;
                    }
                }
            }
        };
        let media = self.json_media(&body.content, &ptr(&pointer, "content"))?;
        let schema_pointer = ptr(&ptr(&ptr(&pointer, "content"), JSON), "schema");
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
        })
    }

    /// Finds the `application/json` media type of a body, or reports the ones it found.
    fn json_media<'m>(
        &mut self,
        content: &'m IndexMap<String, MediaType>,
        pointer: &str,
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

    fn lower_response(
        &mut self,
        method: HttpMethod,
        op: &openapiv3::Operation,
        pointer: &str,
        ctx: &Ctx,
    ) -> (Response, Option<Value>) {
        let responses_pointer = ptr(pointer, "responses");
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
            return (Response::Empty, None);
        };
        if method == HttpMethod::Head {
            return (Response::Exists, None);
        }
        let response_pointer = ptr(&responses_pointer, &code.to_string());
        let (response, response_pointer) =
            match response {
                ReferenceOr::Item(response) => (response, response_pointer),
                ReferenceOr::Reference { reference } => {
                    let found = reference.strip_prefix("#/components/responses/").and_then(
                        |name| match self.api.components.as_ref()?.responses.get(name)? {
                            ReferenceOr::Item(response) => {
                                Some((response, ptr("/components/responses", name)))
                            }
                            ReferenceOr::Reference { .. } => None,
                        },
                    );
                    match found {
                        Some(found) => found,
                        None => {
                            self.error(
                                &response_pointer,
                                format!("`$ref: {reference}` points at no response"),
                                "refer to a response under `#/components/responses/`, or add it",
                            );
                            return (Response::Empty, None);
                        }
                    }
                }
            };
        if response.content.is_empty() {
            return (Response::Empty, None);
        }
        let content_pointer = ptr(&response_pointer, "content");
        let Some(media) = self.json_media(&response.content, &content_pointer) else {
            return (Response::Empty, None);
        };
        let schema_pointer = ptr(&ptr(&content_pointer, JSON), "schema");
        let Some(schema) = &media.schema else {
            return (Response::Empty, None);
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
            ),
            Ok(None) => (Response::Empty, None),
            Err(()) => {
                self.error(
                    &schema_pointer,
                    "a success response must be Crisp's envelope",
                    "write `allOf: [{$ref: '#/components/schemas/Envelope'}, {type: object, properties: {data: ...}}]`, or refer to the envelope alone when there is no data",
                );
                (Response::Empty, None)
            }
        }
    }

    /// Finds the schema of `data` in an envelope: `Ok(None)` for an envelope without data.
    #[allow(clippy::type_complexity)]
    fn envelope_data(
        &self,
        schema: &ReferenceOr<Schema>,
        pointer: &str,
    ) -> Result<Option<(ReferenceOr<Box<Schema>>, String)>, ()> {
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
            let part_pointer = ptr(&ptr(&pointer, "allOf"), &index.to_string());
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
                data = Some((
                    value.clone(),
                    ptr(&ptr(&part_pointer, "properties"), "data"),
                ));
            }
        }
        if saw_envelope { Ok(data) } else { Err(()) }
    }
}

fn new_area(tag: &str, description: Option<String>) -> Area {
    Area {
        internal: false,
        tag: tag.to_owned(),
        module: crate::naming::module(tag),
        type_name: pascal(tag).ident,
        description,
    }
}

fn variant_hint(option: &ReferenceOr<Schema>, index: usize) -> String {
    match option {
        ReferenceOr::Item(schema) => match &schema.schema_data.title {
            Some(title) => title.clone(),
            None => format!("Variant{}", index + 1),
        },
        ReferenceOr::Reference { .. } => String::new(),
    }
}

fn is_envelope(schema: &ReferenceOr<Schema>) -> bool {
    matches!(schema, ReferenceOr::Item(schema) if is_envelope_schema(schema))
}

fn is_envelope_schema(schema: &Schema) -> bool {
    schema
        .schema_data
        .extensions
        .get("x-crisp-envelope")
        .and_then(Value::as_bool)
        == Some(true)
}
