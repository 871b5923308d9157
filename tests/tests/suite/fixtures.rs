//! Snapshots of the generator's output for one small spec per construct, and of its diagnostics
//! for invalid specs.

use std::fs;
use std::path::{Path, PathBuf};

use crisp_codegen::{generate, load};

fn fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(kind);
    let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("fixture directory")
        .map(|entry| entry.expect("fixture entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    paths.sort();
    paths
}

fn name_of(path: &Path) -> String {
    path.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_owned()
}

/// The generated `.rs` files of one crate, joined with a line naming each.
fn crate_source(files: &[crisp_codegen::GeneratedFile], krate: &str) -> String {
    let mut out = String::new();
    for file in files.iter().filter(|f| f.path.starts_with(krate)) {
        out.push_str(&format!("// ===== {} =====\n", file.path.display()));
        out.push_str(&file.contents);
    }
    out
}

// Each fixture is its own snapshot (`insta::glob!`): one that does not match is reported with
// every other mismatch, instead of hiding the fixtures after it.

#[test]
fn valid_fixtures_generate() {
    assert!(
        fixtures("valid").len() >= 15,
        "expected at least 15 valid fixtures"
    );
    insta::glob!("../../fixtures/valid", "*.yaml", |path| {
        let name = name_of(path);
        let display = format!("tests/fixtures/valid/{name}.yaml");
        let spec = load::load_path(path, &display)
            .unwrap_or_else(|d| panic!("{name} does not load:\n{d}"));
        let files = generate(&spec).unwrap_or_else(|d| panic!("{name} does not generate:\n{d}"));
        for krate in ["models", "client", "server", "mcp"] {
            insta::assert_snapshot!(krate, crate_source(&files, krate));
        }
    });
}

#[test]
fn invalid_fixtures_report_every_problem() {
    assert!(
        fixtures("invalid").len() >= 8,
        "expected at least 8 invalid fixtures"
    );
    insta::glob!("../../fixtures/invalid", "*.yaml", |path| {
        let name = name_of(path);
        let display = format!("tests/fixtures/invalid/{name}.yaml");
        let diagnostics = match load::load_path(path, &display) {
            Err(diagnostics) => diagnostics,
            Ok(spec) => match generate(&spec) {
                Err(diagnostics) => diagnostics,
                Ok(_) => panic!("{name} should be rejected"),
            },
        };
        insta::assert_snapshot!("invalid", diagnostics.to_string());
    });
}

/// The places in the generator that report a problem in the spec: each line of `lower/`,
/// `check/` and `load.rs` (outside their unit tests) that makes a diagnostic.
fn diagnostic_sites() -> Vec<(String, u32, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root");
    let mut sites = Vec::new();
    for file in [
        "codegen/src/ir/lower/mod.rs",
        "codegen/src/ir/lower/schemas.rs",
        "codegen/src/ir/lower/operations.rs",
        "codegen/src/ir/lower/events.rs",
        "codegen/src/ir/check/mod.rs",
        "codegen/src/ir/check/events.rs",
        "codegen/src/load.rs",
    ] {
        let text = fs::read_to_string(root.join(file)).expect("a source file");
        for (index, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("#[cfg(test)]") {
                break;
            }
            let makes = ["self.error(", "spec.diag(", "Diagnostic::new("]
                .iter()
                .any(|call| line.contains(call));
            // The two helpers every other place calls, and places no spec file can reach (they
            // say why on the line before: `// No fixture: …`).
            let helper = line.contains("self.spec.diag(pointer, message)")
                || line
                    .contains("Diagnostic::new(pointer, message).with_line(self.line_of(pointer))");
            let exempt = index > 0
                && text
                    .lines()
                    .nth(index - 1)
                    .is_some_and(|before| before.trim_start().starts_with("// No fixture:"));
            if makes && !helper && !exempt {
                let line_number = u32::try_from(index + 1).expect("a line number");
                sites.push((file.to_owned(), line_number, line.trim().to_owned()));
            }
        }
    }
    sites
}

#[test]
fn every_place_that_reports_a_problem_has_an_invalid_fixture() {
    let mut reached = std::collections::BTreeSet::new();
    for path in fixtures("invalid") {
        let name = name_of(&path);
        let display = format!("tests/fixtures/invalid/{name}.yaml");
        let diagnostics = match load::load_path(&path, &display) {
            Err(diagnostics) => diagnostics,
            Ok(spec) => generate(&spec).expect_err("an invalid fixture is rejected"),
        };
        for diagnostic in diagnostics.iter() {
            reached.insert((
                diagnostic.origin.file().to_owned(),
                diagnostic.origin.line(),
            ));
        }
    }
    let missing: Vec<String> = diagnostic_sites()
        .into_iter()
        .filter(|(file, line, _)| !reached.contains(&(file.clone(), *line)))
        .map(|(file, line, text)| format!("{file}:{line}: {text}"))
        .collect();
    assert!(
        missing.is_empty(),
        "{} place(s) that report a problem have no invalid fixture reaching them:\n{}",
        missing.len(),
        missing.join("\n")
    );
}
