//! The HTTP client core shared by every operation of the generated client crate.
//!
//! Generated operation methods encode their path and query with
//! [`encode_path_segment`], [`encode_path`] and [`QueryPairs`], serialize their
//! body with [`json_body`], describe the request as a [`Call`] and hand it to
//! [`ClientCore`], which adds Crisp's authentication headers, retries as the
//! [`RetryPolicy`] allows, traces the call, unwraps the
//! [`Envelope`](crate::Envelope) and maps failures to [`Error`]. Paged list
//! operations also get streams built with [`pages`] and [`history`].

mod config;
mod core;
mod credentials;
mod encode;
mod error;
mod pages;
mod retry;
pub mod tier;

pub use self::config::{ClientConfig, ENV_BASE_URL, ENV_IDENTIFIER, ENV_KEY, ENV_TIER};
pub use self::core::{Call, ClientCore, DEFAULT_BASE_URL};
pub use self::credentials::Credentials;
pub use self::encode::{HeaderPairs, QueryPairs, encode_path, encode_path_segment, json_body};
pub use self::error::Error;
pub use self::pages::{history, pages};
pub use self::retry::RetryPolicy;
pub use futures_util::stream::Stream;
