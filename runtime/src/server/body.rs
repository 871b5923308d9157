//! JSON request bodies, decoded with errors that name the failing field.

use axum::extract::rejection::BytesRejection;
use bytes::Bytes;
use http::StatusCode;
use serde::de::DeserializeOwned;

use super::ApiError;

/// The JSON kind a body must have at its top level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonKind {
    /// An object: `{…}`. serde would otherwise read a struct from an array of its fields.
    Object,
    /// An array: `[…]`.
    Array,
    /// Whatever the type decodes from (unions, strings, numbers).
    Any,
}

impl JsonKind {
    /// Checks the first significant byte of a body against the kind.
    fn check(self, body: &[u8]) -> Result<(), ApiError> {
        let first = body
            .iter()
            .find(|byte| !matches!(byte, b' ' | b'\t' | b'\n' | b'\r'));
        let (expected, wanted) = match self {
            JsonKind::Object => (b'{', "a JSON object"),
            JsonKind::Array => (b'[', "a JSON array"),
            JsonKind::Any => return Ok(()),
        };
        match first {
            Some(byte) if *byte == expected => Ok(()),
            _ => Err(ApiError::invalid_data(format!(
                "invalid request body: expected {wanted}"
            ))),
        }
    }
}

/// Decodes a required JSON request body, from the result of the `Bytes` extractor.
///
/// The body must be of `kind` at its top level (an array or a string where an object is
/// wanted is refused). The `Content-Type` header is not checked: Crisp clients always send
/// JSON.
///
/// # Errors
///
/// - 413 `payload_too_large` if the body exceeds the router's
///   `DefaultBodyLimit`;
/// - 400 `invalid_data` if the body could not be read, is empty (`missing
///   request body`), or does not decode; the message then names the field path,
///   as in ``invalid request body at `content.url`: invalid type: integer `1`,
///   expected a string at line 1 column 20``.
pub fn decode_json_body<T: DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
    kind: JsonKind,
) -> Result<T, ApiError> {
    let body = read(body)?;
    if is_blank(&body) {
        return Err(ApiError::invalid_data("missing request body"));
    }
    kind.check(&body)?;
    decode(&body)
}

/// Decodes an optional JSON request body: an empty (or all-whitespace) body is `None`.
///
/// # Errors
///
/// As [`decode_json_body`], except that an empty body is not an error.
pub fn decode_optional_json_body<T: DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
    kind: JsonKind,
) -> Result<Option<T>, ApiError> {
    let body = read(body)?;
    if is_blank(&body) {
        return Ok(None);
    }
    kind.check(&body)?;
    decode(&body).map(Some)
}

/// Maps a body rejection to an error: 413 for the length limit, 400 otherwise.
fn read(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::payload_too_large("the request body is larger than this server accepts")
        } else {
            ApiError::invalid_data(format!(
                "the request body could not be read: {}",
                rejection.body_text()
            ))
        }
    })
}

/// Returns `true` if the body holds nothing but JSON whitespace.
fn is_blank(body: &[u8]) -> bool {
    body.iter()
        .all(|byte| matches!(byte, b' ' | b'\t' | b'\n' | b'\r'))
}

/// Decodes JSON, naming the path that failed.
fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    crate::json::from_slice(body).map_err(|crate::json::PathError { path, error }| {
        if path == "." {
            ApiError::invalid_data(format!("invalid request body: {error}"))
        } else {
            ApiError::invalid_data(format!("invalid request body at `{path}`: {error}"))
        }
    })
}
