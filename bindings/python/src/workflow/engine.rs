//! `oncely.WorkflowEngine`: starts, resumes, inspects and works through runs
//! on the client's journal, blocking or as coroutines.

use oncely::store::{RunFilter, RunState};
use oncely::workflow::{Engine, Workflow};
use oncely_bindings_common::{positive, Opt, Unit};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3_async_runtimes::TaskLocals;
use serde_json::Value;

use super::definition::PyWorkflow;
use super::failure::workflow_error;
use super::outcome::{outcome_to_py, to_json, JsonValue, PyRunOutcome, RunOutcomeValue};
use super::EVENT_LOOP;
use crate::aio;
use crate::client::{PyAsyncClient, PyClient};
use crate::convert::{json_to_py, py_to_json, type_name};
use crate::errors;
use crate::options::duration;
use crate::runtime;

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
    pub(super) fn create(
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
            let lease = duration(lease, Opt::Lease)?;
            engine = engine.lease(positive(lease, Opt::Lease).map_err(errors::spec_error)?);
        }
        Ok(PyWorkflowEngine {
            engine: std::sync::Mutex::new(engine),
        })
    }

    /// The engine as it is now (registrations included).
    pub(super) fn current(&self) -> Engine {
        match self.engine.lock() {
            Ok(e) => e.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Makes a compiled core workflow known by name (an Arazzo workflow's).
    pub(super) fn register_definition(&self, definition: Workflow) {
        if let Ok(mut engine) = self.engine.lock() {
            *engine = engine.clone().register(definition);
        }
    }

    pub(super) fn register_workflow(&self, workflow: &Bound<'_, PyWorkflow>) -> PyResult<Workflow> {
        let definition = workflow.borrow_mut().definition(workflow.py())?;
        self.register_definition(definition.clone());
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
    pub(super) fn start(
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
        let idle = Unit::Seconds
            .duration(idle_poll, Opt::IdlePoll)
            .map_err(errors::spec_error)?;
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
