//! Property test: mutated real documents (dropped fields, wrong types,
//! dangling and looping `$ref`s, deep nesting, random names) never make the
//! generator panic: it returns generated code that parses, or a typed error.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use oncely_codegen::{
    build_ir, emit_rust, parse_spec, Format, IrOptions, OpenApiVersion, RustOptions, Spec,
};
use proptest::prelude::*;
use serde_json::{json, Value};

fn bases() -> Vec<Value> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for p in [
        root.join("tests/specs/kitchen-sink.yaml"),
        common::repo().join("openapi/orders.yaml"),
        root.join("tests/specs/corpus/microcks.local.json"),
        root.join("tests/specs/corpus/adyen.com-TransferService.json"),
    ] {
        let text = std::fs::read_to_string(&p).expect("base spec");
        out.push(parse_spec(&text, "base").expect("base loads").document);
    }
    out
}

#[derive(Debug, Clone)]
enum Junk {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    EmptyArray,
    EmptyObject,
    Strings(Vec<String>),
}

impl Junk {
    fn value(&self) -> Value {
        match self {
            Junk::Null => Value::Null,
            Junk::Bool(b) => json!(b),
            Junk::Int(i) => json!(i),
            Junk::Float(f) => serde_json::Number::from_f64(*f)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            Junk::Str(s) => json!(s),
            Junk::EmptyArray => json!([]),
            Junk::EmptyObject => json!({}),
            Junk::Strings(v) => json!(v),
        }
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize),
    Replace(usize, Junk),
    DanglingRef(usize, String),
    LoopRef(usize),
    Nest(usize, u8, u8),
    Rename(usize, String),
    Insert(usize, String, Junk),
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,12}",
        Just(String::new()),
        Just("type".to_string()),
        Just("self".to_string()),
        Just("$ref".to_string()),
        Just("2fa".to_string()),
        Just("名前".to_string()),
        Just("\u{202e}evil".to_string()),
        Just("a\"b\\c".to_string()),
        Just("enum".to_string()),
        Just("oneOf".to_string()),
        Just("allOf".to_string()),
        Just("discriminator".to_string()),
        Just("nullable".to_string()),
        Just("additionalProperties".to_string()),
        Just("properties".to_string()),
        Just("items".to_string()),
        Just("required".to_string()),
    ]
}

fn junk() -> impl Strategy<Value = Junk> {
    prop_oneof![
        Just(Junk::Null),
        any::<bool>().prop_map(Junk::Bool),
        any::<i64>().prop_map(Junk::Int),
        any::<f64>().prop_map(Junk::Float),
        name().prop_map(Junk::Str),
        Just(Junk::EmptyArray),
        Just(Junk::EmptyObject),
        prop::collection::vec(name(), 0..4).prop_map(Junk::Strings),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Delete),
        (any::<usize>(), junk()).prop_map(|(i, j)| Mutation::Replace(i, j)),
        (any::<usize>(), name()).prop_map(|(i, s)| Mutation::DanglingRef(i, s)),
        any::<usize>().prop_map(Mutation::LoopRef),
        (any::<usize>(), 1u8..120, 0u8..4).prop_map(|(i, d, k)| Mutation::Nest(i, d, k)),
        (any::<usize>(), name()).prop_map(|(i, s)| Mutation::Rename(i, s)),
        (any::<usize>(), name(), junk()).prop_map(|(i, k, j)| Mutation::Insert(i, k, j)),
    ]
}

/// JSON pointers of the nodes of `v` (at most `limit`).
fn pointers(v: &Value, prefix: String, out: &mut Vec<String>, limit: usize) {
    if out.len() >= limit {
        return;
    }
    out.push(prefix.clone());
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                pointers(
                    c,
                    format!("{prefix}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                    limit,
                );
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                pointers(c, format!("{prefix}/{i}"), out, limit);
            }
        }
        _ => {}
    }
}

fn parent_and_key(ptr: &str) -> Option<(String, String)> {
    let i = ptr.rfind('/')?;
    Some((
        ptr[..i].to_string(),
        ptr[i + 1..].replace("~1", "/").replace("~0", "~"),
    ))
}

fn apply(doc: &mut Value, m: &Mutation) {
    let mut ptrs = Vec::new();
    pointers(doc, String::new(), &mut ptrs, 20_000);
    let pick = |i: usize| ptrs[i % ptrs.len()].clone();
    match m {
        Mutation::Delete(i) => {
            let p = pick(*i);
            if let Some((parent, key)) = parent_and_key(&p) {
                match doc.pointer_mut(&parent) {
                    Some(Value::Object(o)) => {
                        o.remove(&key);
                    }
                    Some(Value::Array(a)) => {
                        if let Ok(idx) = key.parse::<usize>() {
                            if idx < a.len() {
                                a.remove(idx);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        Mutation::Replace(i, j) => {
            if let Some(n) = doc.pointer_mut(&pick(*i)) {
                *n = j.value();
            }
        }
        Mutation::DanglingRef(i, s) => {
            if let Some(n) = doc.pointer_mut(&pick(*i)) {
                *n = json!({"$ref": format!("#/components/schemas/{s}/missing")});
            }
        }
        Mutation::LoopRef(i) => {
            let p = pick(*i);
            if let Some(n) = doc.pointer_mut(&p) {
                *n = json!({"$ref": format!("#{p}")});
            }
        }
        Mutation::Nest(i, depth, kind) => {
            if let Some(n) = doc.pointer_mut(&pick(*i)) {
                let mut v = n.take();
                for _ in 0..*depth {
                    v = match kind {
                        0 => json!({"allOf": [v]}),
                        1 => json!({"type": "array", "items": v}),
                        2 => json!({"type": "object", "properties": {"x": v}}),
                        _ => json!({"oneOf": [v, {"type": "string"}]}),
                    };
                }
                *n = v;
            }
        }
        Mutation::Rename(i, s) => {
            let p = pick(*i);
            if let Some((parent, key)) = parent_and_key(&p) {
                if let Some(Value::Object(o)) = doc.pointer_mut(&parent) {
                    if let Some(v) = o.remove(&key) {
                        o.insert(s.clone(), v);
                    }
                }
            }
        }
        Mutation::Insert(i, k, j) => {
            if let Some(Value::Object(o)) = doc.pointer_mut(&pick(*i)) {
                o.insert(k.clone(), j.value());
            }
        }
    }
}

fn run(doc: Value, lenient: bool) {
    // Through text (the loader's limits apply) and as a value (they do not).
    let text = serde_json::to_string(&doc).expect("serialises");
    let by_text = catch_unwind(AssertUnwindSafe(|| {
        parse_spec(&text, "fuzz.json").and_then(|spec| {
            let api = build_ir(
                &spec,
                &IrOptions {
                    allow_unresolved: lenient,
                },
            )?;
            emit_rust(&api, &RustOptions::default())
        })
    }));
    let by_value = catch_unwind(AssertUnwindSafe(|| {
        let spec = Spec {
            origin: "fuzz".into(),
            format: Format::Json,
            version: OpenApiVersion {
                raw: "3.1.0".into(),
                major: 3,
                minor: 1,
            },
            document: doc,
            diagnostics: Vec::new(),
        };
        build_ir(
            &spec,
            &IrOptions {
                allow_unresolved: lenient,
            },
        )
        .and_then(|api| emit_rust(&api, &RustOptions::default()))
    }));
    for (how, r) in [("text", by_text), ("value", by_value)] {
        match r {
            Err(_) => panic!("the generator panicked (via {how})"),
            // syn's parser recurses once per nesting level of a type; the
            // deepest types the generator emits (64 levels) need more than a
            // test thread's 2 MiB in a debug build. rustc has no such limit.
            Ok(Ok(g)) => std::thread::scope(|scope| {
                let parsed = std::thread::Builder::new()
                    .stack_size(256 << 20)
                    .spawn_scoped(scope, || common::assert_parses(&g))
                    .expect("spawn the parse check");
                if let Err(panic) = parsed.join() {
                    std::panic::resume_unwind(panic);
                }
            }),
            Ok(Err(e)) => assert!(!e.to_string().is_empty()),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_specs_never_panic(
        base in 0usize..4,
        mutations in prop::collection::vec(mutation(), 1..8),
        lenient in any::<bool>(),
    ) {
        thread_local! {
            static BASES: Vec<Value> = bases();
        }
        let mut doc = BASES.with(|b| b[base].clone());
        for m in &mutations {
            apply(&mut doc, m);
        }
        run(doc, lenient);
    }
}

#[test]
fn hand_picked_nasty_documents() {
    for doc in [
        json!({"openapi": "3.1.0"}),
        json!({"openapi": "3.0.0", "paths": null, "components": []}),
        json!({"openapi": "3.0.0", "paths": {"/a": {"get": null, "post": 5, "put": {"responses": []}}}}),
        json!({"openapi": "3.0.0", "paths": {"/{a}/{a}/{": {"get": {"parameters": [{"$ref": "#"}], "responses": {"200": {"$ref": "#/paths"}}}}}}),
        json!({"openapi": "3.0.0", "components": {"schemas": {"A": {"allOf": [{"$ref": "#/components/schemas/A"}]}, "B": {"oneOf": [{"$ref": "#/components/schemas/B"}]}, "C": {"anyOf": []}, "D": {"discriminator": {"propertyName": 5}, "oneOf": [true, false]}}}}),
        json!({"openapi": "3.0.0", "components": {"schemas": {"E": {"type": ["null"]}, "F": {"enum": []}, "G": {"items": [1, 2]}, "H": {"properties": {"x": 1}, "required": "x"}}}}),
        json!({"openapi": "3.0.0", "x": "\u{202e}", "components": {"schemas": {"\u{202e}": {"description": "```\u{0}```", "type": "string"}}}}),
    ] {
        run(doc.clone(), true);
        run(doc, false);
    }
}
