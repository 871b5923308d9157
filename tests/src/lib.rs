//! Shared helpers of the test suite. The README's Rust examples are compiled and checked as
//! this crate's doc tests, so they cannot drift from the crates they show.
#![doc = include_str!("../../README.md")]
