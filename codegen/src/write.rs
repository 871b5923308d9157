//! Puts generated files on disk, or compares them with what is there; the only code that touches `generated/`.
//!
//! Every generated file carries a header ([`header`]) that says so. The header is what lets
//! [`write()`] remove the generated files the generator no longer produces while leaving
//! hand-written ones alone, and refuse to overwrite a file that someone wrote by hand.
//! [`check`] does no writing: it lists the files that would change.
//!
//! Paths in [`GeneratedFile`], [`WriteReport`] and [`Drift`] are relative to the generated root
//! and `/`-separated; paths in [`WriteError`] are joined to the root so they can be found.
//! Walks skip `target/` directories and hidden files and directories (a `.gitignore`, an
//! editor's swap file); the generator never produces such paths.

use std::collections::BTreeSet;
use std::fmt;
use std::io;
use std::path::{Component, Path, PathBuf};

pub use crate::format::{HEADER_MARK, header};

/// Returns true when `contents` carries the generator's header within its first three lines.
pub fn is_generated(contents: &str) -> bool {
    contents
        .lines()
        .take(3)
        .any(|line| line.contains(HEADER_MARK))
}

/// Like [`is_generated`], for a file that may not be UTF-8.
fn is_generated_bytes(contents: &[u8]) -> bool {
    let end = contents
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(2)
        .map_or(contents.len(), |(i, _)| i);
    is_generated(&String::from_utf8_lossy(&contents[..end]))
}

/// One file the generator produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// The path relative to the generated root, `/`-separated, e.g. `models/src/lib.rs`.
    pub path: PathBuf,
    /// The whole contents, header included.
    pub contents: String,
}

impl GeneratedFile {
    /// Creates a generated file at `path`, relative to the generated root.
    pub fn new(path: impl Into<PathBuf>, contents: impl Into<String>) -> Self {
        GeneratedFile {
            path: path.into(),
            contents: contents.into(),
        }
    }
}

/// What [`write()`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Files created or rewritten because their bytes changed, sorted.
    pub written: Vec<PathBuf>,
    /// How many produced files already had the right bytes.
    pub unchanged: usize,
    /// Generated files that are no longer produced and were removed, sorted.
    pub removed: Vec<PathBuf>,
    /// Files without the header that are not produced, left alone, sorted.
    pub untouched_foreign: Vec<PathBuf>,
}

/// How the files on disk differ from what the generator produces; each list is sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drift {
    /// Files that exist but whose bytes differ.
    pub stale: Vec<PathBuf>,
    /// Files the generator produces that do not exist.
    pub missing: Vec<PathBuf>,
    /// Files under the root that the generator does not produce, with or without the header.
    pub extra: Vec<PathBuf>,
}

impl Drift {
    /// Returns true when the files on disk are exactly what the generator produces.
    pub fn is_clean(&self) -> bool {
        self.stale.is_empty() && self.missing.is_empty() && self.extra.is_empty()
    }

    /// Returns how many files differ.
    pub fn len(&self) -> usize {
        self.stale.len() + self.missing.len() + self.extra.len()
    }

    /// Returns true when no file differs; the same as [`Drift::is_clean`].
    pub fn is_empty(&self) -> bool {
        self.is_clean()
    }
}

impl fmt::Display for Drift {
    /// Lists one file a line with its kind, stale files first, then missing, then extra.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_clean() {
            return f.write_str("no drift");
        }
        let kinds = [
            ("stale", &self.stale),
            ("missing", &self.missing),
            ("extra", &self.extra),
        ];
        let mut first = true;
        for (kind, paths) in kinds {
            for path in paths {
                if !first {
                    writeln!(f)?;
                }
                first = false;
                write!(f, "{kind:<8} {}", path.display())?;
            }
        }
        Ok(())
    }
}

/// Why [`write()`] or [`check`] could not do its job.
#[derive(Debug)]
pub enum WriteError {
    /// Reading, writing or removing `path` failed.
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// These files exist without the generator's header, so they were written by hand and
    /// the generator will not overwrite them. Nothing was written.
    NotGenerated {
        /// Every such file, sorted.
        paths: Vec<PathBuf>,
    },
    /// The generator produced something it must not: a bug in the generator, not in the spec.
    GeneratorBug {
        /// The produced path concerned.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
}

impl WriteError {
    /// Wraps an I/O error with the path it concerns.
    fn io(path: &Path) -> impl FnOnce(io::Error) -> WriteError + '_ {
        move |source| WriteError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            WriteError::NotGenerated { paths } => {
                write!(
                    f,
                    "refusing to overwrite files that lack the generator's header \
                     (they look hand-written; move them away or delete them):"
                )?;
                for path in paths {
                    write!(f, "\n  {}", path.display())?;
                }
                Ok(())
            }
            WriteError::GeneratorBug { path, message } => {
                write!(f, "generator bug: {}: {message}", path.display())
            }
        }
    }
}

impl std::error::Error for WriteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WriteError::Io { source, .. } => Some(source),
            WriteError::NotGenerated { .. } | WriteError::GeneratorBug { .. } => None,
        }
    }
}

/// Writes `files` under `root` and removes the generated files that are no longer produced.
///
/// Everything is checked before anything is touched: if a produced path exists without the
/// header, the error names every such file and nothing is written. Only files whose bytes
/// differ are written. Files with the header that are not produced are removed, and so are the
/// directories that leaves empty; files without the header are left alone and reported.
pub fn write(root: &Path, files: &[GeneratedFile]) -> Result<WriteReport, WriteError> {
    let produced = validate(files)?;

    // Look before acting: what each produced file needs, and what else is under the root.
    let mut to_write = Vec::new();
    let mut unchanged = 0;
    let mut refused = Vec::new();
    for file in &produced {
        let target = root.join(&file.path);
        match read_if_exists(&target)? {
            None => to_write.push(*file),
            Some(current) if current == file.contents.as_bytes() => unchanged += 1,
            Some(current) if is_generated_bytes(&current) => to_write.push(*file),
            Some(_) => refused.push(target),
        }
    }
    if !refused.is_empty() {
        return Err(WriteError::NotGenerated { paths: refused });
    }
    let produced_paths: BTreeSet<&Path> = produced.iter().map(|f| f.path.as_path()).collect();
    let mut to_remove = Vec::new();
    let mut untouched_foreign = Vec::new();
    for entry in walk(root)? {
        if produced_paths.contains(entry.path.as_path()) {
            continue;
        }
        let generated = entry.is_file && {
            let target = root.join(&entry.path);
            let contents = std::fs::read(&target).map_err(WriteError::io(&target))?;
            is_generated_bytes(&contents)
        };
        if generated {
            to_remove.push(entry.path);
        } else {
            untouched_foreign.push(entry.path);
        }
    }

    // Act.
    let mut written = Vec::new();
    for file in to_write {
        let target = root.join(&file.path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(WriteError::io(parent))?;
        }
        std::fs::write(&target, &file.contents).map_err(WriteError::io(&target))?;
        written.push(file.path.clone());
    }
    for path in &to_remove {
        let target = root.join(path);
        std::fs::remove_file(&target).map_err(WriteError::io(&target))?;
        remove_empty_parents(root, path)?;
    }

    Ok(WriteReport {
        written,
        unchanged,
        removed: to_remove,
        untouched_foreign,
    })
}

/// Compares `files` with what is under `root`, without writing anything.
pub fn check(root: &Path, files: &[GeneratedFile]) -> Result<Drift, WriteError> {
    let produced = validate(files)?;
    let mut drift = Drift::default();
    for file in &produced {
        let target = root.join(&file.path);
        match read_if_exists(&target)? {
            None => drift.missing.push(file.path.clone()),
            Some(current) if current != file.contents.as_bytes() => {
                drift.stale.push(file.path.clone());
            }
            Some(_) => {}
        }
    }
    let produced_paths: BTreeSet<&Path> = produced.iter().map(|f| f.path.as_path()).collect();
    drift.extra = walk(root)?
        .into_iter()
        .map(|entry| entry.path)
        .filter(|path| !produced_paths.contains(path.as_path()))
        .collect();
    Ok(drift)
}

/// Checks the produced files and returns them sorted by path.
///
/// Rejects, as generator bugs: a file without the header, a path that is absolute, empty,
/// climbs out with `..`, or names a hidden or `target` component (the walks skip those, so
/// such a file would look missing forever), and two files with the same path.
fn validate(files: &[GeneratedFile]) -> Result<Vec<&GeneratedFile>, WriteError> {
    let bug = |path: &Path, message: &str| WriteError::GeneratorBug {
        path: path.to_owned(),
        message: message.to_owned(),
    };
    for file in files {
        let path = file.path.as_path();
        if path.as_os_str().is_empty() {
            return Err(bug(path, "the path is empty"));
        }
        for component in path.components() {
            match component {
                Component::Normal(name) => {
                    let name = name.to_string_lossy();
                    if name.starts_with('.') || name == "target" {
                        return Err(bug(path, "the path has a hidden or `target` component"));
                    }
                }
                Component::CurDir
                | Component::ParentDir
                | Component::RootDir
                | Component::Prefix(_) => {
                    return Err(bug(path, "the path must be relative and plain"));
                }
            }
        }
        if !is_generated(&file.contents) {
            return Err(bug(
                path,
                "the contents do not start with the generator's header",
            ));
        }
    }
    // Sorting makes writing and reporting independent of the generator's order.
    let mut sorted: Vec<&GeneratedFile> = files.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    if let Some(pair) = sorted.windows(2).find(|pair| pair[0].path == pair[1].path) {
        return Err(bug(&pair[0].path, "the path is produced twice"));
    }
    Ok(sorted)
}

/// Reads a file, returning `None` when it does not exist.
fn read_if_exists(path: &Path) -> Result<Option<Vec<u8>>, WriteError> {
    match std::fs::read(path) {
        Ok(contents) => Ok(Some(contents)),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(WriteError::Io {
            path: path.to_owned(),
            source: err,
        }),
    }
}

/// One entry found under the root.
struct Entry {
    /// The path relative to the root.
    path: PathBuf,
    /// True for a regular file; false for a symbolic link or anything else that is not a
    /// directory, which is never read and never removed.
    is_file: bool,
}

/// Lists everything under `root` but directories, sorted by path, skipping `target/`
/// directories and hidden entries. A root that does not exist holds nothing.
fn walk(root: &Path) -> Result<Vec<Entry>, WriteError> {
    let mut entries = Vec::new();
    if !root.exists() {
        return Ok(entries);
    }
    walk_into(root, Path::new(""), &mut entries)?;
    Ok(entries)
}

/// Adds the entries of the directory `root/rel` to `entries`, in sorted order.
fn walk_into(root: &Path, rel: &Path, entries: &mut Vec<Entry>) -> Result<(), WriteError> {
    let dir = root.join(rel);
    let mut children = Vec::new();
    for child in std::fs::read_dir(&dir).map_err(WriteError::io(&dir))? {
        let child = child.map_err(WriteError::io(&dir))?;
        let file_type = child.file_type().map_err(WriteError::io(&child.path()))?;
        children.push((child.file_name(), file_type));
    }
    // `read_dir` order depends on the file system; sort for determinism.
    children.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, file_type) in children {
        let text = name.to_string_lossy();
        if text.starts_with('.') || (file_type.is_dir() && text == "target") {
            continue;
        }
        let path = rel.join(&name);
        if file_type.is_dir() {
            walk_into(root, &path, entries)?;
        } else {
            entries.push(Entry {
                path,
                is_file: file_type.is_file(),
            });
        }
    }
    Ok(())
}

/// Removes the directories above `rel` (a removed file) that are now empty, up to the root.
fn remove_empty_parents(root: &Path, rel: &Path) -> Result<(), WriteError> {
    let mut dir = rel.parent();
    while let Some(parent) = dir.filter(|d| !d.as_os_str().is_empty()) {
        let full = root.join(parent);
        let mut contents = std::fs::read_dir(&full).map_err(WriteError::io(&full))?;
        if contents.next().is_some() {
            break;
        }
        std::fs::remove_dir(&full).map_err(WriteError::io(&full))?;
        dir = parent.parent();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::format::{markdown_file, rust_file, toml_file};

    #[test]
    fn every_kind_of_file_carries_a_header_the_writer_recognizes() {
        let rust = rust_file(
            "lib.rs",
            quote::quote!(
                pub struct A;
            ),
        )
        .expect("parses");
        for (kind, text) in [
            ("rust", rust),
            ("toml", toml_file("[package]")),
            ("markdown", markdown_file("# A crate")),
        ] {
            assert!(is_generated(&text), "{kind}: {text}");
        }
        // The Markdown header is one HTML comment, which renderers leave out.
        let markdown = markdown_file("# A crate");
        let first = markdown.lines().next().expect("a first line");
        assert!(
            first.starts_with("<!--") && first.ends_with("-->"),
            "{first}"
        );
    }

    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fresh, empty directory under the system's temporary directory, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> TempDir {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir().join(format!("crisp-write-{}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).unwrap();
            TempDir(path)
        }

        fn put(&self, rel: &str, contents: &str) {
            let path = self.0.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, contents).unwrap();
        }

        fn read(&self, rel: &str) -> Option<String> {
            std::fs::read_to_string(self.0.join(rel)).ok()
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn rs(body: &str) -> String {
        format!("{}{body}\n", header("//"))
    }

    fn file(path: &str, contents: String) -> GeneratedFile {
        GeneratedFile::new(path, contents)
    }

    fn paths(list: &[&str]) -> Vec<PathBuf> {
        list.iter().map(PathBuf::from).collect()
    }

    fn sample() -> Vec<GeneratedFile> {
        vec![
            file("models/src/lib.rs", rs("pub struct A;")),
            file("models/Cargo.toml", format!("{}[package]\n", header("#"))),
            file("client/src/lib.rs", rs("pub fn f() {}")),
        ]
    }

    #[test]
    fn header_is_stable_and_detected() {
        assert_eq!(
            header("//"),
            "// @generated by `cargo xtask regen` from spec/crisp.yaml.\n\
             // Do not edit this file: change the spec or the generator, then run `cargo xtask regen`.\n"
        );
        assert!(header("#").starts_with("# @generated"));
        assert!(is_generated(&rs("")));
        assert!(is_generated(&format!("#![allow(x)]\n\n{}", header("//"))));
        assert!(!is_generated(&format!("a\nb\nc\n{}", header("//"))));
        assert!(!is_generated("fn main() {}\n"));
        assert!(is_generated_bytes(header("#").as_bytes()));
        assert!(!is_generated_bytes(b"\xff\xfe\n\n\n// @generated"));
    }

    #[test]
    fn write_then_check_is_clean_and_idempotent() {
        let dir = TempDir::new();
        let files = sample();
        let report = write(&dir.0, &files).unwrap();
        assert_eq!(
            report.written,
            paths(&[
                "client/src/lib.rs",
                "models/Cargo.toml",
                "models/src/lib.rs"
            ])
        );
        assert_eq!(report.unchanged, 0);
        assert!(check(&dir.0, &files).unwrap().is_clean());

        let again = write(&dir.0, &files).unwrap();
        assert!(again.written.is_empty());
        assert_eq!(again.unchanged, 3);
        assert!(again.removed.is_empty());
    }

    #[test]
    fn check_finds_stale_missing_and_extra_files() {
        let dir = TempDir::new();
        let files = sample();
        write(&dir.0, &files).unwrap();
        dir.put("models/src/lib.rs", &rs("pub struct Edited;"));
        std::fs::remove_file(dir.0.join("client/src/lib.rs")).unwrap();
        dir.put("server/src/old.rs", &rs("pub struct Old;"));
        dir.put("server/notes.md", "hand-written\n");
        dir.put("target/debug/junk", "ignored");
        dir.put(".hidden/junk", "ignored");
        dir.put("models/.swp", "ignored");

        let drift = check(&dir.0, &files).unwrap();
        assert_eq!(drift.stale, paths(&["models/src/lib.rs"]));
        assert_eq!(drift.missing, paths(&["client/src/lib.rs"]));
        assert_eq!(
            drift.extra,
            paths(&["server/notes.md", "server/src/old.rs"])
        );
        assert!(!drift.is_clean());
        assert_eq!(drift.len(), 4);
        assert_eq!(
            drift.to_string(),
            "stale    models/src/lib.rs\n\
             missing  client/src/lib.rs\n\
             extra    server/notes.md\n\
             extra    server/src/old.rs"
        );
    }

    #[test]
    fn check_of_an_absent_root_lists_everything_missing() {
        let dir = TempDir::new();
        let drift = check(&dir.0.join("absent"), &sample()).unwrap();
        assert_eq!(drift.missing.len(), 3);
        assert!(drift.stale.is_empty() && drift.extra.is_empty());
    }

    #[test]
    fn refuses_to_overwrite_files_without_the_header() {
        let dir = TempDir::new();
        dir.put("models/src/lib.rs", "// Hand-written.\n");
        dir.put("client/src/lib.rs", "// Hand-written too.\n");
        let err = write(&dir.0, &sample()).unwrap_err();
        match &err {
            WriteError::NotGenerated { paths } => assert_eq!(
                paths,
                &[
                    dir.0.join("client/src/lib.rs"),
                    dir.0.join("models/src/lib.rs")
                ]
            ),
            other => panic!("unexpected error: {other}"),
        }
        assert!(err.to_string().contains("models/src/lib.rs"));
        // Nothing was written, not even the file that was free.
        assert_eq!(dir.read("models/Cargo.toml"), None);
        assert_eq!(
            dir.read("models/src/lib.rs").as_deref(),
            Some("// Hand-written.\n")
        );
    }

    #[test]
    fn removes_stale_generated_files_and_keeps_foreign_ones() {
        let dir = TempDir::new();
        write(&dir.0, &sample()).unwrap();
        dir.put("old/src/deep/gone.rs", &rs("pub struct Gone;"));
        dir.put("old/README.md", "hand-written\n");
        dir.put("models/src/notes.txt", "hand-written\n");
        dir.put("vanished/src/lib.rs", &rs(""));

        let report = write(&dir.0, &sample()).unwrap();
        assert_eq!(
            report.removed,
            paths(&["old/src/deep/gone.rs", "vanished/src/lib.rs"])
        );
        assert_eq!(
            report.untouched_foreign,
            paths(&["models/src/notes.txt", "old/README.md"])
        );
        assert_eq!(report.unchanged, 3);
        // Directories emptied by the removal are gone; the one still holding a file stays.
        assert!(!dir.0.join("old/src").exists());
        assert!(!dir.0.join("vanished").exists());
        assert_eq!(dir.read("old/README.md").as_deref(), Some("hand-written\n"));
        assert!(dir.0.exists());
    }

    #[test]
    fn rewrites_only_changed_files() {
        let dir = TempDir::new();
        let mut files = sample();
        write(&dir.0, &files).unwrap();
        files[0].contents = rs("pub struct B;");
        let report = write(&dir.0, &files).unwrap();
        assert_eq!(report.written, paths(&["models/src/lib.rs"]));
        assert_eq!(report.unchanged, 2);
        assert_eq!(dir.read("models/src/lib.rs"), Some(rs("pub struct B;")));
    }

    #[test]
    fn rejects_generator_bugs() {
        let dir = TempDir::new();
        let cases = [
            vec![file("a.rs", "fn main() {}\n".to_owned())],
            vec![file("../escape.rs", rs(""))],
            vec![file("/abs.rs", rs(""))],
            vec![file("target/x.rs", rs(""))],
            vec![file(".hidden.rs", rs(""))],
            vec![file("a.rs", rs("")), file("a.rs", rs(""))],
        ];
        for files in cases {
            let err = write(&dir.0, &files).unwrap_err();
            assert!(matches!(err, WriteError::GeneratorBug { .. }), "{err}");
            assert!(matches!(
                check(&dir.0, &files),
                Err(WriteError::GeneratorBug { .. })
            ));
        }
        assert!(walk(&dir.0).unwrap().is_empty());
    }
}
