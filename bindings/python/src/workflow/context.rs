//! `oncely.StepContext`: a step's run, key, input and earlier outputs, and
//! calls that carry the step's key (the verbs are shared with `Client`).

use oncely::workflow::StepContext;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::Value;

use super::failure::{call_error, step_call_failure, step_exception};
use crate::aio;
use crate::convert::json_to_py;
use crate::errors::Failure;
use crate::operation::{PyAsyncOperation, PyOperation};
use crate::request::Call;
use crate::response::PyResponse;
use crate::runtime;
use crate::verbs::pymethods_with_verbs;

/// What a step (or compensation) gets: its run, its idempotency key, the input
/// and the earlier outputs, and calls that carry the step's key.
#[pyclass(module = "oncely", name = "StepContext", frozen)]
pub struct PyStepContext {
    pub(super) ctx: StepContext,
}

fn context_call(
    py: Python<'_>,
    ctx: &StepContext,
    method: &str,
    path: String,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<oncely::RequestBuilder> {
    Call::request(py, ctx, method, path, kwargs)
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
        let builder = context_call(py, &self.ctx, method, path, kwargs)?;
        let response =
            runtime::block_on(py, async move { Ok::<_, Failure>(builder.send().await) })?;
        response.map(PyResponse::new).map_err(|e| call_error(py, e))
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
        let builder = context_call(py, &self.ctx, method, path, kwargs)?;
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
        let builder = context_call(py, &self.ctx, method, path, kwargs)?;
        aio::into_awaitable(py, async move {
            builder
                .send()
                .await
                .map(PyResponse::new)
                .map_err(step_call_failure)
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
        let builder = context_call(py, &self.ctx, method, path, kwargs)?;
        let client = self.ctx.client().clone();
        aio::into_awaitable(py, async move {
            let op = builder
                .send_operation::<Value>()
                .await
                .map_err(step_call_failure)?;
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

pymethods_with_verbs!(PyStepContext -> PyResponse);
