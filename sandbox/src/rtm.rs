//! The real-time (RTM) API of the stateful sandbox: Crisp's events over socket.io at `/rtm/`,
//! and the `connect/endpoints` operations that tell clients where it is.
//!
//! It speaks the protocol of Crisp's RTM API, as the official clients use it:
//!
//! 1. The client asks `GET /v1/plugin/connect/endpoints` (or the `user` or `website` one)
//!    where to connect; the sandbox answers its own socket URL:
//!    `ws://<the Host of that request>/rtm/`, or [`Config::rtm_url`](crate::Config::rtm_url).
//! 2. It connects socket.io there (socket.io v4 servers and clients; with engine.io v3 too, so
//!    socket.io-client 2.x and the Go client connect as well) and emits `authentication` with
//!    `{username, password, tier, events}`: a token of [`Config::tokens`](crate::Config::tokens)
//!    and the names of the events it wants.
//! 3. The sandbox answers `authenticated` (`true`), or `unauthorized` (`{message}`) and
//!    disconnects the socket when the credentials are wrong or the payload is not that object.
//!    A second `authentication` replaces the first. `socket:bind` with `{events}` replaces the
//!    list of events, `socket:bind:push` and `socket:bind:pop` add and remove names; without
//!    a list (`""`, `{}`), they change nothing. Crisp's clients ask no acknowledgement of
//!    these; a client that does gets the socket's new list of events, or `false` when the
//!    event was ignored (before authentication, or not one of those payloads).
//! 4. Every event the stateful sandbox records (the same as its web hooks, in the same order)
//!    is emitted, by name, with its `data` as the only argument, to every authenticated socket
//!    that asked for that name and whose token may receive it: user tokens receive every event
//!    they ask for; plugin tokens only those whose scope (from the spec, see
//!    [`Event::scope_of`](crisp_server::models::Event::scope_of)) they hold, at read level at
//!    least, as Crisp does for production plugin tokens.
//!
//! Emitting never waits: each socket has a buffer of [`BUFFER_SIZE`] packets that its own
//! task writes out; an event that finds it full is dropped for that socket, with a warning.
//! Nothing a client sends can panic the sandbox: a malformed `authentication` is refused, other
//! malformed or unknown events are ignored. The log has one line per authentication and per
//! disconnection (identifier and tier, never the key) and, at debug level, one per event sent.

use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::header::HOST;
use axum::http::uri::Authority;
use axum::http::{HeaderMap, Uri};
use axum::middleware::Next;
use axum::response::Response;
use crisp_runtime::server::{Access, Authenticate, Credentials, Scopes};
use crisp_server::models::{
    ConnectEndpoints, ConnectEndpointsRescue, ConnectEndpointsSocket, Event as EventPayload,
};
use crisp_server::{
    ApiError, Caller, PluginConnect, StaticTokens, Tier, UserConnect, WebsiteConnect,
};
use reqwest::Url;
use serde_json::{Value, json};
use socketioxide::extract::{AckSender, SocketRef, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide::layer::SocketIoLayer;
use socketioxide::socket::{DisconnectReason, Sid};
use socketioxide::{ParserError, SendError, SocketError, SocketIo};

use crate::events::Event;
use crate::store::Store;

/// The path the RTM API is served at, on the sandbox's own address.
pub const RTM_PATH: &str = "/rtm/";
/// How long an `authentication` waits for its socket to count as connected (see
/// [`connected`]).
const CONNECTED_GRACE: Duration = Duration::from_secs(1);

/// Whether `socket` counts as connected, waiting up to [`CONNECTED_GRACE`] for it.
///
/// socketioxide marks a socket connected just after it queued the namespace's `CONNECT`, on
/// another task than the one reading the socket; a client that authenticates as soon as it
/// reads `CONNECT` can be heard in between, when the socket still refuses every emit (its
/// answer would be lost, and the client would wait for ever). A socket that was disconnected
/// meanwhile never counts as connected again: it is then left alone.
async fn connected(socket: &SocketRef) -> bool {
    let deadline = tokio::time::Instant::now() + CONNECTED_GRACE;
    while !socket.connected() {
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    true
}

/// How many packets wait for one socket at most; an event emitted to a socket whose buffer is
/// full is dropped for that socket (with a warning). socketioxide's default is 128: the
/// sandbox keeps more, so a client that reads slower than a script makes REST calls (paused
/// in a debugger, on a busy machine) catches up instead of losing events. A waiting packet
/// costs its encoded event, and the buffer grows only as it fills.
pub const BUFFER_SIZE: usize = 4096;
/// The largest message a client may send (its `authentication` and `socket:bind` events are
/// small), instead of socketioxide's 64 MiB.
const MAX_MESSAGE_SIZE: usize = 1024 * 1024;
/// The most event names one socket may ask for (Crisp has fewer than a hundred).
const MAX_EVENTS: usize = 1024;
/// The longest event name a socket may ask for, in bytes.
const MAX_EVENT_NAME: usize = 256;
/// How long closing the RTM API waits for its connections to close.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long closing the RTM API then waits for the disconnections to be handled.
const DISCONNECT_GRACE: Duration = Duration::from_millis(500);

/// The URL the `connect/endpoints` operations answer, when set: for a sandbox behind a proxy,
/// where the address clients use is not the one they sent the REST request to.
///
/// A `ws`, `wss`, `http` or `https` URL with a host, such as `wss://sandbox.example.com/rtm/`.
/// The sandbox still serves the RTM API at [`RTM_PATH`] on its own address: the proxy must
/// forward the URL's path there.
#[derive(Clone, PartialEq, Eq)]
pub struct RtmUrl(Url);

impl RtmUrl {
    /// The whole URL.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// Parses an absolute `ws://`, `wss://`, `http://` or `https://` URL with a host.
impl FromStr for RtmUrl {
    type Err = String;

    fn from_str(text: &str) -> Result<RtmUrl, String> {
        let url = Url::parse(text.trim()).map_err(|error| format!("not a URL: {error}"))?;
        match url.scheme() {
            "ws" | "wss" | "http" | "https" if url.has_host() => Ok(RtmUrl(url)),
            "ws" | "wss" | "http" | "https" => Err("an RTM URL needs a host".to_owned()),
            other => Err(format!(
                "an RTM URL is ws, wss, http or https, not `{other}`"
            )),
        }
    }
}

impl fmt::Display for RtmUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

impl fmt::Debug for RtmUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RtmUrl({})", self.0)
    }
}

/// The RTM server of one sandbox: the socket.io layer to put on its router, and the hub of its
/// authenticated sockets. Cheap to clone (clones share the server).
#[derive(Clone)]
pub(crate) struct Rtm {
    layer: SocketIoLayer,
    io: SocketIo,
    hub: Hub,
}

impl fmt::Debug for Rtm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rtm")
            .field("path", &RTM_PATH)
            .field("hub", &self.hub)
            .finish_non_exhaustive()
    }
}

impl Rtm {
    /// An RTM server accepting the tokens of `auth`. Needs no Tokio runtime until it serves.
    pub(crate) fn new(auth: StaticTokens) -> Rtm {
        let (layer, io) = SocketIo::builder()
            // Without the trailing slash, so `/rtm` and `/rtm/` both reach it.
            .req_path(RTM_PATH.trim_end_matches('/'))
            .max_buffer_size(BUFFER_SIZE)
            .ws_max_message_size(MAX_MESSAGE_SIZE)
            .ws_max_frame_size(MAX_MESSAGE_SIZE)
            .build_layer();
        let hub = Hub::default();
        let auth = Arc::new(auth);
        let handlers = hub.clone();
        // The main namespace is defined before any client connects: engine.io v3 clients
        // join it as soon as they connect. The listeners are attached by a connect middleware,
        // which socketioxide awaits before it tells the client it is connected; its connect
        // handler runs on a task of its own, after that, and an `authentication` arriving
        // before the task attached its listener would be dropped (the client then waits for
        // ever: a benchmark saw 144 of 500 subscriptions lost so).
        let attach = move |socket: SocketRef| {
            let hub = handlers.clone();
            let auth = Arc::clone(&auth);
            async move {
                hub.attach(&socket, auth);
                Ok::<(), Infallible>(())
            }
        };
        io.ns("/", (async || {}).with(attach));
        Rtm { layer, io, hub }
    }

    /// The tower layer serving the RTM API at [`RTM_PATH`] and passing every other request on.
    pub(crate) fn layer(&self) -> SocketIoLayer {
        self.layer.clone()
    }

    /// The hub the store publishes its events to.
    pub(crate) fn hub(&self) -> Hub {
        self.hub.clone()
    }

    /// Closes every RTM connection (clients see the server go away, and reconnect later), for
    /// at most [`CLOSE_TIMEOUT`]; later connections are refused.
    pub(crate) async fn close(&self) {
        if tokio::time::timeout(CLOSE_TIMEOUT, self.io.close())
            .await
            .is_err()
        {
            tracing::warn!(
                target: "crisp_sandbox",
                "rtm: some connections did not close within {} s",
                CLOSE_TIMEOUT.as_secs()
            );
        }
        // The disconnection handlers run as tasks of their own: give them a moment to log and
        // forget their sockets before the server (and maybe the runtime) goes away.
        let deadline = tokio::time::Instant::now() + DISCONNECT_GRACE;
        while !self.hub.is_empty() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// The authenticated sockets, and what each one receives. Cheap to clone (clones share the
/// sockets).
#[derive(Clone, Default)]
pub(crate) struct Hub {
    subscribers: Arc<Mutex<BTreeMap<Sid, Subscriber>>>,
}

impl fmt::Debug for Hub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hub")
            .field("sockets", &lock(&self.subscribers).len())
            .finish()
    }
}

/// One authenticated socket.
struct Subscriber {
    /// The socket, to emit to.
    socket: SocketRef,
    /// What it receives: its token and the events it asked for.
    filter: Filter,
}

/// Which events a socket receives: those it asked for that its token may receive.
#[derive(Clone, Debug, PartialEq)]
struct Filter {
    /// The token identifier (never the key).
    identifier: String,
    /// The token tier.
    tier: Tier,
    /// The plugin scopes the token holds.
    scopes: Scopes,
    /// The event names the socket asked for.
    events: BTreeSet<String>,
}

impl Filter {
    /// Whether the socket receives the event `name`.
    fn wants(&self, name: &str) -> bool {
        self.events.contains(name) && may_receive(self.tier, &self.scopes, name)
    }
}

/// Whether a token of `tier` holding `scopes` may receive the event `name`: user tokens
/// receive every event; plugin tokens an event the spec ties to no scope, or to a scope they
/// hold at read level at least (write includes read).
fn may_receive(tier: Tier, scopes: &Scopes, name: &str) -> bool {
    match tier {
        Tier::User => true,
        Tier::Plugin => {
            EventPayload::scope_of(name).is_none_or(|scope| scopes.allows(scope, Access::Read))
        }
    }
}

/// How a `socket:bind…` event changes a socket's list of events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BindOp {
    /// `socket:bind`: the list given replaces the list.
    Replace,
    /// `socket:bind:push`: the names given are added.
    Push,
    /// `socket:bind:pop`: the names given are removed.
    Pop,
}

impl BindOp {
    /// The event name the client emits.
    fn event(self) -> &'static str {
        match self {
            BindOp::Replace => "socket:bind",
            BindOp::Push => "socket:bind:push",
            BindOp::Pop => "socket:bind:pop",
        }
    }

    /// Applies the change to `events`.
    fn apply(self, events: &mut BTreeSet<String>, names: BTreeSet<String>) {
        match self {
            BindOp::Replace => *events = names,
            BindOp::Push => events.extend(names),
            BindOp::Pop => events.retain(|name| !names.contains(name)),
        }
    }
}

impl Hub {
    /// Whether no socket is authenticated.
    fn is_empty(&self) -> bool {
        lock(&self.subscribers).is_empty()
    }

    /// Sends each of `events`, in order, to every socket that receives it. Never waits: an
    /// event that finds a socket's buffer full is dropped for that socket.
    pub(crate) fn publish(&self, events: &[Event]) {
        let subscribers = lock(&self.subscribers);
        if subscribers.is_empty() {
            return;
        }
        for event in events {
            for (sid, subscriber) in subscribers.iter() {
                if !subscriber.filter.wants(event.name) {
                    continue;
                }
                let identifier = &subscriber.filter.identifier;
                match subscriber.socket.emit(event.name, &event.data) {
                    Ok(()) => tracing::debug!(
                        target: "crisp_sandbox",
                        "rtm: {} -> socket {sid} ({identifier})",
                        event.name
                    ),
                    // Gone: its disconnection removes it from the hub.
                    Err(SendError::Socket(SocketError::Closed)) => {}
                    Err(SendError::Socket(SocketError::InternalChannelFull)) => tracing::warn!(
                        target: "crisp_sandbox",
                        event = event.name,
                        "rtm: {} -> socket {sid} ({identifier}): buffer full, event dropped",
                        event.name
                    ),
                    Err(error) => tracing::warn!(
                        target: "crisp_sandbox",
                        event = event.name,
                        "rtm: {} -> socket {sid} ({identifier}): not sent: {error}",
                        event.name
                    ),
                }
            }
        }
    }

    /// Listens to what a newly connected socket sends.
    fn attach(&self, socket: &SocketRef, auth: Arc<StaticTokens>) {
        tracing::debug!(
            target: "crisp_sandbox",
            "rtm: socket {} connected ({:?}, {:?})",
            socket.id,
            socket.protocol(),
            socket.transport_type()
        );
        let hub = self.clone();
        socket.on(
            "authentication",
            move |socket: SocketRef, TryData(payload): Payload| async move {
                hub.authenticate(socket, &auth, payload).await;
            },
        );
        for op in [BindOp::Replace, BindOp::Push, BindOp::Pop] {
            let hub = self.clone();
            socket.on(
                op.event(),
                move |socket: SocketRef, TryData(payload): Payload, ack: AckSender| async move {
                    // Acknowledged only if the client asked (Crisp's clients do not).
                    let answer = match hub.bind(&socket, op, payload) {
                        Some(events) => json!(events),
                        None => json!(false),
                    };
                    if let Err(error) = ack.send(&answer) {
                        let sid = socket.id;
                        tracing::debug!(target: "crisp_sandbox", "rtm: socket {sid}: {error}");
                    }
                },
            );
        }
        let hub = self.clone();
        socket.on_disconnect(
            move |socket: SocketRef, reason: DisconnectReason| async move {
                hub.disconnected(&socket, reason);
            },
        );
    }

    /// Handles `authentication`: registers the socket, or refuses it.
    async fn authenticate(
        &self,
        socket: SocketRef,
        auth: &StaticTokens,
        payload: Result<Value, ParserError>,
    ) {
        if !connected(&socket).await {
            return;
        }
        // The decoding error is not shown: it could quote the payload, key included.
        let request = payload
            .map_err(|_| "the authentication payload could not be decoded".to_owned())
            .and_then(|payload| Authentication::parse(&payload));
        let request = match request {
            Ok(request) => request,
            Err(message) => return self.refuse(socket, None, &message),
        };
        let Authentication {
            username,
            password,
            tier,
            events,
        } = request;
        let credentials = Credentials::new(username.clone(), password, tier);
        match auth.authenticate(credentials).await {
            Ok(caller) => {
                let filter = Filter {
                    identifier: caller.identifier,
                    tier: caller.tier,
                    scopes: caller.scopes,
                    events,
                };
                self.register(socket, filter);
            }
            Err(error) => self.refuse(socket, Some(&username), error.message()),
        }
    }

    /// Registers an authenticated socket (replacing an earlier registration) and tells it.
    fn register(&self, socket: SocketRef, filter: Filter) {
        let sid = socket.id;
        let (identifier, tier, count) =
            (filter.identifier.clone(), filter.tier, filter.events.len());
        {
            let mut subscribers = lock(&self.subscribers);
            // A socket whose disconnection was handled already must not stay in the hub.
            if !socket.connected() {
                return;
            }
            // Under the lock, so no event reaches the socket before `authenticated`.
            if let Err(error) = socket.emit("authenticated", &true) {
                tracing::debug!(target: "crisp_sandbox", "rtm: socket {sid}: {error}");
            }
            subscribers.insert(sid, Subscriber { socket, filter });
        }
        tracing::info!(
            target: "crisp_sandbox",
            "rtm: socket {sid} authenticated: {tier} token {identifier}, {count} event(s)"
        );
    }

    /// Answers `unauthorized` with `message`, forgets the socket and disconnects it.
    fn refuse(&self, socket: SocketRef, identifier: Option<&str>, message: &str) {
        let sid = socket.id;
        lock(&self.subscribers).remove(&sid);
        match identifier {
            Some(identifier) => tracing::info!(
                target: "crisp_sandbox",
                "rtm: socket {sid} refused ({identifier}): {message}"
            ),
            None => tracing::info!(target: "crisp_sandbox", "rtm: socket {sid} refused: {message}"),
        }
        if let Err(error) = socket.emit("unauthorized", &json!({ "message": message })) {
            tracing::debug!(target: "crisp_sandbox", "rtm: socket {sid}: {error}");
        }
        // Queued after `unauthorized`, so the client reads that first.
        if let Err(error) = socket.disconnect() {
            tracing::debug!(target: "crisp_sandbox", "rtm: socket {sid}: {error}");
        }
    }

    /// Handles `socket:bind`, `socket:bind:push` and `socket:bind:pop`; returns the socket's
    /// list of events once changed (or unchanged, for a rebind), or `None` when the event is
    /// ignored.
    fn bind(
        &self,
        socket: &SocketRef,
        op: BindOp,
        payload: Result<Value, ParserError>,
    ) -> Option<Vec<String>> {
        let sid = socket.id;
        let names = match payload.as_ref().map_err(|_| ()).map(parse_bind) {
            Ok(Ok(names)) => names,
            Ok(Err(message)) => {
                tracing::debug!(
                    target: "crisp_sandbox",
                    "rtm: socket {sid}: {} ignored: {message}",
                    op.event()
                );
                return None;
            }
            Err(()) => {
                tracing::debug!(
                    target: "crisp_sandbox",
                    "rtm: socket {sid}: {} ignored: not decoded",
                    op.event()
                );
                return None;
            }
        };
        let mut subscribers = lock(&self.subscribers);
        let Some(subscriber) = subscribers.get_mut(&sid) else {
            tracing::debug!(
                target: "crisp_sandbox",
                "rtm: socket {sid}: {} before authentication, ignored",
                op.event()
            );
            return None;
        };
        // Without names, a rebind: the sandbox has no channels to refresh.
        if let Some(names) = names {
            op.apply(&mut subscriber.filter.events, names);
            tracing::debug!(
                target: "crisp_sandbox",
                "rtm: socket {sid}: {} -> {} event(s)",
                op.event(),
                subscriber.filter.events.len()
            );
        }
        Some(subscriber.filter.events.iter().cloned().collect())
    }

    /// Forgets a socket that disconnected.
    fn disconnected(&self, socket: &SocketRef, reason: DisconnectReason) {
        let sid = socket.id;
        let removed = lock(&self.subscribers).remove(&sid);
        match removed {
            Some(Subscriber { filter, .. }) => tracing::info!(
                target: "crisp_sandbox",
                "rtm: socket {sid} disconnected ({} token {}): {reason}",
                filter.tier,
                filter.identifier
            ),
            None => tracing::info!(
                target: "crisp_sandbox",
                "rtm: socket {sid} disconnected (not authenticated): {reason}"
            ),
        }
    }
}

/// What a client's event carries: its first argument as JSON, or why it could not be decoded
/// (binary attachments become lists of numbers).
type Payload = TryData<Value>;

/// Locks a mutex, ignoring poisoning (every change under this lock is one step).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What an `authentication` event carries. Its `Debug` output hides the password.
#[derive(Clone, PartialEq, Eq)]
struct Authentication {
    /// The token identifier.
    username: String,
    /// The token key.
    password: String,
    /// The token tier.
    tier: Tier,
    /// The events the socket asks for.
    events: BTreeSet<String>,
}

impl fmt::Debug for Authentication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authentication")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("tier", &self.tier)
            .field("events", &self.events)
            .finish()
    }
}

impl Authentication {
    /// Reads `{username, password, tier, events}`: two non-empty strings, `user` or `plugin`,
    /// and a list of event names. Other fields are ignored.
    ///
    /// # Errors
    ///
    /// The message to answer `unauthorized` with, naming the field that is wrong (never its
    /// value).
    fn parse(payload: &Value) -> Result<Authentication, String> {
        let Value::Object(fields) = payload else {
            return Err(
                "the authentication payload must be an object {username, password, tier, events}"
                    .to_owned(),
            );
        };
        let text = |name: &str| match fields.get(name) {
            Some(Value::String(text)) if !text.is_empty() => Ok(text.clone()),
            Some(Value::String(_)) => Err(format!("`{name}` is empty")),
            Some(_) => Err(format!("`{name}` must be a string")),
            None => Err(format!("`{name}` is missing")),
        };
        let username = text("username")?;
        let password = text("password")?;
        let tier = text("tier")?
            .parse::<Tier>()
            .map_err(|_| "`tier` must be `user` or `plugin`".to_owned())?;
        let events = match fields.get("events") {
            Some(events) => event_names(events)?,
            None => return Err("`events` is missing".to_owned()),
        };
        Ok(Authentication {
            username,
            password,
            tier,
            events,
        })
    }
}

/// Reads the payload of `socket:bind…`: `{events: [...]}` gives the names; `""`, `null`, `{}`
/// or `{events: null}` none (a rebind, which changes nothing).
///
/// # Errors
///
/// What is wrong with the payload.
fn parse_bind(payload: &Value) -> Result<Option<BTreeSet<String>>, String> {
    match payload {
        Value::Null => Ok(None),
        Value::String(text) if text.is_empty() => Ok(None),
        Value::Object(fields) => match fields.get("events") {
            None | Some(Value::Null) => Ok(None),
            Some(events) => event_names(events).map(Some),
        },
        _ => Err("the payload must be {events: [...]} or empty".to_owned()),
    }
}

/// Reads a list of event names: at most [`MAX_EVENTS`] strings of at most [`MAX_EVENT_NAME`]
/// bytes. Names Crisp does not know are kept (they are simply never sent).
///
/// # Errors
///
/// What is wrong with the list.
fn event_names(events: &Value) -> Result<BTreeSet<String>, String> {
    let Value::Array(events) = events else {
        return Err("`events` must be a list of event names".to_owned());
    };
    if events.len() > MAX_EVENTS {
        return Err(format!("`events` lists more than {MAX_EVENTS} names"));
    }
    events
        .iter()
        .map(|event| match event {
            Value::String(name) if !name.is_empty() && name.len() <= MAX_EVENT_NAME => {
                Ok(name.clone())
            }
            Value::String(_) => Err(format!(
                "an event name in `events` is empty or longer than {MAX_EVENT_NAME} bytes"
            )),
            _ => Err("`events` must be a list of event names".to_owned()),
        })
        .collect()
}

tokio::task_local! {
    /// The socket URL the `connect/endpoints` operations answer in the request being served.
    static SOCKET_URL: String;
}

/// Middleware around the stateful router: works out the socket URL of each request (the
/// override, or `ws://<Host>/rtm/`) and makes it available to [`Endpoints`] while the request
/// is served.
pub(crate) async fn carry_socket_url(
    State(rtm_url): State<Option<RtmUrl>>,
    request: Request,
    next: Next,
) -> Response {
    let url = match rtm_url {
        Some(url) => url.to_string(),
        None => socket_url(request.headers(), request.uri()),
    };
    SOCKET_URL.scope(url, next.run(request)).await
}

/// `ws://<authority>/rtm/`, the authority being the `Host` header if it is a valid one (not
/// user information, not junk), else the request URI's, else `localhost`.
fn socket_url(headers: &HeaderMap, uri: &Uri) -> String {
    let from_header = headers
        .get(HOST)
        .and_then(|host| host.to_str().ok())
        .and_then(|host| host.trim().parse::<Authority>().ok());
    let authority = from_header
        .or_else(|| uri.authority().cloned())
        .filter(|authority| !authority.as_str().contains('@'));
    let authority = authority.as_ref().map_or("localhost", Authority::as_str);
    format!("ws://{authority}{RTM_PATH}")
}

/// The socket URL of the request being served (`ws://localhost/rtm/` outside of one).
fn current_socket_url() -> String {
    SOCKET_URL
        .try_with(Clone::clone)
        .unwrap_or_else(|_| format!("ws://localhost{RTM_PATH}"))
}

/// The `connect/endpoints` answer: the sandbox's socket URL as the main and the rescue
/// endpoint; with `stream`, as the stream endpoint too (websites have one).
fn connect_endpoints(url: &str, stream: bool) -> ConnectEndpoints {
    let mut socket = ConnectEndpointsSocket::default();
    socket.app = Some(url.to_owned());
    socket.stream = stream.then(|| url.to_owned());
    let mut rescue = ConnectEndpointsRescue::default();
    rescue.socket = Some(socket.clone());
    let mut endpoints = ConnectEndpoints::default();
    endpoints.socket = Some(socket);
    endpoints.rescue = Some(rescue);
    endpoints
}

/// The `plugin.connect`, `user.connect` and `website.connect` areas of the stateful sandbox:
/// their `connect/endpoints` operations answer the sandbox's own socket URL, never Crisp's.
/// The other operations of these areas answer their examples.
#[derive(Clone, Debug)]
pub(crate) struct Endpoints {
    store: Store,
}

impl Endpoints {
    /// The endpoints of the sandbox whose state is `store` (to know its websites).
    pub(crate) fn new(store: Store) -> Endpoints {
        Endpoints { store }
    }
}

impl PluginConnect for Endpoints {
    async fn get_plugin_connect_endpoints(
        &self,
        _caller: Caller,
    ) -> Result<ConnectEndpoints, ApiError> {
        Ok(connect_endpoints(&current_socket_url(), false))
    }
}

impl UserConnect for Endpoints {
    async fn get_user_connect_endpoints(
        &self,
        _caller: Caller,
    ) -> Result<ConnectEndpoints, ApiError> {
        Ok(connect_endpoints(&current_socket_url(), false))
    }
}

impl WebsiteConnect for Endpoints {
    async fn get_website_connect_endpoints(
        &self,
        _caller: Caller,
        website_id: String,
    ) -> Result<ConnectEndpoints, ApiError> {
        self.store
            .with(|state| state.website(&website_id).map(|_| ()))?;
        Ok(connect_endpoints(&current_socket_url(), true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid authentication payload with `field` replaced by `value` (removed if `None`).
    fn authentication_with(field: &str, value: Option<Value>) -> Value {
        let mut payload = json!({
            "username": "plugin-id",
            "password": "s3cr3t",
            "tier": "plugin",
            "events": ["message:send", "session:set_state"],
        });
        if let Value::Object(fields) = &mut payload {
            match value {
                Some(value) => {
                    fields.insert(field.to_owned(), value);
                }
                None => {
                    fields.remove(field);
                }
            }
        }
        payload
    }

    #[test]
    fn authentication_payloads_are_read_strictly() {
        let parsed = Authentication::parse(&authentication_with("extra", Some(json!(1))))
            .expect("a valid payload");
        assert_eq!(
            parsed,
            Authentication {
                username: "plugin-id".to_owned(),
                password: "s3cr3t".to_owned(),
                tier: Tier::Plugin,
                events: BTreeSet::from(["message:send".to_owned(), "session:set_state".to_owned()]),
            }
        );
        assert!(!format!("{parsed:?}").contains("s3cr3t"));
        let user = Authentication::parse(&authentication_with("tier", Some(json!("USER"))))
            .expect("a user payload");
        assert_eq!(user.tier, Tier::User);
        let none = Authentication::parse(&authentication_with("events", Some(json!([]))))
            .expect("no events yet");
        assert!(none.events.is_empty());

        let too_many: Vec<String> = (0..=MAX_EVENTS).map(|n| format!("e{n}")).collect();
        let cases: [(Value, &str); 16] = [
            (json!(null), "must be an object"),
            (json!("plugin-id:s3cr3t"), "must be an object"),
            (json!(["plugin-id", "s3cr3t"]), "must be an object"),
            (
                authentication_with("username", None),
                "`username` is missing",
            ),
            (
                authentication_with("username", Some(json!(""))),
                "`username` is empty",
            ),
            (
                authentication_with("username", Some(json!(42))),
                "`username` must be a string",
            ),
            (
                authentication_with("password", None),
                "`password` is missing",
            ),
            (
                authentication_with("password", Some(json!(null))),
                "`password` must be a string",
            ),
            (authentication_with("tier", None), "`tier` is missing"),
            (
                authentication_with("tier", Some(json!("website"))),
                "`tier` must be `user` or `plugin`",
            ),
            (authentication_with("events", None), "`events` is missing"),
            (
                authentication_with("events", Some(json!("message:send"))),
                "must be a list",
            ),
            (
                authentication_with("events", Some(json!([1, 2]))),
                "must be a list",
            ),
            (
                authentication_with("events", Some(json!([""]))),
                "empty or longer",
            ),
            (
                authentication_with("events", Some(json!(["x".repeat(MAX_EVENT_NAME + 1)]))),
                "empty or longer",
            ),
            (
                authentication_with("events", Some(json!(too_many))),
                "more than",
            ),
        ];
        for (payload, expected) in cases {
            let error = Authentication::parse(&payload).expect_err("refused");
            assert!(
                error.contains(expected),
                "{error:?} should say {expected:?}"
            );
            assert!(!error.contains("s3cr3t"), "{error:?} shows the key");
        }
    }

    #[test]
    fn bind_payloads_replace_add_remove_or_keep() {
        let names = |names: &[&str]| -> BTreeSet<String> {
            names.iter().map(|name| (*name).to_owned()).collect()
        };
        // What `parse_bind` gives, its error message left out.
        type Parsed = Result<Option<BTreeSet<String>>, ()>;
        let cases: [(Value, Parsed); 8] = [
            (json!(""), Ok(None)),
            (json!(null), Ok(None)),
            (json!({}), Ok(None)),
            (json!({"events": null}), Ok(None)),
            (
                json!({"events": ["message:send"]}),
                Ok(Some(names(&["message:send"]))),
            ),
            (json!({"events": "message:send"}), Err(())),
            (json!("message:send"), Err(())),
            (json!([1]), Err(())),
        ];
        for (payload, expected) in cases {
            assert_eq!(parse_bind(&payload).map_err(|_| ()), expected, "{payload}");
        }

        let mut events = names(&["a", "b"]);
        BindOp::Push.apply(&mut events, names(&["c"]));
        assert_eq!(events, names(&["a", "b", "c"]));
        BindOp::Pop.apply(&mut events, names(&["a", "z"]));
        assert_eq!(events, names(&["b", "c"]));
        BindOp::Replace.apply(&mut events, names(&["d"]));
        assert_eq!(events, names(&["d"]));
    }

    #[test]
    fn plugin_tokens_receive_only_the_events_of_their_scopes() {
        let messages_only: Scopes = "website:conversation:messages=read"
            .parse()
            .expect("scopes");
        let sessions_write: Scopes = "website:conversation:sessions=write"
            .parse()
            .expect("scopes");
        let cases = [
            (Tier::Plugin, Scopes::all(), "message:send", true),
            (Tier::Plugin, Scopes::none(), "message:send", false),
            (Tier::Plugin, messages_only.clone(), "message:send", true),
            (
                Tier::Plugin,
                messages_only.clone(),
                "message:received",
                true,
            ),
            (
                Tier::Plugin,
                messages_only.clone(),
                "session:request:initiated",
                false,
            ),
            // Write includes read.
            (
                Tier::Plugin,
                sessions_write.clone(),
                "session:request:initiated",
                true,
            ),
            (Tier::Plugin, sessions_write, "session:set_state", false),
            (Tier::Plugin, messages_only, "people:profile:created", false),
            // Events the spec ties to no scope (and unknown ones) reach every plugin token.
            (Tier::Plugin, Scopes::none(), "plugin:settings:saved", true),
            (Tier::Plugin, Scopes::none(), "no:such:event", true),
            // User tokens are not bound by plugin scopes.
            (Tier::User, Scopes::none(), "message:send", true),
            (Tier::User, Scopes::none(), "session:set_state", true),
        ];
        for (tier, scopes, name, expected) in cases {
            assert_eq!(
                may_receive(tier, &scopes, name),
                expected,
                "{tier} {scopes} {name}"
            );
        }

        let filter = Filter {
            identifier: "id".to_owned(),
            tier: Tier::Plugin,
            scopes: "website:conversation:messages=read"
                .parse()
                .expect("scopes"),
            events: BTreeSet::from(["message:send".to_owned(), "session:set_state".to_owned()]),
        };
        assert!(filter.wants("message:send"));
        assert!(!filter.wants("message:received"), "not asked for");
        assert!(!filter.wants("session:set_state"), "not in its scopes");
    }

    #[test]
    fn the_socket_url_follows_the_host_header() {
        let url = |host: Option<&str>, uri: &str| {
            let mut headers = HeaderMap::new();
            if let Some(host) = host {
                headers.insert(HOST, host.parse().expect("a header value"));
            }
            socket_url(&headers, &uri.parse().expect("a URI"))
        };
        assert_eq!(
            url(Some("127.0.0.1:8080"), "/v1/plugin/connect/endpoints"),
            "ws://127.0.0.1:8080/rtm/"
        );
        assert_eq!(url(Some("sandbox.local"), "/"), "ws://sandbox.local/rtm/");
        assert_eq!(url(Some("[::1]:9000"), "/"), "ws://[::1]:9000/rtm/");
        assert_eq!(
            url(None, "http://10.0.0.2:81/v1/x"),
            "ws://10.0.0.2:81/rtm/"
        );
        assert_eq!(url(None, "/"), "ws://localhost/rtm/");
        assert_eq!(url(Some("a b/c"), "/"), "ws://localhost/rtm/");
        assert_eq!(url(Some("user:key@evil"), "/"), "ws://localhost/rtm/");
    }

    #[test]
    fn endpoints_answer_the_socket_url_everywhere() {
        let endpoints = connect_endpoints("ws://127.0.0.1:1/rtm/", true);
        let json = serde_json::to_value(&endpoints).expect("JSON");
        assert_eq!(
            json,
            json!({
                "socket": {"app": "ws://127.0.0.1:1/rtm/", "stream": "ws://127.0.0.1:1/rtm/"},
                "rescue": {
                    "socket": {"app": "ws://127.0.0.1:1/rtm/", "stream": "ws://127.0.0.1:1/rtm/"}
                },
            })
        );
        let plugin = connect_endpoints("ws://h/rtm/", false);
        assert_eq!(
            serde_json::to_value(&plugin).expect("JSON"),
            json!({"socket": {"app": "ws://h/rtm/"}, "rescue": {"socket": {"app": "ws://h/rtm/"}}})
        );
    }

    #[test]
    fn rtm_urls_are_websocket_or_http_with_a_host() {
        let url: RtmUrl = "wss://sandbox.example.com/rtm/".parse().expect("a URL");
        assert_eq!(url.as_str(), "wss://sandbox.example.com/rtm/");
        assert_eq!(url.to_string(), "wss://sandbox.example.com/rtm/");
        for good in ["ws://127.0.0.1:8080/rtm/", "https://proxy/rtm/"] {
            assert!(good.parse::<RtmUrl>().is_ok(), "{good}");
        }
        for bad in ["ftp://example.com/", "not a url", "/rtm/", "ws://"] {
            assert!(bad.parse::<RtmUrl>().is_err(), "{bad}");
        }
    }
}
