//! Round trips between the generated client and the generated server.
//!
//! Every test starts its own router on `127.0.0.1:0` whose areas are served by [`fake::Fake`],
//! an in-memory Crisp that implements the `websiteBase` and `websiteConversation` server traits
//! and records what the router decoded for it (and, through a middleware, the raw request line
//! and body). The generated client, or plain `reqwest` when the wire itself is under test,
//! talks to it; tests assert on what the client decoded and on what the server received.
//!
//! The fake is not the sandbox: it keeps only what these tests read back, and it records every
//! call, which is what lets a test say what the router handed to the implementation.
//!
//! - [`fake`]: the fake Crisp; [`seed`]: its initial content and the messages tests send;
//!   [`harness`]: starting a router, raw requests, and the checks of error answers.
//! - [`parameters`]: path and query values; [`bodies`]: JSON bodies and typed answers;
//!   [`conversations`]: state kept across calls; [`errors`]: refusals and typed errors.

mod bodies;
mod conversations;
mod errors;
mod fake;
mod harness;
mod parameters;
mod seed;

/// The plugin token the server accepts.
const IDENTIFIER: &str = "plugin-identifier";
const KEY: &str = "s3cr3t-plugin-key-7f2a";
/// A user token, for the operations only user tokens may call (`deleteWebsite`).
const USER_IDENTIFIER: &str = "a-user-identifier";
const USER_KEY: &str = "a-user-key";
/// The only website the fake knows, and its domain.
const WEBSITE: &str = "website-1";
const DOMAIN: &str = "shop.example.com";
/// The secret `deleteWebsite` must be confirmed with.
const VERIFY_SECRET: &str = "hunter2";
/// A fingerprint above 2^53, which a detour through `f64` would corrupt.
const BIG_FINGERPRINT: i64 = 9_007_199_254_740_993;
