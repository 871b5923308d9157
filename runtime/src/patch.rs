//! The three-state [`Patch`] type for fields that are both optional and nullable.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A field that can be absent, explicitly `null`, or set to a value.
///
/// Crisp distinguishes a field that is left out of a request (keep the current
/// value) from one that is sent as `null` (clear it). `Option<T>` cannot say
/// both, so generated models use `Patch<T>` with
/// `#[serde(default, skip_serializing_if = "crisp_runtime::Patch::is_absent")]`:
///
/// - a missing field deserializes to [`Patch::Absent`] (through `default`) and is
///   skipped when serializing;
/// - `null` round-trips as [`Patch::Null`];
/// - any other value round-trips as [`Patch::Value`].
///
/// ```
/// use crisp_runtime::Patch;
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Update {
///     #[serde(default, skip_serializing_if = "Patch::is_absent")]
///     nickname: Patch<String>,
/// }
///
/// let cleared: Update = serde_json::from_str(r#"{"nickname": null}"#).unwrap();
/// assert!(cleared.nickname.is_null());
/// let untouched: Update = serde_json::from_str("{}").unwrap();
/// assert_eq!(serde_json::to_string(&untouched).unwrap(), "{}");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum Patch<T> {
    /// The field is not present; it is skipped when serializing.
    #[default]
    Absent,
    /// The field is present and explicitly `null`.
    Null,
    /// The field is present with a value.
    Value(T),
}

impl<T> Patch<T> {
    /// Returns `true` if the field is absent; used by `skip_serializing_if`.
    pub fn is_absent(&self) -> bool {
        matches!(self, Self::Absent)
    }

    /// Returns `true` if the field is explicitly `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// Returns the value, if the field holds one.
    pub fn as_value(&self) -> Option<&T> {
        match self {
            Self::Value(value) => Some(value),
            Self::Absent | Self::Null => None,
        }
    }

    /// Converts into nested options: `None` when absent, `Some(None)` when null,
    /// and `Some(Some(value))` when set.
    pub fn into_option(self) -> Option<Option<T>> {
        match self {
            Self::Absent => None,
            Self::Null => Some(None),
            Self::Value(value) => Some(Some(value)),
        }
    }
}

impl<T> From<T> for Patch<T> {
    fn from(value: T) -> Self {
        Self::Value(value)
    }
}

impl<T> From<Option<T>> for Patch<T> {
    /// Maps `Some(value)` to [`Patch::Value`] and `None` to [`Patch::Null`].
    fn from(value: Option<T>) -> Self {
        match value {
            Some(value) => Self::Value(value),
            None => Self::Null,
        }
    }
}

impl<T: Serialize> Serialize for Patch<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Value(value) => serializer.serialize_some(value),
            // An absent field is normally skipped by `skip_serializing_if`; when it
            // is not, `null` is the closest honest rendering.
            Self::Null | Self::Absent => serializer.serialize_none(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A missing field never reaches this point: `#[serde(default)]` makes it
        // `Absent`. A present field is either `null` or a value.
        Option::<T>::deserialize(deserializer).map(Self::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Update {
        #[serde(default, skip_serializing_if = "Patch::is_absent")]
        nickname: Patch<String>,
        #[serde(default, skip_serializing_if = "Patch::is_absent")]
        count: Patch<u32>,
    }

    fn round_trip(json: &str) -> (Update, String) {
        let update: Update = serde_json::from_str(json).unwrap();
        let back = serde_json::to_string(&update).unwrap();
        (update, back)
    }

    #[test]
    fn absent_field_is_absent_and_skipped() {
        let (update, back) = round_trip("{}");
        assert_eq!(update.nickname, Patch::Absent);
        assert_eq!(update.count, Patch::Absent);
        assert_eq!(back, "{}");
    }

    #[test]
    fn null_field_is_null_and_kept() {
        let (update, back) = round_trip(r#"{"nickname":null}"#);
        assert_eq!(update.nickname, Patch::Null);
        assert!(update.count.is_absent());
        assert_eq!(back, r#"{"nickname":null}"#);
    }

    #[test]
    fn value_field_is_value_and_kept() {
        let (update, back) = round_trip(r#"{"nickname":"Ann","count":3}"#);
        assert_eq!(update.nickname, Patch::Value("Ann".to_owned()));
        assert_eq!(update.count.as_value(), Some(&3));
        assert_eq!(back, r#"{"nickname":"Ann","count":3}"#);
    }

    #[test]
    fn wrong_type_is_an_error() {
        assert!(serde_json::from_str::<Update>(r#"{"count":"x"}"#).is_err());
    }

    #[test]
    fn conversions() {
        assert_eq!(Patch::from(5), Patch::Value(5));
        assert_eq!(Patch::<i32>::from(None), Patch::Null);
        assert_eq!(Patch::from(Some(1)), Patch::Value(1));
        assert_eq!(Patch::<i32>::Absent.into_option(), None);
        assert_eq!(Patch::<i32>::Null.into_option(), Some(None));
        assert_eq!(Patch::Value(2).into_option(), Some(Some(2)));
        assert_eq!(Patch::<i32>::default(), Patch::Absent);
        assert!(Patch::<i32>::Null.is_null());
        assert_eq!(Patch::<i32>::Null.as_value(), None);
    }

    #[test]
    fn absent_serializes_as_null_when_not_skipped() {
        assert_eq!(serde_json::to_string(&Patch::<u8>::Absent).unwrap(), "null");
    }
}
