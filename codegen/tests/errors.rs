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
