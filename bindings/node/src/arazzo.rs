//! Arazzo workflows: [`NativeArazzoWorkflow`], one workflow of an Arazzo 1.0
//! document loaded, checked and compiled by the shared layer
//! (`oncely_bindings_common::arazzo`), run on a [`NativeEngine`] like any
//! other workflow. Outcomes cross as the JSON of the shared
//! [`OutcomeView`]; `lib/arazzo.js` gives them their JS shape.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use napi::bindgen_prelude::PromiseRaw;
use napi::{Env, Status};
use napi_derive::napi;
use oncely::arazzo::{ArazzoRunError, ArazzoWorkflow};
use oncely_bindings_common::arazzo::{compile, OutcomeView, WorkflowSource};
use serde_json::{json, Value};

use crate::cancel::guard;
use crate::errors::{self, invalid_arg};
use crate::workflow::{workflow_error, NativeEngine};

/// One workflow of an Arazzo document, compiled for the engine.
#[napi]
pub struct NativeArazzoWorkflow {
    flow: ArazzoWorkflow,
}

fn sorted(map: Option<HashMap<String, String>>) -> BTreeMap<String, String> {
    map.unwrap_or_default().into_iter().collect()
}

fn compiled(
    source: WorkflowSource<'_>,
    workflow_id: &str,
    servers: Option<HashMap<String, String>>,
) -> napi::Result<NativeArazzoWorkflow> {
    let flow = compile(source, workflow_id, &sorted(servers))
        .map_err(|e| errors::to_napi(&e.into_error()))?;
    Ok(NativeArazzoWorkflow { flow })
}

/// A run that could not be driven, as an error payload.
fn run_error(error: ArazzoRunError) -> napi::Error {
    match error {
        ArazzoRunError::Workflow(e) => workflow_error(&e),
        ArazzoRunError::Output(e) => errors::payload_error(json!({
            "kind": "workflow",
            "workflowErrorKind": "output",
            "message": format!("a workflow output could not be evaluated: {e}"),
            "fields": {},
        })),
    }
}

fn view_json(view: OutcomeView) -> napi::Result<String> {
    serde_json::to_string(&view)
        .map_err(|e| napi::Error::new(Status::GenericFailure, e.to_string()))
}

#[napi]
impl NativeArazzoWorkflow {
    /// Loads the Arazzo file at `path`, checks it and compiles `workflowId`.
    #[napi(factory, catch_unwind)]
    pub fn load(
        path: String,
        workflow_id: String,
        servers: Option<HashMap<String, String>>,
    ) -> napi::Result<Self> {
        compiled(
            WorkflowSource::Path(Path::new(&path)),
            &workflow_id,
            servers,
        )
    }

    /// Like `load`, from the document's text and the OpenAPI text of every
    /// source description (by name).
    #[napi(factory, catch_unwind)]
    pub fn from_document(
        document: String,
        workflow_id: String,
        openapi: HashMap<String, String>,
        servers: Option<HashMap<String, String>>,
        document_name: String,
    ) -> napi::Result<Self> {
        let sources = sorted(Some(openapi));
        let source = WorkflowSource::Text {
            document: &document,
            name: &document_name,
            sources: &sources,
        };
        compiled(source, &workflow_id, servers)
    }

    /// The `workflowId` (also the workflow's name on the engine).
    #[napi(getter, catch_unwind)]
    pub fn workflow_id(&self) -> String {
        self.flow.workflow_id().to_owned()
    }

    /// The Arazzo steps, in document order.
    #[napi(getter, catch_unwind)]
    pub fn step_ids(&self) -> Vec<String> {
        self.flow.step_ids().to_vec()
    }

    /// Registers the workflow with `engine`, so its runs can be resumed and worked.
    #[napi(catch_unwind)]
    pub fn register(&self, engine: &mut NativeEngine) {
        engine.register_definition(self.flow.workflow().clone());
    }

    /// Starts a run (or continues the run `runId`); resolves with the outcome as JSON.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn start<'env>(
        &self,
        env: &'env Env,
        engine: &mut NativeEngine,
        run_id: Option<String>,
        inputs_json: String,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let inputs: Value =
            serde_json::from_str(&inputs_json).map_err(|e| invalid_arg("inputs", e.to_string()))?;
        self.register(engine);
        let (flow, engine) = (self.flow.clone(), engine.core().clone());
        let call = async move {
            let outcome = flow
                .start(&engine, run_id.as_deref(), &inputs)
                .await
                .map_err(run_error)?;
            view_json(OutcomeView::from(outcome))
        };
        env.spawn_future(guard(call, None))
    }

    /// Continues a run after a crash; resolves with the outcome as JSON.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn resume<'env>(
        &self,
        env: &'env Env,
        engine: &NativeEngine,
        run_id: String,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let (flow, engine) = (self.flow.clone(), engine.core().clone());
        let call = async move {
            let outcome = flow.resume(&engine, &run_id).await.map_err(run_error)?;
            view_json(OutcomeView::from(outcome))
        };
        env.spawn_future(guard(call, None))
    }
}
