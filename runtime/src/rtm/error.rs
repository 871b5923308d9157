//! Why a real-time subscription ended ([`Error`]) and why one connection was lost
//! ([`ConnectionError`]). Neither ever holds the token key.

use std::fmt;
use std::time::Duration;

/// Why a [`Subscription`](super::Subscription) ended. It is the last item of the stream:
/// everything that can be retried is retried before it comes to this.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Crisp refused the token (`unauthorized`). The subscription does not reconnect, since
    /// the same credentials would be refused again.
    #[error("the real-time API refused the credentials{}", message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Unauthorized {
        /// Crisp's reason, when it gave one.
        message: Option<String>,
    },
    /// Asking Crisp where the real-time socket is failed (the REST call, after its retries).
    #[error("could not find the real-time endpoint: {0}")]
    Discovery(#[source] crate::client::Error),
    /// The endpoint is not a `ws`, `wss`, `http` or `https` URL with a host.
    #[error("the real-time endpoint `{url}` is not usable: {reason}")]
    InvalidEndpoint {
        /// The endpoint as it was given or discovered.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The TLS configuration could not be built (no usable root certificates here).
    #[error("TLS is not available: {0}")]
    Tls(String),
    /// The connection could not be made, or was lost, and the [`Reconnect`](super::Reconnect)
    /// policy gave up after `attempts` reconnection attempts in a row that did not get
    /// through.
    #[error(
        "the real-time connection failed and {attempts} reconnection attempt(s) after it failed too; the last failure: {last}"
    )]
    GaveUp {
        /// The reconnection attempts made since the connection last worked (not counting
        /// the attempt or the connection that failed first).
        attempts: u32,
        /// Why the last attempt failed.
        #[source]
        last: ConnectionError,
    },
    /// The subscription was started outside a Tokio runtime, which it needs to run.
    #[error("a real-time subscription needs a Tokio runtime, and none is running here")]
    NoRuntime,
}

/// Why one connection to the real-time socket failed or was lost; the subscription logs it
/// and reconnects, as its [`Reconnect`](super::Reconnect) policy allows.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionError {
    /// The TCP, TLS or WebSocket handshake failed (refused, reset, an HTTP error…).
    Connect(String),
    /// A step of the handshake did not complete in time.
    Timeout {
        /// The step that did not complete.
        step: &'static str,
        /// How long it was given.
        after: Duration,
    },
    /// Nothing came from the server for longer than its heartbeat allows.
    Silent(Duration),
    /// The server closed the connection, with its reason when it gave one.
    Closed(Option<String>),
    /// The server refused to connect the socket (`connect_error`), with its reason.
    Refused(Option<String>),
    /// The server broke the protocol during the handshake.
    Protocol(String),
    /// The WebSocket failed during the session (a reset, a malformed frame, a message over
    /// the size limit).
    Transport(String),
}

impl fmt::Display for ConnectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = |reason: &Option<String>| {
            reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        };
        match self {
            ConnectionError::Connect(error) => write!(f, "could not connect: {error}"),
            ConnectionError::Timeout { step, after } => {
                write!(f, "{step} did not complete within {} ms", after.as_millis())
            }
            ConnectionError::Silent(limit) => write!(
                f,
                "the server sent nothing for {} ms (its heartbeat was missed)",
                limit.as_millis()
            ),
            ConnectionError::Closed(why) => {
                write!(f, "the server closed the connection{}", reason(why))
            }
            ConnectionError::Refused(why) => {
                write!(f, "the server refused the socket{}", reason(why))
            }
            ConnectionError::Protocol(error) => write!(f, "the server broke the protocol: {error}"),
            ConnectionError::Transport(error) => write!(f, "the connection failed: {error}"),
        }
    }
}

impl std::error::Error for ConnectionError {}
