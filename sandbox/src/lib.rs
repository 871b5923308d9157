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

mod config;
mod conversations;
mod data;
mod events;
mod fallback;
pub mod ids;
mod json;
mod listing;
mod log;
mod operators;
mod people;
pub mod rtm;
mod sandbox;
mod store;
mod visitors;
pub mod webhooks;
mod websites;

// The data module's items keep the public path they had before the module was named for what
// it holds: `crisp_sandbox::state`.
pub mod state {
    //! The plain data of the stateful sandbox: [`State`], the records it is made of, the seed
    //! of a fresh sandbox ([`SEED_WEBSITE_ID`]), and saving and loading it as JSON.

    pub use crate::data::*;
}

pub use crate::config::{Config, DEFAULT_BODY_LIMIT, Mode, Token};
pub use crate::conversations::{CONVERSATIONS_PER_PAGE, MESSAGES_PER_PAGE};
pub use crate::people::{ITEMS_PER_PAGE, PROFILES_PER_PAGE};
pub use crate::rtm::RtmUrl;
pub use crate::sandbox::{Error, Sandbox, initial_state, run, serve};
pub use crate::state::{State, StateError};
pub use crate::store::Store;
pub use crate::visitors::VISITORS_PER_PAGE;
pub use crate::webhooks::{WebhookConfig, WebhookUrl};
