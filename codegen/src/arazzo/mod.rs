//! Arazzo 1.0 documents → typed workflow functions.
//!
//! `oncely generate flows.arazzo.yaml` writes, beside the operation client
//! of the document's OpenAPI source descriptions, one typed function per
//! workflow. This module does what every language shares:
//!
//! | module | does |
//! | --- | --- |
//! | `load` | reads the Arazzo document and its local OpenAPI source descriptions ([`load_arazzo`], [`ArazzoSpec`]) |
//! | `merge` | one OpenAPI document from all sources: components that two sources name alike are renamed, their `$ref`s rewritten |
//! | `inputs` | each workflow's `inputs` JSON Schema as a component schema (`$ref`s to `components.inputs` resolved) |
//! | `infer` | each workflow output's schema, followed from the expression (`$steps.S.outputs.O` → the step output `$response.body#/ptr` → the response schema at that pointer) |
//!
//! The workflow types then go through the generator's own lowering, so they
//! are named, hoisted and spelled like every other model; what cannot be
//! typed is a JSON value with a comment, and no workflow is dropped.

mod infer;
mod inputs;
mod load;
mod merge;

use serde_json::{Map, Value};

use crate::error::{CodegenError, Diagnostic};
use crate::ir::{Api, Docs, TypeId};
use crate::load::{spec_from_value, Format};
use crate::lower::{build_ir, IrOptions};

pub use load::{is_arazzo, is_arazzo_file, load_arazzo, parse_arazzo, ArazzoSpec, SourceDoc};

/// A typed function to generate for one workflow.
#[derive(Debug, Clone)]
pub struct WorkflowFn {
    /// The `workflowId`, as written.
    pub workflow_id: String,
    /// JSON pointer of the workflow in the Arazzo document.
    pub pointer: String,
    /// `summary` and `description`.
    pub docs: Docs,
    /// The inputs type (a declaration of [`Workflows::api`]).
    pub inputs: TypeId,
    /// The outputs type (an object with one field per output).
    pub outputs: TypeId,
    /// Each output: its name and the expression it is evaluated from.
    pub output_exprs: Vec<(String, String)>,
    /// The step ids, in document order.
    pub step_ids: Vec<String>,
    /// The `default` of each top-level input property that has one: the
    /// generated functions fill in what the caller left out (the
    /// interpreter does not apply schema defaults).
    pub input_defaults: Map<String, Value>,
}

/// Everything the emitters need for an Arazzo document: the merged API (the
/// operation client plus the workflows' input and output types) and the
/// workflow functions.
#[derive(Debug, Clone)]
pub struct Workflows {
    /// The API of the merged source descriptions, with the workflow types.
    pub api: Api,
    /// One function per workflow, in document order.
    pub workflows: Vec<WorkflowFn>,
    /// `info.title` of the Arazzo document.
    pub title: String,
    /// The file name the embedded document is loaded under.
    pub document_name: String,
    /// The Arazzo document as written.
    pub document_text: String,
    /// The OpenAPI source descriptions as JSON text, by name, in document order.
    pub sources: Vec<(String, String)>,
}

/// Builds the merged API and the workflow functions of a loaded Arazzo
/// document.
pub fn build_workflows(spec: &ArazzoSpec, options: &IrOptions) -> Result<Workflows, CodegenError> {
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    let mut merged = merge::merge(&spec.sources, &mut diagnostics);
    let workflows = spec
        .document
        .get("workflows")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut keys = merge::SchemaKeys::of(&merged.document);
    let mut component_inputs = inputs::ComponentInputs::new(&spec.document);
    let mut planned = Vec::new();
    for (index, workflow) in workflows.iter().enumerate() {
        let id = workflow
            .get("workflowId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let pointer = format!("/workflows/{index}");
        let base = type_base(&id);
        let input_key = keys.fresh(&format!("{base} inputs"));
        let output_key = keys.fresh(&format!("{base} outputs"));
        let input_schema = component_inputs.workflow_schema(workflow.get("inputs"), &mut keys);
        let input_defaults: Map<String, Value> = input_schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|props| {
                props
                    .iter()
                    .filter_map(|(k, p)| p.get("default").map(|d| (k.clone(), d.clone())))
                    .collect()
            })
            .unwrap_or_default();
        let mut found = Vec::new();
        let mut output_exprs = Vec::new();
        {
            let context = infer::Context {
                document: &spec.document,
                merged: &merged,
                inputs: &component_inputs,
            };
            if let Some(outputs) = workflow.get("outputs").and_then(Value::as_object) {
                for (name, expr) in outputs {
                    found.push((name.clone(), context.workflow_output(workflow, expr)));
                    output_exprs.push((name.clone(), expr_text(expr)));
                }
            }
        }
        let mut properties = Map::new();
        for (name, f) in found {
            let schema = match f {
                infer::Found::Source(_, s) | infer::Found::Plain(s) => s,
                infer::Found::Inputs(s) => component_inputs.rewritten(s, &mut keys),
                infer::Found::Any => Value::Object(Map::new()),
            };
            properties.insert(name, schema);
        }
        let required: Vec<Value> = properties.keys().cloned().map(Value::String).collect();
        let mut output_schema = serde_json::json!({
            "type": "object",
            "properties": properties,
            "additionalProperties": false,
        });
        if !required.is_empty() {
            output_schema["required"] = Value::Array(required);
        }
        merged.add_schema(&input_key, input_schema);
        merged.add_schema(&output_key, output_schema);
        let step_ids = workflow
            .get("steps")
            .and_then(Value::as_array)
            .map(|steps| {
                steps
                    .iter()
                    .filter_map(|s| s.get("stepId").and_then(Value::as_str))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        planned.push((
            id,
            pointer,
            docs_of(workflow),
            input_key,
            output_key,
            output_exprs,
            step_ids,
            input_defaults,
        ));
    }
    for (key, schema) in component_inputs.into_schemas(&mut keys) {
        merged.add_schema(&key, schema);
    }
    let document = merged.document;
    let ir_spec = spec_from_value(document, Format::Json, &spec.origin)?;
    let mut api = build_ir(&ir_spec, options)?;
    api.diagnostics.extend(diagnostics);
    let id_of = |key: &str| {
        let pointer = format!("/components/schemas/{}", crate::lower::esc(key));
        api.types
            .iter()
            .find(|d| d.pointer == pointer)
            .map(|d| d.id)
    };
    let mut fns = Vec::new();
    for (
        workflow_id,
        pointer,
        docs,
        input_key,
        output_key,
        output_exprs,
        step_ids,
        input_defaults,
    ) in planned
    {
        let (Some(inputs), Some(outputs)) = (id_of(&input_key), id_of(&output_key)) else {
            return Err(CodegenError::InvalidArazzo {
                origin: spec.origin.clone(),
                pointer,
                reason: "the workflow's input or output schema was not lowered".into(),
            });
        };
        fns.push(WorkflowFn {
            workflow_id,
            pointer,
            docs,
            inputs,
            outputs,
            output_exprs,
            step_ids,
            input_defaults,
        });
    }
    let title = spec
        .document
        .pointer("/info/title")
        .and_then(Value::as_str)
        .unwrap_or("workflows")
        .to_string();
    Ok(Workflows {
        api,
        workflows: fns,
        title,
        document_name: spec.file_name.clone(),
        document_text: spec.text.clone(),
        sources: spec
            .sources
            .iter()
            .map(|s| (s.name.clone(), s.document.to_string()))
            .collect(),
    })
}

/// The raw name workflow types are named after: the `workflowId`, with
/// `workflow` before one that starts with a digit (`2fa` → `Workflow2faInputs`).
pub fn type_base(workflow_id: &str) -> String {
    if workflow_id.starts_with(|c: char| c.is_ascii_digit()) {
        format!("workflow {workflow_id}")
    } else {
        workflow_id.to_string()
    }
}

fn expr_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn docs_of(workflow: &Value) -> Docs {
    let text = |k: &str| {
        workflow
            .get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string)
    };
    Docs {
        summary: text("summary"),
        description: text("description"),
        deprecated: false,
    }
}
