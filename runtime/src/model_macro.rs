//! `model_serde!`, the serde impls of a generated model struct.
//!
//! The generator writes, for each struct, one invocation listing its fields (index, name, type,
//! wire name, kind) instead of the impls themselves: the same code reaches the compiler, and
//! the generator formats a fraction of the tokens (formatting is most of a regeneration). The
//! impls go through [`crate::de`] and [`crate::ser`]; a field's kind decides how it is written
//! and what it is when left out:
//!
//! - `required`: always present (an `Option` here is a field that must be sent, maybe `null`);
//! - `optional`: an `Option` left out when `None`;
//! - `patch`: a [`Patch`](crate::Patch) left out when absent.

/// The `Serialize`, `Deserialize` and [`DecodeStruct`](crate::de::DecodeStruct) impls of a
/// generated model struct; for the generated models crate only.
#[doc(hidden)]
#[macro_export]
macro_rules! model_serde {
    ($name:ident { $($index:literal $field:ident : $ty:ty = $wire:literal $kind:ident),* $(,)? }) => {
        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                let len = $crate::ser::count(&[$($crate::__model_field!($kind present self.$field)),*]);
                #[allow(unused_mut)]
                let mut state = $crate::ser::encode_struct(serializer, ::core::stringify!($name), len);
                $($crate::__model_field!($kind write state, $wire, self.$field);)*
                state.end()
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::core::result::Result<Self, D::Error> {
                $crate::de::decode_struct(deserializer)
            }
        }

        impl $crate::de::DecodeStruct for $name {
            const NAME: &'static str = ::core::stringify!($name);
            const FIELDS: &'static [&'static str] = &[$($wire),*];

            fn decode<'de, A: ::serde::de::MapAccess<'de>>(
                mut map: A,
            ) -> ::core::result::Result<Self, A::Error> {
                $(let mut $field: ::core::option::Option<$ty> = ::core::option::Option::None;)*
                // The field names again rather than `Self::FIELDS`: a projection on the trait
                // makes each body depend on all of the crate's `DecodeStruct` impls, so a
                // struct added to the spec had every struct's `decode` checked again.
                while let ::core::option::Option::Some(key) = $crate::de::next_key(&mut map, &[$($wire),*])? {
                    // One `?` after the match rather than one per arm: every early return
                    // drops each slot, and borrow checking grows with returns times slots.
                    #[allow(clippy::match_single_binding)]
                    match key {
                        $($index => $crate::de::field(&mut map, &mut $field, $wire),)*
                        _ => $crate::de::skip(&mut map),
                    }?;
                }
                ::core::result::Result::Ok(Self {
                    $($field: $crate::__model_field!($kind, $field, $wire),)*
                })
            }
        }
    };
}

/// What `model_serde!` does with a field, by kind: whether it is written, how it is written,
/// and its value at the end of decoding (a required one may fail with `?`; the others fall
/// back to their default without a return path, since each return drops every slot).
#[doc(hidden)]
#[macro_export]
macro_rules! __model_field {
    (required present $value:expr) => {
        true
    };
    (optional present $value:expr) => {
        $value.is_some()
    };
    (patch present $value:expr) => {
        !$value.is_absent()
    };
    (required write $state:ident, $wire:literal, $value:expr) => {
        $state.field($wire, &$value)
    };
    (optional write $state:ident, $wire:literal, $value:expr) => {
        $state.optional($wire, &$value)
    };
    (patch write $state:ident, $wire:literal, $value:expr) => {
        $state.patch($wire, &$value)
    };
    (required, $field:ident, $wire:literal) => {
        $crate::de::required($field, $wire)?
    };
    (optional, $field:ident, $wire:literal) => {
        $field.unwrap_or_default()
    };
    (patch, $field:ident, $wire:literal) => {
        $field.unwrap_or_default()
    };
}

/// Every kind of field, a raw name and a renamed one go through the macro in `de`'s tests,
/// which compare it with serde's derive on the same shape.
#[cfg(test)]
mod tests {
    /// A struct without fields.
    #[derive(Debug, PartialEq)]
    pub struct Empty {}

    crate::model_serde! { Empty {} }

    #[test]
    fn a_struct_without_fields_skips_every_key() {
        let empty: Empty = serde_json::from_str(r#"{"a":1,"b":[{}]}"#).unwrap();
        assert_eq!(empty, Empty {});
        assert_eq!(serde_json::to_string(&empty).unwrap(), "{}");
    }
}
