//! The spec covers the whole public reference and the internal one, and its answers and bodies
//! are typed.

use std::path::Path;

use crisp_codegen::coverage::{coverage, parse_reference};

#[test]
fn the_spec_covers_every_public_and_internal_route_and_is_typed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let spec = crisp_codegen::load::load_path(&root.join("spec/crisp.yaml"), "spec/crisp.yaml")
        .expect("the spec loads");
    let api = crisp_codegen::ir::build(&spec).expect("the spec lowers");
    let mut reference = Vec::new();
    for table in [
        "spec/reference/routes.tsv",
        "spec/reference/internal_routes.tsv",
    ] {
        let text = std::fs::read_to_string(root.join(table)).expect("read the reference table");
        reference.extend(parse_reference(&text).expect("parse the reference table"));
    }
    let report = coverage(&api, &reference, &["current", "legacy", "internal"]);
    assert!(report.is_complete(), "{report}");
    assert_eq!(
        report.by_status,
        [
            ("current".to_owned(), 225, 225),
            ("legacy".to_owned(), 35, 35),
            ("internal".to_owned(), 228, 228)
        ],
        "{report}"
    );
    // The 213 routes only the internal reference lists are in the spec, each marked internal.
    assert_eq!(report.internal_only, (213, 213), "{report}");
    // At least 95 % of the operations that answer with data have a typed `data`.
    let (answering, typed) = report.data;
    assert!(typed * 100 >= answering * 95, "{report}");
}
