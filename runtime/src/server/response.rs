//! Success responses in the Crisp envelope, and the router's fallbacks.

use axum::response::{IntoResponse, Response};
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Method, StatusCode, Uri};
use serde::Serialize;

use super::ApiError;
use crate::{Envelope, Reason};

/// Answers `200 {"error": false, "reason": "resolved", "data": <value>}`, or the
/// error's envelope.
///
/// If the value cannot be serialized, the answer is a 500 `internal_error`.
pub fn respond<T: Serialize>(result: Result<T, ApiError>) -> Response {
    match result {
        Ok(data) => success(Some(data)),
        Err(error) => error.into_response(),
    }
}

/// Answers `200 {"error": false, "reason": "resolved"}`, or the error's envelope.
pub fn respond_empty(result: Result<(), ApiError>) -> Response {
    match result {
        Ok(()) => success(None::<()>),
        Err(error) => error.into_response(),
    }
}

/// Answers a `HEAD` request: the status only (200, or the error's), with an empty body.
pub fn respond_head(result: Result<(), ApiError>) -> Response {
    let status = match result {
        Ok(()) => StatusCode::OK,
        Err(error) => error.status(),
    };
    status.into_response()
}

/// A fallback for routes that do not exist: 404 `not_found`, naming the method
/// and the path (never the query string, which may hold secrets).
pub async fn not_found_fallback(method: Method, uri: Uri) -> Response {
    ApiError::not_found(format!("no route for {method} {}", uri.path())).into_response()
}

/// A fallback for routes that exist but not for this method: 405 `method_not_allowed`.
pub async fn method_not_allowed_fallback(method: Method, uri: Uri) -> Response {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        Reason::MethodNotAllowed,
        format!("method {method} is not allowed for {}", uri.path()),
    )
    .into_response()
}

/// Serializes a success envelope; a serialization failure becomes a 500.
fn success<T: Serialize>(data: Option<T>) -> Response {
    let envelope = Envelope {
        error: false,
        reason: Reason::Resolved.as_str().to_owned(),
        data,
    };
    match serde_json::to_vec(&envelope) {
        Ok(body) => json_response(StatusCode::OK, body),
        Err(error) => ApiError::internal(format!("the response could not be serialized: {error}"))
            .into_response(),
    }
}

/// Builds a response with a JSON body.
pub(super) fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    (
        status,
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body,
    )
        .into_response()
}
