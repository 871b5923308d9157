//! The error type of every client operation.

use std::fmt;

use http::StatusCode;

use crate::Reason;

/// Why a client operation failed.
///
/// Every variant produced while sending a request names the operation (its
/// `operationId`), and the `Display` output starts with it, for example
/// `getConversation: not_found (404): conversation not found`. Credentials never
/// appear in any variant.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Crisp answered with an error.
    ///
    /// When the body is a Crisp envelope (a JSON object with a string `reason`),
    /// `reason` and `message` (from `data.message`) come from it; this includes
    /// a 2xx answer whose envelope says `"error": true`. Otherwise, for a non-2xx
    /// answer without an envelope (a proxy's HTML page, an empty body, a HEAD
    /// request), `reason` is derived from the status (see [`Error::reason`]) and
    /// `message` holds the start of the body, if there is one.
    #[error("{operation}: {reason} ({code}){suffix}", code = .status.as_u16(), suffix = MessageSuffix(.message.as_deref()))]
    Api {
        /// The operation that failed.
        operation: &'static str,
        /// The HTTP status of the answer.
        status: StatusCode,
        /// Crisp's reason, such as `not_found`, or one derived from the status.
        reason: String,
        /// Crisp's human-readable message, when it sent one.
        message: Option<String>,
    },

    /// The request did not complete within the client's timeout.
    #[error("{operation}: the request timed out")]
    Timeout {
        /// The operation that timed out.
        operation: &'static str,
    },

    /// The request could not be sent or its answer could not be read
    /// (connection refused, TLS failure, reset connection, …).
    #[error("{operation}: the request failed: {source}")]
    Transport {
        /// The operation that failed.
        operation: &'static str,
        /// The underlying HTTP client error.
        #[source]
        source: reqwest::Error,
    },

    /// Crisp answered with a success, but its body did not match the expected type.
    #[error("{operation}: could not decode the response ({code}) at `{path}`: {message}", code = .status.as_u16())]
    Decode {
        /// The operation whose answer could not be decoded.
        operation: &'static str,
        /// The HTTP status of the answer.
        status: StatusCode,
        /// The JSON path that failed, such as `data.messages[3].type`, or `.`
        /// when the body as a whole is not a valid envelope.
        path: String,
        /// What went wrong at that path.
        message: String,
        /// The first 200 characters of the body, to help diagnose the mismatch.
        excerpt: String,
    },

    /// A request body or a JSON query value could not be serialized, or the
    /// request path was not usable.
    #[error("{operation}: could not encode the request: {message}")]
    Encode {
        /// The operation whose request could not be built.
        operation: &'static str,
        /// What went wrong.
        message: String,
    },

    /// The base URL given to [`ClientCore`](super::ClientCore) is not usable.
    #[error("invalid base URL `{url}`: {message}")]
    InvalidBaseUrl {
        /// The base URL, with any user information replaced by `<redacted>`.
        url: String,
        /// What is wrong with it.
        message: String,
    },

    /// The default HTTP client could not be built (for example, no TLS roots).
    #[error("could not build the HTTP client: {source}")]
    HttpClient {
        /// The underlying HTTP client error.
        #[source]
        source: reqwest::Error,
    },
}

impl Error {
    /// Returns the HTTP status of Crisp's answer, for [`Error::Api`] and [`Error::Decode`].
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Api { status, .. } | Self::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Returns Crisp's reason for an [`Error::Api`].
    ///
    /// When the answer had no envelope, the reason is derived from the status:
    /// 400 `invalid_data`, 401 `invalid_session`, 403 `not_allowed`, 404
    /// `not_found`, 405 `method_not_allowed`, 409 `conflict`, 413
    /// `payload_too_large`, 420 and 429 `rate_limited`, 500 `internal_error`,
    /// 501 `not_implemented`, and `http_<code>` for any other status.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Api { reason, .. } => Some(reason),
            _ => None,
        }
    }

    /// Returns the human-readable detail: Crisp's message for [`Error::Api`] (when
    /// it sent one), or the description of a decode, encode or base URL problem.
    pub fn message(&self) -> Option<&str> {
        match self {
            Self::Api { message, .. } => message.as_deref(),
            Self::Decode { message, .. }
            | Self::Encode { message, .. }
            | Self::InvalidBaseUrl { message, .. } => Some(message),
            _ => None,
        }
    }

    /// Returns the operation that failed, for every error raised by an operation.
    pub fn operation(&self) -> Option<&'static str> {
        match self {
            Self::Api { operation, .. }
            | Self::Timeout { operation }
            | Self::Transport { operation, .. }
            | Self::Decode { operation, .. }
            | Self::Encode { operation, .. } => Some(operation),
            Self::InvalidBaseUrl { .. } | Self::HttpClient { .. } => None,
        }
    }

    /// Returns `true` if Crisp answered 404 (the resource does not exist).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Api { status, .. } if *status == StatusCode::NOT_FOUND)
    }

    /// Returns `true` if Crisp answered 429 or 420 (rate limited).
    pub fn is_rate_limited(&self) -> bool {
        matches!(self, Self::Api { status, .. } if matches!(status.as_u16(), 420 | 429))
    }

    /// Returns `true` if the request timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }
}

/// Derives a reason from a status, for answers that carry no envelope.
pub(crate) fn reason_for_status(status: StatusCode) -> String {
    let reason = match status.as_u16() {
        400 => Reason::INVALID_DATA,
        401 => Reason::INVALID_SESSION,
        403 => Reason::NOT_ALLOWED,
        404 => Reason::NOT_FOUND,
        405 => Reason::METHOD_NOT_ALLOWED,
        409 => Reason::CONFLICT,
        413 => Reason::PAYLOAD_TOO_LARGE,
        420 | 429 => Reason::RATE_LIMITED,
        500 => Reason::INTERNAL_ERROR,
        501 => Reason::NOT_IMPLEMENTED,
        code => return format!("http_{code}"),
    };
    reason.to_owned()
}

/// Renders `: message` after an API error, or nothing when there is no message.
struct MessageSuffix<'a>(Option<&'a str>);

impl fmt::Display for MessageSuffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(message) if !message.is_empty() => write!(f, ": {message}"),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_display_starts_with_the_operation() {
        let error = Error::Api {
            operation: "getConversation",
            status: StatusCode::NOT_FOUND,
            reason: "not_found".to_owned(),
            message: Some("conversation not found".to_owned()),
        };
        assert_eq!(
            error.to_string(),
            "getConversation: not_found (404): conversation not found"
        );
        assert!(error.is_not_found());
        assert!(!error.is_rate_limited());
        assert_eq!(error.reason(), Some("not_found"));
        assert_eq!(error.status(), Some(StatusCode::NOT_FOUND));
        assert_eq!(error.message(), Some("conversation not found"));
        assert_eq!(error.operation(), Some("getConversation"));

        let error = Error::Api {
            operation: "listThings",
            status: StatusCode::TOO_MANY_REQUESTS,
            reason: "rate_limited".to_owned(),
            message: None,
        };
        assert_eq!(error.to_string(), "listThings: rate_limited (429)");
        assert!(error.is_rate_limited());
    }

    #[test]
    fn reasons_for_statuses() {
        assert_eq!(
            reason_for_status(StatusCode::UNAUTHORIZED),
            "invalid_session"
        );
        assert_eq!(reason_for_status(StatusCode::FORBIDDEN), "not_allowed");
        assert_eq!(
            reason_for_status(StatusCode::from_u16(420).unwrap()),
            "rate_limited"
        );
        assert_eq!(
            reason_for_status(StatusCode::TOO_MANY_REQUESTS),
            "rate_limited"
        );
        assert_eq!(reason_for_status(StatusCode::BAD_GATEWAY), "http_502");
    }

    #[test]
    fn other_variants_display() {
        let error = Error::Timeout { operation: "ping" };
        assert_eq!(error.to_string(), "ping: the request timed out");
        assert!(error.is_timeout());
        assert_eq!(error.status(), None);
        let error = Error::Decode {
            operation: "getThing",
            status: StatusCode::OK,
            path: "data.items[0].id".to_owned(),
            message: "invalid type".to_owned(),
            excerpt: "{}".to_owned(),
        };
        assert_eq!(
            error.to_string(),
            "getThing: could not decode the response (200) at `data.items[0].id`: invalid type"
        );
    }
}
