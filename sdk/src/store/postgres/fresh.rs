//! Records of calls whose keys no one can know yet, written behind the call in
//! batches: [`PgStore`](super::PgStore)'s
//! [`begin_fresh`](crate::store::Store::begin_fresh) and
//! [`complete_fresh`](crate::store::Store::complete_fresh).
//!
//! Why writing them late keeps calls exactly-once is the SQLite writer's
//! argument (`sqlite/writer.rs`): such a key — generated at random for one
//! call, or a workflow step's key on the step's first attempt, before which it
//! was never sent — is known to its call alone. No earlier record can exist,
//! so there is nothing to decide before sending; after a crash, no call can
//! present a generated key again, and a resumed step uses the full protocol,
//! whose record the server's key backs (the journal decides what is re-sent,
//! the server replays). Committing such a record before the first attempt, or
//! its answer before the call returns, would change no outcome, so the call
//! does not wait for either.
//!
//! A background task takes what is queued, waits at most [`LINGER`] for more
//! (so a call's intent and its answer usually travel together, as one row),
//! and writes the group in one round trip: one `INSERT` of whole records from
//! arrays, and — for answers whose intents an earlier group wrote — one
//! `UPDATE`, pipelined behind it on the same connection. Under load one round
//! trip carries the records of many calls.
//!
//! Unlike the SQLite store, reads do not consult the queue: a queued record
//! becomes visible once its group is written (within [`LINGER`] plus one round
//! trip). Nothing reads it sooner: calls that can name their key (an intent
//! id, a caller's key, a resumed step) never come here.
//! [`flush`](crate::store::Store::flush) waits until everything queued before
//! it is written. Records still queued when the process ends are lost, as a
//! crash would lose them: the server holds the key either way.

use std::collections::HashMap;
use std::time::Duration;

use deadpool_postgres::Pool;
use tokio::sync::{mpsc, oneshot};

use super::is_connection_error;
use crate::store::counters::Counters;
use crate::store::{IntentRecord, IntentState, StoredOutcome};

/// How long the first entry of a group waits for company (and an intent for
/// its answer) before the group is written.
pub(super) const LINGER: Duration = Duration::from_millis(2);
/// Most records written in one group.
const BATCH: usize = 512;

/// One entry for the background task.
enum Entry {
    /// A record not yet written (in flight).
    Intent(IntentRecord),
    /// The final answer for a fresh key.
    Answer(String, StoredOutcome),
    /// Answered once everything queued before it is written.
    Flush(oneshot::Sender<()>),
}

/// The queue of fresh records; the background task ends once every handle is
/// dropped and what was queued is written.
#[derive(Debug, Clone)]
pub(super) struct FreshWriter {
    queue: mpsc::UnboundedSender<Entry>,
}

impl FreshWriter {
    /// Starts the background task on the current tokio runtime, or `None`
    /// outside of one (the store then writes fresh records at once).
    pub fn start(pool: Pool, counters: std::sync::Arc<Counters>, attempts: u32) -> Option<Self> {
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        let (queue, entries) = mpsc::unbounded_channel();
        runtime.spawn(write_groups(pool, counters, attempts, entries));
        Some(FreshWriter { queue })
    }

    /// Queues a record. `Err` gives it back when the task is gone (its runtime
    /// shut down), for the caller to write itself.
    pub fn intent(&self, record: IntentRecord) -> Result<(), Box<IntentRecord>> {
        self.queue
            .send(Entry::Intent(record))
            .map_err(|e| match e.0 {
                Entry::Intent(record) => Box::new(record),
                _ => unreachable!("the entry sent is given back"),
            })
    }

    /// Queues an answer, like [`intent`](Self::intent).
    pub fn answer(&self, key: &str, outcome: StoredOutcome) -> Result<(), StoredOutcome> {
        self.queue
            .send(Entry::Answer(key.to_string(), outcome))
            .map_err(|e| match e.0 {
                Entry::Answer(_, outcome) => outcome,
                _ => unreachable!("the entry sent is given back"),
            })
    }

    /// Waits until everything queued so far is written (or given up on, see
    /// [`write_groups`]).
    pub async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.queue.send(Entry::Flush(done)).is_ok() {
            let _ = written.await;
        }
    }
}

/// A group being collected: whole records (with their answers when both
/// arrived), and answers for records written earlier.
#[derive(Default)]
struct Group {
    records: Vec<IntentRecord>,
    by_key: HashMap<String, usize>,
    answers: Vec<(String, StoredOutcome)>,
    flushes: Vec<oneshot::Sender<()>>,
}

impl Group {
    fn add(&mut self, entry: Entry) {
        match entry {
            Entry::Intent(record) => {
                self.by_key.insert(record.key.clone(), self.records.len());
                self.records.push(record);
            }
            Entry::Answer(key, outcome) => match self.by_key.get(&key) {
                Some(&at) => {
                    let record = &mut self.records[at];
                    record.state = IntentState::Completed;
                    record.outcome = Some(outcome);
                }
                None => self.answers.push((key, outcome)),
            },
            Entry::Flush(done) => self.flushes.push(done),
        }
    }

    fn len(&self) -> usize {
        self.records.len() + self.answers.len()
    }
}

/// The background task: collects groups and writes them until every handle
/// is gone. A group that cannot be written (the database unreachable after
/// `attempts` tries) is logged and dropped: the records are a cache here.
async fn write_groups(
    pool: Pool,
    counters: std::sync::Arc<Counters>,
    attempts: u32,
    mut entries: mpsc::UnboundedReceiver<Entry>,
) {
    while let Some(first) = entries.recv().await {
        let mut group = Group::default();
        group.add(first);
        let deadline = tokio::time::Instant::now() + LINGER;
        while group.flushes.is_empty() && group.len() < BATCH {
            match tokio::time::timeout_at(deadline, entries.recv()).await {
                Ok(Some(entry)) => group.add(entry),
                Ok(None) | Err(_) => break,
            }
        }
        // Whatever else is already queued joins without waiting.
        while group.len() < BATCH {
            match entries.try_recv() {
                Ok(entry) => group.add(entry),
                Err(_) => break,
            }
        }
        if group.len() > 0 {
            write_group(&pool, &counters, attempts, &group).await;
        }
        for done in group.flushes {
            let _ = done.send(());
        }
    }
}

/// Columns of the records of a group, one array per column.
#[derive(Default)]
struct Columns {
    key: Vec<String>,
    intent_id: Vec<Option<String>>,
    method: Vec<String>,
    path_template: Vec<String>,
    fingerprint: Vec<String>,
    state: Vec<&'static str>,
    created_ms: Vec<i64>,
    expires_ms: Vec<i64>,
    answers: AnswerColumns,
}

/// Columns of answers, one array per column.
#[derive(Default)]
struct AnswerColumns {
    key: Vec<String>,
    status: Vec<Option<i32>>,
    headers: Vec<Option<String>>,
    body: Vec<Option<Vec<u8>>>,
    completed_ms: Vec<Option<i64>>,
}

impl AnswerColumns {
    fn push(&mut self, key: &str, outcome: Option<&StoredOutcome>) {
        self.key.push(key.to_string());
        self.status.push(outcome.map(|o| i32::from(o.status)));
        self.headers.push(
            outcome.map(|o| serde_json::to_string(&o.headers).unwrap_or_else(|_| "[]".to_string())),
        );
        self.body.push(outcome.map(|o| o.body.clone()));
        self.completed_ms.push(outcome.map(|o| o.completed_ms));
    }
}

impl Columns {
    fn of_records(records: &[IntentRecord]) -> Self {
        let mut c = Columns::default();
        for r in records {
            c.key.push(r.key.clone());
            c.intent_id.push(r.intent_id.clone());
            c.method.push(r.method.clone());
            c.path_template.push(r.path_template.clone());
            c.fingerprint.push(r.fingerprint.clone());
            c.state.push(r.state.as_str());
            c.created_ms.push(r.created_ms);
            c.expires_ms.push(r.expires_ms);
            c.answers.push(&r.key, r.outcome.as_ref());
        }
        c
    }
}

/// Inserts whole records; a record already written (an earlier group had its
/// intent) takes the answer it carries.
const INSERT_RECORDS: &str = "INSERT INTO oncely_intents (key, intent_id, method, path_template, fingerprint, state,
                            created_ms, expires_ms, status, headers, body, completed_ms)
     SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                          $7::bigint[], $8::bigint[], $9::int[], $10::text[], $11::bytea[], $12::bigint[])
     ON CONFLICT (key) DO UPDATE SET state = excluded.state, status = excluded.status,
            headers = excluded.headers, body = excluded.body, completed_ms = excluded.completed_ms
      WHERE excluded.state = 'completed'";

/// Completes records an earlier group wrote.
const UPDATE_ANSWERS: &str =
    "UPDATE oncely_intents AS i SET state = 'completed', status = a.status, headers = a.headers,
            body = a.body, completed_ms = a.completed_ms
       FROM UNNEST($1::text[], $2::int[], $3::text[], $4::bytea[], $5::bigint[])
            AS a(key, status, headers, body, completed_ms)
      WHERE i.key = a.key";

async fn write_group(pool: &Pool, counters: &Counters, attempts: u32, group: &Group) {
    let records = Columns::of_records(&group.records);
    let mut answers = AnswerColumns::default();
    for (key, outcome) in &group.answers {
        answers.push(key, Some(outcome));
    }
    let mut attempt = 0;
    loop {
        attempt += 1;
        match try_write(pool, counters, &records, &answers).await {
            Ok(()) => {
                // Each statement commits on its own.
                for written in [records.key.len(), answers.key.len()] {
                    if written > 0 {
                        counters.committed(0, written as u64);
                    }
                }
                return;
            }
            Err(WriteError::Pg(e)) if is_connection_error(&e) && attempt <= attempts => {
                tracing::warn!(error = %e, attempt, "postgres connection lost while writing fresh records; retrying");
                tokio::time::sleep(Duration::from_millis(20 * u64::from(attempt))).await;
            }
            Err(WriteError::Pool(e)) if attempt <= attempts => {
                tracing::warn!(error = %e, attempt, "postgres pool could not give a connection for fresh records; retrying");
                tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, records = group.len(), "could not write the records of generated keys; the server holds the keys");
                return;
            }
        }
    }
}

/// Why a group was not written.
#[derive(Debug, thiserror::Error)]
enum WriteError {
    #[error("{0}")]
    Pool(deadpool_postgres::PoolError),
    #[error("{0}")]
    Pg(#[from] tokio_postgres::Error),
}

/// One try at a group: both statements in one pipeline (one round trip).
async fn try_write(
    pool: &Pool,
    counters: &Counters,
    records: &Columns,
    answers: &AnswerColumns,
) -> Result<(), WriteError> {
    let c = pool.get().await.map_err(WriteError::Pool)?;
    let insert = async {
        if records.key.is_empty() {
            return Ok(0);
        }
        let statement = c.prepare_cached(INSERT_RECORDS).await?;
        let a = &records.answers;
        c.execute(
            &statement,
            &[
                &records.key,
                &records.intent_id,
                &records.method,
                &records.path_template,
                &records.fingerprint,
                &records.state,
                &records.created_ms,
                &records.expires_ms,
                &a.status,
                &a.headers,
                &a.body,
                &a.completed_ms,
            ],
        )
        .await
    };
    let update = async {
        if answers.key.is_empty() {
            return Ok(0);
        }
        let statement = c.prepare_cached(UPDATE_ANSWERS).await?;
        c.execute(
            &statement,
            &[
                &answers.key,
                &answers.status,
                &answers.headers,
                &answers.body,
                &answers.completed_ms,
            ],
        )
        .await
    };
    counters.round_trips(1);
    futures::try_join!(insert, update)?;
    Ok(())
}
