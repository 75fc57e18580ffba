//! [`NullStore`]: an idempotency store that records nothing.

use async_trait::async_trait;

use super::{Begin, IntentRecord, RecordFilter, Store, StoreError, StoredOutcome};

/// Keeps no idempotency records: every call goes to the server with its key,
/// and the server's records of keys are the only ones. For a client whose
/// caller keeps the record itself — an outbox dispatcher, whose rows hold
/// every call's outcome, so that a dead row an operator retries is sent
/// again rather than answered from a local record of its last failure.
///
/// ```
/// let client = oncely::Client::builder("https://api.example.com")
///     .store(oncely::store::NullStore)
///     .build()
///     .unwrap();
/// # drop(client);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct NullStore;

#[async_trait]
impl Store for NullStore {
    async fn begin(&self, _record: IntentRecord) -> Result<Begin, StoreError> {
        Ok(Begin::Started)
    }

    async fn complete(&self, _key: &str, _outcome: StoredOutcome) -> Result<(), StoreError> {
        Ok(())
    }

    async fn get(&self, _key: &str) -> Result<Option<IntentRecord>, StoreError> {
        Ok(None)
    }

    /// Nothing is recorded, so nothing is listed.
    async fn list_records(&self, _filter: &RecordFilter) -> Result<Vec<IntentRecord>, StoreError> {
        Ok(Vec::new())
    }

    async fn purge_expired(&self, _now_ms: i64) -> Result<u64, StoreError> {
        Ok(0)
    }
}
