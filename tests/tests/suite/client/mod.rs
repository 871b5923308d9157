//! The generated client against a local server that misbehaves on purpose.
//!
//! Each test starts its own server on `127.0.0.1:0` (bound before it is spawned, so there is
//! nothing to wait for): an axum fallback that records every request it gets (method, path,
//! query, headers, body and when it arrived) and answers what the test's script says for the
//! n-th request: rate limits with or without `Retry-After`, server errors, answers that come
//! too late, HTML instead of JSON, a wrong field type. A raw TCP server sends truncated bodies.
//! Every test that calls a server asserts the outcome and how many requests reached it; every
//! error is checked for the token key, and two tests read the tracing output.
//!
//! - [`harness`]: the scripted servers, the clients and data the tests share, the checks that
//!   no secret leaks, and the capture of the tracing output.
//! - [`retries`]: rate limits and server errors, retried or not, and for how long.
//! - [`connections`]: timeouts, truncated bodies and refused connections.
//! - [`answers`]: HTML or a mistyped field as decode errors; `HEAD` operations as booleans.
//! - [`streams`]: numbered pages and message history as streams.
//! - [`credentials`]: tiers checked at run time, and the key kept out of `Debug` output.
//! - [`futures`]: the future an operation returns is `Send` and outlives its arguments.
//! - [`traces`]: what the tracing output says about a call, and what it never says.

mod answers;
mod connections;
mod credentials;
mod futures;
mod harness;
mod retries;
mod streams;
mod traces;
