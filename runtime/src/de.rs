//! Decoding of the generated model structs, for the generated crates only.
//!
//! `#[derive(Deserialize)]` writes, for every struct, an enum of its fields with a visitor of
//! its own, a sequence visitor and a map visitor: most of what the compiler type-checks and
//! borrow-checks in the models crate. The generated models instead implement [`DecodeStruct`]
//! (through `model_serde!`), one short method whose match arms call the generic helpers below,
//! and their `Deserialize` calls [`decode_struct`]: `rustc -Z time-passes` on `crisp-models`
//! went from 16.3 s to about 5 s with [`crate::ser`]'s counterpart. The helpers are compiled
//! once here and instantiated per field type and format in the user's crate, as the derive's
//! code would be.
//!
//! What it accepts is what the derive (with `#[serde(default)]` on optional fields) accepts,
//! with one exception: a struct is decoded from a map only, never from a sequence of its
//! fields in order, which no JSON API sends. The errors are the derive's: `missing field`,
//! `duplicate field` and `invalid type: …, expected struct Name`; unknown fields are skipped.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, Error, IgnoredAny, MapAccess, Visitor};

/// A struct that the generated models decode from a map of its fields.
pub trait DecodeStruct: Sized {
    /// The struct's name, for `expected struct …` errors.
    const NAME: &'static str;
    /// The wire names of its fields, in declaration order; [`next_key`] gives their index.
    const FIELDS: &'static [&'static str];

    /// Reads the map's entries (with [`next_key`], [`field`] and [`skip`]) and builds the
    /// struct, with [`required`] for the fields that must be present.
    fn decode<'de, A: MapAccess<'de>>(map: A) -> Result<Self, A::Error>;
}

/// The body of the `Deserialize` impl of a [`DecodeStruct`].
pub fn decode_struct<'de, D: Deserializer<'de>, T: DecodeStruct>(
    deserializer: D,
) -> Result<T, D::Error> {
    deserializer.deserialize_struct(T::NAME, T::FIELDS, StructVisitor(PhantomData))
}

struct StructVisitor<T>(PhantomData<T>);

impl<'de, T: DecodeStruct> Visitor<'de> for StructVisitor<T> {
    type Value = T;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "struct {}", T::NAME)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::decode(map)
    }
}

/// The index in `fields` of the map's next key; [`UNKNOWN`] for a key that is not a field,
/// `None` at the end of the map.
pub fn next_key<'de, A: MapAccess<'de>>(
    map: &mut A,
    fields: &'static [&'static str],
) -> Result<Option<usize>, A::Error> {
    map.next_key_seed(FieldIndex(fields))
}

/// What [`next_key`] gives for a key that names no field.
pub const UNKNOWN: usize = usize::MAX;

/// Reads a field's value into its slot, refusing a field given twice.
pub fn field<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    slot: &mut Option<T>,
    name: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(A::Error::duplicate_field(name));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

/// Skips the value of a key that names no field.
pub fn skip<'de, A: MapAccess<'de>>(map: &mut A) -> Result<(), A::Error> {
    map.next_value::<IgnoredAny>().map(|IgnoredAny| ())
}

/// The value of a required field, or the derive's answer when it is missing: `None` for an
/// `Option` (a nullable field that was left out), else a `missing field` error.
pub fn required<'de, T: Deserialize<'de>, E: Error>(
    slot: Option<T>,
    name: &'static str,
) -> Result<T, E> {
    match slot {
        Some(value) => Ok(value),
        None => T::deserialize(Missing(name, PhantomData)),
    }
}

/// Finds a key among the fields, as the derive's field visitor does: by name (as a string or
/// as bytes) or by index.
struct FieldIndex(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for FieldIndex {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for FieldIndex {
    type Value = usize;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("field identifier")
    }

    fn visit_u64<E: Error>(self, index: u64) -> Result<usize, E> {
        Ok(usize::try_from(index)
            .ok()
            .filter(|index| *index < self.0.len())
            .unwrap_or(UNKNOWN))
    }

    fn visit_str<E: Error>(self, key: &str) -> Result<usize, E> {
        Ok(self
            .0
            .iter()
            .position(|field| *field == key)
            .unwrap_or(UNKNOWN))
    }

    fn visit_bytes<E: Error>(self, key: &[u8]) -> Result<usize, E> {
        Ok(self
            .0
            .iter()
            .position(|field| field.as_bytes() == key)
            .unwrap_or(UNKNOWN))
    }
}

/// The deserializer of a field that is not there: an `Option` reads it as `None`, anything
/// else fails with `missing field`.
struct Missing<E>(&'static str, PhantomData<E>);

impl<'de, E: Error> Deserializer<'de> for Missing<E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, E> {
        Err(E::missing_field(self.0))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        visitor.visit_none()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// Both directions checked against serde's derive on the same shape: each kind of field the
/// generator writes (required, required and nullable, optional, three-state, renamed, a raw
/// name), through `model_serde!` as the generated models use it.
#[cfg(test)]
mod tests {
    use serde::Deserialize;

    mod derived {
        use crate::Patch;

        #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        pub struct Shape {
            pub sessions: Vec<String>,
            pub inbox: Option<String>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub count: Option<u32>,
            #[serde(default, skip_serializing_if = "Patch::is_absent")]
            pub nickname: Patch<String>,
            #[serde(rename = "type")]
            pub kind: String,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub inner: Option<Box<Shape>>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub r#ref: Option<String>,
        }
    }

    mod ours {
        use crate::Patch;

        #[derive(Debug, PartialEq)]
        pub struct Shape {
            pub sessions: Vec<String>,
            pub inbox: Option<String>,
            pub count: Option<u32>,
            pub nickname: Patch<String>,
            pub kind: String,
            pub inner: Option<Box<Shape>>,
            pub r#ref: Option<String>,
        }

        crate::model_serde! {
            Shape {
                0 sessions: Vec<String> = "sessions" required,
                1 inbox: Option<String> = "inbox" required,
                2 count: Option<u32> = "count" optional,
                3 nickname: Patch<String> = "nickname" patch,
                4 kind: String = "type" required,
                5 inner: Option<Box<Shape>> = "inner" optional,
                6 r#ref: Option<String> = "ref" optional,
            }
        }
    }

    /// The outcome of a decode, printed: the same text for both types when they agree
    /// (they share a name and fields), or the error's message with its place.
    fn decoded<T: for<'de> Deserialize<'de> + std::fmt::Debug>(json: &str) -> String {
        format!(
            "{:?}",
            serde_json::from_str::<T>(json).map_err(|e| e.to_string())
        )
    }

    const INPUTS: &[(&str, &str)] = &[
        (
            "every field",
            r#"{"sessions":["a","b"],"inbox":"i","count":3,"nickname":"n","type":"t","inner":{"sessions":[],"inbox":null,"type":"u"},"ref":"r"}"#,
        ),
        (
            "only the required ones",
            r#"{"sessions":[],"inbox":"i","type":"t"}"#,
        ),
        (
            "a nullable required field left out",
            r#"{"sessions":[],"type":"t"}"#,
        ),
        ("a required field left out", r#"{"inbox":null,"type":"t"}"#),
        ("no field at all", r#"{}"#),
        (
            "a required field left out after a nullable one",
            r#"{"sessions":[]}"#,
        ),
        (
            "a nullable required field left out first",
            r#"{"type":"t"}"#,
        ),
        (
            "nulls",
            r#"{"sessions":[],"inbox":null,"count":null,"nickname":null,"type":"t"}"#,
        ),
        (
            "a field twice",
            r#"{"sessions":[],"sessions":["x"],"inbox":null,"type":"t"}"#,
        ),
        (
            "unknown fields, nested",
            r#"{"other":{"deep":[1,{"x":null}]},"sessions":[],"inbox":null,"type":"t","kind":"k"}"#,
        ),
        (
            "a wrong type",
            r#"{"sessions":[],"inbox":null,"count":"3","type":"t"}"#,
        ),
        (
            "a wrong type, nested",
            r#"{"sessions":[],"inbox":null,"type":"t","inner":{"sessions":[1]}}"#,
        ),
        ("not an object", r#""shape""#),
        ("null", r#"null"#),
        (
            "an escaped key",
            r#"{"sess\u0069ons":[],"inbox":null,"typ\u0065":"t"}"#,
        ),
        ("truncated", r#"{"sessions":[],"inbox":null,"#),
    ];

    #[test]
    fn decodes_as_the_derive_does() {
        for (case, json) in INPUTS {
            assert_eq!(
                decoded::<ours::Shape>(json),
                decoded::<derived::Shape>(json),
                "{case}: {json}"
            );
        }
    }

    #[test]
    fn decodes_from_a_json_value_as_the_derive_does() {
        for (case, json) in INPUTS {
            let Ok(value) = serde_json::from_str::<serde_json::Value>(json) else {
                continue;
            };
            let ours = format!("{:?}", serde_json::from_value::<ours::Shape>(value.clone()));
            let derived = format!("{:?}", serde_json::from_value::<derived::Shape>(value));
            assert_eq!(ours, derived, "{case}: {json}");
        }
    }

    #[test]
    fn encodes_as_the_derive_does() {
        for (case, json) in INPUTS {
            let Ok(derived) = serde_json::from_str::<derived::Shape>(json) else {
                continue;
            };
            let ours: ours::Shape = serde_json::from_str(json).unwrap();
            assert_eq!(
                serde_json::to_string(&ours).unwrap(),
                serde_json::to_string(&derived).unwrap(),
                "{case}: {json}"
            );
        }
    }

    #[test]
    fn an_error_names_the_path_of_the_field() {
        let json = r#"{"sessions":[],"inbox":null,"type":"t","inner":{"sessions":[],"inbox":null,"type":"u","count":-1}}"#;
        let error = serde_path_to_error::deserialize::<_, ours::Shape>(
            &mut serde_json::Deserializer::from_str(json),
        )
        .unwrap_err();
        assert_eq!(error.path().to_string(), "inner.count");
        assert!(
            error
                .inner()
                .to_string()
                .starts_with("invalid value: integer `-1`")
        );
    }

    /// The one difference with the derive, on purpose: a struct is never read from an array.
    #[test]
    fn a_sequence_is_not_a_struct() {
        let json = r#"[["a"],null,null,null,"t",null]"#;
        assert!(serde_json::from_str::<derived::Shape>(json).is_ok());
        assert_eq!(
            serde_json::from_str::<ours::Shape>(json)
                .unwrap_err()
                .to_string(),
            "invalid type: sequence, expected struct Shape at line 1 column 1"
        );
    }

    /// Formats that name fields by index (as the derive allows) reach the same fields.
    #[test]
    fn a_field_index_is_a_field() {
        use serde::de::IntoDeserializer;
        use serde::de::value::MapDeserializer;
        let entries: Vec<(u64, serde_json::Value)> = vec![
            (0, serde_json::json!(["s"])),
            (1, serde_json::Value::Null),
            (4, serde_json::json!("t")),
            (9, serde_json::json!("ignored")),
        ];
        let map = MapDeserializer::<_, serde_json::Error>::new(
            entries.into_iter().map(|(k, v)| (k.into_deserializer(), v)),
        );
        let shape = ours::Shape::deserialize(map).unwrap();
        assert_eq!(shape.sessions, ["s"]);
        assert_eq!(shape.kind, "t");
    }
}
