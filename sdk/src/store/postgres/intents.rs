//! The idempotency records of [`PgStore`]: the [`Store`] half.

use async_trait::async_trait;
use tokio_postgres::Row;

use super::sql::{pg_begin, pg_commit, pg_execute, pg_query, pg_query_opt};
use super::{bad, PgStore};
use crate::store::{
    decide, Begin, IntentRecord, IntentState, Journal, RecordFilter, Store, StoreError,
    StoredOutcome,
};

const INTENT_COLUMNS: &str =
    "key, intent_id, method, path_template, fingerprint, state, created_ms, expires_ms,
    status, headers, body, completed_ms";

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

#[async_trait]
impl Store for PgStore {
    async fn begin(&self, record: IntentRecord) -> Result<Begin, StoreError> {
        let record = &record;
        let done = self.op("begin", |mut c, n| async move {
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
            let inserted = pg_execute(n, &c,
                "INSERT INTO oncely_intents (key, intent_id, method, path_template, fingerprint, state, created_ms, expires_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (key) DO NOTHING",
                &params,
            )
            .await?;
            if inserted == 1 {
                return Ok(Begin::Started);
            }
            // The key is known: decide under the record's row lock.
            let tx = pg_begin(n, &mut c).await?;
            let row = pg_query_opt(n, &tx,
                &format!("SELECT {INTENT_COLUMNS} FROM oncely_intents WHERE key = $1 FOR UPDATE"),
                &[&record.key],
            )
            .await?;
            let Some(row) = row else {
                // Purged in between: insert it now.
                pg_execute(n, &tx,
                    "INSERT INTO oncely_intents (key, intent_id, method, path_template, fingerprint, state, created_ms, expires_ms)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    &params,
                )
                .await?;
                pg_commit(n, tx).await?;
                return Ok(Begin::Started);
            };
            let existing = decode_intent(&row)?;
            let decision = decide(Some(&existing), record);
            if decision == Begin::Started {
                // The old record expired: replace it.
                pg_execute(n, &tx,
                    "UPDATE oncely_intents SET intent_id = $2, method = $3, path_template = $4, fingerprint = $5, state = $6,
                            created_ms = $7, expires_ms = $8, status = NULL, headers = NULL, body = NULL, completed_ms = NULL
                      WHERE key = $1",
                    &params,
                )
                .await?;
            }
            pg_commit(n, tx).await?;
            Ok(decision)
        })
        .await?;
        self.counters
            .committed(0, u64::from(done == Begin::Started));
        Ok(done)
    }

    /// Queued for the background writer (`fresh.rs`), not waited for;
    /// written at once when there is none.
    async fn begin_fresh(&self, record: IntentRecord) -> Result<(), StoreError> {
        let record = match &self.fresh {
            Some(writer) => match writer.intent(record) {
                Ok(()) => return Ok(()),
                Err(record) => *record,
            },
            None => record,
        };
        self.begin(record).await.map(drop)
    }

    /// Like [`begin_fresh`](Self::begin_fresh).
    async fn complete_fresh(&self, key: &str, outcome: StoredOutcome) -> Result<(), StoreError> {
        let outcome = match &self.fresh {
            Some(writer) => match writer.answer(key, outcome) {
                Ok(()) => return Ok(()),
                Err(outcome) => outcome,
            },
            None => outcome,
        };
        self.complete(key, outcome).await
    }

    /// Waits for the background writer's records queued so far.
    async fn flush(&self) -> Result<(), StoreError> {
        if let Some(writer) = &self.fresh {
            writer.flush().await;
        }
        Ok(())
    }

    async fn complete(&self, key: &str, outcome: StoredOutcome) -> Result<(), StoreError> {
        let outcome = &outcome;
        let headers = serde_json::to_string(&outcome.headers).map_err(|e| StoreError::Backend {
            operation: "complete",
            reason: e.to_string(),
        })?;
        let headers = &headers;
        let done = self.op("complete", |c, n| async move {
            pg_execute(n, &c,
                "UPDATE oncely_intents SET state = $2, status = $3, headers = $4, body = $5, completed_ms = $6 WHERE key = $1",
                &[&key, &IntentState::Completed.as_str(), &i32::from(outcome.status), headers, &outcome.body, &outcome.completed_ms],
            )
            .await?;
            Ok(())
        })
        .await?;
        self.counters.committed(0, 1);
        Ok(done)
    }

    async fn get(&self, key: &str) -> Result<Option<IntentRecord>, StoreError> {
        self.op("get", |c, n| async move {
            let row = pg_query_opt(
                n,
                &c,
                &format!("SELECT {INTENT_COLUMNS} FROM oncely_intents WHERE key = $1"),
                &[&key],
            )
            .await?;
            Ok(row.as_ref().map(decode_intent).transpose()?)
        })
        .await
    }

    /// Lists what the schema holds, after the background writer's records
    /// queued so far are written (so this process's own calls are listed too).
    async fn list_records(&self, filter: &RecordFilter) -> Result<Vec<IntentRecord>, StoreError> {
        Store::flush(self).await?;
        let state = filter.state.map(IntentState::as_str);
        let path = filter.path_template.as_deref();
        let limit = i64::try_from(filter.limit_or_default()).unwrap_or(i64::MAX);
        let (state, path, limit) = (&state, &path, &limit);
        self.op("list records", |c, n| async move {
            let rows = pg_query(
                n,
                &c,
                &format!(
                    "SELECT {INTENT_COLUMNS} FROM oncely_intents
                      WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR path_template = $2)
                      ORDER BY created_ms DESC, key LIMIT $3"
                ),
                &[state, path, limit],
            )
            .await?;
            Ok(rows.iter().map(decode_intent).collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn purge_expired(&self, now_ms: i64) -> Result<u64, StoreError> {
        self.op("purge", |c, n| async move {
            Ok(pg_execute(
                n,
                &c,
                "DELETE FROM oncely_intents WHERE expires_ms <= $1",
                &[&now_ms],
            )
            .await?)
        })
        .await
    }

    fn write_counts(&self) -> Option<crate::store::WriteCounts> {
        Some(self.counters.snapshot())
    }

    fn as_journal(self: std::sync::Arc<Self>) -> Option<std::sync::Arc<dyn Journal>> {
        Some(self)
    }
}
