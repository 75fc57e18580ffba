//! Documents split over several files: `$ref`s to other files are brought
//! into one document, keeping component names, rewriting references inside
//! what is brought in, and reporting files that cannot be read.

use oncely_codegen::ir::{Type, TypeDef};
use oncely_codegen::{build_ir, load_spec, DiagnosticKind, IrOptions};

fn write(dir: &std::path::Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write");
}

#[test]
fn references_to_other_files_are_bundled_with_their_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write(
        d,
        "api.yaml",
        "openapi: 3.1.0\ninfo: {title: Split, version: '1'}\npaths:\n  /orders:\n    $ref: 'paths/orders.yaml#/orders'\ncomponents:\n  schemas:\n    Item: {type: object, properties: {local: {type: boolean}}}\n    Tag: {type: string}\n",
    );
    std::fs::create_dir(d.join("paths")).expect("mkdir");
    write(
        &d.join("paths"),
        "orders.yaml",
        "orders:\n  get:\n    operationId: listOrders\n    responses:\n      '200':\n        description: ok\n        content:\n          application/json:\n            schema: {type: array, items: {$ref: '../common.yaml#/components/schemas/Order'}}\n",
    );
    write(
        d,
        "common.yaml",
        "components:\n  schemas:\n    Order:\n      type: object\n      properties:\n        items: {type: array, items: {$ref: '#/components/schemas/Item'}}\n        tag: {$ref: 'api.yaml#/components/schemas/Tag'}\n        parent: {$ref: '#/components/schemas/Order'}\n    Item: {type: object, properties: {sku: {type: string}}}\n",
    );
    let spec = load_spec(d.join("api.yaml")).expect("loads");
    let api = build_ir(&spec, &IrOptions::default()).expect("resolves");
    assert!(
        !api.diagnostics
            .iter()
            .any(|x| x.kind == DiagnosticKind::UnresolvedRef),
        "{:?}",
        api.diagnostics
    );
    let names: Vec<&str> = api.types.iter().map(|t| t.name.as_str()).collect();
    assert!(names.contains(&"Order"), "{names:?}");
    // The root's own `Item` kept its name; common.yaml's got a suffix.
    let item2 = api
        .types
        .iter()
        .find(|t| t.name == "Item2" || t.name == "Item_2")
        .unwrap_or_else(|| panic!("the second Item: {names:?}"));
    let TypeDef::Object(o) = &item2.def else {
        panic!("object")
    };
    assert_eq!(o.fields[0].name, "sku");
    let op = &api.operations[0];
    assert_eq!(op.name, "listOrders");
    assert!(matches!(
        &op.success,
        oncely_codegen::ir::Success::Json {
            ty: Type::Array(_),
            ..
        }
    ));
}

#[test]
fn unreadable_and_remote_references_are_reported_where_they_are() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write(
        d,
        "api.yaml",
        "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    A: {$ref: 'missing.yaml#/components/schemas/A'}\n    B: {$ref: 'https://example.com/b.yaml#/B'}\n    C: {$ref: 'bad.yaml#/components/schemas/C'}\n",
    );
    write(d, "bad.yaml", "{ not: [yaml");
    let spec = load_spec(d.join("api.yaml")).expect("loads");
    let warn = |p: &str| {
        spec.diagnostics
            .iter()
            .find(|x| x.pointer == p)
            .unwrap_or_else(|| panic!("no diagnostic at {p}: {:?}", spec.diagnostics))
            .message
            .clone()
    };
    assert!(warn("/components/schemas/A").contains("missing.yaml"));
    assert!(warn("/components/schemas/B").contains("remote"));
    assert!(warn("/components/schemas/C").contains("bad.yaml"));
    // Still unresolved: the lowerer says so (typed error, not a panic).
    let err = build_ir(&spec, &IrOptions::default()).expect_err("unresolved");
    assert!(err.to_string().contains("missing.yaml"), "{err}");
}
