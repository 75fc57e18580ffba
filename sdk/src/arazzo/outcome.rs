//! Starting and resuming a compiled Arazzo workflow, and what a run of it
//! returns: the engine's [`RunOutcome`] with the Arazzo workflow's `outputs`
//! evaluated, and the step that failed when it did not complete.
//!
//! Every entry point that runs an Arazzo workflow (the CLI's
//! `oncely workflow run`, the bindings, generated workflow functions) goes
//! through [`ArazzoWorkflow::start`] and [`ArazzoWorkflow::resume`], so a run
//! means the same thing wherever it was started.

use serde::Serialize;
use serde_json::{Map, Value};

use super::flow::FlowError;
use super::run::ArazzoWorkflow;
use crate::workflow::{Engine, RunOutcome, RunState, WorkflowError};

/// Where a run of an Arazzo workflow ended up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArazzoOutcome {
    /// The engine's outcome: run id, state, each journaled step's output, and
    /// the failure that made the run compensate.
    pub run: RunOutcome,
    /// The Arazzo workflow's `outputs`, evaluated when the run completed
    /// (empty otherwise).
    pub outputs: Map<String, Value>,
    /// The step whose failure ended the run, when it did not complete.
    pub failed_step: Option<String>,
}

impl ArazzoOutcome {
    /// The run id.
    pub fn run_id(&self) -> &str {
        &self.run.run_id
    }

    /// `completed`, `compensated` or `needs_attention`.
    pub fn state(&self) -> RunState {
        self.run.state
    }

    /// True when the workflow completed.
    pub fn is_completed(&self) -> bool {
        self.run.is_completed()
    }

    /// The failure that made the run compensate (the engine's JSON: `step`,
    /// `phase`, `error`), when it did not complete.
    pub fn error(&self) -> Option<&Value> {
        self.run.error.as_ref()
    }
}

/// Why a run of an Arazzo workflow could not be driven or reported.
#[derive(Debug, thiserror::Error)]
pub enum ArazzoRunError {
    /// The engine could not drive the run (journal, lease, bad input…).
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    /// The run completed but its workflow outputs cannot be evaluated.
    #[error("a workflow output: {0}")]
    Output(FlowError),
}

impl ArazzoWorkflow {
    /// Starts a run with `inputs` and drives it to its end (see
    /// [`Engine::start`]: starting an existing run id with the same inputs
    /// continues that run). The engine need not have the workflow
    /// registered.
    pub async fn start(
        &self,
        engine: &Engine,
        run_id: Option<&str>,
        inputs: &Value,
    ) -> Result<ArazzoOutcome, ArazzoRunError> {
        let run = engine.start(self.workflow(), run_id, inputs).await?;
        self.outcome(run, inputs)
    }

    /// Continues a run after a crash (see [`Engine::resume_with`]).
    pub async fn resume(
        &self,
        engine: &Engine,
        run_id: &str,
    ) -> Result<ArazzoOutcome, ArazzoRunError> {
        let run = engine.resume_with(self.workflow(), run_id).await?;
        let inputs = engine
            .journal()
            .run(run_id)
            .await
            .map_err(WorkflowError::from)?
            .map(|record| record.input)
            .unwrap_or(Value::Null);
        self.outcome(run, &inputs)
    }

    /// Turns the engine's outcome of a run of this workflow into an
    /// [`ArazzoOutcome`], evaluating the workflow's `outputs` when it
    /// completed.
    pub fn outcome(
        &self,
        run: RunOutcome,
        inputs: &Value,
    ) -> Result<ArazzoOutcome, ArazzoRunError> {
        let outputs = if run.is_completed() {
            self.outputs(&run, inputs).map_err(ArazzoRunError::Output)?
        } else {
            Map::new()
        };
        let failed_step = run
            .error
            .as_ref()
            .and_then(|e| e.get("step"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok(ArazzoOutcome {
            run,
            outputs,
            failed_step,
        })
    }
}
