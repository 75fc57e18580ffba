//! [`MemoryStore`]: idempotency records (this file) and the workflow journal
//! (`journal.rs`) in the process's memory, for tests and processes that need
//! no restart safety.

mod journal;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;

use crate::store::{
    decide, Begin, IntentRecord, IntentState, RecordFilter, Store, StoreError, StoredOutcome,
};

/// How many records of generated keys a [`MemoryStore`] keeps by default.
pub const DEFAULT_GENERATED_LIMIT: usize = 10_000;

/// An in-memory store: fast, shared by clones, gone when the process exits.
///
/// Records of named intents (an intent id or a caller's key) live for their
/// TTL, as in every backend. Records of keys oncely generated at random can
/// never be named by a later call — in memory they only serve inspection
/// (`store.get(response.idempotency_key())`) — so the store keeps the most
/// recent [`DEFAULT_GENERATED_LIMIT`] of them (see
/// [`with_generated_limit`](Self::with_generated_limit)) rather than every one
/// for 24 hours: a busy, long-running process stays bounded.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    records: Arc<Mutex<Records>>,
    journal: Arc<Mutex<journal::MemoryJournal>>,
}

/// The records, and the keys of generated ones, oldest first. A key is
/// allocated once and shared by the map and the queue; the map hashes with
/// foldhash (seeded per process), several times faster than SipHash on
/// 36-character keys.
#[derive(Debug)]
struct Records {
    by_key: HashMap<Arc<str>, IntentRecord, foldhash::fast::RandomState>,
    generated: VecDeque<Arc<str>>,
    generated_limit: usize,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::with_generated_limit(DEFAULT_GENERATED_LIMIT)
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store that keeps the records of the `limit` most recent calls
    /// with a generated key, forgetting the oldest first (0 keeps none).
    pub fn with_generated_limit(limit: usize) -> Self {
        MemoryStore {
            records: Arc::new(Mutex::new(Records {
                by_key: HashMap::default(),
                generated: VecDeque::new(),
                generated_limit: limit,
            })),
            journal: Arc::default(),
        }
    }

    /// How many records it holds.
    pub fn len(&self) -> usize {
        self.lock().by_key.len()
    }

    /// True when it holds no records.
    pub fn is_empty(&self) -> bool {
        self.lock().by_key.is_empty()
    }

    /// The workflow journal tables (see `journal.rs`).
    pub(super) fn journal(&self) -> MutexGuard<'_, journal::MemoryJournal> {
        self.journal.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock(&self) -> MutexGuard<'_, Records> {
        // Each operation replaces whole records, so a poisoned map is consistent.
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn begin(&self, record: IntentRecord) -> Result<Begin, StoreError> {
        let mut records = self.lock();
        let decision = decide(records.by_key.get(record.key.as_str()), &record);
        if decision == Begin::Started {
            records.by_key.insert(record.key.as_str().into(), record);
        }
        Ok(decision)
    }

    async fn begin_fresh(&self, record: IntentRecord) -> Result<(), StoreError> {
        let mut records = self.lock();
        let Records {
            by_key,
            generated,
            generated_limit,
        } = &mut *records;
        // A brand-new random key: nothing to decide.
        let key: Arc<str> = record.key.as_str().into();
        generated.push_back(key.clone());
        by_key.insert(key, record);
        while generated.len() > *generated_limit {
            // The oldest goes, finished or not: a call still running when
            // `limit` newer ones have started only loses its record, which its
            // answer would have completed.
            if let Some(oldest) = generated.pop_front() {
                by_key.remove(&oldest);
            }
        }
        Ok(())
    }

    async fn complete(&self, key: &str, outcome: StoredOutcome) -> Result<(), StoreError> {
        if let Some(record) = self.lock().by_key.get_mut(key) {
            record.state = IntentState::Completed;
            record.outcome = Some(outcome);
        }
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<IntentRecord>, StoreError> {
        Ok(self.lock().by_key.get(key).cloned())
    }

    async fn list_records(&self, filter: &RecordFilter) -> Result<Vec<IntentRecord>, StoreError> {
        let mut found: Vec<IntentRecord> = self
            .lock()
            .by_key
            .values()
            .filter(|r| filter.matches(r))
            .cloned()
            .collect();
        found.sort_by(|a, b| b.created_ms.cmp(&a.created_ms).then(a.key.cmp(&b.key)));
        found.truncate(filter.limit_or_default());
        Ok(found)
    }

    async fn purge_expired(&self, now_ms: i64) -> Result<u64, StoreError> {
        let mut records = self.lock();
        let before = records.by_key.len();
        records.by_key.retain(|_, r| r.expires_ms > now_ms);
        Ok((before - records.by_key.len()) as u64)
    }

    fn as_journal(self: Arc<Self>) -> Option<Arc<dyn crate::store::Journal>> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::contract;

    #[tokio::test]
    async fn contract() {
        contract::begin_complete_replay(&MemoryStore::new()).await;
        contract::expired_records_are_replaced_and_purged(&MemoryStore::new()).await;
        contract::concurrent_begin_starts_once(Arc::new(MemoryStore::new())).await;
        contract::records_are_listed_newest_first(&MemoryStore::new()).await;
    }

    /// Begins a generated key's record.
    async fn fresh(store: &MemoryStore, key: &str) {
        store
            .begin_fresh(contract::record(key, "fp"))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn keeps_the_most_recent_generated_records_and_every_named_one() {
        let store = MemoryStore::with_generated_limit(3);
        store.begin(contract::record("named", "fp")).await.unwrap();
        for i in 0..10 {
            let key = format!("gen-{i}");
            fresh(&store, &key).await;
            store
                .complete_fresh(&key, contract::outcome())
                .await
                .unwrap();
        }
        for i in 0..7 {
            assert!(
                store.get(&format!("gen-{i}")).await.unwrap().is_none(),
                "gen-{i}"
            );
        }
        for i in 7..10 {
            let kept = store.get(&format!("gen-{i}")).await.unwrap().expect("kept");
            assert_eq!(kept.state, IntentState::Completed);
        }
        assert!(
            store.get("named").await.unwrap().is_some(),
            "named intents stay"
        );
        assert_eq!(store.len(), 4);
    }

    #[tokio::test]
    async fn a_record_forgotten_in_flight_is_not_recreated_by_its_answer() {
        let store = MemoryStore::with_generated_limit(1);
        fresh(&store, "slow").await;
        fresh(&store, "fast").await;
        store
            .complete_fresh("slow", contract::outcome())
            .await
            .unwrap();
        assert!(store.get("slow").await.unwrap().is_none());
        assert!(store.get("fast").await.unwrap().is_some());

        let none = MemoryStore::with_generated_limit(0);
        fresh(&none, "k").await;
        none.complete_fresh("k", contract::outcome()).await.unwrap();
        assert!(none.is_empty());
    }

    #[tokio::test]
    async fn purged_generated_records_do_not_disturb_the_limit() {
        let store = MemoryStore::with_generated_limit(2);
        fresh(&store, "a").await;
        assert_eq!(store.purge_expired(i64::MAX).await.unwrap(), 1);
        fresh(&store, "b").await;
        fresh(&store, "c").await;
        assert!(store.get("b").await.unwrap().is_some());
        assert!(store.get("c").await.unwrap().is_some());
        fresh(&store, "d").await;
        assert!(store.get("b").await.unwrap().is_none(), "oldest goes");
        assert_eq!(store.len(), 2);
    }
}
