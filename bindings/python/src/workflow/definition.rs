//! `oncely.Workflow`: named steps and compensations (Python callables)
//! turned into the core's workflow definition.

use std::sync::Arc;

use oncely::workflow::{StepContext, StepError, Workflow};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use serde_json::Value;

use super::engine::PyWorkflowEngine;
use super::failure::workflow_error;
use super::invoke::{invoke, Produced};
use super::outcome::PyRunOutcome;
use crate::convert::type_name;
use crate::errors;
use crate::options::retry_arg;

/// A `retry=` argument of a workflow as the core policy.
fn retry_policy(value: &Bound<'_, PyAny>) -> PyResult<oncely::RetryPolicy> {
    retry_arg(value)?.policy().map_err(errors::spec_error)
}

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
            action_retry: action_retry.map(retry_policy).transpose()?,
            compensation_retry: compensation_retry.map(retry_policy).transpose()?,
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
