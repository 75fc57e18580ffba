//! Workflows (sagas) whose steps and compensations are async JS functions,
//! run by the core's engine on the same journal as Rust and Python.
//!
//! A step function is called through a threadsafe function with a
//! [`NativeStepContext`]; the JS layer always resolves with JSON text —
//! `{"ok": output}`, `{"token": resumeToken}` (operation steps),
//! `{"errorRef": n}` (an error raised by a context call, kept here with its
//! exact core classification) or `{"error": {message, retryable}}` — so a JS
//! exception never escapes into the runtime.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::{Promise, PromiseRaw};
use napi::threadsafe_function::ThreadsafeFunction;
use napi::{Env, Status};
use napi_derive::napi;
use oncely::store::{RunFilter, RunState};
use oncely::workflow::{
    Engine, StepContext, StepError, StepErrorKind, Workflow, WorkflowBuilder, WorkflowError,
};
use oncely_bindings_common::Opt;
use serde_json::{json, Value};

use crate::cancel::{guard, CancelToken};
use crate::client::NativeClient;
use crate::convert::{
    self, spec_error, BodyArg, CallArgs, CallOptions, JsResponse, NativeResponse, RetryOptions,
};
use crate::errors::{self, invalid_arg};
use crate::operation::NativeOperation;

/// A step function: gets a context, resolves with the step's outcome as JSON text.
pub type StepFn =
    ThreadsafeFunction<NativeStepContext, Promise<String>, NativeStepContext, Status, false, true>;

/// Step errors raised by context calls, kept until the step function returns.
#[derive(Default)]
struct ErrorRegistry {
    next: AtomicU32,
    errors: Mutex<HashMap<u32, StepError>>,
}

impl ErrorRegistry {
    /// Keeps `error` and returns the payload for JS, tagged with its id.
    fn keep(&self, mut payload: Value, error: StepError) -> napi::Error {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut errors) = self.errors.lock() {
            errors.insert(id, error);
        }
        if let Some(object) = payload.as_object_mut() {
            object.insert("stepErrorId".into(), json!(id));
        }
        errors::payload_error(payload)
    }

    fn take(&self, id: u32) -> Option<StepError> {
        self.errors.lock().ok()?.remove(&id)
    }

    fn core(&self, error: oncely::Error) -> napi::Error {
        let payload = errors::payload(&error);
        self.keep(payload, StepError::from(error))
    }

    fn step(&self, error: StepError) -> napi::Error {
        let payload = step_error_json(&error);
        self.keep(payload, error)
    }
}

fn step_error_json(error: &StepError) -> Value {
    json!({
        "kind": "step",
        "message": error.to_string(),
        "stepErrorKind": step_kind(error.kind()),
        "retryable": error.kind() == StepErrorKind::Retryable,
        "status": error.status(),
        "problem": error.problem(),
    })
}

fn step_kind(kind: StepErrorKind) -> &'static str {
    match kind {
        StepErrorKind::Retryable => "retryable",
        StepErrorKind::Permanent => "permanent",
        StepErrorKind::Store => "store",
    }
}

/// What a step (or compensation) gets: the run, the step, its idempotency key,
/// the input and earlier outputs, and calls that carry the step's key.
#[napi]
pub struct NativeStepContext {
    ctx: StepContext,
    errors: Arc<ErrorRegistry>,
}

#[napi]
impl NativeStepContext {
    /// The run id.
    #[napi(getter, catch_unwind)]
    pub fn run_id(&self) -> String {
        self.ctx.run_id().to_string()
    }

    /// The workflow's name.
    #[napi(getter, catch_unwind)]
    pub fn workflow(&self) -> String {
        self.ctx.workflow().to_string()
    }

    /// The step's name.
    #[napi(getter, catch_unwind)]
    pub fn step(&self) -> String {
        self.ctx.step().to_string()
    }

    /// True inside a compensation.
    #[napi(getter, catch_unwind)]
    pub fn is_compensation(&self) -> bool {
        self.ctx.is_compensation()
    }

    /// Which attempt this is (1 for the first, across processes).
    #[napi(getter, catch_unwind)]
    pub fn attempt(&self) -> u32 {
        self.ctx.attempt()
    }

    /// The step's idempotency key.
    #[napi(getter, catch_unwind)]
    pub fn key(&self) -> String {
        self.ctx.key().to_string()
    }

    /// A key derived from the step's key and `label`.
    #[napi(catch_unwind)]
    pub fn key_for(&self, label: String) -> String {
        self.ctx.key_for(&label)
    }

    /// The run's input as JSON text.
    #[napi(catch_unwind)]
    pub fn input_json(&self) -> napi::Result<String> {
        let value: Value = self.ctx.input().map_err(|e| self.errors.step(e))?;
        Ok(value.to_string())
    }

    /// An earlier step's output as JSON text (a step error when it has none).
    #[napi(catch_unwind)]
    pub fn output_json(&self, step: String) -> napi::Result<String> {
        let value: Value = self.ctx.output(&step).map_err(|e| self.errors.step(e))?;
        Ok(value.to_string())
    }

    /// A call carrying the step's key (GET carries none); arguments as for the client.
    #[allow(clippy::too_many_arguments)]
    #[napi(
        catch_unwind,
        ts_return_type = "Promise<[number, number, number, string | null, string, string, Buffer, string | null]>"
    )]
    pub fn request<'env>(
        &self,
        env: &'env Env,
        method: String,
        path: String,
        body: Option<BodyArg>,
        content_type: Option<String>,
        headers: Option<Vec<String>>,
        query: Option<Vec<String>>,
        options: Option<CallOptions>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, JsResponse<'env>>> {
        let args = CallArgs {
            method,
            path,
            body,
            content_type,
            headers,
            query,
            options,
        };
        let request = convert::prepare(&self.ctx, args)?;
        let registry = self.errors.clone();
        let call = async move {
            request
                .send()
                .await
                .map(NativeResponse::from_core)
                .map_err(|e| registry.core(e))
        };
        env.spawn_future_with_callback(guard(call, cancel.map(CancelToken::handle)), |env, r| {
            r.into_js(env)
        })
    }

    /// Starts a long-running operation with the step's key.
    #[allow(clippy::too_many_arguments)]
    #[napi(catch_unwind, ts_return_type = "Promise<NativeOperation>")]
    pub fn send_operation<'env>(
        &self,
        env: &'env Env,
        method: String,
        path: String,
        body: Option<BodyArg>,
        content_type: Option<String>,
        headers: Option<Vec<String>>,
        query: Option<Vec<String>>,
        options: Option<CallOptions>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, NativeOperation>> {
        let args = CallArgs {
            method,
            path,
            body,
            content_type,
            headers,
            query,
            options,
        };
        let request = convert::prepare(&self.ctx, args)?;
        let registry = self.errors.clone();
        let client = self.ctx.client().clone();
        let call = async move {
            let op = request
                .send_operation::<Value>()
                .await
                .map_err(|e| registry.core(e))?;
            Ok(NativeOperation::new(client, op))
        };
        env.spawn_future(guard(call, cancel.map(CancelToken::handle)))
    }
}

/// The outcome a step function resolved with.
enum StepOutcome {
    Output(Value),
    Token(String),
}

/// Calls a step function and decodes what it resolved with.
async fn call_step(function: &StepFn, ctx: StepContext) -> Result<StepOutcome, StepError> {
    let registry = Arc::new(ErrorRegistry::default());
    let native = NativeStepContext {
        ctx,
        errors: registry.clone(),
    };
    let promise = function
        .call_async(native)
        .await
        .map_err(|e| StepError::permanent(format!("the step function could not be called: {e}")))?;
    let text = promise
        .await
        .map_err(|e| StepError::permanent(format!("the step function failed: {e}")))?;
    let outcome: Value = serde_json::from_str(&text).map_err(|e| {
        StepError::permanent(format!("the step function's outcome is not JSON: {e}"))
    })?;
    if let Some(id) = outcome.get("errorRef").and_then(Value::as_u64) {
        let id = u32::try_from(id).unwrap_or(u32::MAX);
        return Err(registry
            .take(id)
            .unwrap_or_else(|| StepError::permanent("unknown step error")));
    }
    if let Some(error) = outcome.get("error") {
        let message = error
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("step failed")
            .to_string();
        return Err(match error.get("retryable").and_then(Value::as_bool) {
            Some(true) => StepError::retryable(message),
            _ => StepError::permanent(message),
        });
    }
    if let Some(token) = outcome.get("token").and_then(Value::as_str) {
        return Ok(StepOutcome::Token(token.to_string()));
    }
    Ok(StepOutcome::Output(
        outcome.get("ok").cloned().unwrap_or(Value::Null),
    ))
}

/// Step retry settings of a workflow.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct WorkflowOptions {
    /// How a step's action is retried on a retryable failure.
    pub action_retry: Option<RetryOptions>,
    /// How a compensation is retried.
    pub compensation_retry: Option<RetryOptions>,
}

/// A workflow definition being built from JS step functions.
#[napi]
pub struct NativeWorkflow {
    builder: Option<WorkflowBuilder>,
    built: Option<Workflow>,
}

#[napi]
impl NativeWorkflow {
    /// Starts a workflow definition.
    #[napi(constructor, catch_unwind)]
    pub fn new(name: String, options: Option<WorkflowOptions>) -> napi::Result<Self> {
        let mut builder = Workflow::builder(name);
        if let Some(options) = options {
            if let Some(retry) = &options.action_retry {
                builder = builder.action_retry(convert::retry_policy(retry)?);
            }
            if let Some(retry) = &options.compensation_retry {
                builder = builder.compensation_retry(convert::retry_policy(retry)?);
            }
        }
        Ok(NativeWorkflow {
            builder: Some(builder),
            built: None,
        })
    }

    /// Appends a step: `operation` steps resolve with a resume token, which is
    /// journaled before waiting, so a resumed run keeps polling.
    #[napi(catch_unwind)]
    pub fn add_step(
        &mut self,
        name: String,
        operation: bool,
        action: StepFn,
        compensation: Option<StepFn>,
    ) -> napi::Result<()> {
        let builder = self
            .builder
            .take()
            .ok_or_else(|| invalid_arg("workflow", "it was already built"))?;
        let action = Arc::new(action);
        let mut builder = if operation {
            builder.operation_step(name, move |ctx: StepContext| {
                let action = action.clone();
                async move {
                    let client = ctx.client().clone();
                    match call_step(&action, ctx).await? {
                        StepOutcome::Token(token) => Ok(oncely::Operation::<Value>::resume(&client, &token)?),
                        StepOutcome::Output(_) => Err(StepError::permanent(
                            "an operation step must resolve with an Operation (ctx.sendOperation(...))",
                        )),
                    }
                }
            })
        } else {
            builder.step(name, move |ctx: StepContext| {
                let action = action.clone();
                async move {
                    match call_step(&action, ctx).await? {
                        StepOutcome::Output(value) => Ok(value),
                        StepOutcome::Token(token) => Ok(Value::String(token)),
                    }
                }
            })
        };
        if let Some(compensation) = compensation {
            let compensation = Arc::new(compensation);
            builder = builder.compensate(move |ctx: StepContext| {
                let compensation = compensation.clone();
                async move { call_step(&compensation, ctx).await.map(drop) }
            });
        }
        self.builder = Some(builder);
        Ok(())
    }

    /// Checks the definition and freezes it.
    #[napi(catch_unwind)]
    pub fn seal(&mut self) -> napi::Result<()> {
        if self.built.is_some() {
            return Ok(());
        }
        let builder = self
            .builder
            .take()
            .ok_or_else(|| invalid_arg("workflow", "it has no definition"))?;
        self.built = Some(builder.build().map_err(|e| workflow_error(&e))?);
        Ok(())
    }

    /// The fingerprint of the step list (names and order).
    #[napi(getter, catch_unwind)]
    pub fn fingerprint(&self) -> Option<String> {
        self.built.as_ref().map(|w| w.fingerprint().to_string())
    }
}

impl NativeWorkflow {
    fn get(&self) -> napi::Result<&Workflow> {
        self.built
            .as_ref()
            .ok_or_else(|| invalid_arg("workflow", "call seal() first"))
    }
}

/// Drives runs through the journal of a client's store.
#[napi]
pub struct NativeEngine {
    engine: Engine,
}

impl NativeEngine {
    /// The core engine (with its registrations).
    pub(crate) fn core(&self) -> &Engine {
        &self.engine
    }

    /// Makes a compiled core workflow known by name (an Arazzo workflow's).
    pub(crate) fn register_definition(&mut self, definition: Workflow) {
        self.engine = self.engine.clone().register(definition);
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> napi::Result<String> {
    serde_json::to_string(value)
        .map_err(|e| napi::Error::new(Status::GenericFailure, e.to_string()))
}

#[napi]
impl NativeEngine {
    /// An engine journaling into the client's store.
    #[napi(constructor, catch_unwind)]
    pub fn new(
        client: &NativeClient,
        owner: Option<String>,
        lease_ms: Option<f64>,
    ) -> napi::Result<Self> {
        let mut engine =
            Engine::for_client(client.inner.clone()).map_err(|e| workflow_error(&e))?;
        if let Some(owner) = owner {
            engine = engine.owner(owner);
        }
        if let Some(ms) = lease_ms {
            let lease = convert::millis(ms, Opt::Lease)
                .and_then(|d| oncely_bindings_common::positive(d, Opt::Lease))
                .map_err(spec_error)?;
            engine = engine.lease(lease);
        }
        Ok(NativeEngine { engine })
    }

    /// Registers a workflow, so runs of it can be resumed by id.
    #[napi(catch_unwind)]
    pub fn register(&mut self, workflow: &NativeWorkflow) -> napi::Result<()> {
        self.engine = self.engine.clone().register(workflow.get()?.clone());
        Ok(())
    }

    /// Starts (or, for a known run id, continues) a run; resolves with the outcome as JSON.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn start<'env>(
        &self,
        env: &'env Env,
        workflow: &NativeWorkflow,
        run_id: Option<String>,
        input_json: String,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let (engine, workflow) = (self.engine.clone(), workflow.get()?.clone());
        let input: Value =
            serde_json::from_str(&input_json).map_err(|e| invalid_arg("input", e.to_string()))?;
        let call = async move {
            let outcome = engine
                .start(&workflow, run_id.as_deref(), &input)
                .await
                .map_err(|e| workflow_error(&e))?;
            to_json(&outcome)
        };
        env.spawn_future(guard(call, None))
    }

    /// Continues a run after a crash; resolves with the outcome as JSON.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn resume<'env>(
        &self,
        env: &'env Env,
        run_id: String,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let engine = self.engine.clone();
        let call = async move {
            to_json(
                &engine
                    .resume(&run_id)
                    .await
                    .map_err(|e| workflow_error(&e))?,
            )
        };
        env.spawn_future(guard(call, None))
    }

    /// Sends a parked run back (`needs_attention` → compensating again); resolves with the outcome.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn retry<'env>(
        &self,
        env: &'env Env,
        run_id: String,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let engine = self.engine.clone();
        let call = async move {
            to_json(
                &engine
                    .retry(&run_id)
                    .await
                    .map_err(|e| workflow_error(&e))?,
            )
        };
        env.spawn_future(guard(call, None))
    }

    /// One run with its steps and history, as JSON.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn show<'env>(
        &self,
        env: &'env Env,
        run_id: String,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let engine = self.engine.clone();
        let call = async move {
            to_json(
                &engine
                    .show_run(&run_id)
                    .await
                    .map_err(|e| workflow_error(&e))?,
            )
        };
        env.spawn_future(guard(call, None))
    }

    /// Runs (newest first), filtered, as JSON.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn list<'env>(
        &self,
        env: &'env Env,
        states: Option<Vec<String>>,
        workflow: Option<String>,
        limit: Option<u32>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let states = states
            .unwrap_or_default()
            .into_iter()
            .map(|s| {
                serde_json::from_value::<RunState>(Value::String(s.clone()))
                    .map_err(|_| invalid_arg("states", format!("{s:?} is not a run state")))
            })
            .collect::<napi::Result<Vec<_>>>()?;
        let filter = RunFilter {
            states,
            workflow,
            limit: limit.map(|n| n as usize),
        };
        let engine = self.engine.clone();
        let call = async move {
            to_json(
                &engine
                    .list_runs(&filter)
                    .await
                    .map_err(|e| workflow_error(&e))?,
            )
        };
        env.spawn_future(guard(call, None))
    }

    /// Works through pending runs of the registered workflows; resolves with counts as JSON.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn work<'env>(
        &self,
        env: &'env Env,
        concurrency: u32,
        idle_poll_ms: f64,
        stop_when_idle: bool,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let engine = self.engine.clone();
        let idle = convert::millis(idle_poll_ms, Opt::IdlePoll).map_err(spec_error)?;
        let call = async move {
            let stats = engine
                .work(concurrency.max(1) as usize, idle, stop_when_idle)
                .await
                .map_err(|e| workflow_error(&e))?;
            Ok(json!({
                "completed": stats.completed,
                "compensated": stats.compensated,
                "parked": stats.parked,
                "errors": stats.errors,
            })
            .to_string())
        };
        env.spawn_future(guard(call, None))
    }
}

/// A workflow error as a payload (`kind: "workflow"` with its own kind and fields).
pub fn workflow_error(error: &WorkflowError) -> napi::Error {
    let (sub, fields) = match error {
        WorkflowError::InvalidDefinition { workflow, why } => (
            "invalid_definition",
            json!({"workflow": workflow, "why": why}),
        ),
        WorkflowError::InvalidInput { what, why } => return invalid_arg(what.clone(), why.clone()),
        WorkflowError::UnknownRun { run_id } => ("unknown_run", json!({"runId": run_id})),
        WorkflowError::UnknownWorkflow { run_id, workflow } => (
            "unknown_workflow",
            json!({"runId": run_id, "workflow": workflow}),
        ),
        WorkflowError::RunIdTaken { run_id, detail } => {
            ("run_id_taken", json!({"runId": run_id, "detail": detail}))
        }
        WorkflowError::DefinitionChanged {
            run_id,
            workflow,
            journaled,
            current,
        } => (
            "definition_changed",
            json!({"runId": run_id, "workflow": workflow, "journaled": journaled, "current": current}),
        ),
        WorkflowError::Leased {
            run_id,
            owner,
            remaining_ms,
        } => (
            "leased",
            json!({"runId": run_id, "owner": owner, "remainingMs": remaining_ms}),
        ),
        WorkflowError::LeaseLost { run_id, owner } => {
            ("lease_lost", json!({"runId": run_id, "owner": owner}))
        }
        WorkflowError::WrongState { run_id, state, why } => (
            "wrong_state",
            json!({"runId": run_id, "state": state, "why": why}),
        ),
        WorkflowError::Interrupted {
            run_id,
            step,
            error,
        } => (
            "interrupted",
            json!({"runId": run_id, "step": step, "stepError": step_error_json(error)}),
        ),
        WorkflowError::NoJournal { store } => ("no_journal", json!({"store": store})),
        WorkflowError::Journal(e) => {
            return errors::payload_error(
                json!({"kind": "store", "message": error.to_string(), "reason": e.to_string()}),
            )
        }
        _ => ("other", json!({})),
    };
    errors::payload_error(json!({
        "kind": "workflow",
        "workflowErrorKind": sub,
        "message": error.to_string(),
        "fields": fields,
    }))
}
