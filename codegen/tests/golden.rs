//! Golden tests: the generated files for the reference contract and the
//! kitchen-sink spec are compared byte for byte with `tests/golden/`.
//! `UPDATE_GOLDEN=1 cargo test -p oncely-codegen --test golden` rewrites them.

mod common;

use std::path::Path;

use oncely_codegen::{build_ir, emit_rust, parse_spec, report, IrOptions, OncelyDep, RustOptions};

fn check_golden(name: &str, spec_path: &Path, origin: &str) {
    let text = std::fs::read_to_string(spec_path).expect("spec readable");
    let spec = parse_spec(&text, origin).expect("spec loads");
    let api = build_ir(&spec, &IrOptions::default()).expect("IR builds");
    let generated = emit_rust(
        &api,
        &RustOptions {
            crate_name: Some(name.to_string()),
            oncely: OncelyDep::Version("0.1.0".into()),
        },
    )
    .expect("emits");
    common::assert_parses(&generated);
    // Deterministic: the same input gives the same bytes.
    let again = emit_rust(
        &build_ir(
            &parse_spec(&text, origin).expect("loads"),
            &IrOptions::default(),
        )
        .expect("IR"),
        &RustOptions {
            crate_name: Some(name.to_string()),
            oncely: OncelyDep::Version("0.1.0".into()),
        },
    )
    .expect("emits");
    assert_eq!(generated.files, again.files, "output is not deterministic");

    let mut files: Vec<(String, String)> = generated
        .files
        .iter()
        .map(|f| (f.path.display().to_string(), f.contents.clone()))
        .collect();
    files.push(("check.txt".into(), report(&spec, &api).to_text(true)));

    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    let update = std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1");
    let mut stale = Vec::new();
    for (path, contents) in &files {
        let p = dir.join(path);
        if update {
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, contents).expect("write golden");
            continue;
        }
        match std::fs::read_to_string(&p) {
            Ok(expected) if &expected == contents => {}
            Ok(expected) => {
                let line = expected
                    .lines()
                    .zip(contents.lines())
                    .position(|(a, b)| a != b)
                    .map(|i| i + 1)
                    .unwrap_or_else(|| expected.lines().count().min(contents.lines().count()) + 1);
                stale.push(format!("{path} differs from line {line}"));
            }
            Err(_) => stale.push(format!("{path} is missing")),
        }
    }
    assert!(
        stale.is_empty(),
        "golden files of {name} are stale ({}); rerun with UPDATE_GOLDEN=1 and review the diff",
        stale.join("; ")
    );
}

#[test]
fn orders_golden() {
    let spec = common::repo().join("openapi/orders.yaml");
    check_golden("orders", &spec, "openapi/orders.yaml");
}

#[test]
fn kitchen_sink_golden() {
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs/kitchen-sink.yaml");
    check_golden("kitchen-sink", &spec, "tests/specs/kitchen-sink.yaml");
}
