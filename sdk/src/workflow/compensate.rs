//! Compensation: after a permanent failure, the finished steps are undone in
//! reverse order. Each compensation has its own idempotency key and is retried
//! with backoff; one that keeps failing parks the run as `needs_attention`
//! (dead letter) with its whole history, never dropping it silently.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;
use tracing::Instrument;

use super::context::compensation_key;
use super::error::{StepErrorKind, WorkflowError};
use super::run::{event, find, RunOutcome, Runner};
use crate::store::{JournalWrite, RunState, StepPhase, StepRecord, StepStatus, StepUpdate};

impl Runner<'_> {
    /// Compensates every step whose action succeeded, last first.
    pub(crate) async fn compensate(
        &self,
        journaled: &[StepRecord],
        outputs: BTreeMap<String, Value>,
    ) -> Result<RunOutcome, WorkflowError> {
        let run_id = &self.run.run_id;
        // The generation may have been raised by a manual retry since the run was read.
        let generation = match self.engine.journal.run(run_id).await? {
            Some(run) => run.generation,
            None => self.run.generation,
        };
        let cause = self.engine.journal.run(run_id).await?.and_then(|r| r.error);
        let shared = Arc::new(outputs.clone());
        let policy = self.workflow.compensation_retry();
        for (index, step) in self.workflow.steps().iter().enumerate().rev() {
            let index = u32::try_from(index).unwrap_or(u32::MAX);
            let Some(compensation) = &step.compensation else {
                continue;
            };
            if find(journaled, index, StepPhase::Action).map(|r| r.status)
                != Some(StepStatus::Succeeded)
            {
                continue;
            }
            let record = find(journaled, index, StepPhase::Compensation);
            if record.map(|r| r.status) == Some(StepStatus::Succeeded) {
                continue;
            }
            let key = compensation_key(run_id, &step.name, generation);
            let mut attempt = record.map(|r| r.attempts).unwrap_or(0);
            let mut tries = 0;
            loop {
                tries += 1;
                attempt += 1;
                let update =
                    |status: StepStatus, new_attempt: bool, error: Option<Value>| StepUpdate {
                        index,
                        phase: StepPhase::Compensation,
                        name: step.name.clone(),
                        key: key.clone(),
                        status,
                        new_attempt,
                        output: None,
                        error,
                        resume_token: None,
                    };
                self.engine
                    .write(
                        run_id,
                        JournalWrite {
                            step: Some(update(StepStatus::Started, true, None)),
                            state: None,
                            error: None,
                            event: event(
                                "compensation_started",
                                Some(&step.name),
                                Some(StepPhase::Compensation),
                                Some(attempt),
                                None,
                            ),
                        },
                    )
                    .await?;
                let ctx = self.engine.context(
                    self.run,
                    &step.name,
                    StepPhase::Compensation,
                    key.clone(),
                    attempt,
                    &shared,
                );
                let span = tracing::info_span!("oncely.workflow.step", step = %step.name, phase = "compensation", key = %key, attempt);
                match compensation(ctx).instrument(span).await {
                    Ok(()) => {
                        self.engine
                            .write(
                                run_id,
                                JournalWrite {
                                    step: Some(update(StepStatus::Succeeded, false, None)),
                                    state: None,
                                    error: None,
                                    event: event(
                                        "compensation_succeeded",
                                        Some(&step.name),
                                        Some(StepPhase::Compensation),
                                        Some(attempt),
                                        None,
                                    ),
                                },
                            )
                            .await?;
                        break;
                    }
                    Err(e) if e.kind() == StepErrorKind::Store => {
                        return Err(WorkflowError::Interrupted {
                            run_id: run_id.clone(),
                            step: step.name.clone(),
                            error: e,
                        });
                    }
                    Err(e) if tries < policy.attempts() => {
                        let delay = policy.backoff(tries - 1);
                        tracing::warn!(step = %step.name, error = %e, delay_ms = delay.as_millis() as u64, "compensation failed; retrying");
                        self.engine
                            .write(
                                run_id,
                                JournalWrite {
                                    step: Some(update(
                                        StepStatus::Failed,
                                        false,
                                        Some(e.to_json()),
                                    )),
                                    state: None,
                                    error: None,
                                    event: event(
                                        "compensation_attempt_failed",
                                        Some(&step.name),
                                        Some(StepPhase::Compensation),
                                        Some(attempt),
                                        Some(e.to_json()),
                                    ),
                                },
                            )
                            .await?;
                        tokio::time::sleep(delay).await;
                    }
                    Err(e) => {
                        tracing::error!(step = %step.name, error = %e, "compensation keeps failing; parking the run as needs_attention");
                        let error = serde_json::json!({
                            "step": step.name,
                            "phase": "compensation",
                            "error": e.to_json(),
                            "cause": cause,
                        });
                        self.engine
                            .write(
                                run_id,
                                JournalWrite {
                                    step: Some(update(
                                        StepStatus::Failed,
                                        false,
                                        Some(e.to_json()),
                                    )),
                                    state: Some(RunState::NeedsAttention),
                                    error: Some(error.clone()),
                                    event: event(
                                        "parked",
                                        Some(&step.name),
                                        Some(StepPhase::Compensation),
                                        Some(attempt),
                                        Some(e.to_json()),
                                    ),
                                },
                            )
                            .await?;
                        return Ok(self.outcome(RunState::NeedsAttention, outputs, Some(error)));
                    }
                }
            }
        }
        self.engine
            .write(
                run_id,
                JournalWrite {
                    step: None,
                    state: Some(RunState::Compensated),
                    error: None,
                    event: event("compensated", None, None, None, None),
                },
            )
            .await?;
        Ok(self.outcome(RunState::Compensated, outputs, cause))
    }
}
