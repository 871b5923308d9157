//! `cargo xtask diff` as a maintainer and CI run it: its exit status and what it prints, on the
//! diff fixtures written to files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_owned()
}

/// The base spec with the patch `case` applied, written to a file of its own.
fn edited(case: &str, version: Option<&str>) -> PathBuf {
    let dir = root().join("tests/fixtures/diff");
    let base = std::fs::read_to_string(dir.join("base.yaml")).expect("base.yaml");
    let mut doc: serde_yaml::Value = serde_yaml::from_str(&base).expect("YAML");
    let patch: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(dir.join(case)).expect("the case"))
            .expect("YAML");
    crisp_codegen::diff::apply_patch(&mut doc, &patch).expect("the patch applies");
    if let Some(version) = version {
        doc["info"]["x-crisp-crate-version"] = serde_yaml::Value::String(version.to_owned());
    }
    let path = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("diff-cli-{}-{case}", version.unwrap_or("same")));
    std::fs::write(&path, serde_yaml::to_string(&doc).expect("YAML out")).expect("written");
    path
}

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("diff")
        .args(args)
        .current_dir(root())
        .output()
        .expect("xtask runs")
}

fn base() -> String {
    root()
        .join("tests/fixtures/diff/base.yaml")
        .display()
        .to_string()
}

#[test]
fn check_fails_when_the_version_is_not_bumped() {
    let new = edited("08_response_field_removed.yaml", None);
    let out = xtask(&["--old", &base(), "--spec", new.to_str().unwrap(), "--check"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("- **major** `crisp_models::Conversation.unread`: removed"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("need version 0.4.0 or later"), "{stderr}");
}

#[test]
fn check_passes_when_the_version_is_bumped_enough() {
    let new = edited("08_response_field_removed.yaml", Some("0.4.0"));
    let out = xtask(&["--old", &base(), "--spec", new.to_str().unwrap(), "--check"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_revision_git_does_not_have_exits_3() {
    let out = xtask(&["--from", "no-such-revision-anywhere", "--check"]);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no-such-revision-anywhere"), "{stderr}");
}

#[test]
fn an_old_spec_this_generator_rejects_exits_3() {
    let bad = Path::new(env!("CARGO_TARGET_TMPDIR")).join("diff-cli-not-a-spec.yaml");
    std::fs::write(
        &bad,
        "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths: {}\n",
    )
    .unwrap();
    let out = xtask(&["--old", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn a_bad_command_line_exits_2() {
    let out = xtask(&["--from"]);
    assert_eq!(out.status.code(), Some(2));
}
