//! `cargo xtask coverage`: which reference routes the spec lacks (public and internal), which
//! spec routes the references do not know, and how much of the spec is typed.

use std::path::Path;
use std::process::ExitCode;

use crisp_codegen::coverage::{coverage, parse_reference};

/// Prints the coverage of `spec/crisp.yaml` against `spec/reference/routes.tsv` and
/// `spec/reference/internal_routes.tsv`.
pub fn run(root: &Path, spec_path: &Path, spec_name: &str) -> ExitCode {
    let api = match crisp_codegen::load::load_path(spec_path, spec_name)
        .and_then(|spec| crisp_codegen::ir::build(&spec))
    {
        Ok(api) => api,
        Err(diagnostics) => {
            eprintln!("{diagnostics}");
            return ExitCode::FAILURE;
        }
    };
    let mut reference = Vec::new();
    for table in [
        "spec/reference/routes.tsv",
        "spec/reference/internal_routes.tsv",
    ] {
        let path = root.join(table);
        match std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|text| parse_reference(&text))
        {
            Ok(routes) => reference.extend(routes),
            Err(message) => {
                eprintln!("error: {table}: {message}");
                return ExitCode::FAILURE;
            }
        }
    }
    let report = coverage(&api, &reference, &["current", "legacy", "internal"]);
    print!("{report}");
    if report.is_complete() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
