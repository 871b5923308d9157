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
    /// A short machine-readable outcome, such as `resolved` or `not_found` (see [`Reason`] for the known ones).
    pub reason: String,
    /// The payload; omitted when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<T>,
}

/// The `reason` of an envelope: Crisp's known reasons, and any other as [`Reason::Other`].
///
/// Crisp documents `invalid_data`, `invalid_session`, `not_allowed`, `not_found`,
/// `conflict` and `rate_limited` for failures and `resolved` for success; the
/// generated server adds the reasons of the statuses it produces itself (405,
/// 408, 413, 500, 501). A reason this list does not know is kept as it came.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// `resolved`: the request succeeded.
    Resolved,
    /// `invalid_data`: the request was malformed, a bad parameter or body (HTTP 400).
    InvalidData,
    /// `invalid_session`: the credentials are missing or wrong (HTTP 401).
    InvalidSession,
    /// `not_allowed`: the credentials do not grant access to this resource (HTTP 403).
    NotAllowed,
    /// `not_found`: the resource or route does not exist (HTTP 404).
    NotFound,
    /// `method_not_allowed`: the route exists but not for this HTTP method (HTTP 405).
    MethodNotAllowed,
    /// `request_timeout`: the server gave up waiting for the request to finish (HTTP 408).
    RequestTimeout,
    /// `conflict`: the request conflicts with the current state of a resource (HTTP 409).
    Conflict,
    /// `payload_too_large`: the request body is larger than the server accepts (HTTP 413).
    PayloadTooLarge,
    /// `rate_limited`: too many requests, or a daily quota is spent (HTTP 429, or 420).
    RateLimited,
    /// `internal_error`: the server failed unexpectedly (HTTP 500).
    InternalError,
    /// `not_implemented`: the server does not implement this operation (HTTP 501).
    NotImplemented,
    /// Any other reason, as Crisp sent it.
    Other(String),
}

impl Reason {
    /// Every known reason with its wire name, for parsing.
    const KNOWN: [(Reason, &'static str); 12] = [
        (Reason::Resolved, "resolved"),
        (Reason::InvalidData, "invalid_data"),
        (Reason::InvalidSession, "invalid_session"),
        (Reason::NotAllowed, "not_allowed"),
        (Reason::NotFound, "not_found"),
        (Reason::MethodNotAllowed, "method_not_allowed"),
        (Reason::RequestTimeout, "request_timeout"),
        (Reason::Conflict, "conflict"),
        (Reason::PayloadTooLarge, "payload_too_large"),
        (Reason::RateLimited, "rate_limited"),
        (Reason::InternalError, "internal_error"),
        (Reason::NotImplemented, "not_implemented"),
    ];

    /// Returns the wire name, such as `not_found`.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Other(reason) => reason,
            known => Self::KNOWN
                .iter()
                .find(|(reason, _)| reason == known)
                .map_or("", |(_, name)| name),
        }
    }

    /// Returns the reason a status stands for, for answers that carry no
    /// envelope: 400 `invalid_data`, 401 `invalid_session`, 403 `not_allowed`,
    /// 404 `not_found`, 405 `method_not_allowed`, 408 `request_timeout`, 409
    /// `conflict`, 413 `payload_too_large`, 420 and 429 `rate_limited`, 500
    /// `internal_error`, 501 `not_implemented`, and `http_<code>` otherwise.
    pub fn for_status(status: u16) -> Self {
        match status {
            200..=299 => Self::Resolved,
            400 => Self::InvalidData,
            401 => Self::InvalidSession,
            403 => Self::NotAllowed,
            404 => Self::NotFound,
            405 => Self::MethodNotAllowed,
            408 => Self::RequestTimeout,
            409 => Self::Conflict,
            413 => Self::PayloadTooLarge,
            420 | 429 => Self::RateLimited,
            500 => Self::InternalError,
            501 => Self::NotImplemented,
            code => Self::Other(format!("http_{code}")),
        }
    }
}

impl From<&str> for Reason {
    fn from(reason: &str) -> Self {
        Self::KNOWN
            .iter()
            .find(|(_, name)| *name == reason)
            .map_or_else(
                || Self::Other(reason.to_owned()),
                |(known, _)| known.clone(),
            )
    }
}

impl From<String> for Reason {
    fn from(reason: String) -> Self {
        match Self::from(reason.as_str()) {
            Self::Other(_) => Self::Other(reason),
            known => known,
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for Reason {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Reason {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_round_trip() {
        let json = r#"{"error":false,"reason":"resolved","data":{"a":1}}"#;
        let envelope: Envelope<serde_json::Value> = serde_json::from_str(json).unwrap();
        assert!(!envelope.error);
        assert_eq!(Reason::from(envelope.reason.as_str()), Reason::Resolved);
        assert_eq!(serde_json::to_string(&envelope).unwrap(), json);
    }

    #[test]
    fn reasons_parse_and_print() {
        for (known, name) in Reason::KNOWN {
            assert_eq!(Reason::from(name), known);
            assert_eq!(known.as_str(), name);
        }
        assert_eq!(
            Reason::from("payment_error"),
            Reason::Other("payment_error".to_owned())
        );
        assert_eq!(
            Reason::from("payment_error".to_owned()).to_string(),
            "payment_error"
        );
        assert_eq!(Reason::for_status(420), Reason::RateLimited);
        assert_eq!(Reason::for_status(502).as_str(), "http_502");
    }

    #[test]
    fn missing_data_is_none_and_omitted() {
        let json = r#"{"error":true,"reason":"not_found"}"#;
        let envelope: Envelope<serde_json::Value> = serde_json::from_str(json).unwrap();
        assert_eq!(envelope.data, None);
        assert_eq!(serde_json::to_string(&envelope).unwrap(), json);
    }
}
