//! The schema of a workflow output, followed from its expression:
//!
//! - `$steps.S.outputs.O` → the expression of step `S`'s output `O`;
//! - `$response.body#/ptr` → the response schema of the step's operation
//!   (the status its `successCriteria` expects, else its first `2XX`), at
//!   that pointer (through `$ref`s, `properties`, `items`, `allOf`/`anyOf`/
//!   `oneOf` and `additionalProperties`);
//! - `$inputs.x` → the workflow's input schema property `x`;
//! - `$workflows.W.outputs.O` → workflow `W`'s output `O`;
//! - `$statusCode` → an integer; `$response.header.*`, `$url`, `$method`
//!   and text with embedded `{$…}` → a string.
//!
//! Anything else is a JSON value.

use serde_json::{json, Value};

use super::inputs::{unescape, ComponentInputs, PREFIX};
use super::merge::Merged;
use crate::lower::percent_decode;

/// How deep `$steps` / `$workflows` references are followed.
const MAX_DEPTH: usize = 8;

/// A schema found for an expression, and the document its `$ref`s live in.
#[derive(Debug, Clone)]
pub(crate) enum Found {
    /// Part of an OpenAPI source (by name): its `$ref`s are the merged document's.
    Source(String, Value),
    /// Part of a workflow's inputs as written: `$ref`s to `components.inputs`.
    Inputs(Value),
    /// A schema without `$ref`s.
    Plain(Value),
    /// Nothing known: any JSON value.
    Any,
}

/// What an output expression is inferred against.
pub(crate) struct Context<'a> {
    /// The Arazzo document.
    pub document: &'a Value,
    /// The merged sources.
    pub merged: &'a Merged,
    /// The document's `components.inputs`.
    pub inputs: &'a ComponentInputs,
}

impl Context<'_> {
    /// The schema of the output expression `expr` of `workflow`.
    pub fn workflow_output(&self, workflow: &Value, expr: &Value) -> Found {
        self.expression(workflow, None, expr, 0)
    }

    fn expression(
        &self,
        workflow: &Value,
        step: Option<&Value>,
        expr: &Value,
        depth: usize,
    ) -> Found {
        let Value::String(text) = expr else {
            return Found::Any;
        };
        let text = text.trim();
        if !text.starts_with('$') || text.contains("{$") {
            return if text.contains("{$") || !text.starts_with('$') {
                Found::Plain(json!({"type": "string"}))
            } else {
                Found::Any
            };
        }
        if depth > MAX_DEPTH {
            return Found::Any;
        }
        let (base, pointer) = match text.split_once('#') {
            Some((b, p)) => (b, pointer_segments(p)),
            None => (text, Vec::new()),
        };
        let found = if base == "$statusCode" {
            Found::Plain(json!({"type": "integer"}))
        } else if base == "$url" || base == "$method" || base.starts_with("$response.header.") {
            Found::Plain(json!({"type": "string"}))
        } else if base == "$response.body" {
            match step.and_then(|s| self.response_schema(s)) {
                Some((source, schema)) => Found::Source(source, schema),
                None => Found::Any,
            }
        } else if let Some(name) = base.strip_prefix("$inputs.") {
            self.input(workflow, name)
        } else if let Some(rest) = base.strip_prefix("$steps.") {
            match rest.split_once(".outputs.") {
                Some((step_id, output)) => self.step_output(workflow, step_id, output, depth),
                None => Found::Any,
            }
        } else if let Some(rest) = base.strip_prefix("$workflows.") {
            match rest.split_once(".outputs.") {
                Some((workflow_id, output)) => self.other_workflow(workflow_id, output, depth),
                None => Found::Any,
            }
        } else {
            Found::Any
        };
        self.walk(found, &pointer)
    }

    fn input(&self, workflow: &Value, name: &str) -> Found {
        match workflow.get("inputs") {
            Some(schema) => self.walk(Found::Inputs(schema.clone()), &[name.to_string()]),
            None => Found::Any,
        }
    }

    fn step_output(&self, workflow: &Value, step_id: &str, output: &str, depth: usize) -> Found {
        let step = workflow
            .get("steps")
            .and_then(Value::as_array)
            .and_then(|steps| {
                steps
                    .iter()
                    .find(|s| s.get("stepId").and_then(Value::as_str) == Some(step_id))
            });
        match step
            .and_then(|s| s.get("outputs"))
            .and_then(|o| o.get(output))
        {
            Some(expr) => self.expression(workflow, step, expr, depth + 1),
            None => Found::Any,
        }
    }

    fn other_workflow(&self, workflow_id: &str, output: &str, depth: usize) -> Found {
        let workflow = self
            .document
            .get("workflows")
            .and_then(Value::as_array)
            .and_then(|ws| {
                ws.iter()
                    .find(|w| w.get("workflowId").and_then(Value::as_str) == Some(workflow_id))
            });
        match workflow {
            Some(w) => match w.get("outputs").and_then(|o| o.get(output)) {
                Some(expr) => self.expression(w, None, expr, depth + 1),
                None => Found::Any,
            },
            None => Found::Any,
        }
    }

    /// The OpenAPI operation a step calls: its source name and object.
    fn operation(&self, step: &Value) -> Option<(String, &Value)> {
        if let Some(id) = step.get("operationId").and_then(Value::as_str) {
            if let Some(rest) = id.strip_prefix("$sourceDescriptions.") {
                let (source, op) = rest.split_once('.')?;
                return find_operation(self.merged.sources.get(source)?, op)
                    .map(|o| (source.to_string(), o));
            }
            return self.merged.order.iter().find_map(|name| {
                find_operation(self.merged.sources.get(name)?, id).map(|o| (name.clone(), o))
            });
        }
        let path = step.get("operationPath").and_then(Value::as_str)?;
        let rest = path.strip_prefix("{$sourceDescriptions.")?;
        let (source, rest) = rest.split_once(".url}")?;
        let pointer = percent_decode(rest.strip_prefix('#')?);
        let doc = self.merged.sources.get(source)?;
        doc.pointer(&pointer).map(|o| (source.to_string(), o))
    }

    /// The JSON body schema of the response a step's outputs are read from.
    fn response_schema(&self, step: &Value) -> Option<(String, Value)> {
        let (source, operation) = self.operation(step)?;
        let doc = self.merged.sources.get(&source)?;
        let responses = operation.get("responses")?.as_object()?;
        let expected = expected_statuses(step);
        let mut statuses: Vec<&String> = expected
            .iter()
            .filter_map(|s| responses.get_key_value(s).map(|(k, _)| k))
            .collect();
        if statuses.is_empty() {
            let mut success: Vec<&String> =
                responses.keys().filter(|k| k.starts_with('2')).collect();
            success.sort();
            statuses = success;
        }
        statuses.into_iter().find_map(|status| {
            let response = deref(doc, responses.get(status)?);
            let content = response.get("content")?.as_object()?;
            let media = content
                .keys()
                .find(|m| m.as_str() == "application/json")
                .or_else(|| content.keys().find(|m| m.contains("json")))?;
            content
                .get(media)?
                .get("schema")
                .map(|s| (source.clone(), s.clone()))
        })
    }

    /// Follows `pointer` into a found schema.
    fn walk(&self, found: Found, pointer: &[String]) -> Found {
        if pointer.is_empty() {
            return found;
        }
        let walked = match &found {
            Found::Any => return Found::Any,
            Found::Source(source, schema) => {
                let Some(doc) = self.merged.sources.get(source) else {
                    return Found::Any;
                };
                let resolve = |r: &str| {
                    r.strip_prefix('#')
                        .and_then(|p| doc.pointer(&percent_decode(p)))
                        .cloned()
                };
                walk_schema(schema, pointer, &resolve, 0)
            }
            Found::Inputs(schema) => {
                let resolve = |r: &str| {
                    r.strip_prefix(PREFIX)
                        .and_then(|name| self.inputs.component(&unescape(name)))
                        .cloned()
                };
                walk_schema(schema, pointer, &resolve, 0)
            }
            Found::Plain(schema) => walk_schema(schema, pointer, &|_| None, 0),
        };
        match (walked, found) {
            (None, _) => Found::Any,
            (Some(s), Found::Source(source, _)) => Found::Source(source, s),
            (Some(s), Found::Inputs(_)) => Found::Inputs(s),
            (Some(s), _) => Found::Plain(s),
        }
    }
}

/// The statuses a step's `successCriteria` expect (`$statusCode == 201`).
fn expected_statuses(step: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let criteria = step.get("successCriteria").and_then(Value::as_array);
    for criterion in criteria.into_iter().flatten() {
        let Some(condition) = criterion.get("condition").and_then(Value::as_str) else {
            continue;
        };
        let mut rest = condition;
        while let Some(at) = rest.find("$statusCode") {
            rest = &rest[at + "$statusCode".len()..];
            let after = rest.trim_start();
            if let Some(value) = after.strip_prefix("==") {
                let digits: String = value
                    .trim_start()
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                if !digits.is_empty() {
                    out.push(digits);
                }
            }
        }
    }
    out
}

/// The operation with this `operationId` in an OpenAPI document.
fn find_operation<'a>(doc: &'a Value, id: &str) -> Option<&'a Value> {
    doc.get("paths")?.as_object()?.values().find_map(|item| {
        item.as_object()?
            .values()
            .find(|op| op.get("operationId").and_then(Value::as_str) == Some(id))
    })
}

/// Follows `$ref`s of a non-schema object (a response) in `doc`.
fn deref<'a>(doc: &'a Value, mut v: &'a Value) -> &'a Value {
    for _ in 0..32 {
        match v
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|p| doc.pointer(&percent_decode(p)))
        {
            Some(target) => v = target,
            None => break,
        }
    }
    v
}

/// The segments of a JSON pointer (`/a/b~1c` → `a`, `b/c`).
fn pointer_segments(p: &str) -> Vec<String> {
    let p = percent_decode(p);
    p.split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// The schema at `pointer` inside `schema`; `resolve` follows a `$ref`.
fn walk_schema(
    schema: &Value,
    pointer: &[String],
    resolve: &dyn Fn(&str) -> Option<Value>,
    depth: usize,
) -> Option<Value> {
    let Some((first, rest)) = pointer.split_first() else {
        return Some(schema.clone());
    };
    if depth > 64 {
        return None;
    }
    let mut current = schema.clone();
    for _ in 0..32 {
        match current
            .get("$ref")
            .and_then(Value::as_str)
            .map(str::to_string)
        {
            Some(r) => current = resolve(&r)?,
            None => break,
        }
    }
    if let Some(p) = current.get("properties").and_then(|p| p.get(first)) {
        return walk_schema(p, rest, resolve, depth + 1);
    }
    if first.parse::<usize>().is_ok() {
        if let Some(items) = current.get("items").filter(|i| i.is_object()) {
            return walk_schema(items, rest, resolve, depth + 1);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for member in current
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(found) = walk_schema(member, pointer, resolve, depth + 1) {
                return Some(found);
            }
        }
    }
    match current.get("additionalProperties") {
        Some(extra @ Value::Object(_)) => walk_schema(extra, rest, resolve, depth + 1),
        _ => None,
    }
}
