//! A transactional outbox: "commit locally, then call the API" without
//! losing or doubling the call.
//!
//! The gap this closes: an application commits a business change, then
//! makes the HTTP call it implies. A crash between the two loses the call; a
//! call made before the commit happens for a change that may roll back. With
//! the outbox the call is a row written **in the application's own
//! transaction** ([`sqlite::enqueue`], [`postgres::enqueue`]): it commits or
//! rolls back with the change. A [`Dispatcher`] then delivers committed rows
//! through an oncely [`Client`](crate::Client). Every row carries an intent
//! id, and the idempotency key of every attempt is derived from it
//! ([`OutboxRow::idempotency_key`]), so a dispatcher that dies after sending
//! and before recording makes the next one send the *same* request: the
//! server answers it from its idempotency record, and the call happens once.
//!
//! # A row's life
//!
//! `pending` → claimed (`in_flight`, under a lease) → `delivered`, or back to
//! `pending` after a transient failure (not before its backoff), or `dead`
//! after a permanent one or too many attempts. Dead rows are the dead-letter
//! queue: nothing is deleted; an operator [retries](Outbox::retry) one (sent
//! with its original key) or [discards](Outbox::discard) it (kept, marked
//! `discarded`). A claim whose lease runs out (its dispatcher died) is taken
//! over by the next claim, with a higher fence: a result is recorded only by
//! the claim that holds the row's current fence.
//!
//! # Order
//!
//! Rows of one partition ([`OutboxCall::partition`]) are delivered in
//! enqueue order: a row is not claimed while an earlier row of its partition
//! is pending or in flight. A dead row does not hold its partition up (it is
//! finished until an operator acts). Rows of different partitions, and rows
//! without one, go in parallel.
//!
//! # Crash points
//!
//! - Application dies before its commit: neither the change nor the row
//!   exists. After: both exist, and a dispatcher will deliver the row.
//! - Dispatcher dies after claiming, before sending: the lease runs out, the
//!   next claim sends (the claim counted an attempt).
//! - Dies after sending, before recording: the next claim sends the same key;
//!   the server replays its answer (or says the first is still in progress,
//!   which is retried) — one side effect.
//! - Dies after recording: the row is finished; nothing is sent again.
//! - Paused past its lease, then wakes with an answer: its `finish` names a
//!   fence that is no longer the row's and writes nothing.
//!
//! # Schema
//!
//! One table, `oncely_outbox`, versioned in `oncely_outbox_schema` (its own
//! version table, so it can live in the application's database): id,
//! partition key, method, path template and parameters, query, headers (no
//! credentials: the dispatcher's client adds them at send time), body and
//! content type, intent id (unique), state, attempts, not-before time,
//! created time, lease owner and expiry, fence, last error, the answer's
//! summary, finished time. A newer version or a foreign table of that name is
//! refused with a typed error and left untouched.

mod backend;
mod call;
mod dispatch;
mod error;
#[cfg(feature = "postgres")]
pub mod postgres;
mod row;
pub mod sqlite;
mod statement;

use std::sync::Arc;

pub use call::OutboxCall;
pub use dispatch::{DispatchReport, Dispatcher, DispatcherConfig};
pub use error::OutboxError;
pub use row::{OutboxFilter, OutboxRow, OutboxState, OutboxStats};
pub use statement::{InsertStatement, Placeholders, SqlParam};

use backend::Backend;

/// An outbox table, for dispatchers and operators: list, inspect, retry and
/// discard rows, and count them.
#[derive(Debug, Clone)]
pub struct Outbox {
    backend: Arc<dyn Backend>,
}

impl Outbox {
    /// The outbox in a SQLite file (created or migrated).
    pub fn sqlite(path: impl AsRef<std::path::Path>) -> Result<Self, OutboxError> {
        Ok(Outbox {
            backend: Arc::new(sqlite::SqliteOutbox::open(path)?),
        })
    }

    /// The outbox in a PostgreSQL schema (created or migrated).
    #[cfg(feature = "postgres")]
    pub async fn postgres(config: crate::store::PgConfig) -> Result<Self, OutboxError> {
        Ok(Outbox {
            backend: Arc::new(postgres::PgOutbox::connect(config).await?),
        })
    }

    /// The outbox at a store location: `postgres://…` (schema from
    /// `?oncely_schema=NAME`, default `oncely`) or a SQLite file
    /// (`sqlite:` prefix optional), the same strings the other stores take.
    pub async fn open(location: &str) -> Result<Self, OutboxError> {
        match crate::store::open::location_kind(location)? {
            #[cfg(feature = "postgres")]
            crate::store::open::LocationKind::Postgres(config) => Self::postgres(config).await,
            crate::store::open::LocationKind::Sqlite(path) => Self::sqlite(path),
            crate::store::open::LocationKind::Memory => Err(OutboxError::InvalidCall {
                what: format!("store location {location:?}"),
                why: "an outbox must outlive the process: use a SQLite file or PostgreSQL".into(),
            }),
        }
    }

    /// The outbox at a store location ([`open`](Self::open)'s strings) if one
    /// is installed there: `Ok(None)`, with nothing created, when the file or
    /// schema holds no outbox table. For viewers (`oncely console`) that show
    /// an absent outbox instead of installing one.
    pub async fn open_existing(location: &str) -> Result<Option<Self>, OutboxError> {
        let backend: Option<Arc<dyn Backend>> = match crate::store::open::location_kind(location)? {
            #[cfg(feature = "postgres")]
            crate::store::open::LocationKind::Postgres(config) => {
                postgres::PgOutbox::connect_existing(config)
                    .await?
                    .map(|b| Arc::new(b) as Arc<dyn Backend>)
            }
            crate::store::open::LocationKind::Sqlite(path) => {
                sqlite::SqliteOutbox::open_existing(path)?.map(|b| Arc::new(b) as Arc<dyn Backend>)
            }
            crate::store::open::LocationKind::Memory => None,
        };
        Ok(backend.map(|backend| Outbox { backend }))
    }

    /// Where the outbox is, without secrets.
    pub fn location(&self) -> &str {
        self.backend.location()
    }

    /// Enqueues `call` in a transaction of its own — for a caller whose
    /// business change is elsewhere. Inside the application's transaction
    /// use [`sqlite::enqueue`] or [`postgres::enqueue`] instead.
    pub async fn enqueue(&self, call: &OutboxCall) -> Result<i64, OutboxError> {
        self.backend.enqueue(call).await
    }

    /// Row `id`.
    pub async fn get(&self, id: i64) -> Result<OutboxRow, OutboxError> {
        self.backend
            .get(id)
            .await?
            .ok_or(OutboxError::NotFound { id })
    }

    /// Rows matching `filter`, newest first.
    pub async fn list(&self, filter: &OutboxFilter) -> Result<Vec<OutboxRow>, OutboxError> {
        self.backend.list(filter).await
    }

    /// Sends a dead (or discarded) row again: pending now, attempts reset,
    /// the same intent id and so the same idempotency key.
    ///
    /// The same key gets the same *final* answer wherever one was recorded
    /// for it: a server that keeps answers per key, or the dispatcher
    /// client's own idempotency store (a `4xx` other than 401, 403, 408,
    /// 409, 412, 425, 428, 429 is final). Retry rows whose failure was not
    /// recorded (a `5xx`, throttling, attempts spent, a failure the server
    /// did not process); a dispatcher's client should keep no records of its
    /// own ([`NullStore`](crate::store::NullStore), as `oncely outbox
    /// dispatch` does), or its record answers the retry.
    pub async fn retry(&self, id: i64) -> Result<OutboxRow, OutboxError> {
        const FROM: &[OutboxState] = &[OutboxState::Dead, OutboxState::Discarded];
        self.backend
            .set_state(id, FROM, OutboxState::Pending)
            .await?
            .map_err(|row| OutboxError::WrongState {
                id,
                state: row.state,
                expected: "dead or discarded",
                action: "retried",
            })
    }

    /// Gives up on a dead (or still pending) row: kept, marked `discarded`,
    /// never sent.
    pub async fn discard(&self, id: i64) -> Result<OutboxRow, OutboxError> {
        const FROM: &[OutboxState] = &[OutboxState::Dead, OutboxState::Pending];
        self.backend
            .set_state(id, FROM, OutboxState::Discarded)
            .await?
            .map_err(|row| OutboxError::WrongState {
                id,
                state: row.state,
                expected: "dead or pending",
                action: "discarded",
            })
    }

    /// Counts by state, and the age of the oldest pending row.
    pub async fn stats(&self) -> Result<OutboxStats, OutboxError> {
        self.backend.stats().await
    }
}
