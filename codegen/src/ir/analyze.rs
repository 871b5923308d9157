//! Analysis: what the emitters need derived from a checked API, computed once: which struct
//! fields are boxed to break a cycle, what is internal, which areas use each type, and the
//! scope of each event that does not state one.
//!
//! It runs only on an API that passed `check`, so it may rely on every rule holding.

use super::{Api, Operation, Response, TypeDef, TypeId, TypeKind, TypeRef, TypeUse};

/// Fills in the derived data of a checked API.
pub fn analyze(api: &mut Api) {
    box_cycles(&mut api.types);
    mark_internal(api);
    derive_event_scopes(api);
}

/// Gives every event without a `scope` of its own the scope of the operations that fire it,
/// when they agree on one (`event_scopes_agree` reports when they do not).
fn derive_event_scopes(api: &mut Api) {
    let derived: Vec<Option<String>> = api
        .events
        .iter()
        .map(
            |event| match api.firing_scopes(&event.fired_by).as_slice() {
                [scope] if event.scope.is_none() => Some((*scope).to_owned()),
                _ => None,
            },
        )
        .collect();
    for (event, scope) in api.events.iter_mut().zip(derived) {
        if scope.is_some() {
            event.scope = scope;
        }
    }
}

/// Marks what only internal operations use, so it is compiled with the `internal` feature
/// only: areas whose every operation is internal, and types no public operation reaches.
/// Then records, for every type, the areas whose operations reach it and whether a public
/// event carries it ([`TypeUse`]), so a build with only some area features (and without
/// `events`) compiles only their types.
fn mark_internal(api: &mut Api) {
    for (index, area) in api.areas.iter_mut().enumerate() {
        let mut ops = api
            .operations
            .iter()
            .filter(|op| op.area == index)
            .peekable();
        area.internal = ops.peek().is_some() && ops.all(|op| op.docs.internal);
    }
    let mut public = vec![false; api.types.len()];
    let mut internal = vec![false; api.types.len()];
    let mut uses = vec![TypeUse::Always; api.types.len()];
    let mut reached = vec![false; api.types.len()];
    for op in &api.operations {
        let area_internal = api.areas[op.area].internal;
        let mut seen = vec![false; api.types.len()];
        reach(&api.types, operation_roots(op), &mut seen);
        for id in (0..seen.len()).filter(|id| seen[*id]) {
            if op.docs.internal {
                internal[id] = true
            } else {
                public[id] = true
            }
            let use_ = if std::mem::replace(&mut reached[id], true) {
                &mut uses[id]
            } else {
                uses[id] = TypeUse::Areas {
                    public: Default::default(),
                    internal: false,
                    events: false,
                };
                &mut uses[id]
            };
            if let TypeUse::Areas {
                public, internal, ..
            } = use_
            {
                if area_internal {
                    *internal = true
                } else {
                    public.insert(op.area);
                }
            }
        }
    }
    // An event's payload is reached like an operation's types, and compiled with the `events`
    // feature (which compiles `Event`) or the features of the areas that reach it; internal
    // events only count as internal users.
    for event in &api.events {
        let mut seen = vec![false; api.types.len()];
        reach(
            &api.types,
            event.payload.named().into_iter().collect(),
            &mut seen,
        );
        for id in (0..seen.len()).filter(|id| seen[*id]) {
            if event.internal {
                internal[id] = true;
            } else {
                public[id] = true;
            }
            if !std::mem::replace(&mut reached[id], true) {
                uses[id] = TypeUse::Areas {
                    public: Default::default(),
                    internal: false,
                    events: false,
                };
            }
            if let TypeUse::Areas {
                internal, events, ..
            } = &mut uses[id]
            {
                if event.internal {
                    *internal = true
                } else {
                    *events = true
                }
            }
        }
    }
    // Whatever no operation or event reaches is always compiled, and so is everything it
    // reaches.
    let roots: Vec<TypeId> = (0..api.types.len())
        .filter(|id| !reached[*id])
        .map(TypeId)
        .collect();
    let mut always = vec![false; api.types.len()];
    reach(&api.types, roots, &mut always);
    for (id, always) in always.into_iter().enumerate() {
        if always {
            uses[id] = TypeUse::Always;
        }
    }
    for (def, (public, internal)) in api.types.iter_mut().zip(public.into_iter().zip(internal)) {
        def.internal = internal && !public;
    }
    api.type_uses = uses;
}

/// The named types an operation mentions: parameters, options, body and answer.
fn operation_roots(op: &Operation) -> Vec<TypeId> {
    let mut roots: Vec<&TypeRef> = op
        .path_params
        .iter()
        .chain(&op.other_params)
        .map(|p| &p.ty)
        .collect();
    roots.extend(op.body.as_ref().map(|body| &body.ty));
    if let Response::Data(ty) = &op.response {
        roots.push(ty);
    }
    let mut ids: Vec<TypeId> = roots.into_iter().flat_map(TypeRef::named).collect();
    ids.extend(op.options);
    ids
}

/// Marks in `seen` every type reachable from `roots` through fields, variants and aliases.
fn reach(types: &[TypeDef], roots: Vec<TypeId>, seen: &mut [bool]) {
    let mut stack = roots;
    while let Some(id) = stack.pop() {
        if std::mem::replace(&mut seen[id.0], true) {
            continue;
        }
        match &types[id.0].kind {
            TypeKind::Struct { fields } => stack.extend(fields.iter().flat_map(|f| f.ty.named())),
            TypeKind::OneOf { variants, .. } => {
                stack.extend(variants.iter().flat_map(|v| v.ty.named()))
            }
            TypeKind::Alias(ty) => stack.extend(ty.named()),
            TypeKind::Enum { .. } => {}
        }
    }
}

/// Boxes each struct field that closes a cycle of types held by value, so the types have a size.
///
/// A field holding a type through a `Vec` or a map needs no box; a field holding it directly
/// (`parent: Category` inside `Category`) does.
fn box_cycles(types: &mut [TypeDef]) {
    let direct = |ty: &TypeRef| match ty {
        TypeRef::Named(id) => Some(*id),
        _ => None,
    };
    // The types each type holds by value.
    let edges: Vec<Vec<TypeId>> = types
        .iter()
        .map(|def| match &def.kind {
            TypeKind::Struct { fields } => fields.iter().filter_map(|f| direct(&f.ty)).collect(),
            TypeKind::OneOf { variants, .. } => {
                variants.iter().filter_map(|v| direct(&v.ty)).collect()
            }
            TypeKind::Alias(ty) => direct(ty).into_iter().collect(),
            TypeKind::Enum { .. } => Vec::new(),
        })
        .collect();
    let reaches = |from: TypeId, to: TypeId| {
        let mut stack = vec![from];
        let mut seen = vec![false; edges.len()];
        while let Some(at) = stack.pop() {
            if at == to {
                return true;
            }
            if std::mem::replace(&mut seen[at.0], true) {
                continue;
            }
            stack.extend(edges[at.0].iter().copied());
        }
        false
    };
    // Decide every box first, then apply them, so the reachability walk sees one graph.
    let boxes: Vec<Vec<bool>> = types
        .iter()
        .enumerate()
        .map(|(index, def)| match &def.kind {
            TypeKind::Struct { fields } => fields
                .iter()
                .map(|f| direct(&f.ty).is_some_and(|target| reaches(target, TypeId(index))))
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    for (def, boxes) in types.iter_mut().zip(boxes) {
        if let TypeKind::Struct { fields } = &mut def.kind {
            for (field, boxed) in fields.iter_mut().zip(boxes) {
                field.boxed = boxed;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// Fixture 25: an operation and an event share `ConversationState`; the public events
    /// carry `EventSessionSetState` and `EventMessage` alone; an internal event carries
    /// `EventUndocumented`.
    #[test]
    fn event_payloads_compile_with_events_or_the_areas_that_reach_them() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/valid/25_events.yaml"
        );
        let spec = crate::load::load_path(std::path::Path::new(path), "25_events.yaml")
            .expect("fixture 25 loads");
        let api = crate::ir::build(&spec).expect("fixture 25 builds");
        let conversation = api
            .areas
            .iter()
            .position(|area| area.tag == "website.conversation")
            .expect("the area");
        let areas = |public: &[crate::ir::AreaId], internal: bool, events: bool| TypeUse::Areas {
            public: public.iter().copied().collect::<BTreeSet<_>>(),
            internal,
            events,
        };
        for (name, expected, internal) in [
            (
                "ConversationState",
                areas(&[conversation], false, true),
                false,
            ),
            ("EventSessionSetState", areas(&[], false, true), false),
            ("EventMessage", areas(&[], false, true), false),
            ("EventMessageText", areas(&[], false, true), false),
            ("EventUndocumented", areas(&[], true, false), true),
        ] {
            let id = api
                .types
                .iter()
                .position(|def| def.name == name)
                .unwrap_or_else(|| panic!("{name} is a type"));
            assert_eq!(api.type_uses[id], expected, "{name}");
            assert_eq!(api.types[id].internal, internal, "{name} internal");
        }
    }
}
