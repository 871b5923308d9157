//! Support of the generated axum server: errors, credentials, scopes and limits.
//!
//! What an implementor of the generated server traits meets is documented here: the
//! [`ApiError`] every failure is (rendered as a Crisp error envelope), the [`Caller`] and its
//! [`Credentials`], [`Scopes`] and [`Access`], the [`Authenticate`] trait with
//! [`StaticTokens`], and the [`Limits`] of the router. Generated handlers also extract the raw
//! parts of each request, turn them into typed values, check the caller and answer with the
//! envelope, through helpers that are public for the generated code only, hidden from this
//! documentation and outside the semver promise.

mod assemble;
mod auth;
mod authz;
mod body;
mod error;
mod harden;
mod params;
mod response;

pub use self::auth::{Authenticate, Caller, StaticTokens, credentials_from_headers};
pub use self::error::ApiError;
pub use self::harden::Limits;
pub use crate::Credentials;
pub use crate::{Access, Scopes};
// For the generated server only.
#[doc(hidden)]
pub use self::assemble::{Ctx, Routes, assemble};
#[doc(hidden)]
pub use self::auth::authenticate;
#[doc(hidden)]
pub use self::authz::authorize;
#[doc(hidden)]
pub use self::body::{JsonKind, decode_json_body, decode_optional_json_body};
#[doc(hidden)]
pub use self::harden::{harden, record_operation};
#[doc(hidden)]
pub use self::params::{PathParams, QueryParams, header_string};
#[doc(hidden)]
pub use self::response::{
    method_not_allowed_fallback, not_found_fallback, respond, respond_empty, respond_head,
};

#[cfg(test)]
mod tests;
