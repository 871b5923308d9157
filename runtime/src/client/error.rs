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
        /// Crisp's reason, such as [`Reason::NotFound`], or the one the status
        /// stands for ([`Reason::for_status`]).
        reason: Reason,
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

    /// The client's configuration is incomplete or unusable, for example a
    /// missing `CRISP_KEY` for `from_env`, or a tier that is not the client's.
    #[error("invalid client configuration: {message}")]
    Config {
        /// What is wrong with it; never contains the key.
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
    /// When the answer had no envelope, the reason is the one its status stands
    /// for ([`Reason::for_status`]).
    pub fn reason(&self) -> Option<&Reason> {
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
            | Self::InvalidBaseUrl { message, .. }
            | Self::Config { message } => Some(message),
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
            Self::InvalidBaseUrl { .. } | Self::Config { .. } | Self::HttpClient { .. } => None,
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

    /// Returns `true` if the same request may succeed when sent again later:
    /// rate limiting (429, 420), a server or gateway failure (500, 502, 503,
    /// 504), a timeout, or a failure to connect or to read the answer.
    ///
    /// Client errors (400, 401, 403, 404, 409, …), decoding and encoding
    /// problems and configuration errors are not retryable. Whether the client
    /// actually retries also depends on the method: see
    /// [`RetryPolicy`](super::RetryPolicy).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Api { status, .. } => {
                matches!(status.as_u16(), 420 | 429 | 500 | 502 | 503 | 504)
            }
            Self::Timeout { .. } | Self::Transport { .. } => true,
            Self::Decode { .. }
            | Self::Encode { .. }
            | Self::InvalidBaseUrl { .. }
            | Self::Config { .. }
            | Self::HttpClient { .. } => false,
        }
    }
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
            reason: Reason::NotFound,
            message: Some("conversation not found".to_owned()),
        };
        assert_eq!(
            error.to_string(),
            "getConversation: not_found (404): conversation not found"
        );
        assert!(error.is_not_found());
        assert!(!error.is_rate_limited());
        assert_eq!(error.reason(), Some(&Reason::NotFound));
        assert!(!error.is_retryable());
        assert_eq!(error.status(), Some(StatusCode::NOT_FOUND));
        assert_eq!(error.message(), Some("conversation not found"));
        assert_eq!(error.operation(), Some("getConversation"));

        let error = Error::Api {
            operation: "listThings",
            status: StatusCode::TOO_MANY_REQUESTS,
            reason: Reason::RateLimited,
            message: None,
        };
        assert_eq!(error.to_string(), "listThings: rate_limited (429)");
        assert!(error.is_rate_limited());
        assert!(error.is_retryable());
    }

    #[test]
    fn other_variants_display() {
        let error = Error::Timeout { operation: "ping" };
        assert_eq!(error.to_string(), "ping: the request timed out");
        assert!(error.is_timeout());
        assert!(error.is_retryable());
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
