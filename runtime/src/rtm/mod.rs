//! Real-time events over Crisp's RTM API: a WebSocket-only Socket.IO v4 client with
//! authentication, reconnection and typed decoding.
//!
//! Crisp pushes the events of the websites a token reaches (`message:send`,
//! `session:set_state`, …) over a Socket.IO socket, the same events and payloads its web hooks
//! carry. The official clients find the socket with a REST call
//! (`GET /v1/plugin/connect/endpoints` for plugin tokens, `data.socket.app`), connect to it,
//! and on every connection emit `authentication` with the token and the names of the events
//! wanted; Crisp answers `authenticated`, or `unauthorized` for a bad token, then sends the
//! events by name.
//!
//! [`Realtime`] describes a subscription (which events, which endpoint, how to reconnect) and
//! [`Realtime::subscribe`] starts it: a task that connects, authenticates, answers the
//! heartbeat, and reconnects after a loss with exponential backoff and jitter ([`Reconnect`]),
//! authenticating again each time. Its [`Subscription`] is a stream of decoded events that ends
//! only with an [`Error`]: refused credentials end it at once, without a reconnection storm.
//!
//! Each connection, disconnection and reconnection is a `tracing` event (target
//! `crisp_runtime::rtm`) naming the endpoint, never a credential.
//!
//! The generated client builds a [`Realtime`] for its token with `client.realtime()`; its
//! events decode into `crisp_models::Event`, where an event the crate does not know, or whose
//! payload surprises its types, still arrives (as `Event::Unknown` or `Event::Undecoded`).

mod connection;
mod error;
mod packet;
mod subscription;

use std::time::Duration;

use backon::ExponentialBuilder;

pub use self::error::{ConnectionError, Error};
pub use self::subscription::{DEFAULT_CONNECT_TIMEOUT, Discover, Realtime, State, Subscription};

/// When a [`Subscription`] reconnects after its connection is lost or cannot be made.
///
/// Waits grow exponentially from [`initial_delay`](Self::with_initial_delay) up to
/// [`max_delay`](Self::with_max_delay), each with random jitter (between one and two times
/// the nominal wait, so that many clients cut off at once do not come back at once), and start
/// over once a connection works again (authenticated, or events received). By default the
/// subscription reconnects for ever: 1 s first, then up to 30 s. With
/// [`max_attempts`](Self::with_max_attempts) it gives up after that many attempts in a row
/// that fail, ending the stream with [`Error::GaveUp`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reconnect {
    initial_delay: Duration,
    max_delay: Duration,
    max_attempts: Option<u32>,
    jitter: bool,
}

impl Default for Reconnect {
    fn default() -> Self {
        Reconnect {
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            max_attempts: None,
            jitter: true,
        }
    }
}

impl Reconnect {
    /// The default policy (see the type's documentation).
    pub fn new() -> Self {
        Reconnect::default()
    }

    /// Never reconnects: the first loss ends the stream.
    pub fn disabled() -> Self {
        Reconnect {
            max_attempts: Some(0),
            ..Reconnect::default()
        }
    }

    /// Sets the wait before the first reconnection.
    #[must_use]
    pub fn with_initial_delay(mut self, delay: Duration) -> Self {
        self.initial_delay = delay;
        self
    }

    /// Sets the longest nominal wait the exponential growth reaches.
    #[must_use]
    pub fn with_max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// Gives up after `attempts` reconnection attempts in a row that fail.
    #[must_use]
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts);
        self
    }

    /// Turns jitter off, so waits are exactly the nominal ones (useful in tests).
    #[must_use]
    pub fn without_jitter(mut self) -> Self {
        self.jitter = false;
        self
    }

    /// How many reconnection attempts in a row may fail before the subscription gives up;
    /// `None` for ever.
    pub fn max_attempts(&self) -> Option<u32> {
        self.max_attempts
    }

    /// The schedule of waits between attempts.
    fn backoff(&self) -> ExponentialBuilder {
        let builder = ExponentialBuilder::new()
            .with_min_delay(self.initial_delay)
            .with_max_delay(self.max_delay.max(self.initial_delay))
            .without_max_times();
        if self.jitter {
            builder.with_jitter()
        } else {
            builder
        }
    }
}

/// The socket URL of a connect-endpoints answer: its `socket.app`. The generated client
/// reads the answer of the operation the spec marks `x-crisp-rtm-endpoints` with it.
///
/// # Errors
///
/// [`Error::InvalidEndpoint`] when the answer has no `socket.app` string.
#[doc(hidden)]
pub fn socket_url<T: serde::Serialize>(answer: &T) -> Result<String, Error> {
    let answer = serde_json::to_value(answer).unwrap_or_default();
    match answer
        .pointer("/socket/app")
        .and_then(serde_json::Value::as_str)
    {
        Some(url) if !url.trim().is_empty() => Ok(url.to_owned()),
        _ => Err(Error::InvalidEndpoint {
            url: String::new(),
            reason: "Crisp's answer names no `socket.app`".to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod unit {
    use backon::BackoffBuilder;
    use serde_json::json;

    use super::*;

    #[test]
    fn the_backoff_grows_to_its_bound_and_never_ends() {
        let policy = Reconnect::new()
            .with_initial_delay(Duration::from_millis(100))
            .with_max_delay(Duration::from_millis(400))
            .without_jitter();
        let delays: Vec<u128> = policy
            .backoff()
            .build()
            .take(6)
            .map(|delay| delay.as_millis())
            .collect();
        assert_eq!(delays, [100, 200, 400, 400, 400, 400]);
        assert_eq!(Reconnect::new().max_attempts(), None);
        assert_eq!(Reconnect::disabled().max_attempts(), Some(0));
    }

    #[test]
    fn jitter_stays_between_one_and_two_times_the_wait() {
        let policy = Reconnect::new().with_initial_delay(Duration::from_millis(100));
        for _ in 0..50 {
            let delay = policy.backoff().build().next().expect("a delay");
            assert!(
                delay >= Duration::from_millis(100) && delay < Duration::from_millis(200),
                "{delay:?}"
            );
        }
    }

    #[test]
    fn the_socket_url_is_read_from_the_answer() {
        assert_eq!(
            socket_url(&json!({"socket": {"app": "wss://x/"}})).expect("a URL"),
            "wss://x/"
        );
        for answer in [
            json!({}),
            json!({"socket": {}}),
            json!({"socket": {"app": ""}}),
            json!({"socket": {"app": 1}}),
        ] {
            assert!(
                matches!(socket_url(&answer), Err(Error::InvalidEndpoint { .. })),
                "{answer}"
            );
        }
    }
}
