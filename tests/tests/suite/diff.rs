//! `cargo xtask diff` on fixture pairs: the old spec is `tests/fixtures/diff/base.yaml`, each
//! numbered file beside it is a JSON Patch (RFC 6902) that makes one kind of edit, and the
//! changelog of each pair is a snapshot, read before it was accepted.

use std::path::Path;

use crisp_codegen::diff::{self, Crate, Level};
use crisp_codegen::{ir, load};
use serde_yaml::Value;

fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/diff")
}

fn build(name: &str, text: &str) -> ir::Api {
    let spec = load::load_str(name, text).unwrap_or_else(|d| panic!("{name} does not load:\n{d}"));
    ir::build(&spec).unwrap_or_else(|d| panic!("{name} does not build:\n{d}"))
}

/// The report of the base spec against the base with `patch` applied.
fn report(patch: &Path) -> diff::Report {
    let base_text = std::fs::read_to_string(fixtures().join("base.yaml")).expect("base.yaml");
    let mut doc: Value = serde_yaml::from_str(&base_text).expect("base.yaml is YAML");
    let patch_value: Value =
        serde_yaml::from_str(&std::fs::read_to_string(patch).expect("a patch")).expect("YAML");
    diff::apply_patch(&mut doc, &patch_value)
        .unwrap_or_else(|e| panic!("{}: {e}", patch.display()));
    let new_text = serde_yaml::to_string(&doc).expect("YAML out");
    let old = build("base.yaml", &base_text);
    let new = build(&patch.display().to_string(), &new_text);
    diff::diff(&old, &new)
}

#[test]
fn each_kind_of_edit_gets_its_changelog_and_bump() {
    insta::glob!("../../fixtures/diff", "[0-9]*.yaml", |path| {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let report = report(path);
        let check = match report.check_version() {
            Ok(()) => format!("check: ok ({})", report.new_version),
            Err(message) => format!("check: {message}"),
        };
        insta::assert_snapshot!(
            "changelog",
            format!("{}\n{check}\n", report.markdown("base.yaml", name))
        );
    });
}

/// The patch files are what their names say: a file named for a bump gets that bump.
#[test]
fn the_required_bump_is_the_most_breaking_change_of_any_crate() {
    let report = report_of("07_response_field_added.yaml");
    assert_eq!(report.level(Crate::Models), Some(Level::Minor));
    assert_eq!(report.level(Crate::Client), None);
    assert_eq!(report.required_level(), Some(Level::Minor));
    assert_eq!(
        report.required_version().map(|v| v.to_string()).as_deref(),
        Some("0.3.2")
    );
    let report = report_of("12_tier_removed.yaml");
    assert_eq!(report.level(Crate::Client), Some(Level::Major));
    assert_eq!(report.level(Crate::Server), Some(Level::Patch));
    assert_eq!(
        report.required_version().map(|v| v.to_string()).as_deref(),
        Some("0.4.0")
    );
}

fn report_of(name: &str) -> diff::Report {
    report(&fixtures().join(name))
}

/// The real spec against itself: nothing to report, and a version that needs no bump.
#[test]
fn the_spec_against_itself_has_no_change() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/crisp.yaml");
    let text = std::fs::read_to_string(&path).expect("the spec");
    let api = build("spec/crisp.yaml", &text);
    let again = build("spec/crisp.yaml", &text);
    let report = diff::diff(&api, &again);
    assert!(report.changes.is_empty(), "{:?}", report.changes.first());
    assert_eq!(report.check_version(), Ok(()));
}
