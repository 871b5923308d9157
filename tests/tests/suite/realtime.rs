//! The generated client's real-time stream (`Client::realtime`, on `crisp_runtime::rtm`) end
//! to end over 127.0.0.1: against the sandbox, which it finds through the generated
//! `connect/endpoints` operation, and against the reference socket.io server of `tests/node`,
//! which nobody here wrote the protocol side of.

use std::time::Duration;

use crisp_client::models::{
    ChangeConversationStateBody, ConversationMessage, ConversationState, Event, EventMessage,
    MessageFrom,
};
use crisp_client::rtm::{self, Reconnect, State, Subscription};
use crisp_client::{Client, RetryPolicy, tier};
use crisp_examples::bot;
use crisp_sandbox::Mode;
use crisp_sandbox::state::SEED_WEBSITE_ID;
use serde_json::json;

use crate::node::has;
use crate::rtm_node::{WAIT, new_profile, reference_server, visitor_message};
use crate::sandbox::{PLUGIN, Running, config, text_message};

/// A plugin client of the sandbox (retries off: these tests look at what happens once).
fn plugin(sandbox: &Running, key: &str) -> Client<tier::Plugin> {
    Client::builder()
        .plugin(PLUGIN.0, key)
        .base_url(sandbox.base())
        .retry(RetryPolicy::disabled())
        .build()
        .expect("a plugin client")
}

/// Quick reconnections, so a test does not wait long for them.
fn quick() -> Reconnect {
    Reconnect::new()
        .with_initial_delay(Duration::from_millis(100))
        .with_max_delay(Duration::from_millis(500))
}

/// The next event of `events`, within [`WAIT`].
async fn next_event(events: &mut Subscription<Event>) -> Event {
    match tokio::time::timeout(WAIT, events.next()).await {
        Ok(Some(Ok(event))) => event,
        Ok(other) => panic!("expected an event, got {other:?}"),
        Err(_) => panic!("no event within {WAIT:?}"),
    }
}

/// Waits until `events` is authenticated, within [`WAIT`].
async fn authenticated(events: &Subscription<Event>) {
    let authenticated = tokio::time::timeout(WAIT, events.authenticated())
        .await
        .expect("authenticated in time");
    assert!(
        authenticated,
        "the subscription ended before it was authenticated: {:?}",
        events.state()
    );
}

#[tokio::test]
async fn typed_events_of_the_sandbox_reach_the_rust_client_in_order() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let client = plugin(&sandbox, PLUGIN.1);
    let names = [
        "session:request:initiated",
        "message:send",
        "message:received",
        "session:set_state",
        "people:profile:created",
    ];
    let mut events = client.realtime().events(names).subscribe();
    authenticated(&events).await;

    let session_id = sandbox.new_conversation().await;
    let conversations = client.website_conversation();
    conversations
        .send_message_in_conversation(
            SEED_WEBSITE_ID,
            &session_id,
            &text_message("user", "Where is my order?"),
        )
        .await
        .expect("the visitor's message");
    conversations
        .send_message_in_conversation(
            SEED_WEBSITE_ID,
            &session_id,
            &text_message("operator", "On its way."),
        )
        .await
        .expect("the operator's message");
    conversations
        .change_conversation_state(
            SEED_WEBSITE_ID,
            &session_id,
            &ChangeConversationStateBody::new(ConversationState::Resolved),
        )
        .await
        .expect("resolved");
    let people_id = new_profile(&sandbox, "rtm-rust@example.com").await;

    // Each event comes as its typed variant, in the order it happened.
    match next_event(&mut events).await {
        Event::SessionRequestInitiated(started) => assert_eq!(started.session_id, session_id),
        other => panic!("expected session:request:initiated, got {other:?}"),
    }
    match next_event(&mut events).await {
        Event::MessageSend(EventMessage::Text(message)) => {
            assert_eq!(
                (
                    message.session_id.as_str(),
                    message.from,
                    message.content.as_str()
                ),
                (session_id.as_str(), MessageFrom::User, "Where is my order?")
            );
            assert_eq!(message.website_id, SEED_WEBSITE_ID);
        }
        other => panic!("expected a text message:send, got {other:?}"),
    }
    match next_event(&mut events).await {
        Event::MessageReceived(EventMessage::Text(message)) => {
            assert_eq!(
                (message.from, message.content.as_str()),
                (MessageFrom::Operator, "On its way.")
            );
        }
        other => panic!("expected a text message:received, got {other:?}"),
    }
    // The operator's reply also moves the conversation to unresolved, then it is resolved.
    let mut states = Vec::new();
    while states.last() != Some(&ConversationState::Resolved) {
        match next_event(&mut events).await {
            Event::SessionSetState(change) => {
                assert_eq!(change.session_id, session_id);
                states.push(change.state);
            }
            other => panic!("expected session:set_state, got {other:?}"),
        }
    }
    match next_event(&mut events).await {
        Event::PeopleProfileCreated(created) => {
            assert_eq!(created.people_id, people_id);
            assert_eq!(created.email.as_deref(), Some("rtm-rust@example.com"));
        }
        other => panic!("expected people:profile:created, got {other:?}"),
    }
    assert_eq!(events.state(), State::Authenticated);
    drop(events);
    sandbox.stop().await;
}

#[tokio::test]
async fn the_real_time_bot_answers_a_visitor_in_the_same_conversation() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let client = plugin(&sandbox, PLUGIN.1);
    // The bot finds the socket through the sandbox's `connect/endpoints`, as it would Crisp's.
    let events = bot::subscribe(&client, None);
    authenticated(&events).await;
    let listening = tokio::spawn(bot::listen(client.clone(), events));

    let session_id = sandbox.new_conversation().await;
    let conversations = client.website_conversation();
    conversations
        .send_message_in_conversation(
            SEED_WEBSITE_ID,
            &session_id,
            &text_message("user", "Hello, anyone there?"),
        )
        .await
        .expect("the visitor's message");

    let deadline = tokio::time::Instant::now() + WAIT;
    let messages: Vec<ConversationMessage> = loop {
        let messages = conversations
            .get_messages_in_conversation(SEED_WEBSITE_ID, &session_id, &Default::default())
            .await
            .expect("the messages");
        if messages.len() >= 2 || tokio::time::Instant::now() >= deadline {
            break messages;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(messages.len(), 2, "{messages:#?}");
    let answer = serde_json::to_value(&messages[1]).expect("encode");
    assert_eq!(answer["from"], "operator", "{answer}");
    assert_eq!(
        answer["content"],
        bot::reply_to("Hello, anyone there?"),
        "{answer}"
    );
    // The bot's own message (`message:received`) is not answered: still two messages later.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let later = conversations
        .get_messages_in_conversation(SEED_WEBSITE_ID, &session_id, &Default::default())
        .await
        .expect("the messages");
    assert_eq!(later.len(), 2);
    listening.abort();
    sandbox.stop().await;
}

#[tokio::test]
async fn after_a_sandbox_restart_the_client_reconnects_authenticates_and_receives() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let address = sandbox.address();
    let client = plugin(&sandbox, PLUGIN.1);
    let mut events = client
        .realtime()
        .events(["session:request:initiated"])
        .reconnect(quick())
        .subscribe();
    authenticated(&events).await;
    let before = sandbox.new_conversation().await;
    assert!(
        matches!(next_event(&mut events).await, Event::SessionRequestInitiated(started) if started.session_id == before)
    );

    sandbox.stop().await;
    // The client notices the loss...
    let deadline = tokio::time::Instant::now() + WAIT;
    while events.state() == State::Authenticated {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the loss was not noticed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // ...keeps trying while nothing listens, then gets back in once the sandbox is back.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(
        matches!(events.state(), State::Connecting { attempt } if attempt >= 1),
        "{:?}",
        events.state()
    );
    let sandbox = Running::start_at(config(Mode::Stateful), address).await;
    authenticated(&events).await;
    let after = sandbox.new_conversation().await;
    assert!(
        matches!(next_event(&mut events).await, Event::SessionRequestInitiated(started) if started.session_id == after)
    );
    drop(events);
    sandbox.stop().await;
}

#[tokio::test]
async fn a_wrong_key_ends_the_subscription_at_once_with_a_typed_error() {
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let wrong = plugin(&sandbox, "not-the-key");

    // Finding the socket is already refused: Crisp's reason is kept.
    let started = tokio::time::Instant::now();
    let mut events = wrong.realtime().subscribe();
    match tokio::time::timeout(WAIT, events.next())
        .await
        .expect("an answer in time")
    {
        Some(Err(rtm::Error::Discovery(error))) => {
            assert_eq!(
                error.status().map(|status| status.as_u16()),
                Some(401),
                "{error}"
            );
            assert_eq!(
                error.reason().map(|reason| reason.as_str()),
                Some("invalid_session"),
                "{error}"
            );
        }
        other => panic!("expected a discovery error, got {other:?}"),
    }
    assert!(events.next().await.is_none(), "the stream ends");

    // Straight at the socket: `unauthorized`, once, and no reconnection.
    let url = format!("ws://{}/rtm/", sandbox.address());
    let mut events = wrong
        .realtime()
        .endpoint(url)
        .reconnect(quick())
        .subscribe();
    match tokio::time::timeout(WAIT, events.next())
        .await
        .expect("an answer in time")
    {
        Some(Err(error @ rtm::Error::Unauthorized { .. })) => {
            assert!(!error.to_string().contains("not-the-key"), "{error}")
        }
        other => panic!("expected Unauthorized, got {other:?}"),
    }
    assert!(events.next().await.is_none(), "the stream ends");
    assert_eq!(events.state(), State::Closed);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "refusals come at once, took {:?}",
        started.elapsed()
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn the_rust_client_speaks_crisps_protocol_with_the_reference_socket_io_server() {
    let (mut server, url) = reference_server().await;
    let client = Client::builder()
        .plugin("ref-id", "ref-key")
        .base_url("http://127.0.0.1:9/v1")
        .build()
        .expect("a client");
    let mut events = client
        .realtime()
        .events(["message:send"])
        .endpoint(url)
        .reconnect(quick())
        .subscribe();
    authenticated(&events).await;
    let accepted = server
        .wait_for("`authenticated`", WAIT, |line| has(line, "authenticated"))
        .await;
    assert_eq!(
        accepted,
        json!({"authenticated": {"username": "ref-id", "tier": "plugin", "events": ["message:send"]}})
    );

    // Three times: at first, after the connection is cut (a network failure), and after the
    // server disconnects the socket (which socket.io clients do not come back from on their
    // own, but a Crisp client must).
    for (round, cut) in [(1, None), (2, Some("drop")), (3, Some("disconnect"))] {
        if let Some(cut) = cut {
            server.send(&json!({cut: true})).await;
            // The client comes back and authenticates again, as Crisp's clients do.
            let again = server
                .wait_for("a new authentication", WAIT, |line| {
                    has(line, "authenticated")
                })
                .await;
            assert_eq!(again, accepted, "round {round}");
        }
        server
            .send(&json!({"emit": "message:send", "data": visitor_message()}))
            .await;
        server
            .wait_for("`emitted`", WAIT, |line| has(line, "emitted"))
            .await;
        match next_event(&mut events).await {
            Event::MessageSend(EventMessage::Text(message)) => {
                assert_eq!(
                    message.content, "Hello from the reference server",
                    "round {round}"
                );
            }
            other => panic!("round {round}: expected a text message:send, got {other:?}"),
        }
    }
    let authentications = server
        .lines()
        .iter()
        .filter(|line| has(line, "authenticated"))
        .count();
    assert_eq!(authentications, 3, "{:?}", server.lines());
}

#[tokio::test]
async fn the_reference_server_refuses_a_wrong_key_and_the_client_does_not_insist() {
    let (mut server, url) = reference_server().await;
    let client = Client::builder()
        .plugin("ref-id", "wrong-key")
        .base_url("http://127.0.0.1:9/v1")
        .build()
        .expect("a client");
    let mut events = client
        .realtime()
        .endpoint(url)
        .reconnect(quick())
        .subscribe();
    match tokio::time::timeout(WAIT, events.next())
        .await
        .expect("an answer in time")
    {
        Some(Err(rtm::Error::Unauthorized { message })) => {
            assert_eq!(message.as_deref(), Some("the credentials are not valid"))
        }
        other => panic!("expected Unauthorized, got {other:?}"),
    }
    server
        .wait_for("`unauthorized`", WAIT, |line| has(line, "unauthorized"))
        .await;
    // Several quick reconnection delays later, still one connection.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let connections = server
        .lines()
        .iter()
        .filter(|line| has(line, "connection"))
        .count();
    assert_eq!(connections, 1, "{:?}", server.lines());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_subscription_is_answered_even_when_it_authenticates_at_once() {
    // The client authenticates the moment the namespace is connected; the sandbox must be
    // listening by then (it once attached its listener on a task of its own, and lost about
    // one authentication in four on a multi-thread runtime).
    let sandbox = Running::start(config(Mode::Stateful)).await;
    let client = plugin(&sandbox, PLUGIN.1);
    let url = format!("ws://{}/rtm/", sandbox.address());
    for index in 0..200 {
        let subscription = client
            .realtime()
            .events(["session:set_state"])
            .endpoint(url.clone())
            .reconnect(Reconnect::disabled())
            .subscribe();
        let answered =
            tokio::time::timeout(Duration::from_secs(5), subscription.authenticated()).await;
        assert_eq!(
            answered,
            Ok(true),
            "subscription {index}: {:?}",
            subscription.state()
        );
    }
    sandbox.stop().await;
}

#[tokio::test]
async fn events_that_surprise_the_types_arrive_with_their_json_and_the_stream_goes_on() {
    let (mut server, url) = reference_server().await;
    let client = Client::builder()
        .plugin("ref-id", "ref-key")
        .base_url("http://127.0.0.1:9/v1")
        .build()
        .expect("a client");
    let mut events = client
        .realtime()
        .events(["message:send", "widget:brand_new"])
        .endpoint(url)
        .subscribe();
    authenticated(&events).await;
    server
        .wait_for("`authenticated`", WAIT, |line| has(line, "authenticated"))
        .await;

    // A `message:send` without its `session_id`, an event this crate does not know, then a
    // well-formed one: all three arrive, in order.
    let mut broken = visitor_message();
    broken
        .as_object_mut()
        .expect("an object")
        .remove("session_id");
    for (name, data) in [
        ("message:send", broken.clone()),
        ("widget:brand_new", json!({"widget": 7})),
        ("message:send", visitor_message()),
    ] {
        server.send(&json!({"emit": name, "data": data})).await;
        server
            .wait_for("`emitted`", WAIT, |line| has(line, "emitted"))
            .await;
    }
    match next_event(&mut events).await {
        Event::Undecoded { event, data, error } => {
            assert_eq!(event, "message:send");
            assert_eq!(data, broken);
            assert!(error.contains("session_id"), "{error}");
        }
        other => panic!("expected Undecoded, got {other:?}"),
    }
    assert_eq!(
        next_event(&mut events).await,
        Event::Unknown {
            event: "widget:brand_new".to_owned(),
            data: json!({"widget": 7})
        }
    );
    assert!(matches!(
        next_event(&mut events).await,
        Event::MessageSend(EventMessage::Text(_))
    ));
}
