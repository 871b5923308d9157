//! Hardening of the generated router: its limits (body size, request time), the guard that turns
//! a panic into a 500 envelope, and one `tracing` span per request.
//!
//! [`harden`] wraps a router in these layers; the generated `RouterBuilder` calls it with the
//! [`Limits`] it was given. Each limit answers in Crisp's envelope, so a client always gets a
//! reason it can act on and never a bare status.

use std::any::Any;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use pin_project_lite::pin_project;
use tower_http::catch_panic::CatchPanicLayer;
use tower_layer::{Layer, Stack};
use tower_service::Service;

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
    // One `Router::layer` call with the three layers stacked: each call boxes every route
    // once more, which costs two allocations per request. Outermost first: the panic guard,
    // the time limit and span, the body limit.
    router.layer(Stack::new(
        DefaultBodyLimit::max(limits.body_limit),
        Stack::new(
            TimeAndTrace {
                timeout: limits.timeout,
            },
            CatchPanicLayer::custom(panic_response),
        ),
    ))
}

/// The layer that bounds a request's time and runs it in a `crisp.request` span that records
/// the method, the route template, the operation and the status.
///
/// A `tower` service rather than `axum::middleware::from_fn`, which boxes a clone of the inner
/// service and the future on every request: the generated router's benchmark measures it.
#[derive(Clone, Copy, Debug)]
struct TimeAndTrace {
    timeout: Duration,
}

impl<S> Layer<S> for TimeAndTrace {
    type Service = TimedAndTraced<S>;

    fn layer(&self, inner: S) -> Self::Service {
        TimedAndTraced {
            inner,
            timeout: self.timeout,
        }
    }
}

/// A route's service inside [`TimeAndTrace`].
#[derive(Clone, Debug)]
struct TimedAndTraced<S> {
    inner: S,
    timeout: Duration,
}

impl<S> Service<Request> for TimedAndTraced<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Answer<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // The fields are only rendered when a subscriber wants the span.
        let span = tracing::info_span!(
            "crisp.request",
            method = %request.method(),
            route = %RouteOf(&request),
            operation = tracing::field::Empty,
            status = tracing::field::Empty,
        );
        let inner = {
            let _entered = span.enter();
            self.inner.call(request)
        };
        Answer {
            inner,
            sleep: None,
            span,
            started: Instant::now(),
            timeout: self.timeout,
        }
    }
}

/// The route template a request matched, for the span.
struct RouteOf<'a>(&'a Request);

impl std::fmt::Display for RouteOf<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.extensions().get::<MatchedPath>() {
            Some(path) => f.write_str(path.as_str()),
            None => f.write_str("(no route)"),
        }
    }
}

pin_project! {
    /// The answer of [`TimedAndTraced`]: the route's, or `408 request_timeout` when the limit
    /// passes first; its status is recorded on the span.
    struct Answer<F> {
        #[pin]
        inner: F,
        // Made when the route first waits: most answers are ready before, and then no timer
        // is made at all. The limit still counts from `started`.
        #[pin]
        sleep: Option<tokio::time::Sleep>,
        span: tracing::Span,
        started: Instant,
        timeout: Duration,
    }
}

impl<F: Future<Output = Result<Response, Infallible>>> Future for Answer<F> {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let _entered = this.span.enter();
        let response = match this.inner.poll(cx) {
            Poll::Ready(Ok(response)) => response,
            Poll::Ready(Err(never)) => match never {},
            Poll::Pending => {
                if this.sleep.is_none() {
                    // A limit too far to be an instant is no limit.
                    let Some(deadline) = this.started.checked_add(*this.timeout) else {
                        return Poll::Pending;
                    };
                    let deadline = tokio::time::Instant::from_std(deadline);
                    this.sleep.set(Some(tokio::time::sleep_until(deadline)));
                }
                let Some(sleep) = this.sleep.as_mut().as_pin_mut() else {
                    return Poll::Pending;
                };
                std::task::ready!(sleep.poll(cx));
                ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "request_timeout",
                    format!(
                        "the request took longer than {} ms",
                        this.timeout.as_millis()
                    ),
                )
                .into_response()
            }
        };
        this.span.record("status", response.status().as_u16());
        tracing::debug!(
            elapsed_ms = this.started.elapsed().as_millis() as u64,
            "answered"
        );
        Poll::Ready(Ok(response))
    }
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
