//! Tidiness rules the compiler does not check, applied to the whole repository.

use std::fs;
use std::path::{Path, PathBuf};

/// Directories never searched, wherever they are, by name:
///
/// - `target`: build output, where build scripts and trybuild write `.rs` files of their own;
/// - `node_modules`: the npm packages of the Node.js tests (`tests/node`), other people's code;
/// - `.git`: git's own files.
const SKIPPED_ANYWHERE: [&str; 3] = ["target", "node_modules", ".git"];

/// Directories never searched, by their path from the repository root:
///
/// - `generated`: written by `cargo xtask regen`; each file there opens with the generator's
///   header instead (a `//` comment saying not to edit it), which the drift test checks.
///
/// Nothing else is skipped. `tests/fixtures` holds specs and no Rust; the trybuild cases under
/// `tests/tiers/ui` are crate roots a reader opens to see what each case proves, so they are
/// held to the rule too (the line numbers in their `.stderr` files already count the doc line).
const SKIPPED_FROM_ROOT: [&str; 1] = ["generated"];

#[test]
fn every_hand_written_rust_file_opens_with_a_module_doc() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the repository root");
    let mut files = Vec::new();
    collect_rust_files(root, root, &mut files);
    // A walk that found almost nothing walked the wrong directory.
    assert!(
        files.len() > 50,
        "only {} .rs files under {}",
        files.len(),
        root.display()
    );
    let offenders: Vec<String> = files
        .iter()
        .filter(|path| !opens_with_module_doc(path))
        .map(|path| {
            let relative = path.strip_prefix(root).unwrap_or(path);
            format!("- {}", relative.display())
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "hand-written .rs files that do not open with a `//!` line saying what they hold ({}):\n{}",
        offenders.len(),
        offenders.join("\n")
    );
}

/// How many lines of code a hand-written file may hold before it must say why it is longer.
const LONG_FILE: usize = 800;

/// The comment that says why a file is longer than [`LONG_FILE`] lines.
const LONG_FILE_REASON: &str = "// Longer than 800 lines because ";

#[test]
fn no_hand_written_file_is_long_without_saying_why() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the repository root");
    let mut files = Vec::new();
    collect_rust_files(root, root, &mut files);
    let offenders: Vec<String> = files
        .iter()
        .filter_map(|path| {
            let contents = fs::read_to_string(path).expect("a readable file");
            // The unit tests a file ends with sit next to the code they test, and do not count.
            let code = contents
                .lines()
                .take_while(|line| !line.starts_with("#[cfg(test)]"))
                .count();
            let says_why = contents
                .lines()
                .any(|line| line.trim_start().starts_with(LONG_FILE_REASON));
            let relative = path.strip_prefix(root).unwrap_or(path);
            (code > LONG_FILE && !says_why)
                .then(|| format!("- {} ({code} lines of code)", relative.display()))
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "hand-written files over {LONG_FILE} lines of code (unit tests left out), without a \
         `{LONG_FILE_REASON}…` comment: split them by what they hold, or say why not\n{}",
        offenders.join("\n")
    );
}

/// Adds the `.rs` files under `directory` to `files`, in path order, leaving out the skipped
/// directories. Symbolic links are not followed.
fn collect_rust_files(root: &Path, directory: &Path, files: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(directory)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", directory.display()))
        .map(|entry| entry.expect("a directory entry"))
        .collect();
    entries.sort_by_key(fs::DirEntry::path);
    for entry in entries {
        let path = entry.path();
        let file_type = entry.file_type().expect("a file type");
        if file_type.is_dir() {
            if !is_skipped(root, &path) {
                collect_rust_files(root, &path, files);
            }
        } else if file_type.is_file() && path.extension().is_some_and(|extension| extension == "rs")
        {
            files.push(path);
        }
    }
}

/// Whether the directory `path` is one of the skipped ones.
fn is_skipped(root: &Path, path: &Path) -> bool {
    let by_name = path
        .file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| SKIPPED_ANYWHERE.contains(&name));
    let from_root = SKIPPED_FROM_ROOT
        .iter()
        .any(|skipped| path == root.join(skipped));
    by_name || from_root
}

/// Whether the file's first line is an inner doc comment.
fn opens_with_module_doc(path: &Path) -> bool {
    let contents = fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    contents
        .lines()
        .next()
        .is_some_and(|line| line.starts_with("//!"))
}
