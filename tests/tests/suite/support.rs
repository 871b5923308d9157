//! Helpers the test modules share.

use std::collections::BTreeSet;

use crisp_client::examples::ExampleCall;
use crisp_client::{Client, Credentials, RetryPolicy, Tier, tier};

/// A client of the server at `base_url` whose tier is chosen at run time, sending every
/// request once: these tests look at what the server answers, not at retries.
pub fn client(credentials: Credentials, base_url: &str) -> Client<tier::Dynamic> {
    Client::builder()
        .credentials(credentials)
        .base_url(base_url)
        .retry(RetryPolicy::disabled())
        .build()
        .expect("a client")
}

/// Sorts the outcomes of `call_every_operation` made with a `tier` token: an operation the
/// tier may call must round-trip (`proven`), one it may not must be refused with `403
/// not_allowed`; anything else is a failure, described in `failures`.
pub fn judge_example_calls(
    tier: Tier,
    calls: Vec<ExampleCall>,
    proven: &mut BTreeSet<&'static str>,
    failures: &mut Vec<String>,
) {
    for call in calls {
        let allowed = call.tiers.is_empty() || call.tiers.contains(&tier);
        match (&call.outcome, allowed) {
            (Ok(()), true) => {
                proven.insert(call.operation);
            }
            (Err(error), true) => {
                failures.push(format!("- {} ({tier} token): {error}", call.operation))
            }
            // A tier the operation does not admit is refused before the implementation runs.
            (Err(error), false) if error.contains("not_allowed (403)") => {}
            (outcome, false) => failures.push(format!(
                "- {} ({tier} token) should be refused with 403, got {outcome:?}",
                call.operation
            )),
        }
    }
}
