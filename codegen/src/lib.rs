//! Turns the Crisp OpenAPI document into the source of the generated crates.
//!
//! The pipeline runs in one direction: [`load`] reads the YAML, [`ir`] lowers it into our own
//! model and checks it, [`emit`] turns that model into tokens, [`format`](mod@format) prints them, and
//! [`write`](mod@write) puts files on disk or compares them with what is there. [`generate`] is pure: it
//! takes a loaded spec and returns files, so tests call it in memory.

pub mod coverage;
pub mod diag;
pub mod diff;
pub mod emit;
pub mod format;
pub mod ir;
pub mod load;
pub mod mutate;
pub mod naming;
pub mod write;

pub use diag::{Diagnostic, Diagnostics};
pub use load::Spec;
pub use write::GeneratedFile;

mod crates;

/// Generates every file of `generated/` from a loaded spec.
///
/// Returns all the problems found in the spec at once when it cannot be generated.
pub fn generate(spec: &Spec) -> Result<Vec<GeneratedFile>, Diagnostics> {
    generate_with(spec, None)
}

/// [`generate`], with formatted files kept from earlier runs (see [`format::Memo`]): the same
/// files, sooner when few changed.
pub fn generate_with(
    spec: &Spec,
    memo: Option<&dyn format::Memo>,
) -> Result<Vec<GeneratedFile>, Diagnostics> {
    let api = ir::build(spec)?;
    crates::files(&api, memo).map_err(|bug| {
        let mut diags = Diagnostics::new(spec.file.clone());
        diags.push(
            Diagnostic::new("", bug)
                .with_help("this is a bug in the generator, not in the spec; please report it"),
        );
        diags
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use super::*;

    /// A memo in memory that counts the files it gave back.
    #[derive(Default)]
    struct Kept {
        files: Mutex<HashMap<String, String>>,
        hits: Mutex<usize>,
    }

    impl format::Memo for Kept {
        fn get(&self, tokens: &str) -> Option<String> {
            let found = self.files.lock().unwrap().get(tokens).cloned();
            *self.hits.lock().unwrap() += usize::from(found.is_some());
            found
        }
        fn put(&self, tokens: &str, formatted: &str) {
            self.files
                .lock()
                .unwrap()
                .insert(tokens.to_owned(), formatted.to_owned());
        }
    }

    #[test]
    fn a_memo_changes_no_byte_of_the_output() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/valid/25_events.yaml"
        );
        let spec = load::load_path(std::path::Path::new(path), "25_events.yaml").unwrap();
        let plain = generate(&spec).unwrap();
        let kept = Kept::default();
        let first = generate_with(&spec, Some(&kept)).unwrap();
        assert_eq!(*kept.hits.lock().unwrap(), 0);
        let second = generate_with(&spec, Some(&kept)).unwrap();
        let rust_files = plain
            .iter()
            .filter(|file| file.path.extension().is_some_and(|ext| ext == "rs"))
            .count();
        assert_eq!(*kept.hits.lock().unwrap(), rust_files);
        for run in [&first, &second] {
            assert_eq!(run.len(), plain.len());
            for (a, b) in run.iter().zip(&plain) {
                assert_eq!(a.path, b.path);
                assert_eq!(a.contents, b.contents, "{}", a.path.display());
            }
        }
    }
}
