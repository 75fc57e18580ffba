//! The generated code compiles warning-free: one `cargo build` of a scratch
//! workspace holding the kitchen-sink crate (every construct), the orders
//! client and the small vendored real-world specs. Stripe joins when
//! `ONCELY_SLOW_TESTS=1`.

mod common;

use std::path::Path;

use oncely_codegen::{build_ir, emit_rust, load_spec, IrOptions, OncelyDep, RustOptions};

fn generate(path: &Path, name: &str) -> oncely_codegen::Generated {
    let spec = load_spec(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let api = build_ir(
        &spec,
        &IrOptions {
            allow_unresolved: true,
        },
    )
    .expect("IR");
    let g = emit_rust(
        &api,
        &RustOptions {
            crate_name: Some(name.to_string()),
            oncely: OncelyDep::Path(common::repo().join("sdk")),
        },
    )
    .expect("emits");
    common::assert_parses(&g);
    g
}

#[test]
fn generated_crates_compile_without_warnings() {
    let slow = std::env::var_os("ONCELY_SLOW_TESTS").is_some_and(|v| v == "1");
    let specs_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs");
    let mut crates: Vec<(String, oncely_codegen::Generated)> = vec![
        (
            "kitchen-sink".into(),
            generate(&specs_dir.join("kitchen-sink.yaml"), "kitchen-sink"),
        ),
        (
            "orders".into(),
            generate(&common::repo().join("openapi/orders.yaml"), "orders"),
        ),
    ];
    let mut corpus: Vec<_> = std::fs::read_dir(specs_dir.join("corpus"))
        .expect("corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    corpus.sort();
    for p in corpus {
        let stem = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if stem.starts_with("stripe") && !slow {
            continue;
        }
        let name = format!("corpus-{}", oncely_codegen::crate_name(&stem));
        let g = generate(&p, &name);
        crates.push((name, g));
    }
    let refs: Vec<(&str, &oncely_codegen::Generated)> =
        crates.iter().map(|(n, g)| (n.as_str(), g)).collect();
    let (ok, output) = common::cargo_in_workspace(
        "compile",
        &refs,
        &[],
        // `build`, not `check`: the e2e test builds the same dependencies,
        // so the two share artifacts in the e2e target directory.
        &["build", "--workspace", "--message-format", "short"],
    );
    assert!(ok, "generated code does not compile:\n{output}");
    // Warnings in the generated crates (paths relative to the scratch
    // workspace); warnings of `oncely` itself (absolute paths) are not ours.
    let ours: Vec<&str> = output
        .lines()
        .filter(|l| l.contains(": warning") && !l.starts_with('/'))
        .collect();
    assert!(
        ours.is_empty(),
        "generated code has warnings:\n{}",
        ours.join("\n")
    );
}
