//! Scoped subscribers for the unit tests that read what was traced.

use std::sync::OnceLock;

use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::{DefaultGuard, Interest};
use tracing::{Dispatch, Event, Metadata, Subscriber};

/// Makes `subscriber` this thread's default until the guard drops, so that it sees every event
/// this thread emits even while other tests run in parallel.
///
/// `tracing` caches each callsite's interest for the whole process. While at most one
/// dispatcher is registered, that interest is computed from the default of whichever thread
/// reaches the callsite first: a sibling test without a subscriber caches it as "never", and a
/// scoped subscriber elsewhere then never sees those events. A second dispatcher that is always
/// registered, answers "sometimes" and enables nothing keeps every callsite asking each thread's
/// own default. (The integration suite has the same helper: it cannot reach this test-only one.)
pub(crate) fn scoped(subscriber: impl Subscriber + Send + Sync + 'static) -> DefaultGuard {
    static ANCHOR: OnceLock<Dispatch> = OnceLock::new();
    ANCHOR.get_or_init(|| Dispatch::new(Anchor));
    tracing::subscriber::set_default(subscriber)
}

/// The dispatcher behind [`scoped`]: interested in every callsite, enabling none.
struct Anchor;

impl Subscriber for Anchor {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::sometimes()
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::TRACE)
    }

    fn enabled(&self, _: &Metadata<'_>) -> bool {
        false
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, _: &Event<'_>) {}

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}
