//! [`Sandbox`]: a sandbox assembled from its [`Config`] (its store, its real-time server, its
//! web hook delivery and the router serving them), and running it: [`serve`], [`run`] and the
//! state file around them ([`initial_state`]).

use std::fmt;
use std::future::Future;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use crisp_server::examples::Examples;
use crisp_server::{RouterBuilder, StaticTokens};
use tokio::net::TcpListener;

use crate::config::{Config, Mode};
use crate::data::{State, StateError};
use crate::events::Publish;
use crate::store::Store;
use crate::{fallback, log, rtm, webhooks};

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
    /// [`WebhookConfig::shutdown_grace`](crate::WebhookConfig::shutdown_grace), the rest is
    /// dropped (and logged). [`run`] calls it once the server has stopped; events of later
    /// changes are not delivered.
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
