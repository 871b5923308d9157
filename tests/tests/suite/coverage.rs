//! The spec covers the whole public reference, and its answers and bodies are typed.

use std::path::Path;

use crisp_codegen::coverage::{coverage, parse_reference};

#[test]
fn the_spec_covers_every_public_route_and_is_typed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let spec = crisp_codegen::load::load_path(&root.join("spec/crisp.yaml"), "spec/crisp.yaml").expect("the spec loads");
    let api = crisp_codegen::ir::lower::lower(&spec).expect("the spec lowers");
    let table = std::fs::read_to_string(root.join("spec/reference/routes.tsv")).expect("read the reference table");
    let reference = parse_reference(&table).expect("parse the reference table");
    let report = coverage(&api, &reference, &["current", "legacy"]);
    assert!(report.is_complete(), "{report}");
    assert_eq!(report.by_status, [("current".to_owned(), 225, 225), ("legacy".to_owned(), 35, 35)], "{report}");
    // At least 95 % of the operations that answer with data have a typed `data`.
    let (answering, typed) = report.data;
    assert!(typed * 100 >= answering * 95, "{report}");
}
