//! Bad input gives a typed error with a clear message, never a panic.

use oncely_codegen::{build_ir, parse_spec, CodegenError, IrOptions};

fn load_err(text: &str) -> CodegenError {
    parse_spec(text, "spec.yaml").expect_err("must fail")
}

#[test]
fn malformed_yaml() {
    let e = load_err("openapi: 3.0.0\ninfo: [unclosed\n");
    assert!(
        matches!(e, CodegenError::Syntax { format: "YAML", .. }),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(msg.contains("spec.yaml: not valid YAML"), "{msg}");
    assert!(msg.contains("line"), "{msg}");
}

#[test]
fn malformed_json() {
    let e = load_err("{\"openapi\": \"3.0.0\", \"info\": }");
    assert!(
        matches!(
            e,
            CodegenError::Syntax {
                format: "JSON",
                line: Some(1),
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn swagger_2_is_named() {
    let e = load_err("swagger: '2.0'\ninfo: {title: T, version: '1'}\npaths: {}\n");
    assert!(matches!(e, CodegenError::Swagger2 { .. }));
    let msg = e.to_string();
    assert!(msg.contains("Swagger 2.0"), "{msg}");
    assert!(msg.contains("OpenAPI 3.0 and 3.1"), "{msg}");
}

#[test]
fn not_openapi() {
    for (text, needle) in [
        ("just: yaml\n", "no `openapi` field"),
        ("- a\n- b\n", "the top level is an array"),
        ("asyncapi: 2.6.0\n", "AsyncAPI"),
        ("", "empty"),
        ("openapi: [3]\n", "not a version string"),
    ] {
        let e = load_err(text);
        assert!(
            matches!(e, CodegenError::NotOpenApi { .. }),
            "{text:?}: {e:?}"
        );
        assert!(e.to_string().contains(needle), "{text:?}: {e}");
    }
}

#[test]
fn unsupported_version() {
    let e = load_err("openapi: 4.0.0\ninfo: {title: T, version: '1'}\n");
    assert!(matches!(e, CodegenError::UnsupportedVersion { .. }));
}

#[test]
fn dangling_ref_is_a_typed_error() {
    let spec = parse_spec(
        "openapi: 3.0.0\ninfo: {title: T, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    A: {type: object, properties: {b: {$ref: '#/components/schemas/Missing'}}}\n    C: {$ref: 'other.yaml#/C'}\n",
        "spec.yaml",
    )
    .expect("loads");
    let e = build_ir(&spec, &IrOptions::default()).expect_err("dangling refs fail");
    let CodegenError::UnresolvedRefs { refs } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(refs.len(), 2);
    assert_eq!(refs[0].pointer, "/components/schemas/A/properties/b");
    let msg = e.to_string();
    assert!(msg.contains("#/components/schemas/Missing"), "{msg}");
    assert!(msg.contains("#/components/schemas/A/properties/b"), "{msg}");
    // Lenient mode degrades instead.
    let api = build_ir(
        &spec,
        &IrOptions {
            allow_unresolved: true,
        },
    )
    .expect("lenient");
    assert_eq!(api.types.len(), 2);
}

#[test]
fn unsupported_languages_are_errors() {
    let e: CodegenError = "cobol"
        .parse::<oncely_codegen::Language>()
        .expect_err("cobol is not a target");
    assert!(e.to_string().contains("not yet supported"), "{e}");
    for lang in ["rust", "python", "typescript"] {
        let l: oncely_codegen::Language = lang.parse().expect("a target");
        let spec =
            parse_spec("openapi: 3.0.0\ninfo: {title: T, version: '1'}\n", "x").expect("loads");
        let api = build_ir(&spec, &IrOptions::default()).expect("ir");
        oncely_codegen::emit(&api, l, &Default::default()).expect(lang);
    }
}

#[test]
fn cli_reports_errors_and_exit_codes() {
    let bin = env!("CARGO_BIN_EXE_oncely");
    let dir = tempfile::tempdir().expect("tempdir");
    let swagger = dir.path().join("s.yaml");
    std::fs::write(&swagger, "swagger: '2.0'\n").expect("write");
    let out = std::process::Command::new(bin)
        .args(["check"])
        .arg(&swagger)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Swagger 2.0"));

    let out = std::process::Command::new(bin)
        .args(["generate", "--lang", "cobol", "--out"])
        .arg(dir.path().join("out"))
        .arg(&swagger)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not yet supported"));

    let ok = dir.path().join("ok.json");
    std::fs::write(&ok, r#"{"openapi":"3.1.0","info":{"title":"T","version":"1"},"paths":{"/a":{"get":{"responses":{"204":{"description":"x"}}}}}}"#).expect("write");
    let out = std::process::Command::new(bin)
        .args(["check", "--json"])
        .arg(&ok)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    assert_eq!(report["operations"], 1);
    assert_eq!(report["usable"], true);

    let dangling = dir.path().join("d.yaml");
    std::fs::write(&dangling, "openapi: 3.0.0\ninfo: {title: T, version: '1'}\ncomponents: {schemas: {A: {$ref: '#/nope'}}}\n").expect("write");
    let out = std::process::Command::new(bin)
        .arg("check")
        .arg(&dangling)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("usable: no"));

    // Standard input.
    let mut child = std::process::Command::new(bin)
        .args(["check", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawns");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"openapi: 3.0.0\ninfo: {title: T, version: '1'}\n")
        .expect("writes");
    let out = child.wait_with_output().expect("waits");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("<stdin>"));
}
