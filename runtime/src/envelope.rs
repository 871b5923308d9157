//! The JSON envelope that wraps every Crisp response, and the well-known reasons.

use serde::{Deserialize, Serialize};

/// The envelope around every Crisp response body.
///
/// A success looks like `{"error": false, "reason": "resolved", "data": {...}}`;
/// a failure like `{"error": true, "reason": "not_found", "data": {"message": "..."}}`,
/// where `data` and its `message` may be missing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct Envelope<T> {
    /// Whether the request failed.
    pub error: bool,
    /// A short machine-readable outcome, such as `resolved` or `not_found` (see [`Reason`]).
    pub reason: String,
    /// The payload; omitted when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<T>,
}

/// The `reason` strings of the envelope that this crate produces or recognizes.
///
/// Crisp may answer other reasons too; they are kept as strings wherever they
/// appear, so these constants are a convenience, not a closed list.
#[derive(Debug)]
pub struct Reason {
    _private: (),
}

impl Reason {
    /// The request succeeded.
    pub const RESOLVED: &'static str = "resolved";
    /// The request was malformed: a bad parameter or body (HTTP 400).
    pub const INVALID_DATA: &'static str = "invalid_data";
    /// The credentials are missing or wrong (HTTP 401).
    pub const INVALID_SESSION: &'static str = "invalid_session";
    /// The credentials do not grant access to this resource (HTTP 403).
    pub const NOT_ALLOWED: &'static str = "not_allowed";
    /// The resource or route does not exist (HTTP 404).
    pub const NOT_FOUND: &'static str = "not_found";
    /// The route exists but not for this HTTP method (HTTP 405).
    pub const METHOD_NOT_ALLOWED: &'static str = "method_not_allowed";
    /// The request conflicts with the current state of a resource (HTTP 409).
    pub const CONFLICT: &'static str = "conflict";
    /// The request body is larger than the server accepts (HTTP 413).
    pub const PAYLOAD_TOO_LARGE: &'static str = "payload_too_large";
    /// Too many requests; retry later (HTTP 429, or 420 from some Crisp routes).
    pub const RATE_LIMITED: &'static str = "rate_limited";
    /// The server failed unexpectedly (HTTP 500).
    pub const INTERNAL_ERROR: &'static str = "internal_error";
    /// The server does not implement this operation (HTTP 501).
    pub const NOT_IMPLEMENTED: &'static str = "not_implemented";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_round_trip() {
        let json = r#"{"error":false,"reason":"resolved","data":{"a":1}}"#;
        let envelope: Envelope<serde_json::Value> = serde_json::from_str(json).unwrap();
        assert!(!envelope.error);
        assert_eq!(envelope.reason, Reason::RESOLVED);
        assert_eq!(serde_json::to_string(&envelope).unwrap(), json);
    }

    #[test]
    fn missing_data_is_none_and_omitted() {
        let json = r#"{"error":true,"reason":"not_found"}"#;
        let envelope: Envelope<serde_json::Value> = serde_json::from_str(json).unwrap();
        assert_eq!(envelope.data, None);
        assert_eq!(serde_json::to_string(&envelope).unwrap(), json);
    }
}
