//! `cargo xtask diff`: what an edit of the spec does to the generated crates, as a changelog
//! and the version bump it needs.
//!
//! ```text
//! cargo xtask diff [--from REV | --old FILE] [--spec PATH] [--check] [--bump]
//! ```
//!
//! The old spec is `spec/crisp.yaml` at git revision `REV` (default `HEAD`, so the edits not
//! yet committed) or the file `FILE`; the new one is the working spec. Both are built into the
//! IR with this generator and compared item by item (`crisp_codegen::diff`). The changelog
//! goes to standard output as Markdown.
//!
//! - `--check` fails (exit 1) when `info.x-crisp-crate-version` was not bumped as the changes
//!   require: CI runs it against the previous commit.
//! - `--bump` writes the required version into the spec, the workspace manifest and the
//!   downstream test crate, when the spec's version is lower, and regenerates `generated/`
//!   (cargo cannot build `cargo xtask regen` while the workspace and the generated manifests
//!   name different versions).
//!
//! Exit status: 0, 1 when the check fails or the new spec has problems, 2 for a bad command
//! line, 3 when the old spec cannot be read or built (a revision git does not have, or a spec
//! this generator no longer accepts), so CI can tell "not bumped" from "cannot compare".

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use crisp_codegen::diff::{self, Report};

/// Where the old spec comes from.
#[derive(Debug, PartialEq, Eq)]
enum Old {
    /// The spec at a git revision.
    Revision(String),
    /// A file.
    File(PathBuf),
}

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
struct Args {
    old: Old,
    spec: Option<PathBuf>,
    check: bool,
    bump: bool,
}

fn parse(args: &[OsString]) -> Result<Args, String> {
    let mut old = None;
    let mut spec = None;
    let mut check = false;
    let mut bump = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let arg = arg
            .to_str()
            .ok_or_else(|| format!("unexpected argument `{}`", arg.to_string_lossy()))?;
        let mut value = |name: &str| {
            args.next()
                .and_then(|value| value.to_str())
                .map(str::to_owned)
                .ok_or_else(|| format!("`{name}` needs a value"))
        };
        match arg {
            "--from" if old.is_none() => old = Some(Old::Revision(value("--from")?)),
            "--old" if old.is_none() => old = Some(Old::File(PathBuf::from(value("--old")?))),
            "--from" | "--old" => return Err("give `--from` or `--old` once".to_owned()),
            "--spec" => spec = Some(PathBuf::from(value("--spec")?)),
            "--check" => check = true,
            "--bump" => bump = true,
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    Ok(Args {
        old: old.unwrap_or_else(|| Old::Revision("HEAD".to_owned())),
        spec,
        check,
        bump,
    })
}

/// Runs the command.
pub fn run(root: &Path, args: &[OsString]) -> ExitCode {
    let args = match parse(args) {
        Ok(args) => args,
        Err(message) => {
            eprintln!(
                "error: {message}\n\nUsage: cargo xtask diff [--from REV | --old FILE] [--spec PATH] [--check] [--bump]"
            );
            return ExitCode::from(2);
        }
    };
    let (new_path, new_name) = match &args.spec {
        Some(path) => (path.clone(), path.display().to_string()),
        None => (root.join(crate::SPEC), crate::SPEC.to_owned()),
    };
    let (old_text, old_name) = match &args.old {
        Old::File(path) => match fs::read_to_string(path) {
            Ok(text) => (text, path.display().to_string()),
            Err(err) => {
                eprintln!("error: cannot read {}: {err}", path.display());
                return ExitCode::from(3);
            }
        },
        Old::Revision(rev) => {
            let relative = new_path
                .strip_prefix(root)
                .unwrap_or(&new_path)
                .to_string_lossy()
                .into_owned();
            match git_show(root, rev, &relative) {
                Ok(text) => (text, format!("{relative} at {rev}")),
                Err(err) => {
                    eprintln!("error: cannot read {relative} at {rev}: {err}");
                    return ExitCode::from(3);
                }
            }
        }
    };
    let old = match crisp_codegen::load::load_str(&old_name, &old_text)
        .and_then(|spec| crisp_codegen::ir::build(&spec))
    {
        Ok(api) => api,
        Err(diags) => {
            eprintln!(
                "error: the old spec ({old_name}) does not build with this generator, so there is nothing to compare with:\n{diags}"
            );
            return ExitCode::from(3);
        }
    };
    let new = match crisp_codegen::load::load_path(&new_path, &new_name)
        .and_then(|spec| crisp_codegen::ir::build(&spec))
    {
        Ok(api) => api,
        Err(diags) => {
            eprintln!("{diags}");
            return ExitCode::FAILURE;
        }
    };
    let report = diff::diff(&old, &new);
    print!("{}", report.markdown(&old_name, &new_name));
    if args.bump {
        return bump(root, &new_path, &report);
    }
    if args.check {
        if let Err(message) = report.check_version() {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
        eprintln!(
            "ok: version {} is what the changes need",
            report.new_version
        );
    }
    ExitCode::SUCCESS
}

/// The text of `path` at git revision `rev`.
fn git_show(root: &Path, rev: &str, path: &str) -> Result<String, String> {
    let output = Command::new("git")
        .current_dir(root)
        .args(["show", &format!("{rev}:{path}")])
        .output()
        .map_err(|err| format!("cannot run git: {err}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).trim().to_owned());
    }
    String::from_utf8(output.stdout).map_err(|_| "the file is not UTF-8".to_owned())
}

/// Writes the required version where the crates' version is named, when the spec's is lower.
fn bump(root: &Path, spec: &Path, report: &Report) -> ExitCode {
    let Some(required) = report.required_version() else {
        eprintln!("no change needs a new version");
        return ExitCode::SUCCESS;
    };
    if report.check_version().is_ok() {
        eprintln!(
            "version {} is already what the changes need",
            report.new_version
        );
        return ExitCode::SUCCESS;
    }
    let (from, to) = (report.new_version.as_str(), required.to_string());
    let edits: [(PathBuf, Vec<String>); 3] = [
        (spec.to_owned(), vec!["x-crisp-crate-version:".to_owned()]),
        (
            root.join("Cargo.toml"),
            [
                "crisp-models = {",
                "crisp-client = {",
                "crisp-server = {",
                "crisp-mcp = {",
            ]
            .map(str::to_owned)
            .to_vec(),
        ),
        (
            root.join("tests/downstream/Cargo.toml"),
            vec!["crisp-client = {".to_owned()],
        ),
    ];
    for (path, prefixes) in edits {
        match replace_version(&path, &prefixes, from, &to) {
            Ok(0) => eprintln!(
                "warning: {} names no version {from} to bump",
                path.display()
            ),
            Ok(count) => eprintln!("bumped {count} line(s) of {} to {to}", path.display()),
            Err(err) => {
                eprintln!("error: {}: {err}", path.display());
                return ExitCode::FAILURE;
            }
        }
    }
    // The workspace manifest now names the new version, which cargo cannot resolve until the
    // generated manifests say it too: regenerate here, as `cargo xtask regen` could not build.
    if spec == root.join(crate::SPEC) {
        let Some(files) = crate::generate(spec, crate::SPEC, None) else {
            return ExitCode::FAILURE;
        };
        if let Err(err) = crisp_codegen::write::write(&root.join(crate::GENERATED), &files) {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
        eprintln!("regenerated {} with version {to}", crate::GENERATED);
    } else {
        eprintln!("now run `cargo xtask regen --spec {}`", spec.display());
    }
    // The downstream crate is built with `--locked`: its lock file must name the new version.
    let downstream = root.join("tests/downstream/Cargo.toml");
    let updated = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args([
            "update",
            "--offline",
            "--quiet",
            "-p",
            "crisp-client",
            "--manifest-path",
        ])
        .arg(&downstream)
        .status();
    match updated {
        Ok(status) if status.success() => eprintln!("updated tests/downstream/Cargo.lock"),
        _ => eprintln!(
            "warning: update tests/downstream/Cargo.lock with `cargo update -p crisp-client --manifest-path tests/downstream/Cargo.toml`"
        ),
    }
    eprintln!("the workspace's Cargo.lock follows at the next build");
    ExitCode::SUCCESS
}

/// Replaces `from` by `to` in the lines of `path` that start (after indentation) with one of
/// `prefixes`; returns how many lines changed.
fn replace_version(
    path: &Path,
    prefixes: &[String],
    from: &str,
    to: &str,
) -> Result<usize, String> {
    let text = fs::read_to_string(path).map_err(|err| err.to_string())?;
    let (text, count) = replace_in_lines(&text, prefixes, from, to);
    if count > 0 {
        fs::write(path, text).map_err(|err| err.to_string())?;
    }
    Ok(count)
}

/// The text with `from` replaced by `to` in the lines starting with one of `prefixes`, where
/// `from` stands quoted; and how many lines changed.
fn replace_in_lines(text: &str, prefixes: &[String], from: &str, to: &str) -> (String, usize) {
    let mut count = 0;
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let quoted = ['"', '\''].into_iter().find_map(|q| {
            let needle = format!("{q}{from}{q}");
            line.contains(&needle)
                .then(|| (needle, format!("{q}{to}{q}")))
        });
        match quoted {
            Some((needle, replacement))
                if prefixes.iter().any(|p| trimmed.starts_with(p.as_str())) =>
            {
                out.push_str(&line.replacen(&needle, &replacement, 1));
                count += 1;
            }
            _ => out.push_str(line),
        }
    }
    (out, count)
}

#[cfg(test)]
mod tests {
    use super::{Old, parse, replace_in_lines};
    use std::ffi::OsString;

    fn args(line: &str) -> Vec<OsString> {
        line.split_whitespace().map(OsString::from).collect()
    }

    #[test]
    fn the_old_spec_is_head_unless_given() {
        let parsed = parse(&args("--check")).unwrap();
        assert_eq!(parsed.old, Old::Revision("HEAD".to_owned()));
        assert!(parsed.check && !parsed.bump);
        let parsed = parse(&args("--from HEAD~1 --bump")).unwrap();
        assert_eq!(parsed.old, Old::Revision("HEAD~1".to_owned()));
        assert!(parsed.bump);
        let parsed = parse(&args("--old a.yaml")).unwrap();
        assert_eq!(parsed.old, Old::File("a.yaml".into()));
    }

    #[test]
    fn bad_command_lines_are_refused() {
        for line in ["--from", "--from a --old b", "--frm x", "extra"] {
            assert!(parse(&args(line)).is_err(), "{line}");
        }
    }

    #[test]
    fn only_the_named_lines_get_the_new_version() {
        let text = "name = \"x\"\nversion = \"0.1.0\"\ncrisp-models = { path = \"m\", version = \"0.1.0\" }\n  x-crisp-crate-version: '0.1.0'\n";
        let prefixes = [
            "crisp-models = {".to_owned(),
            "x-crisp-crate-version:".to_owned(),
        ];
        let (out, count) = replace_in_lines(text, &prefixes, "0.1.0", "0.2.0");
        assert_eq!(count, 2);
        assert_eq!(
            out,
            "name = \"x\"\nversion = \"0.1.0\"\ncrisp-models = { path = \"m\", version = \"0.2.0\" }\n  x-crisp-crate-version: '0.2.0'\n"
        );
    }
}
