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
    let api = ir::build(spec)?;
    crates::files(&api).map_err(|bug| {
        let mut diags = Diagnostics::new(spec.file.clone());
        diags.push(
            Diagnostic::new("", bug)
                .with_help("this is a bug in the generator, not in the spec; please report it"),
        );
        diags
    })
}
