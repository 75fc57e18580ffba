//! The background writer of [`SqliteStore`](super::SqliteStore): the one
//! thread that commits the journal, in groups; records of calls whose keys no
//! one can know yet, written behind the call; and WAL checkpoints kept off the
//! request path.
//!
//! **Journal group commit.** Every journal change (a run created, a lease
//! taken, [`Journal::write_all`](crate::store::Journal::write_all)) is queued
//! here and its caller waits for the answer. The writer commits as soon as it
//! is free, taking everything queued by then into one `IMMEDIATE`
//! transaction, each change in a savepoint of its own (one failing change is
//! undone alone and its caller told), and answers every caller once the
//! transaction is committed. One run alone pays one commit per change, as
//! before; thirty-two runs writing at once share a few (the workflow bench
//! counts them).
//!
//! What is written late, and why that keeps calls exactly-once: the calls whose
//! key oncely generated at random. Such a key is known to its call alone; after
//! a crash no call can present it again, so committing its intent before the
//! first attempt, or its answer before the call returns, would change no
//! outcome — the server has the key, and a retry by the caller is a new call
//! with a new key either way. Those records are queued and normally written
//! once, intent and answer together. Intents a later call can name (an intent
//! id, a caller's key) never come here: they are committed on the caller's
//! thread, before the first attempt and before the call returns.
//!
//! Inside the process a queued entry is visible at once: reads consult the queue
//! before the database. Entries are committed in groups, one transaction per
//! group, at most [`LINGER`] after the first of the group was queued — so under
//! load one write serves many calls. Dropping the last handle of the store (or
//! calling [`SqliteStore::flush`](super::SqliteStore::flush)) writes everything
//! queued.
//!
//! Checkpoints (copying the WAL back into the database, with an `fsync`) also
//! run here, on a connection of their own, so a call never pays for one.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, OpenFlags, TransactionBehavior};
use tokio::sync::oneshot;

use super::journal::{JobAnswer, JournalJob};

use crate::store::counters::Counters;
use crate::store::{IntentRecord, IntentState, StoreError, StoredOutcome};

/// Most entries written in one transaction.
const BATCH: usize = 512;
/// How long the first entry of a group waits for company (and a queued intent
/// for its answer) before the group is committed.
pub(super) const LINGER: Duration = Duration::from_millis(2);
/// How long the WAL may hold uncheckpointed writes once the store is idle.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// One entry waiting to be committed.
#[derive(Debug, Clone)]
pub(super) enum Queued {
    /// A whole record not yet in the database (a generated key's intent, with
    /// its answer once known).
    Record(Arc<IntentRecord>),
    /// The answer for an intent already in the database.
    Outcome(Arc<StoredOutcome>),
}

/// A journal transaction waiting for the next group, and its caller's reply.
struct Job {
    job: JournalJob,
    reply: oneshot::Sender<Result<JobAnswer, StoreError>>,
}

/// Entries waiting to be committed, in the order they were queued.
#[derive(Default)]
struct Queue {
    /// Journal transactions, oldest first; each caller waits for its group's
    /// commit, so these are committed as soon as the writer is free.
    jobs: Vec<Job>,
    /// key → (sequence number, entry); the newest entry per key wins.
    by_key: HashMap<String, (u64, Queued)>,
    /// sequence number → key, oldest first.
    order: BTreeMap<u64, String>,
    next_seq: u64,
    /// When the queue last went from empty to not empty.
    group_started: Option<Instant>,
    /// Set by a flush: commit what is queued without lingering.
    flush_requested: bool,
    /// True while the writer thread waits for work.
    writer_waiting: bool,
    shutdown: bool,
}

impl Queue {
    /// The oldest sequence number not yet committed, if any.
    fn oldest(&self) -> Option<u64> {
        self.order.keys().next().copied()
    }

    /// Queues `entry` for `key` under a new sequence number (so a batch being
    /// written with an older entry for the key does not retire this one),
    /// replacing any older entry. Returns true when the writer should be woken
    /// to start timing a new group.
    fn push(&mut self, key: String, entry: Queued) -> bool {
        let starts_group = self.order.is_empty();
        self.insert(key, entry, starts_group)
    }

    /// [`push`](Self::push), told whether the entry starts a new group.
    fn insert(&mut self, key: String, entry: Queued, starts_group: bool) -> bool {
        let seq = self.next_seq;
        self.next_seq += 1;
        if let Some((old, _)) = self.by_key.insert(key.clone(), (seq, entry)) {
            self.order.remove(&old);
        }
        self.order.insert(seq, key);
        if starts_group {
            self.group_started = Some(Instant::now());
        }
        starts_group && self.writer_waiting
    }
}

/// State shared by the store's handles and the writer thread.
struct Shared {
    queue: Mutex<Queue>,
    /// Wakes the writer: work queued, the WAL got dirty, or shutdown.
    wake: Condvar,
    /// Wakes flushers when a batch is committed.
    committed: Condvar,
    /// True when something was written since the last checkpoint.
    dirty: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Every update leaves the queue consistent, so a poisoned lock is usable.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The writer: owned (through an `Arc`) by every clone of one store. Dropping
/// the last one commits what is queued and stops the thread.
pub(super) struct Writer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("queued", &self.shared.lock().by_key.len())
            .finish()
    }
}

impl Writer {
    /// Starts the writer thread for the store at `path`, writing through `conn`
    /// (the store's own connection, shared under its mutex).
    pub fn start(
        path: &Path,
        conn: Arc<Mutex<Connection>>,
        counters: Arc<Counters>,
    ) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
            committed: Condvar::new(),
            dirty: AtomicBool::new(false),
        });
        let thread = std::thread::Builder::new()
            .name("oncely-sqlite-writer".into())
            .spawn({
                let shared = shared.clone();
                let path = path.to_path_buf();
                move || run(&shared, &conn, &path, &counters)
            })?;
        Ok(Writer {
            shared,
            thread: Some(thread),
        })
    }

    /// Queues a new intent (one whose key no other call can know); it is
    /// visible to [`queued`](Self::queued) at once.
    pub fn enqueue_record(&self, record: IntentRecord) {
        let key = record.key.clone();
        let wake = self
            .shared
            .lock()
            .push(key, Queued::Record(Arc::new(record)));
        if wake {
            self.shared.wake.notify_one();
        }
    }

    /// Queues the answer for `key`: folded into its queued intent when there is
    /// one, else written as an update of the intent in the database.
    pub fn enqueue_outcome(&self, key: &str, outcome: StoredOutcome) {
        let mut queue = self.shared.lock();
        let starts_group = queue.order.is_empty();
        let entry = match queue.by_key.remove(key) {
            Some((seq, Queued::Record(mut record))) => {
                queue.order.remove(&seq);
                // No copy unless the writer holds this record right now.
                let record_mut = Arc::make_mut(&mut record);
                record_mut.state = IntentState::Completed;
                record_mut.outcome = Some(outcome);
                Queued::Record(record)
            }
            other => {
                if let Some((seq, _)) = other {
                    queue.order.remove(&seq);
                }
                Queued::Outcome(Arc::new(outcome))
            }
        };
        let wake = queue.insert(key.to_string(), entry, starts_group);
        drop(queue);
        if wake {
            self.shared.wake.notify_one();
        }
    }

    /// Commits `job` in the next group (with whatever else is queued by then)
    /// and answers once that group is committed: durable, as a transaction of
    /// its own would be, at a fraction of the cost when many runs write at once.
    pub async fn commit_journal(&self, job: JournalJob) -> Result<JobAnswer, StoreError> {
        let answer = self.queue_job(job)?;
        answer.await.unwrap_or_else(|_| Err(writer_gone()))
    }

    /// Queues `job` for the next group; the receiver gets its answer.
    pub(super) fn queue_job(
        &self,
        job: JournalJob,
    ) -> Result<oneshot::Receiver<Result<JobAnswer, StoreError>>, StoreError> {
        let (reply, answer) = oneshot::channel();
        let mut queue = self.shared.lock();
        if queue.shutdown {
            return Err(writer_gone());
        }
        queue.jobs.push(Job { job, reply });
        if queue.writer_waiting {
            self.shared.wake.notify_one();
        }
        Ok(answer)
    }

    /// The queued (not yet committed) entry for `key`, if any.
    pub fn queued(&self, key: &str) -> Option<Queued> {
        self.shared
            .lock()
            .by_key
            .get(key)
            .map(|(_, entry)| entry.clone())
    }

    /// Notes that a statement wrote to the database, so a checkpoint is due.
    pub fn note_write(&self) {
        if !self.shared.dirty.swap(true, Ordering::Relaxed) {
            // Passing through the lock orders this with the writer's check of
            // `dirty`, so the wake-up cannot fall between its check and its wait.
            drop(self.shared.lock());
            self.shared.wake.notify_one();
        }
    }

    /// Blocks until every entry queued before this call is committed (or
    /// given up after a failed write, which the writer logs).
    pub fn flush(&self) {
        let mut queue = self.shared.lock();
        let target = queue.next_seq;
        if queue.oldest().is_some_and(|seq| seq < target) {
            queue.flush_requested = true;
            self.shared.wake.notify_one();
        }
        while queue.oldest().is_some_and(|seq| seq < target) {
            // A writer thread that is gone will commit nothing more.
            if self.thread.as_ref().map_or(true, JoinHandle::is_finished) {
                return;
            }
            queue = self
                .shared
                .committed
                .wait_timeout(queue, Duration::from_millis(100))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.shared.lock().shutdown = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            // The thread commits what is queued before it returns.
            let _ = thread.join();
        }
    }
}

/// The writer thread: commits queued outcomes in batches and checkpoints the
/// WAL when the store has been written to.
fn run(shared: &Shared, conn: &Mutex<Connection>, path: &Path, counters: &Counters) {
    let mut checkpointer = Checkpointer::new(path);
    loop {
        let mut queue = shared.lock();
        // Wait until a group is due (it lingered long enough, a flush asked for
        // it, or the store is closing), checkpointing while idle.
        loop {
            if queue.shutdown
                || !queue.jobs.is_empty()
                || (queue.flush_requested && !queue.order.is_empty())
            {
                break;
            }
            let timeout =
                if let Some(started) = queue.group_started.filter(|_| !queue.order.is_empty()) {
                    let waited = started.elapsed();
                    if waited >= LINGER {
                        break;
                    }
                    Some(LINGER - waited)
                } else if shared.dirty.load(Ordering::Relaxed) {
                    let due_in = checkpointer.due_in();
                    if due_in.is_zero() {
                        drop(queue);
                        shared.dirty.store(false, Ordering::Relaxed);
                        checkpointer.run();
                        queue = shared.lock();
                        continue;
                    }
                    Some(due_in)
                } else {
                    None
                };
            queue.writer_waiting = true;
            queue = match timeout {
                Some(t) => {
                    shared
                        .wake
                        .wait_timeout(queue, t)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
                None => shared.wake.wait(queue).unwrap_or_else(|e| e.into_inner()),
            };
            queue.writer_waiting = false;
        }
        if queue.order.is_empty() && queue.jobs.is_empty() && queue.shutdown {
            return;
        }
        queue.flush_requested = false;
        let taken: Vec<(u64, String)> = queue
            .order
            .iter()
            .take(BATCH)
            .map(|(seq, key)| (*seq, key.clone()))
            .collect();
        let batch: Vec<(u64, String, Queued)> = taken
            .iter()
            .filter_map(|(seq, key)| Some((*seq, key.clone(), queue.by_key.get(key)?.1.clone())))
            .collect();
        let jobs = std::mem::take(&mut queue.jobs);
        drop(queue);
        match write_group(conn, &batch, &jobs) {
            Ok(results) => {
                let applied = jobs
                    .iter()
                    .zip(&results)
                    .filter_map(|(job, r)| r.as_ref().ok().map(|a| a.changes(&job.job)))
                    .sum();
                counters.committed(applied, batch.len() as u64);
                for (job, result) in jobs.into_iter().zip(results) {
                    let _ = job.reply.send(result);
                }
            }
            Err(e) => {
                // Intents with an answer queued stay in flight on disk: a later call
                // with one of them re-sends its key and the server replays. Queued
                // generated-key intents are lost, which no call can notice. Journal
                // writers get the error (and may try again).
                tracing::warn!(error = %e, entries = batch.len(), "could not write to the SQLite store");
                for job in jobs {
                    let _ = job.reply.send(Err(StoreError::Backend {
                        operation: "journal write",
                        reason: e.to_string(),
                    }));
                }
            }
        }
        shared.dirty.store(true, Ordering::Relaxed);
        let mut queue = shared.lock();
        for (seq, key) in &taken {
            queue.order.remove(seq);
            if queue.by_key.get(key).is_some_and(|(s, _)| s == seq) {
                queue.by_key.remove(key);
            }
        }
        if !queue.order.is_empty() {
            // What arrived during the write starts the next group now.
            queue.group_started = Some(Instant::now());
        }
        drop(queue);
        shared.committed.notify_all();
    }
}

/// One group commit: the queued idempotency records, then each journal job
/// inside a savepoint of its own (so one failing job is undone alone and its
/// caller told, while the others commit). Returns each job's answer; an error
/// means nothing was committed.
fn write_group(
    conn: &Mutex<Connection>,
    batch: &[(u64, String, Queued)],
    jobs: &[Job],
) -> rusqlite::Result<Vec<Result<JobAnswer, StoreError>>> {
    let mut conn = conn.lock().unwrap_or_else(|e| e.into_inner());
    // IMMEDIATE: other processes' lease checks on this file serialise with ours.
    let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    write_intents(&tx, batch)?;
    let mut results = Vec::with_capacity(jobs.len());
    for job in jobs {
        let savepoint = tx.savepoint()?;
        let result = job.job.apply(&savepoint);
        if result.is_ok() {
            savepoint.commit()?;
        }
        // Dropping an uncommitted savepoint rolls it back.
        results.push(result);
    }
    tx.commit()?;
    Ok(results)
}

fn write_intents(tx: &Connection, batch: &[(u64, String, Queued)]) -> rusqlite::Result<()> {
    for (_, key, entry) in batch {
        match entry {
            Queued::Record(record) => {
                let outcome = record.outcome.as_ref();
                tx.prepare_cached(
                    "INSERT INTO oncely_intents
                       (key, intent_id, method, path_template, fingerprint, state, created_ms, expires_ms,
                        status, headers, body, completed_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                     ON CONFLICT (key) DO UPDATE SET
                       intent_id = excluded.intent_id, method = excluded.method,
                       path_template = excluded.path_template, fingerprint = excluded.fingerprint,
                       state = excluded.state, created_ms = excluded.created_ms,
                       expires_ms = excluded.expires_ms, status = excluded.status,
                       headers = excluded.headers, body = excluded.body,
                       completed_ms = excluded.completed_ms",
                )?
                .execute(params![
                    key,
                    record.intent_id,
                    record.method,
                    record.path_template,
                    record.fingerprint,
                    record.state.as_str(),
                    record.created_ms,
                    record.expires_ms,
                    outcome.map(|o| o.status),
                    outcome.map(|o| headers_json(&o.headers)).transpose()?,
                    outcome.map(|o| &o.body),
                    outcome.map(|o| o.completed_ms),
                ])?;
            }
            Queued::Outcome(outcome) => {
                super::write_outcome(tx, key, outcome)?;
            }
        }
    }
    Ok(())
}

fn writer_gone() -> StoreError {
    StoreError::Backend {
        operation: "journal write",
        reason: "the SQLite writer thread has stopped".into(),
    }
}

pub(super) fn headers_json(headers: &[(String, String)]) -> rusqlite::Result<String> {
    serde_json::to_string(headers).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// Runs passive checkpoints on a connection of its own, at most once per
/// [`CHECKPOINT_EVERY`], so writers are never held up by one.
struct Checkpointer {
    path: PathBuf,
    conn: Option<Connection>,
    last: Instant,
}

impl Checkpointer {
    fn new(path: &Path) -> Self {
        Checkpointer {
            path: path.to_path_buf(),
            conn: None,
            last: Instant::now(),
        }
    }

    fn due_in(&self) -> Duration {
        CHECKPOINT_EVERY.saturating_sub(self.last.elapsed())
    }

    fn run(&mut self) {
        self.last = Instant::now();
        if self.conn.is_none() {
            match Connection::open_with_flags(
                &self.path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            ) {
                Ok(conn) => self.conn = Some(conn),
                Err(e) => {
                    tracing::debug!(error = %e, "cannot open a checkpoint connection");
                    return;
                }
            }
        }
        if let Some(conn) = &self.conn {
            if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                tracing::debug!(error = %e, "WAL checkpoint failed; SQLite retries it later");
            }
        }
    }
}
