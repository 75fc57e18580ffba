//! [`OutcomeView`]: where a run of an Arazzo workflow ended, in the plain
//! fields both bindings expose (`ArazzoOutcome` in Python and Node).

use oncely::arazzo::ArazzoOutcome;
use serde::Serialize;
use serde_json::{Map, Value};

/// A run of an Arazzo workflow, as the bindings show it. Serializes with
/// these (snake_case) field names.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutcomeView {
    /// The run id.
    pub run_id: String,
    /// The workflow (its `workflowId`).
    pub workflow: String,
    /// `completed`, `compensated` or `needs_attention`.
    pub state: String,
    /// True when the workflow completed.
    pub completed: bool,
    /// The workflow's `outputs`, evaluated (empty unless completed).
    pub outputs: Map<String, Value>,
    /// Each journaled step's outputs, by engine step name (`stepId`, then
    /// `stepId#2`… for later visits).
    pub step_outputs: Map<String, Value>,
    /// The step whose failure ended the run, when it did not complete.
    pub failed_step: Option<String>,
    /// The failure that made the run compensate (`step`, `phase`, `error`).
    pub error: Option<Value>,
}

impl From<ArazzoOutcome> for OutcomeView {
    fn from(outcome: ArazzoOutcome) -> Self {
        let ArazzoOutcome {
            run,
            outputs,
            failed_step,
        } = outcome;
        OutcomeView {
            completed: run.is_completed(),
            state: run.state.to_string(),
            run_id: run.run_id,
            workflow: run.workflow,
            outputs,
            step_outputs: run.outputs.into_iter().collect(),
            failed_step,
            error: run.error,
        }
    }
}
