//! The formatted files `regen` and `check` keep between runs, in `target/regen-memo/` (one
//! directory per spec), so that a run formats only the files whose tokens changed (see
//! `crisp_codegen::format::Memo`). `CRISP_REGEN_MEMO=off` formats every file.
//!
//! An entry is named by a hash of the generator's identity (this binary's path, size and
//! modification time: any rebuild of the generator or of prettyplease starts afresh) and of the
//! file's token text, and holds the token text itself, compared whole before the entry is used:
//! a hash collision or a damaged entry only costs a formatting. Entries this run did not use are
//! removed at the end, so the directory holds one run's files. Nothing here can change the
//! output: an entry is what this very binary printed for the same tokens.

use std::collections::HashSet;
use std::fs;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crisp_codegen::format::Memo;

/// A memo in a directory.
pub struct DiskMemo {
    dir: PathBuf,
    generator: String,
    used: Mutex<HashSet<String>>,
}

impl DiskMemo {
    /// A memo in `dir` (made when missing) for the generator identified by `generator`.
    pub fn new(dir: PathBuf, generator: String) -> Self {
        DiskMemo {
            dir,
            generator,
            used: Mutex::new(HashSet::new()),
        }
    }

    /// A memo in `target/regen-memo/` of `root`, for this binary and the spec `spec` (each spec
    /// has its own directory, pruned on its own); `None` when the binary cannot be identified or
    /// `CRISP_REGEN_MEMO=off` is set (then every file is formatted).
    pub fn for_this_binary(root: &Path, spec: &Path) -> Option<Self> {
        if std::env::var_os("CRISP_REGEN_MEMO").is_some_and(|value| value == "off") {
            return None;
        }
        let exe = std::env::current_exe().ok()?;
        let meta = fs::metadata(&exe).ok()?;
        let modified = meta
            .modified()
            .ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?;
        let generator = format!("{}:{}:{}", exe.display(), meta.len(), modified.as_nanos());
        let mut hasher = DefaultHasher::new();
        spec.hash(&mut hasher);
        let dir = root
            .join("target/regen-memo")
            .join(format!("{:016x}", hasher.finish()));
        Some(DiskMemo::new(dir, generator))
    }

    /// The file name of the entry for `tokens`.
    fn key(&self, tokens: &str) -> String {
        let mut hasher = DefaultHasher::new();
        self.generator.hash(&mut hasher);
        tokens.hash(&mut hasher);
        let first = hasher.finish();
        // A second hash over the text alone makes the name 128 bits.
        let mut hasher = DefaultHasher::new();
        tokens.len().hash(&mut hasher);
        tokens.hash(&mut hasher);
        format!("{first:016x}{:016x}", hasher.finish())
    }

    /// Removes the entries this run did not use; a failure leaves them, which costs only disk.
    pub fn prune(&self) {
        let used = self
            .used
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            if !used.contains(name.to_string_lossy().as_ref()) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    fn mark_used(&self, key: String) {
        self.used
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .insert(key);
    }
}

impl Memo for DiskMemo {
    fn get(&self, tokens: &str) -> Option<String> {
        let key = self.key(tokens);
        let entry = fs::read_to_string(self.dir.join(&key)).ok()?;
        // The token text's length, a newline, the token text, then the formatted file.
        let (length, rest) = entry.split_once('\n')?;
        let length: usize = length.parse().ok()?;
        let (kept_tokens, formatted) = (rest.get(..length)?, rest.get(length..)?);
        if kept_tokens != tokens {
            return None;
        }
        self.mark_used(key);
        Some(formatted.to_owned())
    }

    fn put(&self, tokens: &str, formatted: &str) {
        let key = self.key(tokens);
        if fs::create_dir_all(&self.dir).is_err() {
            return;
        }
        // Written aside, then renamed: a run stopped halfway leaves no half entry.
        let path = self.dir.join(&key);
        let partial = self.dir.join(format!("{key}.partial"));
        let entry = format!("{}\n{tokens}{formatted}", tokens.len());
        if fs::write(&partial, entry).is_ok() && fs::rename(&partial, &path).is_ok() {
            self.mark_used(key);
        } else {
            let _ = fs::remove_file(&partial);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memo(dir: &Path, generator: &str) -> DiskMemo {
        DiskMemo::new(dir.to_owned(), generator.to_owned())
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-memo-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn what_is_put_comes_back_for_the_same_tokens_and_generator_only() {
        let dir = scratch("round-trip");
        memo(&dir, "a").put("fn f() {}", "// printed\nfn f() {}\n");
        assert_eq!(
            memo(&dir, "a").get("fn f() {}").as_deref(),
            Some("// printed\nfn f() {}\n")
        );
        assert_eq!(memo(&dir, "a").get("fn g() {}"), None);
        assert_eq!(memo(&dir, "b").get("fn f() {}"), None);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_entry_whose_tokens_differ_is_not_used() {
        let dir = scratch("collision");
        let memo = memo(&dir, "a");
        memo.put("fn f() {}", "printed");
        // What a hash collision, or a damaged entry, would look like.
        let path = dir.join(memo.key("fn f() {}"));
        fs::write(&path, "9\nfn g() {}printed").unwrap();
        assert_eq!(memo.get("fn f() {}"), None);
        fs::write(&path, "not a length").unwrap();
        assert_eq!(memo.get("fn f() {}"), None);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn pruning_keeps_only_what_this_run_used() {
        let dir = scratch("prune");
        memo(&dir, "a").put("old", "printed old");
        memo(&dir, "a").put("kept", "printed kept");
        let run = memo(&dir, "a");
        assert!(run.get("kept").is_some());
        run.put("new", "printed new");
        run.prune();
        let mut names: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let mut expected = vec![run.key("kept"), run.key("new")];
        expected.sort();
        assert_eq!(names, expected);
        let _ = fs::remove_dir_all(&dir);
    }
}
