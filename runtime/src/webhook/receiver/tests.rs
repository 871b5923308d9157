//! The receiver through `tower::ServiceExt::oneshot`: what it accepts, what it refuses and
//! how, and that the handler never holds the answer up.

use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::Request;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tower::ServiceExt as _;

use super::*;
use crate::webhook::sign;

const SECRET: &str = "whsec-receiver-test";
const PATH: &str = "/crisp/hooks";

/// The delivery shape the tests decode into.
#[derive(Debug, Deserialize, PartialEq)]
struct Delivery {
    website_id: String,
    event: String,
    data: Value,
    timestamp: u64,
}

/// The current time as a timestamp header.
fn now_ms() -> String {
    millis_since_epoch(SystemTime::now()).to_string()
}

/// A compact delivery body for `event`, with `data`.
fn body(event: &str, data: &Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "website_id": "8c842203-7ed8-4e29-a608-7cf78a7d2fcc",
        "event": event,
        "data": data,
        "timestamp": 1_700_000_000_000_u64,
    }))
    .expect("a body")
}

/// A POST of `body` with the given timestamp and signature headers (left out when `None`).
fn request(body: Vec<u8>, timestamp: Option<&str>, signature: Option<&str>) -> Request<Body> {
    let mut builder = Request::post(PATH).header("content-type", "application/json");
    if let Some(timestamp) = timestamp {
        builder = builder.header(TIMESTAMP_HEADER, timestamp);
    }
    if let Some(signature) = signature {
        builder = builder.header(SIGNATURE_HEADER, signature);
    }
    builder.body(Body::from(body)).expect("a request")
}

/// A POST of `body`, signed now with `secret`.
fn signed(secret: &str, body: Vec<u8>) -> Request<Body> {
    let timestamp = now_ms();
    let signature = sign(secret, &timestamp, &body);
    request(body, Some(&timestamp), Some(&signature))
}

/// A router whose handler forwards each delivery on a channel.
fn forwarding(receiver: Receiver) -> (Router, mpsc::UnboundedReceiver<Delivery>) {
    let (sender, deliveries) = mpsc::unbounded_channel();
    let router = Router::new().route(
        PATH,
        receiver.handler(move |delivery: Delivery| {
            let sender = sender.clone();
            async move {
                let _ = sender.send(delivery);
            }
        }),
    );
    (router, deliveries)
}

/// Sends `request` through `router`; the status and the JSON answer.
async fn call(router: &Router, request: Request<Body>) -> (u16, Value) {
    let response = router.clone().oneshot(request).await.expect("an answer");
    let status = response.status().as_u16();
    let body = to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("the body");
    (
        status,
        serde_json::from_slice(&body).expect("a JSON answer"),
    )
}

/// Asserts an error envelope with `status` and `reason`.
fn assert_refused(case: &str, (status, answer): &(u16, Value), expected: u16, reason: &str) {
    assert_eq!(*status, expected, "{case}: {answer}");
    assert_eq!(answer["error"], json!(true), "{case}: {answer}");
    assert_eq!(answer["reason"], json!(reason), "{case}: {answer}");
}

/// Nothing reached the handler.
async fn assert_nothing_delivered(deliveries: &mut mpsc::UnboundedReceiver<Delivery>) {
    tokio::task::yield_now().await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        deliveries.try_recv().is_err(),
        "a refused delivery reached the handler"
    );
}

#[tokio::test]
async fn a_valid_delivery_is_answered_200_and_handed_over_decoded() {
    let (router, mut deliveries) = forwarding(Receiver::new(Verifier::new(SECRET)));
    let data = json!({"session_id": "session_1", "state": "resolved", "inbox_id": null});
    let answer = call(&router, signed(SECRET, body("session:set_state", &data))).await;
    assert_eq!(answer, (200, json!({"error": false, "reason": "resolved"})));
    let delivery = tokio::time::timeout(Duration::from_secs(5), deliveries.recv())
        .await
        .expect("delivered in time")
        .expect("a delivery");
    assert_eq!(
        delivery,
        Delivery {
            website_id: "8c842203-7ed8-4e29-a608-7cf78a7d2fcc".to_owned(),
            event: "session:set_state".to_owned(),
            data,
            timestamp: 1_700_000_000_000,
        }
    );
}

#[tokio::test]
async fn forged_altered_stale_and_headerless_deliveries_are_401() {
    let (router, mut deliveries) = forwarding(Receiver::new(Verifier::new(SECRET)));
    let original = body("message:send", &json!({"content": "hello"}));
    let timestamp = now_ms();
    let signature = sign(SECRET, &timestamp, &original);

    let forged = sign("another-secret", &timestamp, &original);
    let mut altered = original.clone();
    let at = altered.len() - 3;
    altered[at] = b'9';
    let stale_timestamp = (millis_since_epoch(SystemTime::now()) - 10 * 60 * 1000).to_string();
    let stale = sign(SECRET, &stale_timestamp, &original);
    let future_timestamp = (millis_since_epoch(SystemTime::now()) + 10 * 60 * 1000).to_string();
    let future = sign(SECRET, &future_timestamp, &original);

    let cases = [
        (
            "forged signature",
            request(original.clone(), Some(&timestamp), Some(&forged)),
        ),
        (
            "altered body",
            request(altered, Some(&timestamp), Some(&signature)),
        ),
        (
            "another timestamp",
            request(original.clone(), Some(&stale_timestamp), Some(&signature)),
        ),
        (
            "stale",
            request(original.clone(), Some(&stale_timestamp), Some(&stale)),
        ),
        (
            "from the future",
            request(original.clone(), Some(&future_timestamp), Some(&future)),
        ),
        (
            "no signature",
            request(original.clone(), Some(&timestamp), None),
        ),
        (
            "no timestamp",
            request(original.clone(), None, Some(&signature)),
        ),
        ("no headers", request(original.clone(), None, None)),
        (
            "malformed signature",
            request(original.clone(), Some(&timestamp), Some("not-hex")),
        ),
        (
            "malformed timestamp",
            request(original.clone(), Some("yesterday"), Some(&signature)),
        ),
    ];
    for (case, request) in cases {
        let answer = call(&router, request).await;
        assert_refused(case, &answer, 401, "invalid_session");
        let message = answer.1["data"]["message"].as_str().unwrap_or_default();
        assert!(!message.contains(SECRET), "{case}: {message}");
    }
    assert_nothing_delivered(&mut deliveries).await;
}

#[tokio::test]
async fn a_replayed_delivery_is_401_and_handled_once() {
    let (router, mut deliveries) = forwarding(Receiver::new(Verifier::new(SECRET)));
    let delivery = body("message:send", &json!({"content": "once"}));
    let timestamp = now_ms();
    let signature = sign(SECRET, &timestamp, &delivery);
    let first = call(
        &router,
        request(delivery.clone(), Some(&timestamp), Some(&signature)),
    )
    .await;
    assert_eq!(first.0, 200, "{first:?}");
    // The same bytes and headers again, with the signature in upper case for good measure.
    let upper = signature.to_ascii_uppercase();
    let again = call(
        &router,
        request(delivery.clone(), Some(&timestamp), Some(&upper)),
    )
    .await;
    assert_refused("replay", &again, 401, "invalid_session");
    assert!(
        again.1["data"]["message"]
            .as_str()
            .is_some_and(|message| message.contains("replay"))
    );
    // Re-signed later, the same event is a new delivery.
    let later = (timestamp.parse::<u64>().expect("digits") + 1).to_string();
    let resigned = sign(SECRET, &later, &delivery);
    let fresh = call(&router, request(delivery, Some(&later), Some(&resigned))).await;
    assert_eq!(fresh.0, 200, "{fresh:?}");

    let mut handled = 0;
    while let Ok(Some(_)) =
        tokio::time::timeout(Duration::from_millis(200), deliveries.recv()).await
    {
        handled += 1;
    }
    assert_eq!(handled, 2);
}

#[tokio::test]
async fn bodies_that_are_not_the_event_type_are_400() {
    let (router, mut deliveries) = forwarding(Receiver::new(Verifier::new(SECRET)));
    let cases: [(&str, &[u8]); 4] = [
        ("not JSON", b"{\"event\": "),
        ("empty", b""),
        (
            "JSON of another shape",
            br#"{"event":"message:send","data":{},"timestamp":"soon"}"#,
        ),
        (
            "trailing garbage",
            br#"{"website_id":"w","event":"e","data":{},"timestamp":1} x"#,
        ),
    ];
    for (case, bytes) in cases {
        let answer = call(&router, signed(SECRET, bytes.to_vec())).await;
        assert_refused(case, &answer, 400, "invalid_data");
    }
    let wrong_field = call(
        &router,
        signed(
            SECRET,
            br#"{"website_id":"w","event":"e","data":{},"timestamp":"soon"}"#.to_vec(),
        ),
    )
    .await;
    assert!(
        wrong_field.1["data"]["message"]
            .as_str()
            .is_some_and(|message| message.contains("`timestamp`")),
        "{wrong_field:?}"
    );
    assert_nothing_delivered(&mut deliveries).await;
}

#[tokio::test]
async fn an_oversized_body_is_413_and_other_methods_405() {
    let (router, mut deliveries) = forwarding(Receiver::new(Verifier::new(SECRET)).body_limit(256));
    let big = body("message:send", &json!({"content": "x".repeat(300)}));
    let answer = call(&router, signed(SECRET, big)).await;
    assert_refused("oversized", &answer, 413, "payload_too_large");
    let small = body("message:send", &json!({"content": "x"}));
    assert!(small.len() <= 256);
    assert_eq!(call(&router, signed(SECRET, small)).await.0, 200);
    let get = Request::get(PATH).body(Body::empty()).expect("a request");
    assert_refused("GET", &call(&router, get).await, 405, "method_not_allowed");
    assert!(deliveries.recv().await.is_some());
}

#[tokio::test]
async fn a_slow_handler_does_not_delay_the_answer() {
    let (started, mut starts) = mpsc::unbounded_channel();
    let router = Router::new().route(
        PATH,
        Receiver::new(Verifier::new(SECRET)).handler(move |_: Value| {
            let started = started.clone();
            async move {
                let _ = started.send(());
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }),
    );
    let clock = Instant::now();
    let answer = call(&router, signed(SECRET, body("message:send", &json!({})))).await;
    assert_eq!(answer.0, 200);
    assert!(
        clock.elapsed() < Duration::from_secs(1),
        "answered after {:?}",
        clock.elapsed()
    );
    // The handler did start, and is still sleeping.
    tokio::time::timeout(Duration::from_secs(1), starts.recv())
        .await
        .expect("the handler started")
        .expect("a start");
}

#[tokio::test]
async fn a_panicking_handler_does_not_take_the_endpoint_down() {
    let (sender, mut deliveries) = mpsc::unbounded_channel();
    let router = Router::new().route(
        PATH,
        Receiver::new(Verifier::new(SECRET)).handler(move |delivery: Delivery| {
            let sender = sender.clone();
            async move {
                assert!(delivery.event != "boom", "the handler panics on boom");
                let _ = sender.send(delivery.event);
            }
        }),
    );
    // Distinct bodies: two identical ones signed in the same millisecond are a replay.
    for (index, event) in ["boom", "after", "boom", "again"].into_iter().enumerate() {
        let answer = call(&router, signed(SECRET, body(event, &json!({"n": index})))).await;
        assert_eq!(answer.0, 200, "{event}: {answer:?}");
    }
    let mut handled = Vec::new();
    while let Ok(Some(event)) =
        tokio::time::timeout(Duration::from_millis(300), deliveries.recv()).await
    {
        handled.push(event);
    }
    assert_eq!(handled, ["after", "again"]);
}

#[test]
fn the_replay_memory_is_bounded_and_forgets_expired_signatures() {
    let tag = |byte: u8| [byte; TAG_LEN];
    let mut seen = Seen::new(2);
    assert!(seen.first_time(tag(1), 1_000, 0));
    assert!(!seen.first_time(tag(1), 1_000, 10));
    assert!(seen.first_time(tag(2), 1_000, 10));
    // A third pushes the oldest out.
    assert!(seen.first_time(tag(3), 1_000, 20));
    assert_eq!(seen.order.len(), 2);
    assert_eq!(seen.expiry.len(), 2);
    assert!(seen.first_time(tag(1), 1_000, 30));
    // Past their expiry, signatures are forgotten (the verifier refuses them as stale).
    assert!(seen.first_time(tag(4), 5_000, 1_000));
    assert_eq!(seen.order.len(), 1);
    assert_eq!(seen.expiry.len(), 1);
    assert!(!seen.first_time(tag(4), 5_000, 4_999));
    // Capacity 0 remembers nothing.
    let mut off = Seen::new(0);
    assert!(off.first_time(tag(1), 1_000, 0));
    assert!(off.first_time(tag(1), 1_000, 0));
    assert!(off.order.is_empty());
}

#[tokio::test]
async fn replay_detection_can_be_turned_off() {
    let (router, mut deliveries) =
        forwarding(Receiver::new(Verifier::new(SECRET)).replay_capacity(0));
    let delivery = body("message:send", &json!({}));
    let timestamp = now_ms();
    let signature = sign(SECRET, &timestamp, &delivery);
    for _ in 0..2 {
        let answer = call(
            &router,
            request(delivery.clone(), Some(&timestamp), Some(&signature)),
        )
        .await;
        assert_eq!(answer.0, 200);
    }
    assert!(deliveries.recv().await.is_some());
    assert!(deliveries.recv().await.is_some());
}
