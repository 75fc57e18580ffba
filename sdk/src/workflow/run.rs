//! The engine: starts runs, drives them forward through the journal, resumes
//! them after a crash, and hands failing runs to compensation.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicU32;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tracing::Instrument;

use super::context::{step_key, StepContext};
use super::definition::{Action, Workflow};
use super::error::{StepError, StepErrorKind, WorkflowError};
use crate::client::Client;
use crate::store::{
    Acquire, CreateRun, Journal, JournalWrite, NewRun, RunRecord, RunState, StepPhase, StepRecord,
    StepStatus, StepUpdate, StoreError,
};

/// Where a run ended up after the engine drove it as far as it could.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunOutcome {
    /// The run id.
    pub run_id: String,
    /// The workflow.
    pub workflow: String,
    /// `completed`, `compensated` or `needs_attention`.
    pub state: RunState,
    /// The outputs of the steps that succeeded, by step name.
    pub outputs: BTreeMap<String, Value>,
    /// The failure that made the run compensate (and, when parked, the
    /// compensation failure with it as `cause`).
    pub error: Option<Value>,
}

impl RunOutcome {
    /// True when every step succeeded.
    pub fn is_completed(&self) -> bool {
        self.state == RunState::Completed
    }

    /// A step's output, decoded.
    pub fn output<T: DeserializeOwned>(&self, step: &str) -> Result<T, WorkflowError> {
        let value = self
            .outputs
            .get(step)
            .ok_or_else(|| WorkflowError::InvalidInput {
                what: format!("step {step:?} of run {:?}", self.run_id),
                why: "it has no output".into(),
            })?;
        T::deserialize(value).map_err(|e| WorkflowError::InvalidInput {
            what: format!("output of step {step:?}"),
            why: e.to_string(),
        })
    }
}

/// Drives workflow runs through a journal. Cheap to clone.
///
/// ```no_run
/// use oncely::workflow::{Engine, StepContext, Workflow};
/// use serde_json::{json, Value};
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = oncely::Client::builder("https://api.example.com")
///     .store(oncely::SqliteStore::open("oncely.db")?)
///     .build()?;
/// let saga = Workflow::builder("checkout")
///     .step("create_order", |ctx: StepContext| async move {
///         Ok(ctx.post("/orders").json(&ctx.input::<Value>()?).send_json::<Value>().await?)
///     })
///     .build()?;
/// let engine = Engine::for_client(client)?.register(saga.clone());
/// // The order number is the run id: starting it twice runs it once.
/// let outcome = engine.start(&saga, Some("order-8812"), &json!({"customer_id": "c_1"})).await?;
/// println!("{}: {}", outcome.run_id, outcome.state);
/// // After a crash, any process with the same store continues it:
/// let outcome = engine.resume("order-8812").await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Engine {
    pub(crate) client: Client,
    pub(crate) journal: Arc<dyn Journal>,
    pub(crate) owner: Arc<str>,
    pub(crate) lease: Duration,
    pub(crate) workflows: Arc<HashMap<String, Workflow>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("owner", &self.owner)
            .field("lease", &self.lease)
            .field("workflows", &self.workflows.keys().collect::<Vec<_>>())
            .field("journal", &self.journal)
            .finish()
    }
}

/// Journal writes that fail for a moment (a busy database) are tried this often.
const WRITE_ATTEMPTS: u32 = 4;

impl Engine {
    /// An engine running steps with `client` and journaling into `journal`.
    /// The owner id (for leases) is random; the lease is 30 s.
    pub fn new(client: Client, journal: Arc<dyn Journal>) -> Self {
        let owner = format!(
            "worker-{}-{}",
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        Engine {
            client,
            journal,
            owner: owner.into(),
            lease: Duration::from_secs(30),
            workflows: Arc::new(HashMap::new()),
        }
    }

    /// An engine journaling into the client's own store (the idempotency
    /// records and the journal then live in one file or database).
    pub fn for_client(client: Client) -> Result<Self, WorkflowError> {
        let journal =
            client
                .store()
                .clone()
                .as_journal()
                .ok_or_else(|| WorkflowError::NoJournal {
                    store: format!("{:?}", client.store()),
                })?;
        Ok(Self::new(client, journal))
    }

    /// Sets this worker's id, used for leases. Ids must be unique among live
    /// workers; a worker restarting under the same id may call
    /// [`release_own_leases`](Self::release_own_leases) to pick its runs up at once.
    pub fn owner(mut self, owner: impl Into<String>) -> Self {
        self.owner = owner.into().into();
        self
    }

    /// How long a run's lease lasts without renewal (default 30 s). It is
    /// renewed every third of that while the run executes, so a live worker
    /// keeps its runs and a dead worker's runs are free after at most this long.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(1));
        self
    }

    /// Makes `workflow` known by name, for [`resume`](Self::resume) and workers.
    pub fn register(mut self, workflow: Workflow) -> Self {
        Arc::make_mut(&mut self.workflows).insert(workflow.name().to_string(), workflow);
        self
    }

    /// The client steps run with.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The journal.
    pub fn journal(&self) -> &Arc<dyn Journal> {
        &self.journal
    }

    /// This worker's id.
    pub fn owner_id(&self) -> &str {
        &self.owner
    }

    /// The registered workflows' names.
    pub fn workflow_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.workflows.keys().cloned().collect();
        names.sort();
        names
    }

    /// Records a new run as pending without executing it (a worker picks it
    /// up). `run_id`: a business key such as an order number, or `None` for a
    /// random UUID. Enqueuing the same run id again with the same workflow and
    /// input returns the existing run.
    pub async fn enqueue<I: Serialize + ?Sized>(
        &self,
        workflow: &Workflow,
        run_id: Option<&str>,
        input: &I,
    ) -> Result<RunRecord, WorkflowError> {
        let new = new_run(workflow, run_id, input)?;
        match self.journal.create_run(&new).await? {
            CreateRun::Created(run) => Ok(run),
            CreateRun::Exists(run) => same_run(&new, run),
        }
    }

    /// Starts a run of `workflow` and drives it to its end (see
    /// [`enqueue`](Self::enqueue) for `run_id`). Starting an existing run id
    /// with the same input continues that run instead: it executes once.
    ///
    /// A new run is created with this engine's lease in one commit
    /// ([`Journal::create_run_leased`]).
    pub async fn start<I: Serialize + ?Sized>(
        &self,
        workflow: &Workflow,
        run_id: Option<&str>,
        input: &I,
    ) -> Result<RunOutcome, WorkflowError> {
        let mut new = new_run(workflow, run_id, input)?;
        // The run's first span, made before the run is, so the run records
        // its trace context for whoever resumes it.
        let span = self.run_span(&new.run_id, &new.workflow);
        new.trace_context = crate::telemetry::run_traceparent(Some(&span));
        match self
            .journal
            .create_run_leased(&new, &self.owner, self.lease)
            .await?
        {
            CreateRun::Created(run) if run.lease_owner.as_deref() == Some(&*self.owner) => {
                self.drive_leased_in(workflow, run, span).await
            }
            CreateRun::Created(run) => self.execute(workflow, &run.run_id).await,
            CreateRun::Exists(run) => {
                let run = same_run(&new, run)?;
                self.execute(workflow, &run.run_id).await
            }
        }
    }

    /// Continues a run after a crash with its registered workflow: finished
    /// steps are not called again (their journaled outputs are used), the step
    /// that was in flight is sent again with the same key, a waiting operation
    /// is polled from its journaled token. A finished or parked run just
    /// reports its outcome.
    pub async fn resume(&self, run_id: &str) -> Result<RunOutcome, WorkflowError> {
        let run = self
            .journal
            .run(run_id)
            .await?
            .ok_or_else(|| WorkflowError::UnknownRun {
                run_id: run_id.to_string(),
            })?;
        let workflow = self
            .workflows
            .get(&run.workflow)
            .ok_or_else(|| WorkflowError::UnknownWorkflow {
                run_id: run_id.to_string(),
                workflow: run.workflow.clone(),
            })?
            .clone();
        self.execute(&workflow, run_id).await
    }

    /// Like [`resume`](Self::resume) with an explicit definition.
    pub async fn resume_with(
        &self,
        workflow: &Workflow,
        run_id: &str,
    ) -> Result<RunOutcome, WorkflowError> {
        self.execute(workflow, run_id).await
    }

    /// Gives up every lease held under this engine's owner id (a worker that
    /// restarts with a stable id calls it before working). Returns how many.
    pub async fn release_own_leases(&self) -> Result<u64, WorkflowError> {
        Ok(self.journal.release_all(&self.owner).await?)
    }

    /// Takes one active run of a registered workflow whose lease is free (new,
    /// or left by a crashed worker) and drives it. `None` when there is none.
    ///
    /// A run whose journaled step list differs from the registered definition
    /// gives [`WorkflowError::DefinitionChanged`]; its lease is kept until it
    /// expires, so the worker moves on to other runs meanwhile.
    pub async fn work_once(&self) -> Result<Option<RunOutcome>, WorkflowError> {
        let names = self.workflow_names();
        let Some(run) = self.journal.claim(&self.owner, self.lease, &names).await? else {
            return Ok(None);
        };
        let Some(workflow) = self.workflows.get(&run.workflow).cloned() else {
            self.journal.release(&run.run_id, &self.owner).await?;
            return Err(WorkflowError::UnknownWorkflow {
                run_id: run.run_id,
                workflow: run.workflow,
            });
        };
        check_fingerprint(&workflow, &run)?;
        self.drive_leased(&workflow, run).await.map(Some)
    }

    /// Acquires the run's lease, checks the definition and drives it.
    async fn execute(
        &self,
        workflow: &Workflow,
        run_id: &str,
    ) -> Result<RunOutcome, WorkflowError> {
        let run = match self
            .journal
            .acquire(run_id, &self.owner, self.lease)
            .await?
        {
            Acquire::Acquired(run) => run,
            Acquire::Held(run) => {
                return Err(WorkflowError::Leased {
                    run_id: run_id.to_string(),
                    owner: run.lease_owner.unwrap_or_default(),
                    remaining_ms: run.lease_until_ms - crate::store::now_millis(),
                })
            }
            Acquire::Missing => {
                return Err(WorkflowError::UnknownRun {
                    run_id: run_id.to_string(),
                })
            }
        };
        if run.workflow != workflow.name() {
            self.journal.release(run_id, &self.owner).await?;
            return Err(WorkflowError::RunIdTaken {
                run_id: run_id.to_string(),
                detail: format!("a run of workflow {:?}", run.workflow),
            });
        }
        if let Err(e) = check_fingerprint(workflow, &run) {
            self.journal.release(run_id, &self.owner).await?;
            return Err(e);
        }
        self.drive_leased(workflow, run).await
    }

    /// The span of one drive of a run.
    fn run_span(&self, run_id: &str, workflow: &str) -> tracing::Span {
        tracing::info_span!(
            "oncely.workflow.run",
            "oncely.workflow.run_id" = %run_id,
            "oncely.workflow.name" = %workflow,
            "oncely.workflow.owner" = %self.owner,
            "oncely.workflow.state" = tracing::field::Empty,
        )
    }

    /// Drives a run whose lease this engine holds, renewing the lease meanwhile
    /// and giving it up at the end. The run's span continues the trace the run
    /// recorded when it was created (see `telemetry::continue_run`).
    async fn drive_leased(
        &self,
        workflow: &Workflow,
        run: RunRecord,
    ) -> Result<RunOutcome, WorkflowError> {
        let span = self.run_span(&run.run_id, &run.workflow);
        crate::telemetry::continue_run(&span, run.trace_context.as_deref());
        self.drive_leased_in(workflow, run, span).await
    }

    /// [`drive_leased`](Self::drive_leased) in a span made already.
    async fn drive_leased_in(
        &self,
        workflow: &Workflow,
        run: RunRecord,
        span: tracing::Span,
    ) -> Result<RunOutcome, WorkflowError> {
        let heartbeat = self.heartbeat(&run.run_id);
        let result = Runner {
            engine: self,
            workflow,
            run: &run,
        }
        .drive()
        .instrument(span.clone())
        .await;
        drop(heartbeat);
        if let Ok(outcome) = &result {
            span.record("oncely.workflow.state", outcome.state.as_str());
            crate::telemetry::metrics::workflow_run(&run.workflow, outcome.state);
        }
        // The write that ended an active run gave its lease up with it.
        let released =
            run.state.is_active() && matches!(&result, Ok(outcome) if !outcome.state.is_active());
        if !released && !matches!(result, Err(WorkflowError::LeaseLost { .. })) {
            if let Err(e) = self.journal.release(&run.run_id, &self.owner).await {
                tracing::warn!(run_id = %run.run_id, error = %e, "could not release the lease; it will expire");
            }
        }
        result
    }

    /// Renews the lease every third of its length until the returned guard is
    /// dropped — also when the run's future is cancelled, so a cancelled run's
    /// lease expires like a crashed one's.
    fn heartbeat(&self, run_id: &str) -> AbortOnDrop {
        let (journal, owner, lease, run_id) = (
            self.journal.clone(),
            self.owner.clone(),
            self.lease,
            run_id.to_string(),
        );
        AbortOnDrop(tokio::spawn(async move {
            let every = (lease / 3).max(Duration::from_millis(1));
            loop {
                tokio::time::sleep(every).await;
                match journal.renew(&run_id, &owner, lease).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(run_id, owner = %owner, "lease lost");
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(run_id, error = %e, "lease renewal failed; trying again")
                    }
                }
            }
        }))
    }

    /// One journal transaction, retried briefly on backend errors; a lost
    /// lease ends the run's execution here.
    pub(crate) async fn write(
        &self,
        run_id: &str,
        write: JournalWrite,
    ) -> Result<(), WorkflowError> {
        self.write_all(run_id, vec![write]).await
    }

    /// Several writes in one journal transaction, like [`write`](Self::write).
    pub(crate) async fn write_all(
        &self,
        run_id: &str,
        writes: Vec<JournalWrite>,
    ) -> Result<(), WorkflowError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self
                .journal
                .write_all(run_id, &self.owner, self.lease, &writes)
                .await
            {
                Ok(true) => return Ok(()),
                Ok(false) => {
                    return Err(WorkflowError::LeaseLost {
                        run_id: run_id.to_string(),
                        owner: self.owner.to_string(),
                    })
                }
                Err(StoreError::Backend { operation, reason }) if attempt < WRITE_ATTEMPTS => {
                    tracing::warn!(run_id, operation, reason = %reason, attempt, "journal write failed; retrying");
                    tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    pub(crate) fn context(
        &self,
        run: &RunRecord,
        step: &str,
        phase: StepPhase,
        key: String,
        attempt: u32,
        outputs: &Arc<BTreeMap<String, Value>>,
    ) -> StepContext {
        StepContext {
            client: self.client.clone(),
            run_id: run.run_id.as_str().into(),
            workflow: run.workflow.as_str().into(),
            step: step.into(),
            phase,
            key: key.into(),
            attempt,
            input: Arc::new(run.input.clone()),
            outputs: outputs.clone(),
            calls: Arc::new(AtomicU32::new(0)),
            first_use: false,
        }
    }
}

/// Aborts a background task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The run `workflow` would record for `run_id` (a random UUID when `None`)
/// and `input`.
fn new_run<I: Serialize + ?Sized>(
    workflow: &Workflow,
    run_id: Option<&str>,
    input: &I,
) -> Result<NewRun, WorkflowError> {
    let run_id = match run_id {
        Some(id) => {
            check_run_id(id)?;
            id.to_string()
        }
        None => uuid::Uuid::new_v4().to_string(),
    };
    let input = serde_json::to_value(input).map_err(|e| WorkflowError::InvalidInput {
        what: "run input".into(),
        why: e.to_string(),
    })?;
    Ok(NewRun {
        run_id,
        workflow: workflow.name().to_string(),
        fingerprint: workflow.fingerprint().to_string(),
        steps: workflow
            .step_names()
            .into_iter()
            .map(str::to_string)
            .collect(),
        input,
        // A run made to be picked up later continues its creator's trace.
        trace_context: crate::telemetry::run_traceparent(None),
    })
}

/// The existing run with `new`'s id, if it is the same run (same workflow,
/// same input); otherwise the id is taken.
fn same_run(new: &NewRun, existing: RunRecord) -> Result<RunRecord, WorkflowError> {
    if existing.workflow != new.workflow {
        return Err(WorkflowError::RunIdTaken {
            run_id: new.run_id.clone(),
            detail: format!("a run of workflow {:?}", existing.workflow),
        });
    }
    if existing.input != new.input {
        return Err(WorkflowError::RunIdTaken {
            run_id: new.run_id.clone(),
            detail: "a run of the same workflow with a different input".into(),
        });
    }
    Ok(existing)
}

fn check_run_id(id: &str) -> Result<(), WorkflowError> {
    let invalid = |why: &str| WorkflowError::InvalidInput {
        what: format!("run id {id:?}"),
        why: why.into(),
    };
    if id.trim().is_empty() {
        return Err(invalid("it is empty"));
    }
    if id.len() > 200 {
        return Err(invalid("it is longer than 200 bytes"));
    }
    if id.chars().any(char::is_control) {
        return Err(invalid("it contains control characters"));
    }
    Ok(())
}

fn check_fingerprint(workflow: &Workflow, run: &RunRecord) -> Result<(), WorkflowError> {
    if run.fingerprint == workflow.fingerprint() {
        return Ok(());
    }
    Err(WorkflowError::DefinitionChanged {
        run_id: run.run_id.clone(),
        workflow: run.workflow.clone(),
        journaled: run.steps.clone(),
        current: workflow
            .step_names()
            .into_iter()
            .map(str::to_string)
            .collect(),
    })
}

/// One run being driven.
pub(crate) struct Runner<'a> {
    pub engine: &'a Engine,
    pub workflow: &'a Workflow,
    pub run: &'a RunRecord,
}

/// The run's error when action `step` failed for good with `error`.
pub(crate) fn action_failure(step: &str, error: Option<Value>) -> Value {
    serde_json::json!({"step": step, "phase": "action", "error": error})
}

impl Runner<'_> {
    async fn drive(&self) -> Result<RunOutcome, WorkflowError> {
        // A pending run has no steps yet: the first step's start moves it on.
        let steps = if self.run.state == RunState::Pending {
            Vec::new()
        } else {
            self.engine.journal.steps(&self.run.run_id).await?
        };
        match self.run.state {
            RunState::Pending | RunState::Running => self.forward(&steps).await,
            RunState::Compensating => {
                let outputs = succeeded_outputs(&steps);
                self.compensate(&steps, outputs).await
            }
            RunState::Completed | RunState::Compensated | RunState::NeedsAttention => Ok(self
                .outcome(
                    self.run.state,
                    succeeded_outputs(&steps),
                    self.run.error.clone(),
                )),
        }
    }

    /// An update of `step`'s action row (sent with the step's key).
    pub(crate) fn action_update(
        &self,
        index: u32,
        step: &super::definition::Step,
        status: StepStatus,
    ) -> StepUpdate {
        StepUpdate::new(
            index,
            StepPhase::Action,
            &step.name,
            step_key(&self.run.run_id, &step.name),
            status,
        )
    }

    pub(crate) fn outcome(
        &self,
        state: RunState,
        outputs: BTreeMap<String, Value>,
        error: Option<Value>,
    ) -> RunOutcome {
        RunOutcome {
            run_id: self.run.run_id.clone(),
            workflow: self.run.workflow.clone(),
            state,
            outputs,
            error,
        }
    }

    async fn forward(&self, journaled: &[StepRecord]) -> Result<RunOutcome, WorkflowError> {
        let mut outputs = BTreeMap::new();
        // The step whose start this execution already committed, folded into
        // the previous step's result (see the crash points in the module docs).
        let mut start_committed = None;
        let plan = self.workflow.plan();
        // The finished steps in order, for a driven plan's decisions.
        let mut done: Vec<(String, Value)> = Vec::new();
        let mut cursor = plan.cursor(&self.run.input);
        let mut current = match cursor.step_at(0, &done) {
            Ok(step) => step,
            Err(error) => return self.fail_unplanned(0, error, outputs).await,
        };
        let mut position = 0usize;
        while let Some(step) = current {
            let index = u32::try_from(position).unwrap_or(u32::MAX);
            let record = find(journaled, index, StepPhase::Action);
            if let Some(r) = record.filter(|r| r.name != step.name) {
                return Err(self.changed(journaled, r, &step.name));
            }
            let output = match record.map(|r| r.status) {
                Some(StepStatus::Succeeded) => {
                    tracing::debug!(step = %step.name, "already succeeded: using the journaled output");
                    record.and_then(|r| r.output.clone()).unwrap_or(Value::Null)
                }
                Some(StepStatus::Failed) => {
                    // The failure was journaled but the run did not move on: compensate now.
                    let error = record.and_then(|r| r.error.clone());
                    let write = JournalWrite::run_state(RunState::Compensating, "compensating")
                        .with_run_error(action_failure(&step.name, error))
                        .about(&step.name, StepPhase::Action);
                    self.engine.write(&self.run.run_id, write).await?;
                    return self.compensate(journaled, outputs).await;
                }
                Some(StepStatus::Started) | None => {
                    let shared = Arc::new(outputs.clone());
                    let start = Start {
                        committed: start_committed == Some(index),
                        // No row before this execution reached the step: its keys were
                        // never sent (a send always follows its start's commit).
                        first_use: record.is_none(),
                    };
                    match self
                        .run_action(index, &step, record, &shared, RunState::Running, start)
                        .await?
                    {
                        Ok(output) => {
                            if plan.is_driven() {
                                done.push((step.name.clone(), output.clone()));
                            }
                            let next = match cursor.step_at(position + 1, &done) {
                                Ok(next) => next,
                                Err(error) => {
                                    // Journal the output first: the step did take effect.
                                    let update = self
                                        .action_update(index, &step, StepStatus::Succeeded)
                                        .with_output(output.clone());
                                    self.engine
                                        .write(
                                            &self.run.run_id,
                                            JournalWrite::step(update, "step_succeeded", None),
                                        )
                                        .await?;
                                    outputs.insert(step.name.clone(), output);
                                    return self.fail_unplanned(position + 1, error, outputs).await;
                                }
                            };
                            let update = self
                                .action_update(index, &step, StepStatus::Succeeded)
                                .with_output(output.clone());
                            // One commit: this step's result, and the next step's start
                            // (or the run's completion, giving the lease up).
                            let mut writes =
                                vec![JournalWrite::step(update, "step_succeeded", None)];
                            match &next {
                                Some(next) => {
                                    let next_index = index.saturating_add(1);
                                    if find(journaled, next_index, StepPhase::Action).is_none() {
                                        writes.push(self.start_write(
                                            next_index,
                                            next,
                                            1,
                                            RunState::Running,
                                        ));
                                        start_committed = Some(next_index);
                                    }
                                }
                                None => writes.push(JournalWrite::run_state(
                                    RunState::Completed,
                                    "completed",
                                )),
                            }
                            self.engine.write_all(&self.run.run_id, writes).await?;
                            outputs.insert(step.name.clone(), output);
                            if next.is_none() {
                                return Ok(self.outcome(RunState::Completed, outputs, None));
                            }
                            current = next;
                            position += 1;
                            continue;
                        }
                        Err(error) if error.kind() == StepErrorKind::Store => {
                            return Err(WorkflowError::Interrupted {
                                run_id: self.run.run_id.clone(),
                                step: step.name.clone(),
                                error,
                            });
                        }
                        Err(error) => {
                            tracing::warn!(step = %step.name, error = %error, "step failed for good; compensating");
                            let failure = error.to_json();
                            let update = self
                                .action_update(index, &step, StepStatus::Failed)
                                .with_error(failure.clone());
                            let write = JournalWrite::step(update, "step_failed", None)
                                .and_state(RunState::Compensating)
                                .with_run_error(action_failure(&step.name, Some(failure.clone())))
                                .with_detail(failure);
                            self.engine.write(&self.run.run_id, write).await?;
                            let steps = self.engine.journal.steps(&self.run.run_id).await?;
                            return self.compensate(&steps, outputs).await;
                        }
                    }
                }
            };
            // A journaled step: its output decides (for a driven plan) what comes next.
            if plan.is_driven() {
                done.push((step.name.clone(), output.clone()));
            }
            outputs.insert(step.name.clone(), output);
            position += 1;
            current = match cursor.step_at(position, &done) {
                Ok(next) => next,
                Err(error) => return self.fail_unplanned(position, error, outputs).await,
            };
        }
        self.engine
            .write(
                &self.run.run_id,
                JournalWrite::run_state(RunState::Completed, "completed"),
            )
            .await?;
        Ok(self.outcome(RunState::Completed, outputs, None))
    }

    /// A driven plan could not decide the step at `position`: the run fails
    /// there, and what finished is compensated.
    async fn fail_unplanned(
        &self,
        position: usize,
        error: StepError,
        outputs: BTreeMap<String, Value>,
    ) -> Result<RunOutcome, WorkflowError> {
        tracing::warn!(position, error = %error, "the workflow's driver could not decide the next step; compensating");
        let write = JournalWrite::run_state(RunState::Compensating, "compensating").with_run_error(
            serde_json::json!({"step": null, "position": position, "phase": "plan", "error": error.to_json()}),
        );
        self.engine.write(&self.run.run_id, write).await?;
        let steps = self.engine.journal.steps(&self.run.run_id).await?;
        self.compensate(&steps, outputs).await
    }

    /// The run's journal names `record` where the definition now has `now`.
    pub(crate) fn changed(
        &self,
        journaled: &[StepRecord],
        record: &StepRecord,
        now: &str,
    ) -> WorkflowError {
        let mut names: Vec<String> = journaled
            .iter()
            .filter(|r| r.phase == StepPhase::Action)
            .map(|r| r.name.clone())
            .collect();
        names.dedup();
        tracing::warn!(journaled = %record.name, now, "the journaled step differs from the definition's");
        WorkflowError::DefinitionChanged {
            run_id: self.run.run_id.clone(),
            workflow: self.run.workflow.clone(),
            journaled: names,
            current: vec![now.to_string()],
        }
    }

    /// The write that starts attempt `attempt` of step `index`'s action,
    /// moving the run to `state`.
    pub(crate) fn start_write(
        &self,
        index: u32,
        step: &super::definition::Step,
        attempt: u32,
        state: RunState,
    ) -> JournalWrite {
        let update = self
            .action_update(index, step, StepStatus::Started)
            .new_attempt();
        JournalWrite::step(update, "step_started", Some(attempt)).and_state(state)
    }

    /// Runs one step's action with its retries, journaling the run as `state`
    /// meanwhile (running, or compensating while an ambiguous step is settled).
    /// The outer `Result` is the engine's (journal), the inner one the step's.
    pub(crate) async fn run_action(
        &self,
        index: u32,
        step: &super::definition::Step,
        record: Option<&StepRecord>,
        outputs: &Arc<BTreeMap<String, Value>>,
        state: RunState,
        start: Start,
    ) -> Result<Result<Value, StepError>, WorkflowError> {
        let policy = self.workflow.action_retry();
        let key = step_key(&self.run.run_id, &step.name);
        let mut attempt = record.map(|r| r.attempts).unwrap_or(0);
        let mut token = record.and_then(|r| r.resume_token.clone());
        let mut tries = 0;
        // A retried attempt's failure, committed with the next attempt's start.
        let mut failed_attempt = None;
        loop {
            tries += 1;
            attempt += 1;
            if !(tries == 1 && start.committed) {
                let mut writes: Vec<JournalWrite> = failed_attempt.take().into_iter().collect();
                writes.push(self.start_write(index, step, attempt, state));
                self.engine.write_all(&self.run.run_id, writes).await?;
            }
            let ctx = self.engine.context(
                self.run,
                &step.name,
                StepPhase::Action,
                key.clone(),
                attempt,
                outputs,
            );
            let ctx = ctx.first_use(start.first_use && tries == 1);
            let span = tracing::info_span!(
                "oncely.workflow.step",
                "oncely.workflow.run_id" = %self.run.run_id,
                "oncely.workflow.step" = %step.name,
                "oncely.workflow.phase" = "action",
                "oncely.idempotency_key" = %key,
                "oncely.workflow.attempt" = i64::from(attempt),
            );
            let result = async {
                match &step.action {
                    Action::Call(action) => Ok::<_, WorkflowError>(action(ctx).await),
                    Action::Operation { submit, wait } => {
                        let current = match token.clone() {
                            Some(t) => {
                                tracing::info!("continuing the journaled operation instead of submitting again");
                                t
                            }
                            None => match submit(ctx).await {
                                Ok(t) => {
                                    let update = self
                                        .action_update(index, step, StepStatus::Started)
                                        .with_resume_token(t.clone());
                                    self.engine
                                        .write(
                                            &self.run.run_id,
                                            JournalWrite::step(update, "operation_submitted", Some(attempt)),
                                        )
                                        .await?;
                                    token = Some(t.clone());
                                    t
                                }
                                Err(e) => return Ok(Err(e)),
                            },
                        };
                        Ok(wait(self.engine.client.clone(), current).await)
                    }
                }
            }
            .instrument(span)
            .await?;
            match result {
                Ok(value) => return Ok(Ok(value)),
                Err(e) if e.kind() == StepErrorKind::Retryable && tries < policy.attempts() => {
                    let delay = policy.backoff(tries - 1);
                    tracing::info!(step = %step.name, error = %e, delay_ms = delay.as_millis() as u64, "step failed; retrying with the same key");
                    let update = self
                        .action_update(index, step, StepStatus::Started)
                        .with_error(e.to_json());
                    failed_attempt = Some(
                        JournalWrite::step(update, "step_attempt_failed", Some(attempt))
                            .with_detail(e.to_json()),
                    );
                    tokio::time::sleep(delay).await;
                }
                Err(e) => return Ok(Err(e.into_permanent())),
            }
        }
    }
}

/// How a step's first attempt in this execution begins.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Start {
    /// Its start is committed already (folded into the previous step's result).
    pub committed: bool,
    /// Its keys were never sent before, so their records are written lazily.
    pub first_use: bool,
}

/// The journaled outputs of succeeded actions, by step name.
pub(crate) fn succeeded_outputs(steps: &[StepRecord]) -> BTreeMap<String, Value> {
    steps
        .iter()
        .filter(|s| s.phase == StepPhase::Action && s.status == StepStatus::Succeeded)
        .map(|s| (s.name.clone(), s.output.clone().unwrap_or(Value::Null)))
        .collect()
}

pub(crate) fn find(steps: &[StepRecord], index: u32, phase: StepPhase) -> Option<&StepRecord> {
    steps.iter().find(|s| s.index == index && s.phase == phase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_are_checked() {
        assert!(check_run_id("order-42").is_ok());
        for bad in ["", "  ", "a\nb", &"x".repeat(201)] {
            assert!(
                matches!(check_run_id(bad), Err(WorkflowError::InvalidInput { .. })),
                "{bad:?}"
            );
        }
    }
}
