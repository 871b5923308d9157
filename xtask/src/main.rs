//! Workspace tasks: `cargo xtask regen` writes `generated/` from the spec, `cargo xtask check` compares them.
//!
//! Both run the same pure generation (`crisp_codegen::generate`); only the last step differs.
//! Exit codes: 0 on success, 1 when the spec has problems, `generated/` has drifted or a file
//! cannot be written, 2 when the command line is wrong.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crisp_codegen::write::{self, GeneratedFile};

mod coverage;
mod diff;
mod fixtures;
mod memo;
mod mutate;
mod semver;
mod upstream;

/// The spec's path relative to the workspace root, which is also its name in diagnostics.
const SPEC: &str = "spec/crisp.yaml";

/// The directory the generated crates live in, relative to the workspace root.
const GENERATED: &str = "generated";

const USAGE: &str = "\
Usage: cargo xtask <command> [--spec PATH]

Commands:
  regen   generate the crates under generated/ from the spec and write them
  check   compare generated/ with what the generator produces, without writing
  coverage  compare the spec's routes with spec/reference/routes.tsv and measure typing
  fixtures  generate every fixture of tests/fixtures/valid/ and check that its crates compile
  mutate    judge hostile variations of the spec and the fixtures; compile a sample of the
            accepted ones ([--seed N] [--count N] [--compile N] [--show INDEX])
  upstream  compare the spec with the newest official Node client on npm ([--version V]
            [--from DIR]); exits 1 on drift, 3 when the package cannot be fetched
  diff      what the spec edits since a git revision do to the generated crates: a Markdown
            changelog and the version bump each crate needs ([--from REV] [--old FILE]
            [--check] [--bump]); --check exits 1 when the crate version was not bumped
  semver-crosscheck  compare diff's verdicts on the edits of tests/fixtures/diff/ with
            cargo-semver-checks' (which must be installed); [CASE] runs the matching ones
  help    print this message

Options:
  --spec PATH   read the spec from PATH instead of spec/crisp.yaml";

/// A task to run.
#[derive(Debug, PartialEq, Eq)]
enum Command {
    Regen,
    Check,
    Fixtures,
    Coverage,
}

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
enum Invocation {
    /// Print the usage.
    Help,
    /// Run a task, optionally on another spec file.
    Run {
        command: Command,
        spec: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    if let Some(task @ ("mutate" | "mutate-worker")) = args.first().and_then(|arg| arg.to_str()) {
        let Some(root) = workspace_root() else {
            eprintln!("error: cannot find the workspace root");
            return ExitCode::FAILURE;
        };
        return mutate::run(&root, &args[1..], task == "mutate-worker");
    }
    if let Some(task @ ("upstream" | "diff" | "semver-crosscheck")) =
        args.first().and_then(|arg| arg.to_str())
    {
        let Some(root) = workspace_root() else {
            eprintln!("error: cannot find the workspace root");
            return ExitCode::FAILURE;
        };
        return match task {
            "upstream" => upstream::run(&root, &args[1..]),
            "diff" => diff::run(&root, &args[1..]),
            _ => semver::run(&root, args.get(1).and_then(|arg| arg.to_str())),
        };
    }
    match parse_args(args) {
        Ok(Invocation::Help) => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Ok(Invocation::Run { command, spec }) => run(&command, spec.as_deref()),
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// Reads the command line (without the program name).
fn parse_args(args: impl IntoIterator<Item = OsString>) -> Result<Invocation, String> {
    let mut args = args.into_iter();
    let Some(command) = args.next() else {
        return Err("no command given".to_owned());
    };
    let command = match command.to_str() {
        Some("regen") => Command::Regen,
        Some("check") => Command::Check,
        Some("fixtures") => Command::Fixtures,
        Some("coverage") => Command::Coverage,
        Some("help" | "--help" | "-h") => return Ok(Invocation::Help),
        _ => return Err(format!("unknown command `{}`", command.to_string_lossy())),
    };
    let mut spec = None;
    while let Some(arg) = args.next() {
        let value = match arg.to_str() {
            Some("--spec") => args.next(),
            Some(other) => match other.strip_prefix("--spec=") {
                Some(value) => Some(OsString::from(value)),
                None => return Err(format!("unexpected argument `{other}`")),
            },
            None => {
                return Err(format!("unexpected argument `{}`", arg.to_string_lossy()));
            }
        };
        match value {
            Some(value) if spec.is_none() => spec = Some(PathBuf::from(value)),
            Some(_) => return Err("`--spec` is given twice".to_owned()),
            None => return Err("`--spec` needs a path".to_owned()),
        }
    }
    Ok(Invocation::Run { command, spec })
}

/// Generates the files and then writes or checks them.
fn run(command: &Command, spec: Option<&Path>) -> ExitCode {
    let Some(root) = workspace_root() else {
        eprintln!(
            "error: cannot find the workspace root: run `cargo xtask` inside a checkout (a directory holding xtask/Cargo.toml, or below one)"
        );
        return ExitCode::FAILURE;
    };
    let (spec_path, spec_name) = match spec {
        Some(path) => (path.to_owned(), path.display().to_string()),
        None => (root.join(SPEC), SPEC.to_owned()),
    };
    if *command == Command::Fixtures {
        return fixtures::run(&root);
    }
    if *command == Command::Coverage {
        return coverage::run(&root, &spec_path, &spec_name);
    }
    // Files whose tokens did not change since the last run are not formatted again.
    let memo = memo::DiskMemo::for_this_binary(&root, &spec_path);
    let Some(files) = generate(&spec_path, &spec_name, memo.as_ref()) else {
        return ExitCode::FAILURE;
    };
    if let Some(memo) = &memo {
        memo.prune();
    }
    let out = root.join(GENERATED);
    match command {
        Command::Regen => regen(&out, &files),
        Command::Check => check(&out, &files, &spec_name),
        Command::Fixtures | Command::Coverage => ExitCode::SUCCESS,
    }
}

/// Returns the workspace root, found at run time: the parent of the `xtask` directory that
/// `cargo run` names in `CARGO_MANIFEST_DIR`, or else the nearest directory above the current
/// one that holds `xtask/Cargo.toml`.
///
/// Never the directory this binary was compiled in: with a shared `CARGO_TARGET_DIR`, the
/// binary `cargo xtask` runs in one checkout may have been built (and left fresh) in another,
/// and would then read and write that other checkout.
fn workspace_root() -> Option<PathBuf> {
    let from_cargo = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .and_then(|manifest_dir| manifest_dir.parent().map(Path::to_owned))
        .filter(|root| is_root(root));
    from_cargo.or_else(|| std::env::current_dir().ok().as_deref().and_then(root_above))
}

/// The nearest directory from `dir` upwards that holds `xtask/Cargo.toml`.
fn root_above(dir: &Path) -> Option<PathBuf> {
    dir.ancestors().find(|dir| is_root(dir)).map(Path::to_owned)
}

/// Whether `dir` is a workspace root of this project.
fn is_root(dir: &Path) -> bool {
    dir.join("xtask").join("Cargo.toml").is_file()
}

/// Loads the spec and generates the files, printing every diagnostic on failure.
fn generate(
    spec_path: &Path,
    spec_name: &str,
    memo: Option<&memo::DiskMemo>,
) -> Option<Vec<GeneratedFile>> {
    let memo = memo.map(|memo| memo as &dyn crisp_codegen::format::Memo);
    let result = crisp_codegen::load::load_path(spec_path, spec_name)
        .and_then(|spec| crisp_codegen::generate_with(&spec, memo));
    match result {
        Ok(files) => Some(files),
        Err(diags) => {
            eprintln!("{diags}");
            None
        }
    }
}

/// Writes the files into `out` and prints what changed.
fn regen(out: &Path, files: &[GeneratedFile]) -> ExitCode {
    let report = match write::write(out, files) {
        Ok(report) => report,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "{GENERATED}/: {} written, {} unchanged, {} removed",
        count(report.written.len()),
        report.unchanged,
        report.removed.len(),
    );
    for path in &report.written {
        println!("  wrote    {}", shown(path));
    }
    for path in &report.removed {
        println!("  removed  {}", shown(path));
    }
    for path in &report.untouched_foreign {
        println!("  kept     {} (no generator header)", shown(path));
    }
    ExitCode::SUCCESS
}

/// Compares `out` with the files and prints every difference.
fn check(out: &Path, files: &[GeneratedFile], spec_name: &str) -> ExitCode {
    let drift = match write::check(out, files) {
        Ok(drift) => drift,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    if drift.is_clean() {
        println!("{GENERATED}/ is up to date ({})", count(files.len()));
        return ExitCode::SUCCESS;
    }
    let differ = if drift.len() == 1 {
        "differs"
    } else {
        "differ"
    };
    eprintln!(
        "{GENERATED}/ does not match what {spec_name} generates: {} {differ}",
        count(drift.len())
    );
    let kinds = [
        ("stale", "differs from the generator's output", &drift.stale),
        ("missing", "is generated but absent", &drift.missing),
        (
            "extra",
            "is not generated; regen removes it only if it has the generator's header",
            &drift.extra,
        ),
    ];
    for (kind, meaning, paths) in kinds {
        for path in paths {
            eprintln!("  {kind:<8} {} ({meaning})", shown(path));
        }
    }
    eprintln!("run `cargo xtask regen`");
    ExitCode::FAILURE
}

/// Shows a path relative to `generated/` as a path relative to the workspace root.
fn shown(path: &Path) -> String {
    Path::new(GENERATED).join(path).display().to_string()
}

/// Says "1 file" or "N files".
fn count(n: usize) -> String {
    if n == 1 {
        "1 file".to_owned()
    } else {
        format!("{n} files")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_is_found_above_the_current_directory_at_run_time() {
        let base = std::env::temp_dir().join(format!("xtask-root-{}", std::process::id()));
        let nested = base.join("codegen").join("src");
        std::fs::create_dir_all(&nested).expect("directories");
        std::fs::create_dir_all(base.join("xtask")).expect("xtask/");
        assert_eq!(root_above(&nested), None, "no xtask/Cargo.toml yet");
        std::fs::write(base.join("xtask").join("Cargo.toml"), "[package]\n").expect("a manifest");
        assert_eq!(root_above(&nested).as_deref(), Some(base.as_path()));
        assert_eq!(root_above(&base).as_deref(), Some(base.as_path()));
        std::fs::remove_dir_all(&base).expect("clean up");
    }

    fn parse(args: &[&str]) -> Result<Invocation, String> {
        parse_args(args.iter().map(OsString::from))
    }

    #[test]
    fn parses_commands_and_the_spec_option() {
        assert_eq!(
            parse(&["regen"]),
            Ok(Invocation::Run {
                command: Command::Regen,
                spec: None
            })
        );
        assert_eq!(
            parse(&["check", "--spec", "x.yaml"]),
            Ok(Invocation::Run {
                command: Command::Check,
                spec: Some("x.yaml".into())
            })
        );
        assert_eq!(
            parse(&["regen", "--spec=y.yaml"]),
            Ok(Invocation::Run {
                command: Command::Regen,
                spec: Some("y.yaml".into())
            })
        );
        assert_eq!(parse(&["help"]), Ok(Invocation::Help));
    }

    #[test]
    fn rejects_bad_command_lines() {
        assert!(parse(&[]).is_err());
        assert!(parse(&["build"]).is_err());
        assert!(parse(&["regen", "--spec"]).is_err());
        assert!(parse(&["regen", "--spec", "a", "--spec", "b"]).is_err());
        assert!(parse(&["check", "--force"]).is_err());
    }
}
