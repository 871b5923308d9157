//! Hand-written support code that the generated Crisp REST API crates depend on.
//!
//! The generated crates stay plain: every piece of behaviour they share (the
//! response envelope, three-state fields, the HTTP client core, request parsing
//! for the server) lives here, as ordinary reviewed Rust.
//!
//! The core of the crate needs only `serde`, `serde_json`, `serde_path_to_error` and `tracing`
//! (without its proc macros), so the generated models crate stays lean. Features add the rest:
//!
//! - `client`: the core of the generated client, which sends requests with Crisp's
//!   authentication, retries and unwraps the envelope, and the typed [`client::Error`].
//! - `server`: the core of the generated axum server: [`server::ApiError`], credentials,
//!   scopes and limits, and the extraction and envelope answers of its handlers.
//! - `rtm` (with `client`): [`rtm::Realtime`] and [`rtm::Subscription`], a client of Crisp's
//!   real-time API (Socket.IO over WebSocket, with rustls) that authenticates, reconnects with
//!   backoff and decodes each event.
//! - `webhook`: [`webhook::sign`] and [`webhook::Verifier`], which sign and check Crisp web
//!   hook deliveries (HMAC-SHA256 over the raw body, with a freshness window).
//! - `mcp` (with `client`): [`mcp::McpServer`], a Model Context Protocol server whose tools call
//!   the REST API within a token's tier and scopes, over standard input and output or streamable
//!   HTTP; the generated `crisp-mcp` crate gives it the spec's operations.
//! - `webhook-server` (`webhook` and `server`): `webhook::Receiver`, an axum endpoint that
//!   verifies deliveries, refuses replays and hands them to a handler on a task of its own.

mod credentials;
// For the generated models only.
#[doc(hidden)]
pub mod de;
mod delivery;
mod envelope;
mod model_macro;
// For the generated `examples` modules only.
#[doc(hidden)]
pub mod examples;
mod json;
mod patch;
mod scopes;
// For the generated models only.
#[doc(hidden)]
pub mod ser;
#[cfg(test)]
mod test_tracing;
mod tier;

#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "mcp")]
pub mod mcp;
#[cfg(feature = "rtm")]
pub mod rtm;
#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "webhook")]
pub mod webhook;

pub use credentials::Credentials;
pub use delivery::{DecodeEvent, Delivery};
pub use envelope::{Envelope, Reason};
// For the generated crates only.
#[doc(hidden)]
pub use json::{from_value, from_value_at, from_value_ref_at, warn_undecoded_event};
pub use patch::Patch;
pub use scopes::{Access, Scopes};
pub use tier::{ParseTierError, Tier};
