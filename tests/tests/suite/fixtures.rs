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

#[test]
fn valid_fixtures_generate() {
    let paths = fixtures("valid");
    assert!(
        paths.len() >= 15,
        "expected at least 15 valid fixtures, found {}",
        paths.len()
    );
    for path in paths {
        let name = name_of(&path);
        let display = format!("tests/fixtures/valid/{name}.yaml");
        let spec = load::load_path(&path, &display)
            .unwrap_or_else(|d| panic!("{name} does not load:\n{d}"));
        let files = generate(&spec).unwrap_or_else(|d| panic!("{name} does not generate:\n{d}"));
        for krate in ["models", "client", "server"] {
            insta::assert_snapshot!(format!("{name}__{krate}"), crate_source(&files, krate));
        }
    }
}

#[test]
fn invalid_fixtures_report_every_problem() {
    let paths = fixtures("invalid");
    assert!(
        paths.len() >= 8,
        "expected at least 8 invalid fixtures, found {}",
        paths.len()
    );
    for path in paths {
        let name = name_of(&path);
        let display = format!("tests/fixtures/invalid/{name}.yaml");
        let diagnostics = match load::load_path(&path, &display) {
            Err(diagnostics) => diagnostics,
            Ok(spec) => match generate(&spec) {
                Err(diagnostics) => diagnostics,
                Ok(_) => panic!("{name} should be rejected"),
            },
        };
        insta::assert_snapshot!(format!("invalid__{name}"), diagnostics.to_string());
    }
}
