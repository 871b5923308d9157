//! The HTTP client core shared by every operation of the generated client crate.
//!
//! Generated operation methods encode their path and query with
//! [`encode_path_segment`], [`encode_path`] and [`QueryPairs`], serialize their
//! body with [`json_body`], and hand the request to [`ClientCore`], which adds
//! Crisp's authentication headers, unwraps the [`Envelope`](crate::Envelope)
//! and maps failures to [`Error`].

mod core;
mod credentials;
mod encode;
mod error;

pub use self::core::{ClientCore, DEFAULT_BASE_URL};
pub use self::credentials::Credentials;
pub use self::encode::{HeaderPairs, QueryPairs, encode_path, encode_path_segment, json_body};
pub use self::error::Error;
