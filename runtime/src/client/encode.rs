//! Encoding of request paths and query strings (a JSON body is encoded by `Call::json`).

use std::fmt::Display;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;

/// Characters kept as they are in one path segment: RFC 3986 unreserved
/// characters and `@`; everything else, `/` included, is percent-encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

/// Like [`SEGMENT`], but `/` is kept so a value can span several segments.
const PATH: &AsciiSet = &SEGMENT.remove(b'/');

/// Percent-encodes a value for use as exactly one path segment.
///
/// RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`) and `@` are kept;
/// everything else, including `/`, `?`, `#`, `%` and space, is encoded as UTF-8
/// percent escapes.
///
/// ```
/// use crisp_runtime::client::encode_path_segment;
///
/// assert_eq!(encode_path_segment("john@doe.com"), "john@doe.com");
/// assert_eq!(encode_path_segment("a/b c?"), "a%2Fb%20c%3F");
/// ```
pub fn encode_path_segment(value: &str) -> String {
    utf8_percent_encode(value, SEGMENT).to_string()
}

/// Percent-encodes a value that may span several path segments: like
/// [`encode_path_segment`], but `/` is kept.
///
/// ```
/// use crisp_runtime::client::encode_path;
///
/// assert_eq!(encode_path("docs/getting started"), "docs/getting%20started");
/// ```
pub fn encode_path(value: &str) -> String {
    utf8_percent_encode(value, PATH).to_string()
}

/// The query parameters of one request, in the order they were pushed.
///
/// Values are stored unencoded; [`ClientCore`](super::ClientCore) form-encodes
/// them (`application/x-www-form-urlencoded`, space as `+`) when it builds the URL.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryPairs {
    pairs: Vec<(String, String)>,
    /// The first value [`QueryPairs::push_json`] could not serialize, as a message.
    failure: Option<String>,
}

impl QueryPairs {
    /// Creates an empty set of query parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a string parameter.
    pub fn push_str(&mut self, name: &str, value: &str) {
        self.pairs.push((name.to_owned(), value.to_owned()));
    }

    /// Appends a parameter rendered with its `Display` implementation (numbers, enums).
    pub fn push_display(&mut self, name: &str, value: &impl Display) {
        self.pairs.push((name.to_owned(), value.to_string()));
    }

    /// Appends a boolean parameter as `1` or `0`, as Crisp expects.
    pub fn push_bool(&mut self, name: &str, value: bool) {
        let value = if value { "1" } else { "0" };
        self.push_str(name, value);
    }

    /// Appends a structured parameter the way the official Crisp clients send
    /// it: objects, arrays, numbers and booleans as JSON text
    /// (`filter={"a":1}`), and a value that serializes to a plain string as that
    /// string, unquoted (a `oneOf` of a string and an array sends either form).
    ///
    /// The server side decodes both forms with `QueryParams::required_json`.
    ///
    /// A value that cannot be serialized as JSON is left out and its error kept (see
    /// [`QueryPairs::failure`]): a [`Call`](super::Call) given these pairs fails with
    /// [`Error::Encode`](super::Error::Encode) when it is sent.
    pub fn push_json<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) {
        match serde_json::to_value(value) {
            Ok(json) => {
                let text = match json {
                    serde_json::Value::String(text) => text,
                    other => other.to_string(),
                };
                self.pairs.push((name.to_owned(), text));
            }
            Err(error) => {
                if self.failure.is_none() {
                    self.failure = Some(format!("parameter `{name}`: {error}"));
                }
            }
        }
    }

    /// Why a value given to [`QueryPairs::push_json`] was left out, if one was: the first
    /// such failure.
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    pub(crate) fn take_failure(&mut self) -> Option<String> {
        self.failure.take()
    }

    /// Returns `true` if no parameter was pushed.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Iterates over the `(name, value)` pairs in the order they were pushed.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }

    /// Renders the pairs as a form-urlencoded query string, without the `?`.
    pub(crate) fn to_query_string(&self) -> String {
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        for (name, value) in self.iter() {
            serializer.append_pair(name, value);
        }
        serializer.finish()
    }
}

/// The header parameters of one request, encoded like query values (booleans as
/// `1`/`0`, objects and arrays as JSON).
pub type HeaderPairs = QueryPairs;

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn segment_encoding_keeps_unreserved_and_at() {
        assert_eq!(encode_path_segment("AZaz09-._~@"), "AZaz09-._~@");
        assert_eq!(encode_path_segment("a/b?c#d%e f"), "a%2Fb%3Fc%23d%25e%20f");
        assert_eq!(encode_path_segment("é+&="), "%C3%A9%2B%26%3D");
        assert_eq!(encode_path_segment(""), "");
    }

    #[test]
    fn path_encoding_keeps_slashes() {
        assert_eq!(encode_path("a/b c/d?"), "a/b%20c/d%3F");
    }

    #[test]
    fn query_pairs_encode_in_order() {
        let mut query = QueryPairs::new();
        assert!(query.is_empty());
        query.push_str("search", "a b&c=d");
        query.push_display("page", &3);
        query.push_bool("unread", true);
        query.push_bool("resolved", false);
        query.push_json("filter", &BTreeMap::from([("x", vec![1, 2])]));
        assert_eq!(query.failure(), None);
        assert!(!query.is_empty());
        assert_eq!(
            query.to_query_string(),
            "search=a+b%26c%3Dd&page=3&unread=1&resolved=0&filter=%7B%22x%22%3A%5B1%2C2%5D%7D"
        );
        let names: Vec<&str> = query.iter().map(|(name, _)| name).collect();
        assert_eq!(names, ["search", "page", "unread", "resolved", "filter"]);
    }

    #[test]
    fn a_query_value_that_does_not_serialize_is_left_out_and_kept_as_the_failure() {
        let bad = BTreeMap::from([((1, 2), 3)]);
        let mut query = QueryPairs::new();
        query.push_json("filter", &bad);
        query.push_str("page", "1");
        query.push_json("other", &bad);
        assert_eq!(
            query.failure(),
            Some("parameter `filter`: key must be a string")
        );
        let names: Vec<&str> = query.iter().map(|(name, _)| name).collect();
        assert_eq!(names, ["page"]);
    }
}
