//! `oncely.Workflow`, `oncely.WorkflowEngine`, `oncely.StepContext`: sagas
//! whose steps and compensations are Python callables (plain or `async def`),
//! run by the core's engine on the same journal as Rust and Node — a run
//! started in one language can be inspected and resumed from another.
//!
//! The engine decides everything (order, keys, journal, retries,
//! compensation, leases); the binding calls the Python functions and
//! translates their results and exceptions:
//!
//! - a plain function runs on a blocking thread (never on a runtime worker);
//!   a coroutine runs on the caller's event loop when the run was started
//!   with `await engine.astart(...)`, else in `asyncio.run` on that thread;
//! - the returned value is journaled as JSON (a `Response` gives its JSON
//!   body); an operation step returns an `Operation`, whose resume token is
//!   journaled before waiting;
//! - an exception fails the step: one raised by a context call keeps the
//!   core's classification (retryable, permanent, store), `StepError` says
//!   which it is, any other exception is permanent.

use std::sync::Arc;

use oncely::store::{RunFilter, RunState};
use oncely::workflow::{Engine, RunOutcome, StepContext, StepError, Workflow, WorkflowError};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3_async_runtimes::TaskLocals;
use serde_json::Value;

use crate::aio;
use crate::client::{PyAsyncClient, PyClient};
use crate::convert::{json_to_py, py_to_json, type_name};
use crate::errors::{self, core_error_ref, Failure, Kind};
use crate::operation::{PyAsyncOperation, PyOperation};
use crate::options::{positive, retry_arg};
use crate::request::CallSpec;
use crate::response::PyResponse;
use crate::runtime::{self, with_gil};

tokio::task_local! {
    /// The event loop of a run started with `astart` / `aresume`: coroutine
    /// steps run there.
    static EVENT_LOOP: TaskLocals;
}

// ---------------------------------------------------------------- errors

/// The core's classification of a failed context call, kept on the exception
/// (`_oncely_step_error`) so that re-raising it keeps it exact.
#[pyclass(module = "oncely._native", name = "_StepErrorHolder", frozen)]
struct StepErrorHolder(StepError);

const HOLDER_ATTR: &str = "_oncely_step_error";

/// The exception for a failed context call, carrying its step classification.
fn call_error(py: Python<'_>, error: oncely::Error) -> PyErr {
    let exc = core_error_ref(py, &error);
    if let Ok(holder) = Py::new(py, StepErrorHolder(StepError::from(error))) {
        let _ = exc.value(py).setattr(HOLDER_ATTR, holder);
    }
    exc
}

/// How an exception raised by a step fails it.
fn step_error(py: Python<'_>, err: &PyErr) -> StepError {
    let value = err.value(py);
    if let Ok(holder) = value.getattr(HOLDER_ATTR) {
        if let Ok(holder) = holder.cast::<StepErrorHolder>() {
            return holder.get().0.clone();
        }
    }
    let message = value.str().map(|s| s.to_string()).unwrap_or_default();
    let is =
        |kind: Kind| errors::class(py, kind).is_ok_and(|c| value.is_instance(&c).unwrap_or(false));
    if is(Kind::Error) {
        let retryable = value
            .getattr("retryable")
            .and_then(|r| r.is_truthy())
            .unwrap_or(false);
        return if retryable {
            StepError::retryable(message)
        } else {
            StepError::permanent(message)
        };
    }
    StepError::permanent(format!("{}: {message}", type_name(value)))
}

/// `oncely.WorkflowError` (or a more precise class) for an engine error.
fn workflow_error(py: Python<'_>, error: WorkflowError) -> PyErr {
    let message = error.to_string();
    let (kind, run_id): (&str, Option<&str>) = match &error {
        WorkflowError::InvalidInput { what, why } => return errors::invalid(py, what, why),
        WorkflowError::Journal(_) => return errors::new_error(py, Kind::Store, &message, &[]),
        WorkflowError::InvalidDefinition { .. } => ("invalid_definition", None),
        WorkflowError::UnknownRun { run_id } => ("unknown_run", Some(run_id)),
        WorkflowError::UnknownWorkflow { run_id, .. } => ("unknown_workflow", Some(run_id)),
        WorkflowError::RunIdTaken { run_id, .. } => ("run_id_taken", Some(run_id)),
        WorkflowError::DefinitionChanged { run_id, .. } => ("definition_changed", Some(run_id)),
        WorkflowError::Leased { run_id, .. } => ("leased", Some(run_id)),
        WorkflowError::LeaseLost { run_id, .. } => ("lease_lost", Some(run_id)),
        WorkflowError::WrongState { run_id, .. } => ("wrong_state", Some(run_id)),
        WorkflowError::Interrupted { run_id, .. } => ("interrupted", Some(run_id)),
        WorkflowError::NoJournal { .. } => ("no_journal", None),
        _ => ("other", None),
    };
    let kind_obj = kind
        .into_pyobject(py)
        .map(|k| k.into_any().unbind())
        .unwrap_or_else(|_| py.None());
    let run_obj = run_id
        .and_then(|r| r.into_pyobject(py).ok())
        .map(|r| r.into_any().unbind())
        .unwrap_or_else(|| py.None());
    errors::new_error(
        py,
        Kind::Workflow,
        &message,
        &[("kind", kind_obj), ("run_id", run_obj)],
    )
}

impl From<WorkflowError> for Failure {
    fn from(e: WorkflowError) -> Self {
        Failure::Workflow(e)
    }
}

/// Makes [`Failure::Workflow`] an exception.
pub fn failure_to_pyerr(py: Python<'_>, error: WorkflowError) -> PyErr {
    workflow_error(py, error)
}

// ---------------------------------------------------------------- step context

/// What a step (or compensation) gets: its run, its idempotency key, the input
/// and the earlier outputs, and calls that carry the step's key.
#[pyclass(module = "oncely", name = "StepContext", frozen)]
pub struct PyStepContext {
    ctx: StepContext,
}

fn context_call(
    ctx: &StepContext,
    method: &str,
    path: String,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<oncely::RequestBuilder> {
    let spec = CallSpec::parse(method, path.clone(), kwargs)?;
    Ok(spec.apply(ctx.request(crate::request::method(method)?, path)))
}

#[pymethods]
impl PyStepContext {
    /// The run id.
    #[getter]
    fn run_id(&self) -> &str {
        self.ctx.run_id()
    }

    /// The workflow's name.
    #[getter]
    fn workflow(&self) -> &str {
        self.ctx.workflow()
    }

    /// The step's name.
    #[getter]
    fn step(&self) -> &str {
        self.ctx.step()
    }

    /// True inside a compensation.
    #[getter]
    fn is_compensation(&self) -> bool {
        self.ctx.is_compensation()
    }

    /// Which attempt this is (1 for the first, across processes).
    #[getter]
    fn attempt(&self) -> u32 {
        self.ctx.attempt()
    }

    /// The step's idempotency key (UUIDv5 of the run id and step name).
    #[getter]
    fn key(&self) -> &str {
        self.ctx.key()
    }

    /// A key derived from the step's key and `label` (for extra calls).
    fn key_for(&self, label: &str) -> String {
        self.ctx.key_for(label)
    }

    /// The run's input.
    #[getter]
    fn input(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let value: Value = self.ctx.input().map_err(|e| step_exception(py, e))?;
        json_to_py(py, &value)
    }

    /// The output of an earlier step (`StepError` if it has none).
    fn output(&self, py: Python<'_>, step: &str) -> PyResult<Py<PyAny>> {
        let value: Value = self.ctx.output(step).map_err(|e| step_exception(py, e))?;
        json_to_py(py, &value)
    }

    /// The output of this step (in a compensation: what is being undone).
    fn own_output(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let value: Value = self.ctx.own_output().map_err(|e| step_exception(py, e))?;
        json_to_py(py, &value)
    }

    /// A call with the step's key (keyword arguments as for `Client.request`).
    #[pyo3(signature = (method, path, **kwargs))]
    fn request(
        &self,
        py: Python<'_>,
        method: &str,
        path: String,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyResponse> {
        let builder = context_call(&self.ctx, method, path, kwargs)?;
        let response =
            runtime::block_on(py, async move { Ok::<_, Failure>(builder.send().await) })?;
        response.map(PyResponse::new).map_err(|e| call_error(py, e))
    }

    /// `GET` (carries no key).
    #[pyo3(signature = (path, **kwargs))]
    fn get(
        &self,
        py: Python<'_>,
        path: String,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyResponse> {
        self.request(py, "GET", path, kwargs)
    }

    /// `POST` with the step's key.
    #[pyo3(signature = (path, **kwargs))]
    fn post(
        &self,
        py: Python<'_>,
        path: String,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyResponse> {
        self.request(py, "POST", path, kwargs)
    }

    /// `PUT` with the step's key.
    #[pyo3(signature = (path, **kwargs))]
    fn put(
        &self,
        py: Python<'_>,
        path: String,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyResponse> {
        self.request(py, "PUT", path, kwargs)
    }

    /// `PATCH` with the step's key.
    #[pyo3(signature = (path, **kwargs))]
    fn patch(
        &self,
        py: Python<'_>,
        path: String,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyResponse> {
        self.request(py, "PATCH", path, kwargs)
    }

    /// `DELETE` with the step's key.
    #[pyo3(signature = (path, **kwargs))]
    fn delete(
        &self,
        py: Python<'_>,
        path: String,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyResponse> {
        self.request(py, "DELETE", path, kwargs)
    }

    /// Starts a long-running operation with the step's key; an operation step
    /// returns it.
    #[pyo3(signature = (method, path, **kwargs))]
    fn request_operation(
        &self,
        py: Python<'_>,
        method: &str,
        path: String,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyOperation> {
        let builder = context_call(&self.ctx, method, path, kwargs)?;
        let op = runtime::block_on(py, async move {
            Ok::<_, Failure>(builder.send_operation::<Value>().await)
        })?;
        let op = op.map_err(|e| call_error(py, e))?;
        Ok(PyOperation::new(self.ctx.client().clone(), op, None))
    }

    /// Like `request`, as a coroutine.
    #[pyo3(signature = (method, path, **kwargs))]
    fn arequest<'py>(
        &self,
        py: Python<'py>,
        method: &str,
        path: String,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let builder = context_call(&self.ctx, method, path, kwargs)?;
        aio::into_awaitable(py, async move {
            builder
                .send()
                .await
                .map(PyResponse::new)
                .map_err(Failure::Step)
        })
    }

    /// Like `request_operation`, as a coroutine.
    #[pyo3(signature = (method, path, **kwargs))]
    fn arequest_operation<'py>(
        &self,
        py: Python<'py>,
        method: &str,
        path: String,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let builder = context_call(&self.ctx, method, path, kwargs)?;
        let client = self.ctx.client().clone();
        aio::into_awaitable(py, async move {
            let op = builder
                .send_operation::<Value>()
                .await
                .map_err(Failure::Step)?;
            Ok(PyAsyncOperation::new(client, op, None))
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "<oncely.StepContext {}:{} run={} attempt={}>",
            self.ctx.workflow(),
            self.ctx.step(),
            self.ctx.run_id(),
            self.ctx.attempt()
        )
    }
}

/// `oncely.StepError` for a step error raised by the context itself.
fn step_exception(py: Python<'_>, error: StepError) -> PyErr {
    let retryable = error.kind() == oncely::workflow::StepErrorKind::Retryable;
    let exc = errors::class(py, Kind::Step).and_then(|c| c.call1((error.to_string(), retryable)));
    match exc {
        Ok(exc) => {
            if let Ok(holder) = Py::new(py, StepErrorHolder(error)) {
                let _ = exc.setattr(HOLDER_ATTR, holder);
            }
            PyErr::from_value(exc)
        }
        Err(e) => e,
    }
}

/// The exception of a failed context call made from a coroutine, carrying
/// the core's step classification.
pub fn step_call_error(py: Python<'_>, error: oncely::Error) -> PyErr {
    call_error(py, error)
}

// ---------------------------------------------------------------- invoking steps

/// What a step function produced.
enum Produced {
    Output(Value),
    Token(String),
}

/// The outcome of calling the function: a value, or a coroutine to await.
enum Called {
    Done(Result<Produced, StepError>),
    Awaiting(Py<PyAny>),
}

fn produced(py: Python<'_>, value: &Bound<'_, PyAny>) -> Result<Produced, StepError> {
    if let Ok(op) = value.cast::<PyOperation>() {
        return Ok(Produced::Token(op.get().token()));
    }
    if let Ok(op) = value.cast::<PyAsyncOperation>() {
        return Ok(Produced::Token(op.get().token()));
    }
    if let Ok(response) = value.cast::<PyResponse>() {
        return response
            .get()
            .json_value()
            .map(Produced::Output)
            .map_err(StepError::from);
    }
    py_to_json(value, "step output")
        .map(Produced::Output)
        .map_err(|e| {
            StepError::permanent(format!(
                "the step's return value cannot be journaled: {}",
                e.value(py)
            ))
        })
}

fn is_awaitable(value: &Bound<'_, PyAny>) -> bool {
    value.hasattr("__await__").unwrap_or(false)
}

/// Calls `function(ctx)` on this (blocking) thread; without an event loop a
/// coroutine is run to its end with `asyncio.run`.
fn call_function(function: &Py<PyAny>, ctx: StepContext, in_loop: bool) -> Called {
    let outcome = with_gil(|py| -> Called {
        let result = Py::new(py, PyStepContext { ctx }).and_then(|c| function.bind(py).call1((c,)));
        let result = match result {
            Ok(r) if is_awaitable(&r) && in_loop => return Called::Awaiting(r.unbind()),
            Ok(r) if is_awaitable(&r) => py
                .import("asyncio")
                .and_then(|a| a.call_method1("run", (r,))),
            other => other,
        };
        Called::Done(match result {
            Ok(value) => produced(py, &value),
            Err(err) => Err(step_error(py, &err)),
        })
    });
    outcome.unwrap_or_else(|| {
        Called::Done(Err(StepError::retryable(
            "the interpreter is shutting down",
        )))
    })
}

/// Runs one step function to its end and returns what it produced.
async fn invoke(function: Arc<Py<PyAny>>, ctx: StepContext) -> Result<Produced, StepError> {
    let event_loop = EVENT_LOOP.try_with(Clone::clone).ok();
    let in_loop = event_loop.is_some();
    let called = tokio::task::spawn_blocking(move || call_function(&function, ctx, in_loop))
        .await
        .map_err(|e| StepError::permanent(format!("the step function panicked: {e}")))?;
    let awaitable = match called {
        Called::Done(result) => return result,
        Called::Awaiting(awaitable) => awaitable,
    };
    let Some(locals) = event_loop else {
        return Err(StepError::permanent("a coroutine step needs an event loop"));
    };
    let future = with_gil(|py| {
        pyo3_async_runtimes::into_future_with_locals(&locals, awaitable.into_bound(py))
    })
    .ok_or_else(|| StepError::retryable("the interpreter is shutting down"))?
    .map_err(|e| {
        with_gil(|py| step_error(py, &e)).unwrap_or_else(|| StepError::permanent("step failed"))
    })?;
    let result = future.await;
    with_gil(|py| match result {
        Ok(value) => produced(py, value.bind(py)),
        Err(err) => Err(step_error(py, &err)),
    })
    .unwrap_or_else(|| Err(StepError::retryable("the interpreter is shutting down")))
}

// ---------------------------------------------------------------- workflow definition

struct StepSpec {
    name: String,
    operation: bool,
    action: Py<PyAny>,
    compensation: Option<Py<PyAny>>,
}

/// A workflow (saga): named steps, each a Python callable taking a
/// `StepContext`, with optional compensations.
#[pyclass(module = "oncely", name = "Workflow")]
pub struct PyWorkflow {
    name: String,
    steps: Vec<StepSpec>,
    action_retry: Option<oncely::RetryPolicy>,
    compensation_retry: Option<oncely::RetryPolicy>,
    built: Option<Workflow>,
}

/// Registers the decorated function as a step (`@workflow.step("name")`).
#[pyclass(module = "oncely._native", name = "_StepDecorator")]
struct StepDecorator {
    workflow: Py<PyWorkflow>,
    name: String,
    operation: bool,
    compensate: Option<Py<PyAny>>,
}

#[pymethods]
impl StepDecorator {
    fn __call__(&mut self, py: Python<'_>, function: Py<PyAny>) -> PyResult<Py<PyAny>> {
        let mut workflow = self.workflow.borrow_mut(py);
        let compensate = self.compensate.take();
        workflow.add(
            py,
            self.name.clone(),
            self.operation,
            function.clone_ref(py),
            compensate,
        )?;
        Ok(function)
    }
}

impl PyWorkflow {
    fn add(
        &mut self,
        py: Python<'_>,
        name: String,
        operation: bool,
        action: Py<PyAny>,
        compensation: Option<Py<PyAny>>,
    ) -> PyResult<()> {
        if self.built.is_some() {
            return Err(errors::invalid(
                py,
                &format!("workflow {:?}", self.name),
                "steps cannot be added after it first ran",
            ));
        }
        for f in std::iter::once(&action).chain(compensation.iter()) {
            if !f.bind(py).is_callable() {
                return Err(PyTypeError::new_err(format!(
                    "step {name:?}: expected a callable taking a StepContext, not {}",
                    type_name(f.bind(py))
                )));
            }
        }
        self.steps.push(StepSpec {
            name,
            operation,
            action,
            compensation,
        });
        Ok(())
    }

    fn decorate(
        slf: &Bound<'_, Self>,
        name: String,
        operation: bool,
        action: Option<Py<PyAny>>,
        compensate: Option<Py<PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        match action {
            Some(action) => {
                slf.borrow_mut()
                    .add(py, name, operation, action.clone_ref(py), compensate)?;
                Ok(action)
            }
            None => Ok(Py::new(
                py,
                StepDecorator {
                    workflow: slf.clone().unbind(),
                    name,
                    operation,
                    compensate,
                },
            )?
            .into_any()),
        }
    }

    /// The core definition (built on first use; frozen afterwards).
    pub fn definition(&mut self, py: Python<'_>) -> PyResult<Workflow> {
        if let Some(built) = &self.built {
            return Ok(built.clone());
        }
        let mut builder = Workflow::builder(self.name.clone());
        for step in &self.steps {
            let action = Arc::new(step.action.clone_ref(py));
            builder = if step.operation {
                builder.operation_step(step.name.clone(), move |ctx: StepContext| {
                    let action = action.clone();
                    async move {
                        let client = ctx.client().clone();
                        match invoke(action, ctx).await? {
                            Produced::Token(token) => Ok(oncely::Operation::<Value>::resume(&client, &token)?),
                            Produced::Output(_) => Err(StepError::permanent(
                                "an operation step must return an Operation (ctx.request_operation(...))",
                            )),
                        }
                    }
                })
            } else {
                builder.step(step.name.clone(), move |ctx: StepContext| {
                    let action = action.clone();
                    async move {
                        match invoke(action, ctx).await? {
                            Produced::Output(value) => Ok(value),
                            Produced::Token(token) => Ok(Value::String(token)),
                        }
                    }
                })
            };
            if let Some(compensation) = &step.compensation {
                let compensation = Arc::new(compensation.clone_ref(py));
                builder = builder.compensate(move |ctx: StepContext| {
                    let compensation = compensation.clone();
                    async move { invoke(compensation, ctx).await.map(drop) }
                });
            }
        }
        if let Some(policy) = &self.action_retry {
            builder = builder.action_retry(policy.clone());
        }
        if let Some(policy) = &self.compensation_retry {
            builder = builder.compensation_retry(policy.clone());
        }
        let built = builder.build().map_err(|e| workflow_error(py, e))?;
        self.built = Some(built.clone());
        Ok(built)
    }
}

#[pymethods]
impl PyWorkflow {
    #[new]
    #[pyo3(signature = (name, *, action_retry=None, compensation_retry=None))]
    fn new(
        name: String,
        action_retry: Option<&Bound<'_, PyAny>>,
        compensation_retry: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        Ok(PyWorkflow {
            name,
            steps: Vec::new(),
            action_retry: action_retry.map(retry_arg).transpose()?,
            compensation_retry: compensation_retry.map(retry_arg).transpose()?,
            built: None,
        })
    }

    /// Adds a step: `workflow.step("name", function, compensate=undo)`, or as
    /// a decorator `@workflow.step("name", compensate=undo)`. The function
    /// gets a `StepContext` and returns the step's output (JSON-able).
    #[pyo3(signature = (name, action=None, *, compensate=None))]
    fn step(
        slf: &Bound<'_, Self>,
        name: String,
        action: Option<Py<PyAny>>,
        compensate: Option<Py<PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        Self::decorate(slf, name, false, action, compensate)
    }

    /// Adds a step that starts a `202` operation and returns the `Operation`
    /// (from `ctx.request_operation`); its output is the operation's result.
    #[pyo3(signature = (name, submit=None, *, compensate=None))]
    fn operation_step(
        slf: &Bound<'_, Self>,
        name: String,
        submit: Option<Py<PyAny>>,
        compensate: Option<Py<PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        Self::decorate(slf, name, true, submit, compensate)
    }

    /// The workflow's name.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// The step names, in order.
    #[getter]
    fn step_names(&self) -> Vec<String> {
        self.steps.iter().map(|s| s.name.clone()).collect()
    }

    /// The fingerprint of the step list (names and order), as the journal keeps it.
    #[getter]
    fn fingerprint(&mut self, py: Python<'_>) -> PyResult<String> {
        Ok(self.definition(py)?.fingerprint().to_string())
    }

    /// Runs the workflow on `client`'s store: shorthand for
    /// `WorkflowEngine(client).start(self, input, run_id=run_id)`.
    #[pyo3(signature = (client, input=None, *, run_id=None))]
    fn run(
        slf: &Bound<'_, Self>,
        client: &Bound<'_, PyAny>,
        input: Option<&Bound<'_, PyAny>>,
        run_id: Option<String>,
    ) -> PyResult<PyRunOutcome> {
        let py = slf.py();
        let engine = PyWorkflowEngine::create(py, client, None, None)?;
        engine.register_workflow(slf)?;
        engine.start(py, slf, input, run_id)
    }

    fn __repr__(&self) -> String {
        format!(
            "<oncely.Workflow {} steps={:?}>",
            self.name,
            self.step_names()
        )
    }
}

// ---------------------------------------------------------------- outcomes

/// Where a run ended: `completed`, `compensated` or `needs_attention`.
#[pyclass(module = "oncely", name = "RunOutcome", frozen, get_all)]
pub struct PyRunOutcome {
    /// The run id.
    run_id: String,
    /// The workflow's name.
    workflow: String,
    /// `"completed"`, `"compensated"` or `"needs_attention"`.
    state: String,
    /// The outputs of the steps that succeeded, by step name.
    outputs: Py<PyAny>,
    /// The failure that made the run compensate (JSON), if any.
    error: Py<PyAny>,
}

impl<'py> IntoPyObject<'py> for RunOutcomeValue {
    type Target = PyRunOutcome;
    type Output = Bound<'py, PyRunOutcome>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyRunOutcome>> {
        Bound::new(py, outcome_to_py(py, self.0)?)
    }
}

/// A run outcome on its way to Python.
pub struct RunOutcomeValue(RunOutcome);

fn outcome_to_py(py: Python<'_>, outcome: RunOutcome) -> PyResult<PyRunOutcome> {
    let outputs = serde_json::to_value(&outcome.outputs).unwrap_or(Value::Null);
    Ok(PyRunOutcome {
        run_id: outcome.run_id,
        workflow: outcome.workflow,
        state: outcome.state.to_string(),
        outputs: json_to_py(py, &outputs)?,
        error: json_to_py(py, &outcome.error.unwrap_or(Value::Null))?,
    })
}

#[pymethods]
impl PyRunOutcome {
    /// True when every step succeeded.
    #[getter]
    fn completed(&self) -> bool {
        self.state == "completed"
    }

    fn __repr__(&self) -> String {
        format!(
            "<oncely.RunOutcome {} {}: {}>",
            self.workflow, self.run_id, self.state
        )
    }
}

/// A JSON value on its way to Python.
pub struct JsonValue(Value);

impl<'py> IntoPyObject<'py> for JsonValue {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(json_to_py(py, &self.0)?.into_bound(py))
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

// ---------------------------------------------------------------- engine

/// Drives workflow runs through the journal of a client's store.
#[pyclass(module = "oncely", name = "WorkflowEngine", frozen)]
pub struct PyWorkflowEngine {
    engine: std::sync::Mutex<Engine>,
}

fn core_client(client: &Bound<'_, PyAny>) -> PyResult<oncely::Client> {
    if let Ok(c) = client.cast::<PyClient>() {
        return Ok(c.get().inner.clone());
    }
    if let Ok(c) = client.cast::<PyAsyncClient>() {
        return Ok(c.get().inner.clone());
    }
    Err(PyTypeError::new_err(format!(
        "expected an oncely.Client or oncely.AsyncClient, not {}",
        type_name(client)
    )))
}

fn run_filter(
    py: Python<'_>,
    states: Option<Vec<String>>,
    workflow: Option<String>,
    limit: Option<usize>,
) -> PyResult<RunFilter> {
    let states = states
        .unwrap_or_default()
        .into_iter()
        .map(|s| {
            serde_json::from_value::<RunState>(Value::String(s.clone()))
                .map_err(|_| errors::invalid(py, "states", &format!("{s:?} is not a run state")))
        })
        .collect::<PyResult<Vec<_>>>()?;
    Ok(RunFilter {
        states,
        workflow,
        limit,
    })
}

impl PyWorkflowEngine {
    fn create(
        py: Python<'_>,
        client: &Bound<'_, PyAny>,
        owner: Option<String>,
        lease: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut engine =
            Engine::for_client(core_client(client)?).map_err(|e| workflow_error(py, e))?;
        if let Some(owner) = owner {
            engine = engine.owner(owner);
        }
        if let Some(lease) = lease {
            engine = engine.lease(positive(lease, "lease")?);
        }
        Ok(PyWorkflowEngine {
            engine: std::sync::Mutex::new(engine),
        })
    }

    fn current(&self) -> Engine {
        match self.engine.lock() {
            Ok(e) => e.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn register_workflow(&self, workflow: &Bound<'_, PyWorkflow>) -> PyResult<Workflow> {
        let definition = workflow.borrow_mut().definition(workflow.py())?;
        if let Ok(mut engine) = self.engine.lock() {
            *engine = engine.clone().register(definition.clone());
        }
        Ok(definition)
    }

    fn input_value(input: Option<&Bound<'_, PyAny>>) -> PyResult<Value> {
        input
            .map(|i| py_to_json(i, "input"))
            .transpose()
            .map(|v| v.unwrap_or(Value::Null))
    }

    fn locals(py: Python<'_>) -> PyResult<TaskLocals> {
        pyo3_async_runtimes::tokio::get_current_locals(py)
    }
}

#[pymethods]
impl PyWorkflowEngine {
    /// An engine journaling into `client`'s store (`Client` or `AsyncClient`).
    /// `owner`: this worker's id for leases (default: random); `lease`: seconds.
    #[new]
    #[pyo3(signature = (client, *, owner=None, lease=None))]
    fn new(
        py: Python<'_>,
        client: &Bound<'_, PyAny>,
        owner: Option<String>,
        lease: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        Self::create(py, client, owner, lease)
    }

    /// Makes `workflow` known by name, for `resume`, `retry` and `work`.
    fn register(&self, workflow: &Bound<'_, PyWorkflow>) -> PyResult<()> {
        self.register_workflow(workflow).map(drop)
    }

    /// Starts a run (or continues the run with this id) and drives it to its
    /// end. `run_id`: a business key (an order number) or `None` for a UUID.
    #[pyo3(signature = (workflow, input=None, *, run_id=None))]
    fn start(
        &self,
        py: Python<'_>,
        workflow: &Bound<'_, PyWorkflow>,
        input: Option<&Bound<'_, PyAny>>,
        run_id: Option<String>,
    ) -> PyResult<PyRunOutcome> {
        let definition = self.register_workflow(workflow)?;
        let input = Self::input_value(input)?;
        let engine = self.current();
        let outcome = runtime::block_on(py, async move {
            Ok(engine.start(&definition, run_id.as_deref(), &input).await?)
        })?;
        outcome_to_py(py, outcome)
    }

    /// Continues a run after a crash (its workflow must be registered).
    fn resume(&self, py: Python<'_>, run_id: String) -> PyResult<PyRunOutcome> {
        let engine = self.current();
        let outcome = runtime::block_on(py, async move { Ok(engine.resume(&run_id).await?) })?;
        outcome_to_py(py, outcome)
    }

    /// Sends a parked (`needs_attention`) run back to compensation and drives it.
    fn retry(&self, py: Python<'_>, run_id: String) -> PyResult<PyRunOutcome> {
        let engine = self.current();
        let outcome = runtime::block_on(py, async move { Ok(engine.retry(&run_id).await?) })?;
        outcome_to_py(py, outcome)
    }

    /// One run with its steps and history, as a dict (no definition needed).
    fn show(&self, py: Python<'_>, run_id: String) -> PyResult<Py<PyAny>> {
        let engine = self.current();
        let details = runtime::block_on(py, async move { Ok(engine.show_run(&run_id).await?) })?;
        json_to_py(py, &to_json(&details))
    }

    /// One run as a readable report (steps, keys, timings, errors, history).
    fn describe(&self, py: Python<'_>, run_id: String) -> PyResult<String> {
        let engine = self.current();
        let details = runtime::block_on(py, async move { Ok(engine.show_run(&run_id).await?) })?;
        Ok(details.render())
    }

    /// Runs, newest first, as dicts; `states` e.g. `["needs_attention"]`.
    #[pyo3(signature = (*, states=None, workflow=None, limit=None))]
    fn list_runs(
        &self,
        py: Python<'_>,
        states: Option<Vec<String>>,
        workflow: Option<String>,
        limit: Option<usize>,
    ) -> PyResult<Py<PyAny>> {
        let filter = run_filter(py, states, workflow, limit)?;
        let engine = self.current();
        let runs = runtime::block_on(py, async move { Ok(engine.list_runs(&filter).await?) })?;
        json_to_py(py, &to_json(&runs))
    }

    /// Works through pending runs of the registered workflows (`concurrency`
    /// at once); with `stop_when_idle` it returns when none is left. Returns
    /// counts: `completed`, `compensated`, `parked`, `errors`.
    #[pyo3(signature = (*, concurrency=1, idle_poll=0.1, stop_when_idle=true))]
    fn work(
        &self,
        py: Python<'_>,
        concurrency: usize,
        idle_poll: f64,
        stop_when_idle: bool,
    ) -> PyResult<Py<PyAny>> {
        let idle = crate::convert::seconds(idle_poll, "idle_poll")?;
        let engine = self.current();
        let stats = runtime::block_on(py, async move {
            Ok(engine
                .work(concurrency.max(1), idle, stop_when_idle)
                .await?)
        })?;
        let value = serde_json::json!({
            "completed": stats.completed, "compensated": stats.compensated,
            "parked": stats.parked, "errors": stats.errors,
        });
        json_to_py(py, &value)
    }

    /// Like `start`, as a coroutine: coroutine steps run on this event loop.
    #[pyo3(signature = (workflow, input=None, *, run_id=None))]
    fn astart<'py>(
        &self,
        py: Python<'py>,
        workflow: &Bound<'py, PyWorkflow>,
        input: Option<&Bound<'py, PyAny>>,
        run_id: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let definition = self.register_workflow(workflow)?;
        let input = Self::input_value(input)?;
        let engine = self.current();
        let locals = Self::locals(py)?;
        aio::into_awaitable(
            py,
            EVENT_LOOP.scope(locals, async move {
                Ok(RunOutcomeValue(
                    engine.start(&definition, run_id.as_deref(), &input).await?,
                ))
            }),
        )
    }

    /// Like `resume`, as a coroutine.
    fn aresume<'py>(&self, py: Python<'py>, run_id: String) -> PyResult<Bound<'py, PyAny>> {
        let engine = self.current();
        let locals = Self::locals(py)?;
        aio::into_awaitable(
            py,
            EVENT_LOOP.scope(locals, async move {
                Ok(RunOutcomeValue(engine.resume(&run_id).await?))
            }),
        )
    }

    /// Like `show`, as a coroutine.
    fn ashow<'py>(&self, py: Python<'py>, run_id: String) -> PyResult<Bound<'py, PyAny>> {
        let engine = self.current();
        aio::into_awaitable(py, async move {
            Ok(JsonValue(to_json(&engine.show_run(&run_id).await?)))
        })
    }

    /// Like `list_runs`, as a coroutine.
    #[pyo3(signature = (*, states=None, workflow=None, limit=None))]
    fn alist_runs<'py>(
        &self,
        py: Python<'py>,
        states: Option<Vec<String>>,
        workflow: Option<String>,
        limit: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let filter = run_filter(py, states, workflow, limit)?;
        let engine = self.current();
        aio::into_awaitable(py, async move {
            Ok(JsonValue(to_json(&engine.list_runs(&filter).await?)))
        })
    }

    /// This worker's id (for leases).
    #[getter]
    fn owner(&self) -> String {
        self.current().owner_id().to_string()
    }

    /// The registered workflows' names.
    #[getter]
    fn workflows(&self) -> Vec<String> {
        self.current().workflow_names()
    }

    fn __repr__(&self) -> String {
        format!(
            "<oncely.WorkflowEngine owner={} workflows={:?}>",
            self.owner(),
            self.workflows()
        )
    }
}
