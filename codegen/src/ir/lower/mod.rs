//! Lowering: `openapiv3` → IR. Resolves `$ref`s, names inline types and reports local problems.
//!
//! Every problem becomes a diagnostic with the JSON pointer of the spec node and lowering goes
//! on, so one run reports everything. Lowering never panics on input.
//!
//! One `Lowerer` walks the document; its methods live by what they lower: `schemas`
//! (component and inline schemas), `operations` (paths, parameters, bodies, answers) and
//! `events` (`x-crisp-events`).

use indexmap::IndexMap;
use openapiv3::{OpenAPI, ReferenceOr, Schema};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

use super::{Api, Area, Event, Home, Operation, TypeDef, TypeId};
use crate::diag::{Diagnostic, Diagnostics, Pointer};
use crate::load::Spec;
use crate::naming::{join_type, pascal};

mod events;
mod operations;
mod schemas;

/// The version of the generated crates when the spec does not give one.
const DEFAULT_CRATE_VERSION: &str = "0.1.0";

/// The top-level extension that declares the events.
const EVENTS: &str = "x-crisp-events";

/// Lowers a loaded spec into the IR, with every local problem found on the way.
///
/// The IR is whole even when there are problems (a part that could not be lowered stands as
/// `TypeRef::Any`), so the checks can run on it and report theirs too.
pub fn lower(spec: &Spec) -> (Api, Diagnostics) {
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
        crate_version,
        ..
    } = lowerer;
    let base_url = spec
        .api
        .servers
        .first()
        .map(|s| s.url.clone())
        .unwrap_or_default();
    let base_path = base_path_of(&base_url);
    let api = Api {
        title: spec.api.info.title.clone(),
        base_url,
        base_path,
        areas,
        operations,
        types,
        type_uses: Vec::new(),
        events,
        events_declared,
        crate_version,
    };
    let mut diags = diags;
    if spec.api.servers.is_empty() {
        diags.push(
            spec.diag("/servers", "the spec declares no server")
                .with_help("add `servers: [{url: https://api.crisp.chat/v1}]`"),
        );
    }
    (api, diags)
}

/// The path part of a server URL, without a trailing slash (`https://x/v1/` → `/v1`).
fn base_path_of(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("", |at| &after_scheme[at..]);
    path.trim_end_matches('/').to_owned()
}

/// Whether a pointer names a component schema itself (`/components/schemas/Name`).
fn is_component_pointer(pointer: &Pointer) -> bool {
    pointer
        .as_str()
        .strip_prefix("/components/schemas/")
        .is_some_and(|name| !name.is_empty() && !name.contains('/'))
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
    properties: IndexMap<String, (ReferenceOr<Box<Schema>>, Pointer)>,
    required: IndexMap<String, Pointer>,
}

impl Gathered {
    /// Adds an object's properties (a later one of the same name wins) and required names.
    fn add(
        &mut self,
        properties: &IndexMap<String, ReferenceOr<Box<Schema>>>,
        required: &[String],
        pointer: &Pointer,
    ) {
        for (key, property) in properties {
            let at = pointer.push("properties").push(key);
            self.properties.insert(key.clone(), (property.clone(), at));
        }
        for name in required {
            self.required
                .entry(name.clone())
                .or_insert_with(|| pointer.push("required"));
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
    all_of_cycles: BTreeSet<BTreeSet<Pointer>>,
    /// The version of the generated crates (`info.x-crisp-crate-version`).
    crate_version: String,
    /// The inline schemas being lowered, by where they are written. `allOf` copies the
    /// properties of the schemas it merges, so an inline schema can meet itself again.
    inline_active: Vec<Pointer>,
}

impl<'a> Lowerer<'a> {
    fn new(spec: &'a Spec) -> Self {
        let mut areas = Vec::new();
        for (index, tag) in spec.api.tags.iter().enumerate() {
            areas.push(new_area(
                &tag.name,
                tag.description.clone(),
                Pointer::root().push("tags").push(index),
            ));
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
            crate_version: DEFAULT_CRATE_VERSION.to_owned(),
        }
    }

    #[track_caller]
    fn error(&mut self, pointer: &Pointer, message: impl Into<String>, help: impl Into<String>) {
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

    fn string_list(&mut self, value: &Value, pointer: &Pointer) -> Vec<String> {
        match value.as_array().map(|items| {
            items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
        }) {
            Some(Some(list)) => list,
            _ => {
                let name = pointer.tokens().pop().unwrap_or_default();
                self.error(
                    pointer,
                    format!("`{name}` must be a list of strings"),
                    format!("write it as a YAML list, e.g. `{name}: [a, b]`"),
                );
                Vec::new()
            }
        }
    }
}

fn new_area(tag: &str, description: Option<String>, pointer: Pointer) -> Area {
    Area {
        pointer,
        internal: false,
        tag: tag.to_owned(),
        module: crate::naming::module(tag),
        type_name: pascal(tag).ident,
        description,
    }
}
