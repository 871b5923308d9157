//! `generated/` is exactly what the generator writes from `spec/crisp.yaml`, and writing is
//! deterministic.

use std::path::{Path, PathBuf};

use crisp_codegen::{generate, load, write};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn generate_spec() -> Vec<crisp_codegen::GeneratedFile> {
    let spec = load::load_path(&workspace().join("spec/crisp.yaml"), "spec/crisp.yaml")
        .unwrap_or_else(|d| panic!("spec/crisp.yaml does not load:\n{d}"));
    generate(&spec).unwrap_or_else(|d| panic!("spec/crisp.yaml does not generate:\n{d}"))
}

#[test]
fn generating_twice_gives_identical_bytes() {
    let first = generate_spec();
    let second = generate_spec();
    assert_eq!(first.len(), second.len());
    for (a, b) in first.iter().zip(&second) {
        assert_eq!(a.path, b.path);
        assert!(
            a.contents == b.contents,
            "{} differs between two runs",
            a.path.display()
        );
    }
}

#[test]
fn generated_is_up_to_date() {
    let drift =
        write::check(&workspace().join("generated"), &generate_spec()).expect("read generated/");
    assert!(
        drift.is_clean(),
        "generated/ is stale; run `cargo xtask regen`:\n{drift}"
    );
}

#[test]
fn every_generated_file_has_the_header() {
    for file in generate_spec() {
        assert!(
            write::is_generated(&file.contents),
            "{} lacks the header",
            file.path.display()
        );
        assert!(
            file.contents.ends_with('\n'),
            "{} lacks a final newline",
            file.path.display()
        );
    }
}

#[test]
fn a_stale_file_is_named() {
    let files = generate_spec();
    let dir = std::env::temp_dir().join(format!("crisp-drift-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    write::write(&dir, &files).expect("write into a temporary directory");
    assert!(write::check(&dir, &files).expect("check").is_clean());

    // One file edited by hand, one removed, one added.
    let edited = &files[0].path;
    let removed = &files[1].path;
    std::fs::write(dir.join(edited), "// edited by hand\n").expect("edit");
    std::fs::remove_file(dir.join(removed)).expect("remove");
    std::fs::write(dir.join("models/src/extra.rs"), "// not generated\n").expect("add");
    let drift = write::check(&dir, &files).expect("check");
    let report = drift.to_string();
    assert_eq!(drift.stale, vec![edited.clone()], "{report}");
    assert_eq!(drift.missing, vec![removed.clone()], "{report}");
    assert_eq!(
        drift.extra,
        vec![PathBuf::from("models/src/extra.rs")],
        "{report}"
    );
    assert!(report.contains(&edited.display().to_string()));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The workspace names the generated crates with the version the spec gives them, so the
/// packages and the downstream crate resolve to what the generator wrote.
#[test]
fn the_workspace_names_the_generated_crates_with_the_spec_version() {
    let spec = load::load_path(&workspace().join("spec/crisp.yaml"), "spec/crisp.yaml")
        .unwrap_or_else(|d| panic!("spec/crisp.yaml does not load:\n{d}"));
    let api = crisp_codegen::ir::build(&spec).expect("the spec builds");
    let manifest =
        std::fs::read_to_string(workspace().join("Cargo.toml")).expect("the workspace manifest");
    for name in ["crisp-models", "crisp-client", "crisp-server", "crisp-mcp"] {
        let line = manifest
            .lines()
            .find(|line| line.starts_with(&format!("{name} = {{")))
            .unwrap_or_else(|| panic!("no `{name}` in [workspace.dependencies]"));
        let expected = format!("version = \"{}\"", api.crate_version);
        assert!(
            line.contains(&expected),
            "`{line}` should name {expected}, the spec's `x-crisp-crate-version`"
        );
    }
}
