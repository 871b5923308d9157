//! The sandbox's real-time (RTM) API end to end, with Crisp's own Node client: the official
//! `crisp-api` package in its default websockets mode (`tests/node/crisp-listener.js`), an
//! engine.io v3 client as the Go client speaks it (`tests/node/legacy-listener.js`, on
//! socket.io-client 2.x), and the reference socket.io server of `tests/node` that RTM clients
//! can be tested against (`tests/node/reference-server.js`).
//!
//! Each test runs its own sandbox on `127.0.0.1:0` and its own Node processes, which are killed
//! when the test ends.

use std::collections::BTreeSet;
use std::time::Duration;

use crisp_models::{
    ChangeConversationStateBody, ConversationState, Event, EventMessage, MessageFrom,
    PeopleProfileUpdate,
};
use crisp_sandbox::state::SEED_WEBSITE_ID;
use crisp_sandbox::{Mode, Token};
use futures_util::{StreamExt, stream};
use serde_json::{Value, json};

use crate::node::{NodeProcess, has, is_event};
use crate::sandbox::{PLUGIN, Running, config, text_message};
use crate::webhooks;

/// How long a test waits for one line from a Node script.
pub(crate) const WAIT: Duration = Duration::from_secs(20);
/// How long a test waits for the official client to reconnect: it waits 5 to 10 s first.
const RECONNECT_WAIT: Duration = Duration::from_secs(30);
/// A plugin token reading conversations and people but not messages.
const NO_MESSAGES: (&str, &str) = ("rtm-no-messages", "rtm-no-messages-key");

/// Starts the official client listening to `events` of the sandbox with the plugin token
/// `(identifier, key)`, with the extra environment `env`.
async fn official(
    sandbox: &Running,
    (identifier, key): (&str, &str),
    events: &[&str],
    env: &[(&str, &str)],
) -> NodeProcess {
    let rest = sandbox.base().trim_end_matches("/v1");
    let mut args = vec![rest, "plugin", identifier, key];
    args.extend_from_slice(events);
    NodeProcess::spawn("crisp-listener.js", &args, env).await
}

/// [`official`], once the sandbox has accepted its authentication.
async fn authenticated(sandbox: &Running, token: (&str, &str), events: &[&str]) -> NodeProcess {
    let mut listener = official(sandbox, token, events, &[]).await;
    listener
        .wait_for("`authenticated`", WAIT, |line| {
            line.get("authenticated") == Some(&json!(true))
        })
        .await;
    listener
}

/// Starts the engine.io v3 client on `socket_url` with the plugin token `(identifier, key)`,
/// listening to `events`.
async fn legacy(socket_url: &str, (identifier, key): (&str, &str), events: &[&str]) -> NodeProcess {
    let mut args = vec![socket_url, "plugin", identifier, key];
    args.extend_from_slice(events);
    NodeProcess::spawn("legacy-listener.js", &args, &[]).await
}

/// The socket URL of a sandbox, as its `connect/endpoints` answers it to the plugin client.
async fn socket_url(sandbox: &Running) -> String {
    sandbox
        .plugin()
        .plugin_connect()
        .get_plugin_connect_endpoints()
        .await
        .expect("the plugin endpoints")
        .socket
        .and_then(|socket| socket.app)
        .expect("a socket URL")
}

/// The events among `lines`, as `(name, data)`.
fn events(lines: &[Value]) -> Vec<(String, Value)> {
    lines
        .iter()
        .filter_map(|line| {
            let name = line.get("event")?.as_str()?;
            Some((
                name.to_owned(),
                line.get("data").cloned().unwrap_or(Value::Null),
            ))
        })
        .collect()
}

/// The names of the events among `lines`.
fn event_names(lines: &[Value]) -> Vec<String> {
    events(lines).into_iter().map(|(name, _)| name).collect()
}

/// Decodes an event into the generated [`Event`], which must know it (not `Event::Unknown`).
fn typed(name: &str, data: &Value) -> Event {
    let event = Event::from_parts(name.to_owned(), data.clone())
        .unwrap_or_else(|error| panic!("{name} does not fit its spec payload: {error}: {data}"));
    assert!(
        !matches!(event, Event::Unknown { .. }),
        "{name} decodes as Event::Unknown"
    );
    assert_eq!(event.name(), name);
    event
}

/// Adds a people profile with `email` on the seeded website; returns its people id.
pub(crate) async fn new_profile(sandbox: &Running, email: &str) -> String {
    let mut profile = PeopleProfileUpdate::default();
    profile.email = Some(email.to_owned());
    sandbox
        .plugin()
        .website_people()
        .add_new_people_profile(SEED_WEBSITE_ID, &profile)
        .await
        .expect("add a profile")
        .people_id
        .expect("a people id")
}

#[tokio::test]
async fn the_official_node_client_receives_what_the_web_hooks_carry() {
    let (hook, mut deliveries) = webhooks::receiver().await;
    let sandbox = Running::start(webhooks::hooked(vec![hook], 1)).await;
    let names = [
        "session:request:initiated",
        "message:send",
        "message:received",
        "session:set_state",
        "people:profile:created",
    ];
    let mut listener = authenticated(&sandbox, PLUGIN, &names).await;
    let client = sandbox.plugin();
    let conversations = client.website_conversation();

    let session = sandbox.new_conversation().await;
    let visitor = conversations
        .send_message_in_conversation(
            SEED_WEBSITE_ID,
            &session,
            &text_message("user", "Hello from the visitor"),
        )
        .await
        .expect("the visitor writes")
        .fingerprint
        .expect("a fingerprint");
    let operator = conversations
        .send_message_in_conversation(
            SEED_WEBSITE_ID,
            &session,
            &text_message("operator", "Hello from the team"),
        )
        .await
        .expect("an operator answers")
        .fingerprint
        .expect("a fingerprint");
    conversations
        .change_conversation_state(
            SEED_WEBSITE_ID,
            &session,
            &ChangeConversationStateBody::new(ConversationState::Resolved),
        )
        .await
        .expect("resolve");
    let people_id = new_profile(&sandbox, "jane.doe@example.com").await;
    listener
        .wait_for("people:profile:created", WAIT, |line| {
            is_event(line, "people:profile:created")
        })
        .await;

    // The same payloads as the web hooks of those names, in the same order.
    let received = events(listener.lines());
    let mut hooked = Vec::new();
    loop {
        let delivery = webhooks::next(&mut deliveries).await;
        let last = delivery.event == "people:profile:created";
        if names.contains(&delivery.event.as_str()) {
            hooked.push((delivery.event, delivery.data));
        }
        if last {
            break;
        }
    }
    assert_eq!(received, hooked);
    assert_eq!(
        event_names(listener.lines()),
        [
            "session:request:initiated",
            "message:send",
            "message:received",
            // The operator's answer takes the pending conversation to unresolved.
            "session:set_state",
            "session:set_state",
            "people:profile:created",
        ]
    );

    // Each one is its typed event, with the fields of what happened.
    let mut states = Vec::new();
    for (name, data) in &received {
        match typed(name, data) {
            Event::SessionRequestInitiated(initiated) => {
                assert_eq!(initiated.session_id, session);
                assert_eq!(initiated.website_id, SEED_WEBSITE_ID);
                assert_eq!(initiated.inbox_id, None);
            }
            Event::MessageSend(EventMessage::Text(message)) => {
                assert_eq!(message.session_id, session);
                assert_eq!(message.website_id, SEED_WEBSITE_ID);
                assert_eq!(message.content, "Hello from the visitor");
                assert_eq!(message.from, MessageFrom::User);
                assert_eq!(message.fingerprint, visitor);
            }
            Event::MessageReceived(EventMessage::Text(message)) => {
                assert_eq!(message.session_id, session);
                assert_eq!(message.content, "Hello from the team");
                assert_eq!(message.from, MessageFrom::Operator);
                assert_eq!(message.fingerprint, operator);
            }
            Event::SessionSetState(state) => {
                assert_eq!(state.session_id, session);
                assert_eq!(state.website_id, SEED_WEBSITE_ID);
                states.push(state.state);
            }
            Event::PeopleProfileCreated(profile) => {
                assert_eq!(profile.people_id, people_id);
                assert_eq!(profile.website_id, SEED_WEBSITE_ID);
                assert_eq!(profile.email.as_deref(), Some("jane.doe@example.com"));
            }
            other => panic!("an unexpected event: {other:?}"),
        }
    }
    assert_eq!(
        states,
        [ConversationState::Unresolved, ConversationState::Resolved]
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn a_plugin_token_without_the_messages_scope_receives_no_message_events() {
    let mut config = config(Mode::Stateful);
    let scoped: Token = format!(
        "plugin:{}:{}:website:conversation:sessions=read,website:people:profiles=read",
        NO_MESSAGES.0, NO_MESSAGES.1
    )
    .parse()
    .expect("a scoped token");
    config.tokens.push(scoped);
    let sandbox = Running::start(config).await;
    let mut listener = authenticated(
        &sandbox,
        NO_MESSAGES,
        &[
            "message:send",
            "message:received",
            "session:request:initiated",
            "people:profile:created",
        ],
    )
    .await;
    let client = sandbox.plugin();
    let conversations = client.website_conversation();

    let session = sandbox.new_conversation().await;
    for from in ["user", "operator"] {
        conversations
            .send_message_in_conversation(SEED_WEBSITE_ID, &session, &text_message(from, "Hi"))
            .await
            .expect("a message");
    }
    // A later event the token receives: the messages were published before it, in order.
    let people_id = new_profile(&sandbox, "no.messages@example.com").await;
    listener
        .wait_for("people:profile:created", WAIT, |line| {
            is_event(line, "people:profile:created")
        })
        .await;

    let received = events(listener.lines());
    assert_eq!(
        event_names(listener.lines()),
        ["session:request:initiated", "people:profile:created"],
        "{received:?}"
    );
    assert_eq!(received[0].1["session_id"], json!(session));
    assert_eq!(received[1].1["people_id"], json!(people_id));
    sandbox.stop().await;
}

#[tokio::test]
async fn a_burst_of_events_reaches_the_official_client_whole_and_in_order() {
    const BURST: usize = 300;
    let (hook, mut deliveries) = webhooks::receiver().await;
    let sandbox = Running::start(webhooks::hooked(vec![hook], 1)).await;
    let mut listener = authenticated(&sandbox, PLUGIN, &["session:request:initiated"]).await;
    // Many requests at once, so the events come as fast as the sandbox can record them.
    let client = sandbox.plugin();
    let created: BTreeSet<String> = stream::iter(0..BURST)
        .map(|_| async {
            client
                .website_conversation()
                .create_new_conversation(SEED_WEBSITE_ID)
                .await
                .expect("create a conversation")
                .session_id
                .expect("a session id")
        })
        .buffer_unordered(32)
        .collect()
        .await;
    assert_eq!(created.len(), BURST);

    // The web hooks give the order the sandbox recorded them in.
    let mut recorded = Vec::with_capacity(BURST);
    while recorded.len() < BURST {
        let delivery = webhooks::next(&mut deliveries).await;
        recorded.push(delivery.data["session_id"].clone());
    }
    let last = recorded.last().cloned().unwrap_or_default();
    listener
        .wait_for("the last session:request:initiated", WAIT, |line| {
            is_event(line, "session:request:initiated") && line["data"]["session_id"] == last
        })
        .await;
    let received: Vec<Value> = events(listener.lines())
        .into_iter()
        .map(|(_, data)| data["session_id"].clone())
        .collect();
    assert_eq!(received, recorded);
    sandbox.stop().await;
}

#[tokio::test]
async fn a_wrong_key_is_answered_unauthorized_and_disconnected() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let url = format!("ws://{}/rtm/", sandbox.address());
    // Straight to the socket (`setRtmHost`): with a wrong key, the REST question of where to
    // connect would fail first.
    let mut listener = official(
        &sandbox,
        (PLUGIN.0, "not-the-key"),
        &["session:request:initiated"],
        &[("CRISP_RTM_HOST", &url)],
    )
    .await;
    let refused = listener
        .wait_for("`unauthorized`", WAIT, |line| has(line, "unauthorized"))
        .await;
    let message = refused["unauthorized"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no message in {refused}"));
    assert!(!message.is_empty());
    assert!(!message.contains("not-the-key"), "{message}");
    listener
        .wait_for("the server's disconnection", WAIT, |line| {
            line.get("disconnected") == Some(&json!("io server disconnect"))
        })
        .await;
    assert!(
        !listener
            .lines()
            .iter()
            .any(|line| has(line, "authenticated")),
        "{:?}",
        listener.lines()
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn with_a_wrong_key_the_official_client_finds_no_socket_to_connect_to() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let mut listener = official(
        &sandbox,
        (PLUGIN.0, "not-the-key"),
        &["session:request:initiated"],
        &[],
    )
    .await;
    // `connect/endpoints` answers 401, so the client has no socket URL.
    let failed = listener
        .wait_for("the client's error", WAIT, |line| has(line, "error"))
        .await;
    let error = failed["error"].as_str().unwrap_or_default();
    assert!(error.contains("could not acquire target host"), "{error}");
    sandbox.stop().await;
}

#[tokio::test]
async fn malformed_authentications_are_refused_and_the_sandbox_keeps_serving() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let url = socket_url(&sandbox).await;
    // Each client authenticates properly, then sends a second, malformed `authentication`,
    // which replaces the first: refused, and the socket disconnected.
    let malformed = [
        json!({"emit": "authentication", "data": "plugin:key"}),
        json!({"emit": "authentication", "data": {"username": 42, "password": PLUGIN.1}}),
        json!({"emit": "authentication", "data": {
            "username": PLUGIN.0, "password": PLUGIN.1, "tier": "plugin", "events": "all"
        }}),
        json!({"emit": "authentication", "binary": "\u{0}\u{1}binary"}),
        json!({"emit": "authentication"}),
    ];
    for command in &malformed {
        let mut client = legacy(&url, PLUGIN, &["session:request:initiated"]).await;
        client
            .wait_for("`authenticated`", WAIT, |line| has(line, "authenticated"))
            .await;
        client.send(command).await;
        let refused = client
            .wait_for("`unauthorized`", WAIT, |line| has(line, "unauthorized"))
            .await;
        assert!(
            refused["unauthorized"]["message"].is_string(),
            "{command}: {refused}"
        );
        client
            .wait_for("the server's disconnection", WAIT, |line| {
                line.get("disconnected") == Some(&json!("io server disconnect"))
            })
            .await;
    }

    // Unknown events and malformed binds from an authenticated client are ignored.
    let mut client = legacy(&url, PLUGIN, &["session:request:initiated"]).await;
    client
        .wait_for("`authenticated`", WAIT, |line| has(line, "authenticated"))
        .await;
    client
        .send(&json!({"emit": "no:such:event", "data": {"x": 1}}))
        .await;
    client
        .send(&json!({"emit": "socket:bind", "data": {"events": "everything"}}))
        .await;
    let ignored = client
        .wait_for("the ack of the malformed bind", WAIT, |line| {
            has(line, "ack")
        })
        .await;
    assert_eq!(ignored, json!({"ack": "socket:bind", "data": false}));
    let session = sandbox.new_conversation().await;
    let event = client
        .wait_for("session:request:initiated", WAIT, |line| {
            is_event(line, "session:request:initiated")
        })
        .await;
    assert_eq!(event["data"]["session_id"], json!(session));
    sandbox.stop().await;
}

#[tokio::test]
async fn the_official_node_client_reconnects_after_a_restart() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let address = sandbox.address();
    let mut listener = authenticated(&sandbox, PLUGIN, &["session:request:initiated"]).await;
    sandbox.stop().await;
    listener
        .wait_for("a disconnection", WAIT, |line| has(line, "disconnected"))
        .await;

    let sandbox = Running::start_at(config(Mode::Stateful), address).await;
    // The client reconnects on its own (after 5 to 10 s) and authenticates again.
    listener
        .wait_for("a second `authenticated`", RECONNECT_WAIT, |line| {
            has(line, "authenticated")
        })
        .await;
    let session = sandbox.new_conversation().await;
    let event = listener
        .wait_for("session:request:initiated", WAIT, |line| {
            is_event(line, "session:request:initiated")
        })
        .await;
    assert_eq!(event["data"]["session_id"], json!(session));
    let authentications = listener
        .lines()
        .iter()
        .filter(|line| has(line, "authenticated"))
        .count();
    assert_eq!(authentications, 2, "{:?}", listener.lines());
    sandbox.stop().await;
}

#[tokio::test]
async fn an_engine_io_v3_client_authenticates_receives_and_rebinds() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    // As the Go client does: the socket URL from `connect/endpoints`, then engine.io v3.
    let url = socket_url(&sandbox).await;
    let mut client = legacy(
        &url,
        PLUGIN,
        &["session:request:initiated", "people:profile:created"],
    )
    .await;
    client
        .wait_for("`authenticated`", WAIT, |line| {
            line.get("authenticated") == Some(&json!(true))
        })
        .await;
    let first = sandbox.new_conversation().await;
    let event = client
        .wait_for("session:request:initiated", WAIT, |line| {
            is_event(line, "session:request:initiated")
        })
        .await;
    assert_eq!(event["data"]["session_id"], json!(first));
    typed("session:request:initiated", &event["data"]);

    // `socket:bind` replaces the list of events (acknowledged, since this client asks).
    client
        .send(&json!({"emit": "socket:bind", "data": {"events": ["people:profile:created"]}}))
        .await;
    let bound = client
        .wait_for("the ack of socket:bind", WAIT, |line| has(line, "ack"))
        .await;
    assert_eq!(
        bound,
        json!({"ack": "socket:bind", "data": ["people:profile:created"]})
    );
    let before = client.lines().len();
    sandbox.new_conversation().await;
    let people_id = new_profile(&sandbox, "rebound@example.com").await;
    client
        .wait_for("people:profile:created", WAIT, |line| {
            is_event(line, "people:profile:created")
        })
        .await;
    let after = &client.lines()[before..];
    assert_eq!(event_names(after), ["people:profile:created"], "{after:?}");
    assert_eq!(events(after)[0].1["people_id"], json!(people_id));
    sandbox.stop().await;
}

/// A `message:send` payload, as Crisp sends it for a visitor's text message.
pub(crate) fn visitor_message() -> Value {
    json!({
        "website_id": SEED_WEBSITE_ID,
        "session_id": "session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881",
        "inbox_id": null,
        "type": "text",
        "from": "user",
        "origin": "chat",
        "content": "Hello from the reference server",
        "fingerprint": 163_408_965_465_123_u64,
        "timestamp": 1_700_000_000_000_u64,
        "user": {"nickname": "John Doe", "user_id": "session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881"}
    })
}

/// Starts the reference server on a free port at `/rtm/`, accepting `plugin:ref-id:ref-key`;
/// returns it and its socket URL.
pub(crate) async fn reference_server() -> (NodeProcess, String) {
    let mut server = NodeProcess::spawn(
        "reference-server.js",
        &["--port", "0", "--path", "/rtm/"],
        &[("CRISP_RTM_TOKEN", "plugin:ref-id:ref-key")],
    )
    .await;
    let listening = server
        .wait_for("`listening`", WAIT, |line| has(line, "listening"))
        .await;
    let port = listening["listening"]
        .as_u64()
        .unwrap_or_else(|| panic!("no port in {listening}"));
    (server, format!("ws://127.0.0.1:{port}/rtm/"))
}

#[tokio::test]
async fn the_reference_server_speaks_crisps_protocol_to_the_official_client() {
    let (mut server, url) = reference_server().await;
    // The REST host is never asked: the socket URL is given.
    let mut client = NodeProcess::spawn(
        "crisp-listener.js",
        &[
            "http://127.0.0.1:9",
            "plugin",
            "ref-id",
            "ref-key",
            "message:send",
        ],
        &[("CRISP_RTM_HOST", &url)],
    )
    .await;
    client
        .wait_for("`authenticated`", WAIT, |line| has(line, "authenticated"))
        .await;
    let accepted = server
        .wait_for("`authenticated`", WAIT, |line| has(line, "authenticated"))
        .await;
    assert_eq!(
        accepted,
        json!({"authenticated": {
            "username": "ref-id", "tier": "plugin", "events": ["message:send"]
        }})
    );

    server
        .send(&json!({"emit": "message:send", "data": visitor_message()}))
        .await;
    let emitted = server
        .wait_for("`emitted`", WAIT, |line| has(line, "emitted"))
        .await;
    assert_eq!(emitted, json!({"emitted": "message:send", "sockets": 1}));
    let event = client
        .wait_for("message:send", WAIT, |line| is_event(line, "message:send"))
        .await;
    assert_eq!(event["data"], visitor_message());
    assert!(matches!(
        typed("message:send", &event["data"]),
        Event::MessageSend(EventMessage::Text(_))
    ));

    server.send(&json!({"close": true})).await;
    server
        .wait_for("`closed`", WAIT, |line| has(line, "closed"))
        .await;
    assert!(
        !server
            .lines()
            .iter()
            .any(|line| line.to_string().contains("ref-key")),
        "the server printed the key: {:?}",
        server.lines()
    );
}

#[tokio::test]
async fn the_reference_server_refuses_wrong_keys_and_serves_engine_io_v3_clients() {
    let (mut server, url) = reference_server().await;
    let mut wrong = legacy(&url, ("ref-id", "not-the-key"), &["message:send"]).await;
    let refused = wrong
        .wait_for("`unauthorized`", WAIT, |line| has(line, "unauthorized"))
        .await;
    assert_eq!(
        refused,
        json!({"unauthorized": {"message": "the credentials are not valid"}})
    );
    server
        .wait_for("`unauthorized`", WAIT, |line| has(line, "unauthorized"))
        .await;

    let mut right = legacy(&url, ("ref-id", "ref-key"), &["message:send"]).await;
    right
        .wait_for("`authenticated`", WAIT, |line| has(line, "authenticated"))
        .await;
    server
        .send(&json!({"emit": "message:send", "data": visitor_message()}))
        .await;
    let event = right
        .wait_for("message:send", WAIT, |line| is_event(line, "message:send"))
        .await;
    assert_eq!(event["data"], visitor_message());
    // The refused client got nothing.
    assert!(event_names(wrong.lines()).is_empty(), "{:?}", wrong.lines());
}
