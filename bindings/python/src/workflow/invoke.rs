//! Calling a step's function: a plain function on a blocking thread, a
//! coroutine on the run's event loop (or in `asyncio.run`), and what it
//! produced as the step's journaled output or operation token.

use std::sync::Arc;

use oncely::workflow::{StepContext, StepError};
use pyo3::prelude::*;
use serde_json::Value;

use super::context::PyStepContext;
use super::failure::step_error;
use super::EVENT_LOOP;
use crate::convert::py_to_json;
use crate::operation::{PyAsyncOperation, PyOperation};
use crate::response::PyResponse;
use crate::runtime::with_gil;

/// What a step function produced.
pub(super) enum Produced {
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
pub(super) async fn invoke(
    function: Arc<Py<PyAny>>,
    ctx: StepContext,
) -> Result<Produced, StepError> {
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
