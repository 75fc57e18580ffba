//! The workflow journal: what a store keeps about workflow runs and their steps.
//!
//! The [`Journal`] trait is the storage half of [`crate::workflow`]: runs, the
//! current state of each step, an append-only history of events, and a lease
//! per run so that two workers never execute the same run at once. Every
//! backend ([`MemoryStore`](super::MemoryStore), [`SqliteStore`](super::SqliteStore)
//! and, with the `postgres` feature, `PgStore`) implements it next to the
//! idempotency records, so one file or database holds both.
//!
//! Every write is one transaction that also checks the writer still holds the
//! run's lease (*fencing*): a worker whose lease expired and was taken over
//! cannot write into the journal any more. [`Journal::write_all`] applies
//! several writes in one such transaction (the engine folds a step's result
//! with the next step's start); the write that ends a run gives its lease up.
//! The journal's constructors ([`StepUpdate::new`], [`JournalWrite::step`],
//! [`JournalWrite::run_state`]) name what a write does.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::StoreError;

/// The life of a workflow run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// Recorded, not started yet (waiting for a worker).
    Pending,
    /// Executing its steps forward.
    Running,
    /// A step failed for good: compensating the finished steps in reverse.
    Compensating,
    /// Every step succeeded.
    Completed,
    /// A step failed for good and every finished step was compensated.
    Compensated,
    /// A compensation kept failing: parked for a person (dead letter). The whole
    /// history is kept; [`crate::workflow::mark_for_retry`] sends it back.
    NeedsAttention,
}

impl RunState {
    /// Every state, in lifecycle order.
    pub const ALL: [RunState; 6] = [
        RunState::Pending,
        RunState::Running,
        RunState::Compensating,
        RunState::Completed,
        RunState::Compensated,
        RunState::NeedsAttention,
    ];

    /// The name stored in databases and shown by the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Pending => "pending",
            RunState::Running => "running",
            RunState::Compensating => "compensating",
            RunState::Completed => "completed",
            RunState::Compensated => "compensated",
            RunState::NeedsAttention => "needs_attention",
        }
    }

    /// Parses a stored name.
    ///
    /// ```
    /// use oncely::store::RunState;
    /// assert_eq!(RunState::parse("needs_attention"), Some(RunState::NeedsAttention));
    /// assert_eq!(RunState::parse("bogus"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Self> {
        RunState::ALL.into_iter().find(|state| state.as_str() == s)
    }

    /// True for states a worker still has to drive (pending, running, compensating).
    pub fn is_active(self) -> bool {
        matches!(
            self,
            RunState::Pending | RunState::Running | RunState::Compensating
        )
    }

    /// True for completed and compensated runs: nothing is left to do.
    pub fn is_finished(self) -> bool {
        matches!(self, RunState::Completed | RunState::Compensated)
    }
}

impl std::fmt::Display for RunState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a step record is about the step's action or its compensation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepPhase {
    /// The step's action (forward).
    Action,
    /// The step's compensation (backward).
    Compensation,
}

impl StepPhase {
    /// The name stored in databases.
    pub fn as_str(self) -> &'static str {
        match self {
            StepPhase::Action => "action",
            StepPhase::Compensation => "compensation",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "action" => Some(StepPhase::Action),
            "compensation" => Some(StepPhase::Compensation),
            _ => None,
        }
    }
}

/// Where a step (or compensation) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Begun and not finished: a crash here means "send again with the same key".
    Started,
    /// Finished; the output is recorded.
    Succeeded,
    /// Finished with an error (recorded).
    Failed,
}

impl StepStatus {
    /// The name stored in databases.
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Started => "started",
            StepStatus::Succeeded => "succeeded",
            StepStatus::Failed => "failed",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "started" => Some(StepStatus::Started),
            "succeeded" => Some(StepStatus::Succeeded),
            "failed" => Some(StepStatus::Failed),
            _ => None,
        }
    }
}

/// A run as the journal knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The run id (a UUID, or a business key such as an order number).
    pub run_id: String,
    /// The workflow's name.
    pub workflow: String,
    /// The fingerprint of the workflow's step list when the run was created.
    pub fingerprint: String,
    /// The step names when the run was created, in order.
    pub steps: Vec<String>,
    /// The run's input (JSON).
    pub input: Value,
    /// Where the run stands.
    pub state: RunState,
    /// The failure that made the run compensate or park, if any (JSON).
    pub error: Option<Value>,
    /// How many times the run was sent back by hand
    /// ([`crate::workflow::mark_for_retry`]); part of compensation keys.
    pub generation: u32,
    /// The worker holding the run, if any.
    pub lease_owner: Option<String>,
    /// Until when the lease holds (Unix ms).
    pub lease_until_ms: i64,
    /// Creation time (Unix ms).
    pub created_ms: i64,
    /// Last change (Unix ms).
    pub updated_ms: i64,
    /// The W3C `traceparent` of the run's first span (or of its creator's
    /// span), so a run resumed elsewhere continues the same trace.
    #[serde(default)]
    pub trace_context: Option<String>,
}

/// A run to create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewRun {
    /// The run id.
    pub run_id: String,
    /// The workflow's name.
    pub workflow: String,
    /// The fingerprint of the step list.
    pub fingerprint: String,
    /// The step names, in order.
    pub steps: Vec<String>,
    /// The input (JSON).
    pub input: Value,
    /// The W3C `traceparent` the run's spans continue (see
    /// [`RunRecord::trace_context`]).
    #[serde(default)]
    pub trace_context: Option<String>,
}

/// One step or compensation as the journal knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// The run.
    pub run_id: String,
    /// Position of the step in the workflow (0-based).
    pub index: u32,
    /// Action or compensation.
    pub phase: StepPhase,
    /// The step's name.
    pub name: String,
    /// The idempotency key its calls were sent with.
    pub key: String,
    /// Where it stands.
    pub status: StepStatus,
    /// How many times it was started.
    pub attempts: u32,
    /// The output (JSON), once succeeded.
    pub output: Option<Value>,
    /// The last error (JSON), if any.
    pub error: Option<Value>,
    /// The resume token of a `202` operation the step is waiting for.
    pub resume_token: Option<String>,
    /// When it (last) started (Unix ms).
    pub started_ms: i64,
    /// When it finished (Unix ms).
    pub finished_ms: Option<i64>,
}

/// One entry of a run's append-only history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    /// The run.
    pub run_id: String,
    /// 1-based position in the run's history.
    pub seq: u64,
    /// When it happened (Unix ms).
    pub at_ms: i64,
    /// What happened, e.g. `step_started`, `compensation_failed`, `state`.
    pub kind: String,
    /// The step concerned, if any.
    pub step: Option<String>,
    /// Action or compensation, if a step is concerned.
    pub phase: Option<StepPhase>,
    /// The attempt number, if any.
    pub attempt: Option<u32>,
    /// Details (JSON): an error, a state change, the worker.
    pub detail: Option<Value>,
}

/// A change to one step row, written with [`JournalWrite`].
#[derive(Debug, Clone, PartialEq)]
pub struct StepUpdate {
    /// Position of the step (0-based).
    pub index: u32,
    /// Action or compensation.
    pub phase: StepPhase,
    /// The step's name.
    pub name: String,
    /// The idempotency key.
    pub key: String,
    /// The new status.
    pub status: StepStatus,
    /// True when this update begins a new attempt: the attempt counter goes up
    /// and the start time is reset.
    pub new_attempt: bool,
    /// The output, when it succeeded.
    pub output: Option<Value>,
    /// The error, when it failed (kept on later updates unless replaced).
    pub error: Option<Value>,
    /// A `202` operation's resume token (kept on later updates unless replaced).
    pub resume_token: Option<String>,
}

/// An event to append, written with [`JournalWrite`].
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// What happened.
    pub kind: String,
    /// The step concerned.
    pub step: Option<String>,
    /// Action or compensation.
    pub phase: Option<StepPhase>,
    /// Attempt number.
    pub attempt: Option<u32>,
    /// Details.
    pub detail: Option<Value>,
}

/// One journal transaction: optionally a step change, optionally a run state
/// change, always an event. It is applied only while `owner` holds the run's
/// lease, and extends the lease.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalWrite {
    /// The step row to insert or update.
    pub step: Option<StepUpdate>,
    /// The run's new state.
    pub state: Option<RunState>,
    /// The run's error (set together with `state`; `None` keeps it).
    pub error: Option<Value>,
    /// The history entry.
    pub event: NewEvent,
}

impl StepUpdate {
    /// An update of one step row to `status`, keeping its output, error,
    /// token and attempt count; the `with_*` methods and
    /// [`new_attempt`](Self::new_attempt) add to it.
    pub fn new(
        index: u32,
        phase: StepPhase,
        name: impl Into<String>,
        key: impl Into<String>,
        status: StepStatus,
    ) -> Self {
        StepUpdate {
            index,
            phase,
            name: name.into(),
            key: key.into(),
            status,
            new_attempt: false,
            output: None,
            error: None,
            resume_token: None,
        }
    }

    /// Marks the update as the start of a new attempt.
    pub fn new_attempt(mut self) -> Self {
        self.new_attempt = true;
        self
    }

    /// Sets the output.
    pub fn with_output(mut self, output: Value) -> Self {
        self.output = Some(output);
        self
    }

    /// Sets the error.
    pub fn with_error(mut self, error: Value) -> Self {
        self.error = Some(error);
        self
    }

    /// Sets a `202` operation's resume token.
    pub fn with_resume_token(mut self, token: impl Into<String>) -> Self {
        self.resume_token = Some(token.into());
        self
    }
}

impl NewEvent {
    /// An event of `kind` about the run as a whole.
    pub fn new(kind: impl Into<String>) -> Self {
        NewEvent {
            kind: kind.into(),
            step: None,
            phase: None,
            attempt: None,
            detail: None,
        }
    }
}

impl JournalWrite {
    /// A change to one step with its history entry of `kind` (about the same
    /// step and phase, at `attempt`).
    ///
    /// ```
    /// use oncely::store::{JournalWrite, StepPhase, StepStatus, StepUpdate};
    /// let update = StepUpdate::new(0, StepPhase::Action, "charge", "key-1", StepStatus::Started);
    /// let write = JournalWrite::step(update.new_attempt(), "step_started", Some(1));
    /// assert_eq!(write.event.step.as_deref(), Some("charge"));
    /// assert_eq!(write.state, None);
    /// ```
    pub fn step(step: StepUpdate, kind: impl Into<String>, attempt: Option<u32>) -> Self {
        let event = NewEvent {
            kind: kind.into(),
            step: Some(step.name.clone()),
            phase: Some(step.phase),
            attempt,
            detail: None,
        };
        JournalWrite {
            step: Some(step),
            state: None,
            error: None,
            event,
        }
    }

    /// A change of the run's state alone, with its history entry of `kind`.
    pub fn run_state(state: RunState, kind: impl Into<String>) -> Self {
        JournalWrite {
            step: None,
            state: Some(state),
            error: None,
            event: NewEvent::new(kind),
        }
    }

    /// Also moves the run to `state`.
    pub fn and_state(mut self, state: RunState) -> Self {
        self.state = Some(state);
        self
    }

    /// Also records the run's error (the failure that made it compensate or park).
    pub fn with_run_error(mut self, error: Value) -> Self {
        self.error = Some(error);
        self
    }

    /// Names the step (and phase) the history entry is about.
    pub fn about(mut self, step: impl Into<String>, phase: StepPhase) -> Self {
        self.event.step = Some(step.into());
        self.event.phase = Some(phase);
        self
    }

    /// Sets the history entry's details.
    pub fn with_detail(mut self, detail: Value) -> Self {
        self.event.detail = Some(detail);
        self
    }
}

/// What [`Journal::create_run`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum CreateRun {
    /// The run was new and is now recorded as pending.
    Created(RunRecord),
    /// A run with this id exists already; nothing was changed.
    Exists(RunRecord),
}

/// What [`Journal::acquire`] found.
#[derive(Debug, Clone, PartialEq)]
pub enum Acquire {
    /// The lease is now held by the caller.
    Acquired(RunRecord),
    /// Another worker holds an unexpired lease.
    Held(RunRecord),
    /// No such run.
    Missing,
}

/// Which runs [`Journal::list_runs`] returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunFilter {
    /// Only runs in these states (empty: all).
    pub states: Vec<RunState>,
    /// Only runs of this workflow.
    pub workflow: Option<String>,
    /// At most this many (newest first); `None`: all.
    pub limit: Option<usize>,
}

/// Counts of runs by state, for dashboards and the chaos report.
pub type StateCounts = std::collections::BTreeMap<RunState, u64>;

/// Storage for workflow runs. Implemented by every store; see the module docs.
#[async_trait]
pub trait Journal: Send + Sync + std::fmt::Debug {
    /// Records a new pending run, or reports the existing run with that id.
    async fn create_run(&self, run: &NewRun) -> Result<CreateRun, StoreError>;

    /// [`create_run`](Self::create_run) for a caller that executes the run at
    /// once: a new run is created leased to `owner` for `lease`, in the same
    /// transaction (one commit instead of two). An existing run is reported
    /// as it is, its lease untouched — the caller [`acquire`](Self::acquire)s
    /// it as usual. By default `create_run` then `acquire`; a new run that
    /// another worker leased in between is reported as existing.
    async fn create_run_leased(
        &self,
        run: &NewRun,
        owner: &str,
        lease: Duration,
    ) -> Result<CreateRun, StoreError> {
        match self.create_run(run).await? {
            CreateRun::Created(created) => {
                Ok(match self.acquire(&created.run_id, owner, lease).await? {
                    Acquire::Acquired(leased) => CreateRun::Created(leased),
                    Acquire::Held(held) => CreateRun::Exists(held),
                    Acquire::Missing => CreateRun::Exists(created),
                })
            }
            exists => Ok(exists),
        }
    }

    /// Reads one run.
    async fn run(&self, run_id: &str) -> Result<Option<RunRecord>, StoreError>;

    /// Reads a run's step rows (actions and compensations), by index then phase.
    async fn steps(&self, run_id: &str) -> Result<Vec<StepRecord>, StoreError>;

    /// Reads a run's history, oldest first.
    async fn events(&self, run_id: &str) -> Result<Vec<EventRecord>, StoreError>;

    /// Lists runs, newest first.
    async fn list_runs(&self, filter: &RunFilter) -> Result<Vec<RunRecord>, StoreError>;

    /// Counts runs by state.
    async fn count_runs(&self) -> Result<StateCounts, StoreError>;

    /// Takes the run's lease for `owner` when nobody holds it, it expired, or
    /// `owner` already holds it.
    async fn acquire(
        &self,
        run_id: &str,
        owner: &str,
        lease: Duration,
    ) -> Result<Acquire, StoreError>;

    /// Takes the lease of one active run (pending, running or compensating) of
    /// one of `workflows` that nobody holds, oldest first; `None` when there is none.
    async fn claim(
        &self,
        owner: &str,
        lease: Duration,
        workflows: &[String],
    ) -> Result<Option<RunRecord>, StoreError>;

    /// Extends `owner`'s lease; `false` when `owner` no longer holds it.
    async fn renew(&self, run_id: &str, owner: &str, lease: Duration) -> Result<bool, StoreError>;

    /// Gives the lease up (no-op unless `owner` holds it).
    async fn release(&self, run_id: &str, owner: &str) -> Result<(), StoreError>;

    /// Gives up every lease `owner` holds: a worker restarting under the same
    /// owner id calls it first, so its unfinished runs are picked up at once
    /// instead of after their leases expire. Returns how many were released.
    async fn release_all(&self, owner: &str) -> Result<u64, StoreError>;

    /// Applies `write` in one transaction if `owner` holds the run's lease, and
    /// extends the lease by `lease`. `false` (nothing written) when the lease
    /// was lost. A write that ends the run (to completed, compensated or
    /// needs attention) gives the lease up in the same transaction: an ended
    /// run needs no worker.
    async fn write(
        &self,
        run_id: &str,
        owner: &str,
        lease: Duration,
        write: &JournalWrite,
    ) -> Result<bool, StoreError>;

    /// Applies `writes` in order, all in one transaction, if `owner` holds the
    /// run's lease, and extends the lease by `lease`. `false` (nothing
    /// written) when the lease was lost. The engine folds a step's result and
    /// the next step's start into one call (see [`crate::workflow`]'s crash
    /// points); the default applies them one by one, which a backend keeping
    /// that guarantee must override.
    async fn write_all(
        &self,
        run_id: &str,
        owner: &str,
        lease: Duration,
        writes: &[JournalWrite],
    ) -> Result<bool, StoreError> {
        for write in writes {
            if !self.write(run_id, owner, lease, write).await? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Marks a run for pickup by any worker: clears its lease, and when
    /// `retry_parked` and the run needs attention, sends it back to
    /// compensating with the next generation of compensation keys. Records an
    /// event. Returns the updated run, or `None` when it does not exist.
    async fn request_pickup(
        &self,
        run_id: &str,
        retry_parked: bool,
    ) -> Result<Option<RunRecord>, StoreError>;
}

/// The history entry of [`Journal::request_pickup`].
pub(crate) fn pickup_event(previous: RunState, run: &RunRecord, retry_parked: bool) -> NewEvent {
    NewEvent {
        kind: if retry_parked {
            "retry_requested"
        } else {
            "resume_requested"
        }
        .into(),
        step: None,
        phase: None,
        attempt: None,
        detail: Some(serde_json::json!({
            "from": previous.as_str(),
            "to": run.state.as_str(),
            "generation": run.generation,
        })),
    }
}

/// True for the states a run ends in (for now): a write to one of them gives
/// the lease up.
pub(crate) fn ends_run(state: Option<RunState>) -> bool {
    state.is_some_and(|s| !s.is_active())
}

/// Milliseconds of a lease, saturating.
pub(crate) fn lease_ms(lease: Duration) -> i64 {
    i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 4)
}

/// Shared conformance tests: every journal backend must pass them.
#[cfg(test)]
pub(crate) mod contract {
    use super::*;
    use serde_json::json;

    pub fn new_run(id: &str) -> NewRun {
        NewRun {
            run_id: id.into(),
            workflow: "wf".into(),
            fingerprint: "fp".into(),
            steps: vec!["a".into(), "b".into()],
            input: json!({"n": 1}),
            trace_context: Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into()),
        }
    }

    fn started(index: u32, name: &str) -> JournalWrite {
        let step = StepUpdate::new(
            index,
            StepPhase::Action,
            name,
            format!("key-{name}"),
            StepStatus::Started,
        );
        JournalWrite::step(step.new_attempt(), "step_started", Some(1)).and_state(RunState::Running)
    }

    pub async fn lifecycle(j: &dyn Journal) {
        let lease = Duration::from_secs(30);
        let created = j.create_run(&new_run("r1")).await.unwrap();
        assert!(matches!(created, CreateRun::Created(ref r) if r.state == RunState::Pending));
        assert!(matches!(
            j.create_run(&new_run("r1")).await.unwrap(),
            CreateRun::Exists(_)
        ));
        assert_eq!(
            j.run("r1").await.unwrap().unwrap().trace_context,
            new_run("r1").trace_context,
            "the trace context is kept with the run"
        );
        assert!(j.run("nope").await.unwrap().is_none());
        assert!(matches!(
            j.acquire("nope", "w1", lease).await.unwrap(),
            Acquire::Missing
        ));
        assert!(matches!(
            j.acquire("r1", "w1", lease).await.unwrap(),
            Acquire::Acquired(_)
        ));
        assert!(
            matches!(j.acquire("r1", "w2", lease).await.unwrap(), Acquire::Held(ref r) if r.lease_owner.as_deref() == Some("w1"))
        );
        assert!(
            matches!(
                j.acquire("r1", "w1", lease).await.unwrap(),
                Acquire::Acquired(_)
            ),
            "re-entrant"
        );

        assert!(j.write("r1", "w1", lease, &started(0, "a")).await.unwrap());
        assert!(
            !j.write("r1", "w2", lease, &started(0, "a")).await.unwrap(),
            "fenced"
        );
        let mut done = started(0, "a");
        if let Some(s) = done.step.as_mut() {
            s.status = StepStatus::Succeeded;
            s.new_attempt = false;
            s.output = Some(json!({"id": "o1"}));
            s.resume_token = Some("tok".into());
        }
        done.event.kind = "step_succeeded".into();
        assert!(j.write("r1", "w1", lease, &done).await.unwrap());
        // A later update without a token keeps the token.
        let mut again = done.clone();
        if let Some(s) = again.step.as_mut() {
            s.resume_token = None;
        }
        assert!(j.write("r1", "w1", lease, &again).await.unwrap());
        let steps = j.steps("r1").await.unwrap();
        assert_eq!(steps.len(), 1);
        assert_eq!(steps[0].status, StepStatus::Succeeded);
        assert_eq!(steps[0].attempts, 1);
        assert_eq!(steps[0].output, Some(json!({"id": "o1"})));
        assert_eq!(steps[0].resume_token.as_deref(), Some("tok"));
        assert!(steps[0].finished_ms.is_some());
        let events = j.events("r1").await.unwrap();
        assert_eq!(
            events.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        assert_eq!(events[0].kind, "step_started");

        let run = j.run("r1").await.unwrap().unwrap();
        assert_eq!(run.state, RunState::Running);
        assert_eq!(run.steps, vec!["a".to_string(), "b".to_string()]);
        assert_eq!(run.input, json!({"n": 1}));

        // Park, then send back.
        let park = JournalWrite::run_state(RunState::NeedsAttention, "parked")
            .with_run_error(json!({"message": "boom"}));
        assert!(j.write("r1", "w1", lease, &park).await.unwrap());
        let parked = j
            .list_runs(&RunFilter {
                states: vec![RunState::NeedsAttention],
                ..RunFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(parked.len(), 1);
        assert_eq!(parked[0].error, Some(json!({"message": "boom"})));
        let back = j.request_pickup("r1", true).await.unwrap().unwrap();
        assert_eq!(back.state, RunState::Compensating);
        assert_eq!(back.generation, 1);
        assert_eq!(back.lease_owner, None);
        assert!(j.request_pickup("missing", true).await.unwrap().is_none());
        let counts = j.count_runs().await.unwrap();
        assert_eq!(counts.get(&RunState::Compensating), Some(&1));
    }

    /// Several writes in one call: applied in order and all together, fenced
    /// like one write; the write that ends the run gives its lease up.
    /// A run created leased belongs to its creator at once; creating it again
    /// leaves it (and its lease) as it is.
    pub async fn a_run_created_leased_is_held_by_its_creator(j: &dyn Journal) {
        let lease = Duration::from_secs(30);
        let created = j
            .create_run_leased(&new_run("cl"), "w1", lease)
            .await
            .unwrap();
        let CreateRun::Created(run) = created else {
            panic!("a new run is created: {created:?}")
        };
        assert_eq!(run.state, RunState::Pending);
        assert_eq!(run.lease_owner.as_deref(), Some("w1"));
        assert!(run.lease_until_ms > crate::store::now_millis());
        assert!(matches!(
            j.acquire("cl", "w2", lease).await.unwrap(),
            Acquire::Held(ref r) if r.lease_owner.as_deref() == Some("w1")
        ));
        assert!(matches!(
            j.create_run_leased(&new_run("cl"), "w2", lease).await.unwrap(),
            CreateRun::Exists(ref r) if r.lease_owner.as_deref() == Some("w1")
        ));
        assert!(j.write("cl", "w1", lease, &started(0, "a")).await.unwrap());
        assert!(!j.write("cl", "w2", lease, &started(0, "a")).await.unwrap());
        let stored = j.run("cl").await.unwrap().unwrap();
        assert_eq!(stored.lease_owner.as_deref(), Some("w1"));
    }

    pub async fn write_all_is_one_fenced_transaction(j: &dyn Journal) {
        let lease = Duration::from_secs(30);
        j.create_run(&new_run("w1")).await.unwrap();
        j.acquire("w1", "owner", lease).await.unwrap();
        let done = JournalWrite::step(
            StepUpdate::new(0, StepPhase::Action, "a", "key-a", StepStatus::Succeeded)
                .with_output(json!({"id": "o1"})),
            "step_succeeded",
            None,
        );
        let fold = [done.clone(), started(1, "b")];
        assert!(
            !j.write_all("w1", "intruder", lease, &fold).await.unwrap(),
            "fenced"
        );
        assert!(j.steps("w1").await.unwrap().is_empty(), "nothing written");
        assert!(j.write_all("w1", "owner", lease, &fold).await.unwrap());
        let steps = j.steps("w1").await.unwrap();
        let status: Vec<_> = steps
            .iter()
            .map(|s| (s.index, s.status, s.attempts))
            .collect();
        assert_eq!(
            status,
            vec![(0, StepStatus::Succeeded, 0), (1, StepStatus::Started, 1)]
        );
        let kinds: Vec<_> = j
            .events("w1")
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.seq, e.kind))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (1, "step_succeeded".to_string()),
                (2, "step_started".to_string())
            ]
        );
        let run = j.run("w1").await.unwrap().unwrap();
        assert_eq!(
            (run.state, run.lease_owner.as_deref()),
            (RunState::Running, Some("owner"))
        );
        let end = [
            JournalWrite::step(
                StepUpdate::new(1, StepPhase::Action, "b", "key-b", StepStatus::Succeeded),
                "step_succeeded",
                None,
            ),
            JournalWrite::run_state(RunState::Completed, "completed"),
        ];
        assert!(j.write_all("w1", "owner", lease, &end).await.unwrap());
        let run = j.run("w1").await.unwrap().unwrap();
        assert_eq!(run.state, RunState::Completed);
        assert_eq!(run.lease_owner, None, "an ended run gives its lease up");
        assert_eq!(j.events("w1").await.unwrap().len(), 4);
        assert!(
            !j.write_all("w1", "owner", lease, &end).await.unwrap(),
            "the lease is gone"
        );
    }

    pub async fn leases_expire_and_claims_are_exclusive(j: &dyn Journal) {
        let short = Duration::from_millis(0);
        let long = Duration::from_secs(30);
        for id in ["c1", "c2"] {
            j.create_run(&new_run(id)).await.unwrap();
        }
        let wf = vec!["wf".to_string()];
        let a = j.claim("w1", long, &wf).await.unwrap().unwrap();
        let b = j.claim("w2", long, &wf).await.unwrap().unwrap();
        assert_ne!(a.run_id, b.run_id);
        assert!(j.claim("w3", long, &wf).await.unwrap().is_none());
        assert!(j
            .claim("w3", long, &["other".to_string()])
            .await
            .unwrap()
            .is_none());
        // w1 gives a short lease: it expires at once and w3 may take it.
        assert!(j.renew(&a.run_id, "w1", short).await.unwrap());
        assert!(!j.renew(&a.run_id, "w9", long).await.unwrap());
        tokio::time::sleep(Duration::from_millis(5)).await;
        let c = j.claim("w3", long, &wf).await.unwrap().unwrap();
        assert_eq!(c.run_id, a.run_id);
        assert!(
            !j.write(&a.run_id, "w1", long, &started(0, "a"))
                .await
                .unwrap(),
            "w1 was fenced out"
        );
        // w2 restarts: releasing all its leases frees b.
        assert_eq!(j.release_all("w2").await.unwrap(), 1);
        let d = j.claim("w4", long, &wf).await.unwrap().unwrap();
        assert_eq!(d.run_id, b.run_id);
        j.release(&d.run_id, "w4").await.unwrap();
        assert!(matches!(
            j.acquire(&d.run_id, "w5", long).await.unwrap(),
            Acquire::Acquired(_)
        ));
    }

    pub async fn concurrent_claims_take_each_run_once(j: std::sync::Arc<dyn Journal>) {
        for i in 0..10 {
            j.create_run(&new_run(&format!("k{i}"))).await.unwrap();
        }
        let tasks: Vec<_> = (0..20)
            .map(|w| {
                let j = j.clone();
                tokio::spawn(async move {
                    j.claim(
                        &format!("w{w}"),
                        Duration::from_secs(30),
                        &["wf".to_string()],
                    )
                    .await
                    .unwrap()
                })
            })
            .collect();
        let mut claimed = Vec::new();
        for t in tasks {
            if let Some(run) = t.await.unwrap() {
                claimed.push(run.run_id);
            }
        }
        claimed.sort();
        let before = claimed.len();
        claimed.dedup();
        assert_eq!(before, claimed.len(), "a run was claimed twice");
        assert_eq!(claimed.len(), 10);
    }
}
