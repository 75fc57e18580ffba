//! Compensation: after a permanent failure, the finished steps are undone in
//! reverse order. Each compensation has its own idempotency key and is retried
//! with backoff; one that keeps failing parks the run as `needs_attention`
//! (dead letter) with its whole history, never dropping it silently. A step
//! that failed ambiguously (it may have taken effect) is settled first: sent
//! again with its key to learn what the server did.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;
use tracing::Instrument;

use super::context::compensation_key;
use super::definition::Plan;
use super::error::{StepErrorKind, WorkflowError};
use super::run::{find, RunOutcome, Runner, Start};
use crate::store::{JournalWrite, RunState, StepPhase, StepRecord, StepStatus, StepUpdate};

impl Runner<'_> {
    /// Compensates every step whose action succeeded, last first.
    pub(crate) async fn compensate(
        &self,
        journaled: &[StepRecord],
        mut outputs: BTreeMap<String, Value>,
    ) -> Result<RunOutcome, WorkflowError> {
        let run_id = &self.run.run_id;
        // The generation may have been raised by a manual retry since the run was read.
        let current = self.engine.journal.run(run_id).await?;
        let generation = current
            .as_ref()
            .map_or(self.run.generation, |r| r.generation);
        let cause = current.and_then(|r| r.error);
        let policy = self.workflow.compensation_retry();
        let plan = self.workflow.plan();
        let mut actions: Vec<&StepRecord> = journaled
            .iter()
            .filter(|r| r.phase == StepPhase::Action)
            .collect();
        actions.sort_by_key(|r| r.index);
        let count = match plan {
            Plan::Fixed(steps) => steps.len(),
            Plan::Driven { .. } => actions.last().map_or(0, |r| r.index as usize + 1),
        };
        for position in (0..count).rev() {
            let index = u32::try_from(position).unwrap_or(u32::MAX);
            // A driven plan is asked again with the outputs before the step.
            let done: Vec<(String, Value)> = if plan.is_driven() {
                actions
                    .iter()
                    .filter(|r| r.index < index)
                    .map(|r| (r.name.clone(), r.output.clone().unwrap_or(Value::Null)))
                    .collect()
            } else {
                Vec::new()
            };
            let step = match plan.step_at(position, &self.run.input, &done) {
                Ok(Some(step)) => step,
                Ok(None) => continue,
                Err(error) => {
                    return Err(WorkflowError::InvalidDefinition {
                        workflow: self.run.workflow.clone(),
                        why: format!(
                            "its driver cannot replay step {position} of run {run_id:?}: {error}"
                        ),
                    })
                }
            };
            if let Some(r) =
                find(journaled, index, StepPhase::Action).filter(|r| r.name != step.name)
            {
                return Err(self.changed(journaled, r, &step.name));
            }
            let Some(compensation) = &step.compensation else {
                continue;
            };
            let action = find(journaled, index, StepPhase::Action);
            match action.map(|r| r.status) {
                Some(StepStatus::Succeeded) => {}
                // Failed in a way that may have taken effect, or being settled
                // when the worker died: settle it first.
                Some(StepStatus::Started) | Some(StepStatus::Failed) if is_ambiguous(action) => {
                    match self
                        .settle(index, &step, action, &mut outputs, &cause)
                        .await?
                    {
                        Settled::Applied => {}
                        Settled::NotApplied => continue,
                        Settled::Parked(outcome) => return Ok(*outcome),
                    }
                }
                _ => continue,
            }
            let shared = Arc::new(outputs.clone());
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
                let update = |status: StepStatus| {
                    StepUpdate::new(index, StepPhase::Compensation, &step.name, &key, status)
                };
                let write = |update: StepUpdate, kind: &str| {
                    JournalWrite::step(update, kind, Some(attempt))
                };
                self.engine
                    .write(
                        run_id,
                        write(
                            update(StepStatus::Started).new_attempt(),
                            "compensation_started",
                        ),
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
                let span = tracing::info_span!(
                    "oncely.workflow.step",
                    "oncely.workflow.run_id" = %run_id,
                    "oncely.workflow.step" = %step.name,
                    "oncely.workflow.phase" = "compensation",
                    "oncely.idempotency_key" = %key,
                    "oncely.workflow.attempt" = i64::from(attempt),
                );
                match compensation(ctx).instrument(span).await {
                    Ok(()) => {
                        self.engine
                            .write(
                                run_id,
                                write(update(StepStatus::Succeeded), "compensation_succeeded"),
                            )
                            .await?;
                        crate::telemetry::metrics::step_compensated(&self.run.workflow);
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
                        let failed = update(StepStatus::Failed).with_error(e.to_json());
                        self.engine
                            .write(
                                run_id,
                                write(failed, "compensation_attempt_failed")
                                    .with_detail(e.to_json()),
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
                        let failed = update(StepStatus::Failed).with_error(e.to_json());
                        let park = write(failed, "parked")
                            .and_state(RunState::NeedsAttention)
                            .with_run_error(error.clone())
                            .with_detail(e.to_json());
                        self.engine.write(run_id, park).await?;
                        return Ok(self.outcome(RunState::NeedsAttention, outputs, Some(error)));
                    }
                }
            }
        }
        self.engine
            .write(
                run_id,
                JournalWrite::run_state(RunState::Compensated, "compensated"),
            )
            .await?;
        Ok(self.outcome(RunState::Compensated, outputs, cause))
    }

    /// Settles a step that failed ambiguously (it may have taken effect): its
    /// action is sent again with the same key, so the server replays the
    /// answer it stored if it applied the step (or applies it now), and the
    /// step can then be compensated like a finished one. A definitive
    /// rejection now (a `4xx` problem) proves it was never applied: nothing to
    /// compensate. Anything else parks the run.
    async fn settle(
        &self,
        index: u32,
        step: &super::definition::Step,
        record: Option<&StepRecord>,
        outputs: &mut BTreeMap<String, Value>,
        cause: &Option<Value>,
    ) -> Result<Settled, WorkflowError> {
        let run_id = &self.run.run_id;
        tracing::info!(step = %step.name, "settling an ambiguous step before compensating it: same key, sent again");
        let shared = Arc::new(outputs.clone());
        match self
            .run_action(
                index,
                step,
                record,
                &shared,
                RunState::Compensating,
                Start::default(),
            )
            .await?
        {
            Ok(output) => {
                let settled = self
                    .action_update(index, step, StepStatus::Succeeded)
                    .with_output(output.clone());
                self.engine
                    .write(run_id, JournalWrite::step(settled, "step_settled", None))
                    .await?;
                outputs.insert(step.name.clone(), output);
                Ok(Settled::Applied)
            }
            Err(e) if e.kind() == StepErrorKind::Store => Err(WorkflowError::Interrupted {
                run_id: run_id.clone(),
                step: step.name.clone(),
                error: e,
            }),
            Err(e) if !e.is_ambiguous() => {
                // Had the server applied it, it would have replayed that answer.
                tracing::info!(step = %step.name, error = %e, "the ambiguous step was never applied: nothing to compensate");
                let failed = self
                    .action_update(index, step, StepStatus::Failed)
                    .with_error(e.to_json());
                let write = JournalWrite::step(failed, "step_settled_not_applied", None)
                    .with_detail(e.to_json());
                self.engine.write(run_id, write).await?;
                Ok(Settled::NotApplied)
            }
            Err(e) => {
                tracing::error!(step = %step.name, error = %e, "an ambiguous step could not be settled; parking the run");
                let error = serde_json::json!({
                    "step": step.name,
                    "phase": "action",
                    "error": e.to_json(),
                    "why": "the step may have taken effect and could not be settled, so it cannot be compensated",
                    "cause": cause,
                });
                let failed = self
                    .action_update(index, step, StepStatus::Failed)
                    .with_error(e.to_json());
                let park = JournalWrite::step(failed, "parked", None)
                    .and_state(RunState::NeedsAttention)
                    .with_run_error(error.clone())
                    .with_detail(e.to_json());
                self.engine.write(run_id, park).await?;
                Ok(Settled::Parked(Box::new(self.outcome(
                    RunState::NeedsAttention,
                    outputs.clone(),
                    Some(error),
                ))))
            }
        }
    }
}

/// What settling an ambiguous step found.
enum Settled {
    /// It took effect (now, or before): compensate it.
    Applied,
    /// The server rejected it for good, so it never took effect.
    NotApplied,
    /// It could not be settled: the run is parked.
    Parked(Box<RunOutcome>),
}

/// True when an action may have taken effect without its output being
/// journaled: it failed ambiguously, or it was being settled (started) when
/// its worker died.
fn is_ambiguous(record: Option<&StepRecord>) -> bool {
    if record.is_some_and(|r| r.status == StepStatus::Started) {
        return true;
    }
    record
        .and_then(|r| r.error.as_ref())
        .and_then(|e| e.get("ambiguous"))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}
