//! Hardening of the generated router: its limits (body size, request time), the guard that turns
//! a panic into a 500 envelope, and one `tracing` span per request.
//!
//! [`harden`] wraps a router in these layers; the generated `RouterBuilder` calls it with the
//! [`Limits`] it was given. Each limit answers in Crisp's envelope, so a client always gets a
//! reason it can act on and never a bare status.

use std::any::Any;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use tower_http::catch_panic::CatchPanicLayer;
use tracing::Instrument;

use super::ApiError;

/// How much a request may ask of the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest request body accepted, in bytes; larger ones get `413 payload_too_large`.
    pub body_limit: usize,
    /// How long one request may take, from its first byte to the answer (a slow client
    /// included); longer ones get `408 request_timeout`.
    pub timeout: Duration,
}

impl Default for Limits {
    /// 2 MiB bodies and 30 seconds per request.
    fn default() -> Self {
        Limits {
            body_limit: 2 * 1024 * 1024,
            timeout: Duration::from_secs(30),
        }
    }
}

/// Wraps `router` in the limits, a panic guard and a span per request.
///
/// A panic inside an implementation becomes `500 internal_error` in the envelope, is logged
/// with `tracing::error!`, and the server keeps serving.
pub fn harden(router: Router, limits: Limits) -> Router {
    router
        .layer(DefaultBodyLimit::max(limits.body_limit))
        .layer(middleware::from_fn_with_state(
            limits.timeout,
            time_and_trace,
        ))
        .layer(CatchPanicLayer::custom(panic_response))
}

/// Bounds the request's time and runs it in a `crisp.request` span that records the
/// method, the route template, the operation and the status.
async fn time_and_trace(State(timeout): State<Duration>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "(no route)".to_owned(), |path| path.as_str().to_owned());
    let span = tracing::info_span!(
        "crisp.request",
        method = %method,
        route = %route,
        operation = tracing::field::Empty,
        status = tracing::field::Empty,
    );
    let started = Instant::now();
    let response = match tokio::time::timeout(timeout, next.run(request))
        .instrument(span.clone())
        .await
    {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!("the request took longer than {} ms", timeout.as_millis()),
        )
        .into_response(),
    };
    span.record("status", response.status().as_u16());
    span.in_scope(|| {
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "answered"
        )
    });
    response
}

/// Records the operation a generated handler serves on the current request's span.
pub fn record_operation(operation: &str) {
    tracing::Span::current().record("operation", operation);
}

/// The answer to a request whose handler panicked.
fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    tracing::error!(panic = %detail, "a request handler panicked");
    ApiError::internal("the server failed while handling the request").into_response()
}
