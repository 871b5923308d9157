//! Lowering of the top-level extensions, chiefly `x-crisp-events`: each event's name, facts and
//! payload type.

use openapiv3::{ReferenceOr, Schema};
use serde_json::Value;

use super::super::{Event, Home, TypeRef};
use super::{Ctx, EVENTS, Lowerer};
use crate::diag::Pointer;
use crate::naming::{Name, join_type, pascal};

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

impl<'a> Lowerer<'a> {
    // ----- events -----

    /// Checks the top-level `x-crisp-*` extensions and lowers `x-crisp-events`.
    pub(super) fn lower_top_level_extensions(&mut self) {
        for (key, value) in &self.api.info.extensions {
            let at = Pointer::root().push("info").push(key);
            match key.as_str() {
                CRATE_VERSION => match value.as_str().filter(|v| is_crate_version(v)) {
                    Some(version) => self.crate_version = version.to_owned(),
                    None => self.error(
                        &at,
                        format!("`{CRATE_VERSION}` must be a version such as '1.4.0', not {value}"),
                        "write the version of the generated crates as MAJOR.MINOR.PATCH, quoted, optionally with a pre-release (`'2.0.0-rc.1'`)",
                    ),
                },
                other if other.starts_with("x-crisp-") => self.error(
                    &at,
                    format!("unknown extension `{other}`"),
                    "the extensions are documented at the top of spec/crisp.yaml",
                ),
                _ => {}
            }
        }
        for (key, value) in &self.api.extensions {
            match key.as_str() {
                EVENTS => self.lower_events(value),
                other if other.starts_with("x-crisp-") => {
                    self.error(
                        &Pointer::root().push(other),
                        format!("unknown extension `{other}`"),
                        "the extensions are documented at the top of spec/crisp.yaml",
                    );
                }
                _ => {}
            }
        }
    }
}

/// The `info` extension that holds the version of the generated crates.
pub(super) const CRATE_VERSION: &str = "x-crisp-crate-version";

/// Whether `version` is a semantic version `MAJOR.MINOR.PATCH`, with an optional pre-release
/// of dot-separated alphanumerics (cargo accepts nothing looser).
fn is_crate_version(version: &str) -> bool {
    let (core, pre) = match version.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (version, None),
    };
    let numbers: Vec<&str> = core.split('.').collect();
    let number = |n: &&str| {
        !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && (*n == "0" || !n.starts_with('0'))
    };
    numbers.len() == 3
        && numbers.iter().all(number)
        && pre.is_none_or(|pre| {
            pre.split('.').all(|part| {
                !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
        })
}

impl<'a> Lowerer<'a> {
    /// Lowers every entry of `x-crisp-events`, in the order the spec writes them.
    pub(super) fn lower_events(&mut self, value: &Value) {
        let pointer = Pointer::root().push(EVENTS);
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
                let event = self.lower_event(&name, entry, &pointer.push(&name));
                self.events.push(event);
            }
        }
    }

    /// Lowers one event, reporting every problem of its entry.
    ///
    /// An event with problems is still declared (with a JSON payload), so that the operations
    /// naming it are not reported as well.
    pub(super) fn lower_event(&mut self, name: &str, entry: &Value, pointer: &Pointer) -> Event {
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
                &pointer.push(key),
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
                    &pointer.push("description"),
                    format!("the description of event `{name}` must be a string"),
                    "describe in a sentence what happened",
                );
                None
            }
        };
        event.webhook_documented = match entry.get("webhook-documented") {
            Some(Value::Bool(flag)) => *flag,
            Some(_) => {
                self.error(&pointer.push("webhook-documented"), "`webhook-documented` must be `true` or `false`", "`true` when Crisp documents the event as a web hook event, `false` when it is only known as a real-time event");
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
                    &pointer.push("internal"),
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
                    &pointer.push("fired-by"),
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
                self.error(&pointer.push("scope"), format!("the scope of event `{name}` must be a plugin scope"), "write it as an operation's `x-crisp-scope` is written, e.g. `scope: website:conversation:messages`");
                None
            }
        };
        let payload_pointer = pointer.push("payload");
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
                        serde_path_to_error::Segment::Map { key } => at = at.push(key),
                        serde_path_to_error::Segment::Seq { index } => at = at.push(index),
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
}

#[cfg(test)]
mod tests {
    use super::is_crate_version;

    #[test]
    fn crate_versions_are_what_cargo_accepts() {
        for (version, accepted) in [
            ("0.1.0", true),
            ("12.0.3", true),
            ("2.0.0-rc.1", true),
            ("1.2", false),
            ("1.2.3.4", false),
            ("01.2.3", false),
            ("1.2.x", false),
            ("1.2.3-", false),
            ("1.2.3-rc..1", false),
            ("", false),
        ] {
            assert_eq!(is_crate_version(version), accepted, "{version:?}");
        }
    }
}
