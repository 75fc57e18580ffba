//! Where idempotency records live: one [`Store`] trait, several backends.
//!
//! - [`MemoryStore`] — for tests and processes that need no restart safety;
//!   bounded (it keeps only the most recent records of generated keys).
//! - [`SqliteStore`] — the embedded default for anything that must survive a
//!   restart: one file, WAL mode, every write in a transaction, answers and
//!   checkpoints written by a background thread in group commits.
//!
//! The protocol is two calls per request. [`Store::begin`] runs before the first
//! attempt: it records the intent as in flight, or reports that the same intent
//! is already known (finished, or in flight from an earlier process), or that the
//! key was used for a different request. [`Store::complete`] records the final
//! answer. A crash between the two leaves the record in flight, so the next call
//! with that intent re-sends **the same key** and the server replays.
//!
//! A call whose key oncely generated at random uses [`Store::begin_fresh`] and
//! [`Store::complete_fresh`] instead: nothing can be known about a brand-new
//! key, and no later call can name it, so a backend may persist such a record
//! lazily. The SQLite store does — durability is paid where it changes an
//! outcome (see `sqlite/writer.rs`).
//!
//! Every backend also keeps the workflow [`Journal`] (runs, steps, history and
//! leases) next to the idempotency records; [`Store::as_journal`] reaches it
//! and [`open`] opens a store from a path or a `postgres://` URL.

mod counters;
mod error;
mod journal;
mod memory;
mod null;
pub(crate) mod open;
#[cfg(feature = "postgres")]
pub(crate) mod postgres;
mod record;
pub(crate) mod sqlite;

pub use counters::WriteCounts;
pub use error::StoreError;
pub use journal::{
    Acquire, CreateRun, EventRecord, Journal, JournalWrite, NewEvent, NewRun, RunFilter, RunRecord,
    RunState, StateCounts, StepPhase, StepRecord, StepStatus, StepUpdate,
};
pub use memory::{MemoryStore, DEFAULT_GENERATED_LIMIT};
pub use null::NullStore;
pub use open::{open, OpenedStore};
#[cfg(feature = "postgres")]
pub use postgres::{PgConfig, PgStore};
pub use record::{now_millis, Begin, IntentRecord, IntentState, RecordFilter, StoredOutcome};
pub use sqlite::{NamedAnswers, SqliteStore};

use async_trait::async_trait;

/// Persistence for idempotency records. Implementations must make `begin`
/// atomic: two concurrent callers with one key must not both get
/// [`Begin::Started`].
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Records `record` as in flight unless its key is already known (and not
    /// expired), in which case the existing record decides the answer.
    async fn begin(&self, record: IntentRecord) -> Result<Begin, StoreError>;

    /// Records the intent of a call whose key oncely generated for it alone: no
    /// earlier call can have used the key, so there is nothing to decide, and
    /// after a crash no call can present it again, so a backend may persist it
    /// lazily (the SQLite store does; see `sqlite/writer.rs`). By default it
    /// is [`begin`](Self::begin).
    async fn begin_fresh(&self, record: IntentRecord) -> Result<(), StoreError> {
        self.begin(record).await.map(drop)
    }

    /// Records the final answer of a call begun with
    /// [`begin_fresh`](Self::begin_fresh); like it, a backend may persist it
    /// lazily. By default it is [`complete`](Self::complete).
    async fn complete_fresh(&self, key: &str, outcome: StoredOutcome) -> Result<(), StoreError> {
        self.complete(key, outcome).await
    }

    /// Records the final answer for `key`.
    async fn complete(&self, key: &str, outcome: StoredOutcome) -> Result<(), StoreError>;

    /// Waits until every answer recorded by [`complete`](Self::complete) so far
    /// is durable. Backends that write answers synchronously need do nothing.
    async fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Reads the record for `key`, if any (expired records included until purged).
    async fn get(&self, key: &str) -> Result<Option<IntentRecord>, StoreError>;

    /// Lists records matching `filter`, newest first (by creation time, then
    /// key): what an operator's view shows of intents and their recorded
    /// answers. Expired records not yet purged are included. Every backend in
    /// this crate lists; by default a store cannot, and says so.
    async fn list_records(&self, filter: &RecordFilter) -> Result<Vec<IntentRecord>, StoreError> {
        let _ = filter;
        Err(StoreError::Backend {
            operation: "list records",
            reason: "this store cannot list its records".into(),
        })
    }

    /// Deletes records whose expiry is before `now_ms` (Unix milliseconds) and
    /// returns how many were removed.
    async fn purge_expired(&self, now_ms: i64) -> Result<u64, StoreError>;

    /// How many records this store wrote and in how many transactions, for
    /// backends that count (SQLite and PostgreSQL do; see [`WriteCounts`]).
    fn write_counts(&self) -> Option<WriteCounts> {
        None
    }

    /// The workflow journal kept in the same store, if the backend has one
    /// (every backend in this crate does).
    fn as_journal(self: std::sync::Arc<Self>) -> Option<std::sync::Arc<dyn Journal>> {
        None
    }
}

/// The decision shared by every backend: what `begin` answers, given the
/// existing record for the key (if any) and the new one.
pub(crate) fn decide(existing: Option<&IntentRecord>, new: &IntentRecord) -> Begin {
    match existing {
        Some(old) if old.expires_ms > new.created_ms => {
            if old.fingerprint != new.fingerprint {
                Begin::Conflict(old.clone())
            } else if old.state == IntentState::Completed {
                Begin::Completed(old.clone())
            } else {
                Begin::Resumed(old.clone())
            }
        }
        _ => Begin::Started,
    }
}

#[cfg(test)]
pub(crate) mod contract {
    //! Behaviour every backend must share, run against each of them.
    use super::*;

    pub fn record(key: &str, fingerprint: &str) -> IntentRecord {
        IntentRecord::in_flight(
            key.into(),
            Some("intent".into()),
            "POST".into(),
            "/orders".into(),
            fingerprint.into(),
            std::time::Duration::from_secs(60),
        )
    }

    /// A final answer, the same on every call (tests compare stored copies).
    pub fn outcome() -> StoredOutcome {
        StoredOutcome {
            status: 201,
            headers: vec![("content-type".into(), "application/json".into())],
            body: br#"{"id":"o1"}"#.to_vec(),
            completed_ms: 1_795_000_000_000,
        }
    }

    pub async fn begin_complete_replay(store: &dyn Store) {
        let r = record("k1", "fp1");
        assert!(matches!(
            store.begin(r.clone()).await.unwrap(),
            Begin::Started
        ));
        assert!(matches!(
            store.begin(r.clone()).await.unwrap(),
            Begin::Resumed(_)
        ));
        let outcome = outcome();
        store.complete("k1", outcome.clone()).await.unwrap();
        match store.begin(r.clone()).await.unwrap() {
            Begin::Completed(old) => assert_eq!(old.outcome.unwrap(), outcome),
            other => panic!("expected Completed, got {other:?}"),
        }
        match store.begin(record("k1", "other")).await.unwrap() {
            Begin::Conflict(old) => assert_eq!(old.fingerprint, "fp1"),
            other => panic!("expected Conflict, got {other:?}"),
        }
        let stored = store.get("k1").await.unwrap().unwrap();
        assert_eq!(stored.state, IntentState::Completed);
        assert_eq!(stored.path_template, "/orders");
        assert!(store.get("missing").await.unwrap().is_none());
    }

    pub async fn expired_records_are_replaced_and_purged(store: &dyn Store) {
        let mut old = record("k2", "fp");
        old.created_ms -= 120_000;
        old.expires_ms = old.created_ms + 1_000;
        assert!(matches!(store.begin(old).await.unwrap(), Begin::Started));
        let fresh = record("k2", "different");
        assert!(
            matches!(store.begin(fresh).await.unwrap(), Begin::Started),
            "expired key is free again"
        );
        let mut stale = record("k3", "fp");
        stale.created_ms -= 120_000;
        stale.expires_ms = stale.created_ms + 1_000;
        store.begin(stale).await.unwrap();
        assert_eq!(store.purge_expired(now_millis()).await.unwrap(), 1);
        assert!(store.get("k3").await.unwrap().is_none());
        assert!(store.get("k2").await.unwrap().is_some());
    }

    /// Records are listed newest first, filtered by state and path, limited.
    pub async fn records_are_listed_newest_first(store: &dyn Store) {
        let mut older = record("list-old", "fp");
        older.created_ms -= 10_000;
        older.path_template = "/orders/{order_id}/payments".into();
        store.begin(older).await.unwrap();
        store.begin(record("list-new", "fp")).await.unwrap();
        store.complete("list-new", outcome()).await.unwrap();
        let all = store.list_records(&RecordFilter::default()).await.unwrap();
        let keys: Vec<&str> = all.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["list-new", "list-old"]);
        assert_eq!(
            all[0].outcome,
            Some(outcome()),
            "the recorded answer is listed"
        );
        assert_eq!(all[1].state, IntentState::InFlight);
        let completed = store
            .list_records(&RecordFilter {
                state: Some(IntentState::Completed),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(completed.len(), 1);
        assert_eq!(completed[0].key, "list-new");
        let payments = store
            .list_records(&RecordFilter {
                path_template: Some("/orders/{order_id}/payments".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(payments.len(), 1);
        assert_eq!(payments[0].key, "list-old");
        let one = store
            .list_records(&RecordFilter {
                limit: Some(1),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].key, "list-new");
    }

    pub async fn concurrent_begin_starts_once(store: std::sync::Arc<dyn Store>) {
        let r = record("k4", "fp");
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (store, r) = (store.clone(), r.clone());
                tokio::spawn(async move { store.begin(r).await.unwrap() })
            })
            .collect();
        let mut started = 0;
        for t in tasks {
            if matches!(t.await.unwrap(), Begin::Started) {
                started += 1;
            }
        }
        assert_eq!(started, 1);
    }
}
