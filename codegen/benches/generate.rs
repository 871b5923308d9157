//! How long the generator takes on `spec/crisp.yaml`, against parsing the same YAML into a
//! plain value as the baseline measured in the same run.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};

fn spec_text() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/crisp.yaml");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("read {}: {error}", path.display()))
}

fn bench(c: &mut Criterion) {
    let text = spec_text();
    let mut group = c.benchmark_group("spec");
    group.sample_size(20);
    group.bench_function("baseline: serde_yaml::Value", |b| {
        b.iter(|| {
            serde_yaml::from_str::<serde_yaml::Value>(black_box(&text)).map(|v| v.is_mapping())
        })
    });
    group.bench_function("load (YAML, line index, openapiv3)", |b| {
        b.iter(|| crisp_codegen::load::load_str("spec/crisp.yaml", black_box(&text)).is_ok())
    });
    let spec = match crisp_codegen::load::load_str("spec/crisp.yaml", &text) {
        Ok(spec) => spec,
        Err(diagnostics) => panic!("spec/crisp.yaml does not load:\n{diagnostics}"),
    };
    group.bench_function("generate (lower, check, emit, format)", |b| {
        b.iter(|| crisp_codegen::generate(black_box(&spec)).map(|files| files.len()))
    });
    group.bench_function("load + generate", |b| {
        b.iter(|| {
            crisp_codegen::load::load_str("spec/crisp.yaml", black_box(&text))
                .ok()
                .and_then(|spec| crisp_codegen::generate(&spec).ok())
                .map(|files| files.len())
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
