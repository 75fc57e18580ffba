//! `src/workflows.rs` of a crate generated from an Arazzo document: one
//! async function per workflow, on the `oncely` Arazzo interpreter, with the
//! document and its OpenAPI sources embedded and compiled once.

use std::fmt::Write;

use super::ctx::Ctx;
use super::text::{code, lit, write_doc};
use crate::arazzo::{type_base, WorkflowFn, Workflows};
use crate::emit::common::docs_paragraphs;
use crate::ir::{Type, TypeDef};
use crate::naming::{ident, rust, Case, Scope};

/// The identifiers of one workflow's items.
struct Names {
    run: String,
    workflow: String,
    workflow_at: String,
    resume: String,
    outputs_fn: String,
    error: String,
    steps: String,
}

fn names(workflows: &[WorkflowFn]) -> Vec<Names> {
    let mut fns = Scope::with_reserved([
        "loaded",
        "compile",
        "compile_at",
        "Loaded",
        "DOCUMENT",
        "DOCUMENT_NAME",
        "SOURCES",
    ]);
    let mut types = Scope::with_reserved(["Loaded", "OnceLock"]);
    workflows
        .iter()
        .map(|w| {
            let mut base = ident(&w.workflow_id, Case::Snake, "workflow", "workflow_");
            if base == "_" {
                base = "workflow".into();
            }
            let base = rust::unraw(&rust::escape(&base)).to_string();
            let mut n = 1;
            let pick = |b: &str| {
                [
                    b.to_string(),
                    format!("{b}_workflow"),
                    format!("{b}_workflow_at"),
                    format!("resume_{b}"),
                    format!("{b}_outputs"),
                    format!("{}_STEPS", b.to_ascii_uppercase()),
                ]
            };
            let mut candidate = base.clone();
            while pick(&candidate).iter().any(|c| fns.contains(c)) {
                n += 1;
                candidate = format!("{base}_{n}");
            }
            let [run, workflow, workflow_at, resume, outputs_fn, steps] = pick(&candidate);
            for name in [&run, &workflow, &workflow_at, &resume, &outputs_fn, &steps] {
                fns.reserve(name);
            }
            let error = rust::camel_in(
                &mut types,
                &format!("{} error", type_base(&w.workflow_id)),
                "Workflow",
                "Error",
            );
            Names {
                run: rust::escape(&run),
                workflow,
                workflow_at,
                resume,
                outputs_fn,
                error,
                steps,
            }
        })
        .collect()
}

/// The module's source.
pub(crate) fn emit(ctx: &Ctx<'_>, w: &Workflows) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let _ = writeln!(
        out,
        "//! Typed functions for the workflows of the Arazzo document {} ({}).\n\
         //!\n\
         //! Each workflow is one async function: it takes the engine, the typed inputs and an \
         optional run id, runs the workflow on the `oncely` engine (every step journaled, every \
         write keyed, a crashed run resumable) and returns the typed outputs, or an error naming \
         the step that failed. `<workflow>_workflow()` gives the compiled workflow, to register \
         with the engine; `resume_<workflow>` continues a run after a crash.\n",
        code(&w.document_name),
        code(&w.title)
    );
    out.push_str("use ::std::sync::OnceLock;\n\n");
    out.push_str("use ::oncely::arazzo::{ArazzoOutcome, ArazzoWorkflow};\nuse ::oncely::workflow::Engine;\n\n");
    let _ = writeln!(
        out,
        "/// The Arazzo document, as written.\npub const DOCUMENT: &str = {};\n",
        lit(&w.document_text)
    );
    let _ = writeln!(
        out,
        "/// The name the embedded document is loaded under (errors name it).\npub const DOCUMENT_NAME: &str = {};\n",
        lit(&w.document_name)
    );
    out.push_str("/// The OpenAPI source descriptions of the document, by name (JSON text).\npub const SOURCES: &[(&str, &str)] = &[\n");
    for (name, text) in &w.sources {
        let _ = writeln!(out, "    ({}, {}),", lit(name), lit(text));
    }
    out.push_str("];\n\n");
    if !w.workflows.is_empty() {
        out.push_str(LOADING);
    }
    if w.workflows.iter().any(|f| !f.input_defaults.is_empty()) {
        out.push_str(DEFAULTS);
    }
    let names = names(&w.workflows);
    for (wf, n) in w.workflows.iter().zip(&names) {
        workflow(ctx, &mut out, wf, n);
    }
    out
}

/// Loading the embedded document once, and compiling a workflow of it.
const LOADING: &str = r#"type Loaded = (::oncely::arazzo::Document, ::oncely::arazzo::Sources);

/// The document and its sources, parsed once.
fn loaded() -> ::std::result::Result<&'static Loaded, ::std::string::String> {
    static LOADED: OnceLock<::std::result::Result<Loaded, ::std::string::String>> = OnceLock::new();
    LOADED
        .get_or_init(|| {
            let document = ::oncely::arazzo::load_str(DOCUMENT, DOCUMENT_NAME)
                .map_err(|e| e.to_string())?;
            let mut sources = ::oncely::arazzo::Sources::new();
            for (name, text) in SOURCES {
                let value: ::serde_json::Value = ::serde_json::from_str(text)
                    .map_err(|e| format!("source description {name:?}: {e}"))?;
                sources.insert_openapi(*name, value);
            }
            Ok((document, sources))
        })
        .as_ref()
        .map_err(::std::clone::Clone::clone)
}

/// Compiles the workflow `workflow_id` of the document.
fn compile(workflow_id: &str) -> ::std::result::Result<ArazzoWorkflow, ::std::string::String> {
    let (document, sources) = loaded()?;
    ArazzoWorkflow::compile(document, sources, workflow_id)
        .map_err(|e| format!("workflow {workflow_id:?}: {e}"))
}

/// Compiles the workflow `workflow_id` with a base URL per source
/// description (`(name, url)`); other sources use the engine client's.
fn compile_at(
    workflow_id: &str,
    servers: &[(&str, &str)],
) -> ::std::result::Result<ArazzoWorkflow, ::std::string::String> {
    let (document, sources) = loaded()?;
    let options = ::oncely::arazzo::CompileOptions {
        servers: servers
            .iter()
            .map(|(name, url)| ((*name).to_owned(), (*url).to_owned()))
            .collect(),
    };
    ArazzoWorkflow::compile_with(document, sources, workflow_id, &options)
        .map_err(|e| format!("workflow {workflow_id:?}: {e}"))
}

"#;

/// Filling in input defaults.
const DEFAULTS: &str = r#"/// Adds the schema `default` of each input the caller left out (`defaults`
/// is a JSON object).
fn with_defaults(inputs: &mut ::serde_json::Value, defaults: &str) {
    if let (::serde_json::Value::Object(map), Ok(::serde_json::Value::Object(defaults))) =
        (inputs, ::serde_json::from_str::<::serde_json::Value>(defaults))
    {
        for (name, value) in defaults {
            map.entry(name).or_insert(value);
        }
    }
}

"#;

fn untyped_reason<'a>(ctx: &'a Ctx<'_>, t: &Type) -> Option<&'a str> {
    let Type::Ref(id) = t else { return None };
    match &ctx.api.decl(ctx.api.resolve_alias(*id)).def {
        TypeDef::Alias(Type::Any { reason }) => Some(reason.as_deref().unwrap_or("any JSON value")),
        _ => None,
    }
}

fn workflow(ctx: &Ctx<'_>, out: &mut String, wf: &WorkflowFn, n: &Names) {
    let id = lit(&wf.workflow_id);
    let shown = code(&wf.workflow_id);
    let inputs = ctx.ty(&Type::Ref(wf.inputs), "crate::models::");
    let outputs = ctx.ty(&Type::Ref(wf.outputs), "crate::models::");
    let err = &n.error;

    let _ = write!(
        out,
        "/// The steps of workflow {shown}, in document order.\npub const {}: &[&str] = &[",
        n.steps
    );
    for (i, s) in wf.step_ids.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&lit(s));
    }
    out.push_str("];\n\n");

    let _ = writeln!(
        out,
        "/// Why a run of workflow {shown} gave no outputs.\n\
         #[derive(Debug)]\n\
         pub enum {err} {{\n\
         \x20   /// The embedded document does not load, or the workflow does not compile (the \
         message names the JSON pointer).\n\
         \x20   Compile(::std::string::String),\n\
         \x20   /// The inputs could not be encoded as JSON.\n\
         \x20   Inputs(::serde_json::Error),\n\
         \x20   /// The engine could not drive the run (journal, lease, a bad run id).\n\
         \x20   Run(::oncely::arazzo::ArazzoRunError),\n\
         \x20   /// The run ended without completing: a step failed for good and the steps done \
         before it were compensated (or need attention).\n\
         \x20   Failed {{\n\
         \x20       /// The run id.\n\
         \x20       run_id: ::std::string::String,\n\
         \x20       /// `compensated` or `needs_attention`.\n\
         \x20       state: ::oncely::workflow::RunState,\n\
         \x20       /// The step whose failure ended the run (`stepId`; `stepId#2` for its second visit).\n\
         \x20       failed_step: ::std::option::Option<::std::string::String>,\n\
         \x20       /// The engine's account of the failure (`step`, `phase`, `error`).\n\
         \x20       error: ::std::option::Option<::serde_json::Value>,\n\
         \x20   }},\n\
         \x20   /// The outputs do not match their generated type.\n\
         \x20   Outputs(::serde_json::Error),\n\
         }}\n\n\
         impl {err} {{\n\
         \x20   /// The step whose failure ended the run, when a step failed.\n\
         \x20   pub fn failed_step(&self) -> ::std::option::Option<&str> {{\n\
         \x20       match self {{\n\
         \x20           Self::Failed {{ failed_step, .. }} => failed_step.as_deref(),\n\
         \x20           _ => None,\n\
         \x20       }}\n\
         \x20   }}\n\
         }}\n\n\
         impl ::std::fmt::Display for {err} {{\n\
         \x20   fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {{\n\
         \x20       match self {{\n\
         \x20           Self::Compile(e) => write!(f, \"workflow {{}}: {{e}}\", {id}),\n\
         \x20           Self::Inputs(e) => write!(f, \"workflow {{}}: inputs: {{e}}\", {id}),\n\
         \x20           Self::Run(e) => write!(f, \"workflow {{}}: {{e}}\", {id}),\n\
         \x20           Self::Failed {{ run_id, state, failed_step, error }} => {{\n\
         \x20               write!(f, \"workflow {{}} run {{run_id}} ended {{state}}\", {id})?;\n\
         \x20               if let Some(step) = failed_step {{\n\
         \x20                   write!(f, \" at step {{step}}\")?;\n\
         \x20               }}\n\
         \x20               if let Some(error) = error.as_ref().and_then(|e| e.get(\"error\")) {{\n\
         \x20                   write!(f, \": {{error}}\")?;\n\
         \x20               }}\n\
         \x20               Ok(())\n\
         \x20           }}\n\
         \x20           Self::Outputs(e) => write!(f, \"workflow {{}}: outputs: {{e}}\", {id}),\n\
         \x20       }}\n\
         \x20   }}\n\
         }}\n\n\
         impl ::std::error::Error for {err} {{\n\
         \x20   fn source(&self) -> ::std::option::Option<&(dyn ::std::error::Error + 'static)> {{\n\
         \x20       match self {{\n\
         \x20           Self::Inputs(e) | Self::Outputs(e) => Some(e),\n\
         \x20           Self::Run(e) => Some(e),\n\
         \x20           Self::Compile(_) | Self::Failed {{ .. }} => None,\n\
         \x20       }}\n\
         \x20   }}\n\
         }}\n"
    );

    let _ = writeln!(
        out,
        "/// The compiled workflow {shown}, compiled once: register its `workflow()` with the \
         engine so that the engine's workers can drive and resume its runs.\n\
         pub fn {wfn}() -> ::std::result::Result<&'static ArazzoWorkflow, {err}> {{\n\
         \x20   static WORKFLOW: OnceLock<::std::result::Result<ArazzoWorkflow, ::std::string::String>> = OnceLock::new();\n\
         \x20   WORKFLOW\n\
         \x20       .get_or_init(|| compile({id}))\n\
         \x20       .as_ref()\n\
         \x20       .map_err(|e| {err}::Compile(e.clone()))\n\
         }}\n\n\
         /// The workflow {shown} compiled with a base URL per source description (`(name, \
         url)`, e.g. a sandbox host), for sources served apart from the engine client's base \
         URL. Register its `workflow()` with the engine, start runs with its `start`, and \
         type their outcome with [`{ofn}`].\n\
         pub fn {wfn_at}(servers: &[(&str, &str)]) -> ::std::result::Result<ArazzoWorkflow, {err}> {{\n\
         \x20   compile_at({id}, servers).map_err({err}::Compile)\n\
         }}\n",
        wfn = n.workflow,
        wfn_at = n.workflow_at,
        ofn = n.outputs_fn
    );

    let mut paras = docs_paragraphs(&wf.docs);
    paras.push(format!(
        "Runs workflow {shown} (`#{}` of the document) to its end and returns its outputs. \
         `run_id` names the run (a new one when `None`); starting an existing run id with the \
         same inputs continues that run.",
        wf.pointer
    ));
    if let Some(reason) = untyped_reason(ctx, &Type::Ref(wf.inputs)) {
        paras.push(format!(
            "The input schema could not be typed ({reason}); the inputs are a JSON value."
        ));
    }
    if !wf.output_exprs.is_empty() {
        let list: Vec<String> = wf
            .output_exprs
            .iter()
            .map(|(name, expr)| format!("- {}: {}", code(name), code(expr)))
            .collect();
        paras.push(format!("Outputs:\n\n{}", list.join("\n")));
    }
    write_doc(out, "", &paras);
    let _ = writeln!(
        out,
        "pub async fn {run}(\n\
         \x20   engine: &Engine,\n\
         \x20   inputs: &{inputs},\n\
         \x20   run_id: ::std::option::Option<&str>,\n\
         ) -> ::std::result::Result<{outputs}, {err}> {{\n\
         \x20   let workflow = {wfn}()?;\n\
         \x20   let {mutable}inputs = ::serde_json::to_value(inputs).map_err({err}::Inputs)?;\n{defaults}\
         \x20   let outcome = workflow.start(engine, run_id, &inputs).await.map_err({err}::Run)?;\n\
         \x20   {ofn}(outcome)\n\
         }}\n\n\
         /// Continues the run `run_id` of workflow {shown} after a crash and returns its outputs.\n\
         pub async fn {resume}(\n\
         \x20   engine: &Engine,\n\
         \x20   run_id: &str,\n\
         ) -> ::std::result::Result<{outputs}, {err}> {{\n\
         \x20   let workflow = {wfn}()?;\n\
         \x20   let outcome = workflow.resume(engine, run_id).await.map_err({err}::Run)?;\n\
         \x20   {ofn}(outcome)\n\
         }}\n\n\
         /// The typed outputs of a finished run of workflow {shown}, or why it has none.\n\
         pub fn {ofn}(outcome: ArazzoOutcome) -> ::std::result::Result<{outputs}, {err}> {{\n\
         \x20   if !outcome.is_completed() {{\n\
         \x20       return Err({err}::Failed {{\n\
         \x20           run_id: outcome.run.run_id,\n\
         \x20           state: outcome.run.state,\n\
         \x20           failed_step: outcome.failed_step,\n\
         \x20           error: outcome.run.error,\n\
         \x20       }});\n\
         \x20   }}\n\
         \x20   ::serde_json::from_value(::serde_json::Value::Object(outcome.outputs)).map_err({err}::Outputs)\n\
         }}\n",
        run = n.run,
        wfn = n.workflow,
        resume = n.resume,
        mutable = if wf.input_defaults.is_empty() { "" } else { "mut " },
        defaults = if wf.input_defaults.is_empty() {
            String::new()
        } else {
            format!(
                "    with_defaults(&mut inputs, {});\n",
                lit(&serde_json::Value::Object(wf.input_defaults.clone()).to_string())
            )
        },
        ofn = n.outputs_fn,
    );
}
