//! The setup every phase stands on: the sandbox served in the background, the generated
//! client of it, the timed calls, and the subscriptions, authenticated before they count.

use std::net::SocketAddr;

use crisp_client::models::{ChangeConversationStateBody, ConversationState, Event};
use crisp_client::rtm::{Reconnect, Subscription};
use crisp_client::{Client, RetryPolicy, tier};
use crisp_sandbox::state::SEED_WEBSITE_ID;
use crisp_sandbox::{Config, Mode, Sandbox, Token};
use futures_util::FutureExt as _;
use futures_util::future::join_all;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::{AUTHENTICATION_TIMEOUT, EVENT, EVENT_TIMEOUT, PLUGIN, SETUP_TIMEOUT};

/// A subscription of the timed phases, called `name`: `session:set_state` only,
/// authenticated.
pub(crate) async fn subscribe(sandbox: &Served, calls: &Calls, name: &str) -> Subscription<Event> {
    let subscription = calls
        .client
        .realtime()
        .events([EVENT])
        .endpoint(sandbox.rtm())
        .reconnect(Reconnect::disabled())
        .subscribe();
    let mut subscriptions = [subscription];
    if let Err(error) = authenticated(&mut subscriptions, |_| name.to_owned()).await {
        panic!("setup failed: {error}");
    }
    let [subscription] = subscriptions;
    subscription
}

/// A sandbox served in the background.
pub(crate) struct Served {
    pub(crate) address: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Served {
    /// A stateful sandbox accepting [`PLUGIN`], on a free loopback port.
    pub(crate) async fn start() -> Served {
        let token: Token = format!("plugin:{}:{}", PLUGIN.0, PLUGIN.1)
            .parse()
            .expect("a valid token");
        let config = Config {
            mode: Mode::Stateful,
            tokens: vec![token],
            ..Config::default()
        };
        let sandbox = Sandbox::new(config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let address = listener.local_addr().expect("the bound address");
        let (stop, stopped) = oneshot::channel::<()>();
        let closing = sandbox.clone();
        let task = tokio::spawn(crisp_sandbox::serve(
            listener,
            sandbox.router(),
            async move {
                let _ = stopped.await;
                // RTM connections outlive the HTTP server unless closed.
                closing.close_rtm().await;
            },
        ));
        Served {
            address,
            stop,
            task,
        }
    }

    /// The base URL of its REST API.
    pub(crate) fn base(&self) -> String {
        format!("http://{}/v1", self.address)
    }

    /// The URL of its real-time API.
    pub(crate) fn rtm(&self) -> String {
        format!("ws://{}/rtm/", self.address)
    }

    /// Stops it and waits until it has stopped.
    pub(crate) async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(SETUP_TIMEOUT, self.task)
            .await
            .expect("the sandbox stops in time")
            .expect("the sandbox task does not panic")
            .expect("the sandbox serves without an I/O error");
    }
}

/// The generated client with the plugin token, retries disabled.
pub(crate) fn client(base: &str) -> Client<tier::Plugin> {
    Client::builder()
        .plugin(PLUGIN.0, PLUGIN.1)
        .base_url(base)
        .retry(RetryPolicy::disabled())
        .user_agent("rtm-bench")
        .build()
        .expect("a client")
}

/// The timed calls: `changeConversationState` on one conversation, alternating the state.
pub(crate) struct Calls {
    pub(crate) client: Client<tier::Plugin>,
    pub(crate) session: String,
    /// How many calls were made so far, which tells the state of the next one.
    pub(crate) made: usize,
}

impl Calls {
    /// Creates the conversation the calls change.
    pub(crate) async fn new(client: Client<tier::Plugin>) -> Calls {
        let created = client
            .website_conversation()
            .create_new_conversation(SEED_WEBSITE_ID)
            .await
            .expect("the sandbox creates a conversation");
        let session = created
            .session_id
            .expect("the created conversation has a session id");
        Calls {
            client,
            session,
            made: 0,
        }
    }

    /// The state call number `index` sets.
    pub(crate) fn state(index: usize) -> ConversationState {
        if index.is_multiple_of(2) {
            ConversationState::Resolved
        } else {
            ConversationState::Unresolved
        }
    }

    /// Makes the next call and returns the state it set.
    pub(crate) async fn next(&mut self) -> ConversationState {
        let state = Calls::state(self.made);
        self.made += 1;
        let body = ChangeConversationStateBody::new(state.clone());
        self.client
            .website_conversation()
            .change_conversation_state(SEED_WEBSITE_ID, &self.session, &body)
            .await
            .expect("the sandbox changes the state");
        state
    }
}

/// Checks that `item`, the next item of the stream, is the event of a call on `session`
/// that set `state`.
pub(crate) fn check(
    item: Option<Result<Event, crisp_client::rtm::Error>>,
    session: &str,
    state: &ConversationState,
) {
    match item {
        Some(Ok(Event::SessionSetState(event)))
            if event.session_id == session && event.state == *state => {}
        Some(Ok(event)) => panic!("expected {EVENT} to {state:?} on {session}, got {event:?}"),
        Some(Err(error)) => panic!("the subscription ended: {error}"),
        None => panic!("the subscription ended without an error"),
    }
}

/// The next item of the stream, within [`EVENT_TIMEOUT`].
pub(crate) async fn next_item(
    subscription: &mut Subscription<Event>,
) -> Option<Result<Event, crisp_client::rtm::Error>> {
    tokio::time::timeout(EVENT_TIMEOUT, subscription.next())
        .await
        .unwrap_or_else(|_| panic!("no event within {} s", EVENT_TIMEOUT.as_secs()))
}

/// Waits until every one of `subscriptions` is authenticated, each for at most
/// [`AUTHENTICATION_TIMEOUT`] (they wait together); `name` names a subscription by its index.
/// The sandbox answers an authentication in milliseconds, so one not authenticated in that
/// time, or one that ended first (refused, or its connection failed), is a failure of the
/// setup: the error names the first such subscription and says where it stands.
pub(crate) async fn authenticated(
    subscriptions: &mut [Subscription<Event>],
    name: impl Fn(usize) -> String,
) -> Result<(), String> {
    let waits = subscriptions.iter().map(|subscription| {
        tokio::time::timeout(AUTHENTICATION_TIMEOUT, subscription.authenticated())
    });
    let outcomes = join_all(waits).await;
    let mut failed = outcomes
        .iter()
        .enumerate()
        .filter(|(_, outcome)| !matches!(outcome, Ok(true)));
    let Some((first, outcome)) = failed.next() else {
        return Ok(());
    };
    let others = match failed.count() {
        0 => String::new(),
        1 => " (and 1 other)".to_owned(),
        more => format!(" (and {more} others)"),
    };
    let subscription = &mut subscriptions[first];
    let state = subscription.state();
    Err(match outcome {
        Ok(_) => format!(
            "{}{others} ended before it was authenticated (state {state:?}): {:?}",
            name(first),
            subscription.next().now_or_never().flatten()
        ),
        Err(_) => format!(
            "{}{others} not authenticated within {} s (state {state:?})",
            name(first),
            AUTHENTICATION_TIMEOUT.as_secs()
        ),
    })
}
