//! The report: the figures as a table (percentiles, rates and ratios), then the details
//! behind them.

use std::fmt::Write as _;
use std::time::Duration;

use crate::latency::{Baseline, Latency};
use crate::throughput::Throughput;
use crate::{ROUND_WARMUP, Settings, memory};

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

/// `count` per `elapsed`, per second.
fn per_second(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

/// A duration in microseconds, with one decimal.
fn micros(duration: Duration) -> String {
    format!("{:.1} µs", duration.as_secs_f64() * 1e6)
}

/// The figures as a table, then the details behind them.
pub(crate) fn table(
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
