//! `cargo xtask mutate`: the generator against hostile variations of every spec we have, as
//! many as asked, with any seed; a sample of the accepted ones must compile.
//!
//! ```text
//! cargo xtask mutate [--seed N] [--count N] [--compile N] [--show INDEX]
//! ```
//!
//! The bases are `spec/crisp.yaml` and every valid fixture; mutant `i` is mutant `i` of base
//! `i % bases` (see `crisp_codegen::mutate`). Each mutant must be accepted, or rejected with
//! diagnostics that each name their place; a panic, a hang (no verdict within a minute) or an
//! abort (a stack overflow ends a process) is a failure. So that an abort does not end the run,
//! the mutants are judged by a worker process (this binary, `mutate-worker`), restarted after the
//! mutant that killed it. Then `--compile` accepted mutants, spread over the run, are written
//! as small workspaces (next to those of `cargo xtask fixtures`, sharing their target directory)
//! and checked with `cargo check --all-features` and warnings denied.
//! `--show INDEX` prints one mutant and its verdict, to replay a failure (with `--compile N`,
//! an accepted one is compiled too).
//!
//! Exit code 0 when every mutant held to the rule, 1 otherwise, 2 for a wrong command line.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::io::{BufRead, BufReader, Write as _};
use std::path::Path;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crisp_codegen::mutate::{Mutator, Verdict, judge};

/// How long one mutant may take before it counts as a hang.
const HANG: Duration = Duration::from_secs(60);

/// The seed unless one is given.
const DEFAULT_SEED: u64 = 0x0C21_5BAD_5EED;

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
struct Options {
    seed: u64,
    count: u64,
    compile: usize,
    show: Option<u64>,
    /// Judge `[from, to)` and print the verdicts (the worker's side).
    worker: Option<(u64, u64)>,
}

fn parse(args: &[OsString], worker: bool) -> Result<Options, String> {
    let mut options = Options {
        seed: DEFAULT_SEED,
        count: 1000,
        compile: 10,
        show: None,
        worker: None,
    };
    let mut from = None;
    let mut to = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let name = arg.to_str().ok_or("a non-UTF-8 argument")?;
        let mut value = || -> Result<u64, String> {
            let text = args
                .next()
                .and_then(|value| value.to_str())
                .ok_or(format!("`{name}` needs a number"))?;
            let parsed = match text.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => text.parse(),
            };
            parsed.map_err(|_| format!("`{name}` needs a number, not `{text}`"))
        };
        match name {
            "--seed" => options.seed = value()?,
            "--count" => options.count = value()?,
            "--compile" => {
                options.compile = usize::try_from(value()?).map_err(|e| e.to_string())?
            }
            "--show" => options.show = Some(value()?),
            "--from" if worker => from = Some(value()?),
            "--to" if worker => to = Some(value()?),
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    if worker {
        options.worker = Some((
            from.ok_or("`--from` is needed")?,
            to.ok_or("`--to` is needed")?,
        ));
    }
    Ok(options)
}

/// One spec to mutate: its name in diagnostics and its parsed YAML.
struct Base {
    name: String,
    mutator: Mutator,
}

/// The bases, in a fixed order: the spec, then the fixtures by name.
fn bases(root: &Path, seed: u64) -> Result<Vec<Base>, String> {
    crisp_codegen::mutate::base_specs(root)?
        .into_iter()
        .map(|(name, text)| {
            let value = serde_yaml::from_str(&text)
                .map_err(|error| format!("{name} is not YAML: {error}"))?;
            Ok(Base {
                name,
                mutator: Mutator::new(value, seed),
            })
        })
        .collect()
}

/// The base of mutant `index` and the mutant itself.
fn mutant(bases: &[Base], index: u64) -> (&Base, crisp_codegen::mutate::Mutant) {
    let count = u64::try_from(bases.len()).unwrap_or(1).max(1);
    let base = &bases[usize::try_from(index % count).unwrap_or(0)];
    (base, base.mutator.mutant(index))
}

/// `cargo xtask mutate …` (or the worker, with `worker`).
pub fn run(root: &Path, args: &[OsString], worker: bool) -> ExitCode {
    let options = match parse(args, worker) {
        Ok(options) => options,
        Err(message) => {
            eprintln!(
                "error: {message}\n\nUsage: cargo xtask mutate [--seed N] [--count N] [--compile N] [--show INDEX]"
            );
            return ExitCode::from(2);
        }
    };
    let bases = match bases(root, options.seed) {
        Ok(bases) => bases,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    if let Some((from, to)) = options.worker {
        return work(&bases, from, to);
    }
    if let Some(index) = options.show {
        let (base, mutant) = mutant(&bases, index);
        println!(
            "# mutant {index} of {} (seed {:#x})\n# {}\n{}",
            base.name,
            options.seed,
            mutant.description.replace('\n', "\n# "),
            mutant.text
        );
        let verdict = judge(&base.name, &mutant.text);
        println!("# verdict: {verdict}");
        if let Verdict::Rejected(diagnostics) = &verdict {
            println!("{diagnostics}");
        }
        // With `--compile`, an accepted mutant is compiled too.
        if let (Verdict::Accepted(files), true) = (
            verdict,
            options.compile > 0 && args.iter().any(|arg| arg == "--compile"),
        ) {
            let manifest = fs::read_to_string(root.join("Cargo.toml")).unwrap_or_default();
            return match crate::fixtures::compile(
                root,
                &root.join("target/fixture-crates"),
                &format!("mutant{index}"),
                files,
                &manifest,
            ) {
                Ok(()) => {
                    println!("# compiles without warnings");
                    ExitCode::SUCCESS
                }
                Err(errors) => {
                    println!("# does not compile:\n{errors}");
                    ExitCode::FAILURE
                }
            };
        }
        return ExitCode::SUCCESS;
    }
    supervise(root, &bases, &options)
}

/// The worker: judges mutants `[from, to)`, one line before and one after each.
fn work(bases: &[Base], from: u64, to: u64) -> ExitCode {
    let stdout = std::io::stdout();
    for index in from..to {
        let (base, mutant) = mutant(bases, index);
        let _ = writeln!(stdout.lock(), "start {index}");
        let verdict = judge(&base.name, &mutant.text);
        let (kind, detail) = match &verdict {
            Verdict::Accepted(_) => ("accepted", String::new()),
            Verdict::Rejected(_) => ("rejected", String::new()),
            Verdict::Unlocated(_) => ("unlocated", verdict.to_string()),
            Verdict::Panicked(_) => ("panicked", verdict.to_string()),
        };
        let _ = writeln!(
            stdout.lock(),
            "done {index} {kind} {}",
            detail.replace('\n', " ")
        );
    }
    ExitCode::SUCCESS
}

/// A worker process and the lines it prints.
struct Worker {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Worker {
    fn start(options: &Options, from: u64) -> Result<Worker, String> {
        let exe = std::env::current_exe().map_err(|error| error.to_string())?;
        let mut child = Command::new(exe)
            .args([
                "mutate-worker",
                "--seed",
                &options.seed.to_string(),
                "--from",
                &from.to_string(),
                "--to",
                &options.count.to_string(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| format!("cannot start a worker: {error}"))?;
        let stdout = child.stdout.take().ok_or("no worker stdout")?;
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Worker { child, lines })
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the workers over every mutant, then compiles a sample of the accepted ones.
fn supervise(root: &Path, bases: &[Base], options: &Options) -> ExitCode {
    let started = Instant::now();
    let mut tally: BTreeMap<&str, u64> = BTreeMap::new();
    let mut failures: Vec<String> = Vec::new();
    let mut accepted: Vec<u64> = Vec::new();
    let mut next = 0;
    while next < options.count {
        let worker = match Worker::start(options, next) {
            Ok(worker) => worker,
            Err(message) => {
                eprintln!("error: {message}");
                return ExitCode::FAILURE;
            }
        };
        let mut current = None;
        loop {
            match worker.lines.recv_timeout(HANG) {
                Ok(line) => {
                    let mut words = line.splitn(4, ' ');
                    match (
                        words.next(),
                        words.next().and_then(|n| n.parse::<u64>().ok()),
                        words.next(),
                        words.next(),
                    ) {
                        (Some("start"), Some(index), ..) => current = Some(index),
                        (Some("done"), Some(index), Some(kind), detail) => {
                            current = None;
                            next = index + 1;
                            *tally.entry(kind_name(kind)).or_default() += 1;
                            match kind {
                                "accepted" => accepted.push(index),
                                "rejected" => {}
                                _ => failures.push(describe(
                                    bases,
                                    options.seed,
                                    index,
                                    detail.unwrap_or(kind),
                                )),
                            }
                            if next % 500 == 0 {
                                eprintln!(
                                    "{next} mutants judged in {:.0} s",
                                    started.elapsed().as_secs_f64()
                                );
                            }
                        }
                        _ => {}
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let index = current.unwrap_or(next);
                    *tally.entry("hung").or_default() += 1;
                    failures.push(describe(
                        bases,
                        options.seed,
                        index,
                        &format!("no verdict within {} s", HANG.as_secs()),
                    ));
                    next = index + 1;
                    break;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    if let Some(index) = current {
                        *tally.entry("aborted").or_default() += 1;
                        failures.push(describe(
                            bases,
                            options.seed,
                            index,
                            "the process ended (a stack overflow or an abort)",
                        ));
                        next = index + 1;
                    }
                    break;
                }
            }
        }
    }
    let judged = started.elapsed();
    // Accepted mutants spread over the run, so that every base has a chance.
    let sample: Vec<u64> = if options.compile == 0 || accepted.is_empty() {
        Vec::new()
    } else {
        let step = (accepted.len() / options.compile).max(1);
        accepted
            .iter()
            .step_by(step)
            .take(options.compile)
            .copied()
            .collect()
    };
    let manifest = fs::read_to_string(root.join("Cargo.toml")).unwrap_or_default();
    let dir = root.join("target/fixture-crates");
    let mut compiled = 0;
    for index in &sample {
        let (base, mutant) = mutant(bases, *index);
        let Verdict::Accepted(files) = judge(&base.name, &mutant.text) else {
            failures.push(describe(
                bases,
                options.seed,
                *index,
                "accepted by the worker, not on a second run",
            ));
            continue;
        };
        match crate::fixtures::compile(root, &dir, &format!("mutant{index}"), files, &manifest) {
            Ok(()) => compiled += 1,
            Err(errors) => {
                *tally.entry("did not compile").or_default() += 1;
                failures.push(describe(
                    bases,
                    options.seed,
                    *index,
                    &format!("accepted, but does not compile:\n{errors}"),
                ));
            }
        }
    }
    println!(
        "mutants: {} (seed {:#x}) in {:.0} s: {} rejected with located diagnostics, {} accepted ({} of {} sampled compiled without warnings); panics {}, hangs {}, aborts {}, unlocated {}",
        options.count,
        options.seed,
        judged.as_secs_f64(),
        tally.get("rejected").copied().unwrap_or(0),
        tally.get("accepted").copied().unwrap_or(0),
        compiled,
        sample.len(),
        tally.get("panicked").copied().unwrap_or(0),
        tally.get("hung").copied().unwrap_or(0),
        tally.get("aborted").copied().unwrap_or(0),
        tally.get("unlocated").copied().unwrap_or(0),
    );
    if failures.is_empty() {
        return ExitCode::SUCCESS;
    }
    eprintln!("{} mutant(s) broke the rule:", failures.len());
    for failure in &failures {
        eprintln!("{failure}");
    }
    ExitCode::FAILURE
}

/// The tally's name of a worker's verdict.
fn kind_name(kind: &str) -> &'static str {
    match kind {
        "accepted" => "accepted",
        "rejected" => "rejected",
        "unlocated" => "unlocated",
        _ => "panicked",
    }
}

/// A failure, with what to run to see the mutant again.
fn describe(bases: &[Base], seed: u64, index: u64, what: &str) -> String {
    let (base, mutant) = mutant(bases, index);
    format!(
        "- mutant {index} of {} ({}): {what}\n  replay: cargo xtask mutate --seed {seed:#x} --show {index}",
        base.name,
        mutant.description.replace('\n', "; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn options_parse() {
        let options = parse(
            &args(&["--seed", "0x10", "--count", "5", "--compile", "0"]),
            false,
        )
        .expect("options");
        assert_eq!(
            (options.seed, options.count, options.compile, options.show),
            (16, 5, 0, None)
        );
        let worker = parse(&args(&["--from", "3", "--to", "9"]), true).expect("worker options");
        assert_eq!(worker.worker, Some((3, 9)));
        assert!(parse(&args(&["--from", "3"]), false).is_err());
        assert!(parse(&args(&["--count", "many"]), false).is_err());
        assert!(parse(&args(&["--from", "3"]), true).is_err());
    }
}
