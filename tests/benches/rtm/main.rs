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
//! the benchmark panics, naming it and saying where it stands (see [`authenticated`]).
//!
//! N is 2,000 calls in 10 rounds after 300 warm-up calls (`RTM_BENCH_CALLS`,
//! `RTM_BENCH_ROUNDS`, `RTM_BENCH_WARMUP`) and K is 1,000 sockets (`RTM_BENCH_SOCKETS`). Run
//! without `--bench` (as `cargo test --benches` runs it), it is a quick smoke run with small N
//! and K.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crisp_client::models::{ChangeConversationStateBody, ConversationState, Event};
use crisp_client::rtm::{Reconnect, Subscription};
use crisp_client::{Client, RetryPolicy, tier};
use crisp_sandbox::state::SEED_WEBSITE_ID;
use crisp_sandbox::{Config, Mode, Sandbox, Token};
use futures_util::FutureExt as _;
use futures_util::future::join_all;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;
use tokio::process::Command;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

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

/// A subscription of the timed phases, called `name`: `session:set_state` only,
/// authenticated.
async fn subscribe(sandbox: &Served, calls: &Calls, name: &str) -> Subscription<Event> {
    let subscription = calls
        .client
        .realtime()
        .events([EVENT])
        .endpoint(sandbox.rtm())
        .reconnect(Reconnect::disabled())
        .subscribe();
    let mut subscriptions = [subscription];
    if let Err(error) = authenticated(&mut subscriptions, |_| name.to_owned()).await {
        panic!("setup failed: {error}");
    }
    let [subscription] = subscriptions;
    subscription
}

/// A sandbox served in the background.
struct Served {
    address: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Served {
    /// A stateful sandbox accepting [`PLUGIN`], on a free loopback port.
    async fn start() -> Served {
        let token: Token = format!("plugin:{}:{}", PLUGIN.0, PLUGIN.1)
            .parse()
            .expect("a valid token");
        let config = Config {
            mode: Mode::Stateful,
            tokens: vec![token],
            ..Config::default()
        };
        let sandbox = Sandbox::new(config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let address = listener.local_addr().expect("the bound address");
        let (stop, stopped) = oneshot::channel::<()>();
        let closing = sandbox.clone();
        let task = tokio::spawn(crisp_sandbox::serve(
            listener,
            sandbox.router(),
            async move {
                let _ = stopped.await;
                // RTM connections outlive the HTTP server unless closed.
                closing.close_rtm().await;
            },
        ));
        Served {
            address,
            stop,
            task,
        }
    }

    /// The base URL of its REST API.
    fn base(&self) -> String {
        format!("http://{}/v1", self.address)
    }

    /// The URL of its real-time API.
    fn rtm(&self) -> String {
        format!("ws://{}/rtm/", self.address)
    }

    /// Stops it and waits until it has stopped.
    async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(SETUP_TIMEOUT, self.task)
            .await
            .expect("the sandbox stops in time")
            .expect("the sandbox task does not panic")
            .expect("the sandbox serves without an I/O error");
    }
}

/// The generated client with the plugin token, retries disabled.
fn client(base: &str) -> Client<tier::Plugin> {
    Client::builder()
        .plugin(PLUGIN.0, PLUGIN.1)
        .base_url(base)
        .retry(RetryPolicy::disabled())
        .user_agent("rtm-bench")
        .build()
        .expect("a client")
}

/// The timed calls: `changeConversationState` on one conversation, alternating the state.
struct Calls {
    client: Client<tier::Plugin>,
    session: String,
    /// How many calls were made so far, which tells the state of the next one.
    made: usize,
}

impl Calls {
    /// Creates the conversation the calls change.
    async fn new(client: Client<tier::Plugin>) -> Calls {
        let created = client
            .website_conversation()
            .create_new_conversation(SEED_WEBSITE_ID)
            .await
            .expect("the sandbox creates a conversation");
        let session = created
            .session_id
            .expect("the created conversation has a session id");
        Calls {
            client,
            session,
            made: 0,
        }
    }

    /// The state call number `index` sets.
    fn state(index: usize) -> ConversationState {
        if index.is_multiple_of(2) {
            ConversationState::Resolved
        } else {
            ConversationState::Unresolved
        }
    }

    /// Makes the next call and returns the state it set.
    async fn next(&mut self) -> ConversationState {
        let state = Calls::state(self.made);
        self.made += 1;
        let body = ChangeConversationStateBody {
            state: state.clone(),
            user: None,
            origin: None,
        };
        self.client
            .website_conversation()
            .change_conversation_state(SEED_WEBSITE_ID, &self.session, &body)
            .await
            .expect("the sandbox changes the state");
        state
    }
}

/// Checks that `item`, the next item of the stream, is the event of a call on `session`
/// that set `state`.
fn check(
    item: Option<Result<Event, crisp_client::rtm::Error>>,
    session: &str,
    state: &ConversationState,
) {
    match item {
        Some(Ok(Event::SessionSetState(event)))
            if event.session_id == session && event.state == *state => {}
        Some(Ok(event)) => panic!("expected {EVENT} to {state:?} on {session}, got {event:?}"),
        Some(Err(error)) => panic!("the subscription ended: {error}"),
        None => panic!("the subscription ended without an error"),
    }
}

/// The next item of the stream, within [`EVENT_TIMEOUT`].
async fn next_item(
    subscription: &mut Subscription<Event>,
) -> Option<Result<Event, crisp_client::rtm::Error>> {
    tokio::time::timeout(EVENT_TIMEOUT, subscription.next())
        .await
        .unwrap_or_else(|_| panic!("no event within {} s", EVENT_TIMEOUT.as_secs()))
}

/// Waits until every one of `subscriptions` is authenticated, each for at most
/// [`AUTHENTICATION_TIMEOUT`] (they wait together); `name` names a subscription by its index.
/// The sandbox answers an authentication in milliseconds, so one not authenticated in that
/// time, or one that ended first (refused, or its connection failed), is a failure of the
/// setup: the error names the first such subscription and says where it stands.
async fn authenticated(
    subscriptions: &mut [Subscription<Event>],
    name: impl Fn(usize) -> String,
) -> Result<(), String> {
    let waits = subscriptions.iter().map(|subscription| {
        tokio::time::timeout(AUTHENTICATION_TIMEOUT, subscription.authenticated())
    });
    let outcomes = join_all(waits).await;
    let mut failed = outcomes
        .iter()
        .enumerate()
        .filter(|(_, outcome)| !matches!(outcome, Ok(true)));
    let Some((first, outcome)) = failed.next() else {
        return Ok(());
    };
    let others = match failed.count() {
        0 => String::new(),
        1 => " (and 1 other)".to_owned(),
        more => format!(" (and {more} others)"),
    };
    let subscription = &mut subscriptions[first];
    let state = subscription.state();
    Err(match outcome {
        Ok(_) => format!(
            "{}{others} ended before it was authenticated (state {state:?}): {:?}",
            name(first),
            subscription.next().now_or_never().flatten()
        ),
        Err(_) => format!(
            "{}{others} not authenticated within {} s (state {state:?})",
            name(first),
            AUTHENTICATION_TIMEOUT.as_secs()
        ),
    })
}

/// The median and the 99th percentile of some durations.
#[derive(Clone, Copy, Debug)]
struct Percentiles {
    median: Duration,
    p99: Duration,
}

impl Percentiles {
    /// The percentiles of `samples` (nearest rank).
    fn of(mut samples: Vec<Duration>) -> Percentiles {
        assert!(!samples.is_empty(), "no samples");
        samples.sort_unstable();
        let rank = |percent: usize| samples[(samples.len() * percent).div_ceil(100).max(1) - 1];
        Percentiles {
            median: rank(50),
            p99: rank(99),
        }
    }
}

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
struct Baseline {
    /// Each call's REST latency.
    rests: Vec<Duration>,
    /// The time the calls took, one after another.
    elapsed: Duration,
    /// The CPU time of this process during the calls, client and sandbox together.
    cpu: Option<Duration>,
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
async fn baseline(calls: &mut Calls, count: usize, baseline: &mut Baseline) {
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
struct Latency {
    /// From just before each call to its event out of the stream.
    events: Vec<Duration>,
    /// Each call's REST latency, with the subscriber connected.
    rests: Vec<Duration>,
    /// How many events were out of the stream before their call's answer.
    early: usize,
    /// The CPU time of this process during the calls, client, sandbox and events together.
    cpu: Option<Duration>,
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
async fn latency(
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

/// What the throughput phase measured, over every round.
#[derive(Default)]
struct Throughput {
    /// From each round's first call's start to its last event.
    to_last_event: Duration,
    /// From each round's first call's start to its last call's answer.
    to_last_answer: Duration,
}

/// `count` calls back to back while a task drains the stream; the subscription ends with it.
async fn throughput(
    calls: &mut Calls,
    mut subscription: Subscription<Event>,
    count: usize,
    throughput: &mut Throughput,
) {
    let session = calls.session.clone();
    let first = calls.made;
    let consumer = tokio::spawn(async move {
        let mut last = None;
        for index in first..first + count {
            check(
                next_item(&mut subscription).await,
                &session,
                &Calls::state(index),
            );
            last = Some(Instant::now());
        }
        last
    });
    let start = Instant::now();
    for _ in 0..count {
        calls.next().await;
    }
    throughput.to_last_answer += start.elapsed();
    let last_event = tokio::time::timeout(SETUP_TIMEOUT, consumer)
        .await
        .expect("every event arrives in time")
        .expect("the consumer does not panic");
    if let Some(last_event) = last_event {
        throughput.to_last_event += last_event - start;
    }
}

/// `count` per `elapsed`, per second.
fn per_second(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

/// The resident memory of this process in KiB (`VmRSS` of `/proc/self/status`), `None` where
/// there is no such file.
fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?;
    line.trim().strip_suffix("kB")?.trim().parse().ok()
}

/// The memory phase: the sandbox in this process, the clients in a child.
mod memory {
    use tokio::io::Lines;
    use tokio::process::ChildStdout;

    use super::*;

    /// What the memory phase measured, in KiB of the sandbox's process unless said otherwise.
    pub(crate) struct Memory {
        /// How many connections of each kind (K).
        pub(crate) sockets: usize,
        /// Before any.
        pub(crate) before: u64,
        /// With K idle keep-alive connections.
        pub(crate) with_http: u64,
        /// With K idle RTM sockets too.
        pub(crate) with_rtm: u64,
        /// The child's own growth for its K subscriptions, when it could read it.
        pub(crate) child_rtm: Option<u64>,
    }

    impl Memory {
        /// KiB per keep-alive connection.
        pub(crate) fn per_http(&self) -> f64 {
            self.with_http.saturating_sub(self.before) as f64 / self.sockets as f64
        }

        /// KiB per RTM socket.
        pub(crate) fn per_rtm(&self) -> f64 {
            self.with_rtm.saturating_sub(self.with_http) as f64 / self.sockets as f64
        }
    }

    /// Runs the phase on a sandbox of its own; `None` where memory cannot be read.
    pub(crate) async fn measure(sockets: usize) -> Option<Memory> {
        resident_kib()?;
        let sandbox = Served::start().await;
        warm_up(&sandbox).await;
        tokio::time::sleep(SETTLE).await;
        let before = resident_kib().expect("VmRSS");

        let executable = std::env::current_exe().expect("the path of this benchmark binary");
        let mut child = Command::new(executable)
            .env(CHILD, sandbox.address.to_string())
            .env(CHILD_SOCKETS, sockets.to_string())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start this benchmark binary again as the client side");
        let mut input = child.stdin.take().expect("the child's stdin");
        let mut lines = BufReader::new(child.stdout.take().expect("the child's stdout")).lines();
        let opened = read_line(&mut lines).await;
        expect_ready(&opened, "http", sockets);
        tokio::time::sleep(SETTLE).await;
        let with_http = resident_kib().expect("VmRSS");

        input
            .write_all(b"rtm\n")
            .await
            .expect("tell the client process to go on");
        let subscribed = read_line(&mut lines).await;
        let child_rtm = expect_ready(&subscribed, "rtm", sockets);
        tokio::time::sleep(SETTLE).await;
        let with_rtm = resident_kib().expect("VmRSS");

        // Closing its stdin ends the child.
        drop(input);
        match tokio::time::timeout(SETUP_TIMEOUT, child.wait()).await {
            Ok(status) => {
                let status = status.expect("the client process's exit status");
                assert!(status.success(), "the client process failed: {status}");
            }
            Err(_) => {
                child.kill().await.expect("end the client process");
                panic!("the client process did not end once told to");
            }
        }
        sandbox.stop().await;
        Some(Memory {
            sockets,
            before,
            with_http,
            with_rtm,
            child_rtm,
        })
    }

    /// The child's next line; its `error: …` line becomes a panic with its message.
    async fn read_line(lines: &mut Lines<BufReader<ChildStdout>>) -> String {
        let line = tokio::time::timeout(SETUP_TIMEOUT, lines.next_line())
            .await
            .expect("the client process answers in time")
            .expect("the client process's output is readable")
            .expect("the client process says what it did before it ends");
        match line.strip_prefix("error: ") {
            Some(error) => panic!("the client process could not set up: {error}"),
            None => line,
        }
    }

    /// Reads what the child said it did, `<step> <count> <its KiB before> <its KiB after>`,
    /// checking it did `step` for `sockets` sockets; returns the child's own growth, when it
    /// could read its memory.
    fn expect_ready(line: &str, step: &str, sockets: usize) -> Option<u64> {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (before, after) = match fields.as_slice() {
            [said, count, before, after] if *said == step && count.parse() == Ok(sockets) => {
                (before, after)
            }
            _ => panic!("the client process said {line:?} instead of `{step} {sockets} …`"),
        };
        match (before.parse::<u64>(), after.parse::<u64>()) {
            (Ok(before), Ok(after)) => Some(after.saturating_sub(before)),
            _ => None,
        }
    }

    /// Pays what the first requests and the first socket allocate once, before the memory is
    /// read: a few REST calls and one subscription, from this process.
    async fn warm_up(sandbox: &Served) {
        let mut calls = Calls::new(client(&sandbox.base())).await;
        for _ in 0..10 {
            calls.next().await;
        }
        let subscription = calls
            .client
            .realtime()
            .endpoint(sandbox.rtm())
            .reconnect(Reconnect::disabled())
            .subscribe();
        let mut subscriptions = [subscription];
        let name = |_| "the warm-up subscription of the memory phase".to_owned();
        if let Err(error) = authenticated(&mut subscriptions, name).await {
            panic!("setup failed: {error}");
        }
        calls.next().await;
        drop(subscriptions);
    }
}

/// The client side of the memory phase, in its own process.
mod child {
    use super::*;

    /// Opens the keep-alive connections, says so, waits for `rtm` on stdin, opens the
    /// subscriptions, says so, and holds everything until stdin closes. A failure is one line
    /// `error: …`, for the parent to show.
    pub(crate) async fn run(address: SocketAddr, sockets: usize) {
        let before = resident();
        let connections = match keep_alive_connections(address, sockets).await {
            Ok(connections) => connections,
            Err(error) => return println!("error: {error}"),
        };
        println!("http {} {before} {}", connections.len(), resident());

        match read_stdin_line().await {
            Some(line) if line.trim() == "rtm" => {}
            other => return println!("error: expected `rtm` on stdin, got {other:?}"),
        }
        let before = resident();
        let subscriptions = match subscriptions(address, sockets).await {
            Ok(subscriptions) => subscriptions,
            Err(error) => return println!("error: {error}"),
        };
        println!("rtm {} {before} {}", subscriptions.len(), resident());

        // Idle until the parent closes stdin.
        while read_stdin_line().await.is_some() {}
        drop(subscriptions);
        drop(connections);
    }

    /// The next line of stdin, `None` at its end (or if it cannot be read). Read on a
    /// blocking thread: the crate's Tokio has no `io-std`.
    async fn read_stdin_line() -> Option<String> {
        let read = tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            match std::io::stdin().read_line(&mut line) {
                Ok(0) | Err(_) => None,
                Ok(_) => Some(line),
            }
        });
        read.await.ok().flatten()
    }

    /// This process's resident memory in KiB, or `-`.
    fn resident() -> String {
        resident_kib().map_or_else(|| "-".to_owned(), |kib| kib.to_string())
    }

    /// `sockets` HTTP/1.1 connections that each made one REST call and were kept open.
    async fn keep_alive_connections(
        address: SocketAddr,
        sockets: usize,
    ) -> Result<Vec<TcpStream>, String> {
        let authorization = reqwest::Client::new()
            .get(format!("http://{address}/"))
            .basic_auth(PLUGIN.0, Some(PLUGIN.1))
            .build()
            .map_err(|error| error.to_string())?
            .headers()
            .get(reqwest::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
            .ok_or("no Authorization header")?;
        let request = format!(
            "GET /v1/plugin/connect/endpoints HTTP/1.1\r\nHost: {address}\r\nAuthorization: {authorization}\r\nX-Crisp-Tier: plugin\r\nAccept: application/json\r\n\r\n"
        );
        let mut connections = Vec::with_capacity(sockets);
        while connections.len() < sockets {
            let batch = BATCH.min(sockets - connections.len());
            let opened = tokio::time::timeout(
                SETUP_TIMEOUT,
                join_all((0..batch).map(|_| one_call(address, &request))),
            )
            .await
            .map_err(|_| {
                format!(
                    "{batch} keep-alive connections did not open within {} s",
                    SETUP_TIMEOUT.as_secs()
                )
            })?;
            for connection in opened {
                connections.push(connection.map_err(|error| {
                    format!(
                        "keep-alive connection {} failed: {error} (is `ulimit -n` high enough?)",
                        connections.len() + 1
                    )
                })?);
            }
        }
        Ok(connections)
    }

    /// Connects, sends `request` and reads its answer (which must be a 200 with a
    /// `Content-Length`), keeping the connection.
    async fn one_call(address: SocketAddr, request: &str) -> Result<TcpStream, String> {
        let mut stream = TcpStream::connect(address)
            .await
            .map_err(|error| error.to_string())?;
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|error| error.to_string())?;
        let mut answer = Vec::with_capacity(1024);
        let mut chunk = [0_u8; 1024];
        loop {
            let read = stream
                .read(&mut chunk)
                .await
                .map_err(|error| error.to_string())?;
            if read == 0 {
                return Err("the sandbox closed the connection before answering".to_owned());
            }
            answer.extend_from_slice(&chunk[..read]);
            let Some(end) = answer.windows(4).position(|window| window == b"\r\n\r\n") else {
                continue;
            };
            let head = String::from_utf8_lossy(&answer[..end]).to_ascii_lowercase();
            if !head.starts_with("http/1.1 200") {
                return Err(format!("the sandbox answered {:?}", head.lines().next()));
            }
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|length| length.trim().parse().ok())
                .ok_or("the answer has no Content-Length")?;
            if answer.len() >= end + 4 + length {
                return Ok(stream);
            }
        }
    }

    /// `sockets` authenticated subscriptions to every event the crate knows, opened
    /// [`BATCH`] at a time.
    async fn subscriptions(
        address: SocketAddr,
        sockets: usize,
    ) -> Result<Vec<Subscription<Event>>, String> {
        let client = client(&format!("http://{address}/v1"));
        let endpoint = format!("ws://{address}/rtm/");
        let mut subscriptions: Vec<Subscription<Event>> = Vec::with_capacity(sockets);
        while subscriptions.len() < sockets {
            let opened = subscriptions.len();
            let batch = BATCH.min(sockets - opened);
            let mut made: Vec<Subscription<Event>> = (0..batch)
                .map(|_| {
                    client
                        .realtime()
                        .endpoint(&endpoint)
                        .reconnect(Reconnect::disabled())
                        .subscribe()
                })
                .collect();
            let name =
                |index: usize| format!("idle subscription {} of {sockets}", opened + index + 1);
            authenticated(&mut made, name).await?;
            subscriptions.extend(made);
        }
        Ok(subscriptions)
    }
}

/// A duration in microseconds, with one decimal.
fn micros(duration: Duration) -> String {
    format!("{:.1} µs", duration.as_secs_f64() * 1e6)
}

/// The figures as a table, then the details behind them.
fn table(
    settings: Settings,
    baseline: &Baseline,
    latency: &Latency,
    throughput: &Throughput,
    memory: Option<&memory::Memory>,
) -> String {
    let Settings {
        calls,
        warmup,
        rounds,
        sockets,
        bench,
    } = settings;
    let ratio = |value: f64, base: f64| format!("{:.2}×", value / base);
    let seconds = |value: Duration| value.as_secs_f64();
    let per_call = |cpu: Option<Duration>| {
        cpu.map_or_else(
            || "not read".to_owned(),
            |cpu| micros(cpu / u32::try_from(calls).unwrap_or(u32::MAX)),
        )
    };
    let rest = Percentiles::of(baseline.rests.clone());
    let event = Percentiles::of(latency.events.clone());
    let rest_with = Percentiles::of(latency.rests.clone());
    let calls_per_second = per_second(calls, baseline.elapsed);
    let events_per_second = per_second(calls, throughput.to_last_event);
    let n = format!("N={calls}");
    let k = format!("K={sockets}");
    let mut rows: Vec<[String; 5]> = vec![
        [
            "call → event, median".to_owned(),
            micros(event.median),
            format!("{} REST", micros(rest.median)),
            ratio(seconds(event.median), seconds(rest.median)),
            n.clone(),
        ],
        [
            "call → event, p99".to_owned(),
            micros(event.p99),
            format!("{} REST", micros(rest.p99)),
            ratio(seconds(event.p99), seconds(rest.p99)),
            n.clone(),
        ],
        [
            "throughput".to_owned(),
            format!("{events_per_second:.0} events/s"),
            format!("{calls_per_second:.0} calls/s"),
            ratio(events_per_second, calls_per_second),
            n,
        ],
    ];
    match memory {
        Some(memory) => rows.push([
            "sandbox RSS per idle RTM socket".to_owned(),
            format!("{:.1} KiB", memory.per_rtm()),
            format!("{:.1} KiB per keep-alive", memory.per_http()),
            ratio(memory.per_rtm(), memory.per_http()),
            k,
        ]),
        None => rows.push([
            "sandbox RSS per idle RTM socket".to_owned(),
            "not measured".to_owned(),
            "(no /proc/self/status)".to_owned(),
            String::new(),
            k,
        ]),
    }
    let header = ["figure", "value", "baseline", "ratio", "n"].map(str::to_owned);
    let widths: Vec<usize> = (0..5)
        .map(|column| {
            std::iter::once(&header)
                .chain(&rows)
                .map(|row| row[column].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    let mode = if bench {
        ""
    } else {
        " (smoke run, without --bench)"
    };
    let _ = writeln!(
        out,
        "rtm: N = {calls} changeConversationState calls in {rounds} rounds of baseline, latency and throughput (after {warmup} warm-up calls, and {ROUND_WARMUP} before each round's baseline and latency), K = {sockets} idle sockets of each kind{mode}"
    );
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        let _ = writeln!(out, "  {}", cells.join("  ").trim_end());
    }
    let _ = writeln!(
        out,
        "baseline (no subscriber): REST median {}, p99 {}, {calls_per_second:.0} calls/s; CPU {} per call (client and sandbox)",
        micros(rest.median),
        micros(rest.p99),
        per_call(baseline.cpu)
    );
    let _ = writeln!(
        out,
        "latency (1 subscriber): REST median {} ({}), p99 {}; CPU {} per call (client, sandbox and event); event out of the stream before its call's answer: {} of {calls}",
        micros(rest_with.median),
        ratio(seconds(rest_with.median), seconds(rest.median)),
        micros(rest_with.p99),
        per_call(latency.cpu),
        latency.early
    );
    let _ = writeln!(
        out,
        "throughput: the calls took {:.1} ms ({:.0} calls/s), their events {:.1} ms (from each round's first call to its last event)",
        seconds(throughput.to_last_answer) * 1e3,
        per_second(calls, throughput.to_last_answer),
        seconds(throughput.to_last_event) * 1e3
    );
    if let Some(memory) = memory {
        let child = memory.child_rtm.map_or_else(
            || "not read".to_owned(),
            |kib| {
                format!(
                    "{:.1} KiB per subscription",
                    kib as f64 / memory.sockets as f64
                )
            },
        );
        let _ = writeln!(
            out,
            "memory (VmRSS of the sandbox's process): {} KiB before, {} KiB with {sockets} idle keep-alive connections that made one call each (+{}, {:.1} KiB each), {} KiB with {sockets} idle authenticated RTM sockets to every event too (+{}, {:.1} KiB each, a WebSocket connection of its own included); client process: {child}",
            memory.before,
            memory.with_http,
            memory.with_http.saturating_sub(memory.before),
            memory.per_http(),
            memory.with_rtm,
            memory.with_rtm.saturating_sub(memory.with_http),
            memory.per_rtm()
        );
    }
    out
}
