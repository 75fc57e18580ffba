//! The outbox in a SQLite database: the application's own file (or oncely's
//! store file), so a row commits or rolls back with the application's
//! transaction.
//!
//! - [`install`] creates or migrates the table (versions in
//!   `oncely_outbox_schema`, its own table, so the file's `user_version`
//!   stays the application's); a newer version or a foreign table of the
//!   same name is refused and left untouched.
//! - [`enqueue`] is one `INSERT` on the caller's connection, inside whatever
//!   transaction it has open (a [`rusqlite::Transaction`] derefs to the
//!   connection). Use the `rusqlite` oncely re-exports ([`rusqlite`]) so the
//!   types match.
//! - [`SqliteOutbox`] is what dispatchers and operators use: its own
//!   connection to the file; a claim is one `UPDATE … RETURNING` in an
//!   immediate transaction, so dispatchers of one file never claim a row
//!   twice. Times are the machine's clock (one file, one machine).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, Row};

pub use rusqlite;

use super::backend::{Backend, Finish};
use super::call::{unix_ms, OutboxCall};
use super::{OutboxError, OutboxFilter, OutboxRow, OutboxState, OutboxStats};
use crate::store::StoreError;

/// Migrations of the outbox table, applied in order; never edit one, append.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE oncely_outbox (
         id             INTEGER PRIMARY KEY AUTOINCREMENT,
         partition_key  TEXT,
         method         TEXT NOT NULL,
         path_template  TEXT NOT NULL,
         path_params    TEXT NOT NULL,
         query          TEXT NOT NULL,
         headers        TEXT NOT NULL,
         body           BLOB,
         content_type   TEXT,
         intent_id      TEXT NOT NULL UNIQUE,
         state          TEXT NOT NULL DEFAULT 'pending',
         attempts       INTEGER NOT NULL DEFAULT 0,
         not_before_ms  INTEGER NOT NULL,
         created_ms     INTEGER NOT NULL,
         lease_owner    TEXT,
         lease_until_ms INTEGER,
         fence          INTEGER NOT NULL DEFAULT 0,
         last_error     TEXT,
         response       TEXT,
         finished_ms    INTEGER
     );
     CREATE INDEX oncely_outbox_due ON oncely_outbox (state, id);
     CREATE INDEX oncely_outbox_partition ON oncely_outbox (partition_key, id)
         WHERE partition_key IS NOT NULL AND state IN ('pending', 'in_flight');",
    // 2: ids without `AUTOINCREMENT`. Rows are never deleted, so the largest
    // id is never freed and plain rowids are never reused; `AUTOINCREMENT`
    // only added a write to `sqlite_sequence` (one more page at every
    // enqueue's commit, ~20% of an enqueue: `cargo bench -p oncely --bench
    // outbox`). The table is rebuilt with its rows, ids and indexes.
    "CREATE TABLE oncely_outbox_v2 (
         id             INTEGER PRIMARY KEY,
         partition_key  TEXT,
         method         TEXT NOT NULL,
         path_template  TEXT NOT NULL,
         path_params    TEXT NOT NULL,
         query          TEXT NOT NULL,
         headers        TEXT NOT NULL,
         body           BLOB,
         content_type   TEXT,
         intent_id      TEXT NOT NULL UNIQUE,
         state          TEXT NOT NULL DEFAULT 'pending',
         attempts       INTEGER NOT NULL DEFAULT 0,
         not_before_ms  INTEGER NOT NULL,
         created_ms     INTEGER NOT NULL,
         lease_owner    TEXT,
         lease_until_ms INTEGER,
         fence          INTEGER NOT NULL DEFAULT 0,
         last_error     TEXT,
         response       TEXT,
         finished_ms    INTEGER
     );
     INSERT INTO oncely_outbox_v2 SELECT * FROM oncely_outbox;
     DROP TABLE oncely_outbox;
     ALTER TABLE oncely_outbox_v2 RENAME TO oncely_outbox;
     DELETE FROM sqlite_sequence WHERE name = 'oncely_outbox';
     CREATE INDEX oncely_outbox_due ON oncely_outbox (state, id);
     CREATE INDEX oncely_outbox_partition ON oncely_outbox (partition_key, id)
         WHERE partition_key IS NOT NULL AND state IN ('pending', 'in_flight');",
];

/// The newest outbox schema version this build knows.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Every column, in [`read_row`]'s order.
const COLUMNS: &str = "id, partition_key, method, path_template, path_params, query, headers, \
     body, content_type, intent_id, state, attempts, not_before_ms, created_ms, lease_owner, \
     lease_until_ms, fence, last_error, response, finished_ms";

const INSERT: &str = "INSERT INTO oncely_outbox (partition_key, method, path_template, \
     path_params, query, headers, body, content_type, intent_id, not_before_ms, created_ms) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
     ON CONFLICT (intent_id) DO NOTHING RETURNING id";

/// Creates the outbox table in `conn`'s database, or migrates it to this
/// build's version. Safe to call at every start.
pub fn install(conn: &Connection) -> Result<(), OutboxError> {
    let location = location_of(conn);
    let corrupt = |e: rusqlite::Error| StoreError::Corrupt {
        path: PathBuf::from(&location),
        reason: format!("outbox table: {e}"),
    };
    let tx = conn.unchecked_transaction().map_err(corrupt)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS oncely_outbox_schema (
             version INTEGER NOT NULL, applied_ms INTEGER NOT NULL)",
    )
    .map_err(corrupt)?;
    let found: i64 = tx
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM oncely_outbox_schema",
            [],
            |r| r.get(0),
        )
        .map_err(corrupt)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            path: PathBuf::from(&location),
            found,
            supported: SCHEMA_VERSION,
        }
        .into());
    }
    for (index, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(found).unwrap_or(0))
    {
        tx.execute_batch(sql).map_err(corrupt)?;
        tx.execute(
            "INSERT INTO oncely_outbox_schema (version, applied_ms) VALUES (?1, ?2)",
            params![index as i64 + 1, unix_ms(SystemTime::now())],
        )
        .map_err(corrupt)?;
    }
    // Preparing the reads proves the table has every column.
    tx.prepare(&format!("SELECT {COLUMNS} FROM oncely_outbox LIMIT 0"))
        .map_err(corrupt)?;
    tx.commit().map_err(corrupt)?;
    Ok(())
}

/// Enqueues `call` on `conn`, inside the transaction the caller has open:
/// the row commits or rolls back with it. Returns the row's id.
///
/// ```
/// use oncely::outbox::{sqlite, OutboxCall};
/// let mut conn = sqlite::rusqlite::Connection::open_in_memory()?;
/// conn.execute_batch("CREATE TABLE orders (id TEXT PRIMARY KEY)")?;
/// sqlite::install(&conn)?;
/// let tx = conn.transaction()?;
/// tx.execute("INSERT INTO orders (id) VALUES ('o_1')", [])?;
/// let call = OutboxCall::post("/orders/{id}/confirm").path_param("id", "o_1").intent_id("confirm-o_1");
/// sqlite::enqueue(&tx, &call)?;
/// tx.commit()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn enqueue(conn: &Connection, call: &OutboxCall) -> Result<i64, OutboxError> {
    let row = call.encode()?;
    let failed = |e: rusqlite::Error| match &e {
        rusqlite::Error::SqliteFailure(_, Some(message)) if message.contains("no such table") => {
            OutboxError::NotInstalled {
                location: location_of(conn),
            }
        }
        _ => StoreError::Backend {
            operation: "outbox enqueue",
            reason: e.to_string(),
        }
        .into(),
    };
    let mut insert = conn.prepare_cached(INSERT).map_err(failed)?;
    let id: Option<i64> = insert
        .query_row(
            params![
                row.partition,
                row.method,
                row.path_template,
                row.path_params,
                row.query,
                row.headers,
                row.body,
                row.content_type,
                row.intent_id,
                row.not_before_ms,
                unix_ms(SystemTime::now()),
            ],
            |r| r.get(0),
        )
        .optional()
        .map_err(failed)?;
    match id {
        Some(id) => Ok(id),
        None => {
            let existing = conn
                .query_row(
                    "SELECT id FROM oncely_outbox WHERE intent_id = ?1",
                    [&row.intent_id],
                    |r| r.get(0),
                )
                .map_err(failed)?;
            Err(OutboxError::DuplicateIntent {
                intent_id: row.intent_id,
                existing,
            })
        }
    }
}

fn location_of(conn: &Connection) -> String {
    conn.path()
        .filter(|p| !p.is_empty())
        .unwrap_or(":memory:")
        .to_owned()
}

/// The outbox of one SQLite file, for dispatchers and operators.
#[derive(Debug, Clone)]
pub struct SqliteOutbox {
    path: PathBuf,
    location: String,
    conn: Arc<Mutex<Connection>>,
}

impl SqliteOutbox {
    /// Opens the file (creating it if missing) and installs or migrates the
    /// table. A file that is not SQLite, or whose outbox is newer or not
    /// oncely's, is refused and left untouched.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, OutboxError> {
        let path = path.as_ref().to_path_buf();
        let conn = crate::store::sqlite::open_file(&path)?;
        let corrupt = |e: rusqlite::Error| StoreError::Corrupt {
            path: path.clone(),
            reason: e.to_string(),
        };
        install(&conn)?;
        // WAL lets the application write while dispatchers claim. This
        // connection's commits (claims, results) skip the fsync: one lost to a
        // power cut makes a row go out again with the same key, which the
        // server answers from its idempotency record. The application's own
        // commits keep its connection's setting.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(corrupt)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(corrupt)?;
        Ok(SqliteOutbox {
            location: format!("sqlite:{}", path.display()),
            path,
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Enqueues `call` in a transaction of its own (for a caller whose
    /// business change is not in this file; inside a transaction use
    /// [`enqueue`]).
    async fn enqueue_own(&self, call: &OutboxCall) -> Result<i64, OutboxError> {
        let call = call.clone();
        self.with_conn("outbox enqueue", move |conn| enqueue(conn, &call))
            .await
    }

    async fn with_conn<T, F>(&self, operation: &'static str, f: F) -> Result<T, OutboxError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, OutboxError> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|e| {
            OutboxError::Store(StoreError::Backend {
                operation,
                reason: e.to_string(),
            })
        })?
    }
}

fn backend(operation: &'static str) -> impl Fn(rusqlite::Error) -> OutboxError {
    move |e| {
        StoreError::Backend {
            operation,
            reason: e.to_string(),
        }
        .into()
    }
}

/// Reads a row selected with [`COLUMNS`].
fn read_row(r: &Row<'_>) -> rusqlite::Result<Result<OutboxRow, StoreError>> {
    let id: i64 = r.get(0)?;
    let state: String = r.get(10)?;
    let text = |i: usize| r.get::<_, String>(i);
    let json_opt = |i: usize| r.get::<_, Option<String>>(i);
    let (path_params, query, headers) = (text(4)?, text(5)?, text(6)?);
    let (last_error, response) = (json_opt(17)?, json_opt(18)?);
    let bad = |what: &str, e: String| StoreError::BadRecord {
        key: format!("outbox row {id}"),
        reason: format!("{what}: {e}"),
    };
    let parsed = (|| {
        let Some(state) = OutboxState::parse(&state) else {
            return Err(bad("state", format!("unknown state {state:?}")));
        };
        let json = |what: &str, t: &str| {
            serde_json::from_str::<serde_json::Value>(t).map_err(|e| bad(what, e.to_string()))
        };
        fn decode<T: serde::de::DeserializeOwned>(t: &str) -> Result<T, String> {
            serde_json::from_str(t).map_err(|e| e.to_string())
        }
        Ok(OutboxRow {
            id,
            partition: r.get(1).map_err(|e| bad("partition_key", e.to_string()))?,
            method: r.get(2).map_err(|e| bad("method", e.to_string()))?,
            path_template: r.get(3).map_err(|e| bad("path_template", e.to_string()))?,
            path_params: decode(&path_params).map_err(|e| bad("path_params", e))?,
            query: decode(&query).map_err(|e| bad("query", e))?,
            headers: decode(&headers).map_err(|e| bad("headers", e))?,
            body: r.get(7).map_err(|e| bad("body", e.to_string()))?,
            content_type: r.get(8).map_err(|e| bad("content_type", e.to_string()))?,
            intent_id: r.get(9).map_err(|e| bad("intent_id", e.to_string()))?,
            state,
            attempts: r.get(11).map_err(|e| bad("attempts", e.to_string()))?,
            not_before_ms: r.get(12).map_err(|e| bad("not_before_ms", e.to_string()))?,
            created_ms: r.get(13).map_err(|e| bad("created_ms", e.to_string()))?,
            lease_owner: r.get(14).map_err(|e| bad("lease_owner", e.to_string()))?,
            lease_until_ms: r
                .get(15)
                .map_err(|e| bad("lease_until_ms", e.to_string()))?,
            fence: r.get(16).map_err(|e| bad("fence", e.to_string()))?,
            last_error: last_error.map(|t| json("last_error", &t)).transpose()?,
            response: response.map(|t| json("response", &t)).transpose()?,
            finished_ms: r.get(19).map_err(|e| bad("finished_ms", e.to_string()))?,
        })
    })();
    Ok(parsed)
}

fn rows(
    conn: &Connection,
    operation: &'static str,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<OutboxRow>, OutboxError> {
    let mut statement = conn.prepare_cached(sql).map_err(backend(operation))?;
    let found = statement
        .query_map(params, read_row)
        .map_err(backend(operation))?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(backend(operation))?;
    Ok(found.into_iter().collect::<Result<Vec<_>, _>>()?)
}

fn one(conn: &Connection, id: i64) -> Result<Option<OutboxRow>, OutboxError> {
    let sql = format!("SELECT {COLUMNS} FROM oncely_outbox WHERE id = ?1");
    Ok(rows(conn, "outbox get", &sql, [id])?.pop())
}

fn now_ms() -> i64 {
    unix_ms(SystemTime::now())
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[async_trait]
impl Backend for SqliteOutbox {
    fn location(&self) -> &str {
        &self.location
    }

    async fn enqueue(&self, call: &OutboxCall) -> Result<i64, OutboxError> {
        self.enqueue_own(call).await
    }

    async fn claim(
        &self,
        owner: &str,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<OutboxRow>, OutboxError> {
        let owner = owner.to_owned();
        self.with_conn("outbox claim", move |conn| {
            let now = now_ms();
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(backend("outbox claim"))?;
            // A row is due when pending and its time has come, or in flight
            // under a lease that ran out; and it is the first unfinished row
            // of its partition.
            // Each kind of due row is found in id order through the
            // (state, id) index, stopping at the limit.
            let first_open = "(o.partition_key IS NULL OR NOT EXISTS (
                    SELECT 1 FROM oncely_outbox e
                    WHERE e.partition_key = o.partition_key AND e.id < o.id
                      AND e.state IN ('pending', 'in_flight')))";
            let sql = format!(
                "UPDATE oncely_outbox SET state = 'in_flight', lease_owner = ?1,
                     lease_until_ms = ?2, fence = fence + 1, attempts = attempts + 1
                 WHERE id IN (
                     SELECT id FROM (
                         SELECT o.id FROM oncely_outbox o
                         WHERE o.state = 'pending' AND o.not_before_ms <= ?3 AND {first_open}
                         ORDER BY o.id LIMIT ?4)
                     UNION ALL
                     SELECT id FROM (
                         SELECT o.id FROM oncely_outbox o
                         WHERE o.state = 'in_flight' AND o.lease_until_ms < ?3 AND {first_open}
                         ORDER BY o.id LIMIT ?4)
                     ORDER BY id LIMIT ?4)
                 RETURNING {COLUMNS}"
            );
            let mut claimed = rows(
                &tx,
                "outbox claim",
                &sql,
                params![owner, now + millis(lease), now, limit as i64],
            )?;
            tx.commit().map_err(backend("outbox claim"))?;
            claimed.sort_by_key(|r| r.id);
            Ok(claimed)
        })
        .await
    }

    async fn extend(&self, id: i64, fence: i64, lease: Duration) -> Result<bool, OutboxError> {
        self.with_conn("outbox extend", move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE oncely_outbox SET lease_until_ms = ?1
                     WHERE id = ?2 AND fence = ?3 AND state = 'in_flight'",
                )
                .and_then(|mut s| s.execute(params![now_ms() + millis(lease), id, fence]))
                .map_err(backend("outbox extend"))?;
            Ok(changed == 1)
        })
        .await
    }

    async fn finish(&self, id: i64, fence: i64, outcome: Finish) -> Result<bool, OutboxError> {
        let mut recorded = self.finish_all(vec![(id, fence, outcome)]).await?;
        Ok(recorded.pop().unwrap_or(false))
    }

    async fn finish_all(&self, done: Vec<(i64, i64, Finish)>) -> Result<Vec<bool>, OutboxError> {
        self.with_conn("outbox finish", move |conn| {
            let now = now_ms();
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(backend("outbox finish"))?;
            let mut recorded = Vec::with_capacity(done.len());
            {
                let mut update = tx
                    .prepare_cached(
                        "UPDATE oncely_outbox SET state = ?1,
                             not_before_ms = COALESCE(?2, not_before_ms),
                             last_error = COALESCE(?3, last_error), response = ?4,
                             finished_ms = ?5, lease_until_ms = NULL
                         WHERE id = ?6 AND fence = ?7 AND state = 'in_flight'",
                    )
                    .map_err(backend("outbox finish"))?;
                for (id, fence, outcome) in &done {
                    let (state, not_before, error, response, finished) = outcome.columns(now);
                    let changed = update
                        .execute(params![
                            state.as_str(),
                            not_before,
                            error,
                            response,
                            finished,
                            id,
                            fence
                        ])
                        .map_err(backend("outbox finish"))?;
                    recorded.push(changed == 1);
                }
            }
            tx.commit().map_err(backend("outbox finish"))?;
            Ok(recorded)
        })
        .await
    }

    async fn get(&self, id: i64) -> Result<Option<OutboxRow>, OutboxError> {
        self.with_conn("outbox get", move |conn| one(conn, id))
            .await
    }

    async fn list(&self, filter: &OutboxFilter) -> Result<Vec<OutboxRow>, OutboxError> {
        let filter = filter.clone();
        self.with_conn("outbox list", move |conn| {
            let sql = format!(
                "SELECT {COLUMNS} FROM oncely_outbox
                 WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR partition_key = ?2)
                 ORDER BY id DESC LIMIT ?3"
            );
            rows(
                conn,
                "outbox list",
                &sql,
                params![
                    filter.state.map(OutboxState::as_str),
                    filter.partition,
                    i64::from(filter.limit.unwrap_or(100))
                ],
            )
        })
        .await
    }

    async fn set_state(
        &self,
        id: i64,
        from: &'static [OutboxState],
        to: OutboxState,
    ) -> Result<Result<OutboxRow, OutboxRow>, OutboxError> {
        self.with_conn("outbox set state", move |conn| {
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(backend("outbox set state"))?;
            let row = one(&tx, id)?.ok_or(OutboxError::NotFound { id })?;
            if !from.contains(&row.state) {
                return Ok(Err(row));
            }
            let now = now_ms();
            let retry = to == OutboxState::Pending;
            tx.execute(
                "UPDATE oncely_outbox SET state = ?1, lease_owner = NULL, lease_until_ms = NULL,
                     attempts = CASE WHEN ?2 THEN 0 ELSE attempts END,
                     not_before_ms = CASE WHEN ?2 THEN ?3 ELSE not_before_ms END,
                     finished_ms = CASE WHEN ?2 THEN NULL ELSE ?3 END
                 WHERE id = ?4",
                params![to.as_str(), retry, now, id],
            )
            .map_err(backend("outbox set state"))?;
            let row = one(&tx, id)?.ok_or(OutboxError::NotFound { id })?;
            tx.commit().map_err(backend("outbox set state"))?;
            Ok(Ok(row))
        })
        .await
    }

    async fn stats(&self) -> Result<OutboxStats, OutboxError> {
        self.with_conn("outbox stats", move |conn| {
            let mut stats = OutboxStats::default();
            let mut statement = conn
                .prepare_cached(
                    "SELECT state, COUNT(*), MIN(CASE WHEN state = 'pending' THEN created_ms END)
                     FROM oncely_outbox GROUP BY state",
                )
                .map_err(backend("outbox stats"))?;
            let found = statement
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, Option<i64>>(2)?,
                    ))
                })
                .map_err(backend("outbox stats"))?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(backend("outbox stats"))?;
            for (state, count, oldest) in found {
                stats.add(&state, count, oldest, now_ms());
            }
            Ok(stats)
        })
        .await
    }
}
