//! One test per construct: the IR is what it should be and the emitted Rust
//! parses. (The kitchen-sink compile test proves the code also compiles.)

mod common;

use common::{assert_parses, decl, emit, ir, object, op};
use oncely_codegen::ir::{
    BodyKind, CaseBody, EnumLiteral, EnumRepr, ParamLocation, ParamStyle, Primitive, Segment,
    Success, Type, TypeDef,
};
use oncely_codegen::{DiagnosticKind, Language};

fn wrap_schemas(schemas: &str) -> String {
    format!(
        "openapi: 3.0.3\ninfo: {{title: T, version: '1'}}\npaths: {{}}\ncomponents:\n  schemas:\n{}",
        schemas
            .lines()
            .map(|l| format!("    {l}\n"))
            .collect::<String>()
    )
}

fn gen_parses(api: &oncely_codegen::ir::Api) -> oncely_codegen::Generated {
    let g = emit(api, "t");
    assert_parses(&g);
    g
}

#[test]
fn objects_required_optional_nullable() {
    let api = ir(&wrap_schemas(
        "Order:\n  type: object\n  required: [id, note]\n  properties:\n    id: {type: string}\n    note: {type: string, nullable: true}\n    count: {type: integer, format: int32}\n    secret: {type: string, writeOnly: true}",
    ));
    let o = object(&api, "Order");
    let f = |n: &str| o.fields.iter().find(|f| f.name == n).expect("field");
    assert!(f("id").required);
    assert_eq!(f("note").ty, Type::Primitive(Primitive::String).nullable());
    assert!(!f("count").required);
    assert_eq!(f("count").ty, Type::Primitive(Primitive::I32));
    assert!(!f("secret").required, "write-only fields are optional");
    let g = gen_parses(&api);
    let models = g.file("src/models.rs").expect("models");
    assert!(models.contains("pub id: ::std::string::String,"));
    assert!(models.contains("pub note: ::std::option::Option<::std::string::String>,"));
    assert!(models.contains("skip_serializing_if"));
}

#[test]
fn maps_and_free_form_objects() {
    let api = ir(&wrap_schemas(
        "Labels: {type: object, additionalProperties: {type: string}}\nFree: {type: object}\nWithExtra:\n  type: object\n  properties: {a: {type: string}}\n  additionalProperties: {type: integer}",
    ));
    assert_eq!(
        decl(&api, "Labels").def,
        TypeDef::Alias(Type::Map(Box::new(Type::Primitive(Primitive::String))))
    );
    assert_eq!(
        decl(&api, "Free").def,
        TypeDef::Alias(Type::Map(Box::new(Type::any())))
    );
    assert_eq!(
        object(&api, "WithExtra").additional,
        Some(Type::Primitive(Primitive::I64))
    );
    let g = gen_parses(&api);
    assert!(g
        .file("src/models.rs")
        .expect("models")
        .contains("#[serde(flatten)]"));
}

#[test]
fn arrays_and_formats() {
    let api = ir(&wrap_schemas(
        "A:\n  type: object\n  properties:\n    when: {type: string, format: date-time}\n    day: {type: string, format: date}\n    id: {type: string, format: uuid}\n    b64: {type: string, format: byte}\n    raw: {type: string, format: binary}\n    big: {type: integer, format: int64}\n    f: {type: number, format: float}\n    grid: {type: array, items: {type: array, items: {type: boolean}}}",
    ));
    let o = object(&api, "A");
    let t = |n: &str| &o.fields.iter().find(|f| f.name == n).expect("field").ty;
    assert_eq!(t("when"), &Type::Primitive(Primitive::DateTime));
    assert_eq!(t("day"), &Type::Primitive(Primitive::Date));
    assert_eq!(t("id"), &Type::Primitive(Primitive::Uuid));
    assert_eq!(t("b64"), &Type::Primitive(Primitive::Bytes));
    assert_eq!(t("raw"), &Type::Primitive(Primitive::Binary));
    assert_eq!(t("big"), &Type::Primitive(Primitive::I64));
    assert_eq!(t("f"), &Type::Primitive(Primitive::Number));
    assert_eq!(
        t("grid"),
        &Type::Array(Box::new(Type::Array(Box::new(Type::Primitive(
            Primitive::Boolean
        )))))
    );
    gen_parses(&api);
}

#[test]
fn string_enums_with_colliding_values() {
    let api = ir(&wrap_schemas(
        "K:\n  type: string\n  enum: [small, Small, SMALL, small, '', '+1', '-1', self, Unknown, null]",
    ));
    let TypeDef::Enum(e) = &decl(&api, "K").def else {
        panic!("enum")
    };
    assert_eq!(e.repr, EnumRepr::String);
    assert_eq!(e.values.len(), 8, "duplicates removed, null is nullability");
    let g = gen_parses(&api);
    let m = g.file("src/models.rs").expect("models");
    for v in [
        "    Small,",
        "    Small2,",
        "    Small3,",
        "    Empty,",
        "    Plus1,",
        "    Minus1,",
        "    SelfValue,",
        "    Unknown,",
        "    Unknown2(",
    ] {
        assert!(m.contains(v), "missing {v} in\n{m}");
    }
    assert!(m.contains("#[serde(untagged)]"));
}

#[test]
fn integer_enums() {
    let api = ir(&wrap_schemas(
        "P:\n  type: integer\n  enum: [1, 2, -1]\n  x-enum-varnames: [LOW, HIGH, NONE]",
    ));
    let TypeDef::Enum(e) = &decl(&api, "P").def else {
        panic!("enum")
    };
    assert_eq!(e.repr, EnumRepr::Integer);
    assert_eq!(e.values[2].value, EnumLiteral::Integer(-1));
    let g = gen_parses(&api);
    let m = g.file("src/models.rs").expect("models");
    assert!(m.contains("-1 => Self::None,"));
    assert!(m.contains("other => Self::Unknown(other),"));
}

#[test]
fn one_of_with_discriminator_is_tagged() {
    let api = ir(&wrap_schemas(
        "Pet:\n  oneOf: [{$ref: '#/components/schemas/Cat'}, {$ref: '#/components/schemas/Dog'}]\n  discriminator: {propertyName: kind, mapping: {cat: '#/components/schemas/Cat', kitty: Cat}}\nCat: {type: object, required: [kind], properties: {kind: {type: string}}}\nDog: {type: object, properties: {kind: {type: string}, barks: {type: boolean}}}",
    ));
    let TypeDef::Union(u) = &decl(&api, "Pet").def else {
        panic!("union")
    };
    assert_eq!(u.discriminator.as_deref(), Some("kind"));
    assert_eq!(u.variants[0].tags, ["cat", "kitty"]);
    assert_eq!(u.variants[1].tags, ["Dog"]);
    let g = gen_parses(&api);
    let m = g.file("src/models.rs").expect("models");
    assert!(m.contains("Some(\"cat\") | Some(\"kitty\")"));
    assert!(m.contains("Unknown(::serde_json::Value)"));
}

#[test]
fn discriminator_over_non_objects_is_untagged() {
    let api = ir(&wrap_schemas(
        "U:\n  oneOf: [{type: string}, {$ref: '#/components/schemas/Cat'}]\n  discriminator: {propertyName: kind}\nCat: {type: object, properties: {kind: {type: string}}}",
    ));
    let TypeDef::Union(u) = &decl(&api, "U").def else {
        panic!("union")
    };
    assert_eq!(u.discriminator, None);
    let g = gen_parses(&api);
    assert!(g
        .file("src/models.rs")
        .expect("models")
        .contains("#[serde(untagged)]"));
}

#[test]
fn any_of_untagged_with_null() {
    let api = ir(&wrap_schemas(
        "A:\n  type: object\n  properties:\n    v:\n      anyOf: [{type: string}, {type: integer}, {type: 'null'}]",
    ));
    let o = object(&api, "A");
    let Type::Nullable(inner) = &o.fields[0].ty else {
        panic!("nullable union: {:?}", o.fields[0].ty)
    };
    let Type::Ref(id) = inner.as_ref() else {
        panic!("ref")
    };
    assert!(matches!(api.types[id.0].def, TypeDef::Union(_)));
    assert_eq!(api.types[id.0].name, "A v");
    gen_parses(&api);
}

#[test]
fn all_of_merges_properties() {
    let api = ir(&wrap_schemas(
        "Base: {type: object, required: [id], properties: {id: {type: string}}}\nMore:\n  allOf:\n    - {$ref: '#/components/schemas/Base'}\n    - {type: object, required: [n], properties: {n: {type: integer}}}\nJustRef:\n  allOf: [{$ref: '#/components/schemas/Base'}]\n  description: an alias with a description",
    ));
    let o = object(&api, "More");
    let names: Vec<&str> = o.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["id", "n"]);
    assert!(o.fields.iter().all(|f| f.required));
    assert!(matches!(
        decl(&api, "JustRef").def,
        TypeDef::Alias(Type::Ref(_))
    ));
    gen_parses(&api);
}

#[test]
fn recursive_schemas_are_boxed() {
    let api = ir(&wrap_schemas(
        "Node:\n  type: object\n  required: [value]\n  properties:\n    value: {type: integer}\n    next: {$ref: '#/components/schemas/Node'}\n    children: {type: array, items: {$ref: '#/components/schemas/Node'}}\nTree: {type: array, items: {$ref: '#/components/schemas/Tree'}}",
    ));
    let g = gen_parses(&api);
    let m = g.file("src/models.rs").expect("models");
    assert!(m.contains("pub next: ::std::option::Option<::std::boxed::Box<Node>>,"));
    assert!(m.contains("pub children: ::std::option::Option<::std::vec::Vec<Node>>,"));
    assert!(m.contains("pub struct Tree(pub ::std::vec::Vec<Tree>);"));
}

#[test]
fn ref_loops_become_untyped() {
    let api = ir(&wrap_schemas(
        "A: {$ref: '#/components/schemas/B'}\nB: {$ref: '#/components/schemas/A'}",
    ));
    assert!(api
        .diagnostics
        .iter()
        .any(|d| d.kind == DiagnosticKind::Untyped && d.pointer.ends_with("/A")));
    gen_parses(&api);
}

#[test]
fn openapi_31_shapes() {
    let api = ir("openapi: 3.1.0\ninfo: {title: T, version: '1'}\ncomponents:\n  schemas:\n    A:\n      type: object\n      properties:\n        n: {type: [string, 'null']}\n        c: {const: fixed}\n        m: {type: [string, integer]}\n        r:\n          $ref: '#/components/schemas/B'\n          properties: {extra: {type: string}}\n    B: {type: object, properties: {b: {type: string}}}\n");
    let o = object(&api, "A");
    let t = |n: &str| &o.fields.iter().find(|f| f.name == n).expect("field").ty;
    assert_eq!(t("n"), &Type::Primitive(Primitive::String).nullable());
    assert!(matches!(t("c"), Type::Ref(_)));
    let Type::Ref(r) = t("r") else { panic!("ref") };
    let TypeDef::Object(merged) = &api.types[r.0].def else {
        panic!("merged object")
    };
    assert_eq!(merged.fields.len(), 2);
    gen_parses(&api);
}

#[test]
fn names_are_safe() {
    let api = ir(&wrap_schemas(
        "Option: {type: string}\nself: {type: object, properties: {type: {type: string}, Type: {type: string}, self: {type: string}, 2fa: {type: string}, $ref: {type: string}, '': {type: string}, 名前: {type: string}}}\nfoo_bar: {type: string}\nFooBar: {type: string}",
    ));
    let g = gen_parses(&api);
    let m = g.file("src/models.rs").expect("models");
    for s in [
        "pub type OptionModel",
        "pub struct SelfModel",
        "pub r#type:",
        "pub type_2:",
        "pub self_:",
        "pub n2fa:",
        "pub r#ref:",
        "pub field:",
        "pub field_2:",
        "pub type FooBar ",
        "pub type FooBar2 ",
    ] {
        assert!(m.contains(s), "missing {s} in\n{m}");
    }
    assert!(m.contains("#[serde(rename = \"\\u{540d}\\u{524d}\")]"));
}

fn wrap_paths(paths: &str) -> String {
    format!(
        "openapi: 3.0.3\ninfo: {{title: T, version: '1'}}\npaths:\n{}",
        paths
            .lines()
            .map(|l| format!("  {l}\n"))
            .collect::<String>()
    )
}

#[test]
fn parameters_of_every_kind() {
    let api = ir(&wrap_paths(
        "/a/{id}:\n  get:\n    operationId: getA\n    parameters:\n      - {name: id, in: path, required: true, schema: {type: integer}}\n      - {name: tags, in: query, schema: {type: array, items: {type: string}}}\n      - {name: ids, in: query, explode: false, schema: {type: array, items: {type: string}}}\n      - {name: expand, in: query, style: deepObject, schema: {type: array, items: {type: string}}}\n      - {name: X-Id, in: header, required: true, schema: {type: string}}\n      - {name: sid, in: cookie, schema: {type: string}}\n      - {name: q, in: query, content: {application/json: {schema: {type: object}}}}\n    responses: {'204': {description: ok}}",
    ));
    let o = op(&api, "getA");
    let p = |n: &str| o.params.iter().find(|p| p.name == n).expect("param");
    assert_eq!(p("id").location, ParamLocation::Path);
    assert!(p("tags").explode);
    assert!(!p("ids").explode);
    assert_eq!(p("expand").style, ParamStyle::DeepObject);
    assert_eq!(p("X-Id").location, ParamLocation::Header);
    assert_eq!(p("sid").location, ParamLocation::Cookie);
    assert_eq!(p("q").style, ParamStyle::Json);
    let g = gen_parses(&api);
    let ops = g.file("src/operations.rs").expect("operations");
    assert!(ops.contains("id: i64,"));
    assert!(ops.contains("x_id: &str,"));
    assert!(ops.contains("pub struct GetAParams"));
    assert!(ops.contains("crate::support::Style::DeepObject"));
    assert!(ops.contains("rb.cookie(\"sid\""));
}

#[test]
fn request_bodies_by_media_type() {
    let api = ir(&wrap_paths(
        "/a:\n  post:\n    operationId: postA\n    requestBody:\n      required: true\n      content:\n        multipart/form-data: {schema: {type: object}}\n        application/x-www-form-urlencoded: {schema: {type: object, properties: {a: {type: string}}}}\n        application/json: {schema: {type: object, properties: {a: {type: string}}}}\n    responses: {'204': {description: ok}}\n/form:\n  post:\n    operationId: postForm\n    requestBody: {content: {application/x-www-form-urlencoded: {schema: {type: object, properties: {a: {type: string}}}}}}\n    responses: {'204': {description: ok}}\n/multi:\n  post:\n    operationId: postMulti\n    requestBody: {required: true, content: {multipart/form-data: {schema: {type: object}}}}\n    responses: {'204': {description: ok}}\n/raw:\n  put:\n    operationId: putRaw\n    requestBody: {required: true, content: {application/octet-stream: {schema: {type: string, format: binary}}}}\n    responses: {'204': {description: ok}}",
    ));
    let body = op(&api, "postA").body.as_ref().expect("body");
    let kinds: Vec<BodyKind> = body.contents.iter().map(|c| c.kind).collect();
    assert_eq!(kinds, [BodyKind::Json, BodyKind::Form, BodyKind::Multipart]);
    let g = gen_parses(&api);
    let ops = g.file("src/operations.rs").expect("operations");
    assert!(ops.contains("pub async fn post_a_with_body("));
    assert!(ops.contains("rb.json(body)"));
    assert!(ops.contains("Some(v) => rb.form(v)"));
    assert!(ops.contains("rb.multipart(form)"));
    assert!(ops.contains("rb.body(body, \"application/octet-stream\")"));
}

#[test]
fn responses_by_status() {
    let api = ir(&wrap_paths(
        "/a:\n  get:\n    operationId: maybe\n    responses:\n      '200': {description: ok, content: {application/json: {schema: {type: string}}}}\n      '204': {description: none}\n/b:\n  get:\n    operationId: stats\n    responses:\n      '200': {description: ok, content: {application/json: {schema: {type: array, items: {type: integer}}}}}\n      '202': {description: wait, content: {application/json: {schema: {type: object}}}}\n      '204': {description: none}\n/c:\n  get:\n    operationId: text\n    responses: {'200': {description: ok, content: {text/plain: {schema: {type: string}}}}}\n/d:\n  get:\n    operationId: bytes\n    responses: {'200': {description: ok, content: {image/png: {schema: {type: string, format: binary}}}}}\n/e:\n  get:\n    operationId: onlyDefault\n    responses: {default: {description: ok, content: {application/json: {schema: {type: integer}}}}}\n/f:\n  get:\n    operationId: problems\n    responses:\n      '204': {description: ok}\n      '404': {description: nf, content: {application/problem+json: {schema: {type: object}}}}",
    ));
    assert_eq!(
        op(&api, "maybe").success,
        Success::Json {
            ty: Type::Primitive(Primitive::String),
            optional: true
        }
    );
    let Success::ByStatus { cases } = &op(&api, "stats").success else {
        panic!("by status")
    };
    assert_eq!(cases.len(), 3);
    assert_eq!(cases[2].body, CaseBody::Empty);
    assert_eq!(op(&api, "text").success, Success::Text);
    assert_eq!(op(&api, "bytes").success, Success::Bytes);
    assert!(matches!(
        op(&api, "onlyDefault").success,
        Success::Json { .. }
    ));
    assert_eq!(op(&api, "problems").problems, ["404"]);
    let g = gen_parses(&api);
    let ops = g.file("src/operations.rs").expect("operations");
    assert!(ops.contains("pub enum StatsResponse"));
    assert!(ops.contains("204 => ::std::result::Result::Ok(StatsResponse::Status204)"));
    assert!(ops.contains("::std::option::Option<::std::string::String>"));
}

#[test]
fn workflow_traits() {
    let api = ir(&wrap_paths(
        "/o:\n  post:\n    operationId: create\n    parameters: [{name: IDEMPOTENCY-KEY, in: header, required: true, schema: {type: string}}]\n    responses: {'201': {description: ok}}\n/o/{id}:\n  parameters: [{name: id, in: path, required: true, schema: {type: string}}]\n  patch:\n    operationId: update\n    parameters: [{name: if-match, in: header, schema: {type: string}}]\n    responses: {'200': {description: ok}}\n  delete:\n    operationId: remove\n    responses: {'204': {description: ok}, '412': {description: stale}}\n/o/{id}/ship:\n  parameters: [{name: id, in: path, required: true, schema: {type: string}}]\n  post:\n    operationId: ship\n    responses:\n      '202': {description: accepted, headers: {Azure-AsyncOperation: {schema: {type: string}}}}\n      '201': {description: done, content: {application/json: {schema: {type: object, properties: {n: {type: string}}}}}}",
    ));
    let create = op(&api, "create");
    assert_eq!(
        create.idempotency.as_ref().map(|i| i.header.as_str()),
        Some("IDEMPOTENCY-KEY")
    );
    assert!(create.params.is_empty(), "the key is not a parameter");
    assert!(op(&api, "update").conditional.is_some());
    assert!(op(&api, "remove").conditional.is_some());
    let ship = op(&api, "ship");
    assert!(ship.long_running.is_some());
    let Success::Operation { ty } = &ship.success else {
        panic!("operation")
    };
    assert!(matches!(ty, Type::Ref(_)));
    let g = gen_parses(&api);
    let ops = g.file("src/operations.rs").expect("operations");
    assert!(ops.contains("intent_id: ::std::option::Option<&str>,"));
    assert!(ops.contains("rb.idempotent(true)"));
    assert!(
        !ops.contains("IDEMPOTENCY-KEY\", "),
        "the core sends the key"
    );
    assert!(ops.contains("if_match: ::std::option::Option<&str>,"));
    assert!(ops.contains("rb.send_operation::<crate::models::ShipResponse>()"));
}

#[test]
fn operation_names_are_derived_and_unique() {
    let api = ir(&wrap_paths(
        "/things/{id}:\n  parameters: [{name: id, in: path, required: true, schema: {type: string}}]\n  get:\n    responses: {'204': {description: ok}}\n  put:\n    operationId: new\n    responses: {'204': {description: ok}}\n  delete:\n    operationId: type\n    responses: {'204': {description: ok}}\n  patch:\n    operationId: type\n    responses: {'204': {description: ok}}\n/missing/{x}:\n  get:\n    responses: {'204': {description: ok}}",
    ));
    assert_eq!(api.operations.len(), 5);
    let g = gen_parses(&api);
    let ops = g.file("src/operations.rs").expect("operations");
    for s in [
        "pub async fn get_things_id(",
        "pub async fn new_2(",
        "pub async fn r#type(",
        "pub async fn type_2(",
        "pub async fn get_missing_x(",
        "x: &str,",
    ] {
        assert!(ops.contains(s), "missing {s} in\n{ops}");
    }
}

#[test]
fn docs_are_escaped() {
    let api = ir(&wrap_schemas(
        "A:\n  type: string\n  description: \"Run:\\n```\\nfn main() {}\\n```\\n\\n    indented\\n\\nsee [x] <y> https://e.com. A stray ``` here.\"",
    ));
    let g = gen_parses(&api);
    let m = g.file("src/models.rs").expect("models");
    assert!(m.contains("/// ```text"));
    assert!(m.contains("/// indented"));
    assert!(m.contains("/// see \\[x\\] &lt;y&gt; <https://e.com>. A stray \\`\\`\\` here."));
}

/// `lang`'s file at `path` for `api`, through the library entry point the
/// CLI uses.
fn emitted(api: &oncely_codegen::ir::Api, lang: Language, path: &str) -> String {
    let g = oncely_codegen::emit(api, lang, &Default::default()).expect("emits");
    g.file(path)
        .unwrap_or_else(|| panic!("no {path}"))
        .to_string()
}

#[test]
fn a_placeholder_repeated_in_the_path_is_one_argument() {
    let api = ir(&wrap_paths(
        "/r/System.{location}/f/{location}/x/{id}:\n  get:\n    operationId: getX\n    parameters:\n      - {name: location, in: path, required: true, schema: {type: string}}\n      - {name: id, in: path, required: true, schema: {type: string}}\n    responses: {'204': {description: ok}}",
    ));
    let o = op(&api, "getX");
    assert_eq!(
        o.template.segments,
        [
            Segment::Literal("/r/System.".into()),
            Segment::Param("location".into()),
            Segment::Literal("/f/".into()),
            Segment::Param("location".into()),
            Segment::Literal("/x/".into()),
            Segment::Param("id".into()),
        ]
    );
    assert_eq!(o.template.params().collect::<Vec<_>>(), ["location", "id"]);
    let py = emitted(&api, Language::Python, "t_client/client.py");
    assert!(py.contains("path_params={\"location\": _s.simple(location), \"id\": _s.simple(id_)},"));
    assert!(!py.contains("location_2"), "{py}");
    let ts = emitted(&api, Language::TypeScript, "src/client.ts");
    assert!(ts.contains("async getX(location: string, id: string, params: CallOptions = {})"));
    assert!(
        ts.contains("pathParams: { location: support.simple(location), id: support.simple(id) },")
    );
}

#[test]
fn a_style_its_location_does_not_allow_is_the_locations_default() {
    let api = ir(&wrap_paths(
        "/a/{id}:\n  get:\n    operationId: getA\n    parameters:\n      - {name: id, in: path, required: true, style: matrix, schema: {type: string}}\n      - {name: tags, in: query, style: simple, explode: true, schema: {type: array, items: {type: string}}}\n      - {name: X-Tag, in: header, style: form, schema: {type: string}}\n    responses: {'204': {description: ok}}",
    ));
    let o = op(&api, "getA");
    let p = |n: &str| o.params.iter().find(|p| p.name == n).expect(n);
    assert_eq!(p("id").style, ParamStyle::Matrix, "path allows matrix");
    assert_eq!(p("tags").style, ParamStyle::Form);
    assert!(p("tags").explode, "explode as written");
    assert_eq!(p("X-Tag").style, ParamStyle::Simple);
    let warned: Vec<&str> = api
        .diagnostics
        .iter()
        .filter(|d| d.kind == DiagnosticKind::Invalid && d.message.starts_with("style "))
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        warned,
        [
            "style \"simple\" is not allowed for a query parameter; sent as \"form\"",
            "style \"form\" is not allowed for a header parameter; sent as \"simple\"",
        ]
    );
    // Every language sends the list as repeated `tags=` pairs.
    let py = emitted(&api, Language::Python, "t_client/client.py");
    assert!(
        py.contains("_s.query(query, \"tags\", tags, \"form\", True)"),
        "{py}"
    );
    let ts = emitted(&api, Language::TypeScript, "src/client.ts");
    assert!(ts.contains("support.query(query, \"tags\", params.tags, \"form\", true);"));
    let rs = emit(&api, "t");
    let ops = rs.file("src/operations.rs").expect("operations");
    assert!(ops.contains("crate::support::Style::Form, true)"), "{ops}");
}

#[test]
fn a_description_repeating_the_summary_is_written_once() {
    let api = ir(&wrap_paths(
        "/a:\n  get:\n    operationId: getA\n    summary: Lists the things.\n    description: Lists the things.\n    responses: {'204': {description: ok}}",
    ));
    // Once per method: Python writes a blocking and an asyncio client.
    for (text, methods) in [
        (emitted(&api, Language::TypeScript, "src/client.ts"), 1),
        (
            emit(&api, "t")
                .file("src/operations.rs")
                .expect("ops")
                .to_string(),
            1,
        ),
        (emitted(&api, Language::Python, "t_client/client.py"), 2),
    ] {
        assert_eq!(text.matches("Lists the things.").count(), methods, "{text}");
    }
}
