//! Crisp's real-time (RTM) API end to end, against the REST calls that cause its events, in
//! the same run. An in-process stateful sandbox (`crisp_sandbox::Sandbox::new` served with
//! `crisp_sandbox::serve` on 127.0.0.1:0, one plugin token holding every scope) and the
//! generated client (`Client<tier::Plugin>`, retries disabled) share a multi-thread Tokio
//! runtime of two workers. Every timed call is `changeConversationState` on one conversation
//! created first, alternating `resolved` and `unresolved`; the sandbox fires one
//! `session:set_state` per call (whether or not the state changes), which the subscription
//! checks by session and state.
//!
//! - **baseline**: calls one after another with no socket connected: the REST latency of a
//!   call (median, p99) and calls per second. It is what a program pays without listening, so
//!   the ratios say what listening in real time adds to the call that causes the event.
//! - **latency**: the same calls, one at a time, with one subscription
//!   (`client.realtime().events(["session:set_state"])`) connected and authenticated first:
//!   the time from just before each call starts to the moment a task draining the stream
//!   takes its event out (which may come before the call's answer), median and p99, against
//!   the baseline's REST latency. Also shown: the REST latency with the subscriber, and the
//!   CPU time of the process per call in both phases (`/proc/self/task/*/schedstat`).
//! - **throughput**: calls fired back to back (each awaited, none waiting for its event) while
//!   a task drains the stream: events over the time from the first call's start to the last
//!   event received, against the baseline's calls per second.
//!
//! The N timed calls of each phase are split into rounds (10) of baseline, latency and
//! throughput, so that the shared machine's slow spells fall on the baseline and the
//! measurement alike. Each round connects a new subscription after its baseline and drops it
//! after its throughput. Both the round's baseline and its new subscription first make 3
//! uncounted calls: the first call after the pause between rounds (the sandbox is given
//! 50 ms to forget the last round's socket) takes several times the median, and the first
//! one with a new subscription up to twice the median, its REST answer and its event alike
//! (a new socket's events are not held back otherwise: the sandbox sets `TCP_NODELAY`);
//! counted, one such call per round and phase would weigh on the p99 (the 20th slowest of
//! 2,000 calls).
//!
//! - **memory**: what an idle authenticated RTM socket costs the sandbox, against what an
//!   idle HTTP/1.1 keep-alive connection costs it: the growth of the resident memory
//!   (`VmRSS`) of this process, which runs the sandbox, divided by K, for K of each. The
//!   clients run in a child process (this binary again, with `RTM_BENCH_CHILD` set), so only
//!   the sandbox's side is counted: the child first opens K keep-alive connections that each
//!   made one REST call and then idle (the baseline), then, keeping those open, K
//!   subscriptions to every event the crate knows (what `realtime().subscribe()` asks for),
//!   opened 100 at a time, each authenticated. An RTM socket is a connection of its own (a
//!   WebSocket upgraded from HTTP), so its figure holds that connection as well as its
//!   engine.io and Socket.IO state and the sandbox's listeners. Both figures are growth of
//!   the RSS (whole pages, the allocator's slack included), not bytes allocated. This phase
//!   runs first, on a sandbox of its own, so memory that later phases free cannot hide its
//!   growth.
//!
//! Every subscription must be authenticated within 20 s ([`AUTHENTICATION_TIMEOUT`]; the
//! sandbox answers in milliseconds); one that is not, or that ends first, fails the setup:
//! the benchmark panics, naming it and saying where it stands (see
//! [`authenticated`](sandbox::authenticated)).
//!
//! N is 2,000 calls in 10 rounds after 300 warm-up calls (`RTM_BENCH_CALLS`,
//! `RTM_BENCH_ROUNDS`, `RTM_BENCH_WARMUP`) and K is 1,000 sockets (`RTM_BENCH_SOCKETS`). Run
//! without `--bench` (as `cargo test --benches` runs it), it is a quick smoke run with small N
//! and K.
//!
//! The code: [`sandbox`] serves the sandbox and makes the calls and the subscriptions;
//! [`latency`] holds the baseline and latency phases, [`throughput`] the throughput phase,
//! [`memory`] the memory phase and [`child`] its client process; [`report`] writes the table.

mod child;
mod latency;
mod memory;
mod report;
mod sandbox;
mod throughput;

use std::net::SocketAddr;
use std::time::Duration;

use latency::{Baseline, Latency, baseline, latency};
use report::table;
use sandbox::{Calls, Served, client, subscribe};
use throughput::{Throughput, throughput};

/// The plugin token the sandbox accepts, holding every scope.
const PLUGIN: (&str, &str) = ("rtm-bench-plugin", "rtm-bench-plugin-key");
/// The event every timed call fires.
const EVENT: &str = "session:set_state";
/// Set (to the sandbox's address) when this binary runs as the client side of the memory
/// measurement.
const CHILD: &str = "RTM_BENCH_CHILD";
/// How many sockets the child opens, when it is the child.
const CHILD_SOCKETS: &str = "RTM_BENCH_CHILD_SOCKETS";
/// How many connections the child opens at once.
const BATCH: usize = 100;
/// The longest any one step of the setup may take before the benchmark gives up.
const SETUP_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest one event may take to arrive before the benchmark gives up.
const EVENT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest subscriptions may take to be authenticated (it takes milliseconds) before the
/// benchmark gives up.
const AUTHENTICATION_TIMEOUT: Duration = Duration::from_secs(20);
/// How many uncounted calls warm up each round's baseline, and its new subscription.
const ROUND_WARMUP: usize = 3;
/// How long the sandbox is given to forget a subscription's socket once it is dropped.
const FORGET: Duration = Duration::from_millis(50);
/// How long the sandbox is left to settle before its memory is read.
const SETTLE: Duration = Duration::from_millis(500);

/// What to run: how many calls, warm-up calls, rounds and idle sockets.
#[derive(Clone, Copy, Debug)]
struct Settings {
    /// The timed calls of each phase (N).
    calls: usize,
    /// The uncounted calls first, without and then with a subscriber.
    warmup: usize,
    /// How many rounds the timed calls are split into.
    rounds: usize,
    /// The idle sockets of the memory phase (K).
    sockets: usize,
    /// Whether this is the real benchmark (`--bench`) or a smoke run.
    bench: bool,
}

impl Settings {
    /// The defaults (small ones without `--bench`), overridden by the environment.
    fn from_env() -> Settings {
        let bench = std::env::args().any(|argument| argument == "--bench");
        let (calls, warmup, rounds, sockets) = if bench {
            (2_000, 300, 10, 1_000)
        } else {
            (50, 10, 2, 20)
        };
        let calls = count("RTM_BENCH_CALLS", calls);
        Settings {
            calls,
            warmup: count("RTM_BENCH_WARMUP", warmup),
            rounds: count("RTM_BENCH_ROUNDS", rounds).min(calls),
            sockets: count("RTM_BENCH_SOCKETS", sockets),
            bench,
        }
    }
}

/// The positive number in the environment variable `name`, or `default` when it is unset.
fn count(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(text) => match text.trim().parse::<usize>() {
            Ok(value) if value > 0 => value,
            _ => panic!("{name} must be a positive whole number, not {text:?}"),
        },
        Err(_) => default,
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a Tokio runtime");
    if let Ok(address) = std::env::var(CHILD) {
        let address: SocketAddr = address
            .parse()
            .unwrap_or_else(|_| panic!("{CHILD} must be a socket address, not {address:?}"));
        let sockets = count(CHILD_SOCKETS, 1);
        runtime.block_on(child::run(address, sockets));
        return;
    }
    let settings = Settings::from_env();
    let report = runtime.block_on(run(settings));
    print!("{report}");
}

/// Runs every phase and returns the table.
async fn run(settings: Settings) -> String {
    let memory = memory::measure(settings.sockets).await;
    let sandbox = Served::start().await;
    let mut calls = Calls::new(client(&sandbox.base())).await;
    let (mut base, mut late, mut fast) = (
        Baseline::default(),
        Latency::default(),
        Throughput::default(),
    );
    // The warm-up: calls without, then with, a subscriber, none of them counted.
    baseline(&mut calls, settings.warmup, &mut Baseline::default()).await;
    let subscription = subscribe(&sandbox, &calls, "the warm-up subscription").await;
    let warm = latency(
        &mut calls,
        subscription,
        settings.warmup,
        &mut Latency::default(),
    )
    .await;
    drop(warm);
    tokio::time::sleep(FORGET).await;

    for round in 0..settings.rounds {
        let count = settings.calls / settings.rounds
            + usize::from(round < settings.calls % settings.rounds);
        baseline(&mut calls, ROUND_WARMUP, &mut Baseline::default()).await;
        baseline(&mut calls, count, &mut base).await;
        let name = format!(
            "the subscription of round {} of {}",
            round + 1,
            settings.rounds
        );
        let subscription = subscribe(&sandbox, &calls, &name).await;
        let warm = &mut Latency::default();
        let subscription = latency(&mut calls, subscription, ROUND_WARMUP, warm).await;
        let subscription = latency(&mut calls, subscription, count, &mut late).await;
        throughput(&mut calls, subscription, count, &mut fast).await;
        // The subscription is gone: the sandbox forgets its socket before the next baseline.
        tokio::time::sleep(FORGET).await;
    }
    sandbox.stop().await;
    table(settings, &base, &late, &fast, memory.as_ref())
}
