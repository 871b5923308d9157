//! `crisp-sandbox` end to end: the generated client (or plain `reqwest`, when the wire itself
//! is under test) against a sandbox served on `127.0.0.1:0`.
//!
//! Each test runs its own sandbox through `crisp_sandbox::run`, the function the binary runs,
//! and stops it through the shutdown future, so the `--state` file is written exactly as on
//! Ctrl-C. State is carried across calls: what one call creates, the next one reads.
//!
//! - [`harness`]: the test sandbox's tokens and configuration, and [`Running`], which other
//!   test modules (real-time, web hooks, bots) start sandboxes with too.
//! - [`conversations`], [`people`], [`websites`]: what the stateful mode keeps, area by area.
//! - [`examples`]: examples mode, and the examples the stateful mode falls back to.
//! - [`rejections`]: bad requests get Crisp's error envelopes, never a server error.
//! - [`state_file`]: the `--state` file carries the state across restarts.

mod conversations;
mod examples;
mod harness;
mod people;
mod rejections;
mod state_file;
mod websites;

pub(crate) use harness::{PLUGIN, Running, USER, config, text_message};
