//! [`ApiError`]: a failed request, rendered as a Crisp error envelope.

use std::fmt;

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Serialize;

use super::response::json_response;
use crate::{Envelope, Reason};

/// A failed request: an HTTP status, Crisp's `reason` and a human-readable message.
///
/// As a response it becomes
/// `{"error": true, "reason": "<reason>", "data": {"message": "<message>"}}`
/// with the status and `content-type: application/json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    status: StatusCode,
    reason: Reason,
    message: String,
}

impl ApiError {
    /// Creates an error with any status and reason.
    pub fn new(status: StatusCode, reason: impl Into<Reason>, message: impl Into<String>) -> Self {
        Self {
            status,
            reason: reason.into(),
            message: message.into(),
        }
    }

    /// 400 `invalid_data`: a parameter or the body is malformed.
    pub fn invalid_data(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Reason::InvalidData, message)
    }

    /// 401 `invalid_session`: the credentials are missing or wrong.
    pub fn invalid_session(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, Reason::InvalidSession, message)
    }

    /// 403 `not_allowed`: the caller may not do this.
    pub fn not_allowed(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, Reason::NotAllowed, message)
    }

    /// 404 `not_found`: the resource does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, Reason::NotFound, message)
    }

    /// 409 `conflict`: the request conflicts with the current state.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, Reason::Conflict, message)
    }

    /// 429 `rate_limited`: too many requests.
    pub fn rate_limited(message: impl Into<String>) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, Reason::RateLimited, message)
    }

    /// 405 `method_not_allowed`: the route exists but not for this method.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            Reason::MethodNotAllowed,
            "method not allowed for this route",
        )
    }

    /// 413 `payload_too_large`: the body is larger than the server accepts; the
    /// message should say what the limit is, when it is known.
    pub fn payload_too_large(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            Reason::PayloadTooLarge,
            message,
        )
    }

    /// 501 `not_implemented`: the server does not implement `operation`.
    pub fn not_implemented(operation: &str) -> Self {
        Self::new(
            StatusCode::NOT_IMPLEMENTED,
            Reason::NotImplemented,
            format!("operation `{operation}` is not implemented by this server"),
        )
    }

    /// 500 `internal_error`: the server failed unexpectedly.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            Reason::InternalError,
            message,
        )
    }

    /// Returns the HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Returns Crisp's reason, such as `not_found`.
    pub fn reason(&self) -> &str {
        self.reason.as_str()
    }

    /// Returns the human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.reason,
            self.status.as_u16(),
            self.message
        )
    }
}

impl std::error::Error for ApiError {}

/// The `data` of an error envelope.
#[derive(Serialize)]
struct ErrorData<'a> {
    message: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let envelope = Envelope {
            error: true,
            reason: self.reason.as_str().to_owned(),
            data: Some(ErrorData {
                message: &self.message,
            }),
        };
        match serde_json::to_vec(&envelope) {
            Ok(body) => json_response(self.status, body),
            // Serializing two strings cannot fail; answer a fixed body if it ever does.
            Err(_) => json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                br#"{"error":true,"reason":"internal_error"}"#.to_vec(),
            ),
        }
    }
}
