//! Answering from the spec's examples what the stateful sandbox does not implement.
//!
//! The stateful router serves every route; an operation the [`Store`](crate::Store) leaves
//! out answers `501 not_implemented` (the default body of every trait method). The middleware
//! here buffers each request (its body bounded by the body limit), lets the stateful router
//! answer, and when that answer is `501 not_implemented` replays the same request (method,
//! URI, headers and body) on the examples router. So 260 operations need no delegation each,
//! and the replayed request is authenticated, authorized and validated exactly as the first.

use axum::Router;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{FromRequest, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use crisp_server::ApiError;
use tower::ServiceExt;

/// The largest `501` answer read to tell whether it is `not_implemented`.
const MAX_ANSWER: usize = 64 * 1024;

/// What the middleware needs: the examples router and the body limit (for its message).
#[derive(Clone)]
pub(crate) struct Fallback {
    /// The router answering every operation with its example.
    pub(crate) examples: Router,
    /// The largest request body accepted, in bytes.
    pub(crate) body_limit: usize,
}

/// Runs the request on the stateful router, and on the examples router if the stateful one
/// does not implement the operation.
pub(crate) async fn answer_from_examples(
    State(fallback): State<Fallback>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    // The `Bytes` extractor honours the `DefaultBodyLimit` layered outside this middleware.
    let bytes = match Bytes::from_request(Request::from_parts(parts.clone(), body), &()).await {
        Ok(bytes) => bytes,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return ApiError::payload_too_large(format!(
                "the request body is larger than the {} bytes this server accepts",
                fallback.body_limit
            ))
            .into_response();
        }
        Err(rejection) => {
            return ApiError::invalid_data(format!(
                "the request body could not be read: {}",
                rejection.body_text()
            ))
            .into_response();
        }
    };
    let method = parts.method.clone();
    let uri = parts.uri.clone();
    let version = parts.version;
    let headers = parts.headers.clone();

    let response = next
        .run(Request::from_parts(parts, Body::from(bytes.clone())))
        .await;
    if response.status() != StatusCode::NOT_IMPLEMENTED {
        return response;
    }
    // A HEAD answer has no body to read the reason from; any other 501 must say
    // `not_implemented` to be replayed.
    if method != Method::HEAD {
        let (answer_parts, answer_body) = response.into_parts();
        let Ok(answer) = to_bytes(answer_body, MAX_ANSWER).await else {
            return ApiError::internal("the sandbox could not read its own answer").into_response();
        };
        if !is_not_implemented(&answer) {
            return Response::from_parts(answer_parts, Body::from(answer));
        }
    }

    // A fresh request: no extension of the first routing (matched path, path parameters).
    let mut replay = Request::new(Body::from(bytes));
    *replay.method_mut() = method;
    *replay.uri_mut() = uri;
    *replay.version_mut() = version;
    *replay.headers_mut() = headers;
    match fallback.examples.oneshot(replay).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// Whether an answer is Crisp's envelope with the reason `not_implemented`.
fn is_not_implemented(answer: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(answer)
        .ok()
        .and_then(|envelope| {
            envelope
                .get("reason")
                .and_then(serde_json::Value::as_str)
                .map(|reason| reason == "not_implemented")
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_not_implemented_reason_is_replayed() {
        assert!(is_not_implemented(
            br#"{"error":true,"reason":"not_implemented","data":{"message":"x"}}"#
        ));
        assert!(!is_not_implemented(
            br#"{"error":true,"reason":"not_found"}"#
        ));
        assert!(!is_not_implemented(b"not json"));
        assert!(!is_not_implemented(b""));
    }
}
