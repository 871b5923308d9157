//! Encoding of the generated model structs, for the generated crates only.
//!
//! `#[derive(Serialize)]` with `skip_serializing_if` writes, per field, a test, a call and an
//! early return; across the models crate that was about 40 % of its build once decoding was
//! made small ([`crate::de`]). The generated `Serialize` impls (through `model_serde!`)
//! instead count the fields they will write, open an [`EncodeStruct`] and make one call per
//! field that returns nothing: the first error is kept and ends the encoding at
//! [`EncodeStruct::end`]. The output, field
//! order, lengths and `skip_field` calls are the derive's.

use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::Patch;

/// A struct being encoded: the serializer's state, or the first error met.
pub struct EncodeStruct<M: SerializeStruct> {
    state: Result<M, M::Error>,
}

/// Starts encoding struct `name` with `len` fields to write (the ones not skipped).
pub fn encode_struct<S: Serializer>(
    serializer: S,
    name: &'static str,
    len: usize,
) -> EncodeStruct<S::SerializeStruct> {
    EncodeStruct {
        state: serializer.serialize_struct(name, len),
    }
}

impl<M: SerializeStruct> EncodeStruct<M> {
    /// Writes a field that is always sent.
    pub fn field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) {
        if let Ok(state) = &mut self.state {
            if let Err(error) = state.serialize_field(key, value) {
                self.state = Err(error);
            }
        }
    }

    /// Writes an optional field when it is `Some`, and skips it when it is `None`.
    pub fn optional<T: Serialize>(&mut self, key: &'static str, value: &Option<T>) {
        if value.is_some() {
            self.field(key, value);
        } else {
            self.skip(key);
        }
    }

    /// Writes a three-state field unless it is [`Patch::Absent`].
    pub fn patch<T: Serialize>(&mut self, key: &'static str, value: &Patch<T>) {
        if value.is_absent() {
            self.skip(key);
        } else {
            self.field(key, value);
        }
    }

    fn skip(&mut self, key: &'static str) {
        if let Ok(state) = &mut self.state {
            if let Err(error) = state.skip_field(key) {
                self.state = Err(error);
            }
        }
    }

    /// Ends the struct, or gives the first error met.
    pub fn end(self) -> Result<M::Ok, M::Error> {
        self.state?.end()
    }
}

/// How many of a struct's fields are written: those `present`.
pub fn count(present: &[bool]) -> usize {
    present.iter().filter(|present| **present).count()
}
