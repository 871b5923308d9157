//! The baseline and latency phases: calls one after another, first with no socket connected,
//! then each waiting for its event out of one subscription; and the CPU time they use.

use std::time::{Duration, Instant};

use crisp_client::models::Event;
use crisp_client::rtm::Subscription;
use tokio::sync::mpsc;

use crate::sandbox::{Calls, check, next_item};
use crate::{EVENT_TIMEOUT, SETUP_TIMEOUT};

/// The CPU time all threads of this process have run so far (the sum of the first field of
/// each `/proc/self/task/*/schedstat`, in nanoseconds), `None` where it cannot be read.
fn cpu_time() -> Option<Duration> {
    let mut total = 0_u64;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let schedstat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += schedstat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(Duration::from_nanos(total))
}

/// Adds the CPU time used since `before` ([`cpu_time`]) to `total`, which becomes `None` once
/// a reading fails.
fn add_cpu(total: &mut Option<Duration>, before: Option<Duration>) {
    let used = cpu_time()
        .zip(before)
        .map(|(now, before)| now.saturating_sub(before));
    *total = total.zip(used).map(|(total, used)| total + used);
}

/// What the baseline measured, over every round.
pub(crate) struct Baseline {
    /// Each call's REST latency.
    pub(crate) rests: Vec<Duration>,
    /// The time the calls took, one after another.
    pub(crate) elapsed: Duration,
    /// The CPU time of this process during the calls, client and sandbox together.
    pub(crate) cpu: Option<Duration>,
}

impl Default for Baseline {
    fn default() -> Self {
        Baseline {
            rests: Vec::new(),
            elapsed: Duration::ZERO,
            cpu: Some(Duration::ZERO),
        }
    }
}

/// `count` calls one after another with no socket connected.
pub(crate) async fn baseline(calls: &mut Calls, count: usize, baseline: &mut Baseline) {
    let cpu = cpu_time();
    let start = Instant::now();
    for _ in 0..count {
        let call = Instant::now();
        calls.next().await;
        baseline.rests.push(call.elapsed());
    }
    baseline.elapsed += start.elapsed();
    add_cpu(&mut baseline.cpu, cpu);
}

/// What the latency phase measured, over every round.
pub(crate) struct Latency {
    /// From just before each call to its event out of the stream.
    pub(crate) events: Vec<Duration>,
    /// Each call's REST latency, with the subscriber connected.
    pub(crate) rests: Vec<Duration>,
    /// How many events were out of the stream before their call's answer.
    pub(crate) early: usize,
    /// The CPU time of this process during the calls, client, sandbox and events together.
    pub(crate) cpu: Option<Duration>,
}

impl Default for Latency {
    fn default() -> Self {
        Latency {
            events: Vec::new(),
            rests: Vec::new(),
            early: 0,
            cpu: Some(Duration::ZERO),
        }
    }
}

/// `count` calls one at a time, each waiting for its event; returns the subscription.
pub(crate) async fn latency(
    calls: &mut Calls,
    subscription: Subscription<Event>,
    count: usize,
    latency: &mut Latency,
) -> Subscription<Event> {
    let session = calls.session.clone();
    // A task of its own takes each event out of the stream the moment it comes, even while
    // the call that caused it is still waiting for its answer, and notes when.
    let (arrived, mut arrivals) = mpsc::unbounded_channel();
    let consumer = tokio::spawn(async move {
        let mut subscription = subscription;
        for _ in 0..count {
            let item = next_item(&mut subscription).await;
            if arrived.send((Instant::now(), item)).is_err() {
                break;
            }
        }
        subscription
    });
    let cpu = cpu_time();
    for _ in 0..count {
        let start = Instant::now();
        let state = calls.next().await;
        let answered = Instant::now();
        let (at, item) = tokio::time::timeout(EVENT_TIMEOUT, arrivals.recv())
            .await
            .unwrap_or_else(|_| panic!("no event within {} s", EVENT_TIMEOUT.as_secs()))
            .expect("the consumer hands every event over");
        check(item, &session, &state);
        latency.rests.push(answered - start);
        latency.events.push(at.saturating_duration_since(start));
        if at <= answered {
            latency.early += 1;
        }
    }
    add_cpu(&mut latency.cpu, cpu);
    tokio::time::timeout(SETUP_TIMEOUT, consumer)
        .await
        .expect("the consumer ends in time")
        .expect("the consumer does not panic")
}
