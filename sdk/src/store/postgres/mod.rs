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
//! - Round trips are what a call waits for, so they are few: a journal write
//!   is one statement, a run is created with its lease in one, and the
//!   records of fresh keys (generated keys, a workflow step's first attempt)
//!   are written behind their calls by a background task, many calls' records
//!   per round trip (`fresh.rs`).
//! - A connection lost mid-operation (server restart, `pg_terminate_backend`,
//!   network) is retried on a fresh pooled connection; every operation is safe
//!   to repeat (step updates are upserts, `begin` re-reads the record).
//!
//! The files: this one connects, retries lost connections and holds what the
//! others share; `schema.rs` the migrations; `sql.rs` statement helpers (every
//! statement prepared once per connection and cached); `intents.rs` the
//! idempotency records ([`Store`](crate::store::Store)); `fresh.rs` the
//! records of fresh keys, written behind their calls in batches; `journal.rs`
//! the workflow journal ([`Journal`](crate::store::Journal)).

mod fresh;
mod intents;
mod journal;
mod schema;
mod sql;
#[cfg(test)]
mod tests;

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use serde_json::Value;
use tokio_postgres::error::SqlState;
use tokio_postgres::NoTls;

use crate::store::counters::Counters;
use crate::store::StoreError;

#[cfg(test)]
use schema::PG_SCHEMA_VERSION;

/// The database clock in Unix milliseconds: leases are compared on one clock
/// whatever the workers' clocks say.
pub(crate) const NOW_MS: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

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
    counters: std::sync::Arc<crate::store::counters::Counters>,
    /// Writes the records of fresh keys behind their calls; `None` when the
    /// store was connected outside a tokio runtime.
    fresh: Option<fresh::FreshWriter>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("location", &self.location)
            .finish()
    }
}

pub(crate) fn valid_schema_name(name: &str) -> bool {
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

/// A pool of connections to `config`'s database whose sessions use its
/// schema, and the location for messages (URL without password, schema).
pub(crate) fn connect_pool(config: &PgConfig) -> Result<(Pool, String), StoreError> {
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
    Ok((pool, location))
}

impl PgStore {
    /// Connects, creates the schema if needed and applies pending migrations.
    /// A schema written by a newer oncely is refused with
    /// [`StoreError::SchemaTooNew`] and left untouched.
    pub async fn connect(config: PgConfig) -> Result<Self, StoreError> {
        let (pool, location) = connect_pool(&config)?;
        let open = |reason: String| StoreError::Open {
            path: PathBuf::from(&location),
            reason,
        };
        let counters = std::sync::Arc::<Counters>::default();
        let fresh =
            fresh::FreshWriter::start(pool.clone(), counters.clone(), config.reconnect_attempts);
        let store = PgStore {
            pool,
            schema: config.schema.clone(),
            location: location.clone(),
            reconnect_attempts: config.reconnect_attempts,
            counters,
            fresh,
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

    /// Runs `f` on a pooled connection; a lost connection is retried on a fresh
    /// one (every operation here is safe to repeat).
    /// `f` gets the connection and the counters its round trips are noted in.
    async fn op<'a, T, F, Fut>(&'a self, operation: &'static str, f: F) -> Result<T, StoreError>
    where
        F: Fn(Object, &'a Counters) -> Fut + Send + Sync,
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
            match f(client, &self.counters).await {
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
