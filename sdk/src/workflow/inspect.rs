//! Looking at runs and sending them back: list by state, show one run's steps
//! (timings, keys, errors) and history, retry a parked run, request a resume.
//!
//! These work on any [`Journal`] without the workflow definitions, which is
//! what the `oncely runs` command uses. They change state only: a worker that
//! has the definition registered (see [`Engine::work_once`]) executes the run.

use std::fmt::Write as _;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::error::WorkflowError;
use super::run::{Engine, RunOutcome};
use crate::store::{
    EventRecord, Journal, RunFilter, RunRecord, RunState, StepPhase, StepRecord, StepStatus,
};

/// A Unix-millisecond time as an RFC 3339 UTC timestamp
/// (`2026-01-31T09:30:00.125Z`), for reports.
///
/// ```
/// assert_eq!(oncely::workflow::format_time(951_782_400_250), "2000-02-29T00:00:00.250Z");
/// assert_eq!(oncely::workflow::format_time(0), "1970-01-01T00:00:00.000Z");
/// ```
pub fn format_time(ms: i64) -> String {
    let ms = ms.max(0);
    let (secs, millis) = (ms / 1000, ms % 1000);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// One run with its steps and history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunDetails {
    /// The run.
    pub run: RunRecord,
    /// Its step and compensation rows, by position.
    pub steps: Vec<StepRecord>,
    /// Its history, oldest first.
    pub events: Vec<EventRecord>,
}

impl RunDetails {
    /// A human-readable report: the run, a table of steps (status, attempts,
    /// duration, key, error) and the history.
    pub fn render(&self) -> String {
        let r = &self.run;
        let mut out = String::new();
        let _ = writeln!(out, "run        {}", r.run_id);
        let _ = writeln!(
            out,
            "workflow   {} ({} steps: {})",
            r.workflow,
            r.steps.len(),
            r.steps.join(" → ")
        );
        let _ = writeln!(
            out,
            "state      {}{}",
            r.state,
            if r.generation > 0 {
                format!(" (retried by hand {}×)", r.generation)
            } else {
                String::new()
            }
        );
        let _ = writeln!(
            out,
            "created    {}   updated {}",
            format_time(r.created_ms),
            format_time(r.updated_ms)
        );
        if let Some(owner) = &r.lease_owner {
            let _ = writeln!(
                out,
                "lease      {owner} until {}",
                format_time(r.lease_until_ms)
            );
        }
        if let Some(error) = &r.error {
            let _ = writeln!(out, "error      {error}");
        }
        let _ = writeln!(
            out,
            "\n{:<3} {:<24} {:<13} {:<10} {:>8} {:>9}  {:<36}  error",
            "#", "step", "phase", "status", "attempts", "ms", "key"
        );
        for s in &self.steps {
            let ms = s
                .finished_ms
                .map(|f| (f - s.started_ms).to_string())
                .unwrap_or_else(|| "…".into());
            let error = s.error.as_ref().map(|e| {
                e.get("message")
                    .and_then(|m| m.as_str())
                    .map(str::to_string)
                    .unwrap_or_else(|| e.to_string())
            });
            let _ = writeln!(
                out,
                "{:<3} {:<24} {:<13} {:<10} {:>8} {:>9}  {:<36}  {}",
                s.index,
                s.name,
                s.phase.as_str(),
                s.status.as_str(),
                s.attempts,
                ms,
                s.key,
                error.unwrap_or_default()
            );
        }
        let _ = writeln!(out, "\nhistory");
        for e in &self.events {
            let step = e
                .step
                .as_deref()
                .map(|s| format!(" {s}"))
                .unwrap_or_default();
            let phase = e
                .phase
                .map(|p| format!(" ({})", p.as_str()))
                .unwrap_or_default();
            let attempt = e.attempt.map(|a| format!(" #{a}")).unwrap_or_default();
            let detail = e
                .detail
                .as_ref()
                .map(|d| format!(" {d}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {:>4} {} {}{step}{phase}{attempt}{detail}",
                e.seq, e.at_ms, e.kind
            );
        }
        out
    }

    /// The step rows of one phase.
    pub fn phase(&self, phase: StepPhase) -> impl Iterator<Item = &StepRecord> {
        self.steps.iter().filter(move |s| s.phase == phase)
    }

    /// True when some action is recorded as started but not finished (the run
    /// crashed or is executing there).
    pub fn has_step_in_flight(&self) -> bool {
        self.steps.iter().any(|s| s.status == StepStatus::Started)
    }
}

/// Lists runs, newest first.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), oncely::workflow::WorkflowError> {
/// use oncely::store::{RunFilter, RunState};
/// let store = oncely::MemoryStore::new();
/// let parked = oncely::workflow::list_runs(&store, &RunFilter { states: vec![RunState::NeedsAttention], ..Default::default() }).await?;
/// assert!(parked.is_empty());
/// # Ok(()) }
/// ```
pub async fn list_runs(
    journal: &dyn Journal,
    filter: &RunFilter,
) -> Result<Vec<RunRecord>, WorkflowError> {
    Ok(journal.list_runs(filter).await?)
}

/// One run with its steps and history; [`WorkflowError::UnknownRun`] if absent.
pub async fn show_run(journal: &dyn Journal, run_id: &str) -> Result<RunDetails, WorkflowError> {
    let run = journal
        .run(run_id)
        .await?
        .ok_or_else(|| WorkflowError::UnknownRun {
            run_id: run_id.to_string(),
        })?;
    let steps = journal.steps(run_id).await?;
    let events = journal.events(run_id).await?;
    Ok(RunDetails { run, steps, events })
}

/// Sends a parked (`needs_attention`) run back to compensating with the next
/// generation of compensation keys and clears its lease, so a worker retries
/// the compensations that failed. Other states give [`WorkflowError::WrongState`].
pub async fn mark_for_retry(
    journal: &dyn Journal,
    run_id: &str,
) -> Result<RunRecord, WorkflowError> {
    let run = journal
        .run(run_id)
        .await?
        .ok_or_else(|| WorkflowError::UnknownRun {
            run_id: run_id.to_string(),
        })?;
    if run.state != RunState::NeedsAttention {
        return Err(WorkflowError::WrongState {
            run_id: run_id.to_string(),
            state: run.state,
            why: "only runs that need attention can be retried (use resume for unfinished runs)"
                .into(),
        });
    }
    journal
        .request_pickup(run_id, true)
        .await?
        .ok_or_else(|| WorkflowError::UnknownRun {
            run_id: run_id.to_string(),
        })
}

/// Clears the lease of an unfinished run (pending, running, compensating) so
/// any worker picks it up now instead of when the lease expires. Use it when
/// the worker holding it is known to be dead: a live holder would be fenced
/// out of the journal at its next write. Finished and parked runs give
/// [`WorkflowError::WrongState`].
pub async fn mark_for_resume(
    journal: &dyn Journal,
    run_id: &str,
) -> Result<RunRecord, WorkflowError> {
    let run = journal
        .run(run_id)
        .await?
        .ok_or_else(|| WorkflowError::UnknownRun {
            run_id: run_id.to_string(),
        })?;
    if !run.state.is_active() {
        return Err(WorkflowError::WrongState {
            run_id: run_id.to_string(),
            state: run.state,
            why: "only pending, running or compensating runs can be resumed (use retry for parked runs)".into(),
        });
    }
    journal
        .request_pickup(run_id, false)
        .await?
        .ok_or_else(|| WorkflowError::UnknownRun {
            run_id: run_id.to_string(),
        })
}

/// What [`Engine::work`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerStats {
    /// Runs driven to completion.
    pub completed: u64,
    /// Runs compensated.
    pub compensated: u64,
    /// Runs parked.
    pub parked: u64,
    /// Runs whose execution stopped with an error (left for another try).
    pub errors: u64,
}

impl Engine {
    /// Lists runs (see [`list_runs`]).
    pub async fn list_runs(&self, filter: &RunFilter) -> Result<Vec<RunRecord>, WorkflowError> {
        list_runs(&*self.journal, filter).await
    }

    /// Shows one run (see [`show_run`]).
    pub async fn show_run(&self, run_id: &str) -> Result<RunDetails, WorkflowError> {
        show_run(&*self.journal, run_id).await
    }

    /// Sends a parked run back ([`mark_for_retry`]) and drives it now.
    pub async fn retry(&self, run_id: &str) -> Result<RunOutcome, WorkflowError> {
        mark_for_retry(&*self.journal, run_id).await?;
        self.resume(run_id).await
    }

    /// A worker loop: `concurrency` tasks each claim free runs of the
    /// registered workflows ([`work_once`](Self::work_once)) and drive them,
    /// waiting `idle_poll` when there is nothing to claim. With
    /// `stop_when_idle` it returns once no run in the journal is active any
    /// more; otherwise it runs until the future is dropped.
    pub async fn work(
        &self,
        concurrency: usize,
        idle_poll: Duration,
        stop_when_idle: bool,
    ) -> Result<WorkerStats, WorkflowError> {
        let tasks: Vec<_> = (0..concurrency.max(1))
            .map(|_| {
                let engine = self.clone();
                tokio::spawn(async move {
                    let mut stats = WorkerStats::default();
                    loop {
                        match engine.work_once().await {
                            Ok(Some(outcome)) => match outcome.state {
                                RunState::Completed => stats.completed += 1,
                                RunState::Compensated => stats.compensated += 1,
                                _ => stats.parked += 1,
                            },
                            Ok(None) => {
                                if stop_when_idle {
                                    let counts = engine.journal.count_runs().await?;
                                    if !counts.iter().any(|(state, n)| state.is_active() && *n > 0) {
                                        return Ok::<_, WorkflowError>(stats);
                                    }
                                }
                                tokio::time::sleep(idle_poll).await;
                            }
                            Err(e) => {
                                stats.errors += 1;
                                tracing::warn!(error = %e, "worker: run stopped; it will be picked up again");
                                tokio::time::sleep(idle_poll).await;
                            }
                        }
                    }
                })
            })
            .collect();
        let mut total = WorkerStats::default();
        for task in tasks {
            let stats = task.await.map_err(|e| WorkflowError::InvalidInput {
                what: "worker task".into(),
                why: e.to_string(),
            })??;
            total.completed += stats.completed;
            total.compensated += stats.compensated;
            total.parked += stats.parked;
            total.errors += stats.errors;
        }
        Ok(total)
    }
}
