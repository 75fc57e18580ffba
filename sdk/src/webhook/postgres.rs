//! The webhook inbox in a PostgreSQL schema, shared by any number of
//! receivers.
//!
//! - [`install`] creates or migrates the table in a schema (versions in
//!   `oncely_webhook_schema`, under an advisory lock so receivers starting
//!   together migrate once); a newer version or a foreign table is refused
//!   and left untouched.
//! - [`claim_event`] is one `INSERT … ON CONFLICT` on the application's
//!   connection, inside its transaction. A second delivery of the same
//!   event claiming at the same time waits on the first one's uncommitted
//!   row: it sees [`Claim::Duplicate`] once the first commits, or claims the
//!   event itself if the first rolls back — the handler's effects happen
//!   once.
//! - [`PgInbox`] is the store behind
//!   [`WebhookInbox::postgres`](super::WebhookInbox::postgres); each step
//!   is one statement.

use std::path::PathBuf;
use std::time::SystemTime;

use async_trait::async_trait;
use deadpool_postgres::Pool;
use tokio_postgres::types::Type;
use tokio_postgres::{GenericClient, Row};

pub use tokio_postgres;

use super::backend::{taken_from, Backend, Held, Outcome, Taken};
use super::clock::unix_ms;
use super::{Claim, EventState, InboxRecord, WebhookError};
use crate::store::postgres::{connect_pool, valid_schema_name, NOW_MS};
use crate::store::{PgConfig, StoreError};

/// Migrations of the inbox table (`{s}` is the schema); never edit one, append.
const MIGRATIONS: &[&str] = &["CREATE TABLE {s}.oncely_webhook_events (
         source         TEXT NOT NULL,
         event_id       TEXT NOT NULL,
         state          TEXT NOT NULL,
         attempts       INTEGER NOT NULL DEFAULT 0,
         fence          BIGINT NOT NULL DEFAULT 0,
         lease_owner    TEXT,
         lease_until_ms BIGINT,
         received_ms    BIGINT NOT NULL,
         finished_ms    BIGINT,
         result         TEXT,
         last_error     TEXT,
         PRIMARY KEY (source, event_id)
     );"];

/// The newest inbox schema version this build knows.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Every column, in [`read_record`]'s order.
const COLUMNS: &str = "source, event_id, state, attempts::bigint, received_ms, lease_until_ms, \
     finished_ms, result, last_error";

fn checked_schema(schema: &str) -> Result<&str, WebhookError> {
    if valid_schema_name(schema) {
        Ok(schema)
    } else {
        Err(WebhookError::InvalidConfig {
            what: format!("schema name {schema:?}"),
            why: "must be 1-63 lower-case letters, digits or `_`, not starting with a digit".into(),
        })
    }
}

/// Creates the schema and the inbox table in it, or migrates the table to
/// this build's version. Safe to call at every start.
pub async fn install(
    client: &mut tokio_postgres::Client,
    schema: &str,
) -> Result<(), WebhookError> {
    let schema = checked_schema(schema)?;
    let location = format!("postgres schema {schema}");
    let corrupt = |e: tokio_postgres::Error| StoreError::Corrupt {
        path: PathBuf::from(&location),
        reason: format!("webhook inbox table: {}", describe(&e)),
    };
    let tx = client.transaction().await.map_err(corrupt)?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('oncely-webhook-migrate:' || $1::text))",
        &[&schema],
    )
    .await
    .map_err(corrupt)?;
    tx.batch_execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS {schema};
         CREATE TABLE IF NOT EXISTS {schema}.oncely_webhook_schema (
             version INTEGER NOT NULL, applied_ms BIGINT NOT NULL);"
    ))
    .await
    .map_err(corrupt)?;
    let found: i32 = tx
        .query_one(
            &format!("SELECT COALESCE(MAX(version), 0) FROM {schema}.oncely_webhook_schema"),
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
                "INSERT INTO {schema}.oncely_webhook_schema (version, applied_ms) VALUES ($1, {NOW_MS})"
            ),
            &[&version],
        )
        .await
        .map_err(corrupt)?;
    }
    tx.prepare(&format!(
        "SELECT {COLUMNS}, fence, lease_owner FROM {schema}.oncely_webhook_events LIMIT 0"
    ))
    .await
    .map_err(corrupt)?;
    tx.commit().await.map_err(corrupt)?;
    Ok(())
}

/// Claims event `event_id` of `source` in `schema`'s inbox on `client`,
/// inside the transaction the caller has open, and records it `done`:
/// [`Claim::First`] when the event is new (or its last processing failed)
/// — run the handler in the same transaction — or [`Claim::Duplicate`].
///
/// ```no_run
/// # async fn run(client: &mut oncely::webhook::postgres::tokio_postgres::Client) -> Result<(), Box<dyn std::error::Error>> {
/// use oncely::webhook::postgres;
/// let tx = client.transaction().await?;
/// if postgres::claim_event(&tx, "oncely", "orders", "evt_1").await?.is_first() {
///     tx.execute("UPDATE stock SET reserved = reserved + 1 WHERE sku = 'sku-1'", &[]).await?;
/// }
/// tx.commit().await?;
/// # Ok(()) }
/// ```
pub async fn claim_event(
    client: &impl GenericClient,
    schema: &str,
    source: &str,
    event_id: &str,
) -> Result<Claim, WebhookError> {
    let schema = checked_schema(schema)?;
    let failed = |e: tokio_postgres::Error| match e.code() {
        Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE) => WebhookError::NotInstalled {
            location: format!("postgres schema {schema}"),
        },
        _ => StoreError::Backend {
            operation: "webhook claim",
            reason: describe(&e),
        }
        .into(),
    };
    let insert = super::claim_statement(
        crate::outbox::Placeholders::Dollar,
        &format!("{schema}.oncely_webhook_events"),
    )?;
    let now = unix_ms(SystemTime::now());
    // Typed parameters: one round trip, no statement to prepare on the
    // application's connection.
    let changed = client
        .query_typed(
            &insert,
            &[
                (&source, Type::TEXT),
                (&event_id, Type::TEXT),
                (&now, Type::INT8),
                (&now, Type::INT8),
            ],
        )
        .await
        .map_err(failed)?
        .len();
    Ok(if changed == 1 {
        Claim::First
    } else {
        Claim::Duplicate
    })
}

/// The inbox of one PostgreSQL schema.
#[derive(Clone)]
pub struct PgInbox {
    pool: Pool,
    schema: String,
    location: String,
}

impl std::fmt::Debug for PgInbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgInbox")
            .field("location", &self.location)
            .finish()
    }
}

impl PgInbox {
    /// Connects and installs or migrates the table in `config`'s schema.
    pub async fn connect(config: PgConfig) -> Result<Self, WebhookError> {
        let (pool, location) = connect_pool(&config)?;
        let inbox = PgInbox {
            pool,
            schema: config.schema.clone(),
            location: format!("postgres:{location}"),
        };
        let mut client = inbox.client("webhook install").await?;
        install(&mut client, &inbox.schema).await?;
        Ok(inbox)
    }

    /// The schema holding the table.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    async fn client(
        &self,
        operation: &'static str,
    ) -> Result<deadpool_postgres::Object, WebhookError> {
        self.pool.get().await.map_err(|e| {
            StoreError::Backend {
                operation,
                reason: e.to_string(),
            }
            .into()
        })
    }

    async fn records(
        &self,
        operation: &'static str,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<InboxRecord>, WebhookError> {
        let client = self.client(operation).await?;
        let statement = client
            .prepare_cached(&sql.replace("{s}", &self.schema).replace("{cols}", COLUMNS))
            .await
            .map_err(backend(operation))?;
        let found = client
            .query(&statement, params)
            .await
            .map_err(backend(operation))?;
        found
            .iter()
            .map(|r| read_record(r).map_err(WebhookError::from))
            .collect()
    }

    async fn execute(
        &self,
        operation: &'static str,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<u64, WebhookError> {
        let client = self.client(operation).await?;
        let statement = client
            .prepare_cached(&sql.replace("{s}", &self.schema))
            .await
            .map_err(backend(operation))?;
        client
            .execute(&statement, params)
            .await
            .map_err(backend(operation))
    }
}

fn backend(operation: &'static str) -> impl Fn(tokio_postgres::Error) -> WebhookError {
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

/// Reads a record selected with [`COLUMNS`].
fn read_record(r: &Row) -> Result<InboxRecord, StoreError> {
    let bad = |reason: String| StoreError::BadRecord {
        key: format!(
            "webhook event {}/{}",
            r.try_get::<_, String>(0).unwrap_or_default(),
            r.try_get::<_, String>(1).unwrap_or_default()
        ),
        reason,
    };
    let get = |e: tokio_postgres::Error| bad(e.to_string());
    let state: String = r.try_get(2).map_err(get)?;
    let state = EventState::parse(&state).ok_or_else(|| bad(format!("unknown state {state:?}")))?;
    let result: Option<String> = r.try_get(7).map_err(get)?;
    let result = result
        .map(|t| serde_json::from_str(&t))
        .transpose()
        .map_err(|e| bad(format!("result is not JSON: {e}")))?;
    Ok(InboxRecord {
        source: r.try_get(0).map_err(get)?,
        event_id: r.try_get(1).map_err(get)?,
        state,
        attempts: r.try_get(3).map_err(get)?,
        received_ms: r.try_get(4).map_err(get)?,
        lease_until_ms: r.try_get(5).map_err(get)?,
        finished_ms: r.try_get(6).map_err(get)?,
        result,
        last_error: r.try_get(8).map_err(get)?,
    })
}

#[async_trait]
impl Backend for PgInbox {
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
        let client = self.client("webhook take").await?;
        let sql = "INSERT INTO {s}.oncely_webhook_events AS e
                 (source, event_id, state, attempts, fence, lease_owner, lease_until_ms, received_ms)
             VALUES ($1, $2, 'processing', 1, 1, $3, $4, $5)
             ON CONFLICT (source, event_id) DO UPDATE SET
                 state = 'processing', attempts = e.attempts + 1, fence = e.fence + 1,
                 lease_owner = excluded.lease_owner, lease_until_ms = excluded.lease_until_ms,
                 finished_ms = NULL
             WHERE e.state = 'failed' OR (e.state = 'processing' AND e.lease_until_ms <= $5)
             RETURNING fence";
        let statement = client
            .prepare_cached(&sql.replace("{s}", &self.schema))
            .await
            .map_err(backend("webhook take"))?;
        let claimed = client
            .query_opt(
                &statement,
                &[&source, &event_id, &owner, &lease_until_ms, &now_ms],
            )
            .await
            .map_err(backend("webhook take"))?;
        drop(client);
        if let Some(row) = claimed {
            return Ok(Taken::Claimed { fence: row.get(0) });
        }
        let found = self.get(source, event_id).await?;
        Ok(taken_from(found, now_ms))
    }

    async fn extend(&self, held: Held<'_>, lease_until_ms: i64) -> Result<bool, WebhookError> {
        let changed = self
            .execute(
                "webhook extend",
                "UPDATE {s}.oncely_webhook_events SET lease_until_ms = $1
                 WHERE source = $2 AND event_id = $3 AND fence = $4 AND state = 'processing'",
                &[&lease_until_ms, &held.source, &held.event_id, &held.fence],
            )
            .await?;
        Ok(changed == 1)
    }

    async fn finish(
        &self,
        held: Held<'_>,
        outcome: Outcome,
        now_ms: i64,
    ) -> Result<bool, WebhookError> {
        let (state, result, error) = outcome.columns();
        let changed = self
            .execute(
                "webhook finish",
                "UPDATE {s}.oncely_webhook_events SET state = $1, result = $2,
                     last_error = COALESCE($3, last_error), finished_ms = $4,
                     lease_until_ms = NULL
                 WHERE source = $5 AND event_id = $6 AND fence = $7 AND state = 'processing'",
                &[
                    &state.as_str(),
                    &result,
                    &error,
                    &now_ms,
                    &held.source,
                    &held.event_id,
                    &held.fence,
                ],
            )
            .await?;
        Ok(changed == 1)
    }

    async fn get(&self, source: &str, event_id: &str) -> Result<Option<InboxRecord>, WebhookError> {
        Ok(self
            .records(
                "webhook get",
                "SELECT {cols} FROM {s}.oncely_webhook_events WHERE source = $1 AND event_id = $2",
                &[&source, &event_id],
            )
            .await?
            .pop())
    }

    async fn list(
        &self,
        source: Option<&str>,
        limit: u32,
    ) -> Result<Vec<InboxRecord>, WebhookError> {
        self.records(
            "webhook list",
            "SELECT {cols} FROM {s}.oncely_webhook_events
             WHERE ($1::text IS NULL OR source = $1)
             ORDER BY received_ms DESC, event_id LIMIT $2",
            &[&source, &i64::from(limit)],
        )
        .await
    }
}
