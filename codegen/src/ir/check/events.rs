//! The rules about events and the real-time API: event names, the operations that fire each
//! event (both sides agree), the scopes events are received with, and the routes that tell a
//! client where the real-time socket is.

use std::collections::BTreeMap;

use crate::diag::Diagnostics;
use crate::ir::{Api, Event, Operation, TypeKind, TypeRef};
use crate::load::Spec;

/// A client finds its real-time socket by calling, for its token's tier, the operation marked
/// `x-crisp-rtm-endpoints`, with nothing to fill in, and reading `socket.app` from the answer.
/// So the operation is a `GET` without parameters to give, admits exactly one tier (one
/// operation per tier), and answers an object whose `socket` holds an `app` string.
///
/// ```yaml
/// /plugin/connect/endpoints:
///   get:
///     x-crisp-rtm-endpoints: true
///     x-crisp-tiers: [user, plugin]          # rejected: which tier does it serve?
/// /website/{website_id}/connect/endpoints:
///   get:
///     x-crisp-rtm-endpoints: true            # rejected: `website_id` has no value to give
/// ```
pub(super) fn rtm_endpoints_callable(spec: &Spec, api: &Api, diags: &mut Diagnostics) {
    let mut per_tier: BTreeMap<&str, &Operation> = BTreeMap::new();
    for op in api.operations.iter().filter(|op| op.docs.rtm_endpoints) {
        let at = op.pointer.push("x-crisp-rtm-endpoints");
        let mut problems = Vec::new();
        if op.method != crate::ir::HttpMethod::Get {
            problems.push(format!("it is a `{}`, not a `GET`", op.method.as_str()));
        }
        if let Some(param) = op
            .path_params
            .iter()
            .chain(op.other_params.iter().filter(|param| param.required))
            .next()
        {
            problems.push(format!(
                "it takes the parameter `{}`, which the client has no value for",
                param.name.wire
            ));
        }
        if op.body.as_ref().is_some_and(|body| body.required) {
            problems.push("it requires a body".to_owned());
        }
        if !answers_socket_app(api, &op.response) {
            problems.push("its answer has no `socket.app` string".to_owned());
        }
        for problem in problems {
            diags.push(
                spec.diag(&at, format!("operation `{}` cannot tell a client where the real-time socket is: {problem}", op.id))
                    .with_help("mark the `GET` without parameters that answers `{socket: {app: <URL>}}`"),
            );
        }
        match op.docs.tiers.as_slice() {
            [tier] => {
                if let Some(first) = per_tier.insert(tier.as_str(), op) {
                    diags.push(
                        spec.diag(&at, format!("operations `{}` and `{}` both tell `{tier}` tokens where the real-time socket is", first.id, op.id))
                            .with_help(format!("keep `x-crisp-rtm-endpoints` on one of them; the other is at {}", first.pointer)),
                    );
                }
            }
            _ => diags.push(
                spec.diag(&at, format!("operation `{}` tells where the real-time socket is, but not for which tier", op.id))
                    .with_help("give it `x-crisp-tiers` with exactly one tier (`[plugin]` or `[user]`)"),
            ),
        }
    }
}

/// Whether an answer is an object whose `socket` field holds an `app` string.
fn answers_socket_app(api: &Api, response: &crate::ir::Response) -> bool {
    let crate::ir::Response::Data(ty) = response else {
        return false;
    };
    let field = |ty: &TypeRef, name: &str| -> Option<TypeRef> {
        let TypeRef::Named(id) = api.resolve(ty) else {
            return None;
        };
        let TypeKind::Struct { fields } = &api.types[id.0].kind else {
            return None;
        };
        fields
            .iter()
            .find(|field| field.name.wire == name)
            .map(|field| field.ty.clone())
    };
    field(ty, "socket").and_then(|socket| field(&socket, "app")) == Some(TypeRef::String)
}

/// An event is received by the tokens that hold its scope, which is the scope of the
/// operations that fire it unless the event names its own. So a `scope` must be one that
/// some operation requires (a typo would hide the event from every plugin token), it must
/// match the scope of the operations that fire the event, and operations that need
/// different scopes cannot decide it alone.
///
/// ```yaml
/// x-crisp-events:
///   message:received:
///     fired-by: [sendMessageInConversation]    # x-crisp-scope: website:conversation:messages
///     scope: website:conversation:sessions     # rejected: the firing operation says messages
///   message:send:
///     scope: website:conversation:mesages      # rejected: no operation requires it
///   session:set_state:
///     fired-by: [changeConversationState, removeConversation]   # rejected when their
///                                              # scopes differ and no `scope` is given
/// ```
pub(super) fn event_scopes_agree(spec: &Spec, api: &Api, diags: &mut Diagnostics) {
    let known: std::collections::BTreeSet<&str> = api
        .operations
        .iter()
        .filter_map(|op| op.docs.scope.as_deref())
        .collect();
    for event in &api.events {
        let firing = api.firing_scopes(&event.fired_by);
        let name = &event.name.wire;
        match &event.scope {
            Some(scope) => {
                let at = event.pointer.push("scope");
                if !known.contains(scope.as_str()) {
                    let help = if known.is_empty() {
                        "no operation states an `x-crisp-scope`: remove `scope`, or give the operations their scopes".to_owned()
                    } else {
                        format!(
                            "use a scope that operations require: {}",
                            known
                                .iter()
                                .map(|s| format!("`{s}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    };
                    diags.push(
                        spec.diag(&at, format!("event `{name}` is received with the scope `{scope}`, which no operation requires in `x-crisp-scope`"))
                            .with_help(help),
                    );
                }
                if let Some(other) = firing.iter().find(|other| **other != scope) {
                    diags.push(
                        spec.diag(&at, format!("event `{name}` is received with the scope `{scope}`, but an operation in its `fired-by` requires `{other}`"))
                            .with_help("remove `scope` to take the firing operations' scope, or correct it"),
                    );
                }
            }
            None if firing.len() > 1 => diags.push(
                spec.diag(
                    event.pointer.push("fired-by"),
                    format!(
                        "the operations that fire event `{name}` require different scopes ({})",
                        firing
                            .iter()
                            .map(|s| format!("`{s}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .with_help("say which scope receives the event with `scope:`"),
            ),
            None => {}
        }
    }
}

/// Events become variants of one `Event` enum, next to `Event::Unknown` and
/// `Event::Undecoded`, and the `events`
/// module puts `Event` and `Delivery` at the root of the models crate: names must not clash.
///
/// ```yaml
/// x-crisp-events:
///   session:set_state: {...}
///   session:set-state: {...}    # rejected: both are `SessionSetState`
///   unknown: {...}              # rejected: `Unknown` keeps the events the crate does not know
///   undecoded: {...}            # rejected: `Undecoded` keeps payloads that do not decode
/// components:
///   schemas:
///     Delivery: {...}           # rejected when the spec declares events
/// ```
pub(super) fn event_names_unique(spec: &Spec, api: &Api, diags: &mut Diagnostics) {
    let mut seen: BTreeMap<&str, &Event> = BTreeMap::new();
    for event in &api.events {
        let reserved = match event.name.ident.as_str() {
            "Unknown" => Some("keeps the events this version does not know"),
            "Undecoded" => Some("keeps the events whose payload does not decode"),
            _ => None,
        };
        if let Some(role) = reserved {
            diags.push(
                spec.diag(
                    &event.pointer,
                    format!(
                        "event `{}` would become the variant `{}`, which {role}",
                        event.name.wire, event.name.ident
                    ),
                )
                .with_help("rename the event"),
            );
        }
        if let Some(first) = seen.insert(&event.name.ident, event) {
            diags.push(
                spec.diag(&event.pointer, format!("events `{}` and `{}` both become the variant `{}`", first.name.wire, event.name.wire, event.name.ident))
                    .with_help(format!("rename one of them; names are compared after conversion to PascalCase, and the other is at {}", first.pointer)),
            );
        }
    }
    if !api.events_declared {
        return;
    }
    for def in api
        .types
        .iter()
        .filter(|def| !def.hidden && (def.name == "Event" || def.name == "Delivery"))
    {
        diags.push(
            spec.diag(
                &def.pointer,
                format!(
                    "the type name `{}` is taken by the events of `x-crisp-events`",
                    def.name
                ),
            )
            .with_help("rename the schema (for example with a more specific name)"),
        );
    }
}

/// An event's `fired-by` and the operations' `x-crisp-webhook-events` say the same thing from
/// both sides, so they must agree: each names something the other declares, and lists it back.
/// Operations may name events freely only when the spec has no `x-crisp-events`.
///
/// ```yaml
/// /website/{website_id}/conversation/{session_id}/state:
///   patch:
///     operationId: changeConversationState
///     x-crisp-webhook-events: ['session:set_state', 'session:typo']   # rejected: undeclared
/// x-crisp-events:
///   session:set_state:
///     fired-by: [changeConversationState, noSuchOperation]           # rejected: unknown id
///   session:removed:
///     fired-by: [changeConversationState]   # rejected: the operation does not list it
/// ```
pub(super) fn events_match_operations(spec: &Spec, api: &Api, diags: &mut Diagnostics) {
    if !api.events_declared {
        return;
    }
    let operations: BTreeMap<&str, &Operation> = api
        .operations
        .iter()
        .map(|op| (op.id.as_str(), op))
        .collect();
    let events: BTreeMap<&str, &Event> = api
        .events
        .iter()
        .map(|event| (event.name.wire.as_str(), event))
        .collect();
    for event in &api.events {
        for (index, id) in event.fired_by.iter().enumerate() {
            let at = event.pointer.push("fired-by").push(index);
            match operations.get(id.as_str()) {
                None => diags.push(
                    spec.diag(&at, format!("event `{}` is fired by `{id}`, which is not the operationId of any operation", event.name.wire))
                        .with_help("name the operation by its operationId, or remove it from `fired-by`"),
                ),
                Some(op) if !op.docs.webhook_events.contains(&event.name.wire) => diags.push(
                    spec.diag(&at, format!("event `{}` names `{id}` in `fired-by`, but the operation does not list the event in `x-crisp-webhook-events`", event.name.wire))
                        .with_help(format!("add `'{}'` to `x-crisp-webhook-events` of the operation at {}, or remove `{id}` from `fired-by`", event.name.wire, op.pointer)),
                ),
                Some(_) => {}
            }
        }
    }
    for op in &api.operations {
        for (index, name) in op.docs.webhook_events.iter().enumerate() {
            let at = op.pointer.push("x-crisp-webhook-events").push(index);
            match events.get(name.as_str()) {
                None => diags.push(
                    spec.diag(&at, format!("operation `{}` fires `{name}`, which `x-crisp-events` does not declare", op.id))
                        .with_help(format!("declare `{name}` under `x-crisp-events`, or correct the event name")),
                ),
                Some(event) if !event.fired_by.contains(&op.id) => diags.push(
                    spec.diag(&at, format!("operation `{}` lists `{name}` in `x-crisp-webhook-events`, but the event does not name the operation in `fired-by`", op.id))
                        .with_help(format!("add `{}` to `fired-by` of the event at {}, or remove the event from the operation", op.id, event.pointer)),
                ),
                Some(_) => {}
            }
        }
    }
}
