//! [`PgStore`]: idempotency records and the workflow journal on PostgreSQL, for
//! a fleet of workers sharing one ledger.
//!
//! - One schema (default `oncely`) holds every table; its migrations are
//!   versioned in `oncely_schema` and applied at connect under an advisory lock,
//!   so workers starting together migrate once.
//! - Runs are leased with a column and an expiry on the database's clock, so a
//!   dead worker's runs are taken over once its lease expires; every journal
//!   write locks the run row (`FOR UPDATE`) and checks the lease first, and
//!   claims use `FOR UPDATE SKIP LOCKED`, so two workers never execute one run.
//! - An idempotency key begun by worker A is visible to worker B at once: B's
//!   `begin` answers [`Begin::Resumed`] and B re-sends the same key.
//! - A connection lost mid-operation (server restart, `pg_terminate_backend`,
//!   network) is retried on a fresh pooled connection; every operation is safe
//!   to repeat (step updates are upserts, `begin` re-reads the record).

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use serde_json::Value;
use tokio_postgres::error::SqlState;
use tokio_postgres::{NoTls, Row};

use super::journal::{
    lease_ms, Acquire, CreateRun, EventRecord, Journal, JournalWrite, NewEvent, NewRun, RunFilter,
    RunRecord, RunState, StateCounts, StepPhase, StepRecord, StepStatus,
};
use super::journal_memory::pickup_event;
use super::{decide, Begin, IntentRecord, IntentState, Store, StoreError, StoredOutcome};

/// The database clock in Unix milliseconds: leases are compared on one clock
/// whatever the workers' clocks say.
const NOW_MS: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

/// Schema migrations, applied in order; never edit one, append.
const MIGRATIONS: &[&str] = &[
    // 1: idempotency records.
    "CREATE TABLE oncely_intents (
         key           TEXT PRIMARY KEY,
         intent_id     TEXT,
         method        TEXT NOT NULL,
         path_template TEXT NOT NULL,
         fingerprint   TEXT NOT NULL,
         state         TEXT NOT NULL,
         created_ms    BIGINT NOT NULL,
         expires_ms    BIGINT NOT NULL,
         status        INTEGER,
         headers       TEXT,
         body          BYTEA,
         completed_ms  BIGINT
     );
     CREATE INDEX oncely_intents_expires ON oncely_intents (expires_ms);",
    // 2: workflow journal.
    "CREATE TABLE oncely_runs (
         seq            BIGSERIAL NOT NULL,
         run_id         TEXT PRIMARY KEY,
         workflow       TEXT NOT NULL,
         fingerprint    TEXT NOT NULL,
         steps          TEXT NOT NULL,
         input          TEXT NOT NULL,
         state          TEXT NOT NULL,
         error          TEXT,
         generation     INTEGER NOT NULL DEFAULT 0,
         lease_owner    TEXT,
         lease_until_ms BIGINT NOT NULL DEFAULT 0,
         created_ms     BIGINT NOT NULL,
         updated_ms     BIGINT NOT NULL
     );
     CREATE INDEX oncely_runs_state ON oncely_runs (state, seq);
     CREATE TABLE oncely_steps (
         run_id       TEXT NOT NULL,
         idx          INTEGER NOT NULL,
         phase        TEXT NOT NULL,
         name         TEXT NOT NULL,
         key          TEXT NOT NULL,
         status       TEXT NOT NULL,
         attempts     INTEGER NOT NULL,
         output       TEXT,
         error        TEXT,
         resume_token TEXT,
         started_ms   BIGINT NOT NULL,
         finished_ms  BIGINT,
         PRIMARY KEY (run_id, idx, phase)
     );
     CREATE TABLE oncely_run_events (
         run_id  TEXT NOT NULL,
         seq     BIGINT NOT NULL,
         at_ms   BIGINT NOT NULL,
         kind    TEXT NOT NULL,
         step    TEXT,
         phase   TEXT,
         attempt INTEGER,
         detail  TEXT,
         PRIMARY KEY (run_id, seq)
     );",
];

const RUN_COLUMNS: &str = "run_id, workflow, fingerprint, steps, input, state, error, generation,
    lease_owner, lease_until_ms, created_ms, updated_ms";

const INTENT_COLUMNS: &str =
    "key, intent_id, method, path_template, fingerprint, state, created_ms, expires_ms,
    status, headers, body, completed_ms";

/// How a [`PgStore`] connects.
#[derive(Clone)]
pub struct PgConfig {
    /// A libpq-style URL or key/value string, e.g. `postgres://user@host:5432/db`.
    pub url: String,
    /// The schema holding oncely's tables (created if missing). Default `oncely`;
    /// tests give each case its own.
    pub schema: String,
    /// Connections in the pool (default 8).
    pub pool_size: usize,
    /// How many times an operation is retried after a lost connection (default 3).
    pub reconnect_attempts: u32,
}

impl std::fmt::Debug for PgConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgConfig")
            .field("url", &redact_url(&self.url))
            .field("schema", &self.schema)
            .field("pool_size", &self.pool_size)
            .finish()
    }
}

impl PgConfig {
    /// Settings for `url` with the defaults.
    ///
    /// ```
    /// let config = oncely::store::PgConfig::new("postgres://postgres@127.0.0.1:5432/postgres").schema("billing");
    /// assert_eq!(config.schema, "billing");
    /// ```
    pub fn new(url: impl Into<String>) -> Self {
        PgConfig {
            url: url.into(),
            schema: "oncely".into(),
            pool_size: 8,
            reconnect_attempts: 3,
        }
    }

    /// Uses another schema.
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = schema.into();
        self
    }

    /// Sets the pool size (at least 1).
    pub fn pool_size(mut self, size: usize) -> Self {
        self.pool_size = size.max(1);
        self
    }
}

/// Removes a password from a URL for messages.
fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "<unparsable url>".into(),
    }
}

/// The PostgreSQL store: idempotency records and workflow journal in one
/// schema, shared by every worker that connects to it.
///
/// ```no_run
/// # async fn run() -> Result<(), oncely::store::StoreError> {
/// use oncely::store::{PgConfig, PgStore};
/// let store = PgStore::connect(PgConfig::new("postgres://postgres@127.0.0.1:5432/postgres")).await?;
/// let client = oncely::Client::builder("https://api.example.com").store(store).build();
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    schema: String,
    location: String,
    reconnect_attempts: u32,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("location", &self.location)
            .finish()
    }
}

/// The step upsert of a journal write (parameters `$11`..`$19`), as a CTE that
/// runs only when the lease CTE matched.
const STEP_CTE: &str = ",
                 step AS (
                     INSERT INTO oncely_steps (run_id, idx, phase, name, key, status, attempts, output, error, resume_token,
                                               started_ms, finished_ms)
                     SELECT run_id, $11::int, $12::text, $13::text, $14::text, $15::text,
                            CASE WHEN $19::bool THEN 1 ELSE 0 END, $16::text, $17::text, $18::text,
                            (extract(epoch from clock_timestamp()) * 1000)::bigint,
                            CASE WHEN $15::text = 'started' THEN NULL ELSE (extract(epoch from clock_timestamp()) * 1000)::bigint END
                       FROM lease
                     ON CONFLICT (run_id, idx, phase) DO UPDATE SET
                         name = excluded.name,
                         key = excluded.key,
                         status = excluded.status,
                         attempts = oncely_steps.attempts + CASE WHEN $19::bool THEN 1 ELSE 0 END,
                         output = COALESCE(excluded.output, oncely_steps.output),
                         error = COALESCE(excluded.error, oncely_steps.error),
                         resume_token = COALESCE(excluded.resume_token, oncely_steps.resume_token),
                         started_ms = CASE WHEN $19::bool THEN excluded.started_ms ELSE oncely_steps.started_ms END,
                         finished_ms = CASE WHEN excluded.status = 'started' THEN NULL ELSE excluded.started_ms END
                     RETURNING 1
                 )";

/// The newest schema version this build knows.
pub(crate) const PG_SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

fn valid_schema_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !name.as_bytes()[0].is_ascii_digit()
}

fn is_connection_error(e: &tokio_postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    match e.code() {
        Some(code) => {
            code.code().starts_with("08")
                || *code == SqlState::ADMIN_SHUTDOWN
                || *code == SqlState::CRASH_SHUTDOWN
                || *code == SqlState::CANNOT_CONNECT_NOW
        }
        // No SQLSTATE: an I/O error on the socket.
        None => true,
    }
}

/// An operation's failure: a database error (maybe a lost connection) or our own.
enum OpError {
    Pg(tokio_postgres::Error),
    Store(StoreError),
}

impl From<tokio_postgres::Error> for OpError {
    fn from(e: tokio_postgres::Error) -> Self {
        OpError::Pg(e)
    }
}

impl From<StoreError> for OpError {
    fn from(e: StoreError) -> Self {
        OpError::Store(e)
    }
}

fn bad(key: &str, reason: String) -> StoreError {
    StoreError::BadRecord {
        key: key.to_string(),
        reason,
    }
}

fn parse_json(key: &str, what: &str, text: &str) -> Result<Value, StoreError> {
    serde_json::from_str(text).map_err(|e| bad(key, format!("{what} is not valid JSON: {e}")))
}

fn to_i32(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl PgStore {
    /// Connects, creates the schema if needed and applies pending migrations.
    /// A schema written by a newer oncely is refused with
    /// [`StoreError::SchemaTooNew`] and left untouched.
    pub async fn connect(config: PgConfig) -> Result<Self, StoreError> {
        let location = format!("{} (schema {})", redact_url(&config.url), config.schema);
        let open = |reason: String| StoreError::Open {
            path: PathBuf::from(&location),
            reason,
        };
        if !valid_schema_name(&config.schema) {
            return Err(open(format!(
                "schema name {:?} must be 1-63 lower-case letters, digits or `_`, not starting with a digit",
                config.schema
            )));
        }
        let mut pg: tokio_postgres::Config = config
            .url
            .parse()
            .map_err(|e: tokio_postgres::Error| open(e.to_string()))?;
        pg.options(format!("-c search_path={}", config.schema));
        // Names the pool's sessions in pg_stat_activity, e.g. `oncely:oncely`.
        pg.application_name(format!("oncely:{}", config.schema));
        if pg.get_connect_timeout().is_none() {
            pg.connect_timeout(Duration::from_secs(10));
        }
        let manager = Manager::from_config(
            pg,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(config.pool_size.max(1))
            .build()
            .map_err(|e| open(e.to_string()))?;
        let store = PgStore {
            pool,
            schema: config.schema.clone(),
            location: location.clone(),
            reconnect_attempts: config.reconnect_attempts,
        };
        let client = store.pool.get().await.map_err(|e| open(e.to_string()))?;
        store.migrate(client).await?;
        Ok(store)
    }

    /// Where this store lives (URL without password, and schema).
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The schema holding the tables.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The schema version found in the database (0 before the first migration).
    pub async fn schema_version(&self) -> Result<i32, StoreError> {
        self.op("schema version", |c| async move {
            let row = pg_query_one(
                &c,
                "SELECT COALESCE(MAX(version), 0) FROM oncely_schema",
                &[],
            )
            .await?;
            Ok(row.get::<_, i32>(0))
        })
        .await
    }

    async fn migrate(&self, mut client: Object) -> Result<(), StoreError> {
        let corrupt = |e: tokio_postgres::Error| StoreError::Corrupt {
            path: PathBuf::from(&self.location),
            reason: e.to_string(),
        };
        let tx = client.transaction().await.map_err(corrupt)?;
        pg_execute(
            &tx,
            "SELECT pg_advisory_xact_lock(hashtext('oncely-migrate:' || $1::text))",
            &[&self.schema],
        )
        .await
        .map_err(corrupt)?;
        tx.batch_execute(&format!(
            "CREATE SCHEMA IF NOT EXISTS {schema};
             CREATE TABLE IF NOT EXISTS {schema}.oncely_schema (version INTEGER NOT NULL, applied_ms BIGINT NOT NULL);",
            schema = self.schema
        ))
        .await
        .map_err(corrupt)?;
        let found: i32 = tx
            .query_one(
                &format!(
                    "SELECT COALESCE(MAX(version), 0) FROM {}.oncely_schema",
                    self.schema
                ),
                &[],
            )
            .await
            .map_err(corrupt)?
            .get(0);
        if found > PG_SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                path: PathBuf::from(&self.location),
                found: i64::from(found),
                supported: i64::from(PG_SCHEMA_VERSION),
            });
        }
        for (index, sql) in MIGRATIONS
            .iter()
            .enumerate()
            .skip(usize::try_from(found).unwrap_or(0))
        {
            tx.batch_execute(sql).await.map_err(corrupt)?;
            let version = i32::try_from(index + 1).unwrap_or(i32::MAX);
            pg_execute(
                &tx,
                &format!("INSERT INTO oncely_schema (version, applied_ms) VALUES ($1, {NOW_MS})"),
                &[&version],
            )
            .await
            .map_err(corrupt)?;
        }
        tx.commit().await.map_err(corrupt)?;
        Ok(())
    }

    /// Runs `f` on a pooled connection; a lost connection is retried on a fresh
    /// one (every operation here is safe to repeat).
    async fn op<T, F, Fut>(&self, operation: &'static str, f: F) -> Result<T, StoreError>
    where
        F: Fn(Object) -> Fut + Send + Sync,
        Fut: Future<Output = Result<T, OpError>> + Send,
        T: Send,
    {
        let backend = |reason: String| StoreError::Backend { operation, reason };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let client = match self.pool.get().await {
                Ok(c) => c,
                Err(e) if attempt <= self.reconnect_attempts => {
                    tracing::warn!(operation, error = %e, attempt, "postgres pool could not give a connection; retrying");
                    tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
                    continue;
                }
                Err(e) => return Err(backend(e.to_string())),
            };
            match f(client).await {
                Ok(value) => return Ok(value),
                Err(OpError::Store(e)) => return Err(e),
                Err(OpError::Pg(e))
                    if is_connection_error(&e) && attempt <= self.reconnect_attempts =>
                {
                    tracing::warn!(operation, error = %e, attempt, "postgres connection lost; retrying on a fresh connection");
                    tokio::time::sleep(Duration::from_millis(20 * u64::from(attempt))).await;
                }
                Err(OpError::Pg(e)) => return Err(backend(e.to_string())),
            }
        }
    }
}

type PgParams<'a> = &'a [&'a (dyn tokio_postgres::types::ToSql + Sync)];

/// Executes `sql` through the connection's statement cache (one round trip
/// instead of two once the statement is known).
async fn pg_execute<C: deadpool_postgres::GenericClient + Sync>(
    c: &C,
    sql: &str,
    params: PgParams<'_>,
) -> Result<u64, tokio_postgres::Error> {
    let statement = c.prepare_cached(sql).await?;
    c.execute(&statement, params).await
}

async fn pg_query<C: deadpool_postgres::GenericClient + Sync>(
    c: &C,
    sql: &str,
    params: PgParams<'_>,
) -> Result<Vec<Row>, tokio_postgres::Error> {
    let statement = c.prepare_cached(sql).await?;
    c.query(&statement, params).await
}

async fn pg_query_one<C: deadpool_postgres::GenericClient + Sync>(
    c: &C,
    sql: &str,
    params: PgParams<'_>,
) -> Result<Row, tokio_postgres::Error> {
    let statement = c.prepare_cached(sql).await?;
    c.query_one(&statement, params).await
}

async fn pg_query_opt<C: deadpool_postgres::GenericClient + Sync>(
    c: &C,
    sql: &str,
    params: PgParams<'_>,
) -> Result<Option<Row>, tokio_postgres::Error> {
    let statement = c.prepare_cached(sql).await?;
    c.query_opt(&statement, params).await
}

fn decode_intent(row: &Row) -> Result<IntentRecord, StoreError> {
    let key: String = row.get(0);
    let state: String = row.get(5);
    let state =
        IntentState::parse(&state).ok_or_else(|| bad(&key, format!("unknown state {state:?}")))?;
    let status: Option<i32> = row.get(8);
    let outcome = match (state, status) {
        (IntentState::Completed, Some(status)) => {
            let headers: Option<String> = row.get(9);
            let headers: Vec<(String, String)> =
                serde_json::from_str(headers.as_deref().unwrap_or("[]"))
                    .map_err(|e| bad(&key, format!("headers are not valid JSON: {e}")))?;
            Some(StoredOutcome {
                status: u16::try_from(status)
                    .map_err(|_| bad(&key, format!("status {status} out of range")))?,
                headers,
                body: row.get::<_, Option<Vec<u8>>>(10).unwrap_or_default(),
                completed_ms: row.get::<_, Option<i64>>(11).unwrap_or(0),
            })
        }
        (IntentState::Completed, None) => {
            return Err(bad(&key, "completed without a status".into()))
        }
        (IntentState::InFlight, _) => None,
    };
    Ok(IntentRecord {
        intent_id: row.get(1),
        method: row.get(2),
        path_template: row.get(3),
        fingerprint: row.get(4),
        state,
        created_ms: row.get(6),
        expires_ms: row.get(7),
        outcome,
        key,
    })
}

fn decode_run(row: &Row) -> Result<RunRecord, StoreError> {
    let run_id: String = row.get(0);
    let steps: String = row.get(3);
    let steps: Vec<String> = serde_json::from_str(&steps)
        .map_err(|e| bad(&run_id, format!("step list is not valid JSON: {e}")))?;
    let input: String = row.get(4);
    let state: String = row.get(5);
    let error: Option<String> = row.get(6);
    Ok(RunRecord {
        workflow: row.get(1),
        fingerprint: row.get(2),
        steps,
        input: parse_json(&run_id, "input", &input)?,
        state: RunState::parse(&state)
            .ok_or_else(|| bad(&run_id, format!("unknown run state {state:?}")))?,
        error: error
            .map(|e| parse_json(&run_id, "error", &e))
            .transpose()?,
        generation: u32::try_from(row.get::<_, i32>(7)).unwrap_or(0),
        lease_owner: row.get(8),
        lease_until_ms: row.get(9),
        created_ms: row.get(10),
        updated_ms: row.get(11),
        run_id,
    })
}

async fn read_run(
    c: &impl deadpool_postgres::GenericClient,
    run_id: &str,
    lock: bool,
) -> Result<Option<RunRecord>, OpError> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM oncely_runs WHERE run_id = $1{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    let row = pg_query_opt(c, &sql, &[&run_id]).await?;
    Ok(row.as_ref().map(decode_run).transpose()?)
}

async fn append_event(
    c: &impl deadpool_postgres::GenericClient,
    run_id: &str,
    event: &NewEvent,
) -> Result<(), OpError> {
    let sql = format!(
        "INSERT INTO oncely_run_events (run_id, seq, at_ms, kind, step, phase, attempt, detail)
         SELECT $1, COALESCE(MAX(seq), 0) + 1, {NOW_MS}, $2, $3, $4, $5, $6 FROM oncely_run_events WHERE run_id = $1"
    );
    let phase = event.phase.map(StepPhase::as_str);
    let attempt = event.attempt.map(to_i32);
    let detail = event.detail.as_ref().map(Value::to_string);
    pg_execute(
        c,
        &sql,
        &[&run_id, &event.kind, &event.step, &phase, &attempt, &detail],
    )
    .await?;
    Ok(())
}

#[async_trait]
impl Store for PgStore {
    async fn begin(&self, record: IntentRecord) -> Result<Begin, StoreError> {
        let record = &record;
        self.op("begin", |mut c| async move {
            let params: [&(dyn tokio_postgres::types::ToSql + Sync); 8] = [
                &record.key,
                &record.intent_id,
                &record.method,
                &record.path_template,
                &record.fingerprint,
                &record.state.as_str(),
                &record.created_ms,
                &record.expires_ms,
            ];
            // Fast path, one round trip: a new key is inserted atomically.
            let inserted = pg_execute(
                &c,
                "INSERT INTO oncely_intents (key, intent_id, method, path_template, fingerprint, state, created_ms, expires_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (key) DO NOTHING",
                &params,
            )
            .await?;
            if inserted == 1 {
                return Ok(Begin::Started);
            }
            // The key is known: decide under the record's row lock.
            let tx = c.transaction().await?;
            let row = pg_query_opt(
                &tx,
                &format!("SELECT {INTENT_COLUMNS} FROM oncely_intents WHERE key = $1 FOR UPDATE"),
                &[&record.key],
            )
            .await?;
            let Some(row) = row else {
                // Purged in between: insert it now.
                pg_execute(
                    &tx,
                    "INSERT INTO oncely_intents (key, intent_id, method, path_template, fingerprint, state, created_ms, expires_ms)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    &params,
                )
                .await?;
                tx.commit().await?;
                return Ok(Begin::Started);
            };
            let existing = decode_intent(&row)?;
            let decision = decide(Some(&existing), record);
            if decision == Begin::Started {
                // The old record expired: replace it.
                pg_execute(
                    &tx,
                    "UPDATE oncely_intents SET intent_id = $2, method = $3, path_template = $4, fingerprint = $5, state = $6,
                            created_ms = $7, expires_ms = $8, status = NULL, headers = NULL, body = NULL, completed_ms = NULL
                      WHERE key = $1",
                    &params,
                )
                .await?;
            }
            tx.commit().await?;
            Ok(decision)
        })
        .await
    }

    async fn complete(&self, key: &str, outcome: StoredOutcome) -> Result<(), StoreError> {
        let outcome = &outcome;
        let headers = serde_json::to_string(&outcome.headers).map_err(|e| StoreError::Backend {
            operation: "complete",
            reason: e.to_string(),
        })?;
        let headers = &headers;
        self.op("complete", |c| async move {
            pg_execute(&c,
                "UPDATE oncely_intents SET state = $2, status = $3, headers = $4, body = $5, completed_ms = $6 WHERE key = $1",
                &[&key, &IntentState::Completed.as_str(), &i32::from(outcome.status), headers, &outcome.body, &outcome.completed_ms],
            )
            .await?;
            Ok(())
        })
        .await
    }

    async fn get(&self, key: &str) -> Result<Option<IntentRecord>, StoreError> {
        self.op("get", |c| async move {
            let row = pg_query_opt(
                &c,
                &format!("SELECT {INTENT_COLUMNS} FROM oncely_intents WHERE key = $1"),
                &[&key],
            )
            .await?;
            Ok(row.as_ref().map(decode_intent).transpose()?)
        })
        .await
    }

    async fn purge_expired(&self, now_ms: i64) -> Result<u64, StoreError> {
        self.op("purge", |c| async move {
            Ok(pg_execute(
                &c,
                "DELETE FROM oncely_intents WHERE expires_ms <= $1",
                &[&now_ms],
            )
            .await?)
        })
        .await
    }

    fn as_journal(self: std::sync::Arc<Self>) -> Option<std::sync::Arc<dyn Journal>> {
        Some(self)
    }
}

#[async_trait]
impl Journal for PgStore {
    async fn create_run(&self, run: &NewRun) -> Result<CreateRun, StoreError> {
        let steps =
            serde_json::to_string(&run.steps).map_err(|e| bad(&run.run_id, e.to_string()))?;
        let (steps, input) = (&steps, &run.input.to_string());
        self.op("create run", |mut c| async move {
            let tx = c.transaction().await?;
            let inserted = tx
                .execute(
                    &format!(
                        "INSERT INTO oncely_runs (run_id, workflow, fingerprint, steps, input, state, created_ms, updated_ms)
                         VALUES ($1, $2, $3, $4, $5, $6, {NOW_MS}, {NOW_MS}) ON CONFLICT (run_id) DO NOTHING"
                    ),
                    &[&run.run_id, &run.workflow, &run.fingerprint, steps, input, &RunState::Pending.as_str()],
                )
                .await?;
            let record = read_run(&tx, &run.run_id, false).await?.ok_or_else(|| bad(&run.run_id, "vanished after insert".into()))?;
            tx.commit().await?;
            Ok(if inserted == 1 { CreateRun::Created(record) } else { CreateRun::Exists(record) })
        })
        .await
    }

    async fn run(&self, run_id: &str) -> Result<Option<RunRecord>, StoreError> {
        self.op(
            "read run",
            |c| async move { read_run(&c, run_id, false).await },
        )
        .await
    }

    async fn steps(&self, run_id: &str) -> Result<Vec<StepRecord>, StoreError> {
        self.op("read steps", |c| async move {
            let rows = c
                .query(
                    "SELECT idx, phase, name, key, status, attempts, output, error, resume_token, started_ms, finished_ms
                       FROM oncely_steps WHERE run_id = $1 ORDER BY idx, phase",
                    &[&run_id],
                )
                .await?;
            let mut steps = Vec::with_capacity(rows.len());
            for r in rows {
                let phase: String = r.get(1);
                let status: String = r.get(4);
                let output: Option<String> = r.get(6);
                let error: Option<String> = r.get(7);
                steps.push(StepRecord {
                    run_id: run_id.to_string(),
                    index: u32::try_from(r.get::<_, i32>(0)).unwrap_or(0),
                    phase: StepPhase::parse(&phase).ok_or_else(|| bad(run_id, format!("unknown step phase {phase:?}")))?,
                    name: r.get(2),
                    key: r.get(3),
                    status: StepStatus::parse(&status).ok_or_else(|| bad(run_id, format!("unknown step status {status:?}")))?,
                    attempts: u32::try_from(r.get::<_, i32>(5)).unwrap_or(0),
                    output: output.map(|o| parse_json(run_id, "step output", &o)).transpose()?,
                    error: error.map(|e| parse_json(run_id, "step error", &e)).transpose()?,
                    resume_token: r.get(8),
                    started_ms: r.get(9),
                    finished_ms: r.get(10),
                });
            }
            Ok(steps)
        })
        .await
    }

    async fn events(&self, run_id: &str) -> Result<Vec<EventRecord>, StoreError> {
        self.op("read events", |c| async move {
            let rows = c
                .query(
                    "SELECT seq, at_ms, kind, step, phase, attempt, detail FROM oncely_run_events WHERE run_id = $1 ORDER BY seq",
                    &[&run_id],
                )
                .await?;
            let mut events = Vec::with_capacity(rows.len());
            for r in rows {
                let phase: Option<String> = r.get(4);
                let detail: Option<String> = r.get(6);
                events.push(EventRecord {
                    run_id: run_id.to_string(),
                    seq: u64::try_from(r.get::<_, i64>(0)).unwrap_or(0),
                    at_ms: r.get(1),
                    kind: r.get(2),
                    step: r.get(3),
                    phase: phase.as_deref().and_then(StepPhase::parse),
                    attempt: r.get::<_, Option<i32>>(5).and_then(|a| u32::try_from(a).ok()),
                    detail: detail.map(|d| parse_json(run_id, "event detail", &d)).transpose()?,
                });
            }
            Ok(events)
        })
        .await
    }

    async fn list_runs(&self, filter: &RunFilter) -> Result<Vec<RunRecord>, StoreError> {
        let states: Vec<String> = filter
            .states
            .iter()
            .map(|s| s.as_str().to_string())
            .collect();
        let limit = filter.limit.map(|l| i64::try_from(l).unwrap_or(i64::MAX));
        let (states, limit) = (&states, &limit);
        self.op("list runs", |c| async move {
            let sql = format!(
                "SELECT {RUN_COLUMNS} FROM oncely_runs
                  WHERE (cardinality($1::text[]) = 0 OR state = ANY($1::text[]))
                    AND ($2::text IS NULL OR workflow = $2::text)
                  ORDER BY seq DESC LIMIT $3::bigint"
            );
            let rows = pg_query(&c, &sql, &[states, &filter.workflow, limit]).await?;
            Ok(rows.iter().map(decode_run).collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn count_runs(&self) -> Result<StateCounts, StoreError> {
        self.op("count runs", |c| async move {
            let rows = pg_query(
                &c,
                "SELECT state, COUNT(*) FROM oncely_runs GROUP BY state",
                &[],
            )
            .await?;
            let mut counts = StateCounts::new();
            for r in rows {
                let state: String = r.get(0);
                let state = RunState::parse(&state)
                    .ok_or_else(|| bad("oncely_runs", format!("unknown run state {state:?}")))?;
                counts.insert(state, u64::try_from(r.get::<_, i64>(1)).unwrap_or(0));
            }
            Ok(counts)
        })
        .await
    }

    async fn acquire(
        &self,
        run_id: &str,
        owner: &str,
        lease: Duration,
    ) -> Result<Acquire, StoreError> {
        let lease = lease_ms(lease);
        self.op("acquire", |c| async move {
            // One statement: take the lease if it is free, expired or ours.
            let sql = format!(
                "UPDATE oncely_runs SET lease_owner = $2, lease_until_ms = {NOW_MS} + $3
                  WHERE run_id = $1 AND (lease_owner IS NULL OR lease_until_ms <= {NOW_MS} OR lease_owner = $2)
                  RETURNING {RUN_COLUMNS}"
            );
            if let Some(row) = pg_query_opt(&c, &sql, &[&run_id, &owner, &lease]).await? {
                return Ok(Acquire::Acquired(decode_run(&row)?));
            }
            Ok(match read_run(&c, run_id, false).await? {
                Some(run) => Acquire::Held(run),
                None => Acquire::Missing,
            })
        })
        .await
    }

    async fn claim(
        &self,
        owner: &str,
        lease: Duration,
        workflows: &[String],
    ) -> Result<Option<RunRecord>, StoreError> {
        let lease = lease_ms(lease);
        let workflows = &workflows.to_vec();
        self.op("claim", |c| async move {
            // The queue pattern in one statement: lock the oldest free active
            // run (skipping rows other claimers hold) and lease it.
            let sql = format!(
                "UPDATE oncely_runs SET lease_owner = $2, lease_until_ms = {NOW_MS} + $3
                  WHERE run_id = (
                      SELECT run_id FROM oncely_runs
                       WHERE state IN ('pending', 'running', 'compensating') AND workflow = ANY($1::text[])
                         AND (lease_owner IS NULL OR lease_until_ms <= {NOW_MS})
                       ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED)
                  RETURNING {RUN_COLUMNS}"
            );
            let row = pg_query_opt(&c, &sql, &[workflows, &owner, &lease]).await?;
            Ok(row.as_ref().map(decode_run).transpose()?)
        })
        .await
    }

    async fn renew(&self, run_id: &str, owner: &str, lease: Duration) -> Result<bool, StoreError> {
        let lease = lease_ms(lease);
        self.op("renew", |c| async move {
            let sql = format!(
                "UPDATE oncely_runs SET lease_until_ms = {NOW_MS} + $3
                  WHERE run_id = $1 AND lease_owner = $2 AND lease_until_ms > {NOW_MS}"
            );
            Ok(pg_execute(&c, &sql, &[&run_id, &owner, &lease]).await? > 0)
        })
        .await
    }

    async fn release(&self, run_id: &str, owner: &str) -> Result<(), StoreError> {
        self.op("release", |c| async move {
            pg_execute(&c,
                "UPDATE oncely_runs SET lease_owner = NULL, lease_until_ms = 0 WHERE run_id = $1 AND lease_owner = $2",
                &[&run_id, &owner],
            )
            .await?;
            Ok(())
        })
        .await
    }

    async fn release_all(&self, owner: &str) -> Result<u64, StoreError> {
        self.op("release all", |c| async move {
            Ok(pg_execute(&c, "UPDATE oncely_runs SET lease_owner = NULL, lease_until_ms = 0 WHERE lease_owner = $1", &[&owner]).await?)
        })
        .await
    }

    async fn write(
        &self,
        run_id: &str,
        owner: &str,
        lease: Duration,
        write: &JournalWrite,
    ) -> Result<bool, StoreError> {
        let lease = lease_ms(lease);
        let state = write.state.map(RunState::as_str);
        let error = write.error.as_ref().map(Value::to_string);
        let e = &write.event;
        let (phase, attempt, detail) = (
            e.phase.map(StepPhase::as_str),
            e.attempt.map(to_i32),
            e.detail.as_ref().map(Value::to_string),
        );
        let step = write.step.as_ref().map(|s| {
            (
                to_i32(s.index),
                s.phase.as_str(),
                s.output.as_ref().map(Value::to_string),
                s.error.as_ref().map(Value::to_string),
                s.status.as_str(),
                s,
            )
        });
        let (state, error, phase, attempt, detail, step) =
            (&state, &error, &phase, &attempt, &detail, &step);
        self.op("journal write", |c| async move {
            // One statement, one round trip, atomic: the lease check (the
            // UPDATE locks the run row and matches only while `owner` holds an
            // unexpired lease), the step upsert and the event all happen, or
            // none does.
            let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
                vec![&run_id, &owner, &lease, state, error, &e.kind, &e.step, phase, attempt, detail];
            let step_cte = match step {
                Some((index, step_phase, output, step_error, status, s)) => {
                    params.extend_from_slice(&[index, step_phase, &s.name, &s.key, status, output, step_error, &s.resume_token, &s.new_attempt]);
                    STEP_CTE
                }
                None => "",
            };
            let sql = format!(
                "WITH lease AS (
                     UPDATE oncely_runs SET state = COALESCE($4::text, state), error = COALESCE($5::text, error),
                            updated_ms = {NOW_MS}, lease_until_ms = {NOW_MS} + $3::bigint
                      WHERE run_id = $1 AND lease_owner = $2 AND lease_until_ms > {NOW_MS}
                      RETURNING run_id
                 ){step_cte},
                 event AS (
                     INSERT INTO oncely_run_events (run_id, seq, at_ms, kind, step, phase, attempt, detail)
                     SELECT run_id, COALESCE((SELECT MAX(seq) FROM oncely_run_events WHERE run_id = $1), 0) + 1, {NOW_MS},
                            $6::text, $7::text, $8::text, $9::int, $10::text
                       FROM lease
                     RETURNING 1
                 )
                 SELECT COUNT(*) FROM lease"
            );
            let row = pg_query_one(&c, &sql, &params).await?;
            Ok(row.get::<_, i64>(0) == 1)
        })
        .await
    }

    async fn request_pickup(
        &self,
        run_id: &str,
        retry_parked: bool,
    ) -> Result<Option<RunRecord>, StoreError> {
        self.op("request pickup", |mut c| async move {
            let tx = c.transaction().await?;
            let Some(before) = read_run(&tx, run_id, true).await? else { return Ok(None) };
            let retry = retry_parked && before.state == RunState::NeedsAttention;
            pg_execute(&tx,
                &format!(
                    "UPDATE oncely_runs SET lease_owner = NULL, lease_until_ms = 0, updated_ms = {NOW_MS},
                            state = CASE WHEN $2 THEN 'compensating' ELSE state END,
                            generation = generation + CASE WHEN $2 THEN 1 ELSE 0 END
                      WHERE run_id = $1"
                ),
                &[&run_id, &retry],
            )
            .await?;
            let after = read_run(&tx, run_id, false).await?.ok_or_else(|| bad(run_id, "vanished".into()))?;
            append_event(&tx, run_id, &pickup_event(before.state, &after, retry_parked)).await?;
            tx.commit().await?;
            Ok(Some(after))
        })
        .await
    }
}

/// Test support: the database URL from `ONCELY_TEST_DATABASE_URL` and a
/// fresh schema per test.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// The test database URL. Unset: a loud skip locally, a failure under `CI=true`.
    pub fn url(test: &str) -> Option<String> {
        match std::env::var("ONCELY_TEST_DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => Some(url),
            _ if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") => {
                panic!("ONCELY_TEST_DATABASE_URL is not set under CI: start one with scripts/pg-test-server.sh start")
            }
            _ => {
                eprintln!("SKIPPED {test}: ONCELY_TEST_DATABASE_URL is not set (eval \"$(scripts/pg-test-server.sh start)\")");
                None
            }
        }
    }

    /// A unique schema name for one test.
    pub fn schema(test: &str) -> String {
        format!(
            "t_{}_{}",
            test,
            &uuid::Uuid::new_v4().simple().to_string()[..10]
        )
    }

    /// A store on a fresh schema, or `None` (skipped).
    pub async fn store(test: &str) -> Option<PgStore> {
        let url = url(test)?;
        Some(
            PgStore::connect(PgConfig::new(url).schema(schema(test)))
                .await
                .expect("connect to the test database"),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::super::{contract, journal};
    use super::*;

    #[tokio::test]
    async fn store_contract() {
        let Some(a) = testing::store("store_contract_a").await else {
            return;
        };
        contract::begin_complete_replay(&a).await;
        let Some(b) = testing::store("store_contract_b").await else {
            return;
        };
        contract::expired_records_are_replaced_and_purged(&b).await;
        let Some(c) = testing::store("store_contract_c").await else {
            return;
        };
        contract::concurrent_begin_starts_once(Arc::new(c)).await;
    }

    #[tokio::test]
    async fn journal_contract() {
        let Some(a) = testing::store("journal_contract_a").await else {
            return;
        };
        journal::contract::lifecycle(&a).await;
        let Some(b) = testing::store("journal_contract_b").await else {
            return;
        };
        journal::contract::leases_expire_and_claims_are_exclusive(&b).await;
        let Some(c) = testing::store("journal_contract_c").await else {
            return;
        };
        journal::contract::concurrent_claims_take_each_run_once(Arc::new(c)).await;
    }

    #[tokio::test]
    async fn a_key_in_flight_on_one_worker_is_seen_by_another() {
        let Some(url) = testing::url("key_in_flight") else {
            return;
        };
        let schema = testing::schema("in_flight");
        let a = PgStore::connect(PgConfig::new(&url).schema(&schema))
            .await
            .unwrap();
        let b = PgStore::connect(PgConfig::new(&url).schema(&schema))
            .await
            .unwrap();
        let record = contract::record("shared-key", "fp");
        assert_eq!(a.begin(record.clone()).await.unwrap(), Begin::Started);
        assert!(
            matches!(b.begin(record.clone()).await.unwrap(), Begin::Resumed(_)),
            "B sees A's key in flight"
        );
        assert_eq!(b.schema_version().await.unwrap(), PG_SCHEMA_VERSION);
    }

    #[tokio::test]
    async fn a_schema_written_by_a_newer_oncely_is_refused_and_left_alone() {
        let Some(store) = testing::store("newer_schema").await else {
            return;
        };
        let schema = store.schema().to_string();
        store
            .op("bump", |c| async move {
                pg_execute(
                    &c,
                    "INSERT INTO oncely_schema (version, applied_ms) VALUES (99, 0)",
                    &[],
                )
                .await?;
                Ok(())
            })
            .await
            .unwrap();
        let Some(url) = testing::url("newer_schema") else {
            return;
        };
        let err = PgStore::connect(PgConfig::new(url).schema(&schema))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::SchemaTooNew {
                    found: 99,
                    supported: 2,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains(&schema), "{err}");
        assert_eq!(
            store.schema_version().await.unwrap(),
            99,
            "nothing was changed"
        );
    }

    #[tokio::test]
    async fn unreachable_server_is_a_typed_error() {
        if testing::url("unreachable").is_none() {
            return;
        }
        let mut config = PgConfig::new("postgres://postgres@127.0.0.1:1/postgres").schema("x");
        config.reconnect_attempts = 0;
        let err = PgStore::connect(config).await.unwrap_err();
        assert!(matches!(err, StoreError::Open { .. }), "{err}");
    }

    #[tokio::test]
    async fn a_lost_connection_is_retried_on_a_fresh_one() {
        let Some(url) = testing::url("lost_connection") else {
            return;
        };
        let schema = testing::schema("lost");
        let store = PgStore::connect(PgConfig::new(&url).schema(&schema).pool_size(1))
            .await
            .unwrap();
        store.begin(contract::record("k-lost", "fp")).await.unwrap();
        // Kill every backend of the store's pool from another connection.
        let killer = PgStore::connect(
            PgConfig::new(&url)
                .schema(testing::schema("killer"))
                .pool_size(1),
        )
        .await
        .unwrap();
        let app = format!("oncely:{schema}");
        let app = &app;
        let killed = killer
            .op("kill", |c| async move {
                let row = c
                    .query_one(
                        "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
                        &[app],
                    )
                    .await?;
                Ok(row.get::<_, i64>(0))
            })
            .await
            .unwrap();
        assert!(killed >= 1, "killed {killed}");
        // The pooled connection is dead; the store retries on a new one.
        let record = store.get("k-lost").await.unwrap().expect("record survives");
        assert_eq!(record.fingerprint, "fp");
        assert!(matches!(
            store.begin(contract::record("k-lost", "fp")).await.unwrap(),
            Begin::Resumed(_)
        ));
    }

    #[test]
    fn schema_names_are_checked() {
        assert!(valid_schema_name("oncely_test_1"));
        for bad in ["", "1abc", "a-b", "A", "a;drop", &"x".repeat(64)] {
            assert!(!valid_schema_name(bad), "{bad}");
        }
    }

    #[test]
    fn urls_are_redacted() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert!(!format!("{:?}", PgConfig::new("postgres://u:secret@h/db")).contains("secret"));
    }

    #[tokio::test]
    async fn bad_schema_name_is_a_typed_error_before_connecting() {
        let err = PgStore::connect(
            PgConfig::new("postgres://postgres@127.0.0.1:1/x").schema("Robert'); DROP"),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, StoreError::Open { .. }), "{err}");
    }
}
