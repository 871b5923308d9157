//! `cargo xtask semver-crosscheck`: the verdicts of `cargo xtask diff` against those of
//! cargo-semver-checks, which reads the crates' rustdoc and knows nothing of the spec.
//!
//! For each edit of `tests/fixtures/diff/` it generates the crates of the base spec and of the
//! edited one into `target/semver-crosscheck/<case>/{old,new}` (both with the base's version,
//! and `--release-type patch`, so cargo-semver-checks says which bump the change needs), runs
//! `cargo semver-checks check-release` on each of the three crates, and prints a Markdown
//! table of both verdicts. Ours must never be lower than theirs: a change they call major
//! that we do not is a hole in our policy, and the command exits 1.
//!
//! Not part of CI: cargo-semver-checks must be installed (`cargo install cargo-semver-checks
//! --locked`) and each case builds six rustdocs (about ten minutes for all cases).

use std::fs;
use std::path::Path;
use std::process::{Command, ExitCode};

use crisp_codegen::diff::{self, Crate, Level};

/// A verdict per crate, in the order of [`Crate::ALL`]; `None` when it needs no bump.
type Verdicts = [Option<Level>; 3];

/// Runs every case, or those whose file name contains `filter`.
pub fn run(root: &Path, filter: Option<&str>) -> ExitCode {
    let dir = root.join("tests/fixtures/diff");
    let manifest = match fs::read_to_string(root.join("Cargo.toml")) {
        Ok(text) => text,
        Err(err) => {
            eprintln!("error: cannot read Cargo.toml: {err}");
            return ExitCode::FAILURE;
        }
    };
    let base_text = match fs::read_to_string(dir.join("base.yaml")) {
        Ok(text) => text,
        Err(err) => {
            eprintln!("error: cannot read the base spec: {err}");
            return ExitCode::FAILURE;
        }
    };
    let mut cases: Vec<_> = fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|path| {
                    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    name.ends_with(".yaml")
                        && name.starts_with(|c: char| c.is_ascii_digit())
                        && filter.is_none_or(|f| name.contains(f))
                })
                .collect()
        })
        .unwrap_or_default();
    cases.sort();
    println!(
        "| edit | `cargo xtask diff` (models, client, server) | cargo-semver-checks (models, client, server) | ours ≥ theirs |"
    );
    println!("| --- | --- | --- | --- |");
    let mut holes = 0;
    for case in &cases {
        let name = case.file_stem().and_then(|n| n.to_str()).unwrap_or("case");
        match cross_check(root, &manifest, &base_text, case, name) {
            Ok((ours, theirs)) => {
                let fine = Crate::ALL
                    .iter()
                    .zip(ours.iter().zip(&theirs))
                    .all(|(_, (ours, theirs))| theirs.is_none_or(|t| ours.is_some_and(|o| o >= t)));
                if !fine {
                    holes += 1;
                }
                println!(
                    "| `{name}` | {} | {} | {} |",
                    verdicts(&ours),
                    verdicts(&theirs),
                    if fine { "yes" } else { "**no**" }
                );
            }
            Err(message) => {
                eprintln!("error: {name}: {message}");
                return ExitCode::from(3);
            }
        }
    }
    if holes > 0 {
        eprintln!("{holes} edit(s) where cargo-semver-checks asks for more than we do");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn verdicts(levels: &Verdicts) -> String {
    levels
        .iter()
        .map(|level| level.map_or("none", Level::as_str))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Our verdicts and cargo-semver-checks' for one edit, per crate.
fn cross_check(
    root: &Path,
    manifest: &str,
    base_text: &str,
    case: &Path,
    name: &str,
) -> Result<(Verdicts, Verdicts), String> {
    let mut doc: serde_yaml::Value = serde_yaml::from_str(base_text).map_err(|e| e.to_string())?;
    let patch: serde_yaml::Value =
        serde_yaml::from_str(&fs::read_to_string(case).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    diff::apply_patch(&mut doc, &patch)?;
    // Both sides keep the base's version, so that cargo-semver-checks names the bump needed.
    doc["info"]["x-crisp-crate-version"] = serde_yaml::from_str("'0.3.1'").expect("YAML");
    let new_text = serde_yaml::to_string(&doc).map_err(|e| e.to_string())?;
    let old_spec =
        crisp_codegen::load::load_str("base.yaml", base_text).map_err(|d| d.to_string())?;
    let new_spec = crisp_codegen::load::load_str(name, &new_text).map_err(|d| d.to_string())?;
    let old_api = crisp_codegen::ir::build(&old_spec).map_err(|d| d.to_string())?;
    let new_api = crisp_codegen::ir::build(&new_spec).map_err(|d| d.to_string())?;
    let report = diff::diff(&old_api, &new_api);
    let ours = Crate::ALL.map(|krate| report.level(krate));
    let out = root.join("target/semver-crosscheck").join(name);
    for (side, spec) in [("old", &old_spec), ("new", &new_spec)] {
        let files = crisp_codegen::generate(spec).map_err(|d| d.to_string())?;
        crate::fixtures::write_workspace(root, &out.join(side), "xcheck", files, manifest)?;
    }
    let mut theirs = [None; 3];
    for (slot, krate) in theirs.iter_mut().zip(Crate::ALL) {
        let package = krate.package().replace("crisp-", "xcheck-");
        let output = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .args(["semver-checks", "check-release", "--manifest-path"])
            .arg(out.join("new/Cargo.toml"))
            .arg("--baseline-root")
            .arg(out.join("old"))
            .args(["--package", &package, "--release-type", "patch"])
            .env(
                "CARGO_TARGET_DIR",
                root.join("target/semver-crosscheck/target"),
            )
            .output()
            .map_err(|e| format!("cannot run cargo semver-checks: {e}"))?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        *slot = if output.status.success() {
            None
        } else if text.contains("new major version") {
            Some(Level::Major)
        } else if text.contains("new minor version") {
            Some(Level::Minor)
        } else {
            return Err(format!("cargo semver-checks failed on {package}:\n{text}"));
        };
    }
    Ok((ours, theirs))
}
