//! `oncely.ArazzoWorkflow` and `oncely.ArazzoOutcome`: a workflow of an
//! Arazzo 1.0 document, loaded, checked and compiled by the shared layer
//! (`oncely_bindings_common::arazzo`), run on a `WorkflowEngine` like any
//! other workflow: journaled step by step, every write keyed, resumable.

use std::collections::BTreeMap;
use std::path::PathBuf;

use oncely::arazzo::{ArazzoRunError, ArazzoWorkflow};
use oncely_bindings_common::arazzo::{compile, OutcomeView, WorkflowSource};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use serde_json::Value;

use super::engine::PyWorkflowEngine;
use crate::aio;
use crate::convert::{json_to_py, py_to_json, type_name};
use crate::errors::{self, Failure, Kind};
use crate::runtime;

/// One workflow of an Arazzo document, compiled for the engine.
#[pyclass(module = "oncely", name = "ArazzoWorkflow", frozen)]
pub struct PyArazzoWorkflow {
    flow: ArazzoWorkflow,
}

/// Where a run of an Arazzo workflow ended.
#[pyclass(module = "oncely", name = "ArazzoOutcome", frozen, get_all)]
pub struct PyArazzoOutcome {
    /// The run id.
    run_id: String,
    /// The workflow (its `workflowId`).
    workflow: String,
    /// `"completed"`, `"compensated"` or `"needs_attention"`.
    state: String,
    /// True when the workflow completed.
    completed: bool,
    /// The workflow's `outputs` (empty unless completed).
    outputs: Py<PyAny>,
    /// Each journaled step's outputs, by step name.
    step_outputs: Py<PyAny>,
    /// The step whose failure ended the run, if any.
    failed_step: Option<String>,
    /// The failure that made the run compensate (JSON), if any.
    error: Py<PyAny>,
}

/// An Arazzo outcome on its way to Python.
struct OutcomeValue(OutcomeView);

impl<'py> IntoPyObject<'py> for OutcomeValue {
    type Target = PyArazzoOutcome;
    type Output = Bound<'py, PyArazzoOutcome>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyArazzoOutcome>> {
        let view = self.0;
        let object = |map| json_to_py(py, &Value::Object(map));
        Bound::new(
            py,
            PyArazzoOutcome {
                outputs: object(view.outputs)?,
                step_outputs: object(view.step_outputs)?,
                error: json_to_py(py, &view.error.unwrap_or(Value::Null))?,
                run_id: view.run_id,
                workflow: view.workflow,
                state: view.state,
                completed: view.completed,
                failed_step: view.failed_step,
            },
        )
    }
}

#[pymethods]
impl PyArazzoOutcome {
    fn __repr__(&self) -> String {
        format!(
            "<oncely.ArazzoOutcome {} {}: {}>",
            self.workflow, self.run_id, self.state
        )
    }
}

/// A run that could not be driven, as its exception.
fn run_failure(error: ArazzoRunError) -> Failure {
    match error {
        ArazzoRunError::Workflow(e) => Failure::from(e),
        ArazzoRunError::Output(e) => {
            let message = format!("a workflow output could not be evaluated: {e}");
            Failure::Render(Box::new(move |py| {
                let kind = "output".into_pyobject(py).map(|k| k.into_any().unbind());
                errors::new_error(
                    py,
                    Kind::Workflow,
                    &message,
                    &[("kind", kind.unwrap_or_else(|_| py.None()))],
                )
            }))
        }
    }
}

/// A `Mapping[str, str]` argument (any mapping, not only a dict).
fn str_map(value: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<BTreeMap<String, String>> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(BTreeMap::new());
    };
    let py = value.py();
    let items = value
        .call_method0(pyo3::intern!(py, "items"))
        .map_err(|_| {
            PyTypeError::new_err(format!(
                "{what}: expected a mapping of str to str, not {}",
                type_name(value)
            ))
        })?;
    let mut map = BTreeMap::new();
    for item in items.try_iter()? {
        let (key, text): (String, String) = item?.extract().map_err(|_| {
            PyTypeError::new_err(format!("{what}: every key and value must be a str"))
        })?;
        map.insert(key, text);
    }
    Ok(map)
}

fn inputs_value(inputs: Option<&Bound<'_, PyAny>>) -> PyResult<Value> {
    match inputs {
        Some(inputs) if !inputs.is_none() => py_to_json(inputs, "inputs"),
        _ => Ok(Value::Object(Default::default())),
    }
}

impl PyArazzoWorkflow {
    fn compiled(
        py: Python<'_>,
        source: WorkflowSource<'_>,
        workflow_id: &str,
        servers: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let servers = str_map(servers, "servers")?;
        let flow = runtime::shield(py, || {
            compile(source, workflow_id, &servers)
                .map_err(|e| errors::core_error(py, e.into_error()))
        })?;
        Ok(PyArazzoWorkflow { flow })
    }
}

#[pymethods]
impl PyArazzoWorkflow {
    /// Loads the Arazzo file at `path` (its local source descriptions are
    /// read relative to it), checks it and compiles the workflow
    /// `workflow_id`. `servers`: source description name → base URL (a
    /// source without one uses the client's base URL). Raises
    /// `InvalidInputError` naming the JSON pointer of every problem.
    #[staticmethod]
    #[pyo3(signature = (path, workflow_id, *, servers=None))]
    fn load(
        py: Python<'_>,
        path: PathBuf,
        workflow_id: &str,
        servers: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        Self::compiled(py, WorkflowSource::Path(&path), workflow_id, servers)
    }

    /// Like `load`, from the document's text: `openapi` maps each source
    /// description's name to its OpenAPI text (JSON or YAML);
    /// `document_name` names the document in messages.
    #[staticmethod]
    #[pyo3(signature = (document, workflow_id, *, openapi, servers=None, document_name="workflow.arazzo.yaml"))]
    fn from_document(
        py: Python<'_>,
        document: &str,
        workflow_id: &str,
        openapi: &Bound<'_, PyAny>,
        servers: Option<&Bound<'_, PyAny>>,
        document_name: &str,
    ) -> PyResult<Self> {
        let openapi = str_map(Some(openapi), "openapi")?;
        let source = WorkflowSource::Text {
            document,
            name: document_name,
            sources: &openapi,
        };
        Self::compiled(py, source, workflow_id, servers)
    }

    /// The workflow's `workflowId` (also its name on the engine).
    #[getter]
    fn workflow_id(&self) -> String {
        self.flow.workflow_id().to_owned()
    }

    /// The Arazzo steps, in document order.
    #[getter]
    fn step_ids(&self) -> Vec<String> {
        self.flow.step_ids().to_vec()
    }

    /// Registers the workflow with `engine`, so `engine.resume(run_id)` and
    /// `engine.work()` drive its runs.
    fn register(&self, engine: &PyWorkflowEngine) {
        engine.register_definition(self.flow.workflow().clone());
    }

    /// Starts a run with `inputs` (or continues the run `run_id`) on
    /// `engine` and drives it to its end; the workflow is registered first.
    #[pyo3(signature = (engine, inputs=None, *, run_id=None))]
    fn run<'py>(
        &self,
        py: Python<'py>,
        engine: &PyWorkflowEngine,
        inputs: Option<&Bound<'py, PyAny>>,
        run_id: Option<String>,
    ) -> PyResult<Bound<'py, PyArazzoOutcome>> {
        let inputs = inputs_value(inputs)?;
        self.register(engine);
        let (flow, engine) = (self.flow.clone(), engine.current());
        let view = runtime::block_on(py, async move {
            let outcome = flow
                .start(&engine, run_id.as_deref(), &inputs)
                .await
                .map_err(run_failure)?;
            Ok(OutcomeView::from(outcome))
        })?;
        OutcomeValue(view).into_pyobject(py)
    }

    /// Like `run`, as a coroutine.
    #[pyo3(signature = (engine, inputs=None, *, run_id=None))]
    fn arun<'py>(
        &self,
        py: Python<'py>,
        engine: &PyWorkflowEngine,
        inputs: Option<&Bound<'py, PyAny>>,
        run_id: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inputs = inputs_value(inputs)?;
        self.register(engine);
        let (flow, engine) = (self.flow.clone(), engine.current());
        aio::into_awaitable(py, async move {
            let outcome = flow
                .start(&engine, run_id.as_deref(), &inputs)
                .await
                .map_err(run_failure)?;
            Ok(OutcomeValue(OutcomeView::from(outcome)))
        })
    }

    /// Continues the run `run_id` after a crash (finished steps are not
    /// sent again) and drives it to its end.
    fn resume<'py>(
        &self,
        py: Python<'py>,
        engine: &PyWorkflowEngine,
        run_id: String,
    ) -> PyResult<Bound<'py, PyArazzoOutcome>> {
        let (flow, engine) = (self.flow.clone(), engine.current());
        let view = runtime::block_on(py, async move {
            let outcome = flow.resume(&engine, &run_id).await.map_err(run_failure)?;
            Ok(OutcomeView::from(outcome))
        })?;
        OutcomeValue(view).into_pyobject(py)
    }

    /// Like `resume`, as a coroutine.
    fn aresume<'py>(
        &self,
        py: Python<'py>,
        engine: &PyWorkflowEngine,
        run_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (flow, engine) = (self.flow.clone(), engine.current());
        aio::into_awaitable(py, async move {
            let outcome = flow.resume(&engine, &run_id).await.map_err(run_failure)?;
            Ok(OutcomeValue(OutcomeView::from(outcome)))
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "<oncely.ArazzoWorkflow {} steps={:?}>",
            self.workflow_id(),
            self.step_ids()
        )
    }
}
