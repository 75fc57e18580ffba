//! `oncely.RunOutcome` and run documents (`show`, `list_runs`) as Python values.

use oncely::workflow::RunOutcome;
use pyo3::prelude::*;
use serde_json::Value;

use crate::convert::json_to_py;

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
pub struct RunOutcomeValue(pub RunOutcome);

pub(super) fn outcome_to_py(py: Python<'_>, outcome: RunOutcome) -> PyResult<PyRunOutcome> {
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
pub struct JsonValue(pub Value);

impl<'py> IntoPyObject<'py> for JsonValue {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(json_to_py(py, &self.0)?.into_bound(py))
    }
}

pub(super) fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}
