//! One OpenAPI document from all the OpenAPI source descriptions of an
//! Arazzo document, so that one client (and one set of models) covers every
//! operation the workflows call.
//!
//! The first source is the base. A later source's components that an earlier
//! source already names are renamed `"<source> <name>"` and the later
//! source's `$ref`s to them rewritten; a path that an earlier source already
//! has is left out of the client (with a diagnostic: the workflow functions
//! still call it, through the Arazzo interpreter).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use super::load::SourceDoc;
use crate::error::{Diagnostic, DiagnosticKind, Severity};
use crate::lower::esc;

/// Component kinds whose names are merged.
const KINDS: &[&str] = &[
    "schemas",
    "responses",
    "parameters",
    "examples",
    "requestBodies",
    "headers",
    "securitySchemes",
    "links",
    "callbacks",
    "pathItems",
];

/// The merged document and each source as it went into it (renamed
/// `$ref`s), for resolving the workflows' operations.
#[derive(Debug, Clone)]
pub(crate) struct Merged {
    /// The OpenAPI document the client is generated from.
    pub document: Value,
    /// Each OpenAPI source, by name, with its `$ref`s rewritten to the
    /// merged document's names.
    pub sources: BTreeMap<String, Value>,
    /// Source names in document order.
    pub order: Vec<String>,
}

impl Merged {
    /// Adds a component schema under `key` (a fresh name, see [`SchemaKeys`]).
    pub fn add_schema(&mut self, key: &str, schema: Value) {
        let root = object(&mut self.document);
        let components = object(root.entry("components").or_insert_with(|| json!({})));
        let schemas = object(components.entry("schemas").or_insert_with(|| json!({})));
        schemas.insert(key.to_string(), schema);
    }
}

fn object(v: &mut Value) -> &mut Map<String, Value> {
    if !v.is_object() {
        *v = Value::Object(Map::new());
    }
    match v {
        Value::Object(m) => m,
        _ => unreachable!("made an object above"),
    }
}

/// Merges the OpenAPI sources (in order).
pub(crate) fn merge(sources: &[SourceDoc], diagnostics: &mut Vec<Diagnostic>) -> Merged {
    let mut merged = Merged {
        document: Value::Null,
        sources: BTreeMap::new(),
        order: Vec::new(),
    };
    for source in sources {
        merged.order.push(source.name.clone());
        if merged.document.is_null() {
            merged.document = source.document.clone();
            merged
                .sources
                .insert(source.name.clone(), source.document.clone());
            continue;
        }
        let mut doc = source.document.clone();
        let renames = rename_components(&merged.document, &doc, &source.name);
        if !renames.is_empty() {
            rewrite_refs(&mut doc, &renames);
            rename_keys(&mut doc, &renames);
        }
        add_components(&mut merged.document, &doc);
        add_paths(&mut merged.document, &doc, &source.name, diagnostics);
        merged.sources.insert(source.name.clone(), doc);
    }
    if merged.document.is_null() {
        merged.document = json!({
            "openapi": "3.1.0",
            "info": {"title": "workflows", "version": "0.0.0"},
            "paths": {},
        });
    }
    merged
}

/// `(kind, old name) -> new name` for the components of `doc` that `base`
/// already has.
fn rename_components(
    base: &Value,
    doc: &Value,
    source: &str,
) -> BTreeMap<(String, String), String> {
    let mut renames = BTreeMap::new();
    for kind in KINDS {
        let Some(theirs) = doc
            .pointer(&format!("/components/{kind}"))
            .and_then(Value::as_object)
        else {
            continue;
        };
        let ours = base
            .pointer(&format!("/components/{kind}"))
            .and_then(Value::as_object);
        let mut taken: BTreeSet<String> = ours
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        taken.extend(theirs.keys().cloned());
        for name in theirs.keys() {
            if ours.is_some_and(|m| m.contains_key(name)) {
                let mut new = format!("{source} {name}");
                let mut n = 2;
                while taken.contains(&new) {
                    new = format!("{source} {name} {n}");
                    n += 1;
                }
                taken.insert(new.clone());
                renames.insert((kind.to_string(), name.clone()), new);
            }
        }
    }
    renames
}

/// Rewrites `$ref: '#/components/<kind>/<old>…'` to the new names.
fn rewrite_refs(v: &mut Value, renames: &BTreeMap<(String, String), String>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get_mut("$ref") {
                for ((kind, old), new) in renames {
                    let prefix = format!("#/components/{kind}/{}", esc(old));
                    if let Some(rest) = r.strip_prefix(&prefix) {
                        if rest.is_empty() || rest.starts_with('/') {
                            *r = format!("#/components/{kind}/{}{rest}", esc(new));
                            break;
                        }
                    }
                }
            }
            for value in map.values_mut() {
                rewrite_refs(value, renames);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| rewrite_refs(i, renames)),
        _ => {}
    }
}

/// Renames the components of `doc` itself, so that its rewritten `$ref`s
/// resolve inside it too.
fn rename_keys(doc: &mut Value, renames: &BTreeMap<(String, String), String>) {
    for ((kind, old), new) in renames {
        if let Some(Value::Object(map)) = doc.pointer_mut(&format!("/components/{kind}")) {
            if let Some(value) = map.remove(old) {
                map.insert(new.clone(), value);
            }
        }
    }
}

fn add_components(base: &mut Value, doc: &Value) {
    for kind in KINDS {
        let Some(theirs) = doc
            .pointer(&format!("/components/{kind}"))
            .and_then(Value::as_object)
        else {
            continue;
        };
        let root = object(base);
        let components = object(root.entry("components").or_insert_with(|| json!({})));
        let ours = object(
            components
                .entry(kind.to_string())
                .or_insert_with(|| json!({})),
        );
        for (name, value) in theirs {
            ours.insert(name.clone(), value.clone());
        }
    }
}

fn add_paths(base: &mut Value, doc: &Value, source: &str, diagnostics: &mut Vec<Diagnostic>) {
    let Some(theirs) = doc.get("paths").and_then(Value::as_object) else {
        return;
    };
    let root = object(base);
    let ours = object(root.entry("paths").or_insert_with(|| json!({})));
    for (path, item) in theirs {
        if ours.contains_key(path) {
            diagnostics.push(Diagnostic {
                severity: Severity::Warning,
                kind: DiagnosticKind::Ignored,
                pointer: format!("/paths/{}", esc(path)),
                message: format!(
                    "source description {source:?} also has this path; the client keeps the first \
                     source's operations (the workflow functions call each source's own)"
                ),
            });
        } else {
            ours.insert(path.clone(), item.clone());
        }
    }
}

/// The component schema names in use, for picking fresh ones.
#[derive(Debug, Clone, Default)]
pub(crate) struct SchemaKeys {
    taken: BTreeSet<String>,
}

impl SchemaKeys {
    /// The schema names of `document`.
    pub fn of(document: &Value) -> SchemaKeys {
        SchemaKeys {
            taken: document
                .pointer("/components/schemas")
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default(),
        }
    }

    /// `base`, or `base 2`, `base 3`… when taken; marks it taken.
    pub fn fresh(&mut self, base: &str) -> String {
        let mut key = base.to_string();
        let mut n = 2;
        while self.taken.contains(&key) {
            key = format!("{base} {n}");
            n += 1;
        }
        self.taken.insert(key.clone());
        key
    }
}
