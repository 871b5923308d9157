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

/// An in-memory sink for the tracing output of one test.
#[derive(Clone, Default)]
pub struct Buffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.bytes().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    /// What was written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes()).into_owned()
    }

    fn bytes(&self) -> std::sync::MutexGuard<'_, Vec<u8>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Captures everything traced on this thread until the guard drops (run the code under test
/// on a current-thread runtime), at every level, with a line when each span closes so its
/// final fields are written out.
pub fn capture() -> (Buffer, tracing::subscriber::DefaultGuard) {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let guard = scoped_subscriber(
        tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_max_level(tracing_subscriber::filter::LevelFilter::TRACE)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .finish(),
    );
    (buffer, guard)
}

/// Makes `subscriber` this thread's default until the guard drops, so that it sees every event
/// this thread emits even while other tests run in parallel.
///
/// `tracing` caches each callsite's interest for the whole process. While at most one
/// dispatcher is registered, that interest is computed from the default of whichever thread
/// reaches the callsite first: a sibling test without a subscriber caches it as "never", and a
/// scoped subscriber elsewhere then never sees those events. A second dispatcher that is always
/// registered, answers "sometimes" and enables nothing keeps every callsite asking each thread's
/// own default.
pub fn scoped_subscriber(
    subscriber: impl tracing::Subscriber + Send + Sync + 'static,
) -> tracing::subscriber::DefaultGuard {
    static ANCHOR: std::sync::OnceLock<tracing::Dispatch> = std::sync::OnceLock::new();
    ANCHOR.get_or_init(|| tracing::Dispatch::new(Anchor));
    tracing::subscriber::set_default(subscriber)
}

/// The dispatcher behind [`scoped_subscriber`]: interested in every callsite, enabling none.
struct Anchor;

impl tracing::Subscriber for Anchor {
    fn register_callsite(
        &self,
        _: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        tracing::subscriber::Interest::sometimes()
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }

    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        false
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, _: &tracing::Event<'_>) {}

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}
