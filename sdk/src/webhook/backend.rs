//! What an inbox store does, the same on SQLite and PostgreSQL: take an
//! event under a lease, extend the lease, record the outcome, read records.

use async_trait::async_trait;
use serde_json::Value;

use super::{InboxRecord, WebhookError};

/// What taking an event for a delivery found.
#[derive(Debug)]
pub(super) enum Taken {
    /// This delivery holds the event under `fence` and runs the handler.
    Claimed { fence: i64 },
    /// Processed before.
    Done { result: Option<Value> },
    /// Another delivery holds a live lease.
    Busy { lease_until_ms: i64 },
}

/// A handler's outcome to record.
#[derive(Debug)]
pub(super) enum Outcome {
    Done(Option<Value>),
    Failed(String),
}

/// One event's key and the claim that holds it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Held<'a> {
    pub source: &'a str,
    pub event_id: &'a str,
    pub fence: i64,
}

#[async_trait]
pub(super) trait Backend: Send + Sync + std::fmt::Debug {
    fn location(&self) -> &str;

    /// Inserts the event as processing under a lease until `lease_until_ms`,
    /// or takes it over when it failed or its lease ran out by `now_ms`.
    async fn take(
        &self,
        source: &str,
        event_id: &str,
        owner: &str,
        now_ms: i64,
        lease_until_ms: i64,
    ) -> Result<Taken, WebhookError>;

    /// Extends the lease of a claim that still holds the event.
    async fn extend(&self, held: Held<'_>, lease_until_ms: i64) -> Result<bool, WebhookError>;

    /// Records the outcome, if the claim still holds the event.
    async fn finish(
        &self,
        held: Held<'_>,
        outcome: Outcome,
        now_ms: i64,
    ) -> Result<bool, WebhookError>;

    async fn get(&self, source: &str, event_id: &str) -> Result<Option<InboxRecord>, WebhookError>;

    /// Records of `source` (all sources when `None`), newest first.
    async fn list(
        &self,
        source: Option<&str>,
        limit: u32,
    ) -> Result<Vec<InboxRecord>, WebhookError>;
}

impl Outcome {
    /// The state, result (JSON text) and error columns to write.
    pub(super) fn columns(&self) -> (super::EventState, Option<String>, Option<String>) {
        match self {
            Outcome::Done(result) => (
                super::EventState::Done,
                result.as_ref().map(Value::to_string),
                None,
            ),
            Outcome::Failed(error) => (super::EventState::Failed, None, Some(error.clone())),
        }
    }
}

/// What a take that claimed nothing found: done, or held by another
/// delivery (also when a failure was recorded between the two statements:
/// the sender delivers again).
pub(super) fn taken_from(found: Option<InboxRecord>, now_ms: i64) -> Taken {
    match found {
        Some(record) if record.state == super::EventState::Done => Taken::Done {
            result: record.result,
        },
        Some(record) => Taken::Busy {
            lease_until_ms: record.lease_until_ms.unwrap_or(now_ms),
        },
        None => Taken::Busy {
            lease_until_ms: now_ms,
        },
    }
}
