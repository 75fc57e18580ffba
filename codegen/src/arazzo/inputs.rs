//! Workflow `inputs` (JSON Schema) as component schemas of the merged
//! document: `$ref`s to the Arazzo document's `components.inputs` become
//! `$ref`s to component schemas named `"<name> input"`, declared once each
//! and only when used.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::merge::SchemaKeys;
use crate::lower::esc;

pub(crate) const PREFIX: &str = "#/components/inputs/";

/// The Arazzo document's `components.inputs` and the schema names given to
/// the ones referred to so far.
#[derive(Debug, Clone)]
pub(crate) struct ComponentInputs {
    inputs: serde_json::Map<String, Value>,
    /// Component name -> (schema key, rewritten schema once built).
    used: BTreeMap<String, (String, Option<Value>)>,
}

impl ComponentInputs {
    /// The `components.inputs` of `document`.
    pub fn new(document: &Value) -> ComponentInputs {
        ComponentInputs {
            inputs: document
                .pointer("/components/inputs")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
            used: BTreeMap::new(),
        }
    }

    /// The schema of a workflow's `inputs` (an empty object when it has
    /// none), a top-level `$ref` to a component resolved, nested ones
    /// rewritten.
    pub fn workflow_schema(&mut self, inputs: Option<&Value>, keys: &mut SchemaKeys) -> Value {
        let mut schema = match inputs {
            None | Some(Value::Null) => {
                json!({"type": "object", "properties": {}, "additionalProperties": false})
            }
            Some(v) => self.top_level(v),
        };
        self.rewrite(&mut schema, keys);
        schema
    }

    /// A top-level `$ref` to a component, resolved (once: a component that
    /// is itself a `$ref` stays one, rewritten).
    fn top_level(&self, v: &Value) -> Value {
        let target = v
            .as_object()
            .filter(|m| m.len() == 1)
            .and_then(|m| m.get("$ref"))
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix(PREFIX))
            .and_then(|name| self.inputs.get(&unescape(name)));
        target.cloned().unwrap_or_else(|| v.clone())
    }

    /// Rewrites `$ref`s to components (allocating their schema keys).
    fn rewrite(&mut self, v: &mut Value, keys: &mut SchemaKeys) {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get_mut("$ref") {
                    if let Some(rest) = r.strip_prefix(PREFIX) {
                        let (name, tail) = match rest.split_once('/') {
                            Some((n, t)) => (n.to_string(), format!("/{t}")),
                            None => (rest.to_string(), String::new()),
                        };
                        let name = unescape(&name);
                        if self.inputs.contains_key(&name) {
                            let key = self
                                .used
                                .entry(name.clone())
                                .or_insert_with(|| (keys.fresh(&format!("{name} input")), None))
                                .0
                                .clone();
                            *r = format!("#/components/schemas/{}{tail}", esc(&key));
                        }
                    }
                }
                for value in map.values_mut() {
                    self.rewrite(value, keys);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|i| self.rewrite(i, keys)),
            _ => {}
        }
    }

    /// The component schemas referred to, rewritten, by key (components
    /// that refer to others bring those in too).
    pub fn into_schemas(mut self, keys: &mut SchemaKeys) -> Vec<(String, Value)> {
        loop {
            let pending: Vec<String> = self
                .used
                .iter()
                .filter(|(_, (_, built))| built.is_none())
                .map(|(name, _)| name.clone())
                .collect();
            if pending.is_empty() {
                break;
            }
            for name in pending {
                let mut schema = self.inputs.get(&name).cloned().unwrap_or(Value::Null);
                self.rewrite(&mut schema, keys);
                if let Some(entry) = self.used.get_mut(&name) {
                    entry.1 = Some(schema);
                }
            }
        }
        self.used
            .into_values()
            .map(|(key, schema)| (key, schema.unwrap_or(Value::Null)))
            .collect()
    }

    /// A component of `components.inputs`, as written.
    pub fn component(&self, name: &str) -> Option<&Value> {
        self.inputs.get(name)
    }

    /// `schema` (a part of a workflow's inputs, as written) with its
    /// `$ref`s to components rewritten, for use as an output's schema.
    pub fn rewritten(&mut self, mut schema: Value, keys: &mut SchemaKeys) -> Value {
        self.rewrite(&mut schema, keys);
        schema
    }
}

/// Undoes JSON pointer (`~0`, `~1`) and percent escapes of one segment.
pub(crate) fn unescape(segment: &str) -> String {
    crate::lower::percent_decode(segment)
        .replace("~1", "/")
        .replace("~0", "~")
}
