//! [`Realtime`], which says what to listen to and how, and [`Subscription`], the stream of
//! events it starts: a task that finds the endpoint, connects, authenticates, and reconnects
//! with backoff until the stream is dropped or cannot go on.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use backon::BackoffBuilder;
use futures_util::Stream;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;

use super::connection::{Connection, Dial, Endpoint, TARGET, tls_config};
use super::{ConnectionError, Error, Reconnect};
use crate::client::Credentials;

/// The events Crisp answers the authentication with, which the subscription handles itself.
const AUTHENTICATED: &str = "authenticated";
const UNAUTHORIZED: &str = "unauthorized";

/// How long each step of the handshake may take unless configured otherwise (what the Node
/// client allows).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Asks Crisp where the real-time socket is: the REST call of the token's tier, which fails
/// with [`Error::Discovery`] (or [`Error::InvalidEndpoint`] for an answer without a URL).
pub type Discover =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<String, Error>> + Send>> + Send + Sync>;

/// What to listen to on Crisp's real-time (RTM) API, and how; [`subscribe`](Self::subscribe)
/// starts listening.
///
/// Get one from the client (`client.realtime()`), which fills in the credentials, the way to
/// find the endpoint and the event type. By default it listens to every event the crate
/// knows, finds the endpoint through the REST API, reconnects for ever with backoff (see
/// [`Reconnect`]) and gives each step of a connection 10 seconds.
///
/// The `Debug` output never shows the token key.
#[must_use = "nothing is received until `subscribe` is called"]
pub struct Realtime<E> {
    credentials: Credentials,
    discover: Option<Discover>,
    endpoint: Option<String>,
    events: Vec<String>,
    decode: fn(String, Value) -> E,
    reconnect: Reconnect,
    connect_timeout: Duration,
    user_agent: String,
}

impl<E> fmt::Debug for Realtime<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Realtime")
            .field("credentials", &self.credentials)
            .field("endpoint", &self.endpoint)
            .field("events", &self.events)
            .field("reconnect", &self.reconnect)
            .field("connect_timeout", &self.connect_timeout)
            .finish_non_exhaustive()
    }
}

impl<E: Send + 'static> Realtime<E> {
    /// What the generated client hands over: the token, the names of the events to listen to
    /// by default, how to decode an event, and how to find the endpoint (`None` when the spec
    /// names no operation for it, so that only [`endpoint`](Self::endpoint) works).
    #[doc(hidden)]
    pub fn new(
        credentials: Credentials,
        events: &[&str],
        decode: fn(String, Value) -> E,
        discover: Option<Discover>,
    ) -> Self {
        Realtime {
            credentials,
            discover,
            endpoint: None,
            events: events.iter().map(|name| (*name).to_owned()).collect(),
            decode,
            reconnect: Reconnect::default(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            user_agent: concat!("crisp-runtime/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }

    /// Listens to these events only (names such as `message:send`), instead of every event
    /// the crate knows. Crisp sends only the events asked for, and only those the token's
    /// scopes allow.
    pub fn events<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.events = names.into_iter().map(Into::into).collect();
        self
    }

    /// Connects to this endpoint (`wss://…`, or `ws://` for a local sandbox) instead of asking
    /// Crisp where the socket is.
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// Sets when and how often to reconnect after the connection is lost.
    pub fn reconnect(mut self, policy: Reconnect) -> Self {
        self.reconnect = policy;
        self
    }

    /// Sets how long each step of a connection may take (the WebSocket handshake, the
    /// Engine.IO handshake, the namespace connection); 10 s by default.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the `User-Agent` of the WebSocket handshake.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Starts listening, on a task of the current Tokio runtime, and returns the stream of
    /// events.
    ///
    /// The stream yields each event Crisp sends, decoded, in the order it was sent; it never
    /// drops one (it buffers what is not consumed yet). It ends after an [`Error`], its last
    /// item: refused credentials, a failed discovery, an unusable endpoint, or a
    /// [`Reconnect`] policy that gave up. Dropping it closes the connection.
    pub fn subscribe(self) -> Subscription<E> {
        let (items, receiver) = mpsc::unbounded_channel();
        let (state, watched) = watch::channel(Status {
            state: State::Connecting { attempt: 0 },
            authentications: 0,
        });
        let task = match tokio::runtime::Handle::try_current() {
            Ok(runtime) => Some(runtime.spawn(self.run(items, state)).abort_handle()),
            Err(_) => {
                let _ = items.send(Err(Error::NoRuntime));
                set(&state, State::Closed);
                None
            }
        };
        Subscription {
            items: receiver,
            state: watched,
            task,
        }
    }

    /// The subscription's task: find the endpoint, then connect and listen, again and again.
    async fn run(
        self,
        items: mpsc::UnboundedSender<Result<E, Error>>,
        state: watch::Sender<Status>,
    ) {
        let ended = self.listen(&items, &state).await;
        if let Err(error) = ended {
            match &error {
                Error::Unauthorized { .. } => {
                    tracing::error!(target: TARGET, "{error}; not reconnecting")
                }
                _ => tracing::error!(target: TARGET, "{error}"),
            }
            let _ = items.send(Err(error));
        }
        set(&state, State::Closed);
    }

    /// Connects and listens until the receiver is gone (`Ok`) or the subscription cannot go on.
    async fn listen(
        &self,
        items: &mpsc::UnboundedSender<Result<E, Error>>,
        state: &watch::Sender<Status>,
    ) -> Result<(), Error> {
        let url = match (&self.endpoint, &self.discover) {
            (Some(url), _) => url.clone(),
            (None, Some(discover)) => tokio::select! {
                found = discover() => found?,
                () = items.closed() => return Ok(()),
            },
            (None, None) => {
                return Err(Error::InvalidEndpoint {
                    url: String::new(),
                    reason: "no operation of the spec tells where the real-time socket is; give the URL with `endpoint(…)`".to_owned(),
                });
            }
        };
        let endpoint = Endpoint::parse(&url).map_err(|reason| Error::InvalidEndpoint {
            url: url.clone(),
            reason,
        })?;
        let tls = if endpoint.is_secure() {
            Some(tls_config().map_err(Error::Tls)?)
        } else {
            None
        };
        let dial = Dial {
            tls,
            timeout: self.connect_timeout,
            user_agent: self.user_agent.clone(),
        };
        let mut backoff = self.reconnect.backoff().build();
        let mut failed: u32 = 0;
        loop {
            set(state, State::Connecting { attempt: failed });
            let (lost, worked) = tokio::select! {
                outcome = self.session(&endpoint, &dial, items, state) => match outcome {
                    Session::Lost { error, worked } => (error, worked),
                    Session::Unauthorized(message) => return Err(Error::Unauthorized { message }),
                    Session::ReceiverGone => return Ok(()),
                },
                () = items.closed() => return Ok(()),
            };
            if worked {
                failed = 0;
                backoff = self.reconnect.backoff().build();
            }
            failed += 1;
            let delay = match (self.reconnect.max_attempts(), backoff.next()) {
                (Some(max), _) if failed > max => {
                    return Err(Error::GaveUp {
                        attempts: failed - 1,
                        last: lost,
                    });
                }
                (_, Some(delay)) => delay,
                (_, None) => {
                    return Err(Error::GaveUp {
                        attempts: failed - 1,
                        last: lost,
                    });
                }
            };
            set(state, State::Connecting { attempt: failed });
            tracing::warn!(target: TARGET, endpoint = %endpoint, attempt = failed, "{lost}; reconnecting in {} ms", delay.as_millis());
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = items.closed() => return Ok(()),
            }
        }
    }

    /// One connection: connect, authenticate, then pass the events on until it ends.
    async fn session(
        &self,
        endpoint: &Endpoint,
        dial: &Dial,
        items: &mpsc::UnboundedSender<Result<E, Error>>,
        state: &watch::Sender<Status>,
    ) -> Session {
        let mut connection = match Connection::open(endpoint, dial).await {
            Ok(connection) => connection,
            Err(error) => {
                return Session::Lost {
                    error,
                    worked: false,
                };
            }
        };
        tracing::info!(target: TARGET, endpoint = %endpoint, sid = connection.sid(), "connected");
        let authentication = Authentication {
            username: self.credentials.identifier(),
            password: self.credentials.key(),
            tier: self.credentials.tier().as_str(),
            events: &self.events,
        };
        if let Err(error) = connection.emit("authentication", &authentication).await {
            return Session::Lost {
                error,
                worked: false,
            };
        }
        set(state, State::Connected);
        let mut worked = false;
        loop {
            let (name, data) = match connection.next_event().await {
                Ok(event) => event,
                Err(error) => return Session::Lost { error, worked },
            };
            match name.as_str() {
                AUTHENTICATED if data == Value::Bool(false) => return Session::Unauthorized(None),
                AUTHENTICATED => {
                    worked = true;
                    set(state, State::Authenticated);
                    tracing::info!(target: TARGET, endpoint = %endpoint, events = self.events.len(), "authenticated");
                }
                UNAUTHORIZED => {
                    connection.close().await;
                    return Session::Unauthorized(reason(&data));
                }
                _ => {
                    // Events flow, so the connection works even if the server never says
                    // `authenticated`.
                    worked = true;
                    tracing::debug!(target: TARGET, event = %name, "received");
                    if items.send(Ok((self.decode)(name, data))).is_err() {
                        connection.close().await;
                        return Session::ReceiverGone;
                    }
                }
            }
        }
    }
}

/// How one connection ended.
enum Session {
    /// It failed or was lost; `worked` when it had been authenticated or had received events.
    Lost {
        error: ConnectionError,
        worked: bool,
    },
    /// Crisp refused the credentials, with its reason.
    Unauthorized(Option<String>),
    /// The stream was dropped.
    ReceiverGone,
}

/// The message of an `unauthorized` event: `{"message": …}`, or a bare string.
fn reason(data: &Value) -> Option<String> {
    match data {
        Value::String(message) => Some(message.clone()),
        Value::Object(object) => object
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_owned),
        _ => None,
    }
}

/// The `authentication` event the official clients emit on every connection. It holds the
/// key: it is sent, never logged.
#[derive(Serialize)]
struct Authentication<'a> {
    username: &'a str,
    password: &'a str,
    tier: &'a str,
    events: &'a [String],
}

/// What the subscription's task tells its stream: where it stands, and how many times it was
/// authenticated so far.
#[derive(Clone, Copy, Debug)]
struct Status {
    state: State,
    authentications: u64,
}

/// Moves the subscription to `state`, counting authentications.
fn set(status: &watch::Sender<Status>, state: State) {
    status.send_modify(|status| {
        status.state = state;
        if state == State::Authenticated {
            status.authentications += 1;
        }
    });
}

/// Where a [`Subscription`] stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum State {
    /// Connecting, or waiting to reconnect; `attempt` counts the attempts that failed since
    /// the connection last worked.
    Connecting {
        /// Failed attempts in a row so far.
        attempt: u32,
    },
    /// Connected, the authentication sent, Crisp's answer not in yet.
    Connected,
    /// Crisp accepted the credentials: events flow.
    Authenticated,
    /// The subscription ended (its last item was an error) or its stream was dropped.
    Closed,
}

/// The events of a real-time subscription, as a [`Stream`] of decoded events.
///
/// Each item is an event, in the order Crisp sent it, or the [`Error`] that ended the
/// subscription (its last item). Events are buffered until they are consumed, so a slow
/// consumer never loses one and never stalls the connection's heartbeat. Dropping the stream
/// closes the connection.
pub struct Subscription<E> {
    items: mpsc::UnboundedReceiver<Result<E, Error>>,
    state: watch::Receiver<Status>,
    task: Option<AbortHandle>,
}

impl<E> Subscription<E> {
    /// The next event, or the error that ended the subscription; `None` once it has ended.
    /// (The same as [`StreamExt::next`](futures_util::StreamExt::next), without the import.)
    pub async fn next(&mut self) -> Option<Result<E, Error>> {
        self.items.recv().await
    }

    /// Where the subscription stands now.
    pub fn state(&self) -> State {
        self.state.borrow().state
    }

    /// Completes with `true` once Crisp accepted the credentials: at once if the current
    /// connection is authenticated, else at the next authentication (even one whose
    /// connection is lost right after); with `false` if the subscription ended first. Useful
    /// to act only once nothing can be missed, as tests do.
    pub fn authenticated(&self) -> impl Future<Output = bool> + Send + 'static {
        let mut status = self.state.clone();
        // Counted rather than looked at: an authentication that is over (a connection lost
        // at once) before this future is polled is not missed.
        let (now, seen) = {
            let status = status.borrow();
            (status.state == State::Authenticated, status.authentications)
        };
        async move {
            if now {
                return true;
            }
            match status
                .wait_for(|status| status.authentications > seen || status.state == State::Closed)
                .await
            {
                Ok(status) => status.authentications > seen,
                Err(_) => false,
            }
        }
    }
}

impl<E> fmt::Debug for Subscription<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

impl<E> Stream for Subscription<E> {
    type Item = Result<E, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.items.poll_recv(cx)
    }
}

impl<E> Drop for Subscription<E> {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}
