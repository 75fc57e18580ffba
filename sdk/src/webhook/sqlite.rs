//! The webhook inbox in a SQLite database: the application's own file (so
//! an event's claim commits with the handler's effects) or a file of its own.
//!
//! - [`install`] creates or migrates the table (versions in
//!   `oncely_webhook_schema`, its own table, so the file's `user_version`
//!   stays the application's); a newer version or a foreign table of the
//!   same name is refused and left untouched.
//! - [`claim_event`] is one `INSERT … ON CONFLICT` on the caller's
//!   connection, inside whatever transaction it has open (a
//!   [`rusqlite::Transaction`] derefs to the connection).
//! - [`SqliteInbox`] is the store behind
//!   [`WebhookInbox::sqlite`](super::WebhookInbox::sqlite): its own
//!   connection; each step is one statement, so deliveries in several
//!   processes sharing the file take an event once.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, Row};

pub use rusqlite;

use super::backend::{taken_from, Backend, Held, Outcome, Taken};
use super::clock::unix_ms;
use super::{Claim, EventState, InboxRecord, WebhookError};
use crate::store::StoreError;

/// Migrations of the inbox table, applied in order; never edit one, append.
const MIGRATIONS: &[&str] = &["CREATE TABLE oncely_webhook_events (
         source         TEXT NOT NULL,
         event_id       TEXT NOT NULL,
         state          TEXT NOT NULL,
         attempts       INTEGER NOT NULL DEFAULT 0,
         fence          INTEGER NOT NULL DEFAULT 0,
         lease_owner    TEXT,
         lease_until_ms INTEGER,
         received_ms    INTEGER NOT NULL,
         finished_ms    INTEGER,
         result         TEXT,
         last_error     TEXT,
         PRIMARY KEY (source, event_id)
     );"];

/// The newest inbox schema version this build knows.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Every column, in [`read_record`]'s order.
const COLUMNS: &str = "source, event_id, state, attempts, received_ms, lease_until_ms, \
     finished_ms, result, last_error";

/// Creates the inbox table in `conn`'s database, or migrates it to this
/// build's version. Safe to call at every start.
pub fn install(conn: &Connection) -> Result<(), WebhookError> {
    let location = location_of(conn);
    let corrupt = |e: rusqlite::Error| StoreError::Corrupt {
        path: PathBuf::from(&location),
        reason: format!("webhook inbox table: {e}"),
    };
    let tx = conn.unchecked_transaction().map_err(corrupt)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS oncely_webhook_schema (
             version INTEGER NOT NULL, applied_ms INTEGER NOT NULL)",
    )
    .map_err(corrupt)?;
    let found: i64 = tx
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM oncely_webhook_schema",
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
            "INSERT INTO oncely_webhook_schema (version, applied_ms) VALUES (?1, ?2)",
            params![index as i64 + 1, unix_ms(SystemTime::now())],
        )
        .map_err(corrupt)?;
    }
    // Preparing the reads proves the table has every column.
    tx.prepare(&format!(
        "SELECT {COLUMNS}, fence, lease_owner FROM oncely_webhook_events LIMIT 0"
    ))
    .map_err(corrupt)?;
    tx.commit().map_err(corrupt)?;
    Ok(())
}

/// Claims event `event_id` of `source` on `conn`, inside the transaction
/// the caller has open, and records it `done`: [`Claim::First`] when the
/// event is new (or its last processing failed) — run the handler in the
/// same transaction, and the record commits or rolls back with its effects
/// — or [`Claim::Duplicate`] when it was processed before.
///
/// ```no_run
/// use oncely::webhook::sqlite::{self, rusqlite::Connection};
/// # fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let mut conn = Connection::open("app.db")?;
/// sqlite::install(&conn)?;
/// let tx = conn.transaction()?;
/// if sqlite::claim_event(&tx, "orders", "evt_1")?.is_first() {
///     tx.execute("UPDATE stock SET reserved = reserved + 1 WHERE sku = 'sku-1'", [])?;
/// }
/// tx.commit()?; // the event's record and the handler's effects, together
/// # Ok(()) }
/// ```
pub fn claim_event(conn: &Connection, source: &str, event_id: &str) -> Result<Claim, WebhookError> {
    let failed = |e: rusqlite::Error| -> WebhookError {
        if e.to_string().contains("no such table") {
            WebhookError::NotInstalled {
                location: location_of(conn),
            }
        } else {
            StoreError::Backend {
                operation: "webhook claim",
                reason: e.to_string(),
            }
            .into()
        }
    };
    let now = unix_ms(SystemTime::now());
    let sql = super::claim_statement(
        crate::outbox::Placeholders::QuestionMark,
        "oncely_webhook_events",
    )?;
    let claimed = conn
        .prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_row(params![source, event_id, now, now], |_| Ok(()))
                .optional()
        })
        .map_err(failed)?;
    Ok(if claimed.is_some() {
        Claim::First
    } else {
        Claim::Duplicate
    })
}

fn location_of(conn: &Connection) -> String {
    conn.path()
        .filter(|p| !p.is_empty())
        .unwrap_or(":memory:")
        .to_owned()
}

/// The inbox of one SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteInbox {
    location: String,
    conn: Arc<Mutex<Connection>>,
}

impl SqliteInbox {
    /// Opens the file (creating it if missing) and installs or migrates the
    /// table. A file that is not SQLite, or whose inbox is newer or not
    /// oncely's, is refused and left untouched.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, WebhookError> {
        let path = path.as_ref().to_path_buf();
        let conn = crate::store::sqlite::open_file(&path)?;
        install(&conn)?;
        // WAL lets the application write while deliveries record; commits
        // keep the full fsync: a lost `done` would run a handler again.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| StoreError::Corrupt {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        Ok(SqliteInbox {
            location: format!("sqlite:{}", path.display()),
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    async fn with_conn<T, F>(&self, operation: &'static str, f: F) -> Result<T, WebhookError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, WebhookError> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|e| {
            WebhookError::Store(StoreError::Backend {
                operation,
                reason: e.to_string(),
            })
        })?
    }
}

fn backend(operation: &'static str) -> impl Fn(rusqlite::Error) -> WebhookError {
    move |e| {
        StoreError::Backend {
            operation,
            reason: e.to_string(),
        }
        .into()
    }
}

/// Reads a record selected with [`COLUMNS`].
fn read_record(r: &Row<'_>) -> rusqlite::Result<Result<InboxRecord, StoreError>> {
    let source: String = r.get(0)?;
    let event_id: String = r.get(1)?;
    let state: String = r.get(2)?;
    let result: Option<String> = r.get(7)?;
    let bad = |reason: String| StoreError::BadRecord {
        key: format!("webhook event {source}/{event_id}"),
        reason,
    };
    let Some(state) = EventState::parse(&state) else {
        return Ok(Err(bad(format!("unknown state {state:?}"))));
    };
    let result = match result.map(|t| serde_json::from_str(&t)).transpose() {
        Ok(result) => result,
        Err(e) => return Ok(Err(bad(format!("result is not JSON: {e}")))),
    };
    Ok(Ok(InboxRecord {
        state,
        attempts: r.get(3)?,
        received_ms: r.get(4)?,
        lease_until_ms: r.get(5)?,
        finished_ms: r.get(6)?,
        result,
        last_error: r.get(8)?,
        source,
        event_id,
    }))
}

fn records(
    conn: &Connection,
    operation: &'static str,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<InboxRecord>, WebhookError> {
    let mut statement = conn.prepare_cached(sql).map_err(backend(operation))?;
    let found = statement
        .query_map(params, read_record)
        .map_err(backend(operation))?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(backend(operation))?;
    Ok(found.into_iter().collect::<Result<Vec<_>, _>>()?)
}

#[async_trait]
impl Backend for SqliteInbox {
    fn location(&self) -> &str {
        &self.location
    }

    async fn take(
        &self,
        source: &str,
        event_id: &str,
        owner: &str,
        now_ms: i64,
        lease_until_ms: i64,
    ) -> Result<Taken, WebhookError> {
        let (source, event_id, owner) = (source.to_owned(), event_id.to_owned(), owner.to_owned());
        self.with_conn("webhook take", move |conn| {
            let fence: Option<i64> = conn
                .prepare_cached(
                    "INSERT INTO oncely_webhook_events
                         (source, event_id, state, attempts, fence, lease_owner, lease_until_ms,
                          received_ms)
                     VALUES (?1, ?2, 'processing', 1, 1, ?3, ?4, ?5)
                     ON CONFLICT (source, event_id) DO UPDATE SET
                         state = 'processing', attempts = attempts + 1, fence = fence + 1,
                         lease_owner = excluded.lease_owner,
                         lease_until_ms = excluded.lease_until_ms, finished_ms = NULL
                     WHERE oncely_webhook_events.state = 'failed'
                        OR (oncely_webhook_events.state = 'processing'
                            AND oncely_webhook_events.lease_until_ms <= ?5)
                     RETURNING fence",
                )
                .and_then(|mut s| {
                    s.query_row(
                        params![source, event_id, owner, lease_until_ms, now_ms],
                        |r| r.get(0),
                    )
                    .optional()
                })
                .map_err(backend("webhook take"))?;
            if let Some(fence) = fence {
                return Ok(Taken::Claimed { fence });
            }
            let sql = format!(
                "SELECT {COLUMNS} FROM oncely_webhook_events WHERE source = ?1 AND event_id = ?2"
            );
            let found = records(conn, "webhook take", &sql, params![source, event_id])?.pop();
            Ok(taken_from(found, now_ms))
        })
        .await
    }

    async fn extend(&self, held: Held<'_>, lease_until_ms: i64) -> Result<bool, WebhookError> {
        let (source, event_id, fence) =
            (held.source.to_owned(), held.event_id.to_owned(), held.fence);
        self.with_conn("webhook extend", move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE oncely_webhook_events SET lease_until_ms = ?1
                     WHERE source = ?2 AND event_id = ?3 AND fence = ?4 AND state = 'processing'",
                )
                .and_then(|mut s| s.execute(params![lease_until_ms, source, event_id, fence]))
                .map_err(backend("webhook extend"))?;
            Ok(changed == 1)
        })
        .await
    }

    async fn finish(
        &self,
        held: Held<'_>,
        outcome: Outcome,
        now_ms: i64,
    ) -> Result<bool, WebhookError> {
        let (source, event_id, fence) =
            (held.source.to_owned(), held.event_id.to_owned(), held.fence);
        let (state, result, error) = outcome.columns();
        self.with_conn("webhook finish", move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE oncely_webhook_events SET state = ?1, result = ?2,
                         last_error = COALESCE(?3, last_error), finished_ms = ?4,
                         lease_until_ms = NULL
                     WHERE source = ?5 AND event_id = ?6 AND fence = ?7 AND state = 'processing'",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        state.as_str(),
                        result,
                        error,
                        now_ms,
                        source,
                        event_id,
                        fence
                    ])
                })
                .map_err(backend("webhook finish"))?;
            Ok(changed == 1)
        })
        .await
    }

    async fn get(&self, source: &str, event_id: &str) -> Result<Option<InboxRecord>, WebhookError> {
        let (source, event_id) = (source.to_owned(), event_id.to_owned());
        self.with_conn("webhook get", move |conn| {
            let sql = format!(
                "SELECT {COLUMNS} FROM oncely_webhook_events WHERE source = ?1 AND event_id = ?2"
            );
            Ok(records(conn, "webhook get", &sql, params![source, event_id])?.pop())
        })
        .await
    }

    async fn list(
        &self,
        source: Option<&str>,
        limit: u32,
    ) -> Result<Vec<InboxRecord>, WebhookError> {
        let source = source.map(str::to_owned);
        self.with_conn("webhook list", move |conn| {
            let sql = format!(
                "SELECT {COLUMNS} FROM oncely_webhook_events WHERE (?1 IS NULL OR source = ?1)
                 ORDER BY received_ms DESC, event_id LIMIT ?2"
            );
            records(
                conn,
                "webhook list",
                &sql,
                params![source, i64::from(limit)],
            )
        })
        .await
    }
}
