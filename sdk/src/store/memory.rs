use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;

use super::{decide, Begin, IntentRecord, IntentState, Store, StoreError, StoredOutcome};

/// An in-memory store: fast, shared by clones, gone when the process exits.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    records: Arc<Mutex<HashMap<String, IntentRecord>>>,
    journal: Arc<Mutex<super::journal_memory::MemoryJournal>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many records it holds.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when it holds no records.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// The workflow journal tables (see `journal_memory.rs`).
    pub(super) fn journal(&self) -> MutexGuard<'_, super::journal_memory::MemoryJournal> {
        self.journal.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, IntentRecord>> {
        // Each operation replaces whole records, so a poisoned map is consistent.
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn begin(&self, record: IntentRecord) -> Result<Begin, StoreError> {
        let mut records = self.lock();
        let decision = decide(records.get(&record.key), &record);
        if decision == Begin::Started {
            records.insert(record.key.clone(), record);
        }
        Ok(decision)
    }

    async fn complete(&self, key: &str, outcome: StoredOutcome) -> Result<(), StoreError> {
        if let Some(record) = self.lock().get_mut(key) {
            record.state = IntentState::Completed;
            record.outcome = Some(outcome);
        }
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<IntentRecord>, StoreError> {
        Ok(self.lock().get(key).cloned())
    }

    async fn purge_expired(&self, now_ms: i64) -> Result<u64, StoreError> {
        let mut records = self.lock();
        let before = records.len();
        records.retain(|_, r| r.expires_ms > now_ms);
        Ok((before - records.len()) as u64)
    }

    fn as_journal(self: Arc<Self>) -> Option<Arc<dyn super::Journal>> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::super::contract;
    use super::*;

    #[tokio::test]
    async fn contract() {
        contract::begin_complete_replay(&MemoryStore::new()).await;
        contract::expired_records_are_replaced_and_purged(&MemoryStore::new()).await;
        contract::concurrent_begin_starts_once(Arc::new(MemoryStore::new())).await;
    }
}
