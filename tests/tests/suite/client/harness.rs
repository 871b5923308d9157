//! The scripted server the client tests run against, and what they share: the token, the
//! clients, the data the server answers with, and the checks that no secret leaks.

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
use crisp_client::models::ConversationMessageNew;
use crisp_client::{Client, Error, RetryPolicy, tier};
use crisp_runtime::client::Stream;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The token the clients send; the key must never show up anywhere.
pub(super) const IDENTIFIER: &str = "plugin-id-42";
pub(super) const KEY: &str = "k3y-v3ry-s3cret";
/// `base64("plugin-id-42:k3y-v3ry-s3cret")`, the key as it travels in `Authorization`.
const BASIC_TOKEN: &str = "cGx1Z2luLWlkLTQyOmszeS12M3J5LXMzY3JldA==";
pub(super) const WEBSITE: &str = "website-1";
pub(super) const SESSION: &str = "session_7f3e2a";

// ---------------------------------------------------------------------------------------------
// The misbehaving server.
// ---------------------------------------------------------------------------------------------

/// One request as the server received it.
#[derive(Clone, Debug)]
pub(super) struct Seen {
    pub(super) method: String,
    pub(super) path: String,
    pub(super) query: Option<String>,
    headers: HeaderMap,
    pub(super) body: Vec<u8>,
    pub(super) at: Instant,
}

impl Seen {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The last path segment, as a page number.
    pub(super) fn page(&self) -> u32 {
        self.path
            .rsplit('/')
            .next()
            .and_then(|page| page.parse().ok())
            .expect("a page number")
    }

    /// The value of one query parameter.
    pub(super) fn query_param(&self, name: &str) -> Option<String> {
        let query = self.query.as_deref()?;
        query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            (key == name).then(|| value.to_owned())
        })
    }
}

/// What the server answers to one request.
pub(super) struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
    delay: Duration,
}

impl Reply {
    pub(super) fn raw(status: u16, content_type: &str, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: vec![("content-type", content_type.to_owned())],
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    /// A success envelope around `data`.
    pub(super) fn ok(data: Value) -> Self {
        Self::raw(
            200,
            "application/json",
            json!({"error": false, "reason": "resolved", "data": data}).to_string(),
        )
    }

    /// An error envelope with a message.
    pub(super) fn error(status: u16, reason: &str, message: &str) -> Self {
        Self::raw(
            status,
            "application/json",
            json!({"error": true, "reason": reason, "data": {"message": message}}).to_string(),
        )
    }

    pub(super) fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }

    /// Answers only after `delay`.
    pub(super) fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

type Script = Arc<dyn Fn(usize, &Seen) -> Reply + Send + Sync>;
type Log = Arc<Mutex<Vec<Seen>>>;

pub(super) struct Server {
    addr: SocketAddr,
    seen: Log,
}

impl Server {
    pub(super) fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub(super) fn seen(&self) -> Vec<Seen> {
        lock(&self.seen).clone()
    }

    pub(super) fn count(&self) -> usize {
        lock(&self.seen).len()
    }
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Starts a server answering `script(n, request)` to its n-th request (from 0).
pub(super) async fn serve(
    script: impl Fn(usize, &Seen) -> Reply + Send + Sync + 'static,
) -> Server {
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
pub(super) async fn serve_truncated() -> (SocketAddr, Arc<Mutex<Vec<Instant>>>) {
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
pub(super) fn fast(max_attempts: u32) -> RetryPolicy {
    RetryPolicy::new()
        .with_max_attempts(max_attempts)
        .with_initial_backoff(Duration::from_millis(20))
        .without_jitter()
}

pub(super) fn plugin_client(base_url: &str, retry: RetryPolicy) -> Client<tier::Plugin> {
    Client::builder()
        .plugin(IDENTIFIER, KEY)
        .base_url(base_url)
        .retry(retry)
        .build()
        .expect("a client")
}

pub(super) fn conversation(session_id: &str) -> Value {
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

pub(super) fn profile(people_id: &str) -> Value {
    json!({
        "people_id": people_id,
        "email": format!("{people_id}@acme-inc.com"),
        "person": {"nickname": format!("Contact {people_id}")},
        "score": 7,
        "created_at": 1_710_339_800_000_u64,
    })
}

pub(super) fn message(fingerprint: i64, timestamp: u64) -> Value {
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
pub(super) const BODY_MARKER: &str = "b0dy-m4rker-never-logged";

pub(super) fn new_message() -> ConversationMessageNew {
    serde_json::from_value(json!({
        "type": "text",
        "from": "operator",
        "origin": "chat",
        "content": BODY_MARKER,
    }))
    .expect("a text message")
}

/// Collects a stream without pulling in a futures crate.
pub(super) async fn collect<S: Stream>(stream: S) -> Vec<S::Item> {
    let mut stream = pin!(stream);
    let mut items = Vec::new();
    while let Some(item) = poll_fn(|cx| stream.as_mut().poll_next(cx)).await {
        items.push(item);
    }
    items
}

pub(super) fn assert_secret_free(text: &str) {
    assert!(!text.contains(KEY), "the key leaked: {text}");
    assert!(
        !text.contains(BASIC_TOKEN),
        "the encoded credentials leaked: {text}"
    );
}

/// Checks the `Display` and `Debug` of an error and of every error in its source chain.
pub(super) fn assert_error_secret_free(error: &Error) {
    assert_secret_free(&format!("{error} / {error:?}"));
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        assert_secret_free(&format!("{inner} / {inner:?}"));
        source = inner.source();
    }
}

/// Every request must carry the credentials in `Authorization` and the tier header.
pub(super) fn assert_authenticated(seen: &[Seen], tier: &str) {
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
// The tracing output.
// ---------------------------------------------------------------------------------------------

pub(super) use crate::support::capture;
