//! How failures cross between steps and Python: a failed context call keeps
//! the core's step classification on its exception, an exception raised by a
//! step becomes a step failure, and engine errors become `WorkflowError`.

use oncely::workflow::{StepError, WorkflowError};
use pyo3::prelude::*;

use crate::convert::type_name;
use crate::errors::{self, core_error_ref, Failure, Kind};

/// The core's classification of a failed context call, kept on the exception
/// (`_oncely_step_error`) so that re-raising it keeps it exact.
#[pyclass(module = "oncely._native", name = "_StepErrorHolder", frozen)]
struct StepErrorHolder(StepError);

const HOLDER_ATTR: &str = "_oncely_step_error";

/// The exception for a failed context call, carrying its step classification.
pub(super) fn call_error(py: Python<'_>, error: oncely::Error) -> PyErr {
    let exc = core_error_ref(py, &error);
    if let Ok(holder) = Py::new(py, StepErrorHolder(StepError::from(error))) {
        let _ = exc.value(py).setattr(HOLDER_ATTR, holder);
    }
    exc
}

/// How an exception raised by a step fails it.
pub(super) fn step_error(py: Python<'_>, err: &PyErr) -> StepError {
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
pub(super) fn workflow_error(py: Python<'_>, error: WorkflowError) -> PyErr {
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
        Failure::Render(Box::new(move |py| workflow_error(py, e)))
    }
}

/// `oncely.StepError` for a step error raised by the context itself.
pub(super) fn step_exception(py: Python<'_>, error: StepError) -> PyErr {
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

/// The failure of a context call made from a coroutine: its exception
/// carries the core's step classification.
pub(super) fn step_call_failure(error: oncely::Error) -> Failure {
    Failure::Render(Box::new(move |py| call_error(py, error)))
}
