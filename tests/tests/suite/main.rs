//! The test suite, in one binary so the generated crates are linked once.

mod bot;
mod client;
mod coverage;
mod diff;
mod drift;
mod events;
mod examples;
mod fixtures;
mod hostile;
mod mcp;
mod node;
mod realtime;
mod roundtrip;
mod rtm;
mod rtm_node;
mod sandbox;
mod server;
mod support;
mod tidy;
mod webhooks;
