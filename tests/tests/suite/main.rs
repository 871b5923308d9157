//! The test suite, in one binary so the generated crates are linked once.

mod client;
mod compile_fail;
mod coverage;
mod drift;
mod examples;
mod fixtures;
mod roundtrip;
mod sandbox;
mod server;
mod support;
mod webhooks;
