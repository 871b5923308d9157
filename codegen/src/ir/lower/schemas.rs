//! Lowering of schemas: the component schemas, and the schemas met in place (objects, `allOf`
//! merges, `oneOf` unions, enums, arrays and maps), with the naming of inline types.

use indexmap::IndexMap;
use openapiv3::{
    AdditionalProperties, AnySchema, ObjectType, ReferenceOr, Schema, SchemaKind, Type,
    VariantOrUnknownOrEmpty,
};
use serde_json::Value;
use std::collections::BTreeSet;

use super::super::{
    EnumVariant, Field, Home, IntType, TypeDef, TypeId, TypeKind, TypeRef, Variant,
};
use super::{Ctx, Gathered, Lowerer, is_component_pointer};
use crate::diag::Pointer;
use crate::naming::{pascal, snake};

impl<'a> Lowerer<'a> {
    // ----- components -----

    /// Reserves an id for every component schema first, so references (and cycles) resolve,
    /// then lowers each one.
    pub(super) fn lower_components(&mut self) {
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
                pointer: Pointer::root()
                    .push("components")
                    .push("schemas")
                    .push(name),
            });
            self.component_ids.insert(name.clone(), id);
        }
        for (name, schema) in &components.schemas {
            let id = self.component_ids[name];
            let pointer = Pointer::root()
                .push("components")
                .push("schemas")
                .push(name);
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

    pub(super) fn resolve_schema_ref(&mut self, reference: &str, pointer: &Pointer) -> TypeRef {
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
    pub(super) fn component_schema(&self, reference: &str) -> Option<(&'a Schema, Pointer)> {
        let mut reference = reference.to_owned();
        for _ in 0..32 {
            let name = reference.strip_prefix("#/components/schemas/")?;
            match self.api.components.as_ref()?.schemas.get(name)? {
                ReferenceOr::Item(schema) => {
                    return Some((
                        schema,
                        Pointer::root()
                            .push("components")
                            .push("schemas")
                            .push(name),
                    ));
                }
                ReferenceOr::Reference { reference: next } => reference = next.clone(),
            }
        }
        None
    }

    // ----- schemas -----

    /// Lowers a schema where it is used: a reference, a primitive, or a new named type.
    pub(super) fn lower_ref(
        &mut self,
        schema: &ReferenceOr<Schema>,
        pointer: &Pointer,
        ctx: &Ctx,
    ) -> TypeRef {
        match schema {
            ReferenceOr::Reference { reference } => self.resolve_schema_ref(reference, pointer),
            ReferenceOr::Item(schema) => self.lower_inline(schema, pointer, ctx),
        }
    }

    pub(super) fn lower_boxed_ref(
        &mut self,
        schema: &ReferenceOr<Box<Schema>>,
        pointer: &Pointer,
        ctx: &Ctx,
    ) -> TypeRef {
        match schema {
            ReferenceOr::Reference { reference } => self.resolve_schema_ref(reference, pointer),
            ReferenceOr::Item(schema) => self.lower_inline(schema, pointer, ctx),
        }
    }

    /// Lowers an inline schema; structs, enums and unions become named types.
    pub(super) fn lower_inline(
        &mut self,
        schema: &Schema,
        pointer: &Pointer,
        ctx: &Ctx,
    ) -> TypeRef {
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
    pub(super) fn direct_type(
        &mut self,
        schema: &Schema,
        pointer: &Pointer,
        ctx: &Ctx,
    ) -> Option<TypeRef> {
        if let SchemaKind::AllOf { all_of } = &schema.schema_kind {
            if let [only] = all_of.as_slice() {
                return Some(self.lower_ref(only, &pointer.push("allOf").push("0"), ctx));
            }
        }
        None
    }

    /// Lowers the shape of a schema; primitives and containers come back as an alias.
    pub(super) fn lower_kind(&mut self, schema: &Schema, pointer: &Pointer, ctx: &Ctx) -> TypeKind {
        match &schema.schema_kind {
            SchemaKind::Type(Type::String(string)) => {
                // A `null` among the values is the schema being nullable, not a variant.
                let variants: Vec<EnumVariant> = string
                    .enumeration
                    .iter()
                    .enumerate()
                    .filter_map(|(index, value)| {
                        value.as_ref().map(|value| EnumVariant {
                            name: pascal(value),
                            pointer: pointer.push("enum").push(index),
                        })
                    })
                    .collect();
                if variants.is_empty() {
                    TypeKind::Alias(TypeRef::String)
                } else {
                    TypeKind::Enum { variants }
                }
            }
            SchemaKind::Type(Type::Boolean(_)) => TypeKind::Alias(TypeRef::Bool),
            SchemaKind::Type(Type::Integer(integer)) => {
                TypeKind::Alias(self.integer(&integer.format, &pointer.push("format")))
            }
            SchemaKind::Type(Type::Number(number)) => TypeKind::Alias(match &number.format {
                VariantOrUnknownOrEmpty::Item(openapiv3::NumberFormat::Float) => TypeRef::F32,
                VariantOrUnknownOrEmpty::Unknown(f) if f == "float32" => TypeRef::F32,
                _ => TypeRef::F64,
            }),
            SchemaKind::Type(Type::Array(array)) => {
                let item = match &array.items {
                    Some(items) => {
                        self.lower_boxed_ref(items, &pointer.push("items"), &ctx.child("Item"))
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
                    &pointer.push("anyOf"),
                    "`anyOf` is not supported",
                    "use `oneOf` (the generator tries the alternatives in order)",
                );
                TypeKind::Alias(TypeRef::Any)
            }
            SchemaKind::Not { .. } => {
                self.error(
                    &pointer.push("not"),
                    "`not` is not supported",
                    "describe the accepted shape instead of the rejected one",
                );
                TypeKind::Alias(TypeRef::Any)
            }
            SchemaKind::Any(any) => self.lower_any(any, pointer, ctx),
        }
    }

    pub(super) fn integer(
        &mut self,
        format: &VariantOrUnknownOrEmpty<openapiv3::IntegerFormat>,
        pointer: &Pointer,
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

    pub(super) fn lower_object(
        &mut self,
        object: &ObjectType,
        pointer: &Pointer,
        ctx: &Ctx,
    ) -> TypeKind {
        if object.properties.is_empty() {
            // (`allOf` parts, which may require what another part declares, are merged
            // elsewhere.)
            if let Some(name) = object.required.first() {
                self.error(
                    &pointer.push("required"),
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
                &pointer.push("additionalProperties"),
                "an object with both `properties` and typed `additionalProperties` is not supported",
                "move the known properties into their own object, or drop `additionalProperties`",
            );
        }
        let fields = self.fields(&object.properties, &object.required, pointer, ctx);
        TypeKind::Struct { fields }
    }

    pub(super) fn additional(
        &mut self,
        additional: Option<&AdditionalProperties>,
        pointer: &Pointer,
        ctx: &Ctx,
    ) -> TypeRef {
        match additional {
            Some(AdditionalProperties::Schema(value)) => {
                let value = self.lower_ref(
                    value,
                    &pointer.push("additionalProperties"),
                    &ctx.child("Value"),
                );
                TypeRef::Map(Box::new(value))
            }
            _ => TypeRef::FreeObject,
        }
    }

    pub(super) fn fields(
        &mut self,
        properties: &IndexMap<String, ReferenceOr<Box<Schema>>>,
        required: &[String],
        pointer: &Pointer,
        ctx: &Ctx,
    ) -> Vec<Field> {
        let mut gathered = Gathered::default();
        gathered.add(properties, required, pointer);
        self.gathered_fields(gathered, ctx)
    }

    /// The fields of properties gathered from one object or from the parts of an `allOf`;
    /// each field keeps the pointer of the property it was written as.
    pub(super) fn gathered_fields(&mut self, gathered: Gathered, ctx: &Ctx) -> Vec<Field> {
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
    pub(super) fn lower_all_of(
        &mut self,
        all_of: &[ReferenceOr<Schema>],
        pointer: &Pointer,
        ctx: &Ctx,
    ) -> TypeKind {
        let mut gathered = Gathered::default();
        // A component's own `allOf` starts the chain of components being merged.
        let mut merging: Vec<Pointer> = Vec::new();
        if is_component_pointer(pointer) {
            merging.push(pointer.to_owned());
        }
        let mut ok = true;
        for (index, part) in all_of.iter().enumerate() {
            let part_pointer = pointer.push("allOf").push(index);
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
    pub(super) fn collect_object(
        &mut self,
        part: &ReferenceOr<Schema>,
        pointer: &Pointer,
        gathered: &mut Gathered,
        merging: &mut Vec<Pointer>,
    ) -> bool {
        let (schema, pointer, component) = match part {
            ReferenceOr::Item(schema) => (schema, pointer.to_owned(), false),
            ReferenceOr::Reference { reference } => match self.component_schema(reference) {
                Some((schema, target)) => {
                    if let Some(at) = merging.iter().position(|active| *active == target) {
                        let name = |at: &Pointer| at.tokens().pop().unwrap_or_default();
                        let members: BTreeSet<Pointer> = merging[at..].iter().cloned().collect();
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
    pub(super) fn collect_parts(
        &mut self,
        schema: &Schema,
        pointer: &Pointer,
        gathered: &mut Gathered,
        merging: &mut Vec<Pointer>,
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
                    let inner_pointer = pointer.push("allOf").push(index);
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

    pub(super) fn lower_one_of(
        &mut self,
        schema: &Schema,
        one_of: &[ReferenceOr<Schema>],
        pointer: &Pointer,
        ctx: &Ctx,
    ) -> TypeKind {
        let discriminator = schema.schema_data.discriminator.as_ref();
        let mut variants: Vec<Variant> = Vec::new();
        for (index, option) in one_of.iter().enumerate() {
            let option_pointer = pointer.push("oneOf").push(index);
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
                pointer: option_pointer,
            });
        }
        if let Some(discriminator) = discriminator {
            for (tag, target) in &discriminator.mapping {
                if !one_of.iter().any(
                    |o| matches!(o, ReferenceOr::Reference { reference } if reference == target),
                ) {
                    self.error(
                        &pointer.push("discriminator").push("mapping").push(tag),
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

    pub(super) fn check_variant_has_tag(
        &mut self,
        reference: &str,
        property: &str,
        pointer: &Pointer,
    ) {
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

    pub(super) fn variant_name(&self, option: &ReferenceOr<Schema>, ty: &TypeRef) -> String {
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

    pub(super) fn lower_any(&mut self, any: &AnySchema, pointer: &Pointer, ctx: &Ctx) -> TypeKind {
        if any.not.is_some() {
            self.error(
                &pointer.push("not"),
                "`not` is not supported",
                "describe the accepted shape instead of the rejected one",
            );
            return TypeKind::Alias(TypeRef::Any);
        }
        if !any.any_of.is_empty() {
            self.error(
                &pointer.push("anyOf"),
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
}
pub(super) fn variant_hint(option: &ReferenceOr<Schema>, index: usize) -> String {
    match option {
        ReferenceOr::Item(schema) => match &schema.schema_data.title {
            Some(title) => title.clone(),
            None => format!("Variant{}", index + 1),
        },
        ReferenceOr::Reference { .. } => String::new(),
    }
}

pub(super) fn is_envelope(schema: &ReferenceOr<Schema>) -> bool {
    matches!(schema, ReferenceOr::Item(schema) if is_envelope_schema(schema))
}

pub(super) fn is_envelope_schema(schema: &Schema) -> bool {
    schema
        .schema_data
        .extensions
        .get("x-crisp-envelope")
        .and_then(Value::as_bool)
        == Some(true)
}
