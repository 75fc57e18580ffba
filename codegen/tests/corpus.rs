//! Real-world specs (vendored in `tests/specs/corpus/`): each loads, lowers
//! without dropping an operation, and emits Rust that parses. The compile
//! test checks that they also compile.

mod common;

use std::path::PathBuf;
use std::time::Instant;

use oncely_codegen::{build_ir, emit_rust, load_spec, DiagnosticKind, IrOptions, RustOptions};

pub fn corpus_specs() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/specs/corpus");
    let mut specs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json" || e == "yaml"))
        .collect();
    specs.sort();
    specs
}

/// Operations in the document, counted without the generator.
fn count_operations(doc: &serde_json::Value) -> usize {
    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    doc.get("paths")
        .and_then(|p| p.as_object())
        .map(|paths| {
            paths
                .values()
                .filter_map(|item| item.as_object())
                .map(|item| METHODS.iter().filter(|m| item.contains_key(**m)).count())
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn vendored_specs_generate() {
    let specs = corpus_specs();
    assert!(specs.len() >= 6, "vendored specs are missing");
    for path in specs {
        let started = Instant::now();
        let spec = load_spec(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let api = build_ir(&spec, &IrOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let generated = emit_rust(&api, &RustOptions::default()).expect("emits");
        let elapsed = started.elapsed();
        common::assert_parses(&generated);
        let input = count_operations(&spec.document);
        assert_eq!(
            api.operations.len(),
            input,
            "{}: operations dropped",
            path.display()
        );
        let ops = generated.file("src/operations.rs").expect("operations.rs");
        let methods = ops.matches("    pub async fn ").count()
            - ops.matches("with a body of any media type").count()
            - ops.matches("that also returns the answer's `ETag`").count();
        assert_eq!(methods, input, "{}: methods emitted", path.display());
        let untyped = api
            .diagnostics
            .iter()
            .filter(|d| d.kind == DiagnosticKind::Untyped)
            .count();
        eprintln!(
            "{}: {} operations, {} types, {untyped} untyped, {:.0} ms (debug build)",
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            api.operations.len(),
            api.types.len(),
            elapsed.as_secs_f64() * 1000.0
        );
    }
}
