//! The generator against hostile input: mutants of every valid fixture and of the spec
//! (`crisp_codegen::mutate`, a fixed seed) must each be accepted, or rejected with diagnostics
//! that each name their place; none may panic or hang. `cargo xtask mutate` runs as many as
//! asked, with any seed, and compiles a sample of the accepted ones.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use crisp_codegen::mutate::{Mutator, Verdict, judge};

/// The seed of the suite's mutants: a failure names its base and number, and
/// `Mutator::new(base, SEED).mutant(index)` makes it again.
const SEED: u64 = 0x5eed;
/// Mutants per fixture; and of the spec, which takes longer to generate.
const PER_FIXTURE: u64 = 24;
const OF_THE_SPEC: u64 = 3;
/// How long one mutant may take.
const HANG: Duration = Duration::from_secs(60);

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_owned()
}

/// The spec and the valid fixtures, with their names in diagnostics.
fn bases() -> Vec<(String, String)> {
    crisp_codegen::mutate::base_specs(&root()).expect("the spec and the valid fixtures")
}

/// Judges `text` on a thread of its own, so that a hang is reported rather than waited for.
fn judged(name: &str, text: &str) -> Result<Verdict, String> {
    let (sender, receiver) = mpsc::channel();
    let (name, text) = (name.to_owned(), text.to_owned());
    std::thread::Builder::new()
        .stack_size(16 * 1024 * 1024)
        .spawn(move || {
            let _ = sender.send(judge(&name, &text));
        })
        .expect("a thread");
    receiver
        .recv_timeout(HANG)
        .map_err(|_| format!("no verdict within {} s", HANG.as_secs()))
}

#[test]
fn every_mutant_is_generated_or_rejected_in_its_place() {
    let bases = bases();
    let mut failures = Vec::new();
    let (mut accepted, mut rejected) = (0, 0);
    for (position, (name, text)) in bases.iter().enumerate() {
        let value = serde_yaml::from_str(text).expect("a base parses");
        let mutator = Mutator::new(value, SEED);
        let count = if position == 0 {
            OF_THE_SPEC
        } else {
            PER_FIXTURE
        };
        for index in 0..count {
            let mutant = mutator.mutant(index);
            match judged(name, &mutant.text) {
                Ok(Verdict::Accepted(_)) => accepted += 1,
                Ok(Verdict::Rejected(_)) => rejected += 1,
                Ok(other) => failures.push(format!(
                    "- mutant {index} of {name} ({}): {other}",
                    mutant.description.replace('\n', "; ")
                )),
                Err(hang) => failures.push(format!(
                    "- mutant {index} of {name} ({}): {hang}",
                    mutant.description.replace('\n', "; ")
                )),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mutant(s) broke the rule:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Both outcomes are exercised, or the mutants prove little.
    assert!(
        accepted > 50 && rejected > 200,
        "{accepted} accepted, {rejected} rejected"
    );
}

#[test]
fn the_judge_accepts_located_rejections() {
    // YAML that does not parse, and a spec without operations: both rejected in their place.
    let not_yaml = judge("bad.yaml", "openapi: [");
    assert!(
        matches!(&not_yaml, Verdict::Rejected(d) if d.len() == 1),
        "{not_yaml}"
    );
    let no_operation = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n";
    assert!(matches!(
        judge("empty.yaml", no_operation),
        Verdict::Rejected(d) if d.len() == 1
    ));
}
