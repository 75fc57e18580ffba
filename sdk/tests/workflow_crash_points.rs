//! The crash points of a run, one by one: the engine loses its journal at the
//! n-th commit (before it is applied, or right after), a fresh engine resumes
//! the run, and the server's ledger must show every side effect once, the
//! journal a finished run whose history adds up. See the crash-point table in
//! `oncely::workflow`'s docs.

mod workflow_common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use oncely::store::{
    Acquire, CreateRun, EventRecord, Journal, JournalWrite, NewRun, RunFilter, RunRecord, RunState,
    StateCounts, StepPhase, StepRecord, StepStatus, StoreError,
};
use oncely::workflow::{Engine, WorkflowError};
use oncely::{SqliteStore, Store};
use orders_server::SideEffect;
use workflow_common::*;

/// Where the journal fails.
#[derive(Debug, Clone, Copy)]
enum Crash {
    /// The n-th journal commit is never applied.
    Before(usize),
    /// The n-th journal commit is applied, then the engine hears nothing more.
    After(usize),
}

/// A journal that stops working at one commit, as a killed process would:
/// that commit and every later one fail with an error the engine does not
/// retry.
#[derive(Debug)]
struct Crashing {
    inner: Arc<dyn Journal>,
    crash: Crash,
    commits: AtomicUsize,
}

impl Crashing {
    fn dead() -> StoreError {
        StoreError::BadRecord {
            key: "journal".into(),
            reason: "the process was killed here".into(),
        }
    }

    /// Counts one commit; `Err` when the process is dead by now (before it).
    fn before(&self) -> Result<usize, StoreError> {
        let n = self.commits.fetch_add(1, Ordering::SeqCst) + 1;
        match self.crash {
            Crash::Before(at) | Crash::After(at) if n > at => Err(Self::dead()),
            Crash::Before(at) if n == at => Err(Self::dead()),
            _ => Ok(n),
        }
    }

    /// After the commit: `Err` when the process died right after it.
    fn after<T>(&self, n: usize, value: T) -> Result<T, StoreError> {
        match self.crash {
            Crash::After(at) if n == at => Err(Self::dead()),
            _ => Ok(value),
        }
    }
}

#[async_trait]
impl Journal for Crashing {
    async fn create_run(&self, run: &NewRun) -> Result<CreateRun, StoreError> {
        let n = self.before()?;
        let created = self.inner.create_run(run).await?;
        self.after(n, created)
    }
    async fn create_run_leased(
        &self,
        run: &NewRun,
        owner: &str,
        lease: Duration,
    ) -> Result<CreateRun, StoreError> {
        let n = self.before()?;
        let created = self.inner.create_run_leased(run, owner, lease).await?;
        self.after(n, created)
    }
    async fn run(&self, run_id: &str) -> Result<Option<RunRecord>, StoreError> {
        self.inner.run(run_id).await
    }
    async fn steps(&self, run_id: &str) -> Result<Vec<StepRecord>, StoreError> {
        self.inner.steps(run_id).await
    }
    async fn events(&self, run_id: &str) -> Result<Vec<EventRecord>, StoreError> {
        self.inner.events(run_id).await
    }
    async fn list_runs(&self, filter: &RunFilter) -> Result<Vec<RunRecord>, StoreError> {
        self.inner.list_runs(filter).await
    }
    async fn count_runs(&self) -> Result<StateCounts, StoreError> {
        self.inner.count_runs().await
    }
    async fn acquire(
        &self,
        run_id: &str,
        owner: &str,
        lease: Duration,
    ) -> Result<Acquire, StoreError> {
        let n = self.before()?;
        let acquired = self.inner.acquire(run_id, owner, lease).await?;
        self.after(n, acquired)
    }
    async fn claim(
        &self,
        owner: &str,
        lease: Duration,
        workflows: &[String],
    ) -> Result<Option<RunRecord>, StoreError> {
        self.inner.claim(owner, lease, workflows).await
    }
    async fn renew(&self, run_id: &str, owner: &str, lease: Duration) -> Result<bool, StoreError> {
        self.inner.renew(run_id, owner, lease).await
    }
    async fn release(&self, _run_id: &str, _owner: &str) -> Result<(), StoreError> {
        // A killed process gives nothing up; a live one here has nothing to give.
        Ok(())
    }
    async fn release_all(&self, owner: &str) -> Result<u64, StoreError> {
        self.inner.release_all(owner).await
    }
    async fn write(
        &self,
        run_id: &str,
        owner: &str,
        lease: Duration,
        write: &JournalWrite,
    ) -> Result<bool, StoreError> {
        self.write_all(run_id, owner, lease, std::slice::from_ref(write))
            .await
    }
    async fn write_all(
        &self,
        run_id: &str,
        owner: &str,
        lease: Duration,
        writes: &[JournalWrite],
    ) -> Result<bool, StoreError> {
        let n = self.before()?;
        let applied = self.inner.write_all(run_id, owner, lease, writes).await?;
        self.after(n, applied)
    }
    async fn request_pickup(
        &self,
        run_id: &str,
        retry_parked: bool,
    ) -> Result<Option<RunRecord>, StoreError> {
        self.inner.request_pickup(run_id, retry_parked).await
    }
}

/// The commits of one order saga run from start to end.
const COMMITS_PER_RUN: usize = 7;

/// Crashes a run at `crash`, resumes it in a "restarted process" (a fresh store
/// handle, client and engine with the same owner id), and checks the result.
async fn crash_and_resume(store: impl Fn() -> Arc<dyn Store>, crash: Crash, run_id: &str) {
    let server = server().await;
    let base = server.base_url();
    let first = store();
    let crashing = Arc::new(Crashing {
        inner: first.clone().as_journal().unwrap(),
        crash,
        commits: AtomicUsize::new(0),
    });
    let dying = Engine::new(client(&base, first.clone()), crashing)
        .owner("w1")
        .lease(Duration::from_millis(500))
        .register(order_saga());
    let input = OrderInput::new(1, false);
    match dying.start(&order_saga(), Some(run_id), &input).await {
        Err(WorkflowError::Journal(_)) => {}
        other => panic!("{crash:?}: the run should have died, got {other:?}"),
    }
    drop(dying);
    drop(first);
    // The dead worker's lease expires; a restarted one takes the run over.
    tokio::time::sleep(Duration::from_millis(510)).await;
    let restarted = engine(&base, store(), "w2");
    let outcome = match restarted.resume(run_id).await {
        Err(WorkflowError::UnknownRun { .. }) if matches!(crash, Crash::Before(1)) => {
            // Died before the run was recorded: the caller starts it again.
            restarted
                .start(&order_saga(), Some(run_id), &input)
                .await
                .unwrap()
        }
        other => other.unwrap(),
    };
    assert_eq!(outcome.state, RunState::Completed, "{crash:?}: {outcome:?}");
    let order: Resource = outcome.output("create_order").unwrap();
    for kind in [
        SideEffect::OrderCreated,
        SideEffect::InventoryReserved,
        SideEffect::PaymentAuthorized,
        SideEffect::ShipmentRequested,
    ] {
        assert_eq!(count(&server, kind, &order.id), 1, "{crash:?}: {kind:?}");
    }
    assert_eq!(server.ledger().len(), 4, "{crash:?}: nothing else happened");
    let journal = restarted.journal();
    let steps = journal.steps(run_id).await.unwrap();
    assert_eq!(steps.len(), 4, "{crash:?}");
    assert!(
        steps.iter().all(|s| s.phase == StepPhase::Action
            && s.status == StepStatus::Succeeded
            && s.output.is_some()
            && s.attempts >= 1),
        "{crash:?}: {steps:?}"
    );
    let events = journal.events(run_id).await.unwrap();
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (1..=events.len() as u64).collect::<Vec<_>>(),
        "{crash:?}"
    );
    assert_eq!(
        events.last().map(|e| e.kind.as_str()),
        Some("completed"),
        "{crash:?}"
    );
    let run = journal.run(run_id).await.unwrap().unwrap();
    assert_eq!(
        run.lease_owner, None,
        "{crash:?}: the ended run holds no lease"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_crash_point_resumes_to_one_side_effect_per_step_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oncely.db");
    let store = || -> Arc<dyn Store> { Arc::new(SqliteStore::open(&path).unwrap()) };
    for at in 1..=COMMITS_PER_RUN {
        crash_and_resume(&store, Crash::Before(at), &format!("before-{at}")).await;
        crash_and_resume(&store, Crash::After(at), &format!("after-{at}")).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_crash_point_resumes_to_one_side_effect_per_step_on_postgres() {
    let Some(url) = pg_url("every_crash_point_on_postgres") else {
        return;
    };
    let schema = pg_schema("crash_points");
    let shared = pg_store(&url, &schema).await;
    let store = || shared.clone();
    for at in 1..=COMMITS_PER_RUN {
        crash_and_resume(&store, Crash::Before(at), &format!("before-{at}")).await;
        crash_and_resume(&store, Crash::After(at), &format!("after-{at}")).await;
    }
}

/// The journal commits of one run, counted: the crash points above cover
/// them all, and the fold keeps them few.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_four_step_run_commits_its_journal_seven_times() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path().join("c.db")).unwrap());
    let engine = engine(&server.base_url(), store.clone(), "w1");
    let before = store.write_counts().unwrap();
    let outcome = engine
        .start(&order_saga(), Some("counted"), &OrderInput::new(2, false))
        .await
        .unwrap();
    assert!(outcome.is_completed());
    store.flush().await.unwrap();
    let counted = store.write_counts().unwrap() - before;
    // create (leased), first start, three results each with the next start,
    // the shipment's token, the last result with the completion.
    assert_eq!(counted.journal_writes, 11, "{counted:?}");
    // Each call's record rides along, written with its answer unless the call
    // outlasted the writer's linger.
    assert!(
        (4..=8).contains(&counted.intent_writes),
        "a record and at most one answer per call: {counted:?}"
    );
    let journal_commits = COMMITS_PER_RUN as u64;
    assert!(
        (journal_commits..=journal_commits + 4).contains(&counted.commits),
        "{counted:?}"
    );
}
