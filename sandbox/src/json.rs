//! JSON helpers the stateful areas share: encoding a model as a value, decoding one from a
//! value, and merging a partial update into a model (`merge`, `merged`).

use crisp_server::ApiError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Encodes a model as a JSON value.
///
/// # Errors
///
/// 500 `internal_error` if it does not encode (models always do).
pub(crate) fn to_value<T: Serialize>(value: &T) -> Result<Value, ApiError> {
    serde_json::to_value(value)
        .map_err(|error| ApiError::internal(format!("a value could not be encoded: {error}")))
}

/// Decodes a model from a JSON value the sandbox built.
///
/// # Errors
///
/// 400 `invalid_data` if it does not decode: the value came from the request, which the
/// router decoded already, so this means a combination the model does not accept.
pub(crate) fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    serde_json::from_value(value)
        .map_err(|error| ApiError::invalid_data(format!("invalid data: {error}")))
}

/// Merges `patch` into `base`: objects merge key by key (recursively), `null` in the patch
/// removes the key, and any other value replaces the one in `base`.
pub(crate) fn merge(base: &mut Value, patch: Value) {
    match (base, patch) {
        (Value::Object(base), Value::Object(patch)) => {
            for (key, value) in patch {
                if value.is_null() {
                    base.remove(&key);
                } else {
                    merge(base.entry(key).or_insert(Value::Null), value);
                }
            }
        }
        (base, patch) => *base = patch,
    }
}

/// `base` with `patch` merged into it (see [`merge`]), decoded back into the model.
///
/// # Errors
///
/// As [`to_value`] and [`from_value`].
pub(crate) fn merged<T: Serialize + DeserializeOwned>(
    base: &T,
    patch: &impl Serialize,
) -> Result<T, ApiError> {
    let mut value = to_value(base)?;
    merge(&mut value, to_value(patch)?);
    from_value(value)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn merging_is_deep_and_null_removes() {
        let mut base = json!({"a": 1, "b": {"c": 2, "d": 3}, "e": [1]});
        merge(
            &mut base,
            json!({"b": {"c": 4, "d": null}, "e": [2], "f": "new"}),
        );
        assert_eq!(base, json!({"a": 1, "b": {"c": 4}, "e": [2], "f": "new"}));
    }
}
