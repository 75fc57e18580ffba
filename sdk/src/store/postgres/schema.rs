//! The schema's migrations, applied at connect under an advisory lock.

use std::path::PathBuf;

use deadpool_postgres::Object;

use super::sql::{pg_execute, pg_query_one};
use super::{PgStore, NOW_MS};
use crate::store::StoreError;

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
    // 3: the trace context a run's spans continue.
    "ALTER TABLE oncely_runs ADD COLUMN trace_context TEXT;",
];

/// The newest schema version this build knows.
pub(crate) const PG_SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

impl PgStore {
    /// The schema version found in the database (0 before the first migration).
    pub async fn schema_version(&self) -> Result<i32, StoreError> {
        self.op("schema version", |c, n| async move {
            let row = pg_query_one(
                n,
                &c,
                "SELECT COALESCE(MAX(version), 0) FROM oncely_schema",
                &[],
            )
            .await?;
            Ok(row.get::<_, i32>(0))
        })
        .await
    }

    pub(super) async fn migrate(&self, mut client: Object) -> Result<(), StoreError> {
        let corrupt = |e: tokio_postgres::Error| StoreError::Corrupt {
            path: PathBuf::from(&self.location),
            reason: e.to_string(),
        };
        let tx = client.transaction().await.map_err(corrupt)?;
        pg_execute(
            &self.counters,
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
                &self.counters,
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
}
