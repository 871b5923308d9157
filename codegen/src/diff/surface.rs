//! The items of the three generated crates, read off the IR as the emitters write them:
//! what `diff` compares.

use std::collections::{BTreeMap, BTreeSet};

use quote::quote;

use super::Crate;
use crate::emit;
use crate::ir::stream::{self, Stream};
use crate::ir::{Api, Home, Operation, Response, TypeKind, TypeRef};

/// The cargo features an item is compiled under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Gate {
    /// In every build.
    Always,
    /// When any of these features is on.
    Any(BTreeSet<String>),
    /// When all of these features are on (two or more).
    All(BTreeSet<String>),
}

impl Gate {
    /// `Any` over `features`, or `Always` for `None`.
    fn any(features: Option<BTreeSet<String>>) -> Gate {
        match features {
            None => Gate::Always,
            Some(set) if set.is_empty() => Gate::Always,
            Some(set) => Gate::Any(set),
        }
    }

    /// `All` over `features`, one feature being `Any` of it and none `Always`.
    fn all(features: BTreeSet<String>) -> Gate {
        match features.len() {
            0 => Gate::Always,
            1 => Gate::Any(features),
            _ => Gate::All(features),
        }
    }

    /// Whether every build that compiles an item gated by `self` also compiles it gated by
    /// `other`.
    pub(super) fn within(&self, other: &Gate) -> bool {
        match (self, other) {
            (_, Gate::Always) => true,
            (Gate::Always, _) => false,
            (Gate::Any(a), Gate::Any(b)) => a.is_subset(b),
            (Gate::All(a), Gate::All(b)) => b.is_subset(a),
            (Gate::All(a), Gate::Any(b)) => !a.is_disjoint(b),
            // A build with one feature of `a` lacks one of the two or more of `b`.
            (Gate::Any(_), Gate::All(_)) => false,
        }
    }

    pub(super) fn describe(&self) -> String {
        let list = |set: &BTreeSet<String>, joint: &str| {
            set.iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(joint)
        };
        match self {
            Gate::Always => "always".to_owned(),
            Gate::Any(set) if set.len() == 1 => format!("with feature {}", list(set, "")),
            Gate::Any(set) => format!("with any of features {}", list(set, ", ")),
            Gate::All(set) => format!("with features {}", list(set, " and ")),
        }
    }
}

/// One item of a generated crate.
#[derive(Clone, Debug)]
pub(super) struct Item {
    /// The area it belongs to.
    pub(super) area: String,
    /// What Rust code relies on, such as a field's type or a method's arguments, as shown.
    pub(super) signature: String,
    /// What of the signature is compared: argument names left out, since Rust passes
    /// arguments by position.
    pub(super) key: String,
    /// The features it is compiled under.
    pub(super) gate: Gate,
    /// The tiers whose clients may call it (client methods only).
    pub(super) tiers: BTreeSet<String>,
    /// Whether it is `#[deprecated]`.
    pub(super) deprecated: bool,
    /// Behaviour and docs, by label.
    pub(super) facts: BTreeMap<&'static str, String>,
}

impl Item {
    fn new(area: &str, signature: String) -> Item {
        Item {
            area: area.to_owned(),
            key: signature.clone(),
            signature,
            gate: Gate::Always,
            tiers: BTreeSet::new(),
            deprecated: false,
            facts: BTreeMap::new(),
        }
    }

    fn key(mut self, key: String) -> Item {
        self.key = key;
        self
    }

    fn deprecated(mut self, deprecated: bool) -> Item {
        self.deprecated = deprecated;
        self
    }

    fn gate(mut self, gate: Gate) -> Item {
        self.gate = gate;
        self
    }

    fn fact(mut self, label: &'static str, value: Option<String>) -> Item {
        if let Some(value) = value {
            self.facts.insert(label, value);
        }
        self
    }
}

/// Every item of the three crates, keyed by crate and path inside it.
pub(super) fn surface(api: &Api) -> BTreeMap<(Crate, String), Item> {
    let mut items = BTreeMap::new();
    models(api, &mut items);
    for (area_id, area) in api.areas_with_operations() {
        let accessor = area.module.clone();
        let gate = Gate::all(area_features(api, area_id));
        items.insert(
            (Crate::Client, format!("Client::{accessor}")),
            Item::new(
                &area.tag,
                format!("`fn {accessor}(&self) -> {}`", area.type_name),
            )
            .gate(gate.clone()),
        );
        let server_gate = Gate::any(area.internal.then(|| ["internal".to_owned()].into()));
        items.insert(
            (Crate::Server, area.type_name.clone()),
            Item::new(&area.tag, "trait".to_owned())
                .gate(server_gate.clone())
                .fact("docs", area.description.clone()),
        );
        items.insert(
            (Crate::Server, format!("RouterBuilder::{accessor}")),
            Item::new(
                &area.tag,
                format!(
                    "`fn {accessor}(self, service: impl {}) -> Self`",
                    area.type_name
                ),
            )
            .gate(server_gate),
        );
        for op in api.operations_of(area_id) {
            operation(api, op, &area.tag, &area.type_name, &mut items);
        }
    }
    items
}

/// The features an area's accessor is compiled under in the client.
fn area_features(api: &Api, area: usize) -> BTreeSet<String> {
    let area = &api.areas[area];
    [if area.internal {
        "internal".to_owned()
    } else {
        area.feature()
    }]
    .into()
}

/// The types of the models crate, with their fields, constructors and variants, and the
/// events.
fn models(api: &Api, items: &mut BTreeMap<(Crate, String), Item>) {
    for (id, def) in api.types.iter().enumerate() {
        if def.hidden {
            continue;
        }
        let area = match def.home {
            Home::Components => "shared types",
            Home::Area(area) => api.areas[area].tag.as_str(),
        };
        let name = &def.name;
        let gate = Gate::any(emit::type_features(api, id));
        let kind = match &def.kind {
            TypeKind::Struct { .. } => "struct".to_owned(),
            TypeKind::Enum { .. } => "string enum".to_owned(),
            TypeKind::OneOf {
                discriminator: Some(property),
                ..
            } => format!("union tagged by `{property}`"),
            TypeKind::OneOf {
                discriminator: None,
                ..
            } => "untagged union".to_owned(),
            TypeKind::Alias(target) => format!("`type {name} = {}`", type_name(api, target)),
        };
        let mut insert = |path: String, item: Item| {
            items.insert((Crate::Models, path), item);
        };
        insert(
            name.clone(),
            Item::new(area, kind)
                .gate(gate)
                .fact("docs", def.description.clone())
                .fact(
                    "schema",
                    def.component
                        .as_ref()
                        .map(|c| format!("`#/components/schemas/{c}`")),
                ),
        );
        match &def.kind {
            TypeKind::Struct { fields } => {
                let required: Vec<(String, String)> = fields
                    .iter()
                    .filter(|f| f.required)
                    .map(|f| (f.name.ident.clone(), field_type(api, f)))
                    .collect();
                if required.is_empty() {
                    insert(
                        format!("{name}: Default"),
                        Item::new(area, "`impl Default`".to_owned()),
                    );
                } else {
                    insert(
                        format!("{name}::new"),
                        Item::new(area, format!("`fn new({})`", named(&required)))
                            .key(format!("fn new({})", unnamed(&required))),
                    );
                }
                for field in fields {
                    let wire = (field.name.wire != field.name.ident.trim_start_matches("r#"))
                        .then(|| format!("`{}`", field.name.wire));
                    insert(
                        format!("{name}.{}", field.name.ident),
                        Item::new(area, format!("`{}`", field_type(api, field)))
                            .fact("JSON key", wire)
                            .fact("docs", field.description.clone()),
                    );
                }
            }
            TypeKind::Enum { variants } => {
                for variant in variants {
                    insert(
                        format!("{name}::{}", variant.name.ident),
                        Item::new(area, "variant".to_owned())
                            .fact("value", Some(format!("`{}`", variant.name.wire))),
                    );
                }
                let fallback = crate::ir::enum_fallback(variants).unwrap_or("Other");
                insert(
                    format!("{name}::{fallback}"),
                    Item::new(
                        area,
                        "`(String)`, the values this version does not know".to_owned(),
                    ),
                );
            }
            TypeKind::OneOf {
                discriminator,
                variants,
            } => {
                for variant in variants {
                    let tags = (!variant.tags.is_empty()).then(|| {
                        variant
                            .tags
                            .iter()
                            .map(|t| format!("`{t}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    });
                    insert(
                        format!("{name}::{}", variant.name),
                        Item::new(area, format!("`({})`", type_name(api, &variant.ty)))
                            .fact("tags", tags),
                    );
                }
                if discriminator.is_some() {
                    let fallback = crate::ir::one_of_fallback(variants).unwrap_or("Other");
                    insert(
                        format!("{name}::{fallback}"),
                        Item::new(
                            area,
                            "`(serde_json::Value)`, the variants this version does not know"
                                .to_owned(),
                        ),
                    );
                }
            }
            TypeKind::Alias(_) => {}
        }
    }
    if !api.events_declared {
        return;
    }
    for event in &api.events {
        items.insert(
            (Crate::Models, format!("Event::{}", event.name.ident)),
            Item::new("events", format!("`({})`", type_name(api, &event.payload)))
                .gate(Gate::any(
                    event.internal.then(|| ["internal".to_owned()].into()),
                ))
                .fact("event", Some(format!("`{}`", event.name.wire)))
                .fact("scope", event.scope.as_ref().map(|s| format!("`{s}`")))
                .fact("docs", event.description.clone()),
        );
    }
}

/// An operation's client method (and stream) and server trait method.
fn operation(
    api: &Api,
    op: &Operation,
    area: &str,
    type_name_of_area: &str,
    items: &mut BTreeMap<(Crate, String), Item>,
) {
    let mut args: Vec<(String, String)> = emit::argument_params(op)
        .map(|param| (param.name.ident.clone(), type_name(api, &param.ty)))
        .collect();
    if let Some(options) = op.options {
        args.push(("options".to_owned(), api.types[options.0].name.clone()));
    }
    if let Some(body) = &op.body {
        let ty = type_name(api, &body.ty);
        args.push((
            "body".to_owned(),
            if body.required {
                ty
            } else {
                format!("Option<{ty}>")
            },
        ));
    }
    let output = match &op.response {
        Response::Data(ty) => type_name(api, ty),
        Response::Empty => "()".to_owned(),
        Response::Exists => "exists".to_owned(),
    };
    let method = &op.method_name.ident;
    let route = Some(format!("`{} {}`", op.method.as_str(), op.path.raw));
    let scope = op.docs.scope.as_ref().map(|s| format!("`{s}`"));
    let docs = Some(format!("{:?}{:?}", op.docs.summary, op.docs.description));
    let fires = (!op.docs.webhook_events.is_empty()).then(|| {
        op.docs
            .webhook_events
            .iter()
            .map(|e| format!("`{e}`"))
            .collect::<Vec<_>>()
            .join(", ")
    });
    let optional: Vec<String> = op
        .other_params
        .iter()
        .filter(|p| !p.required)
        .map(|p| format!("`{}`", p.name.wire))
        .collect();
    let optional = (!optional.is_empty()).then(|| optional.join(", "));
    let signature = format!("`fn {method}({}) -> {output}`", named(&args));
    let key = format!("fn {method}({}) -> {output}", unnamed(&args));
    let gate = Gate::all(emit::client_operation_features(api, op));
    let tiers: BTreeSet<String> = op.docs.tiers.iter().cloned().collect();
    let mut client = Item::new(area, signature.clone())
        .key(key.clone())
        .gate(gate.clone())
        .fact("route", route.clone())
        .fact("scope", scope.clone())
        .fact("optional parameters", optional)
        .fact("fires", fires.clone())
        .fact("docs", docs.clone());
    client.tiers = tiers.clone();
    client.deprecated = op.docs.deprecated;
    items.insert(
        (Crate::Client, format!("{type_name_of_area}::{method}")),
        client,
    );
    if let Ok(shape) = stream::stream(api, op) {
        let (item, how) = match &shape {
            Stream::Pages { item } => (item, "page by page"),
            Stream::History { item, .. } => (item, "back in time"),
        };
        let mut streamed =
            Item::new(area, format!("stream of `{}`, {how}", type_name(api, item))).gate(gate);
        streamed.tiers = tiers.clone();
        streamed.deprecated = op.docs.deprecated;
        items.insert(
            (
                Crate::Client,
                format!("{type_name_of_area}::{}_stream", op.method_name.bare()),
            ),
            streamed,
        );
    }
    let tiers_fact = Some(
        tiers
            .iter()
            .map(|t| format!("`{t}`"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    items.insert(
        (Crate::Server, format!("{type_name_of_area}::{method}")),
        Item::new(area, signature)
            .key(key)
            .gate(Gate::any(
                op.docs.internal.then(|| ["internal".to_owned()].into()),
            ))
            .fact("route", route)
            .fact("tiers", tiers_fact)
            .fact("scope", scope)
            .fact("fires", fires)
            .fact("docs", docs)
            .deprecated(op.docs.deprecated),
    );
}

/// Arguments as `name: Type, …`.
fn named(args: &[(String, String)]) -> String {
    args.iter()
        .map(|(name, ty)| format!("{name}: {ty}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Argument types only, `Type, …`: what callers depend on.
fn unnamed(args: &[(String, String)]) -> String {
    args.iter()
        .map(|(_, ty)| ty.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A field's Rust type, as the models crate declares it.
fn field_type(api: &Api, field: &crate::ir::Field) -> String {
    tidy(emit::models::field_type(api, field, &quote!(crate)).to_string())
}

/// A type's Rust name, without crate paths.
fn type_name(api: &Api, ty: &TypeRef) -> String {
    tidy(emit::rust_type(api, ty, &quote!(crate)).to_string())
}

/// Prints tokens of a type as a person writes it: no spaces but after commas, no paths to
/// the crate's own types or to the runtime.
fn tidy(tokens: String) -> String {
    let compact: String = tokens.chars().filter(|c| !c.is_whitespace()).collect();
    compact
        .replace("::crisp_runtime::", "")
        .replace("::std::collections::", "")
        .replace("::serde_json::", "serde_json::")
        .replace("crate::", "")
        .replace(',', ", ")
}

#[cfg(test)]
mod tests {
    use super::Gate;

    fn set(features: &[&str]) -> std::collections::BTreeSet<String> {
        features.iter().map(|f| (*f).to_owned()).collect()
    }

    #[test]
    fn a_gate_is_within_another_when_every_build_of_the_first_has_the_second() {
        let cases = [
            (Gate::Any(set(&["a"])), Gate::Always, true),
            (Gate::Always, Gate::Any(set(&["a"])), false),
            (Gate::Any(set(&["a"])), Gate::Any(set(&["a", "b"])), true),
            (Gate::Any(set(&["a", "b"])), Gate::Any(set(&["a"])), false),
            (Gate::All(set(&["a", "b"])), Gate::Any(set(&["a"])), true),
            (Gate::All(set(&["a", "b"])), Gate::Any(set(&["c"])), false),
            (
                Gate::All(set(&["a", "b"])),
                Gate::All(set(&["a", "b", "c"])),
                false,
            ),
            (
                Gate::All(set(&["a", "b", "c"])),
                Gate::All(set(&["a", "b"])),
                true,
            ),
            (Gate::Any(set(&["a"])), Gate::All(set(&["a", "b"])), false),
        ];
        for (from, to, within) in cases {
            assert_eq!(from.within(&to), within, "{from:?} within {to:?}");
        }
    }
}
