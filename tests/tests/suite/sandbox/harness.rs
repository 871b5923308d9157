//! The sandbox harness: the tokens and configuration of a test sandbox, a sandbox running in
//! the background on a free port, and small helpers the sandbox tests share.

use std::net::SocketAddr;
use std::time::Duration;

use crisp_client::{Client, Credentials, Error, Tier};
use crisp_models::ConversationMessageNew;
use crisp_sandbox::{Config, Mode, State, Token};
use crisp_server::Caller;
use serde_json::json;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A plugin token holding every scope.
pub(crate) const PLUGIN: (&str, &str) = ("sandbox-plugin", "sandbox-plugin-key");
/// A user token.
pub(crate) const USER: (&str, &str) = ("sandbox-user", "sandbox-user-key");
/// A plugin token holding only `website:people:profiles`.
pub(super) const SCOPED: (&str, &str) = ("sandbox-scoped", "sandbox-scoped-key");
/// The body limit of the sandboxes under test, small enough to exceed cheaply.
pub(super) const BODY_LIMIT: usize = 4096;
/// The longest a sandbox may take to stop once told to.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// The configuration of a test sandbox: the three tokens and a small body limit.
pub(crate) fn config(mode: Mode) -> Config {
    let tokens = [
        format!("plugin:{}:{}", PLUGIN.0, PLUGIN.1),
        format!("user:{}:{}", USER.0, USER.1),
        format!(
            "plugin:{}:{}:website:people:profiles=write",
            SCOPED.0, SCOPED.1
        ),
    ];
    Config {
        mode,
        tokens: tokens
            .iter()
            .map(|token| token.parse::<Token>().expect("a valid token"))
            .collect(),
        body_limit: BODY_LIMIT,
        state_file: None,
        webhooks: None,
        rtm_url: None,
    }
}

/// A sandbox running in the background.
pub(crate) struct Running {
    address: SocketAddr,
    base: String,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<State, crisp_sandbox::Error>>,
}

impl Running {
    /// Starts `config` on a free loopback port.
    pub(crate) async fn start(config: Config) -> Running {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        Running::serve(config, listener)
    }

    /// Starts `config` on `address`, e.g. the address of a sandbox just stopped; retries for
    /// a few seconds while the port is still taken.
    pub(crate) async fn start_at(config: Config, address: SocketAddr) -> Running {
        let mut attempts = 0;
        let listener = loop {
            match tokio::net::TcpListener::bind(address).await {
                Ok(listener) => break listener,
                Err(error) if attempts < 50 => {
                    attempts += 1;
                    let _ = error;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => panic!("cannot bind {address} again: {error}"),
            }
        };
        Running::serve(config, listener)
    }

    /// Runs `config` on `listener` in the background.
    fn serve(config: Config, listener: tokio::net::TcpListener) -> Running {
        let address = listener.local_addr().expect("the bound address");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(crisp_sandbox::run(config, listener, async {
            let _ = stopped.await;
        }));
        Running {
            address,
            base: format!("http://{address}/v1"),
            stop,
            task,
        }
    }

    /// The address it listens on.
    pub(crate) fn address(&self) -> SocketAddr {
        self.address
    }

    /// The base URL of its REST API (`http://127.0.0.1:PORT/v1`).
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// A client with the token `(identifier, key)` of `tier`.
    pub(crate) fn client(
        &self,
        tier: Tier,
        (identifier, key): (&str, &str),
    ) -> Client<crisp_client::tier::Dynamic> {
        crate::support::client(Credentials::new(identifier, key, tier), &self.base)
    }

    /// The plugin client holding every scope.
    pub(crate) fn plugin(&self) -> Client<crisp_client::tier::Dynamic> {
        self.client(Tier::Plugin, PLUGIN)
    }

    /// Creates a conversation on the seeded website with the plugin client; returns its
    /// session id.
    pub(crate) async fn new_conversation(&self) -> String {
        self.plugin()
            .website_conversation()
            .create_new_conversation(crisp_sandbox::state::SEED_WEBSITE_ID)
            .await
            .expect("create a conversation")
            .session_id
            .expect("a session id")
    }

    /// The user client.
    pub(crate) fn user(&self) -> Client<crisp_client::tier::Dynamic> {
        self.client(Tier::User, USER)
    }

    /// Stops the sandbox as Ctrl-C would, and returns the state it ended with (and saved).
    pub(crate) async fn stop(self) -> State {
        let _ = self.stop.send(());
        tokio::time::timeout(STOP_TIMEOUT, self.task)
            .await
            .expect("the sandbox stops in time")
            .expect("the sandbox task does not panic")
            .expect("the sandbox stops cleanly")
    }
}

/// A message from `from` with text `text`, as the client sends it.
pub(crate) fn text_message(from: &str, text: &str) -> ConversationMessageNew {
    serde_json::from_value(json!({"type": "text", "from": from, "origin": "chat", "content": text}))
        .expect("a text message")
}

/// The status and reason of a failed call.
pub(super) fn failure(error: &Error) -> (u16, &str) {
    (
        error.status().map_or(0, |status| status.as_u16()),
        error.reason().map_or("", crisp_client::Reason::as_str),
    )
}

/// A caller for calling [`Examples`] directly.
pub(super) fn example_caller() -> Caller {
    Caller::new("example", Tier::User)
}
