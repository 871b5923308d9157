//! Web hooks end to end: a stateful `crisp-sandbox` delivering to receivers on `127.0.0.1`
//! built with `crisp_runtime::webhook` (`Receiver` and `Verifier`), driven through the
//! generated client.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use crisp_models::{
    ChangeConversationStateBody, ConversationMeta, ConversationState, PeopleProfilePerson,
    PeopleProfileUpdate,
};
use crisp_runtime::webhook::{
    ATTEMPT_COUNT_HEADER, ATTEMPT_LIMIT_HEADER, Receiver, SIGNATURE_HEADER, TIMESTAMP_HEADER,
    Verifier,
};
use crisp_sandbox::state::SEED_WEBSITE_ID;
use crisp_sandbox::{Config, Mode, WebhookConfig, WebhookUrl};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::sandbox::{Running, config, text_message};

/// The plugin signing secret of the test sandboxes.
const SECRET: &str = "whsec-sandbox-test";
/// How long a test waits for one delivery.
const WAIT: Duration = Duration::from_secs(10);

/// A delivery as the receivers decode it.
#[derive(Debug, Deserialize)]
pub(crate) struct Delivery {
    pub(crate) website_id: String,
    pub(crate) event: String,
    pub(crate) data: Value,
    pub(crate) timestamp: u64,
    /// What decoding the same body into the generated `crisp_models::Delivery` gave: the
    /// typed event's name, or why it failed (an event it does not know, or whose payload does
    /// not fit, counts as a failure: everything the sandbox sends must match the spec's
    /// `x-crisp-events`).
    #[serde(skip)]
    typed: Option<Result<String, String>>,
}

impl Delivery {
    /// Decodes a delivery body both loosely and into the generated types.
    fn decode(body: Value) -> Delivery {
        let typed = match serde_json::from_value::<crisp_models::Delivery>(body.clone()) {
            Ok(crisp_models::Delivery {
                event: crisp_models::Event::Unknown { event, .. },
                ..
            }) => Err(format!("`{event}` decodes as Event::Unknown")),
            Ok(crisp_models::Delivery {
                event: crisp_models::Event::Undecoded { event, error, .. },
                ..
            }) => Err(format!("`{event}` decodes as Event::Undecoded: {error}")),
            Ok(typed) => Ok(typed.event.name().to_owned()),
            Err(error) => Err(error.to_string()),
        };
        let mut delivery: Delivery = serde_json::from_value(body).expect("a delivery envelope");
        delivery.typed = Some(typed);
        delivery
    }
}

/// Serves `router` on a free loopback port, in the background; returns its hook URL.
async fn serve(router: Router) -> WebhookUrl {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let address: SocketAddr = listener.local_addr().expect("the bound address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{address}/crisp/hooks?key=query-key")
        .parse()
        .expect("a hook URL")
}

/// A receiver built with `Receiver` and `Verifier`: every delivery it accepts (so whose
/// signature verified) comes out of the channel.
pub(crate) async fn receiver() -> (WebhookUrl, mpsc::UnboundedReceiver<Delivery>) {
    let (sender, deliveries) = mpsc::unbounded_channel();
    let endpoint = Receiver::new(Verifier::new(SECRET)).handler(move |body: Value| {
        let sender = sender.clone();
        async move {
            let _ = sender.send(Delivery::decode(body));
        }
    });
    let url = serve(Router::new().route("/crisp/hooks", endpoint)).await;
    (url, deliveries)
}

/// A stateful sandbox delivering to `urls` with `attempts` attempts, quick retries and a short
/// shutdown grace.
pub(crate) fn hooked(urls: Vec<WebhookUrl>, attempts: u32) -> Config {
    Config {
        webhooks: Some(WebhookConfig {
            attempts,
            retry_delay: Duration::from_millis(50),
            timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_millis(500),
            ..WebhookConfig::new(urls, SECRET)
        }),
        ..config(Mode::Stateful)
    }
}

/// The next delivery, within [`WAIT`].
pub(crate) async fn next(deliveries: &mut mpsc::UnboundedReceiver<Delivery>) -> Delivery {
    tokio::time::timeout(WAIT, deliveries.recv())
        .await
        .expect("a delivery in time")
        .expect("the receiver is up")
}

/// Asserts that nothing more arrives for a short while.
async fn assert_no_more(deliveries: &mut mpsc::UnboundedReceiver<Delivery>) {
    if let Ok(Some(extra)) =
        tokio::time::timeout(Duration::from_millis(300), deliveries.recv()).await
    {
        panic!("an unexpected delivery: {extra:?}");
    }
}

/// Asserts a delivery's event and that `data` holds every field of `expected`.
fn assert_event(delivery: &Delivery, event: &str, expected: &Value) {
    assert_eq!(delivery.event, event, "{delivery:?}");
    assert_eq!(
        delivery.typed,
        Some(Ok(event.to_owned())),
        "{event} does not match its spec payload: {:?}",
        delivery.data
    );
    assert_eq!(delivery.website_id, SEED_WEBSITE_ID, "{delivery:?}");
    let Value::Object(expected) = expected else {
        panic!("expected fields are an object");
    };
    for (field, value) in expected {
        assert_eq!(
            &delivery.data[field], value,
            "{event}: `{field}` in {:?}",
            delivery.data
        );
    }
}

#[tokio::test]
async fn what_happens_in_the_sandbox_is_delivered_signed_and_in_order() {
    let (first_url, mut first) = receiver().await;
    let (second_url, mut second) = receiver().await;
    let sandbox = Running::start(hooked(vec![first_url, second_url], 5)).await;
    let client = sandbox.plugin();
    let conversations = client.website_conversation();
    let people = client.website_people();
    let website = SEED_WEBSITE_ID;

    let session = conversations
        .create_new_conversation(website)
        .await
        .expect("create a conversation")
        .session_id
        .expect("a session id");
    let visitor = conversations
        .send_message_in_conversation(website, &session, &text_message("user", "Hello there"))
        .await
        .expect("the visitor writes")
        .fingerprint
        .expect("a fingerprint");
    let operator = conversations
        .send_message_in_conversation(website, &session, &text_message("operator", "Hi!"))
        .await
        .expect("an operator answers")
        .fingerprint
        .expect("a fingerprint");
    conversations
        .change_conversation_state(
            website,
            &session,
            &ChangeConversationStateBody::new(ConversationState::Resolved),
        )
        .await
        .expect("resolve");
    let mut meta = ConversationMeta::default();
    meta.email = Some("john.doe@example.com".to_owned());
    conversations
        .update_conversation_metas(website, &session, &meta)
        .await
        .expect("set the e-mail address");
    let mut profile = PeopleProfileUpdate::default();
    profile.email = Some("john.doe@example.com".to_owned());
    let john = people
        .add_new_people_profile(website, &profile)
        .await
        .expect("create a profile")
        .people_id
        .expect("a people id");
    let mut person = PeopleProfilePerson::default();
    person.nickname = Some("Johnny".to_owned());
    let mut update = PeopleProfileUpdate::default();
    update.person = Some(person);
    people
        .update_people_profile(website, &john, &update)
        .await
        .expect("update it");
    people
        .remove_people_profile(website, &john)
        .await
        .expect("remove it");
    conversations
        .remove_conversation(website, &session)
        .await
        .expect("remove the conversation");

    let ids = json!({"website_id": website, "session_id": session, "inbox_id": null});
    let with = |fields: Value| {
        let mut all = ids.clone();
        if let (Value::Object(all), Value::Object(fields)) = (&mut all, fields) {
            all.extend(fields);
        }
        all
    };
    let expected = [
        ("session:request:initiated", ids.clone()),
        (
            "message:send",
            with(json!({
                "type": "text", "from": "user", "origin": "chat", "content": "Hello there",
                "fingerprint": visitor, "user": {"user_id": session},
            })),
        ),
        (
            "message:received",
            with(
                json!({"type": "text", "from": "operator", "content": "Hi!", "fingerprint": operator}),
            ),
        ),
        // The operator's answer took the pending conversation to unresolved.
        ("session:set_state", with(json!({"state": "unresolved"}))),
        ("session:set_state", with(json!({"state": "resolved"}))),
        (
            "session:set_email",
            with(json!({"email": "john.doe@example.com"})),
        ),
        (
            "people:profile:created",
            json!({"website_id": website, "people_id": john, "email": "john.doe@example.com"}),
        ),
        (
            "people:profile:updated",
            json!({"website_id": website, "people_id": john, "email": "john.doe@example.com"}),
        ),
        (
            "people:profile:removed",
            json!({"website_id": website, "people_id": john, "email": "john.doe@example.com"}),
        ),
        ("session:removed", ids.clone()),
    ];
    for deliveries in [&mut first, &mut second] {
        let mut previous = 0;
        for (event, fields) in &expected {
            let delivery = next(deliveries).await;
            assert_event(&delivery, event, fields);
            assert!(delivery.timestamp >= previous, "{delivery:?}");
            previous = delivery.timestamp;
            match *event {
                "message:send" | "message:received" => {
                    assert!(delivery.data["timestamp"].is_u64(), "{delivery:?}");
                }
                "people:profile:updated" => {
                    let update = &delivery.data["update"];
                    assert_eq!(
                        update["person"]["nickname"],
                        json!("Johnny"),
                        "{delivery:?}"
                    );
                    assert!(update["updated_at"].is_u64(), "{delivery:?}");
                }
                _ => {}
            }
        }
        assert_no_more(deliveries).await;
    }
    sandbox.stop().await;
}

/// What a scripted receiver saw of each request.
#[derive(Clone, Debug)]
struct Seen {
    attempt: String,
    limit: String,
    verified: bool,
    event: String,
}

/// A receiver answering the statuses of `script` in turn (then 200), recording each request.
async fn scripted(script: Vec<StatusCode>) -> (WebhookUrl, Arc<Mutex<Vec<Seen>>>) {
    #[derive(Clone)]
    struct Script {
        statuses: Arc<Vec<StatusCode>>,
        seen: Arc<Mutex<Vec<Seen>>>,
    }
    async fn answer(State(script): State<Script>, headers: HeaderMap, body: Bytes) -> StatusCode {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let verified = Verifier::new(SECRET)
            .verify(&header(TIMESTAMP_HEADER), &body, &header(SIGNATURE_HEADER))
            .is_ok();
        let event = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|delivery| delivery["event"].as_str().map(str::to_owned))
            .unwrap_or_default();
        let mut seen = script.seen.lock().expect("the record");
        let index = seen.len();
        seen.push(Seen {
            attempt: header(ATTEMPT_COUNT_HEADER),
            limit: header(ATTEMPT_LIMIT_HEADER),
            verified,
            event,
        });
        script
            .statuses
            .get(index)
            .copied()
            .unwrap_or(StatusCode::OK)
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let script = Script {
        statuses: Arc::new(script),
        seen: Arc::clone(&seen),
    };
    let router = Router::new()
        .route("/crisp/hooks", post(answer))
        .with_state(script);
    (serve(router).await, seen)
}

/// Waits until `seen` holds `count` requests, then a little longer to catch any extra.
async fn settle(seen: &Mutex<Vec<Seen>>, count: usize) -> Vec<Seen> {
    let started = Instant::now();
    while seen.lock().expect("the record").len() < count && started.elapsed() < WAIT {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Longer than every retry delay of these tests together.
    tokio::time::sleep(Duration::from_millis(800)).await;
    seen.lock().expect("the record").clone()
}

#[tokio::test]
async fn a_failed_delivery_is_retried_until_answered_200() {
    let error = StatusCode::INTERNAL_SERVER_ERROR;
    let (url, seen) = scripted(vec![error, error]).await;
    let sandbox = Running::start(hooked(vec![url], 5)).await;
    sandbox
        .plugin()
        .website_conversation()
        .create_new_conversation(SEED_WEBSITE_ID)
        .await
        .expect("create a conversation");
    let seen = settle(&seen, 3).await;
    assert_eq!(seen.len(), 3, "{seen:?}");
    for (index, request) in seen.iter().enumerate() {
        assert_eq!(request.attempt, (index + 1).to_string(), "{seen:?}");
        assert_eq!(request.limit, "5", "{seen:?}");
        assert!(request.verified, "{seen:?}");
        assert_eq!(request.event, "session:request:initiated", "{seen:?}");
    }
    sandbox.stop().await;
}

#[tokio::test]
async fn a_delivery_nobody_accepts_stops_at_the_attempt_limit() {
    let (url, seen) = scripted(vec![StatusCode::SERVICE_UNAVAILABLE; 100]).await;
    let sandbox = Running::start(hooked(vec![url], 3)).await;
    sandbox
        .plugin()
        .website_conversation()
        .create_new_conversation(SEED_WEBSITE_ID)
        .await
        .expect("create a conversation");
    let seen = settle(&seen, 3).await;
    let attempts: Vec<&str> = seen
        .iter()
        .map(|request| request.attempt.as_str())
        .collect();
    assert_eq!(attempts, ["1", "2", "3"], "{seen:?}");
    assert!(
        seen.iter()
            .all(|request| request.limit == "3" && request.verified),
        "{seen:?}"
    );
    sandbox.stop().await;
}

#[tokio::test]
async fn a_dead_receiver_delays_neither_the_api_another_receiver_nor_the_shutdown() {
    // A receiver that takes every request and never answers.
    let (stuck, mut arrived) = mpsc::unbounded_channel::<()>();
    let hanging = Router::new().route(
        "/crisp/hooks",
        post(move || {
            let stuck = stuck.clone();
            async move {
                let _ = stuck.send(());
                tokio::time::sleep(Duration::from_secs(3600)).await;
                StatusCode::OK
            }
        }),
    );
    let dead = serve(hanging).await;
    let (live, mut deliveries) = receiver().await;
    let sandbox = Running::start(hooked(vec![dead, live], 5)).await;
    let client = sandbox.plugin();
    let conversations = client.website_conversation();

    let clock = Instant::now();
    for _ in 0..3 {
        conversations
            .create_new_conversation(SEED_WEBSITE_ID)
            .await
            .expect("create a conversation");
    }
    assert!(
        clock.elapsed() < Duration::from_secs(2),
        "the API waited: {:?}",
        clock.elapsed()
    );
    for _ in 0..3 {
        assert_eq!(
            next(&mut deliveries).await.event,
            "session:request:initiated"
        );
    }
    tokio::time::timeout(WAIT, arrived.recv())
        .await
        .expect("the dead receiver was tried")
        .expect("a request");

    let clock = Instant::now();
    sandbox.stop().await;
    assert!(
        clock.elapsed() < Duration::from_secs(3),
        "stopping took {:?}",
        clock.elapsed()
    );
}

#[tokio::test]
async fn a_verified_delivery_that_surprises_the_types_reaches_the_handler() {
    // The generated `Delivery` behind `Receiver`: a `message:send` without `user` is answered
    // 200 and handed over as `Event::Undecoded`; only a body that is not a delivery is 400.
    let (sender, mut handled) = mpsc::unbounded_channel();
    let endpoint =
        Receiver::new(Verifier::new(SECRET)).handler(move |delivery: crisp_models::Delivery| {
            let sender = sender.clone();
            async move {
                let _ = sender.send(delivery);
            }
        });
    let url = serve(Router::new().route("/crisp/hooks", endpoint)).await;
    let post = |body: Value| {
        let url = url.as_str().to_owned();
        async move {
            let body = serde_json::to_vec(&body).expect("JSON");
            let timestamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("after 1970")
                .as_millis()
                .to_string();
            let signature = crisp_runtime::webhook::sign(SECRET, &timestamp, &body);
            reqwest::Client::new()
                .post(url)
                .header(TIMESTAMP_HEADER, timestamp)
                .header(SIGNATURE_HEADER, signature)
                .header("Content-Type", "application/json")
                .body(body)
                .send()
                .await
                .expect("an answer")
        }
    };
    let data = json!({
        "website_id": SEED_WEBSITE_ID, "session_id": "session_1", "inbox_id": null, "type": "text",
        "from": "user", "origin": "chat", "content": "Hello", "fingerprint": 1, "timestamp": 2
    });
    let answer = post(json!({"website_id": SEED_WEBSITE_ID, "event": "message:send", "data": data, "timestamp": 2})).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let delivery = tokio::time::timeout(WAIT, handled.recv())
        .await
        .expect("handled in time")
        .expect("a delivery");
    match delivery.event {
        crisp_models::Event::Undecoded {
            event,
            data: kept,
            error,
        } => {
            assert_eq!(event, "message:send");
            assert_eq!(kept, data);
            assert!(error.contains("`user`"), "{error}");
        }
        other => panic!("expected Undecoded, got {other:?}"),
    }

    let answer = post(json!({"website_id": SEED_WEBSITE_ID, "data": {}})).await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    let body: Value =
        serde_json::from_slice(&answer.bytes().await.expect("a body")).expect("an envelope");
    assert_eq!(body["reason"], "invalid_data", "{body}");
    assert!(
        body["data"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("event")),
        "{body}"
    );
}
