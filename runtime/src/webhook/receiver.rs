//! [`Receiver`]: an axum endpoint that verifies Crisp web hook deliveries and hands each
//! decoded one to a handler, on a task of its own.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::DefaultBodyLimit;
use axum::extract::rejection::BytesRejection;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use super::{SIGNATURE_HEADER, TAG_LEN, TIMESTAMP_HEADER, Verifier, VerifyError};
use crate::server::{ApiError, method_not_allowed_fallback, respond_empty};

/// The largest delivery body a [`Receiver`] accepts unless told otherwise: 1 MiB. Crisp's
/// events are a few kilobytes.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// How many accepted signatures a [`Receiver`] remembers unless told otherwise, to refuse
/// replays: 10 000 (under a megabyte).
pub const DEFAULT_REPLAY_CAPACITY: usize = 10_000;

/// An axum endpoint for Crisp web hook deliveries.
///
/// ```no_run
/// use axum::Router;
/// use crisp_runtime::webhook::{Receiver, Verifier};
///
/// # async fn serve() -> std::io::Result<()> {
/// let receiver = Receiver::new(Verifier::new("my-plugin-signing-secret"));
/// let app = Router::new().route(
///     "/crisp/hooks",
///     receiver.handler(|delivery: serde_json::Value| async move {
///         println!("{}", delivery["event"]);
///     }),
/// );
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// axum::serve(listener, app).await
/// # }
/// ```
///
/// Each `POST` is handled in this order, every answer in Crisp's envelope:
///
/// 1. the body is read up to the [body limit](Receiver::body_limit):
///    `413 payload_too_large` beyond it;
/// 2. the `X-Crisp-Request-Timestamp` and `X-Crisp-Signature` headers are checked by the
///    [`Verifier`] against the raw body: `401 invalid_session` when a header is missing or
///    malformed, the signature does not match, or the timestamp is outside the window;
/// 3. the body is decoded as JSON into the handler's type `E`: `400 invalid_data`, naming
///    the failing field, when it is not JSON or not an `E`;
/// 4. a delivery whose signature was already accepted, and whose timestamp is still inside
///    the window, is a replay: `401 invalid_session`. Only accepted deliveries are
///    remembered, so a retry of a delivery refused with 400 is judged afresh. If Crisp
///    re-sends an accepted delivery with the same timestamp (because our 200 was lost), it
///    is refused too: the handler has seen it already;
/// 5. the answer is `200 {"error": false, "reason": "resolved"}`, sent at once: the handler
///    runs on a task of its own, so slow work never delays the answer (Crisp retries
///    deliveries that are not answered in time). A handler that panics is logged with
///    `tracing::error!` and does not affect the server.
///
/// Other methods get `405 method_not_allowed`. Each refusal is logged with `tracing::warn!`
/// (status and reason; never the secret, the signature or the body).
///
/// Replays are spotted with a bounded memory of the signatures accepted within the window
/// ([`Receiver::replay_capacity`]); when more deliveries than that arrive within one window,
/// the oldest are forgotten first. It is per router: a handler mounted in several processes
/// needs idempotent work (Crisp's message fingerprints, for instance) to be safe across them.
#[derive(Clone, Debug)]
pub struct Receiver {
    verifier: Verifier,
    body_limit: usize,
    replay_capacity: usize,
}

impl Receiver {
    /// A receiver checking deliveries with `verifier`, with the [`DEFAULT_BODY_LIMIT`] and the
    /// [`DEFAULT_REPLAY_CAPACITY`].
    pub fn new(verifier: Verifier) -> Self {
        Self {
            verifier,
            body_limit: DEFAULT_BODY_LIMIT,
            replay_capacity: DEFAULT_REPLAY_CAPACITY,
        }
    }

    /// Sets the largest body accepted, in bytes; larger ones get `413 payload_too_large`.
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Sets how many accepted signatures are remembered to refuse replays (0 turns replay
    /// detection off; the freshness window still applies).
    #[must_use]
    pub fn replay_capacity(mut self, deliveries: usize) -> Self {
        self.replay_capacity = deliveries;
        self
    }

    /// The endpoint: a `POST` route, to mount at any path, that hands every accepted
    /// delivery, decoded as an `E`, to `handler` on a spawned task.
    ///
    /// `E` is usually the whole delivery (`{website_id, event, data, timestamp}`): a type of
    /// your own, or `serde_json::Value`.
    pub fn handler<E, F, Fut>(self, handler: F) -> MethodRouter
    where
        E: DeserializeOwned + Send + 'static,
        F: Fn(E) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let shared = Arc::new(Shared {
            verifier: self.verifier,
            seen: Mutex::new(Seen::new(self.replay_capacity)),
            handler,
            body_limit: self.body_limit,
            event: PhantomData,
        });
        post(
            move |headers: HeaderMap, body: Result<Bytes, BytesRejection>| {
                let shared = Arc::clone(&shared);
                async move { receive(shared, &headers, body) }
            },
        )
        .fallback(method_not_allowed_fallback)
        .layer(DefaultBodyLimit::max(self.body_limit))
    }
}

/// What every request of one endpoint shares.
struct Shared<E, F> {
    verifier: Verifier,
    seen: Mutex<Seen>,
    handler: F,
    body_limit: usize,
    /// `fn() -> E`: the endpoint makes `E`s, it does not hold one (so `Shared` is `Sync`
    /// whatever `E` is).
    event: PhantomData<fn() -> E>,
}

/// Handles one delivery (see [`Receiver`] for the steps).
fn receive<E, F, Fut>(
    shared: Arc<Shared<E, F>>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response
where
    E: DeserializeOwned + Send + 'static,
    F: Fn(E) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return refuse(ApiError::payload_too_large(format!(
                "the delivery is larger than the {} bytes this endpoint accepts",
                shared.body_limit
            )));
        }
        Err(rejection) => {
            return refuse(ApiError::invalid_data(format!(
                "the delivery could not be read: {}",
                rejection.body_text()
            )));
        }
    };
    let now = SystemTime::now();
    let verified =
        header(headers, TIMESTAMP_HEADER, VerifyError::MalformedTimestamp).and_then(|timestamp| {
            let signature = header(headers, SIGNATURE_HEADER, VerifyError::MalformedSignature)?;
            shared.verifier.check(timestamp, &body, signature, now)
        });
    let verified = match verified {
        Ok(verified) => verified,
        Err(error) => return refuse(ApiError::invalid_session(error.to_string())),
    };
    let event: E = match crate::json::from_slice(&body) {
        Ok(event) => event,
        Err(crate::json::PathError { path, error }) => {
            // The log names the kind and place of the failure only; serde's message may quote
            // the body, which goes back to the sender alone.
            tracing::warn!(
                status = 400,
                kind = ?error.classify(),
                line = error.line(),
                column = error.column(),
                "refused a Crisp web hook delivery: its body does not decode"
            );
            let message = if path == "." {
                format!("invalid delivery body: {error}")
            } else {
                format!("invalid delivery body at `{path}`: {error}")
            };
            return ApiError::invalid_data(message).into_response();
        }
    };
    let now_ms = millis_since_epoch(now);
    let window_ms = u64::try_from(shared.verifier.window().as_millis()).unwrap_or(u64::MAX);
    let expires_ms = verified.timestamp_ms.saturating_add(window_ms);
    let first_time = shared
        .seen
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .first_time(verified.tag, expires_ms, now_ms);
    if !first_time {
        return refuse(ApiError::invalid_session(
            "this delivery was already accepted (a replay)",
        ));
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        tracing::error!("a Crisp web hook delivery cannot be handled outside a Tokio runtime");
        return ApiError::internal("the delivery could not be handled").into_response();
    };
    let work = runtime.spawn(async move { (shared.handler)(event).await });
    runtime.spawn(async move {
        if let Err(error) = work.await {
            if error.is_panic() {
                tracing::error!("a Crisp web hook handler panicked");
            }
        }
    });
    respond_empty(Ok(()))
}

/// A header's value: `""` when it is missing, `malformed` when it is not visible ASCII.
fn header<'a>(
    headers: &'a HeaderMap,
    name: &str,
    malformed: VerifyError,
) -> Result<&'a str, VerifyError> {
    match headers.get(name) {
        None => Ok(""),
        Some(value) => value.to_str().map_err(|_| malformed),
    }
}

/// Logs a refused delivery (status and reason only) and answers the refusal.
fn refuse(error: ApiError) -> Response {
    tracing::warn!(
        status = error.status().as_u16(),
        reason = %error.message(),
        "refused a Crisp web hook delivery"
    );
    error.into_response()
}

/// `time` in milliseconds since the Unix epoch (0 before it, saturating far after it).
fn millis_since_epoch(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| {
        u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
    })
}

/// The signatures accepted recently, each until its timestamp leaves the window (after which
/// the verifier refuses the delivery as stale anyway), at most `capacity` of them.
#[derive(Debug)]
struct Seen {
    capacity: usize,
    /// When each remembered signature expires, in milliseconds since the Unix epoch.
    expiry: HashMap<[u8; TAG_LEN], u64>,
    /// The remembered signatures, oldest accepted first.
    order: VecDeque<([u8; TAG_LEN], u64)>,
}

impl Seen {
    /// An empty memory of at most `capacity` signatures.
    fn new(capacity: usize) -> Self {
        Self {
            capacity,
            expiry: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// Records `tag`, accepted at `now_ms` and valid until `expires_ms`; `false` if it was
    /// recorded before and has not expired (a replay).
    fn first_time(&mut self, tag: [u8; TAG_LEN], expires_ms: u64, now_ms: u64) -> bool {
        while let Some(&(oldest, expires)) = self.order.front() {
            if expires > now_ms {
                break;
            }
            self.order.pop_front();
            self.forget(oldest, expires);
        }
        if self
            .expiry
            .get(&tag)
            .is_some_and(|&expires| expires > now_ms)
        {
            return false;
        }
        if self.capacity == 0 {
            return true;
        }
        while self.order.len() >= self.capacity {
            match self.order.pop_front() {
                Some((oldest, expires)) => self.forget(oldest, expires),
                None => break,
            }
        }
        self.expiry.insert(tag, expires_ms);
        self.order.push_back((tag, expires_ms));
        true
    }

    /// Forgets `tag` if its entry is the one that expires at `expires`.
    fn forget(&mut self, tag: [u8; TAG_LEN], expires: u64) {
        if self.expiry.get(&tag) == Some(&expires) {
            self.expiry.remove(&tag);
        }
    }
}

#[cfg(test)]
mod tests;
