//! `cargo xtask fixtures`: the generated crates of every valid fixture must compile.
//!
//! Snapshots show what the generator writes for each construct; this task proves that what it
//! writes is Rust that builds without warnings. Each fixture becomes a small workspace under
//! `target/fixture-crates/<name>/` with the three generated crates, the root's dependency
//! table (with `crisp-runtime` pointing at `runtime/`) and the root's `Cargo.lock`; all of
//! them share one target directory, so dependencies are checked once.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use crisp_codegen::write::{self, GeneratedFile};

/// Compiles the generated crates of every fixture under `tests/fixtures/valid/`.
pub fn run(root: &Path) -> ExitCode {
    let fixtures = match fixture_paths(&root.join("tests/fixtures/valid")) {
        Ok(paths) => paths,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    let manifest = match fs::read_to_string(root.join("Cargo.toml")) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("error: cannot read Cargo.toml: {error}");
            return ExitCode::FAILURE;
        }
    };
    let base = root.join("target/fixture-crates");
    let mut failed = Vec::new();
    for fixture in &fixtures {
        let name = fixture
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("fixture")
            .to_owned();
        match check_fixture(root, &base, fixture, &name, &manifest) {
            Ok(()) => println!("ok       {name}"),
            Err(message) => {
                println!("FAILED   {name}");
                eprintln!("{message}");
                failed.push(name);
            }
        }
    }
    if failed.is_empty() {
        println!(
            "the generated crates of {} fixtures compile without warnings",
            fixtures.len()
        );
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "{} of {} fixtures do not compile: {}",
            failed.len(),
            fixtures.len(),
            failed.join(", ")
        );
        ExitCode::FAILURE
    }
}

fn fixture_paths(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries =
        fs::read_dir(dir).map_err(|error| format!("cannot read {}: {error}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    // Sorted, so the output reads the same on every machine.
    paths.sort();
    Ok(paths)
}

fn check_fixture(
    root: &Path,
    base: &Path,
    fixture: &Path,
    name: &str,
    manifest: &str,
) -> Result<(), String> {
    let display = format!("tests/fixtures/valid/{name}.yaml");
    let spec = crisp_codegen::load::load_path(fixture, &display).map_err(|d| d.to_string())?;
    let files = crisp_codegen::generate(&spec).map_err(|d| d.to_string())?;
    compile(root, base, name, files, manifest)
}

/// Writes `files` as the small workspace `base/name` and checks that it compiles without
/// warnings, with every feature; the error is the compiler's output.
pub(crate) fn compile(
    root: &Path,
    base: &Path,
    name: &str,
    files: Vec<GeneratedFile>,
    manifest: &str,
) -> Result<(), String> {
    let dir = base.join(name);
    // Cargo names build outputs after the package and its path inside the workspace, which
    // is the same in every fixture: each fixture's packages get names of their own so that
    // the shared target directory keeps them apart.
    let prefix = format!("fixture-{}", name.replace('_', "-"));
    write_workspace(root, &dir, &prefix, files, manifest)?;
    let output = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args([
            "check",
            "--workspace",
            "--all-features",
            "--offline",
            "--quiet",
            "--message-format=short",
        ])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", base.join("target"))
        .env("RUSTFLAGS", "-D warnings")
        .output()
        .map_err(|error| format!("cannot run cargo: {error}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// Writes `files` as a small workspace in `dir`: the three generated crates renamed
/// `{prefix}-models` and so on, the root's dependency table with `crisp-runtime` at its real
/// path, and the root's `Cargo.lock`.
pub(crate) fn write_workspace(
    root: &Path,
    dir: &Path,
    prefix: &str,
    files: Vec<GeneratedFile>,
    manifest: &str,
) -> Result<(), String> {
    let files: Vec<_> = files
        .into_iter()
        .map(|mut file| {
            if file.path.ends_with("Cargo.toml") {
                file.contents = file
                    .contents
                    .replace("name = \"crisp-", &format!("name = \"{prefix}-"));
            }
            file
        })
        .collect();
    write::write(dir, &files).map_err(|error| error.to_string())?;
    fs::write(
        dir.join("Cargo.toml"),
        fixture_manifest(root, manifest, prefix)?,
    )
    .map_err(|e| e.to_string())?;
    fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock"))
        .map_err(|e| format!("copy Cargo.lock: {e}"))?;
    Ok(())
}

/// The root manifest with the fixture's crates as members and `crisp-runtime` at its real path.
fn fixture_manifest(root: &Path, manifest: &str, prefix: &str) -> Result<String, String> {
    let start = manifest
        .find("[workspace.package]")
        .ok_or("Cargo.toml has no [workspace.package]")?;
    let end = manifest[start..]
        .find("\n[profile")
        .map_or(manifest.len(), |at| start + at);
    let runtime = root.join("runtime");
    let mut out = String::from(
        "[workspace]\nresolver = \"3\"\nmembers = [\"models\", \"client\", \"server\", \"mcp\"]\n\n",
    );
    for line in manifest[start..end].lines() {
        let rewritten = if line.starts_with("crisp-runtime ") {
            format!(
                "crisp-runtime = {{ path = {:?} }}",
                runtime.display().to_string()
            )
        } else if line.starts_with("crisp-models ") {
            format!(
                "crisp-models = {{ path = \"models\", package = \"{prefix}-models\", default-features = false }}"
            )
        } else if line.starts_with("crisp-client ")
            || line.starts_with("crisp-server ")
            || line.starts_with("crisp-mcp ")
            || line.starts_with("crisp-codegen ")
        {
            continue;
        } else {
            line.to_owned()
        };
        out.push_str(&rewritten);
        out.push('\n');
    }
    Ok(out)
}
