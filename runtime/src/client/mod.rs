//! The HTTP client core shared by every operation of the generated client crate.
//!
//! What a user of the generated client meets is documented here: the [`Error`] every call
//! may return, the [`RetryPolicy`], the [`Credentials`], [`ClientBuilder`] and [`ClientConfig`] a
//! client is built from, and the token [`tier`] markers. Each generated operation method encodes its
//! path, query and body, describes the request and hands it to a core that adds Crisp's
//! authentication headers, retries as the policy allows, traces the call, unwraps the
//! [`Envelope`](crate::Envelope) and maps failures to [`Error`]; those helpers are public for
//! the generated code only, hidden from this documentation and outside the semver promise.

mod builder;
mod config;
mod core;
mod encode;
mod error;
mod pages;
mod retry;
pub mod tier;

pub use self::builder::ClientBuilder;
pub use self::config::{ClientConfig, ENV_BASE_URL, ENV_IDENTIFIER, ENV_KEY, ENV_TIER};
pub use self::core::DEFAULT_BASE_URL;
pub use self::error::Error;
pub use crate::Credentials;
// For the generated client only.
#[doc(hidden)]
pub use self::builder::{FromCore, client_from_config};
#[doc(hidden)]
pub use self::core::{Call, ClientCore};
#[doc(hidden)]
pub use self::encode::{HeaderPairs, QueryPairs, encode_path, encode_path_segment};
pub use self::retry::RetryPolicy;
pub use futures_util::stream::Stream;
