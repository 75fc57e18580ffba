//! Property tests: mutated Arazzo documents and arbitrary expression,
//! template and condition text never panic the loader, the checker or the
//! parsers — they give typed errors.

use oncely::arazzo::check::check;
use oncely::arazzo::condition::Condition;
use oncely::arazzo::template::{Template, ValueExpr};
use oncely::arazzo::{load_file, load_str, load_value, Expression, Sources};
use proptest::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/arazzo/every-construct.arazzo.yaml")
}

/// The fixture as JSON and its loaded sources, read once.
fn base() -> &'static (Value, Sources) {
    static BASE: OnceLock<(Value, Sources)> = OnceLock::new();
    BASE.get_or_init(|| {
        let document = load_file(fixture()).expect("fixture loads");
        let (sources, _) = Sources::load(&document, &fixture());
        (
            serde_json::to_value(&document).expect("serialises"),
            sources,
        )
    })
}

/// One edit of a JSON document.
#[derive(Debug, Clone)]
enum Mutation {
    /// Remove the n-th member of an object or array on the walk.
    Remove,
    /// Replace the value with another.
    Replace(Value),
    /// Rename an object member.
    Rename(String),
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "[ -~]{0,20}".prop_map(Value::String),
        prop_oneof![
            Just("$steps.findPets.outputs.pets#/0/id"),
            Just("$response.body#/~2"),
            Just("{$inputs.quantity"),
            Just("$statusCode == 200 && ("),
            Just("$components.parameters.nope"),
            Just("$sourceDescriptions.nope.url"),
            Just("goto"),
            Just("retry"),
            Just("xpath"),
        ]
        .prop_map(|s| Value::String(s.to_owned())),
        Just(Value::Array(vec![])),
        Just(Value::Object(Default::default())),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        Just(Mutation::Remove),
        scalar().prop_map(Mutation::Replace),
        "[a-zA-Z$-]{1,12}".prop_map(Mutation::Rename),
    ]
}

/// Applies `mutation` at the node chosen by `path` (indexes into children,
/// taken modulo their count).
fn apply(value: &mut Value, path: &[usize], mutation: &Mutation) {
    let children = match value {
        Value::Object(map) => map.len(),
        Value::Array(items) => items.len(),
        _ => 0,
    };
    if children == 0 || path.is_empty() {
        if let Mutation::Replace(new) = mutation {
            *value = new.clone();
        }
        return;
    }
    let index = path[0] % children;
    let last = path.len() == 1;
    match value {
        Value::Object(map) => {
            let key = map.keys().nth(index).cloned().unwrap_or_default();
            if last {
                match mutation {
                    Mutation::Remove => {
                        map.remove(&key);
                    }
                    Mutation::Replace(new) => {
                        map.insert(key, new.clone());
                    }
                    Mutation::Rename(name) => {
                        if let Some(moved) = map.remove(&key) {
                            map.insert(name.clone(), moved);
                        }
                    }
                }
            } else if let Some(child) = map.get_mut(&key) {
                apply(child, &path[1..], mutation);
            }
        }
        Value::Array(items) => {
            if last {
                match mutation {
                    Mutation::Remove => {
                        items.remove(index);
                    }
                    Mutation::Replace(new) => items[index] = new.clone(),
                    Mutation::Rename(_) => items.push(items[index].clone()),
                }
            } else {
                apply(&mut items[index], &path[1..], mutation);
            }
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn mutated_documents_never_panic(
        edits in prop::collection::vec((prop::collection::vec(any::<usize>(), 1..8), mutation()), 1..6)
    ) {
        let (document, sources) = base();
        let mut value = document.clone();
        for (path, mutation) in &edits {
            apply(&mut value, path, mutation);
        }
        if let Ok(document) = load_value(value.clone(), "mutated") {
            let _ = check(&document, sources);
        }
        // The same through the YAML reader.
        let yaml = serde_yaml::to_string(&value).unwrap();
        let _ = load_str(&yaml, "mutated.yaml");
    }

    #[test]
    fn arbitrary_text_never_panics_the_parsers(text in "\\PC{0,40}") {
        let _ = Expression::parse(&text);
        let _ = Template::parse(&text);
        let _ = Condition::parse(&text);
        let _ = ValueExpr::parse(&Value::String(text.clone()));
        let _ = load_str(&text, "text");
    }

    #[test]
    fn expression_like_text_never_panics(
        root in prop_oneof![Just("$request."), Just("$response."), Just("$steps."), Just("$workflows."), Just("$components."), Just("$sourceDescriptions."), Just("$inputs.")],
        rest in "[a-z.#/~0-9{}$ ()=!<>&|'-]{0,30}"
    ) {
        let text = format!("{root}{rest}");
        if let Ok(expression) = Expression::parse(&text) {
            // What parses prints back to something that parses the same.
            prop_assert_eq!(Expression::parse(&expression.to_string()), Ok(expression));
        }
        let _ = Condition::parse(&format!("{text} == 1 && !({text})"));
        let _ = Template::parse(&format!("a{{{text}}}b"));
    }
}
