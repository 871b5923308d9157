//! Path parameters, query parameters and headers, turned into typed values.

use std::str::FromStr;

use axum::extract::RawPathParams;
use axum::extract::rejection::RawPathParamsRejection;
use http::HeaderMap;
use serde::de::DeserializeOwned;

use super::ApiError;

/// How many characters of a rejected value an error message repeats.
const VALUE_IN_MESSAGE_CHARS: usize = 64;

/// The path parameters of a request, percent-decoded.
///
/// Built from axum's [`RawPathParams`], which already percent-decodes each
/// value (`john%40doe%20x` → `john@doe x`; `+` stays `+` in a path).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PathParams {
    params: Vec<(String, String)>,
}

impl PathParams {
    /// Takes the result of the `RawPathParams` extractor.
    ///
    /// # Errors
    ///
    /// 400 `invalid_data` if a value is not valid UTF-8 once decoded; 500
    /// `internal_error` if the route has no path parameters at all (a bug in the
    /// router, not in the request).
    pub fn from_raw(raw: Result<RawPathParams, RawPathParamsRejection>) -> Result<Self, ApiError> {
        match raw {
            Ok(raw) => Ok(Self {
                params: raw
                    .iter()
                    .map(|(name, value)| (name.to_owned(), value.to_owned()))
                    .collect(),
            }),
            Err(RawPathParamsRejection::InvalidUtf8InPathParam(rejection)) => Err(
                ApiError::invalid_data(format!("path parameter: {}", rejection.body_text())),
            ),
            Err(rejection) => Err(ApiError::internal(format!(
                "the route has no path parameters: {}",
                rejection.body_text()
            ))),
        }
    }

    /// Returns a parameter as a string.
    ///
    /// # Errors
    ///
    /// 500 `internal_error` if the route has no such parameter (a bug in the
    /// server, not in the request).
    pub fn string(&self, name: &str) -> Result<String, ApiError> {
        self.get(name).map(str::to_owned)
    }

    /// Parses a parameter with its `FromStr` implementation.
    ///
    /// # Errors
    ///
    /// 400 `invalid_data` naming the parameter and the value if it does not
    /// parse; 500 `internal_error` if the route has no such parameter.
    pub fn parse<T: FromStr>(&self, name: &str) -> Result<T, ApiError> {
        let value = self.get(name)?;
        value.parse().map_err(|_| {
            ApiError::invalid_data(format!(
                "path parameter `{name}` must be {}, got `{}`",
                expected::<T>(),
                shorten(value)
            ))
        })
    }

    /// Returns a parameter's value, or a 500 if the route does not define it.
    fn get(&self, name: &str) -> Result<&str, ApiError> {
        self.params
            .iter()
            .find(|(candidate, _)| candidate == name)
            .map(|(_, value)| value.as_str())
            .ok_or_else(|| ApiError::internal(format!("the route has no path parameter `{name}`")))
    }
}

/// The query parameters of a request, form-urlencoded (`+` is a space).
///
/// When a parameter is repeated, the last occurrence wins. Invalid UTF-8 in
/// the query is replaced with U+FFFD rather than rejected.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryParams {
    pairs: Vec<(String, String)>,
}

impl QueryParams {
    /// Parses the raw query string (without `?`), as given by `Uri::query`.
    ///
    /// # Errors
    ///
    /// None today: every query string parses; the `Result` leaves room for limits.
    pub fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        let pairs = raw
            .map(|raw| {
                form_urlencoded::parse(raw.as_bytes())
                    .map(|(name, value)| (name.into_owned(), value.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self { pairs })
    }

    /// Returns a parameter's value, the last one if it is repeated.
    fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(candidate, _)| candidate == name)
            .map(|(_, value)| value.as_str())
    }

    /// Returns a parameter's value, or a 400 if it is missing.
    fn require(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name)
            .ok_or_else(|| ApiError::invalid_data(format!("missing query parameter `{name}`")))
    }

    /// Returns a required string parameter.
    ///
    /// # Errors
    ///
    /// 400 `invalid_data` if it is missing.
    pub fn required_string(&self, name: &str) -> Result<String, ApiError> {
        self.require(name).map(str::to_owned)
    }

    /// Returns an optional string parameter.
    ///
    /// # Errors
    ///
    /// None today; the `Result` keeps every accessor alike.
    pub fn optional_string(&self, name: &str) -> Result<Option<String>, ApiError> {
        Ok(self.get(name).map(str::to_owned))
    }

    /// Parses a required parameter with its `FromStr` implementation.
    ///
    /// # Errors
    ///
    /// 400 `invalid_data` if it is missing or does not parse.
    pub fn required_parse<T: FromStr>(&self, name: &str) -> Result<T, ApiError> {
        parse_query_value(name, self.require(name)?)
    }

    /// Parses an optional parameter with its `FromStr` implementation.
    ///
    /// # Errors
    ///
    /// 400 `invalid_data` if it is present but does not parse (an empty value
    /// is parsed like any other).
    pub fn optional_parse<T: FromStr>(&self, name: &str) -> Result<Option<T>, ApiError> {
        self.get(name)
            .map(|value| parse_query_value(name, value))
            .transpose()
    }

    /// Returns a required boolean: `1`, `0`, `true` or `false` (any case).
    ///
    /// # Errors
    ///
    /// 400 `invalid_data` if it is missing or not one of those.
    pub fn required_bool(&self, name: &str) -> Result<bool, ApiError> {
        parse_bool(name, self.require(name)?)
    }

    /// Returns an optional boolean: `1`, `0`, `true` or `false` (any case).
    ///
    /// # Errors
    ///
    /// 400 `invalid_data` if it is present but not one of those.
    pub fn optional_bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        self.get(name)
            .map(|value| parse_bool(name, value))
            .transpose()
    }

    /// Decodes a required parameter whose value is JSON text (an object or an
    /// array, as the Crisp clients send them).
    ///
    /// # Errors
    ///
    /// 400 `invalid_data` if it is missing or does not decode; the message names
    /// the parameter and the JSON path that failed.
    pub fn required_json<T: DeserializeOwned>(&self, name: &str) -> Result<T, ApiError> {
        parse_json(name, self.require(name)?)
    }

    /// Decodes an optional parameter whose value is JSON text.
    ///
    /// # Errors
    ///
    /// 400 `invalid_data` if it is present but does not decode.
    pub fn optional_json<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, ApiError> {
        self.get(name)
            .map(|value| parse_json(name, value))
            .transpose()
    }
}

/// Returns a header's value, or `None` if the header is absent.
///
/// # Errors
///
/// 400 `invalid_data` if the value is not valid UTF-8.
pub fn header_string(headers: &HeaderMap, name: &str) -> Result<Option<String>, ApiError> {
    headers
        .get(name)
        .map(|value| {
            std::str::from_utf8(value.as_bytes())
                .map(str::to_owned)
                .map_err(|_| ApiError::invalid_data(format!("header `{name}` is not valid UTF-8")))
        })
        .transpose()
}

/// Parses a query value with `FromStr`, naming the parameter on failure.
fn parse_query_value<T: FromStr>(name: &str, value: &str) -> Result<T, ApiError> {
    value.parse().map_err(|_| {
        ApiError::invalid_data(format!(
            "query parameter `{name}` must be {}, got `{}`",
            expected::<T>(),
            shorten(value)
        ))
    })
}

/// Parses a boolean query value the way Crisp sends them.
fn parse_bool(name: &str, value: &str) -> Result<bool, ApiError> {
    if value == "1" || value.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if value == "0" || value.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(ApiError::invalid_data(format!(
            "query parameter `{name}` must be 1, 0, true or false, got `{}`",
            shorten(value)
        )))
    }
}

/// Decodes a JSON query value, naming the parameter and the failing path.
///
/// A value that is not JSON text is read as a JSON string, since clients send a
/// plain string unquoted (see `QueryPairs::push_json`).
///
/// A value that is JSON but does not fit `T` (the text search `12345`) is tried as a
/// string too before the JSON error is reported.
fn parse_json<T: DeserializeOwned>(name: &str, value: &str) -> Result<T, ApiError> {
    let quoted = serde_json::Value::String(value.to_owned()).to_string();
    if serde_json::from_str::<serde::de::IgnoredAny>(value).is_err() {
        return parse_json_text(name, &quoted);
    }
    parse_json_text(name, value).or_else(|error| parse_json_text(name, &quoted).map_err(|_| error))
}

/// Decodes JSON text, naming the parameter and the JSON path that failed.
fn parse_json_text<T: DeserializeOwned>(name: &str, value: &str) -> Result<T, ApiError> {
    crate::json::from_slice(value.as_bytes()).map_err(|crate::json::PathError { path, error }| {
        let location = if path == "." {
            String::new()
        } else {
            format!(" at `{path}`")
        };
        ApiError::invalid_data(format!(
            "query parameter `{name}` is not valid JSON{location}: {error}"
        ))
    })
}

/// Describes what a `FromStr` type expects, from its type name without module
/// paths: `u32` gives `a valid u32`, `crisp_models::Tier` gives `a valid Tier`.
pub(super) fn expected<T>() -> String {
    let full = std::any::type_name::<T>();
    let mut short = String::with_capacity(full.len());
    let mut segment = String::new();
    for character in full.chars() {
        if matches!(
            character,
            '<' | '>' | ',' | ' ' | '&' | '[' | ']' | ';' | '(' | ')'
        ) {
            short.push_str(last_path_segment(&segment));
            short.push(character);
            segment.clear();
        } else {
            segment.push(character);
        }
    }
    short.push_str(last_path_segment(&segment));
    format!("a valid {short}")
}

/// Returns the part of a Rust path after its last `::`.
fn last_path_segment(path: &str) -> &str {
    path.rsplit("::").next().unwrap_or(path)
}

/// Shortens a value repeated in an error message to a bounded, char-safe length.
fn shorten(value: &str) -> String {
    let mut chars = value.chars();
    let mut short: String = chars.by_ref().take(VALUE_IN_MESSAGE_CHARS).collect();
    if chars.next().is_some() {
        short.push('…');
    }
    short
}
