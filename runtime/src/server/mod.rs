//! Helpers for the generated axum server: errors, responses, credentials and
//! request parsing.
//!
//! Generated handlers extract raw parts of the request (headers, raw path
//! parameters, the raw query string, the body as bytes), turn them into typed
//! values with [`PathParams`], [`QueryParams`], [`header_string`] and
//! [`json_body`], call the user's implementation, and answer with [`respond`],
//! [`respond_empty`] or [`respond_head`]. Every failure is an [`ApiError`],
//! rendered as a Crisp error envelope.

mod auth;
mod authz;
mod body;
mod error;
mod limits;
mod params;
mod response;

pub use self::auth::{
    Authenticate, Caller, Credentials, StaticTokens, authenticate, credentials_from_headers,
};
pub use self::authz::{Access, Scopes, authorize};
pub use self::body::{JsonKind, json_body, optional_json_body};
pub use self::error::ApiError;
pub use self::limits::{Limits, harden, record_operation};
pub use self::params::{PathParams, QueryParams, header_string};
pub use self::response::{
    method_not_allowed_fallback, not_found_fallback, respond, respond_empty, respond_head,
};

#[cfg(test)]
mod tests;
