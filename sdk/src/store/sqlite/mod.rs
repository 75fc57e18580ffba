//! [`SqliteStore`]: the embedded default. Idempotency records (this file), the
//! workflow journal (`journal.rs`) and the background writer that commits in
//! groups and checkpoints the WAL (`writer.rs`), all in one SQLite file.

mod journal;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use crate::store::counters::Counters;
use crate::store::{
    decide, Begin, IntentRecord, IntentState, RecordFilter, Store, StoreError, StoredOutcome,
};
use writer::{Queued, Writer};

/// WAL pages after which a statement checkpoints inline. The background writer
/// checkpoints long before this; it is only a bound if that writer falls behind.
const INLINE_CHECKPOINT_PAGES: i64 = 10_000;

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
/// Later versions append here and never edit an earlier entry.
const MIGRATIONS: &[&str] = &[
    // 1: idempotency records.
    "CREATE TABLE IF NOT EXISTS oncely_intents (
         key           TEXT PRIMARY KEY NOT NULL,
         intent_id     TEXT,
         method        TEXT NOT NULL,
         path_template TEXT NOT NULL,
         fingerprint   TEXT NOT NULL,
         state         TEXT NOT NULL,
         created_ms    INTEGER NOT NULL,
         expires_ms    INTEGER NOT NULL,
         status        INTEGER,
         headers       TEXT,
         body          BLOB,
         completed_ms  INTEGER
     );
     CREATE INDEX IF NOT EXISTS oncely_intents_expires ON oncely_intents (expires_ms);",
    // 2: workflow journal (runs, steps, history, leases); see journal.rs.
    journal::MIGRATION_2,
    // 3: the trace context of each run; see journal.rs.
    journal::MIGRATION_3,
];

const SELECT_RECORD: &str = "SELECT key, intent_id, method, path_template, fingerprint, state,
        created_ms, expires_ms, status, headers, body, completed_ms
   FROM oncely_intents WHERE key = ?1";

/// When a [`SqliteStore`] commits the answer of a call that a later call can
/// name (an intent id or a caller's key). Its intent is committed before the
/// first attempt either way: that is what makes a restarted process send the
/// same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NamedAnswers {
    /// Before the call returns: a restarted process asking for the same intent
    /// is answered from the file. Two commits on the call's path. The default.
    #[default]
    Committed,
    /// Queued for the writer's next group commit (within a few milliseconds of
    /// the call's return): one commit on the call's path. A process killed in
    /// that window leaves the intent in flight, so the same intent asked again
    /// re-sends the same key and the server replays its answer — still once,
    /// but with a request, and only while the server keeps the key.
    Grouped,
}

/// The embedded default store: one SQLite file in WAL mode, safe to share
/// between threads and between processes on one machine.
///
/// An intent a later call can name (an intent id, a caller's key) is committed
/// before the call's first attempt and its answer before the call returns, so
/// the same intent again — in this process or after a restart — is answered
/// from the file. A call with a randomly generated key, which no later call can
/// name, is handed to a background writer instead and committed within a few
/// milliseconds in a group commit, off the call's path (see `writer.rs`
/// for why that changes no outcome). Queued entries are visible to this store at
/// once; dropping its last clone, or [`flush`](Self::flush), commits them.
///
/// Opening never overwrites a file it cannot read: a corrupt file or one written
/// by a newer schema gives a typed [`StoreError`] and is left as it is.
///
/// ```
/// # fn main() -> Result<(), oncely::store::StoreError> {
/// let dir = tempfile::tempdir().unwrap();
/// let store = oncely::SqliteStore::open(dir.path().join("oncely.db"))?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SqliteStore {
    path: PathBuf,
    conn: Arc<Mutex<Connection>>,
    writer: Arc<Writer>,
    counters: Arc<Counters>,
    named_answers: NamedAnswers,
}

impl SqliteStore {
    /// Opens (or creates) the store at `path` and applies pending migrations.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let conn = open_file(&path)?;
        let corrupt = |e: rusqlite::Error| StoreError::Corrupt {
            path: path.clone(),
            reason: e.to_string(),
        };
        // Reading the header is the first thing that fails on a file that is not
        // SQLite ("file is not a database"); nothing has been written yet.
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(corrupt)?;
        let supported = MIGRATIONS.len() as i64;
        if version > supported {
            return Err(StoreError::SchemaTooNew {
                path,
                found: version,
                supported,
            });
        }
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(corrupt)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(corrupt)?;
        conn.pragma_update(None, "wal_autocheckpoint", INLINE_CHECKPOINT_PAGES)
            .map_err(corrupt)?;
        Self::migrate(&conn, version).map_err(corrupt)?;
        // Preparing the queries proves the tables have the columns we need.
        conn.prepare(SELECT_RECORD).map_err(corrupt)?;
        let conn = Arc::new(Mutex::new(conn));
        let counters = Arc::new(Counters::default());
        let writer =
            Writer::start(&path, conn.clone(), counters.clone()).map_err(|e| StoreError::Open {
                path: path.clone(),
                reason: format!("cannot start the background writer: {e}"),
            })?;
        Ok(SqliteStore {
            path,
            conn,
            writer: Arc::new(writer),
            counters,
            named_answers: NamedAnswers::default(),
        })
    }

    /// Sets when answers of named intents are committed (see [`NamedAnswers`];
    /// the default is [`NamedAnswers::Committed`]).
    ///
    /// ```
    /// # fn main() -> Result<(), oncely::store::StoreError> {
    /// use oncely::store::NamedAnswers;
    /// let dir = tempfile::tempdir().unwrap();
    /// let store = oncely::SqliteStore::open(dir.path().join("oncely.db"))?
    ///     .named_answers(NamedAnswers::Grouped);
    /// # Ok(()) }
    /// ```
    pub fn named_answers(mut self, when: NamedAnswers) -> Self {
        self.named_answers = when;
        self
    }

    /// Commits every answer queued so far (blocking the thread briefly). Calls
    /// never need this; it is for handing the file to another process.
    pub fn flush(&self) {
        self.writer.flush();
    }

    /// The record for `key` as this process sees it: the database's (`found`),
    /// overlaid with what is still queued for the writer.
    fn with_queued(&self, key: &str, found: Option<IntentRecord>) -> Option<IntentRecord> {
        match (self.writer.queued(key), found) {
            (Some(Queued::Record(record)), _) => Some(IntentRecord::clone(&record)),
            (Some(Queued::Outcome(outcome)), Some(mut record)) => {
                record.state = IntentState::Completed;
                record.outcome = Some(StoredOutcome::clone(&outcome));
                Some(record)
            }
            (_, found) => found,
        }
    }
    /// The file this store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn migrate(conn: &Connection, from: i64) -> rusqlite::Result<()> {
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(from as usize) {
            let tx = conn.unchecked_transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", index as i64 + 1)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// Runs `f` on the connection without stalling other tasks (see below).
    pub(crate) async fn with_conn<T, F>(
        &self,
        operation: &'static str,
        f: F,
    ) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = self.conn.clone();
        self.writer.note_write();
        // On a multi-threaded runtime the statement runs right here, with the
        // worker's other tasks handed to another thread for its duration
        // (`block_in_place`): no thread hop per statement. A current-thread
        // runtime cannot do that, so there it goes to the blocking pool.
        if tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread)
        {
            return tokio::task::block_in_place(move || {
                let mut guard = conn.lock().unwrap_or_else(|e| e.into_inner());
                f(&mut guard)
            });
        }
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|e| StoreError::Backend {
            operation,
            reason: e.to_string(),
        })?
    }
}

/// A read-write connection to the file at `path` (created if missing) that
/// waits up to 10 s for another writer: how oncely opens every SQLite file
/// (the store's, an outbox's).
pub(crate) fn open_file(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| StoreError::Open {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    conn.busy_timeout(Duration::from_secs(10))
        .map_err(|e| StoreError::Corrupt {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    Ok(conn)
}

fn backend(operation: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| StoreError::Backend {
        operation,
        reason: e.to_string(),
    }
}

/// Marks the intent `key` completed with `outcome`.
pub(super) fn write_outcome(
    conn: &Connection,
    key: &str,
    outcome: &StoredOutcome,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE oncely_intents SET state = ?2, status = ?3, headers = ?4, body = ?5, completed_ms = ?6
          WHERE key = ?1",
    )?
    .execute(params![
        key,
        IntentState::Completed.as_str(),
        outcome.status,
        writer::headers_json(&outcome.headers)?,
        outcome.body,
        outcome.completed_ms
    ])?;
    Ok(())
}

/// The columns of one `oncely_intents` row, in [`RECORD_COLUMNS`] order.
type RawRecord = (
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<u16>,
    Option<String>,
    Option<Vec<u8>>,
    Option<i64>,
);

/// Every column of a record, in [`RawRecord`] order.
const RECORD_COLUMNS: &str = "key, intent_id, method, path_template, fingerprint, state,
        created_ms, expires_ms, status, headers, body, completed_ms";

fn raw_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawRecord> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
        r.get(11)?,
    ))
}

fn read_record(conn: &Connection, key: &str) -> Result<Option<IntentRecord>, StoreError> {
    let row: Option<RawRecord> = conn
        .prepare_cached(SELECT_RECORD)
        .and_then(|mut select| select.query_row([key], raw_record).optional())
        .map_err(backend("read"))?;
    row.map(decode_record).transpose()
}

/// Records matching `filter`, newest first.
fn list_records(conn: &Connection, filter: &RecordFilter) -> Result<Vec<IntentRecord>, StoreError> {
    let limit = i64::try_from(filter.limit_or_default()).unwrap_or(i64::MAX);
    let rows: Vec<RawRecord> = conn
        .prepare_cached(&format!(
            "SELECT {RECORD_COLUMNS} FROM oncely_intents
              WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR path_template = ?2)
              ORDER BY created_ms DESC, key LIMIT ?3"
        ))
        .and_then(|mut select| {
            select
                .query_map(
                    params![
                        filter.state.map(IntentState::as_str),
                        filter.path_template,
                        limit
                    ],
                    raw_record,
                )?
                .collect()
        })
        .map_err(backend("list records"))?;
    rows.into_iter().map(decode_record).collect()
}

fn decode_record(row: RawRecord) -> Result<IntentRecord, StoreError> {
    let (
        key,
        intent_id,
        method,
        path_template,
        fingerprint,
        state,
        created_ms,
        expires_ms,
        status,
        headers,
        body,
        completed_ms,
    ) = row;
    let bad = |reason: String| StoreError::BadRecord {
        key: key.clone(),
        reason,
    };
    let state =
        IntentState::parse(&state).ok_or_else(|| bad(format!("unknown state {state:?}")))?;
    let outcome = match (state, status) {
        (IntentState::Completed, Some(status)) => {
            let headers: Vec<(String, String)> =
                serde_json::from_str(headers.as_deref().unwrap_or("[]"))
                    .map_err(|e| bad(format!("headers are not valid JSON: {e}")))?;
            Some(StoredOutcome {
                status,
                headers,
                body: body.unwrap_or_default(),
                completed_ms: completed_ms.unwrap_or(0),
            })
        }
        (IntentState::Completed, None) => return Err(bad("completed without a status".into())),
        (IntentState::InFlight, _) => None,
    };
    Ok(IntentRecord {
        key,
        intent_id,
        method,
        path_template,
        fingerprint,
        state,
        created_ms,
        expires_ms,
        outcome,
    })
}

#[async_trait]
impl Store for SqliteStore {
    async fn begin(&self, record: IntentRecord) -> Result<Begin, StoreError> {
        if self.writer.queued(&record.key).is_some() {
            // Known to this process and not yet written: decide on what it knows.
            let existing = self.get(&record.key).await?;
            return Ok(decide(existing.as_ref(), &record));
        }
        let key = record.key.clone();
        let found = self
            .with_conn("begin", move |conn| {
            // The common case, a new (or expired) key, is one atomic statement:
            // insert, or replace an expired record. Otherwise the existing
            // record decides. An unexpired record is never deleted (purges take
            // expired ones only), so reading it after the no-op upsert is safe.
            let started = conn
                .prepare_cached(
                    "INSERT INTO oncely_intents
                       (key, intent_id, method, path_template, fingerprint, state, created_ms, expires_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT (key) DO UPDATE SET
                       intent_id = excluded.intent_id, method = excluded.method,
                       path_template = excluded.path_template, fingerprint = excluded.fingerprint,
                       state = excluded.state, created_ms = excluded.created_ms,
                       expires_ms = excluded.expires_ms, status = NULL, headers = NULL,
                       body = NULL, completed_ms = NULL
                     WHERE oncely_intents.expires_ms <= excluded.created_ms",
                )
                .and_then(|mut insert| {
                    insert.execute(params![
                        record.key,
                        record.intent_id,
                        record.method,
                        record.path_template,
                        record.fingerprint,
                        record.state.as_str(),
                        record.created_ms,
                        record.expires_ms
                    ])
                })
                .map_err(backend("begin"))?;
            if started == 1 {
                return Ok(None);
            }
            Ok(Some((read_record(conn, &record.key)?, record)))
        })
        .await?;
        self.counters.committed(0, u64::from(found.is_none()));
        Ok(match found {
            None => Begin::Started,
            Some((existing, record)) => decide(self.with_queued(&key, existing).as_ref(), &record),
        })
    }

    async fn complete(&self, key: &str, outcome: StoredOutcome) -> Result<(), StoreError> {
        if self.named_answers == NamedAnswers::Grouped {
            self.writer.enqueue_outcome(key, outcome);
            return Ok(());
        }
        let key = key.to_string();
        self.with_conn("complete", move |conn| {
            write_outcome(conn, &key, &outcome).map_err(backend("complete"))?;
            Ok(())
        })
        .await?;
        self.counters.committed(0, 1);
        Ok(())
    }

    async fn complete_fresh(&self, key: &str, outcome: StoredOutcome) -> Result<(), StoreError> {
        self.writer.enqueue_outcome(key, outcome);
        Ok(())
    }

    async fn begin_fresh(&self, record: IntentRecord) -> Result<(), StoreError> {
        self.writer.enqueue_record(record);
        Ok(())
    }

    async fn flush(&self) -> Result<(), StoreError> {
        let writer = self.writer.clone();
        tokio::task::spawn_blocking(move || writer.flush())
            .await
            .map_err(|e| StoreError::Backend {
                operation: "flush",
                reason: e.to_string(),
            })
    }

    async fn get(&self, key: &str) -> Result<Option<IntentRecord>, StoreError> {
        let key = key.to_string();
        let found = self
            .with_conn("get", {
                let key = key.clone();
                move |conn| read_record(conn, &key)
            })
            .await?;
        Ok(self.with_queued(&key, found))
    }

    /// Lists what the file holds, after committing what this process still
    /// has queued for the background writer (so its own calls are listed too).
    async fn list_records(&self, filter: &RecordFilter) -> Result<Vec<IntentRecord>, StoreError> {
        Store::flush(self).await?;
        let filter = filter.clone();
        self.with_conn("list records", move |conn| list_records(conn, &filter))
            .await
    }

    async fn purge_expired(&self, now_ms: i64) -> Result<u64, StoreError> {
        self.with_conn("purge", move |conn| {
            let n = conn
                .execute(
                    "DELETE FROM oncely_intents WHERE expires_ms <= ?1",
                    [now_ms],
                )
                .map_err(backend("purge"))?;
            Ok(n as u64)
        })
        .await
    }

    fn write_counts(&self) -> Option<crate::store::WriteCounts> {
        Some(self.counters.snapshot())
    }

    fn as_journal(self: Arc<Self>) -> Option<Arc<dyn crate::store::Journal>> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::contract::{self, outcome};

    #[tokio::test]
    async fn contract() {
        let dir = tempfile::tempdir().unwrap();
        let open = |name: &str| SqliteStore::open(dir.path().join(name)).unwrap();
        contract::begin_complete_replay(&open("a.db")).await;
        contract::expired_records_are_replaced_and_purged(&open("b.db")).await;
        contract::concurrent_begin_starts_once(Arc::new(open("c.db"))).await;
        contract::records_are_listed_newest_first(&open("d.db")).await;
    }

    #[tokio::test]
    async fn records_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let store = SqliteStore::open(&path).unwrap();
        store.begin(contract::record("k", "fp")).await.unwrap();
        drop(store);
        let again = SqliteStore::open(&path).unwrap();
        assert_eq!(again.get("k").await.unwrap().unwrap().fingerprint, "fp");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn named_intents_and_their_answers_are_committed_on_the_call_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let store = SqliteStore::open(&path).unwrap();
        let other_process = SqliteStore::open(&path).unwrap();
        store.begin(contract::record("k", "fp")).await.unwrap();
        // Committed in place: another connection sees it at once.
        let seen = other_process.get("k").await.unwrap().unwrap();
        assert_eq!(seen.state, IntentState::InFlight);
        store.complete("k", outcome()).await.unwrap();
        // Committed before `complete` returned: a restarted process that asks
        // for the same intent again is answered from the file.
        let there = other_process.get("k").await.unwrap().unwrap();
        assert_eq!(there.state, IntentState::Completed);
        assert_eq!(there.outcome, Some(outcome()));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn grouped_named_answers_commit_the_intent_first_and_the_answer_in_a_group() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let store = SqliteStore::open(&path)
            .unwrap()
            .named_answers(NamedAnswers::Grouped);
        let other_process = SqliteStore::open(&path).unwrap();
        let before = store.counters.snapshot();
        store.begin(contract::record("k", "fp")).await.unwrap();
        assert_eq!(
            other_process.get("k").await.unwrap().unwrap().state,
            IntentState::InFlight,
            "the intent is committed before the call's first attempt"
        );
        store.complete("k", outcome()).await.unwrap();
        assert_eq!(
            store.get("k").await.unwrap().unwrap().outcome,
            Some(outcome()),
            "this process sees the answer at once"
        );
        store.flush();
        assert_eq!(
            other_process.get("k").await.unwrap().unwrap().outcome,
            Some(outcome())
        );
        let counted = store.counters.snapshot() - before;
        assert_eq!((counted.intent_writes, counted.commits), (2, 2));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn generated_key_intents_are_written_once_with_their_answer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let store = SqliteStore::open(&path).unwrap();
        let other_process = SqliteStore::open(&path).unwrap();
        store
            .begin_fresh(contract::record("fresh", "fp"))
            .await
            .unwrap();
        assert_eq!(
            store.get("fresh").await.unwrap().unwrap().state,
            IntentState::InFlight,
            "visible in this process while queued"
        );
        store.complete_fresh("fresh", outcome()).await.unwrap();
        assert_eq!(
            store.get("fresh").await.unwrap().unwrap().outcome,
            Some(outcome())
        );
        Store::flush(&store).await.unwrap();
        let there = other_process.get("fresh").await.unwrap().unwrap();
        assert_eq!(there.state, IntentState::Completed);
        assert_eq!(there.fingerprint, "fp");
        assert_eq!(there.outcome, Some(outcome()));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_intent_without_an_answer_is_written_after_a_short_linger() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let store = SqliteStore::open(&path).unwrap();
        store
            .begin_fresh(contract::record("lonely", "fp"))
            .await
            .unwrap();
        // No answer ever comes (the call failed for good): a flush, or the
        // writer's linger, commits the in-flight intent anyway.
        store.flush();
        let reopened = SqliteStore::open(&path).unwrap();
        assert_eq!(
            reopened.get("lonely").await.unwrap().unwrap().state,
            IntentState::InFlight
        );
    }

    #[tokio::test]
    async fn dropping_the_store_commits_what_is_queued() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let store = SqliteStore::open(&path).unwrap();
        let clone = store.clone();
        store.begin(contract::record("a", "fp")).await.unwrap();
        store.complete("a", outcome()).await.unwrap();
        store
            .begin_fresh(contract::record("b", "fp"))
            .await
            .unwrap();
        store.complete_fresh("b", outcome()).await.unwrap();
        // An answer that arrives after its intent was written is queued as an
        // update of the row.
        store
            .begin_fresh(contract::record("c", "fp"))
            .await
            .unwrap();
        store.flush();
        store.complete_fresh("c", outcome()).await.unwrap();
        drop(store);
        // A clone still holds the writer: nothing is lost when it goes too.
        drop(clone);
        let reopened = SqliteStore::open(&path).unwrap();
        for key in ["a", "b", "c"] {
            let record = reopened.get(key).await.unwrap().unwrap();
            assert_eq!(record.outcome, Some(outcome()), "{key}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_generated_records_all_land() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let store = SqliteStore::open(&path).unwrap();
        let tasks: Vec<_> = (0..8)
            .map(|t| {
                let store = store.clone();
                tokio::spawn(async move {
                    for i in 0..200 {
                        let key = format!("k-{t}-{i}");
                        store
                            .begin_fresh(contract::record(&key, "fp"))
                            .await
                            .unwrap();
                        if i % 2 == 0 {
                            store.complete_fresh(&key, outcome()).await.unwrap();
                        }
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        store.flush();
        let conn = Connection::open(&path).unwrap();
        let count = |state: &str| -> i64 {
            conn.query_row(
                "SELECT count(*) FROM oncely_intents WHERE state = ?1",
                [state],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert_eq!(count("completed"), 800);
        assert_eq!(count("in_flight"), 800);
    }

    #[test]
    fn corrupt_file_is_a_typed_error_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("garbage.db");
        let garbage = b"this is not a database, it is a grocery list\n".repeat(200);
        std::fs::write(&path, &garbage).unwrap();
        let err = SqliteStore::open(&path).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("garbage.db"), "{err}");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            garbage,
            "file must not be modified"
        );
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.db");
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        let err = SqliteStore::open(&path).unwrap_err();
        assert!(
            matches!(err, StoreError::SchemaTooNew { found: 99, .. }),
            "{err}"
        );
    }

    #[test]
    fn foreign_table_shape_is_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("foreign.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE oncely_intents (x INTEGER); PRAGMA user_version = 1;")
            .unwrap();
        drop(conn);
        let err = SqliteStore::open(&path).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    }

    #[test]
    fn unopenable_path_is_a_typed_error() {
        let err = SqliteStore::open("/nonexistent-dir/for/sure/x.db").unwrap_err();
        assert!(matches!(err, StoreError::Open { .. }), "{err}");
    }
}
