//! Compile-fail tests of the generated client; see `tests/tiers.rs`.
