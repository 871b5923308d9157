//! Spec examples at run time: decoding them into typed values and comparing JSON documents.
//!
//! The generated `examples` modules (behind the `examples` feature of the client and server
//! crates) embed each operation's example inputs and answer as JSON text; these helpers turn
//! that text into typed values and say where two documents differ.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Decodes the example `json` of one input (`what`) of `operation` into its type.
///
/// # Errors
///
/// A message naming the operation, the input and the JSON path that failed.
pub fn decode<T: DeserializeOwned>(operation: &str, what: &str, json: &str) -> Result<T, String> {
    let value: Value = serde_json::from_str(json)
        .map_err(|error| format!("{operation}: the example of {what} is not JSON: {error}"))?;
    crate::json::from_value::<T, serde_json::Error>(value)
        .map_err(|error| format!("{operation}: the example of {what} does not decode: {error}"))
}

/// Serializes a typed value back to JSON for a comparison.
///
/// # Errors
///
/// A message naming the operation and what failed to serialize.
pub fn encode<T: Serialize + ?Sized>(
    operation: &str,
    what: &str,
    value: &T,
) -> Result<Value, String> {
    serde_json::to_value(value)
        .map_err(|error| format!("{operation}: {what} does not serialize: {error}"))
}

/// Checks that `actual` says what the example `expected` says.
///
/// Objects match when every key of `expected` matches in `actual`, and every other key of
/// `actual` is `null` (a field the example left out and the type keeps as `None`). Numbers
/// match by value, so `1` and `1.0` are equal, and floats to about seven significant digits
/// (the precision of an `f32`). Arrays match item by item.
///
/// # Errors
///
/// A message naming the operation, `what` was compared, and the first JSON path that differs.
pub fn check_matches(
    operation: &str,
    what: &str,
    expected: &str,
    actual: &Value,
) -> Result<(), String> {
    let expected: Value = serde_json::from_str(expected)
        .map_err(|error| format!("{operation}: the example of {what} is not JSON: {error}"))?;
    match first_difference(&expected, actual, String::new()) {
        None => Ok(()),
        Some(difference) => Err(format!(
            "{operation}: {what} differs from the example {difference}"
        )),
    }
}

/// Builds a JSON object from named parts, leaving out parts that are `None`.
pub fn object(parts: Vec<(&str, Option<Value>)>) -> Value {
    Value::Object(
        parts
            .into_iter()
            .filter_map(|(name, value)| value.map(|value| (name.to_owned(), value)))
            .collect(),
    )
}

fn first_difference(expected: &Value, actual: &Value, path: String) -> Option<String> {
    let at = |path: &str| {
        if path.is_empty() {
            ".".to_owned()
        } else {
            path.to_owned()
        }
    };
    match (expected, actual) {
        (Value::Object(expected), Value::Object(actual)) => {
            for (key, value) in expected {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match actual.get(key) {
                    Some(found) => {
                        if let Some(difference) = first_difference(value, found, child) {
                            return Some(difference);
                        }
                    }
                    None if value.is_null() => {}
                    None => {
                        return Some(format!(
                            "at `{child}`: missing, expected {}",
                            excerpt(value)
                        ));
                    }
                }
            }
            for (key, value) in actual {
                if !expected.contains_key(key) && !value.is_null() {
                    let child = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    return Some(format!(
                        "at `{child}`: {} is not in the example",
                        excerpt(value)
                    ));
                }
            }
            None
        }
        (Value::Array(expected), Value::Array(actual)) => {
            if expected.len() != actual.len() {
                return Some(format!(
                    "at `{}`: {} items, expected {}",
                    at(&path),
                    actual.len(),
                    expected.len()
                ));
            }
            expected
                .iter()
                .zip(actual)
                .enumerate()
                .find_map(|(index, (e, a))| first_difference(e, a, format!("{path}[{index}]")))
        }
        (Value::Number(e), Value::Number(a)) => {
            let same = match (e.as_i64(), a.as_i64(), e.as_u64(), a.as_u64()) {
                (Some(e), Some(a), _, _) => e == a,
                (_, _, Some(e), Some(a)) => e == a,
                // Floats may have travelled as `f32`: equal to about seven significant digits.
                _ => match (e.as_f64(), a.as_f64()) {
                    (Some(e), Some(a)) => (e - a).abs() <= 1e-6 * e.abs().max(a.abs()).max(1.0),
                    _ => false,
                },
            };
            (!same).then(|| format!("at `{}`: {a}, expected {e}", at(&path)))
        }
        (expected, actual) if expected == actual => None,
        (expected, actual) => Some(format!(
            "at `{}`: {}, expected {}",
            at(&path),
            excerpt(actual),
            excerpt(expected)
        )),
    }
}

/// A short rendering of a value for a message.
fn excerpt(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn matching_ignores_number_forms_and_absent_nulls() {
        let actual =
            json!({"a": 1.0, "b": [1, 2], "c": null, "d": {"e": "x"}, "f": 47.21839904785156});
        assert_eq!(
            check_matches(
                "op",
                "data",
                r#"{"a": 1, "b": [1, 2], "d": {"e": "x"}, "f": 47.2184}"#,
                &actual
            ),
            Ok(())
        );
        assert!(
            check_matches(
                "op",
                "data",
                r#"{"f": 47.2}"#,
                &json!({"f": 47.21839904785156})
            )
            .is_err()
        );
    }

    #[test]
    fn differences_name_their_path() {
        let actual = json!({"a": {"b": [1, 3]}});
        let error = check_matches("op", "data", r#"{"a": {"b": [1, 2]}}"#, &actual).unwrap_err();
        assert_eq!(
            error,
            "op: data differs from the example at `a.b[1]`: 3, expected 2"
        );
        let error =
            check_matches("op", "data", r#"{"a": 1}"#, &json!({"a": 1, "z": true})).unwrap_err();
        assert!(error.contains("`z`"), "{error}");
        let error =
            check_matches("op", "data", r#"{"a": 1, "y": 2}"#, &json!({"a": 1})).unwrap_err();
        assert!(error.contains("`y`: missing"), "{error}");
    }

    #[test]
    fn decode_names_the_input() {
        let error = decode::<u32>("op", "page_number", "\"x\"").unwrap_err();
        assert!(
            error.starts_with("op: the example of page_number does not decode"),
            "{error}"
        );
        assert_eq!(decode::<u32>("op", "page_number", "3"), Ok(3));
        assert_eq!(
            object(vec![("a", Some(json!(1))), ("b", None)]),
            json!({"a": 1})
        );
    }
}
