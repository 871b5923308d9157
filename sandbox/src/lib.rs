//! `crisp-sandbox`: a local Crisp REST API server to develop and test against.
//!
//! It serves `/v1` on the generated router of `crisp-server`, so credentials, tiers, scopes
//! and input are checked exactly as the generated server checks them, in one of two modes:
//!
//! - [`Mode::Stateful`] (the default): an in-memory Crisp ([`Store`]) for websites,
//!   conversations and their messages, people profiles, operators and visitors, seeded with
//!   one website ([`state::SEED_WEBSITE_ID`]). Every operation it does not simulate answers
//!   its example from the spec.
//! - [`Mode::Examples`]: every valid request gets its operation's example answer.
//!
//! What happens in the stateful sandbox also comes out as Crisp's events (`message:send` when
//! a visitor posts a message, `session:set_state` when a conversation's state changes,
//! `people:profile:created` and so on), in two ways, as Crisp sends them:
//!
//! - over its real-time (RTM) API, always: socket.io at `/rtm/` on the sandbox's own address,
//!   which its `connect/endpoints` operations point to, so the official clients' RTM mode
//!   works against it unchanged (the [`rtm`] module tells how);
//! - as signed web hooks, with [`Config::webhooks`] (the [`webhooks`] module tells how).
//!
//! ```no_run
//! use crisp_sandbox::{Config, Mode, Sandbox, Token};
//!
//! # async fn start() -> std::io::Result<()> {
//! let token: Token = "plugin:my-identifier:my-key".parse().expect("a token");
//! let config = Config { mode: Mode::Stateful, tokens: vec![token], ..Config::default() };
//! let sandbox = Sandbox::new(config);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! let closing = sandbox.clone();
//! crisp_sandbox::serve(listener, sandbox.router(), async move {
//!     let _ = tokio::signal::ctrl_c().await;
//!     // RTM connections outlive the HTTP server unless closed.
//!     closing.close_rtm().await;
//! })
//! .await
//! # }
//! ```

mod conversations;
mod events;
mod fallback;
pub mod ids;
mod log;
mod people;
pub mod rtm;
pub mod state;
mod store;
pub mod webhooks;
mod websites;

use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::str::FromStr;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use crisp_runtime::server::Scopes;
use crisp_server::examples::Examples;
use crisp_server::{RouterBuilder, StaticTokens, Tier};
use tokio::net::TcpListener;

use crate::events::Publish;

pub use crate::conversations::{CONVERSATIONS_PER_PAGE, MESSAGES_PER_PAGE};
pub use crate::people::{ITEMS_PER_PAGE, PROFILES_PER_PAGE};
pub use crate::rtm::RtmUrl;
pub use crate::state::{State, StateError};
pub use crate::store::Store;
pub use crate::webhooks::{WebhookConfig, WebhookUrl};
pub use crate::websites::VISITORS_PER_PAGE;

/// The request body limit when none is configured: 2 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// How the sandbox answers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// An in-memory Crisp; what it does not simulate answers its example.
    #[default]
    Stateful,
    /// Every operation answers its example from the spec.
    Examples,
}

impl Mode {
    /// The mode's name on the command line: `stateful` or `examples`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Stateful => "stateful",
            Mode::Examples => "examples",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses `stateful` or `examples`.
impl FromStr for Mode {
    type Err = String;

    fn from_str(text: &str) -> Result<Mode, String> {
        match text.trim() {
            "stateful" => Ok(Mode::Stateful),
            "examples" => Ok(Mode::Examples),
            other => Err(format!("unknown mode `{other}` (use stateful or examples)")),
        }
    }
}

/// A token the sandbox accepts: tier, identifier, key and, for plugin tokens, scopes.
///
/// Written `TIER:IDENTIFIER:KEY[:SCOPES]`, e.g. `user:my-id:my-key` or
/// `plugin:my-id:my-key:website:conversation:sessions=write,website:people:profiles=read`.
/// Only the first three `:` separate (scopes contain `:` themselves); without scopes a token
/// holds every scope. The `Debug` output hides the key.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    /// `user` or `plugin`.
    pub tier: Tier,
    /// The token identifier (the Basic user name).
    pub identifier: String,
    /// The token key (the Basic password).
    pub key: String,
    /// The plugin scopes the token holds (ignored for user tokens).
    pub scopes: Scopes,
}

impl Token {
    /// A fresh random plugin token holding every scope.
    pub fn generate() -> Token {
        Token {
            tier: Tier::Plugin,
            identifier: ids::uuid(),
            key: ids::hex(32),
            scopes: Scopes::all(),
        }
    }

    /// The token as `TIER:IDENTIFIER:KEY`, to hand to a client. It holds the key.
    pub fn credentials(&self) -> String {
        format!("{}:{}:{}", self.tier, self.identifier, self.key)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("tier", &self.tier)
            .field("identifier", &self.identifier)
            .field("key", &"<redacted>")
            .field("scopes", &self.scopes.to_string())
            .finish()
    }
}

/// Parses `TIER:IDENTIFIER:KEY[:SCOPES]`.
impl FromStr for Token {
    type Err = String;

    fn from_str(text: &str) -> Result<Token, String> {
        let mut fields = text.splitn(4, ':');
        let (Some(tier), Some(identifier), Some(key)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return Err("a token is written TIER:IDENTIFIER:KEY[:SCOPES]".to_owned());
        };
        let tier: Tier = tier
            .trim()
            .parse()
            .map_err(|_| format!("unknown tier `{tier}` (use user or plugin)"))?;
        if identifier.is_empty() || key.is_empty() {
            return Err("a token needs a non-empty identifier and key".to_owned());
        }
        let scopes = match fields.next() {
            None => Scopes::all(),
            Some(scopes) if scopes.trim().is_empty() => Scopes::all(),
            Some(scopes) => scopes.parse()?,
        };
        Ok(Token {
            tier,
            identifier: identifier.to_owned(),
            key: key.to_owned(),
            scopes,
        })
    }
}

/// What the sandbox serves and how.
#[derive(Clone, Debug)]
pub struct Config {
    /// Stateful or examples.
    pub mode: Mode,
    /// The accepted tokens; with none, every request gets `401 invalid_session`
    /// (see [`Config::ensure_token`]).
    pub tokens: Vec<Token>,
    /// The largest request body accepted, in bytes; larger ones get `413 payload_too_large`.
    pub body_limit: usize,
    /// Where [`run`] loads the state from at start (if the file exists) and saves it to on a
    /// clean shutdown; stateful mode only.
    pub state_file: Option<PathBuf>,
    /// Where to deliver web hooks for what happens in the sandbox, and how; stateful mode
    /// only.
    pub webhooks: Option<WebhookConfig>,
    /// The socket URL the `connect/endpoints` operations answer, for a sandbox behind a proxy;
    /// by default, `ws://<Host of the request>/rtm/`. Stateful mode only (the real-time API is
    /// served at [`rtm::RTM_PATH`] whatever this says).
    pub rtm_url: Option<RtmUrl>,
}

impl Default for Config {
    /// Stateful, no token, a 2 MiB body limit, no state file, no web hooks, the RTM URL
    /// following each request's `Host`.
    fn default() -> Self {
        Config {
            mode: Mode::Stateful,
            tokens: Vec::new(),
            body_limit: DEFAULT_BODY_LIMIT,
            state_file: None,
            webhooks: None,
            rtm_url: None,
        }
    }
}

impl Config {
    /// Makes sure there is a token: with none, adds a random plugin token and returns it (to
    /// print); with some, returns `None`.
    pub fn ensure_token(&mut self) -> Option<Token> {
        if !self.tokens.is_empty() {
            return None;
        }
        let token = Token::generate();
        self.tokens.push(token.clone());
        Some(token)
    }

    /// The authentication hook accepting the configured tokens.
    pub fn auth(&self) -> StaticTokens {
        self.tokens
            .iter()
            .fold(StaticTokens::new(), |tokens, token| {
                tokens.with_scoped_token(
                    token.tier,
                    token.identifier.clone(),
                    token.key.clone(),
                    token.scopes.clone(),
                )
            })
    }
}

/// A sandbox: its configuration, its state (which examples mode leaves untouched) and, in
/// stateful mode, its real-time (RTM) server. Cheap to clone (clones share the state and the
/// RTM server).
#[derive(Clone, Debug)]
pub struct Sandbox {
    config: Config,
    store: Store,
    rtm: Option<rtm::Rtm>,
}

impl Sandbox {
    /// A sandbox with a fresh, seeded state ([`State::seeded`]).
    pub fn new(config: Config) -> Sandbox {
        Sandbox::with_state(config, State::seeded())
    }

    /// A sandbox starting from `state`.
    ///
    /// With web hooks configured (stateful mode), their delivery tasks start on the Tokio
    /// runtime this is called in, or else with [`Sandbox::router`] or the first event.
    pub fn with_state(config: Config, state: State) -> Sandbox {
        let webhooks = match (&config.mode, &config.webhooks) {
            (Mode::Stateful, Some(webhooks)) if !webhooks.urls.is_empty() => {
                let webhooks = webhooks::Webhooks::new(webhooks.clone());
                webhooks.start();
                Some(webhooks)
            }
            _ => None,
        };
        let rtm = match config.mode {
            Mode::Stateful => Some(rtm::Rtm::new(config.auth())),
            Mode::Examples => None,
        };
        let publish = Publish {
            webhooks,
            rtm: rtm.as_ref().map(rtm::Rtm::hub),
        };
        Sandbox {
            config,
            store: Store::with_publish(state, publish),
            rtm,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The shared state; the router serves this very store, so changes show on both sides.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Stops delivering web hooks: what is queued is still delivered for at most
    /// [`WebhookConfig::shutdown_grace`], the rest is dropped (and logged). [`run`] calls it
    /// once the server has stopped; events of later changes are not delivered.
    pub async fn stop_webhooks(&self) {
        if let Some(webhooks) = &self.store.publishing().webhooks {
            webhooks.stop().await;
        }
    }

    /// Closes every connection to the real-time API (stateful mode), waiting at most a few
    /// seconds; later connections are refused. The HTTP server does not see these connections
    /// once upgraded to WebSocket, so a graceful shutdown alone leaves them open: [`run`] calls
    /// this as soon as its shutdown future completes.
    pub async fn close_rtm(&self) {
        if let Some(rtm) = &self.rtm {
            rtm.close().await;
        }
    }

    /// The router serving `/v1`, with the body limit and one log line per request; in
    /// stateful mode, also the real-time API at [`rtm::RTM_PATH`].
    pub fn router(&self) -> Router {
        if let Some(webhooks) = &self.store.publishing().webhooks {
            webhooks.start();
        }
        let auth = self.config.auth();
        let limit = self.config.body_limit;
        let examples = examples_router(auth.clone(), limit);
        let router = match self.config.mode {
            Mode::Examples => examples,
            Mode::Stateful => {
                let store = self.store.clone();
                let fallback = fallback::Fallback {
                    examples,
                    body_limit: self.config.body_limit,
                };
                let endpoints = rtm::Endpoints::new(store.clone());
                let router = RouterBuilder::new(auth)
                    .body_limit(limit)
                    .website_base(store.clone())
                    .website_conversation(store.clone())
                    .website_people(store.clone())
                    .website_operator(store.clone())
                    .website_visitors(store)
                    .plugin_connect(endpoints.clone())
                    .user_connect(endpoints.clone())
                    .website_connect(endpoints)
                    .build()
                    .layer(middleware::from_fn_with_state(
                        fallback,
                        fallback::answer_from_examples,
                    ))
                    // Outside the fallback, so its buffering honours the limit too.
                    .layer(DefaultBodyLimit::max(limit))
                    // What `connect/endpoints` answers depends on the request's `Host`.
                    .layer(middleware::from_fn_with_state(
                        self.config.rtm_url.clone(),
                        rtm::carry_socket_url,
                    ));
                match &self.rtm {
                    // In front of the REST routes: it takes the requests under `/rtm` only.
                    Some(rtm) => router.layer(rtm.layer()),
                    None => router,
                }
            }
        };
        router.layer(middleware::from_fn(log::log_request))
    }
}

/// The router answering every operation with its example, with the body limit.
fn examples_router(auth: StaticTokens, body_limit: usize) -> Router {
    RouterBuilder::new(auth)
        .body_limit(body_limit)
        .every_area(Examples::new())
        .build()
}

/// Serves `router` on `listener` until `shutdown` completes, then lets the requests in flight
/// finish.
///
/// # Errors
///
/// The listener's I/O error.
pub async fn serve<F>(listener: TcpListener, router: Router, shutdown: F) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    // Without Nagle's algorithm: an event pushed on an idle socket otherwise waits for the
    // peer's delayed ACK (about 40 ms). And one make-service for every connection: serving the
    // `Router` itself copies its whole route table per connection (about half a MiB each).
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(target: "crisp_sandbox", "TCP_NODELAY not set: {error}");
        }
    });
    axum::serve(listener, router.into_make_service())
        .with_graceful_shutdown(shutdown)
        .await
}

/// Why [`run`] failed.
#[derive(Debug)]
pub enum Error {
    /// The state file could not be loaded or saved.
    State(StateError),
    /// Serving failed.
    Serve(std::io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::State(error) => write!(f, "state file {error}"),
            Error::Serve(error) => write!(f, "serving failed: {error}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::State(error) => Some(error),
            Error::Serve(error) => Some(error),
        }
    }
}

impl From<StateError> for Error {
    fn from(error: StateError) -> Self {
        Error::State(error)
    }
}

/// Loads the state of a stateful sandbox from [`Config::state_file`] if that file exists (a
/// seeded state otherwise).
///
/// # Errors
///
/// [`StateError`] if the file exists but cannot be read or decoded.
pub fn initial_state(config: &Config) -> Result<State, StateError> {
    match (&config.mode, &config.state_file) {
        (Mode::Stateful, Some(path)) => match State::load(path) {
            Err(StateError::Io { error, .. }) if error.kind() == std::io::ErrorKind::NotFound => {
                Ok(State::seeded())
            }
            loaded => loaded,
        },
        _ => Ok(State::seeded()),
    }
}

/// Runs a sandbox the way the binary does: loads the state ([`initial_state`]), serves until
/// `shutdown` completes, closing the real-time connections then ([`Sandbox::close_rtm`]),
/// stops delivering web hooks ([`Sandbox::stop_webhooks`]), then saves the state to
/// [`Config::state_file`] (stateful mode) and returns it.
///
/// # Errors
///
/// [`Error::State`] if the state file cannot be loaded or saved, [`Error::Serve`] if serving
/// fails (the state is not saved then).
pub async fn run<F>(config: Config, listener: TcpListener, shutdown: F) -> Result<State, Error>
where
    F: Future<Output = ()> + Send + 'static,
{
    let state = initial_state(&config)?;
    let sandbox = Sandbox::with_state(config, state);
    let closing = sandbox.clone();
    let shutdown = async move {
        shutdown.await;
        closing.close_rtm().await;
    };
    let served = serve(listener, sandbox.router(), shutdown).await;
    sandbox.stop_webhooks().await;
    served.map_err(Error::Serve)?;
    let state = sandbox.store().snapshot();
    if let (Mode::Stateful, Some(path)) = (sandbox.config.mode, &sandbox.config.state_file) {
        state.save(path)?;
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    use crisp_runtime::server::Access;

    use super::*;

    #[test]
    fn tokens_parse_with_and_without_scopes() {
        let token: Token = "user:id-1:key-1".parse().expect("a user token");
        assert_eq!(token.tier, Tier::User);
        assert_eq!(token.credentials(), "user:id-1:key-1");
        assert_eq!(token.scopes, Scopes::all());

        let token: Token =
            "plugin:id:s3cr3t:website:conversation:sessions=write,website:people:profiles=read"
                .parse()
                .expect("a scoped plugin token");
        assert_eq!(token.key, "s3cr3t");
        assert!(
            token
                .scopes
                .allows("website:conversation:sessions", Access::Write)
        );
        assert!(token.scopes.allows("website:people:profiles", Access::Read));
        assert!(
            !token
                .scopes
                .allows("website:people:profiles", Access::Write)
        );
        assert!(!token.scopes.allows("website:campaigns", Access::Read));
        assert!(!format!("{token:?}").contains("s3cr3t"));

        for bad in [
            "",
            "plugin",
            "plugin:id",
            "admin:id:key",
            "user::key",
            "user:id:",
            "plugin:id:key:a=sometimes",
        ] {
            assert!(bad.parse::<Token>().is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn a_token_is_generated_only_when_none_is_given() {
        let mut config = Config::default();
        let token = config.ensure_token().expect("a generated token");
        assert_eq!(token.tier, Tier::Plugin);
        assert_eq!(config.tokens, [token]);
        assert!(config.ensure_token().is_none());
        assert_eq!("examples".parse::<Mode>(), Ok(Mode::Examples));
        assert!("other".parse::<Mode>().is_err());
    }
}
