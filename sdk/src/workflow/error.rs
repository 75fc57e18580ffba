//! Errors of workflows: [`StepError`] is what a step returns, [`WorkflowError`]
//! is what the engine returns when it cannot drive a run.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Error;
use crate::store::{RunState, StoreError};

/// How a step failure is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepErrorKind {
    /// Trying again may help: the step is retried with backoff (same key), and
    /// once its attempts are spent the failure becomes permanent.
    Retryable,
    /// The step failed for good (a non-retryable problem, the step's own
    /// decision): the finished steps are compensated.
    Permanent,
    /// The store failed under the step (e.g. the idempotency record could not
    /// be written). The run is left as it is, to be resumed; nothing is compensated.
    Store,
}

/// The failure of one step's action or compensation.
///
/// Any [`crate::Error`] converts with `?`: transport errors, timeouts,
/// throttling and server errors become [`StepErrorKind::Retryable`], store
/// failures [`StepErrorKind::Store`], everything else (a `402` problem, a `422`
/// validation problem, an operation that ended `failed`) [`StepErrorKind::Permanent`].
///
/// ```
/// use oncely::workflow::{StepError, StepErrorKind};
/// let e = StepError::permanent("the customer cancelled");
/// assert_eq!(e.kind(), StepErrorKind::Permanent);
/// assert_eq!(StepError::retryable("busy").kind(), StepErrorKind::Retryable);
/// ```
#[derive(Debug, Clone)]
pub struct StepError {
    kind: StepErrorKind,
    message: String,
    status: Option<u16>,
    problem: Option<Value>,
    ambiguous: bool,
}

impl StepError {
    /// A failure that ends the run (the finished steps are compensated).
    pub fn permanent(message: impl Into<String>) -> Self {
        StepError {
            kind: StepErrorKind::Permanent,
            message: message.into(),
            status: None,
            problem: None,
            ambiguous: false,
        }
    }

    /// A failure worth another attempt.
    pub fn retryable(message: impl Into<String>) -> Self {
        StepError {
            kind: StepErrorKind::Retryable,
            message: message.into(),
            status: None,
            problem: None,
            ambiguous: false,
        }
    }

    /// How the engine handles it.
    pub fn kind(&self) -> StepErrorKind {
        self.kind
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status behind it, if any.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// The problem document behind it (JSON), if the server sent one.
    pub fn problem(&self) -> Option<&Value> {
        self.problem.as_ref()
    }

    /// True when the step may have taken effect although it failed: its
    /// retries were spent on failures that could hide a success (a lost
    /// answer, a timeout, a `503` after an earlier attempt committed). Such a
    /// step is *settled* before compensating: its action is sent again with
    /// the same key (the server replays its answer if it applied it) and then
    /// compensated like a finished step.
    pub fn is_ambiguous(&self) -> bool {
        self.ambiguous
    }

    /// The same failure, made permanent (retries spent); a retryable failure
    /// becomes ambiguous.
    pub(crate) fn into_permanent(mut self) -> Self {
        if self.kind == StepErrorKind::Retryable {
            self.kind = StepErrorKind::Permanent;
            self.ambiguous = true;
        }
        self
    }

    /// The JSON stored in the journal.
    pub(crate) fn to_json(&self) -> Value {
        serde_json::json!({
            "kind": self.kind,
            "message": self.message,
            "status": self.status,
            "problem": self.problem,
            "ambiguous": self.ambiguous,
        })
    }
}

impl std::fmt::Display for StepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            StepErrorKind::Retryable => "retryable",
            StepErrorKind::Permanent => "permanent",
            StepErrorKind::Store => "store",
        };
        write!(f, "{kind} step failure: {}", self.message)
    }
}

impl std::error::Error for StepError {}

impl From<Error> for StepError {
    fn from(e: Error) -> Self {
        let kind = if matches!(e, Error::Store(_)) {
            StepErrorKind::Store
        } else if e.is_retryable() {
            StepErrorKind::Retryable
        } else {
            StepErrorKind::Permanent
        };
        StepError {
            kind,
            message: e.to_string(),
            status: e.status(),
            problem: e.problem().and_then(|p| serde_json::to_value(p).ok()),
            ambiguous: false,
        }
    }
}

impl From<serde_json::Error> for StepError {
    fn from(e: serde_json::Error) -> Self {
        StepError::permanent(format!("JSON: {e}"))
    }
}

/// Why the engine could not start, resume or inspect a run. Business outcomes
/// (completed, compensated, parked) are not errors: see [`super::RunOutcome`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkflowError {
    /// The workflow definition cannot work (no steps, a duplicate name, …).
    #[error("invalid workflow {workflow:?}: {why}")]
    InvalidDefinition {
        /// The workflow.
        workflow: String,
        /// What is wrong.
        why: String,
    },
    /// A run id, input or option given by the caller cannot be used.
    #[error("invalid {what}: {why}")]
    InvalidInput {
        /// Which input.
        what: String,
        /// Why.
        why: String,
    },
    /// No run with this id is in the journal.
    #[error("no workflow run {run_id:?} in the journal")]
    UnknownRun {
        /// The run id.
        run_id: String,
    },
    /// The run belongs to a workflow this engine does not know.
    #[error(
        "run {run_id:?} belongs to workflow {workflow:?}, which is not registered with this engine"
    )]
    UnknownWorkflow {
        /// The run id.
        run_id: String,
        /// The run's workflow.
        workflow: String,
    },
    /// The run id is taken by another workflow or another input.
    #[error("run id {run_id:?} is already used by {detail}")]
    RunIdTaken {
        /// The run id.
        run_id: String,
        /// By what.
        detail: String,
    },
    /// The workflow's step list changed since the run was journaled; nothing
    /// was executed. Finish old runs with the old definition, or start new runs.
    #[error("workflow {workflow:?} changed since run {run_id:?} was started: journaled steps {journaled:?}, now {current:?}; nothing was executed")]
    DefinitionChanged {
        /// The run id.
        run_id: String,
        /// The workflow.
        workflow: String,
        /// The step names in the journal.
        journaled: Vec<String>,
        /// The step names of the definition given now.
        current: Vec<String>,
    },
    /// Another worker holds the run's lease.
    #[error("run {run_id:?} is being executed by {owner:?} (lease for {remaining_ms} ms more)")]
    Leased {
        /// The run id.
        run_id: String,
        /// The worker holding it.
        owner: String,
        /// How long the lease still holds.
        remaining_ms: i64,
    },
    /// This worker lost the run's lease while executing it (it was too slow
    /// and another worker took over); it stopped writing.
    #[error("lost the lease of run {run_id:?} (owner {owner:?}); another worker took it over")]
    LeaseLost {
        /// The run id.
        run_id: String,
        /// This worker.
        owner: String,
    },
    /// The run is not in a state that allows the request (e.g. retrying a run
    /// that is not parked).
    #[error("run {run_id:?} is {state}: {why}")]
    WrongState {
        /// The run id.
        run_id: String,
        /// Its state.
        state: RunState,
        /// Why that is a problem.
        why: String,
    },
    /// A step's action or compensation failed under the store (the run is left
    /// for a later resume).
    #[error("run {run_id:?} stopped at step {step:?}: {error}")]
    Interrupted {
        /// The run id.
        run_id: String,
        /// The step.
        step: String,
        /// The failure.
        error: StepError,
    },
    /// The store has no workflow journal.
    #[error("the store {store} keeps no workflow journal")]
    NoJournal {
        /// The store's debug form.
        store: String,
    },
    /// The journal could not be read or written.
    #[error("workflow journal: {0}")]
    Journal(#[from] StoreError),
}
