//! JSON decoding that remembers where it failed, shared by the client and the server.

use serde::de::DeserializeOwned;

/// A JSON decoding failure and the path where it happened.
#[cfg_attr(not(any(feature = "client", feature = "server")), allow(dead_code))]
pub(crate) struct PathError {
    /// The path that failed, such as `data.items[1].id`, or `.` for the whole document.
    pub(crate) path: String,
    /// What went wrong there.
    pub(crate) error: serde_json::Error,
}

/// Decodes one JSON document (trailing whitespace only) and reports the failing path.
///
/// Tracking the path costs about half as much again as decoding, so the document is
/// decoded plainly first, and only a failure is decoded again to find where it failed.
#[cfg_attr(not(any(feature = "client", feature = "server")), allow(dead_code))]
pub(crate) fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, PathError> {
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| PathError {
        path: render(error.path()),
        error: error.into_inner(),
    })?;
    // Anything after the document but whitespace is malformed JSON.
    deserializer.end().map_err(|error| PathError {
        path: ".".to_owned(),
        error,
    })?;
    Ok(value)
}

/// Decodes a JSON value into `T`, for generated code that reads a value twice (a union
/// tagged by a property reads the tag, then the variant).
///
/// A failure keeps the path inside the value, so a request body error still names the
/// field: "at `content.url`: invalid type: integer `1`, expected a string".
pub fn from_value<T: DeserializeOwned, E: serde::de::Error>(
    value: serde_json::Value,
) -> Result<T, E> {
    from_value_at(value, "")
}

/// Like [`from_value`], for a value found at `root` of a larger document: the failing path
/// starts there ("at `data.user.nickname`: …" for a `root` of `data`).
///
/// When the failure comes from a nested [`from_value`] (a tagged union inside the value), its
/// path is joined to the outer one, so the message names one full path.
pub fn from_value_at<T: DeserializeOwned, E: serde::de::Error>(
    value: serde_json::Value,
    root: &str,
) -> Result<T, E> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let mut path = join(root, &render(error.path()));
        let mut message = error.into_inner().to_string();
        if let Some((inner, rest)) = nested(&message) {
            path = join(&path, inner);
            message = rest.to_owned();
        }
        if path.is_empty() {
            E::custom(message)
        } else {
            E::custom(format!("at `{path}`: {message}"))
        }
    })
}

/// Like [`from_value_at`], for a value the caller keeps: decodes from the borrowed value
/// plainly first, and only a failure is decoded again (from a copy) to name the path that
/// failed. Generated code uses it where a value that does not decode is kept as it came (an
/// event whose `data` does not fit its payload type).
pub fn from_value_ref_at<T: DeserializeOwned, E: serde::de::Error>(
    value: &serde_json::Value,
    root: &str,
) -> Result<T, E> {
    match T::deserialize(value) {
        Ok(decoded) => Ok(decoded),
        Err(_) => from_value_at(value.clone(), root),
    }
}

/// Logs, at warn, that the `data` of the known event `event` did not fit its payload type
/// and is kept as it came (`Event::Undecoded` of the generated models). Only the event and
/// the path that failed are logged: the rest of `error` may quote the payload.
#[doc(hidden)]
pub fn warn_undecoded_event(event: &str, error: &str) {
    let path = nested(error).map_or("data", |(path, _)| path);
    tracing::warn!(
        target: "crisp_models",
        event,
        path,
        "an event's data does not fit its type in this version; it is kept as Event::Undecoded"
    );
}

/// Joins two rendered paths; `.` and the empty string stand for "here".
fn join(outer: &str, inner: &str) -> String {
    let outer = if outer == "." { "" } else { outer };
    let inner = if inner == "." { "" } else { inner };
    if outer.is_empty() {
        inner.to_owned()
    } else if inner.is_empty() {
        outer.to_owned()
    } else if inner.starts_with('[') {
        format!("{outer}{inner}")
    } else {
        format!("{outer}.{inner}")
    }
}

/// Splits the message of a nested [`from_value_at`] failure ("at `path`: message") into its
/// path and its message.
fn nested(message: &str) -> Option<(&str, &str)> {
    let rest = message.strip_prefix("at `")?;
    let (path, message) = rest.split_once("`: ")?;
    Some((path, message))
}

/// Renders a path like `serde_path_to_error` does (`data.items[1].id`), but
/// drops trailing unknown segments (`?`), which a syntax error inside an object
/// leaves behind; an empty path is `.`.
fn render(path: &serde_path_to_error::Path) -> String {
    use std::fmt::Write as _;

    use serde_path_to_error::Segment;

    let segments: Vec<&Segment> = path.iter().collect();
    let known = segments
        .iter()
        .rposition(|segment| !matches!(segment, Segment::Unknown))
        .map_or(0, |last| last + 1);
    if known == 0 {
        return ".".to_owned();
    }
    let mut rendered = String::new();
    for (index, segment) in segments.iter().take(known).enumerate() {
        if index > 0 && !matches!(segment, Segment::Seq { .. }) {
            rendered.push('.');
        }
        // Writing to a `String` cannot fail.
        let _ = write!(rendered, "{segment}");
    }
    rendered
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code, reason = "The field is only decoded.")]
    struct Outer {
        items: Vec<Inner>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code, reason = "The field is only decoded.")]
    struct Inner {
        id: u32,
    }

    #[derive(Debug)]
    #[allow(dead_code, reason = "The value is only decoded.")]
    enum Tagged {
        Inner(Inner),
    }

    impl<'de> serde::Deserialize<'de> for Tagged {
        fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            let value = <serde_json::Value as serde::Deserialize>::deserialize(deserializer)?;
            from_value(value).map(Tagged::Inner)
        }
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code, reason = "The field is only decoded.")]
    struct Holder {
        tagged: Vec<Tagged>,
    }

    fn message<T: DeserializeOwned + std::fmt::Debug>(
        value: serde_json::Value,
        root: &str,
    ) -> String {
        from_value_at::<T, serde_json::Error>(value, root)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn values_name_the_path_below_their_root() {
        use serde_json::json;

        assert_eq!(
            message::<Inner>(json!({"id": "x"}), ""),
            "at `id`: invalid type: string \"x\", expected u32"
        );
        assert_eq!(
            message::<Inner>(json!({"id": "x"}), "data"),
            "at `data.id`: invalid type: string \"x\", expected u32"
        );
        assert_eq!(
            message::<Inner>(json!("x"), "data"),
            "at `data`: invalid type: string \"x\", expected struct Inner"
        );
        assert_eq!(
            message::<Inner>(json!("x"), ""),
            "invalid type: string \"x\", expected struct Inner"
        );
        assert_eq!(
            message::<Vec<Inner>>(json!([{"id": 1}, {}]), "data"),
            "at `data[1]`: missing field `id`"
        );
        // A nested decode (a tagged union) joins its path to the outer one.
        assert_eq!(
            message::<Holder>(json!({"tagged": [{"id": 1}, {"id": true}]}), "data"),
            "at `data.tagged[1].id`: invalid type: boolean `true`, expected u32"
        );
        assert_eq!(
            message::<Tagged>(json!({"id": true}), ""),
            "at `id`: invalid type: boolean `true`, expected u32"
        );
    }

    #[test]
    fn borrowed_values_decode_and_name_the_path_like_owned_ones() {
        use serde_json::json;

        let value = json!({"items": [{"id": 1}, {"id": "x"}]});
        let error = from_value_ref_at::<Outer, serde_json::Error>(&value, "data").unwrap_err();
        assert_eq!(
            error.to_string(),
            "at `data.items[1].id`: invalid type: string \"x\", expected u32"
        );
        let value = json!({"items": [{"id": 1}]});
        let decoded =
            from_value_ref_at::<Outer, serde_json::Error>(&value, "data").expect("decodes");
        assert_eq!(decoded.items.len(), 1);
    }

    #[test]
    fn reports_the_failing_path() {
        let error = from_slice::<Outer>(br#"{"items":[{"id":1},{"id":"x"}]}"#).unwrap_err();
        assert_eq!(error.path, "items[1].id");
        let error = from_slice::<Outer>(br#"{"items":[]} x"#).unwrap_err();
        assert_eq!(error.path, ".");
        assert!(from_slice::<Outer>(b"{\"items\":[]} \n").is_ok());
        let error = from_slice::<Outer>(b"{").unwrap_err();
        assert_eq!(error.path, ".");
        let error = from_slice::<Outer>(br#"{"items":[{"id":1},{"#).unwrap_err();
        assert_eq!(error.path, "items[1]");
        let error = from_slice::<Vec<Outer>>(br#"[{"items":[]},{"items":"x"}]"#).unwrap_err();
        assert_eq!(error.path, "[1].items");
    }
}
