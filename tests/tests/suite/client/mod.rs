//! The generated client against a local server that misbehaves on purpose.
//!
//! Each test starts its own server on `127.0.0.1:0` (bound before it is spawned, so there is
//! nothing to wait for): an axum fallback that records every request it gets (method, path,
//! query, headers, body and when it arrived) and answers what the test's script says for the
//! n-th request: rate limits with or without `Retry-After`, server errors, answers that come
//! too late, HTML instead of JSON, a wrong field type. A raw TCP server sends truncated bodies.
//! Every test asserts the outcome and how many requests reached the server; every error is
//! checked for the token key, and one test reads the tracing output.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use crisp_client::models::{
    ConversationMessageNew, ConversationSearchFilter, ConversationState,
    GetMessagesInConversationOptions, ListConversationsOptions, ListConversationsSearchOperator,
    ListConversationsSearchQuery, ListConversationsSearchType, ListPeopleProfilesOptions,
};
use crisp_client::tier::ClientTier;
use crisp_client::{Client, Error, Reason, RetryPolicy, Tier, tier};
use crisp_runtime::client::{ClientConfig, Stream};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tracing_subscriber::util::SubscriberInitExt;

/// The token the clients send; the key must never show up anywhere.
const IDENTIFIER: &str = "plugin-id-42";
const KEY: &str = "k3y-v3ry-s3cret";
/// `base64("plugin-id-42:k3y-v3ry-s3cret")`, the key as it travels in `Authorization`.
const BASIC_TOKEN: &str = "cGx1Z2luLWlkLTQyOmszeS12M3J5LXMzY3JldA==";
const WEBSITE: &str = "website-1";
const SESSION: &str = "session_7f3e2a";

// ---------------------------------------------------------------------------------------------
// The misbehaving server.
// ---------------------------------------------------------------------------------------------

/// One request as the server received it.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    path: String,
    query: Option<String>,
    headers: HeaderMap,
    body: Vec<u8>,
    at: Instant,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The last path segment, as a page number.
    fn page(&self) -> u32 {
        self.path
            .rsplit('/')
            .next()
            .and_then(|page| page.parse().ok())
            .expect("a page number")
    }

    /// The value of one query parameter.
    fn query_param(&self, name: &str) -> Option<String> {
        let query = self.query.as_deref()?;
        query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            (key == name).then(|| value.to_owned())
        })
    }
}

/// What the server answers to one request.
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
    delay: Duration,
}

impl Reply {
    fn raw(status: u16, content_type: &str, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: vec![("content-type", content_type.to_owned())],
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    /// A success envelope around `data`.
    fn ok(data: Value) -> Self {
        Self::raw(
            200,
            "application/json",
            json!({"error": false, "reason": "resolved", "data": data}).to_string(),
        )
    }

    /// An error envelope with a message.
    fn error(status: u16, reason: &str, message: &str) -> Self {
        Self::raw(
            status,
            "application/json",
            json!({"error": true, "reason": reason, "data": {"message": message}}).to_string(),
        )
    }

    fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }

    /// Answers only after `delay`.
    fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

type Script = Arc<dyn Fn(usize, &Seen) -> Reply + Send + Sync>;
type Log = Arc<Mutex<Vec<Seen>>>;

struct Server {
    addr: SocketAddr,
    seen: Log,
}

impl Server {
    fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    fn seen(&self) -> Vec<Seen> {
        lock(&self.seen).clone()
    }

    fn count(&self) -> usize {
        lock(&self.seen).len()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Starts a server answering `script(n, request)` to its n-th request (from 0).
async fn serve(script: impl Fn(usize, &Seen) -> Reply + Send + Sync + 'static) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let addr = listener.local_addr().expect("a local address");
    let seen = Log::default();
    let state: (Log, Script) = (seen.clone(), Arc::new(script));
    let app = axum::Router::new().fallback(handle).with_state(state);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Server { addr, seen }
}

async fn handle(State((seen, script)): State<(Log, Script)>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let request = Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body: body.to_vec(),
        at: Instant::now(),
    };
    let reply = {
        let mut seen = lock(&seen);
        let reply = script(seen.len(), &request);
        seen.push(request);
        reply
    };
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut response = Response::new(Body::from(reply.body));
    *response.status_mut() = StatusCode::from_u16(reply.status).expect("a valid status");
    for (name, value) in reply.headers {
        response
            .headers_mut()
            .insert(name, HeaderValue::from_str(&value).expect("a header value"));
    }
    response
}

/// Starts a raw TCP server that reads each request, then sends a `200` announcing a longer
/// body than it sends, and closes the connection. Returns its address and the arrival times.
async fn serve_truncated() -> (SocketAddr, Arc<Mutex<Vec<Instant>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let addr = listener.local_addr().expect("a local address");
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let log = arrivals.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                if read_request(&mut stream).await.is_err() {
                    return;
                }
                lock(&log).push(Instant::now());
                let partial = r#"{"error":false,"reason":"resolved","data":{"session_id":"sess"#;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                    partial.len() + 500
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(partial.as_bytes()).await;
                let _ = stream.flush().await;
                let _ = stream.shutdown().await;
            });
        }
    });
    (addr, arrivals)
}

/// Reads one HTTP/1.1 request: its head, then as many body bytes as `content-length` says.
async fn read_request(stream: &mut tokio::net::TcpStream) -> io::Result<()> {
    let mut buffer = Vec::new();
    let mut chunk = [0_u8; 4096];
    loop {
        if let Some(end) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|value| value.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buffer.len() >= end + 4 + length {
                return Ok(());
            }
        }
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
}

// ---------------------------------------------------------------------------------------------
// Clients, data and checks.
// ---------------------------------------------------------------------------------------------

/// Retries with short, exact waits (20 ms, 40 ms, …) so the suite stays fast.
fn fast(max_attempts: u32) -> RetryPolicy {
    RetryPolicy::new()
        .with_max_attempts(max_attempts)
        .with_initial_backoff(Duration::from_millis(20))
        .without_jitter()
}

fn plugin_client(base_url: &str, retry: RetryPolicy) -> Client<tier::Plugin> {
    Client::builder()
        .plugin(IDENTIFIER, KEY)
        .base_url(base_url)
        .retry(retry)
        .build()
        .expect("a client")
}

fn conversation(session_id: &str) -> Value {
    json!({
        "session_id": session_id,
        "website_id": WEBSITE,
        "people_id": "people-9",
        "state": "unresolved",
        "status": 1,
        "is_verified": true,
        "last_message": "Could you send me the invoice?",
        "created_at": 1_710_339_800_000_u64,
        "updated_at": 1_710_340_112_000_u64,
    })
}

fn profile(people_id: &str) -> Value {
    json!({
        "people_id": people_id,
        "email": format!("{people_id}@acme-inc.com"),
        "person": {"nickname": format!("Contact {people_id}")},
        "score": 7,
        "created_at": 1_710_339_800_000_u64,
    })
}

fn message(fingerprint: i64, timestamp: u64) -> Value {
    json!({
        "session_id": SESSION,
        "website_id": WEBSITE,
        "type": "text",
        "from": "user",
        "origin": "chat",
        "content": format!("message {fingerprint}"),
        "fingerprint": fingerprint,
        "timestamp": timestamp,
    })
}

/// A text message whose content is easy to look for in the tracing output.
const BODY_MARKER: &str = "b0dy-m4rker-never-logged";

fn new_message() -> ConversationMessageNew {
    serde_json::from_value(json!({
        "type": "text",
        "from": "operator",
        "origin": "chat",
        "content": BODY_MARKER,
    }))
    .expect("a text message")
}

/// Collects a stream without pulling in a futures crate.
async fn collect<S: Stream>(stream: S) -> Vec<S::Item> {
    let mut stream = pin!(stream);
    let mut items = Vec::new();
    while let Some(item) = poll_fn(|cx| stream.as_mut().poll_next(cx)).await {
        items.push(item);
    }
    items
}

fn assert_secret_free(text: &str) {
    assert!(!text.contains(KEY), "the key leaked: {text}");
    assert!(
        !text.contains(BASIC_TOKEN),
        "the encoded credentials leaked: {text}"
    );
}

/// Checks the `Display` and `Debug` of an error and of every error in its source chain.
fn assert_error_secret_free(error: &Error) {
    assert_secret_free(&format!("{error} / {error:?}"));
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        assert_secret_free(&format!("{inner} / {inner:?}"));
        source = inner.source();
    }
}

/// Every request must carry the credentials in `Authorization` and the tier header.
fn assert_authenticated(seen: &[Seen], tier: &str) {
    for request in seen {
        assert_eq!(
            request.header("authorization"),
            Some(format!("Basic {BASIC_TOKEN}").as_str()),
            "{request:?}"
        );
        assert_eq!(request.header("x-crisp-tier"), Some(tier), "{request:?}");
        assert!(
            !request.path.contains(KEY) && !request.query.as_deref().unwrap_or("").contains(KEY)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Rate limits and server errors.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn rate_limit_with_retry_after_waits_then_succeeds() {
    let server = serve(|n, _| match n {
        0 => Reply::error(429, "rate_limited", "slow down").header("retry-after", "1"),
        _ => Reply::ok(conversation(SESSION)),
    })
    .await;
    let client = plugin_client(&server.base_url(), fast(3));
    let answer = client
        .website_conversation()
        .get_conversation(WEBSITE, SESSION)
        .await
        .expect("the second attempt succeeds");
    assert_eq!(answer.session_id, SESSION);
    assert_eq!(answer.website_id, WEBSITE);
    assert_eq!(answer.state, Some(ConversationState::Unresolved));
    assert_eq!(answer.is_verified, Some(true));
    assert_eq!(answer.created_at, Some(1_710_339_800_000));
    assert_eq!(
        answer.last_message.as_deref(),
        Some("Could you send me the invoice?")
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    // The client waited for what `Retry-After` asked, not its own 20 ms backoff.
    let gap = seen[1].at - seen[0].at;
    assert!(
        gap >= Duration::from_millis(950),
        "the retry came after {gap:?}"
    );
    for request in &seen {
        assert_eq!(request.method, "GET");
        assert_eq!(
            request.path,
            format!("/v1/website/{WEBSITE}/conversation/{SESSION}")
        );
    }
    assert_authenticated(&seen, "plugin");
}

#[tokio::test]
async fn rate_limit_420_is_retried_even_for_a_post() {
    let server = serve(|n, _| match n {
        0 => Reply::error(420, "rate_limited", "quota"),
        _ => Reply::ok(json!({"fingerprint": 163_408_457_284_310_i64})),
    })
    .await;
    let client = plugin_client(&server.base_url(), fast(3));
    let sent = client
        .website_conversation()
        .send_message_in_conversation(WEBSITE, SESSION, &new_message())
        .await
        .expect("the second attempt succeeds");
    assert_eq!(sent.fingerprint, Some(163_408_457_284_310));
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    // A rate-limited request was not processed: the retry sends the same body.
    assert!(seen.iter().all(|request| request.method == "POST"));
    assert_eq!(seen[0].body, seen[1].body);
    let body: Value = serde_json::from_slice(&seen[1].body).expect("a JSON body");
    assert_eq!(body["content"], BODY_MARKER);
}

#[tokio::test]
async fn server_errors_are_retried_for_a_get_until_success() {
    let server = serve(|n, _| match n {
        0 | 1 => Reply::raw(503, "text/plain", "Service Unavailable"),
        _ => Reply::ok(conversation(SESSION)),
    })
    .await;
    let client = plugin_client(&server.base_url(), fast(4));
    let answer = client
        .website_conversation()
        .get_conversation(WEBSITE, SESSION)
        .await
        .expect("the third attempt succeeds");
    assert_eq!(answer.session_id, SESSION);
    assert_eq!(server.count(), 3);

    for status in [500, 502, 504] {
        let server = serve(move |n, _| match n {
            0 => Reply::raw(status, "text/plain", "oops"),
            _ => Reply::ok(conversation(SESSION)),
        })
        .await;
        let client = plugin_client(&server.base_url(), fast(4));
        let outcome = client
            .website_conversation()
            .get_conversation(WEBSITE, SESSION)
            .await;
        assert!(outcome.is_ok(), "{status}: {outcome:?}");
        assert_eq!(server.count(), 2, "{status}");
    }
}

#[tokio::test]
async fn server_errors_are_not_retried_for_a_post() {
    let server = serve(|_, _| Reply::raw(503, "text/plain", "Service Unavailable")).await;
    let client = plugin_client(&server.base_url(), fast(4));
    let error = client
        .website_conversation()
        .send_message_in_conversation(WEBSITE, SESSION, &new_message())
        .await
        .expect_err("503 is an error");
    let Error::Api {
        operation,
        status,
        reason,
        message,
    } = &error
    else {
        panic!("expected an API error, got {error:?}");
    };
    assert_eq!(*operation, "sendMessageInConversation");
    assert_eq!(*status, StatusCode::SERVICE_UNAVAILABLE);
    // No envelope: the reason comes from the status, the message from the body.
    assert_eq!(*reason, Reason::for_status(503));
    assert_eq!(message.as_deref(), Some("Service Unavailable"));
    assert!(error.is_retryable(), "the caller may retry it");
    // … but the client must not: the message may have been posted.
    assert_eq!(server.count(), 1);
    assert_error_secret_free(&error);
}

#[tokio::test]
async fn rate_limit_forever_gives_up_after_max_attempts() {
    let server = serve(|_, _| Reply::error(429, "rate_limited", "slow down")).await;
    let client = plugin_client(&server.base_url(), fast(3));
    let error = client
        .website_conversation()
        .get_conversation(WEBSITE, SESSION)
        .await
        .expect_err("always limited");
    assert_eq!(server.count(), 3);
    assert_eq!(error.reason(), Some(&Reason::RateLimited));
    assert_eq!(error.status(), Some(StatusCode::TOO_MANY_REQUESTS));
    assert_eq!(error.message(), Some("slow down"));
    assert!(error.is_rate_limited() && error.is_retryable());
    assert_eq!(
        error.to_string(),
        "getConversation: rate_limited (429): slow down"
    );
    assert_error_secret_free(&error);

    // Without an envelope the reason still comes from the status.
    let server = serve(|_, _| Reply::raw(429, "text/plain", "")).await;
    let client = plugin_client(&server.base_url(), fast(2));
    let error = client
        .website_conversation()
        .get_conversation(WEBSITE, SESSION)
        .await
        .expect_err("always limited");
    assert_eq!(server.count(), 2);
    assert_eq!(error.reason(), Some(&Reason::RateLimited));
    assert_eq!(error.message(), None);
}

#[tokio::test]
async fn disabled_retries_send_once() {
    let server = serve(|_, _| Reply::error(429, "rate_limited", "slow down")).await;
    let client = plugin_client(&server.base_url(), RetryPolicy::disabled());
    let error = client
        .website_conversation()
        .get_conversation(WEBSITE, SESSION)
        .await
        .expect_err("limited");
    assert!(error.is_rate_limited());
    assert_eq!(server.count(), 1);

    let server = serve(|_, _| Reply::raw(503, "text/plain", "down")).await;
    let client = plugin_client(&server.base_url(), RetryPolicy::disabled());
    let error = client
        .website_conversation()
        .get_conversation(WEBSITE, SESSION)
        .await
        .expect_err("down");
    assert_eq!(error.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(server.count(), 1);
    assert_error_secret_free(&error);
}

#[tokio::test]
async fn retry_after_beyond_the_time_budget_gives_up_at_once() {
    let server = serve(|_, _| {
        Reply::error(429, "rate_limited", "come back later").header("retry-after", "30")
    })
    .await;
    let client = plugin_client(
        &server.base_url(),
        fast(5).with_max_elapsed(Duration::from_secs(2)),
    );
    let started = Instant::now();
    let error = client
        .website_conversation()
        .get_conversation(WEBSITE, SESSION)
        .await
        .expect_err("limited");
    let elapsed = started.elapsed();
    assert!(error.is_rate_limited(), "{error:?}");
    assert_eq!(server.count(), 1);
    // Waiting 30 s would overrun the 2 s budget: the client returns without sleeping.
    assert!(
        elapsed < Duration::from_secs(2),
        "returned after {elapsed:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Timeouts and broken answers.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn timeouts_are_retried_for_a_get_only() {
    let slow = |_: usize, _: &Seen| Reply::ok(conversation(SESSION)).after(Duration::from_secs(10));
    let server = serve(slow).await;
    let client = Client::builder()
        .plugin(IDENTIFIER, KEY)
        .base_url(server.base_url())
        .timeout(Some(Duration::from_millis(200)))
        .retry(fast(3))
        .build()
        .expect("a client");
    let started = Instant::now();
    let error = client
        .website_conversation()
        .get_conversation(WEBSITE, SESSION)
        .await
        .expect_err("too slow");
    assert!(
        matches!(
            error,
            Error::Timeout {
                operation: "getConversation"
            }
        ),
        "{error:?}"
    );
    assert!(error.is_timeout() && error.is_retryable());
    assert_eq!(error.to_string(), "getConversation: the request timed out");
    assert_eq!(server.count(), 3);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_error_secret_free(&error);

    let server = serve(slow).await;
    let client = Client::builder()
        .plugin(IDENTIFIER, KEY)
        .base_url(server.base_url())
        .timeout(Some(Duration::from_millis(200)))
        .retry(fast(3))
        .build()
        .expect("a client");
    let error = client
        .website_conversation()
        .send_message_in_conversation(WEBSITE, SESSION, &new_message())
        .await
        .expect_err("too slow");
    assert!(
        matches!(
            error,
            Error::Timeout {
                operation: "sendMessageInConversation"
            }
        ),
        "{error:?}"
    );
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn truncated_bodies_fail_and_are_retried_for_a_get_only() {
    let (addr, arrivals) = serve_truncated().await;
    let client = plugin_client(&format!("http://{addr}/v1"), fast(3));
    let error = client
        .website_conversation()
        .get_conversation(WEBSITE, SESSION)
        .await
        .expect_err("truncated");
    assert!(
        matches!(
            error,
            Error::Transport {
                operation: "getConversation",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert_eq!(lock(&arrivals).len(), 3);
    assert_error_secret_free(&error);

    let (addr, arrivals) = serve_truncated().await;
    let client = plugin_client(&format!("http://{addr}/v1"), fast(3));
    let error = client
        .website_conversation()
        .send_message_in_conversation(WEBSITE, SESSION, &new_message())
        .await
        .expect_err("truncated");
    assert!(
        matches!(
            error,
            Error::Transport {
                operation: "sendMessageInConversation",
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(lock(&arrivals).len(), 1);
    assert_error_secret_free(&error);
}

#[tokio::test]
async fn html_instead_of_json_is_a_decode_error() {
    let page =
        "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>";
    let server = serve(move |_, _| Reply::raw(200, "text/html; charset=utf-8", page)).await;
    let client = plugin_client(&server.base_url(), fast(3));
    let error = client
        .website_conversation()
        .get_conversation(WEBSITE, SESSION)
        .await
        .expect_err("not JSON");
    let Error::Decode {
        operation,
        status,
        path,
        message,
        excerpt,
    } = &error
    else {
        panic!("expected a decode error, got {error:?}");
    };
    assert_eq!(*operation, "getConversation");
    assert_eq!(*status, StatusCode::OK);
    assert_eq!(path, ".");
    assert!(message.contains("text/html"), "{message}");
    assert_eq!(excerpt, page);
    assert!(!error.is_retryable());
    assert!(
        error
            .to_string()
            .starts_with("getConversation: could not decode the response (200) at `.`"),
        "{error}"
    );
    assert_eq!(server.count(), 1);
    assert_error_secret_free(&error);
}

#[tokio::test]
async fn a_wrong_field_type_names_its_json_path() {
    // A long page, so the excerpt is cut.
    let mut profiles: Vec<Value> = (0..6).map(|i| profile(&format!("people-{i}"))).collect();
    profiles[1]["people_id"] = json!(42);
    let body = json!({"error": false, "reason": "resolved", "data": profiles}).to_string();
    let served = body.clone();
    let server = serve(move |_, _| Reply::raw(200, "application/json", served.clone())).await;
    let client = plugin_client(&server.base_url(), fast(3));
    let error = client
        .website_people()
        .list_people_profiles(WEBSITE, 1, &ListPeopleProfilesOptions::default())
        .await
        .expect_err("a number where a string belongs");
    let Error::Decode {
        operation,
        path,
        message,
        excerpt,
        ..
    } = &error
    else {
        panic!("expected a decode error, got {error:?}");
    };
    assert_eq!(*operation, "listPeopleProfiles");
    assert_eq!(path, "data[1].people_id");
    assert!(message.contains("invalid type: integer `42`"), "{message}");
    let start = excerpt.strip_suffix('…').expect("a long body is cut");
    assert_eq!(start.chars().count(), 200);
    assert!(body.starts_with(start), "{excerpt}");
    assert!(
        error.to_string().contains("at `data[1].people_id`"),
        "{error}"
    );
    assert_eq!(server.count(), 1);
    assert_error_secret_free(&error);
}

// ---------------------------------------------------------------------------------------------
// HEAD operations.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn head_operations_answer_booleans() {
    let server = serve(|_, request| {
        if request.path.ends_with("/known") {
            Reply::raw(200, "application/json", "")
        } else if request.path.ends_with("/unknown") {
            Reply::raw(404, "application/json", "")
        } else {
            Reply::raw(403, "application/json", "")
        }
    })
    .await;
    let client = plugin_client(&server.base_url(), fast(3));
    let people = client.website_people();
    assert!(
        people
            .check_people_profile_exists(WEBSITE, "known")
            .await
            .expect("200")
    );
    assert!(
        !people
            .check_people_profile_exists(WEBSITE, "unknown")
            .await
            .expect("404")
    );
    let error = people
        .check_people_profile_exists(WEBSITE, "forbidden")
        .await
        .expect_err("403");
    assert_eq!(error.status(), Some(StatusCode::FORBIDDEN));
    assert_eq!(error.reason(), Some(&Reason::NotAllowed));
    assert!(!error.is_retryable());
    assert_error_secret_free(&error);
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    assert!(
        seen.iter().all(|request| request.method == "HEAD"),
        "{seen:?}"
    );
    assert_eq!(
        seen[0].path,
        format!("/v1/website/{WEBSITE}/people/profile/known")
    );
}

// ---------------------------------------------------------------------------------------------
// Streams.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn page_stream_reads_until_an_empty_page() {
    let server = serve(|_, request| match request.page() {
        1 => Reply::ok(json!([profile("p1-a"), profile("p1-b")])),
        2 => Reply::ok(json!([profile("p2-a"), profile("p2-b")])),
        _ => Reply::ok(json!([])),
    })
    .await;
    let client = plugin_client(&server.base_url(), fast(3));
    let items = collect(
        client
            .website_people()
            .list_people_profiles_stream(WEBSITE, &ListPeopleProfilesOptions::default()),
    )
    .await;
    let ids: Vec<String> = items
        .into_iter()
        .map(|item| item.expect("every page decodes").people_id.expect("an id"))
        .collect();
    assert_eq!(ids, ["p1-a", "p1-b", "p2-a", "p2-b"]);
    let paths: Vec<String> = server
        .seen()
        .into_iter()
        .map(|request| request.path)
        .collect();
    let expected: Vec<String> = (1..=3)
        .map(|page| format!("/v1/website/{WEBSITE}/people/profiles/{page}"))
        .collect();
    assert_eq!(paths, expected);
}

#[tokio::test]
async fn page_stream_sends_the_same_filters_on_every_page() {
    let server = serve(|_, request| match request.page() {
        page @ (1 | 2) => Reply::ok(json!([
            conversation(&format!("s{page}-a")),
            conversation(&format!("s{page}-b"))
        ])),
        _ => Reply::ok(json!([])),
    })
    .await;
    let client = plugin_client(&server.base_url(), fast(3));
    let options = ListConversationsOptions {
        per_page: Some(2),
        filter_unread: Some(true),
        filter_inbox_id: Some("inbox 1/sales".to_owned()),
        search_type: Some(ListConversationsSearchType::Filter),
        search_query: Some(ListConversationsSearchQuery::List(vec![
            ConversationSearchFilter {
                criterion: "meta.segments".to_owned(),
                query: vec!["vip".to_owned()],
                model: "session".to_owned(),
                operator: "has".to_owned(),
            },
        ])),
        search_operator: Some(ListConversationsSearchOperator::And),
        ..Default::default()
    };
    let items = collect(
        client
            .website_conversation()
            .list_conversations_stream(WEBSITE, &options),
    )
    .await;
    let ids: Vec<String> = items
        .into_iter()
        .map(|item| item.expect("every page decodes").session_id)
        .collect();
    assert_eq!(ids, ["s1-a", "s1-b", "s2-a", "s2-b"]);
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    let first = seen[0].query.clone().expect("a query string");
    for (request, page) in seen.iter().zip(1..) {
        assert_eq!(
            request.path,
            format!("/v1/website/{WEBSITE}/conversations/{page}")
        );
        assert_eq!(
            request.query.as_deref(),
            Some(first.as_str()),
            "page {page}"
        );
    }
    assert_eq!(seen[0].query_param("per_page").as_deref(), Some("2"));
    assert_eq!(seen[0].query_param("filter_unread").as_deref(), Some("1"));
    assert_eq!(
        seen[0].query_param("search_type").as_deref(),
        Some("filter")
    );
    assert_eq!(
        seen[0].query_param("search_operator").as_deref(),
        Some("and")
    );
    assert!(
        seen[0]
            .query_param("search_query")
            .is_some_and(|query| query.contains("meta.segments")),
        "{first}"
    );
    assert!(
        seen[0]
            .query_param("filter_inbox_id")
            .is_some_and(|inbox| !inbox.contains(' ') && !inbox.contains('/')),
        "{first}"
    );
}

#[tokio::test]
async fn history_stream_goes_back_with_timestamp_before() {
    let server = serve(
        |_, request| match request.query_param("timestamp_before").as_deref() {
            // The first page is in chronological order: the cursor is its oldest timestamp, not its last.
            None => Reply::ok(json!([
                message(1, 1_000),
                message(2, 2_000),
                message(3, 3_000)
            ])),
            Some("1000") => Reply::ok(json!([message(-2, 500), message(-1, 800)])),
            _ => Reply::ok(json!([])),
        },
    )
    .await;
    let client = plugin_client(&server.base_url(), fast(3));
    let items = collect(
        client
            .website_conversation()
            .get_messages_in_conversation_stream(
                WEBSITE,
                SESSION,
                &GetMessagesInConversationOptions::default(),
            ),
    )
    .await;
    let timestamps: Vec<u64> = items
        .into_iter()
        .map(|item| {
            item.expect("every page decodes")
                .timestamp
                .expect("a timestamp")
        })
        .collect();
    assert_eq!(timestamps, [1_000, 2_000, 3_000, 500, 800]);
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].query_param("timestamp_before"), None);
    assert_eq!(
        seen[1].query_param("timestamp_before").as_deref(),
        Some("1000")
    );
    assert_eq!(
        seen[2].query_param("timestamp_before").as_deref(),
        Some("500")
    );
    assert!(
        seen.iter().all(|request| request.path
            == format!("/v1/website/{WEBSITE}/conversation/{SESSION}/messages"))
    );
}

#[tokio::test]
async fn an_error_on_page_two_ends_the_stream() {
    let server = serve(|_, request| match request.page() {
        1 => Reply::ok(json!([profile("p1-a"), profile("p1-b")])),
        _ => Reply::error(403, "not_allowed", "token lacks scope"),
    })
    .await;
    let client = plugin_client(&server.base_url(), fast(3));
    let items = collect(
        client
            .website_people()
            .list_people_profiles_stream(WEBSITE, &ListPeopleProfilesOptions::default()),
    )
    .await;
    assert_eq!(items.len(), 3, "{items:?}");
    assert_eq!(
        items[0].as_ref().expect("page 1").people_id.as_deref(),
        Some("p1-a")
    );
    assert_eq!(
        items[1].as_ref().expect("page 1").people_id.as_deref(),
        Some("p1-b")
    );
    let error = items[2].as_ref().expect_err("page 2 fails");
    assert_eq!(error.status(), Some(StatusCode::FORBIDDEN));
    assert_eq!(error.reason(), Some(&Reason::NotAllowed));
    assert_eq!(error.message(), Some("token lacks scope"));
    assert_error_secret_free(error);
    assert_eq!(server.count(), 2, "no page after the error");
}

// ---------------------------------------------------------------------------------------------
// Tiers, secrets and tracing.
// ---------------------------------------------------------------------------------------------

/// The variables `from_env` would read; `CRISP_TIER` only when `tier` is given.
fn env(tier: Option<&str>, base_url: &str) -> impl Fn(&str) -> Option<String> {
    let mut vars = vec![
        ("CRISP_IDENTIFIER", IDENTIFIER.to_owned()),
        ("CRISP_KEY", KEY.to_owned()),
        ("CRISP_BASE_URL", base_url.to_owned()),
    ];
    if let Some(tier) = tier {
        vars.push(("CRISP_TIER", tier.to_owned()));
    }
    move |name| {
        vars.iter()
            .find(|(var, _)| *var == name)
            .map(|(_, value)| value.clone())
    }
}

/// What `Client::<T>::from_env` does, reading `vars` instead of the process environment
/// (changing it would race with the other tests).
fn from_vars<T: ClientTier>(vars: impl Fn(&str) -> Option<String>) -> Result<Client<T>, Error> {
    Client::<T>::from_config(ClientConfig::from_lookup(vars, T::TIER)?)
}

#[tokio::test]
async fn the_tier_is_checked_at_run_time() {
    let server = serve(|_, _| Reply::ok(conversation(SESSION))).await;
    let base_url = server.base_url();
    let vars = |tier| env(tier, &base_url);

    // `CRISP_TIER` names the other tier.
    let error = from_vars::<tier::Plugin>(vars(Some("user")))
        .expect_err("a user token for a plugin client");
    assert!(matches!(error, Error::Config { .. }), "{error:?}");
    assert!(
        error.to_string().contains("`user`") && error.to_string().contains("`plugin`"),
        "{error}"
    );
    assert_error_secret_free(&error);
    let error = from_vars::<tier::User>(vars(Some("plugin")))
        .expect_err("a plugin token for a user client");
    assert!(matches!(error, Error::Config { .. }), "{error:?}");
    assert_error_secret_free(&error);
    // A configuration read for any tier, handed to a client of the other one.
    let config =
        ClientConfig::from_lookup(vars(Some("user")), None).expect("a complete environment");
    let error =
        Client::<tier::Plugin>::from_config(config).expect_err("a user token in a plugin client");
    assert!(matches!(error, Error::Config { .. }), "{error:?}");
    assert!(error.to_string().contains("tier `user`"), "{error}");
    assert_error_secret_free(&error);
    // No such tier, or no tier where the client's type does not fix one.
    let error = from_vars::<tier::Plugin>(vars(Some("admin"))).expect_err("no such tier");
    assert!(
        matches!(error, Error::Config { .. }) && error.to_string().contains("CRISP_TIER"),
        "{error:?}"
    );
    assert_error_secret_free(&error);
    let error =
        from_vars::<tier::Dynamic>(vars(None)).expect_err("a dynamic client needs CRISP_TIER");
    assert!(
        matches!(error, Error::Config { .. }) && error.to_string().contains("CRISP_TIER"),
        "{error:?}"
    );
    assert_error_secret_free(&error);

    let plugin = from_vars::<tier::Plugin>(vars(Some("plugin"))).expect("the right tier");
    assert_eq!(plugin.tier(), Tier::Plugin);
    assert_eq!(plugin.base_url(), base_url);
    let implied = from_vars::<tier::Plugin>(vars(None)).expect("the client's type fixes the tier");
    assert_eq!(implied.tier(), Tier::Plugin);
    let dynamic = from_vars::<tier::Dynamic>(vars(Some("user"))).expect("any tier");
    assert_eq!(dynamic.tier(), Tier::User);
    plugin
        .website_conversation()
        .get_conversation(WEBSITE, SESSION)
        .await
        .expect("plugin call");
    implied
        .website_conversation()
        .get_conversation(WEBSITE, SESSION)
        .await
        .expect("plugin call");
    dynamic
        .website_conversation()
        .get_conversation(WEBSITE, SESSION)
        .await
        .expect("user call");
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    assert_authenticated(&seen[..2], "plugin");
    assert_authenticated(&seen[2..], "user");
}

#[tokio::test]
async fn the_key_stays_out_of_debug_output() {
    let builder = Client::builder()
        .plugin(IDENTIFIER, KEY)
        .base_url("http://127.0.0.1:9/v1");
    let debug = format!("{builder:?}");
    assert_secret_free(&debug);
    assert!(debug.contains(IDENTIFIER), "{debug}");
    let client = builder.build().expect("a client");
    let debug = format!("{client:?} {:?}", client.website_conversation());
    assert_secret_free(&debug);
    assert!(debug.contains(IDENTIFIER), "{debug}");
    let config = ClientConfig::from_lookup(env(Some("plugin"), "http://127.0.0.1:9/v1"), None)
        .expect("a complete environment");
    assert_secret_free(&format!("{config:?}"));
    let user = Client::builder()
        .user(IDENTIFIER, KEY)
        .build()
        .expect("a client");
    assert_secret_free(&format!("{user:?}"));
    let dynamic =
        Client::builder().credentials(crisp_client::Credentials::new(IDENTIFIER, KEY, Tier::User));
    assert_secret_free(&format!("{dynamic:?}"));
    // A base URL carrying credentials is refused without repeating them.
    let error = Client::builder()
        .plugin(IDENTIFIER, KEY)
        .base_url(format!("http://{IDENTIFIER}:{KEY}@127.0.0.1:9/v1"))
        .build()
        .expect_err("credentials in the URL");
    assert_error_secret_free(&error);
}

/// An in-memory sink for the tracing output of one test.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl io::Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        lock(&self.0).extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&lock(&self.0)).into_owned()
    }
}

/// Captures everything traced on this thread (these tests run on a current-thread runtime),
/// at every level, with a line when each span closes so its final fields are written out.
fn capture() -> (Buffer, impl Sized) {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let guard = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing_subscriber::filter::LevelFilter::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .finish()
        .set_default();
    (buffer, guard)
}

#[tokio::test]
async fn tracing_names_the_call_but_never_the_key_or_the_body() {
    let server = serve(|n, _| match n {
        0 => Reply::error(429, "rate_limited", "slow down"),
        _ => Reply::ok(json!({"fingerprint": 77})),
    })
    .await;
    let client = plugin_client(&server.base_url(), fast(3));
    let (buffer, guard) = capture();
    let sent = client
        .website_conversation()
        .send_message_in_conversation(WEBSITE, SESSION, &new_message())
        .await
        .expect("the retry succeeds");
    drop(guard);
    assert_eq!(sent.fingerprint, Some(77));
    assert_eq!(server.count(), 2);
    let output = buffer.text();
    for expected in [
        "crisp.call",
        "operation=\"sendMessageInConversation\"",
        "method=POST",
        "path=\"/website/{website_id}/conversation/{session_id}/message\"",
        "attempt=1",
        "retrying",
        "failure=status 429",
    ] {
        assert!(
            output.contains(expected),
            "`{expected}` is missing from:\n{output}"
        );
    }
    // The span's final fields, written when it closes: the last attempt and its status.
    let close = output
        .lines()
        .find(|line| line.contains("crisp.call{") && line.contains(": close "))
        .unwrap_or_else(|| panic!("no close line in:\n{output}"));
    assert!(
        close.contains("attempt=2") && close.contains("status=200"),
        "{close}"
    );
    assert_secret_free(&output);
    assert!(
        !output.contains(BODY_MARKER),
        "the request body leaked:\n{output}"
    );
}

#[tokio::test]
async fn refused_connections_are_retried_even_for_a_post() {
    // A port nothing listens on any more.
    let addr = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        listener.local_addr().expect("a local address")
    };
    let client = plugin_client(&format!("http://{addr}/v1"), fast(3));
    let (buffer, guard) = capture();
    let error = client
        .website_conversation()
        .send_message_in_conversation(WEBSITE, SESSION, &new_message())
        .await
        .expect_err("nothing listens");
    drop(guard);
    assert!(
        matches!(
            error,
            Error::Transport {
                operation: "sendMessageInConversation",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert_error_secret_free(&error);
    // Nothing reached a server, so the tracing output is what counts the attempts.
    let output = buffer.text();
    let retries = output
        .lines()
        .filter(|line| line.contains("crisp.call") && line.contains(": retrying"))
        .count();
    assert_eq!(retries, 2, "{output}");
    assert!(output.contains("attempt=3"), "{output}");
    assert_secret_free(&output);
    assert!(
        !output.contains(BODY_MARKER),
        "the request body leaked:\n{output}"
    );
}
