//! Resolving a step's `operationId` or `operationPath` to the OpenAPI
//! operation it calls: method, path template, parameters (path-level and
//! operation-level merged, local `$ref`s followed), request body and
//! responses — what an interpreter needs to build the request and read the
//! answer.
//!
//! - `operationId: createOrder` is looked up in every OpenAPI source; it must
//!   be found in exactly one. `$sourceDescriptions.orders.createOrder` names
//!   the source.
//! - `operationPath: '{$sourceDescriptions.orders.url}#/paths/~1orders/post'`
//!   (braces optional) is a JSON Pointer into the named source.

use super::document::{Document, ParameterLocation, StepTarget};
use super::expression::Expression;
use super::pointer::JsonPointer;
use super::source::{Source, Sources};
use serde_json::Value;
use std::collections::BTreeMap;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The OpenAPI operation a step calls.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedOperation {
    /// The source description it is in.
    pub source: String,
    /// Where the operation object is in that source.
    pub pointer: JsonPointer,
    /// Its `operationId`, if it has one.
    pub operation_id: Option<String>,
    /// The HTTP method, upper case.
    pub method: String,
    /// The path template (`/orders/{order_id}`).
    pub path: String,
    /// Its parameters (path-level ones overridden by operation-level ones).
    pub parameters: Vec<OperationParameter>,
    /// Its request body, if it takes one.
    pub request_body: Option<OperationBody>,
    /// Status code (or `default`, `2XX`) → response.
    pub responses: BTreeMap<String, OperationResponse>,
    /// Whether it answers `202 Accepted` or is marked
    /// `x-ms-long-running-operation`, so that the answer is an operation to
    /// poll.
    pub long_running: bool,
    /// `$ref`s that could not be followed (external or dangling).
    pub unresolved_refs: Vec<String>,
}

impl ResolvedOperation {
    /// The declared parameter with this name and location (header names
    /// compare case-insensitively).
    pub fn parameter(
        &self,
        name: &str,
        location: ParameterLocation,
    ) -> Option<&OperationParameter> {
        self.parameters.iter().find(|p| {
            p.location == location
                && if location == ParameterLocation::Header {
                    p.name.eq_ignore_ascii_case(name)
                } else {
                    p.name == name
                }
        })
    }
}

/// A parameter an operation declares.
#[derive(Debug, Clone, PartialEq)]
pub struct OperationParameter {
    /// Its name.
    pub name: String,
    /// Its location.
    pub location: ParameterLocation,
    /// Whether it is required.
    pub required: bool,
    /// Its schema (local `$ref`s at the top followed).
    pub schema: Option<Value>,
}

/// The request body an operation takes.
#[derive(Debug, Clone, PartialEq)]
pub struct OperationBody {
    /// Whether it is required.
    pub required: bool,
    /// Media type → schema.
    pub content: BTreeMap<String, Option<Value>>,
}

/// A response an operation declares.
#[derive(Debug, Clone, PartialEq)]
pub struct OperationResponse {
    /// Media type → schema.
    pub content: BTreeMap<String, Option<Value>>,
    /// The header names it declares.
    pub headers: Vec<String>,
}

/// Why a step's operation cannot be found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// The step calls a workflow, not an operation.
    #[error("the step calls a workflow, not an operation")]
    NotAnOperation,
    /// No source description (or none loaded) with this name.
    #[error("no loaded source description {0:?}")]
    UnknownSource(String),
    /// The source description is not an OpenAPI description.
    #[error("source description {0:?} is not an OpenAPI description")]
    NotOpenApi(String),
    /// No OpenAPI source has this `operationId`.
    #[error("no operation with operationId {0:?}")]
    UnknownOperationId(String),
    /// Several sources have this `operationId`.
    #[error(
        "operationId {id:?} is in several sources ({sources}); write $sourceDescriptions.NAME.{id}"
    )]
    AmbiguousOperationId {
        /// The id.
        id: String,
        /// The sources, comma-separated.
        sources: String,
    },
    /// The `operationPath` is not `{$sourceDescriptions.NAME.url}#/json/pointer`.
    #[error("operationPath {path:?}: {reason}")]
    BadOperationPath {
        /// The text.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The pointer designates no operation object.
    #[error("no operation at {pointer} in {source_name:?}")]
    NoOperationAt {
        /// The source.
        source_name: String,
        /// The pointer.
        pointer: String,
    },
}

/// Resolves the operation a step (or compensation) target names.
pub fn resolve(
    target: StepTarget<'_>,
    document: &Document,
    sources: &Sources,
) -> Result<ResolvedOperation, ResolveError> {
    match target {
        StepTarget::OperationId(id) => resolve_operation_id(id, document, sources),
        StepTarget::OperationPath(path) => resolve_operation_path(path, sources),
        StepTarget::WorkflowId(_) => Err(ResolveError::NotAnOperation),
    }
}

fn openapi<'s>(sources: &'s Sources, name: &str) -> Result<&'s Value, ResolveError> {
    match sources.get(name) {
        Some(Source::OpenApi(value)) => Ok(value),
        Some(Source::Arazzo(_)) => Err(ResolveError::NotOpenApi(name.to_owned())),
        None => Err(ResolveError::UnknownSource(name.to_owned())),
    }
}

/// Resolves an `operationId` (plain or `$sourceDescriptions.NAME.ID`).
pub fn resolve_operation_id(
    id: &str,
    document: &Document,
    sources: &Sources,
) -> Result<ResolvedOperation, ResolveError> {
    if let Ok(Expression::SourceDescription { name, member }) = Expression::parse(id) {
        let value = openapi(sources, &name)?;
        return find_operation_id(value, &member)
            .map(|pointer| build(&name, value, pointer))
            .ok_or(ResolveError::UnknownOperationId(id.to_owned()));
    }
    // Only the document's own source descriptions are candidates.
    let found: Vec<(&str, &Value, JsonPointer)> = document
        .source_descriptions
        .iter()
        .filter_map(|d| match sources.get(&d.name) {
            Some(Source::OpenApi(value)) => {
                find_operation_id(value, id).map(|p| (d.name.as_str(), value, p))
            }
            _ => None,
        })
        .collect();
    match found.as_slice() {
        [] => Err(ResolveError::UnknownOperationId(id.to_owned())),
        [(name, value, pointer)] => Ok(build(name, value, pointer.clone())),
        many => Err(ResolveError::AmbiguousOperationId {
            id: id.to_owned(),
            sources: many
                .iter()
                .map(|(n, _, _)| *n)
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// Resolves an `operationPath`.
pub fn resolve_operation_path(
    path: &str,
    sources: &Sources,
) -> Result<ResolvedOperation, ResolveError> {
    let bad = |reason: &str| ResolveError::BadOperationPath {
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    let (reference, fragment) = match path.strip_prefix('{') {
        Some(rest) => {
            let (inner, tail) = rest
                .split_once('}')
                .ok_or_else(|| bad("missing '}' after the source expression"))?;
            let fragment = tail
                .strip_prefix('#')
                .ok_or_else(|| bad("expected '#' and a JSON pointer after '}'"))?;
            (inner, fragment)
        }
        None => path
            .split_once('#')
            .ok_or_else(|| bad("expected '#' and a JSON pointer"))?,
    };
    let name = match Expression::parse(reference) {
        Ok(Expression::SourceDescription { name, member }) if member == "url" => name,
        _ => {
            return Err(bad(
                "the source must be written {$sourceDescriptions.NAME.url}",
            ))
        }
    };
    let pointer = JsonPointer::parse(fragment).map_err(|e| bad(&e.to_string()))?;
    let value = openapi(sources, &name)?;
    let is_operation = pointer
        .tokens()
        .last()
        .is_some_and(|m| METHODS.contains(&m.to_ascii_lowercase().as_str()))
        && pointer.resolve(value).is_some_and(Value::is_object);
    if !is_operation {
        return Err(ResolveError::NoOperationAt {
            source_name: name,
            pointer: pointer.to_string(),
        });
    }
    Ok(build(&name, value, pointer))
}

/// The pointer of the operation with this id, in `paths` then `webhooks`.
fn find_operation_id(document: &Value, id: &str) -> Option<JsonPointer> {
    for section in ["paths", "webhooks"] {
        let Some(items) = document.get(section).and_then(Value::as_object) else {
            continue;
        };
        for (path, item) in items {
            let mut refs = Vec::new();
            let item = follow(document, item, &mut refs);
            for method in METHODS {
                let matches = item
                    .get(method)
                    .and_then(|op| op.get("operationId"))
                    .and_then(Value::as_str)
                    == Some(id);
                if matches {
                    return Some(JsonPointer::root().child(section).child(path).child(method));
                }
            }
        }
    }
    None
}

/// Follows local `$ref`s (at most 32, so cycles end); records the ones that
/// cannot be followed.
fn follow<'v>(
    document: &'v Value,
    mut value: &'v Value,
    unresolved: &mut Vec<String>,
) -> &'v Value {
    for _ in 0..32 {
        let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
            return value;
        };
        let target = reference
            .strip_prefix('#')
            .and_then(|p| JsonPointer::parse(p).ok())
            .and_then(|p| p.resolve(document));
        match target {
            Some(target) => value = target,
            None => {
                unresolved.push(reference.to_owned());
                return value;
            }
        }
    }
    value
}

fn build(source: &str, document: &Value, pointer: JsonPointer) -> ResolvedOperation {
    let mut unresolved = Vec::new();
    let tokens = pointer.tokens();
    let method = tokens.last().cloned().unwrap_or_default();
    let path = tokens
        .len()
        .checked_sub(2)
        .map(|i| tokens[i].clone())
        .unwrap_or_default();
    let empty = Value::Null;
    let operation = pointer.resolve(document).unwrap_or(&empty);
    let item = {
        let mut parent = pointer.clone();
        parent.pop();
        parent.resolve(document).unwrap_or(&empty)
    };
    let mut parameters: Vec<OperationParameter> = Vec::new();
    for list in [item.get("parameters"), operation.get("parameters")] {
        for raw in list.and_then(Value::as_array).into_iter().flatten() {
            let raw = follow(document, raw, &mut unresolved);
            let Some(parameter) = parameter(document, raw, &mut unresolved) else {
                continue;
            };
            parameters.retain(|p| !(p.name == parameter.name && p.location == parameter.location));
            parameters.push(parameter);
        }
    }
    let request_body = operation.get("requestBody").map(|body| {
        let body = follow(document, body, &mut unresolved);
        OperationBody {
            required: body
                .get("required")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            content: content(document, body, &mut unresolved),
        }
    });
    let mut responses = BTreeMap::new();
    if let Some(map) = operation.get("responses").and_then(Value::as_object) {
        for (status, response) in map {
            let response = follow(document, response, &mut unresolved);
            let headers = response
                .get("headers")
                .and_then(Value::as_object)
                .map(|h| h.keys().cloned().collect())
                .unwrap_or_default();
            responses.insert(
                status.clone(),
                OperationResponse {
                    content: content(document, response, &mut unresolved),
                    headers,
                },
            );
        }
    }
    let long_running = responses.contains_key("202")
        || operation
            .get("x-ms-long-running-operation")
            .and_then(Value::as_bool)
            .unwrap_or(false);
    unresolved.sort();
    unresolved.dedup();
    ResolvedOperation {
        source: source.to_owned(),
        operation_id: operation
            .get("operationId")
            .and_then(Value::as_str)
            .map(str::to_owned),
        method: method.to_ascii_uppercase(),
        path,
        pointer,
        parameters,
        request_body,
        responses,
        long_running,
        unresolved_refs: unresolved,
    }
}

fn parameter(
    document: &Value,
    raw: &Value,
    unresolved: &mut Vec<String>,
) -> Option<OperationParameter> {
    let name = raw.get("name")?.as_str()?.to_owned();
    let location = serde_json::from_value(raw.get("in")?.clone()).ok()?;
    Some(OperationParameter {
        name,
        location,
        required: raw
            .get("required")
            .and_then(Value::as_bool)
            .unwrap_or(false)
            || location == ParameterLocation::Path,
        schema: raw
            .get("schema")
            .map(|s| follow(document, s, unresolved).clone()),
    })
}

fn content(
    document: &Value,
    holder: &Value,
    unresolved: &mut Vec<String>,
) -> BTreeMap<String, Option<Value>> {
    holder
        .get("content")
        .and_then(Value::as_object)
        .map(|media| {
            media
                .iter()
                .map(|(kind, m)| {
                    let schema = m
                        .get("schema")
                        .map(|s| follow(document, s, unresolved).clone());
                    (kind.clone(), schema)
                })
                .collect()
        })
        .unwrap_or_default()
}
