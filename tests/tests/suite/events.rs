//! The generated web hook events: the delivery bodies of the reference decode into their typed
//! variants, unknown events stay raw, a payload that does not fit its event is kept with the path
//! that failed (and refused by the strict decoder, naming the event and the path), and everything
//! encodes back to the wire shape.

use crisp_models::{ConversationState, Delivery, Event, EventMessage, MessageFrom};
use serde_json::{Value, json};

/// A `message:send` delivery: an ASCII text message from the visitor.
const V1_MESSAGE_SEND: &str = r#"{"website_id":"8c842203-7ed8-4e29-a608-7cf78a7d2fcc","event":"message:send","data":{"website_id":"8c842203-7ed8-4e29-a608-7cf78a7d2fcc","session_id":"session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881","inbox_id":null,"type":"text","from":"user","origin":"chat","content":"Hello there","fingerprint":170000000000001,"timestamp":1700000000000,"user":{"user_id":"session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881","nickname":"visitor1"}},"timestamp":1700000000000}"#;

/// A `message:received` delivery: an operator's text message with accents, an emoji and CJK.
const V2_MESSAGE_RECEIVED: &str = r#"{"website_id":"8c842203-7ed8-4e29-a608-7cf78a7d2fcc","event":"message:received","data":{"website_id":"8c842203-7ed8-4e29-a608-7cf78a7d2fcc","session_id":"session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881","inbox_id":null,"type":"text","from":"operator","origin":"chat","content":"Bonjour, ça va ? Très bien 👋 日本語","fingerprint":171234567890123,"timestamp":1712345678901,"user":{"user_id":"b2e5bb88-7e56-4a83-aa33-33a6e1c3c5a9","nickname":"Zoë Ångström"}},"timestamp":1712345678901}"#;

/// A `session:set_state` delivery.
const V3_SESSION_SET_STATE: &str = r#"{"website_id":"42286ab3-b29a-4fde-8538-da0ae501d825","event":"session:set_state","data":{"website_id":"42286ab3-b29a-4fde-8538-da0ae501d825","session_id":"session_36ba3566-9651-4790-afc8-ffedbccc317f","inbox_id":null,"state":"resolved"},"timestamp":1735689600000}"#;

fn delivery(body: &str) -> Delivery {
    serde_json::from_str(body).unwrap_or_else(|error| panic!("the body decodes: {error}\n{body}"))
}

/// The error of decoding `body` as a delivery.
fn rejection(body: Value) -> String {
    match serde_json::from_value::<Delivery>(body) {
        Ok(delivery) => panic!("the body should be rejected, got {delivery:?}"),
        Err(error) => error.to_string(),
    }
}

/// Encodes a delivery and checks that it says exactly what `body` says.
fn assert_round_trips(body: &str) {
    let decoded = delivery(body);
    let encoded = serde_json::to_value(&decoded).expect("a delivery encodes");
    let original: Value = serde_json::from_str(body).expect("the body is JSON");
    assert_eq!(encoded, original, "the delivery encodes back to its body");
    // Decoding the encoding gives the same value again.
    let again: Delivery = serde_json::from_value(encoded).expect("the encoding decodes");
    assert_eq!(again, decoded);
}

#[test]
fn a_message_send_delivery_is_a_typed_text_message() {
    let delivery = delivery(V1_MESSAGE_SEND);
    assert_eq!(
        delivery.website_id.as_deref(),
        Some("8c842203-7ed8-4e29-a608-7cf78a7d2fcc")
    );
    assert_eq!(delivery.timestamp, Some(1_700_000_000_000));
    assert_eq!(delivery.event.name(), "message:send");
    let Event::MessageSend(EventMessage::Text(message)) = &delivery.event else {
        panic!("expected a text message:send, got {:?}", delivery.event);
    };
    assert_eq!(message.website_id, "8c842203-7ed8-4e29-a608-7cf78a7d2fcc");
    assert_eq!(
        message.session_id,
        "session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881"
    );
    assert_eq!(message.inbox_id, None);
    assert_eq!(message.from, MessageFrom::User);
    assert_eq!(message.origin, "chat");
    assert_eq!(message.content, "Hello there");
    assert_eq!(message.fingerprint, 170_000_000_000_001);
    assert_eq!(message.timestamp, 1_700_000_000_000);
    assert_eq!(
        message.user.user_id.as_deref(),
        Some("session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881")
    );
    assert_eq!(message.user.nickname.as_deref(), Some("visitor1"));
    assert_eq!(message.routing_ids, None);
}

#[test]
fn a_message_received_delivery_keeps_its_unicode() {
    let delivery = delivery(V2_MESSAGE_RECEIVED);
    assert_eq!(delivery.timestamp, Some(1_712_345_678_901));
    let Event::MessageReceived(EventMessage::Text(message)) = &delivery.event else {
        panic!("expected a text message:received, got {:?}", delivery.event);
    };
    assert_eq!(message.from, MessageFrom::Operator);
    assert_eq!(message.content, "Bonjour, ça va ? Très bien 👋 日本語");
    assert_eq!(message.fingerprint, 171_234_567_890_123);
    assert_eq!(
        message.user.user_id.as_deref(),
        Some("b2e5bb88-7e56-4a83-aa33-33a6e1c3c5a9")
    );
    assert_eq!(message.user.nickname.as_deref(), Some("Zoë Ångström"));
}

#[test]
fn a_session_set_state_delivery_is_typed() {
    let delivery = delivery(V3_SESSION_SET_STATE);
    assert_eq!(
        delivery.website_id.as_deref(),
        Some("42286ab3-b29a-4fde-8538-da0ae501d825")
    );
    assert_eq!(delivery.timestamp, Some(1_735_689_600_000));
    let Event::SessionSetState(state) = &delivery.event else {
        panic!("expected session:set_state, got {:?}", delivery.event);
    };
    assert_eq!(
        state.session_id,
        "session_36ba3566-9651-4790-afc8-ffedbccc317f"
    );
    assert_eq!(state.inbox_id, None);
    assert_eq!(state.state, ConversationState::Resolved);
}

#[test]
fn deliveries_encode_back_to_their_bodies() {
    for body in [V1_MESSAGE_SEND, V2_MESSAGE_RECEIVED, V3_SESSION_SET_STATE] {
        assert_round_trips(body);
    }
    // Compact encoding keeps the wire order of the envelope and writes UTF-8 as it is.
    let encoded =
        serde_json::to_string(&delivery(V3_SESSION_SET_STATE)).expect("a delivery encodes");
    assert!(encoded.starts_with(r#"{"website_id":"42286ab3-b29a-4fde-8538-da0ae501d825","event":"session:set_state","data":{"#), "{encoded}");
    assert!(
        encoded.ends_with(r#"},"timestamp":1735689600000}"#),
        "{encoded}"
    );
    let encoded =
        serde_json::to_string(&delivery(V2_MESSAGE_RECEIVED)).expect("a delivery encodes");
    assert!(encoded.contains("Très bien 👋 日本語"), "{encoded}");
}

#[test]
fn website_id_and_timestamp_are_optional() {
    let body = json!({"event": "session:removed", "data": {"website_id": "w", "session_id": "s", "inbox_id": "i"}});
    let delivery: Delivery = serde_json::from_value(body.clone()).expect("the body decodes");
    assert_eq!(delivery.website_id, None);
    assert_eq!(delivery.timestamp, None);
    let Event::SessionRemoved(session) = &delivery.event else {
        panic!("expected session:removed, got {:?}", delivery.event);
    };
    assert_eq!(session.inbox_id.as_deref(), Some("i"));
    // Left out when absent, so the encoding is the body again.
    assert_eq!(
        serde_json::to_value(&delivery).expect("a delivery encodes"),
        body
    );
}

#[test]
fn unknown_events_are_kept_raw() {
    let body = json!({
        "website_id": "8c842203-7ed8-4e29-a608-7cf78a7d2fcc",
        "event": "session:set_mood",
        "data": {"mood": "cheerful", "score": [1, 2.5, null]},
        "timestamp": 1
    });
    let delivery: Delivery =
        serde_json::from_value(body.clone()).expect("an unknown event is not an error");
    assert_eq!(
        delivery.event,
        Event::Unknown {
            event: "session:set_mood".to_owned(),
            data: json!({"mood": "cheerful", "score": [1, 2.5, null]})
        }
    );
    assert_eq!(delivery.event.name(), "session:set_mood");
    assert_eq!(
        serde_json::to_value(&delivery).expect("a delivery encodes"),
        body
    );
    // An unknown event does not even need an object for its data.
    let event = Event::from_parts("future:thing".to_owned(), json!("text")).expect("kept raw");
    assert_eq!(event.to_data().expect("JSON"), json!("text"));
}

/// The error of the strict decoder for the event of the delivery `body`.
fn strict_rejection(body: Value) -> String {
    let (Some(name), Some(data)) = (body["event"].as_str(), body.get("data")) else {
        panic!("not a delivery: {body}");
    };
    match Event::from_parts(name.to_owned(), data.clone()) {
        Ok(event) => panic!("the payload should be refused, got {event:?}"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn the_strict_decoder_refuses_a_payload_that_does_not_fit_naming_the_path() {
    let mut body: Value = serde_json::from_str(V3_SESSION_SET_STATE).expect("JSON");
    body["data"]["state"] = json!(42);
    let error = strict_rejection(body);
    assert!(
        error.starts_with("event `session:set_state`: at `data.state`: invalid type: integer `42`"),
        "{error}"
    );

    // Inside a message, the path goes through the tagged union to the field.
    let mut body: Value = serde_json::from_str(V1_MESSAGE_SEND).expect("JSON");
    body["data"]["user"]["nickname"] = json!(7);
    let error = strict_rejection(body);
    assert!(
        error.starts_with(
            "event `message:send`: at `data.user.nickname`: invalid type: integer `7`"
        ),
        "{error}"
    );

    // A required field left out.
    let mut body: Value = serde_json::from_str(V3_SESSION_SET_STATE).expect("JSON");
    if let Some(data) = body["data"].as_object_mut() {
        data.remove("session_id");
    }
    let error = strict_rejection(body);
    assert!(
        error.starts_with("event `session:set_state`: at `data`: missing field `session_id`"),
        "{error}"
    );

    // The whole `data` of the wrong kind.
    let error = strict_rejection(json!({"event": "session:set_state", "data": "resolved"}));
    assert!(
        error.starts_with("event `session:set_state`: at `data`: invalid type: string"),
        "{error}"
    );

    // A message whose `type` is unknown is kept by the union, but it still needs a `type`.
    let mut body: Value = serde_json::from_str(V1_MESSAGE_SEND).expect("JSON");
    if let Some(data) = body["data"].as_object_mut() {
        data.remove("type");
    }
    let error = strict_rejection(body);
    assert!(
        error.starts_with("event `message:send`: at `data`: missing field `type`"),
        "{error}"
    );
}

#[test]
fn a_verified_delivery_whose_payload_does_not_fit_is_kept_not_refused() {
    // `message:send` without `user`: the Node types call it required, no source proves Crisp
    // always sends it. The delivery still decodes, its data kept with the reason.
    let mut body: Value = serde_json::from_str(V1_MESSAGE_SEND).expect("JSON");
    body["data"]
        .as_object_mut()
        .expect("an object")
        .remove("user");
    let decoded: Delivery = serde_json::from_value(body.clone()).expect("a delivery decodes");
    assert_eq!(
        decoded.website_id.as_deref(),
        Some("8c842203-7ed8-4e29-a608-7cf78a7d2fcc")
    );
    assert_eq!(decoded.timestamp, Some(1_700_000_000_000));
    let Event::Undecoded { event, data, error } = &decoded.event else {
        panic!("expected Undecoded, got {:?}", decoded.event);
    };
    assert_eq!(event, "message:send");
    assert_eq!(data, &body["data"]);
    assert!(error.contains("user"), "{error}");
    // It encodes back to the body it came from.
    assert_eq!(serde_json::to_value(&decoded).expect("encodes"), body);
    // An `Event` on its own decodes the same way.
    let event: Event =
        serde_json::from_value(json!({"event": "message:send", "data": body["data"]}))
            .expect("an event");
    assert_eq!(event, decoded.event);
}

#[test]
fn the_total_decoder_keeps_a_payload_that_does_not_fit_with_its_reason() {
    // Each bad payload of the strict test above comes back as `Undecoded`: same reason, the
    // data untouched, the name kept; it encodes back to what came.
    let cases = [
        (
            "session:set_state",
            json!({"session_id": "s", "website_id": "w", "inbox_id": null, "state": 42}),
            "at `data.state`: invalid type: integer `42`",
        ),
        (
            "session:set_state",
            json!("resolved"),
            "at `data`: invalid type: string",
        ),
        (
            "message:send",
            json!({"type": "text", "from": "user"}),
            "at `data`: missing field",
        ),
    ];
    for (name, data, reason) in cases {
        let event = Event::decode(name.to_owned(), data.clone());
        let Event::Undecoded {
            event: kept,
            data: raw,
            error,
        } = &event
        else {
            panic!("{name}: expected Undecoded, got {event:?}");
        };
        assert_eq!(kept, name);
        assert_eq!(raw, &data);
        assert!(error.starts_with(reason), "{name}: {error}");
        assert_eq!(event.name(), name);
        assert_eq!(
            serde_json::to_value(&event).expect("encodes"),
            json!({"event": name, "data": data})
        );
        // The strict decoder refuses the same payload, naming the event and the same reason.
        let strict = Event::from_parts(name.to_owned(), data)
            .expect_err("refused")
            .to_string();
        assert_eq!(strict, format!("event `{name}`: {error}"));
    }
}

#[test]
fn the_total_decoder_gives_typed_and_unknown_events_like_the_strict_one() {
    let body: Value = serde_json::from_str(V3_SESSION_SET_STATE).expect("JSON");
    let event = Event::decode("session:set_state".to_owned(), body["data"].clone());
    assert!(
        matches!(&event, Event::SessionSetState(change) if change.state == ConversationState::Resolved),
        "{event:?}"
    );
    assert_eq!(
        Event::from_parts("session:set_state".to_owned(), body["data"].clone()).expect("decodes"),
        event
    );
    let unknown = Event::decode("widget:brand_new".to_owned(), json!({"x": 1}));
    assert_eq!(
        unknown,
        Event::Unknown {
            event: "widget:brand_new".to_owned(),
            data: json!({"x": 1})
        }
    );
}

#[test]
fn each_event_is_received_with_the_scope_the_spec_gives_it() {
    let cases = [
        // From the operation that fires it.
        ("session:set_state", Some("website:conversation:states")),
        ("message:received", Some("website:conversation:messages")),
        ("people:profile:created", Some("website:people:profiles")),
        // From the event's own `scope`: no operation fires it.
        ("message:send", Some("website:conversation:messages")),
        (
            "session:update_availability",
            Some("website:conversation:sessions"),
        ),
        ("website:update_visitors_count", Some("website:visitors")),
        // Neither: fired by an operation without a scope, or by none.
        ("bucket:url:upload:generated", None),
        ("plugin:event", None),
        ("no:such:event", None),
    ];
    for (name, scope) in cases {
        assert_eq!(Event::scope_of(name), scope, "{name}");
    }
}

#[test]
fn a_body_without_event_or_data_is_rejected() {
    let error = rejection(json!({"data": {}}));
    assert!(error.contains("missing field `event`"), "{error}");
    let error = rejection(json!({"event": "session:set_state"}));
    assert!(error.contains("missing field `data`"), "{error}");
    let error = rejection(json!({"event": 1, "data": {}}));
    assert!(error.contains("invalid type: integer `1`"), "{error}");
}

#[test]
fn an_event_on_its_own_is_event_and_data() {
    let data = json!({"website_id": "w", "session_id": "s", "inbox_id": null, "state": "pending"});
    let event =
        Event::from_parts("session:set_state".to_owned(), data.clone()).expect("the event decodes");
    assert!(
        matches!(&event, Event::SessionSetState(state) if state.state == ConversationState::Pending)
    );
    let encoded = serde_json::to_value(&event).expect("an event encodes");
    assert_eq!(encoded, json!({"event": "session:set_state", "data": data}));
    let decoded: Event = serde_json::from_value(encoded).expect("the encoding decodes");
    assert_eq!(decoded, event);
    assert_eq!(event.to_data().expect("JSON"), data);
}

#[test]
fn every_event_of_the_spec_has_a_variant() {
    let spec = crisp_codegen::load::load_path(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/crisp.yaml")),
        "spec/crisp.yaml",
    )
    .expect("the spec loads");
    let api = crisp_codegen::ir::build(&spec).expect("the spec lowers");
    let names: Vec<&str> = api
        .events
        .iter()
        .map(|event| event.name.wire.as_str())
        .collect();
    // The test crate builds the models with the `internal` feature, so internal events are in.
    assert_eq!(Event::NAMES, names.as_slice());
    assert_eq!(names.len(), 96);
    // Each known name with its example decodes into a variant of its own, never `Unknown`.
    for event in &api.events {
        let example = event.example.clone().expect("every event has an example");
        let decoded =
            Event::from_parts(event.name.wire.clone(), example).expect("the example decodes");
        assert!(
            !matches!(decoded, Event::Unknown { .. }),
            "{} decodes as unknown",
            event.name.wire
        );
        assert_eq!(decoded.name(), event.name.wire);
    }
}

/// The diagnostics of a small spec with one operation, tagged `tag` (`x` when empty), whose
/// events (and, optionally, schemas) are given.
fn problems(tag: &str, schemas: &str, events: &str) -> Vec<(String, String)> {
    let tag = if tag.is_empty() { "x" } else { tag };
    let text = format!(
        "openapi: 3.0.3\ninfo: {{title: x, version: '1'}}\nservers: [{{url: 'https://api.crisp.chat/v1'}}]\npaths: {{/x: {{get: {{operationId: getX, tags: [{tag}], responses: {{'200': {{description: ok}}}}}}}}}}\ncomponents:\n  schemas:\n    Payload: {{type: object, properties: {{id: {{type: string}}}}}}\n{schemas}{events}"
    );
    let spec = crisp_codegen::load::load_str("events.yaml", &text)
        .unwrap_or_else(|diags| panic!("the spec loads:\n{diags}\n{text}"));
    match crisp_codegen::generate(&spec) {
        Ok(_) => Vec::new(),
        Err(diags) => diags.into_iter().map(|d| (d.pointer, d.message)).collect(),
    }
}

/// A small spec with a problem, and the diagnostics (pointer, message) it must get.
struct Case {
    /// The operation's tag (`x` when empty).
    tags: &'static str,
    schemas: &'static str,
    events: &'static str,
    expected: &'static [(&'static str, &'static str)],
}

#[test]
fn event_problems_are_reported_at_their_place() {
    let ok = "x-crisp-events:\n  'a:b': {webhook-documented: true, payload: {$ref: '#/components/schemas/Payload'}}\n";
    assert_eq!(problems("", "", ok), Vec::new());

    let cases: &[Case] = &[
        Case {
            tags: "",
            schemas: "",
            events: "x-crisp-events: [a]\n",
            expected: &[(
                "/x-crisp-events",
                "`x-crisp-events` must be a mapping from event names to events",
            )],
        },
        Case {
            tags: "",
            schemas: "",
            events: "x-crisp-events:\n  'a:b': 3\n",
            expected: &[("/x-crisp-events/a:b", "event `a:b` must be a mapping")],
        },
        Case {
            tags: "",
            schemas: "",
            events: "x-crisp-events:\n  'a:b': {payload: {$ref: '#/components/schemas/Payload'}}\n",
            expected: &[(
                "/x-crisp-events/a:b",
                "event `a:b` does not say whether Crisp documents it as a web hook event",
            )],
        },
        Case {
            tags: "",
            schemas: "",
            events: "x-crisp-events:\n  'a:b': {webhook-documented: 'yes', payload: {$ref: '#/components/schemas/Payload'}}\n",
            expected: &[(
                "/x-crisp-events/a:b/webhook-documented",
                "`webhook-documented` must be `true` or `false`",
            )],
        },
        Case {
            tags: "",
            schemas: "",
            events: "x-crisp-events:\n  'a:b': {webhook-documented: true}\n",
            expected: &[("/x-crisp-events/a:b", "event `a:b` has no payload")],
        },
        Case {
            tags: "",
            schemas: "",
            events: "x-crisp-events:\n  'a:b': {webhook-documented: true, fired-by: getThing, payload: {$ref: '#/components/schemas/Payload'}}\n",
            expected: &[(
                "/x-crisp-events/a:b/fired-by",
                "`fired-by` must be a list of operationIds",
            )],
        },
        Case {
            tags: "",
            schemas: "",
            events: "x-crisp-events:\n  'a:b': {webhook-documented: true, payload: {$ref: '#/components/schemas/Missing'}}\n",
            expected: &[(
                "/x-crisp-events/a:b/payload",
                "`$ref: #/components/schemas/Missing` points at no schema",
            )],
        },
        Case {
            tags: "",
            schemas: "",
            events: "x-crisp-events:\n  'a:b': {webhook-documented: true, payload: {type: object, properties: {n: {type: integer, format: int128}}}}\n",
            expected: &[(
                "/x-crisp-events/a:b/payload/properties/n/format",
                "unknown integer format `int128`",
            )],
        },
        Case {
            tags: "",
            schemas: "",
            events: "x-crisp-events:\n  unknown: {webhook-documented: false, payload: {$ref: '#/components/schemas/Payload'}}\n",
            expected: &[(
                "/x-crisp-events/unknown",
                "event `unknown` would become the variant `Unknown`, which keeps the events this version does not know",
            )],
        },
        Case {
            tags: "",
            schemas: "    Delivery: {type: string}\n",
            events: ok,
            expected: &[(
                "/components/schemas/Delivery",
                "the type name `Delivery` is taken by the events of `x-crisp-events`",
            )],
        },
        Case {
            tags: "events",
            schemas: "",
            events: ok,
            expected: &[(
                "/paths/~1x/get/tags",
                "tag `events` would become the module `events`, which the generated crates already use",
            )],
        },
        Case {
            tags: "",
            schemas: "",
            events: "x-crisp-event: {}\n",
            expected: &[("/x-crisp-event", "unknown extension `x-crisp-event`")],
        },
        // Every problem is reported, not only the first.
        Case {
            tags: "",
            schemas: "",
            events: "x-crisp-events:\n  'a:b': {webhook-documented: 1, internal: 2, description: 3, payload: {$ref: '#/components/schemas/Payload'}}\n",
            expected: &[
                (
                    "/x-crisp-events/a:b/description",
                    "the description of event `a:b` must be a string",
                ),
                (
                    "/x-crisp-events/a:b/webhook-documented",
                    "`webhook-documented` must be `true` or `false`",
                ),
                (
                    "/x-crisp-events/a:b/internal",
                    "`internal` must be `true` or `false`",
                ),
            ],
        },
    ];
    for case in cases {
        let found = problems(case.tags, case.schemas, case.events);
        let expected: Vec<(String, String)> = case
            .expected
            .iter()
            .map(|(p, m)| ((*p).to_owned(), (*m).to_owned()))
            .collect();
        assert_eq!(found, expected, "for {}", case.events);
    }
}

#[test]
fn without_x_crisp_events_operations_name_events_freely() {
    // Fixtures and specs written before the extension keep working: nothing is checked, and
    // the models crate has no events module.
    let spec = crisp_codegen::load::load_path(
        std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/valid/18_docs_and_extensions.yaml"
        )),
        "18.yaml",
    )
    .expect("the fixture loads");
    let files = crisp_codegen::generate(&spec).expect("the fixture generates");
    assert!(files.iter().all(|file| !file.path.ends_with("events.rs")));
}

#[test]
fn payloads_the_clients_disagree_on_take_both_shapes() {
    use crisp_models::{EventCapabilities, EventImportItems};

    let capabilities = |value: Value| {
        let data =
            json!({"website_id": "w", "session_id": "s", "inbox_id": null, "capabilities": value});
        match Event::from_parts("session:sync:capabilities".to_owned(), data) {
            Ok(Event::SessionSyncCapabilities(payload)) => payload.capabilities,
            other => panic!("expected session:sync:capabilities, got {other:?}"),
        }
    };
    // The Node client's list, and the Go client's object holding it.
    assert_eq!(
        capabilities(json!(["call"])),
        EventCapabilities::List(vec!["call".to_owned()])
    );
    assert!(
        matches!(capabilities(json!({"capabilities": ["call"]})), EventCapabilities::Wrapped(wrapped) if wrapped.capabilities == Some(vec!["call".to_owned()]))
    );

    let items = |value: Value| {
        let data = json!({"website_id": "w", "progress": 10, "count": {"skipped": 1, "remaining": 9}, "items": value});
        match Event::from_parts("people:import:progress".to_owned(), data) {
            Ok(Event::PeopleImportProgress(payload)) => payload.items,
            other => panic!("expected people:import:progress, got {other:?}"),
        }
    };
    let row = json!({"identifier": null, "reason": "invalid_email"});
    // The Go client's list (an empty one too), and the Node client's object holding it.
    assert!(
        matches!(items(json!([row])), Some(EventImportItems::List(rows)) if rows.len() == 1 && rows[0].identifier.is_none())
    );
    assert!(matches!(items(json!([])), Some(EventImportItems::List(rows)) if rows.is_empty()));
    assert!(
        matches!(items(json!({"skipped": [row]})), Some(EventImportItems::Grouped(grouped)) if grouped.skipped.as_ref().is_some_and(|rows| rows.len() == 1))
    );
}
