//! The outbox in a PostgreSQL schema, shared by any number of dispatchers.
//!
//! - [`install`] creates or migrates the table in a schema (versions in
//!   `oncely_outbox_schema`, under an advisory lock so dispatchers starting
//!   together migrate once); a newer version or a foreign table is refused
//!   and left untouched.
//! - [`enqueue`] is one `INSERT` on the application's connection, inside its
//!   transaction (a [`tokio_postgres::Transaction`], or a client in a
//!   transaction); the table is named with its schema, so the connection's
//!   `search_path` does not matter. A duplicate intent does not abort the
//!   transaction (`ON CONFLICT DO NOTHING`).
//! - [`PgOutbox`] claims with `FOR UPDATE SKIP LOCKED` — dispatchers never
//!   wait on each other's rows — and compares leases on the database's clock.

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::Pool;
use tokio_postgres::types::Type;
use tokio_postgres::{GenericClient, Row};

pub use tokio_postgres;

use super::backend::{Backend, Finish};
use super::call::OutboxCall;
use super::{OutboxError, OutboxFilter, OutboxRow, OutboxState, OutboxStats};
use crate::store::postgres::{connect_pool, valid_schema_name, NOW_MS};
use crate::store::{PgConfig, StoreError};

/// Migrations of the outbox table (`{s}` is the schema); never edit one, append.
const MIGRATIONS: &[&str] = &["CREATE TABLE {s}.oncely_outbox (
         id             BIGSERIAL PRIMARY KEY,
         partition_key  TEXT,
         method         TEXT NOT NULL,
         path_template  TEXT NOT NULL,
         path_params    TEXT NOT NULL,
         query          TEXT NOT NULL,
         headers        TEXT NOT NULL,
         body           BYTEA,
         content_type   TEXT,
         intent_id      TEXT NOT NULL UNIQUE,
         state          TEXT NOT NULL DEFAULT 'pending',
         attempts       INTEGER NOT NULL DEFAULT 0,
         not_before_ms  BIGINT NOT NULL,
         created_ms     BIGINT NOT NULL,
         lease_owner    TEXT,
         lease_until_ms BIGINT,
         fence          BIGINT NOT NULL DEFAULT 0,
         last_error     TEXT,
         response       TEXT,
         finished_ms    BIGINT
     );
     CREATE INDEX oncely_outbox_due ON {s}.oncely_outbox (state, id);
     CREATE INDEX oncely_outbox_partition ON {s}.oncely_outbox (partition_key, id)
         WHERE partition_key IS NOT NULL AND state IN ('pending', 'in_flight');"];

/// The newest outbox schema version this build knows.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Every column, in [`read_row`]'s order.
const COLUMNS: &str = "id, partition_key, method, path_template, path_params, query, headers, \
     body, content_type, intent_id, state, attempts, not_before_ms, created_ms, lease_owner, \
     lease_until_ms, fence, last_error, response, finished_ms";

fn checked_schema(schema: &str) -> Result<&str, OutboxError> {
    if valid_schema_name(schema) {
        Ok(schema)
    } else {
        Err(OutboxError::InvalidCall {
            what: format!("schema name {schema:?}"),
            why: "must be 1-63 lower-case letters, digits or `_`, not starting with a digit".into(),
        })
    }
}

/// Creates the schema and the outbox table in it, or migrates the table to
/// this build's version. Safe to call at every start.
pub async fn install(client: &mut tokio_postgres::Client, schema: &str) -> Result<(), OutboxError> {
    let schema = checked_schema(schema)?;
    let location = format!("postgres schema {schema}");
    let corrupt = |e: tokio_postgres::Error| StoreError::Corrupt {
        path: PathBuf::from(&location),
        reason: format!("outbox table: {}", describe(&e)),
    };
    let tx = client.transaction().await.map_err(corrupt)?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('oncely-outbox-migrate:' || $1::text))",
        &[&schema],
    )
    .await
    .map_err(corrupt)?;
    tx.batch_execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS {schema};
         CREATE TABLE IF NOT EXISTS {schema}.oncely_outbox_schema (
             version INTEGER NOT NULL, applied_ms BIGINT NOT NULL);"
    ))
    .await
    .map_err(corrupt)?;
    let found: i32 = tx
        .query_one(
            &format!("SELECT COALESCE(MAX(version), 0) FROM {schema}.oncely_outbox_schema"),
            &[],
        )
        .await
        .map_err(corrupt)?
        .get(0);
    if i64::from(found) > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            path: PathBuf::from(&location),
            found: i64::from(found),
            supported: SCHEMA_VERSION,
        }
        .into());
    }
    for (index, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(found).unwrap_or(0))
    {
        tx.batch_execute(&sql.replace("{s}", schema))
            .await
            .map_err(corrupt)?;
        let version = i32::try_from(index + 1).unwrap_or(i32::MAX);
        tx.execute(
            &format!(
                "INSERT INTO {schema}.oncely_outbox_schema (version, applied_ms) VALUES ($1, {NOW_MS})"
            ),
            &[&version],
        )
        .await
        .map_err(corrupt)?;
    }
    tx.prepare(&format!(
        "SELECT {COLUMNS} FROM {schema}.oncely_outbox LIMIT 0"
    ))
    .await
    .map_err(corrupt)?;
    tx.commit().await.map_err(corrupt)?;
    Ok(())
}

/// Enqueues `call` into `schema`'s outbox on `client`, inside the
/// transaction the caller has open: the row commits or rolls back with it.
/// Returns the row's id.
///
/// ```no_run
/// # async fn run(client: &mut oncely::outbox::postgres::tokio_postgres::Client) -> Result<(), Box<dyn std::error::Error>> {
/// use oncely::outbox::{postgres, OutboxCall};
/// let tx = client.transaction().await?;
/// tx.execute("INSERT INTO orders (id) VALUES ('o_1')", &[]).await?;
/// let call = OutboxCall::post("/orders/{id}/confirm").path_param("id", "o_1").intent_id("confirm-o_1");
/// postgres::enqueue(&tx, "oncely", &call).await?;
/// tx.commit().await?;
/// # Ok(()) }
/// ```
pub async fn enqueue(
    client: &impl GenericClient,
    schema: &str,
    call: &OutboxCall,
) -> Result<i64, OutboxError> {
    let schema = checked_schema(schema)?;
    let row = call.encode()?;
    let failed = |e: tokio_postgres::Error| match e.code() {
        Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE) => OutboxError::NotInstalled {
            location: format!("postgres schema {schema}"),
        },
        _ => StoreError::Backend {
            operation: "outbox enqueue",
            reason: describe(&e),
        }
        .into(),
    };
    let insert = format!(
        "INSERT INTO {schema}.oncely_outbox (partition_key, method, path_template, path_params, \
         query, headers, body, content_type, intent_id, not_before_ms, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, {NOW_MS}) \
         ON CONFLICT (intent_id) DO NOTHING RETURNING id"
    );
    // Typed parameters: one round trip, no statement to prepare on the
    // application's connection.
    let inserted = client
        .query_typed_opt(
            &insert,
            &[
                (&row.partition, Type::TEXT),
                (&row.method, Type::TEXT),
                (&row.path_template, Type::TEXT),
                (&row.path_params, Type::TEXT),
                (&row.query, Type::TEXT),
                (&row.headers, Type::TEXT),
                (&row.body, Type::BYTEA),
                (&row.content_type, Type::TEXT),
                (&row.intent_id, Type::TEXT),
                (&row.not_before_ms, Type::INT8),
            ],
        )
        .await
        .map_err(failed)?;
    if let Some(found) = inserted {
        return Ok(found.get(0));
    }
    let existing = client
        .query_one(
            &format!("SELECT id FROM {schema}.oncely_outbox WHERE intent_id = $1"),
            &[&row.intent_id],
        )
        .await
        .map_err(failed)?
        .get(0);
    Err(OutboxError::DuplicateIntent {
        intent_id: row.intent_id,
        existing,
    })
}

/// The outbox of one PostgreSQL schema, for dispatchers and operators.
#[derive(Clone)]
pub struct PgOutbox {
    pool: Pool,
    schema: String,
    location: String,
}

impl std::fmt::Debug for PgOutbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgOutbox")
            .field("location", &self.location)
            .finish()
    }
}

impl PgOutbox {
    /// Connects and installs or migrates the table in `config`'s schema.
    pub async fn connect(config: PgConfig) -> Result<Self, OutboxError> {
        let (pool, location) = connect_pool(&config)?;
        let outbox = PgOutbox {
            pool,
            schema: config.schema.clone(),
            location: format!("postgres:{location}"),
        };
        let mut client = outbox.client("outbox install").await?;
        install(&mut client, &outbox.schema).await?;
        Ok(outbox)
    }

    /// The outbox in the configured schema, if it has one: `None` (nothing
    /// created) when the schema holds no outbox table — for viewers that
    /// show an absent outbox rather than install one.
    pub async fn connect_existing(config: PgConfig) -> Result<Option<Self>, OutboxError> {
        let (pool, location) = connect_pool(&config)?;
        let outbox = PgOutbox {
            pool,
            schema: config.schema.clone(),
            location: format!("postgres:{location}"),
        };
        let client = outbox.client("outbox lookup").await?;
        let installed: bool = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM information_schema.tables \
                  WHERE table_schema = $1 AND table_name = 'oncely_outbox')",
                &[&outbox.schema],
            )
            .await
            .map_err(backend("outbox lookup"))?
            .get(0);
        if !installed {
            return Ok(None);
        }
        let mut client = client;
        install(&mut client, &outbox.schema).await?;
        drop(client);
        Ok(Some(outbox))
    }

    /// The schema holding the table.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// Enqueues `call` in a transaction of its own (inside the application's
    /// transaction use [`enqueue`]).
    async fn enqueue_own(&self, call: &OutboxCall) -> Result<i64, OutboxError> {
        let client = self.client("outbox enqueue").await?;
        enqueue(&**client, &self.schema, call).await
    }

    async fn client(
        &self,
        operation: &'static str,
    ) -> Result<deadpool_postgres::Object, OutboxError> {
        self.pool.get().await.map_err(|e| {
            StoreError::Backend {
                operation,
                reason: e.to_string(),
            }
            .into()
        })
    }

    async fn rows(
        &self,
        operation: &'static str,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<OutboxRow>, OutboxError> {
        let client = self.client(operation).await?;
        let statement = client
            .prepare_cached(sql)
            .await
            .map_err(backend(operation))?;
        let found = client
            .query(&statement, params)
            .await
            .map_err(backend(operation))?;
        found
            .iter()
            .map(|r| read_row(r).map_err(OutboxError::from))
            .collect()
    }

    fn sql(&self, text: &str) -> String {
        text.replace(
            "{first_open}",
            "(o.partition_key IS NULL OR NOT EXISTS (
                 SELECT 1 FROM {s}.oncely_outbox e
                 WHERE e.partition_key = o.partition_key AND e.id < o.id
                   AND e.state IN ('pending', 'in_flight')))",
        )
        .replace("{s}", &self.schema)
        .replace("{cols}", COLUMNS)
        .replace("{now}", NOW_MS)
    }
}

fn backend(operation: &'static str) -> impl Fn(tokio_postgres::Error) -> OutboxError {
    move |e| {
        StoreError::Backend {
            operation,
            reason: describe(&e),
        }
        .into()
    }
}

/// The server's message when there is one (`db error` alone says nothing).
fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Reads a row selected with [`COLUMNS`].
fn read_row(r: &Row) -> Result<OutboxRow, StoreError> {
    let id: i64 = r.try_get(0).map_err(|e| bad(0, "id", e.to_string()))?;
    let get_err = |what: &'static str| move |e: tokio_postgres::Error| bad(id, what, e.to_string());
    let state: String = r.try_get(10).map_err(get_err("state"))?;
    let state =
        OutboxState::parse(&state).ok_or_else(|| bad(id, "state", format!("unknown {state:?}")))?;
    let text = |i: usize, what: &'static str| r.try_get::<_, String>(i).map_err(get_err(what));
    let json_opt = |i: usize, what: &'static str| {
        r.try_get::<_, Option<String>>(i)
            .map_err(get_err(what))?
            .map(|t| serde_json::from_str(&t).map_err(|e| bad(id, what, e.to_string())))
            .transpose()
    };
    let attempts: i32 = r.try_get(11).map_err(get_err("attempts"))?;
    Ok(OutboxRow {
        id,
        partition: r.try_get(1).map_err(get_err("partition_key"))?,
        method: text(2, "method")?,
        path_template: text(3, "path_template")?,
        path_params: decode(id, "path_params", &text(4, "path_params")?)?,
        query: decode(id, "query", &text(5, "query")?)?,
        headers: decode(id, "headers", &text(6, "headers")?)?,
        body: r.try_get(7).map_err(get_err("body"))?,
        content_type: r.try_get(8).map_err(get_err("content_type"))?,
        intent_id: text(9, "intent_id")?,
        state,
        attempts: u32::try_from(attempts).unwrap_or(0),
        not_before_ms: r.try_get(12).map_err(get_err("not_before_ms"))?,
        created_ms: r.try_get(13).map_err(get_err("created_ms"))?,
        lease_owner: r.try_get(14).map_err(get_err("lease_owner"))?,
        lease_until_ms: r.try_get(15).map_err(get_err("lease_until_ms"))?,
        fence: r.try_get(16).map_err(get_err("fence"))?,
        last_error: json_opt(17, "last_error")?,
        response: json_opt(18, "response")?,
        finished_ms: r.try_get(19).map_err(get_err("finished_ms"))?,
    })
}

fn decode<T: serde::de::DeserializeOwned>(
    id: i64,
    what: &str,
    text: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| bad(id, what, e.to_string()))
}

fn bad(id: i64, what: &str, reason: String) -> StoreError {
    StoreError::BadRecord {
        key: format!("outbox row {id}"),
        reason: format!("{what}: {reason}"),
    }
}

#[async_trait]
impl Backend for PgOutbox {
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
        // Due: pending and its time has come, or in flight under a lease that
        // ran out; and the first unfinished row of its partition. Rows
        // another dispatcher is claiming right now are skipped, not waited on.
        let sql = self.sql(
            "WITH pending AS (
                 SELECT o.id FROM {s}.oncely_outbox o
                 WHERE o.state = 'pending' AND o.not_before_ms <= {now} AND {first_open}
                 ORDER BY o.id LIMIT $3
                 FOR UPDATE OF o SKIP LOCKED),
             expired AS (
                 SELECT o.id FROM {s}.oncely_outbox o
                 WHERE o.state = 'in_flight' AND o.lease_until_ms < {now} AND {first_open}
                 ORDER BY o.id LIMIT $3
                 FOR UPDATE OF o SKIP LOCKED),
             due AS (
                 SELECT id FROM pending UNION ALL SELECT id FROM expired
                 ORDER BY id LIMIT $3)
             UPDATE {s}.oncely_outbox t SET state = 'in_flight', lease_owner = $1,
                 lease_until_ms = {now} + $2, fence = t.fence + 1, attempts = t.attempts + 1
             FROM due WHERE t.id = due.id
             RETURNING t.id, t.partition_key, t.method, t.path_template, t.path_params, t.query,
                 t.headers, t.body, t.content_type, t.intent_id, t.state, t.attempts,
                 t.not_before_ms, t.created_ms, t.lease_owner, t.lease_until_ms, t.fence,
                 t.last_error, t.response, t.finished_ms",
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut rows = self
            .rows("outbox claim", &sql, &[&owner, &millis(lease), &limit])
            .await?;
        rows.sort_by_key(|r| r.id);
        Ok(rows)
    }

    async fn extend(&self, id: i64, fence: i64, lease: Duration) -> Result<bool, OutboxError> {
        let sql = self.sql(
            "UPDATE {s}.oncely_outbox SET lease_until_ms = {now} + $1
             WHERE id = $2 AND fence = $3 AND state = 'in_flight'",
        );
        let client = self.client("outbox extend").await?;
        let changed = client
            .execute(&sql, &[&millis(lease), &id, &fence])
            .await
            .map_err(backend("outbox extend"))?;
        Ok(changed == 1)
    }

    async fn finish(&self, id: i64, fence: i64, outcome: Finish) -> Result<bool, OutboxError> {
        let mut recorded = self.finish_all(vec![(id, fence, outcome)]).await?;
        Ok(recorded.pop().unwrap_or(false))
    }

    async fn finish_all(&self, done: Vec<(i64, i64, Finish)>) -> Result<Vec<bool>, OutboxError> {
        // One statement for the batch; times on the database's clock (the
        // columns are computed at "0" and offset by now in SQL).
        let mut ids = Vec::with_capacity(done.len());
        let mut fences = Vec::with_capacity(done.len());
        let mut states = Vec::with_capacity(done.len());
        let mut afters = Vec::with_capacity(done.len());
        let mut errors = Vec::with_capacity(done.len());
        let mut responses = Vec::with_capacity(done.len());
        let mut finished = Vec::with_capacity(done.len());
        for (id, fence, outcome) in &done {
            let (state, after, error, response, done_at) = outcome.columns(0);
            ids.push(*id);
            fences.push(*fence);
            states.push(state.as_str().to_owned());
            afters.push(after);
            errors.push(error);
            responses.push(response);
            finished.push(done_at.is_some());
        }
        let sql = self.sql(
            "UPDATE {s}.oncely_outbox t SET state = d.state,
                 not_before_ms = CASE WHEN d.after IS NULL THEN t.not_before_ms ELSE {now} + d.after END,
                 last_error = COALESCE(d.error, t.last_error), response = d.response,
                 finished_ms = CASE WHEN d.finished THEN {now} END, lease_until_ms = NULL
             FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::text[],
                         $6::text[], $7::bool[]) AS d(id, fence, state, after, error, response, finished)
             WHERE t.id = d.id AND t.fence = d.fence AND t.state = 'in_flight'
             RETURNING t.id",
        );
        let client = self.client("outbox finish").await?;
        let statement = client
            .prepare_cached(&sql)
            .await
            .map_err(backend("outbox finish"))?;
        let changed: std::collections::HashSet<i64> = client
            .query(
                &statement,
                &[
                    &ids, &fences, &states, &afters, &errors, &responses, &finished,
                ],
            )
            .await
            .map_err(backend("outbox finish"))?
            .iter()
            .map(|r| r.get(0))
            .collect();
        Ok(ids.iter().map(|id| changed.contains(id)).collect())
    }

    async fn get(&self, id: i64) -> Result<Option<OutboxRow>, OutboxError> {
        let sql = self.sql("SELECT {cols} FROM {s}.oncely_outbox WHERE id = $1");
        Ok(self.rows("outbox get", &sql, &[&id]).await?.pop())
    }

    async fn list(&self, filter: &OutboxFilter) -> Result<Vec<OutboxRow>, OutboxError> {
        let sql = self.sql(
            "SELECT {cols} FROM {s}.oncely_outbox
             WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR partition_key = $2)
             ORDER BY id DESC LIMIT $3",
        );
        let state = filter.state.map(OutboxState::as_str);
        let limit = i64::from(filter.limit.unwrap_or(100));
        self.rows("outbox list", &sql, &[&state, &filter.partition, &limit])
            .await
    }

    async fn set_state(
        &self,
        id: i64,
        from: &'static [OutboxState],
        to: OutboxState,
    ) -> Result<Result<OutboxRow, OutboxRow>, OutboxError> {
        let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
        let retry = to == OutboxState::Pending;
        let sql = self.sql(
            "UPDATE {s}.oncely_outbox SET state = $1, lease_owner = NULL, lease_until_ms = NULL,
                 attempts = CASE WHEN $2 THEN 0 ELSE attempts END,
                 not_before_ms = CASE WHEN $2 THEN {now} ELSE not_before_ms END,
                 finished_ms = CASE WHEN $2 THEN NULL ELSE {now} END
             WHERE id = $3 AND state = ANY($4)
             RETURNING {cols}",
        );
        let changed = self
            .rows(
                "outbox set state",
                &sql,
                &[&to.as_str(), &retry, &id, &from],
            )
            .await?
            .pop();
        match changed {
            Some(row) => Ok(Ok(row)),
            None => match self.get(id).await? {
                Some(row) => Ok(Err(row)),
                None => Err(OutboxError::NotFound { id }),
            },
        }
    }

    async fn stats(&self) -> Result<OutboxStats, OutboxError> {
        let client = self.client("outbox stats").await?;
        let sql = self.sql(
            "SELECT state, COUNT(*), MIN(CASE WHEN state = 'pending' THEN created_ms END), {now}
             FROM {s}.oncely_outbox GROUP BY state",
        );
        let found = client
            .query(&sql, &[])
            .await
            .map_err(backend("outbox stats"))?;
        let mut stats = OutboxStats::default();
        for r in found {
            let state: String = r.get(0);
            stats.add(&state, r.get(1), r.get(2), r.get(3));
        }
        Ok(stats)
    }
}
