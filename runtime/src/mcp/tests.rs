//! Who may call what, and how arguments become a request.

use serde_json::{Map, Value, json};

use super::call::request;
use super::operation::{Answer, Body, Kind, Location, Method, Operation, Param, Reach};
use crate::{Access, Scopes, Tier};

fn check_state(value: &Value) -> Result<(), String> {
    match value.get("state").and_then(Value::as_str) {
        Some(_) => Ok(()),
        None => Err("missing field `state`".to_owned()),
    }
}

const PARAMS: &[Param] = &[
    Param {
        name: "website_id",
        location: Location::Path,
        required: true,
        kind: Kind::String,
        multi_segment: false,
    },
    Param {
        name: "path",
        location: Location::Path,
        required: true,
        kind: Kind::String,
        multi_segment: true,
    },
    Param {
        name: "unread",
        location: Location::Query,
        required: false,
        kind: Kind::Boolean,
        multi_segment: false,
    },
    Param {
        name: "filter",
        location: Location::Query,
        required: false,
        kind: Kind::Json,
        multi_segment: false,
    },
    Param {
        name: "page",
        location: Location::Query,
        required: false,
        kind: Kind::Integer,
        multi_segment: false,
    },
];

const OPERATION: Operation = Operation {
    id: "changeState",
    tool: Some("change_state"),
    area: "website.conversation",
    summary: "Change a state.",
    description: "",
    method: Method::Patch,
    path: "/website/{website_id}/tree/{path}",
    params: PARAMS,
    body: Some(Body {
        required: true,
        check: check_state,
    }),
    answer: Answer::Empty,
    input_schema: "{}",
    tiers: &[Tier::User, Tier::Plugin],
    scope: Some("website:conversation:states"),
    internal: false,
    deprecated: false,
};

fn reach(tier: Tier, scopes: Scopes, internal: bool) -> Reach {
    Reach {
        tier,
        scopes,
        internal,
    }
}

fn arguments(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => unreachable!("the tests give objects"),
    }
}

#[test]
fn refusals_name_the_tier_the_scope_or_the_flag() {
    let user_only = Operation {
        tiers: &[Tier::User],
        ..OPERATION
    };
    let internal = Operation {
        internal: true,
        ..OPERATION
    };
    let read = Scopes::none().with("website:conversation:states", Access::Read);
    let write = Scopes::none().with("website:conversation:states", Access::Write);
    let cases = [
        (&OPERATION, reach(Tier::Plugin, write.clone(), false), None),
        (&OPERATION, reach(Tier::Plugin, Scopes::all(), false), None),
        // User tokens are not bound by plugin scopes.
        (&OPERATION, reach(Tier::User, Scopes::none(), false), None),
        (
            &OPERATION,
            reach(Tier::Plugin, read, false),
            Some(
                "`changeState` needs the scope `website:conversation:states` with write access, which this token lacks",
            ),
        ),
        (
            &user_only,
            reach(Tier::Plugin, write.clone(), false),
            Some("`changeState` is not available to plugin tokens"),
        ),
        (
            &internal,
            reach(Tier::Plugin, write.clone(), false),
            Some(
                "`changeState` is reserved for Crisp's own apps: start crisp-mcp with --internal to reach it",
            ),
        ),
        (&internal, reach(Tier::Plugin, write, true), None),
    ];
    for (operation, reach, expected) in cases {
        assert_eq!(reach.refusal(operation).as_deref(), expected, "{reach:?}");
    }
}

#[test]
fn arguments_become_the_clients_request() {
    let call = request(
        &OPERATION,
        &arguments(json!({
            "website_id": "w 1",
            "path": "a/b c",
            "unread": true,
            "filter": {"a": [1]},
            "page": 2,
            "body": {"state": "resolved"},
        })),
    )
    .expect("a request");
    let text = format!("{call:?}");
    // Path segments are encoded as the client encodes them; a multi-segment one keeps its `/`.
    assert!(
        text.contains(r#"path: "/website/w%201/tree/a/b%20c""#),
        "{text}"
    );
    // Booleans travel as 1 or 0, structured values as JSON, numbers as written.
    assert!(text.contains(r#"("unread", "1")"#), "{text}");
    assert!(text.contains(r#"("filter", "{\"a\":[1]}")"#), "{text}");
    assert!(text.contains(r#"("page", "2")"#), "{text}");
}

#[test]
fn bad_arguments_are_named() {
    let cases = [
        (
            json!({"path": "p", "body": {"state": "x"}}),
            "missing argument `website_id` (a string)",
        ),
        (
            json!({"website_id": "w", "path": "p", "unread": "yes", "body": {"state": "x"}}),
            "argument `unread` must be true or false, not a string",
        ),
        (
            json!({"website_id": "w", "path": "p", "page": 1.5, "body": {"state": "x"}}),
            "argument `page` must be an integer, not a number",
        ),
        (
            json!({"website_id": "w", "path": "p"}),
            "missing argument `body` (an object)",
        ),
        (
            json!({"website_id": "w", "path": "p", "body": {}}),
            "argument `body`: missing field `state`",
        ),
        (
            json!({"website_id": "w", "path": "p", "body": {"state": "x"}, "extra": 1}),
            "unknown argument `extra`; `changeState` takes `website_id`, `path`, `unread`, `filter`, `page`, `body`",
        ),
    ];
    for (given, message) in cases {
        assert_eq!(
            request(&OPERATION, &arguments(given.clone())).map(|_| ()),
            Err(message.to_owned()),
            "{given}"
        );
    }
}
