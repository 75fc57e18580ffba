//! The operations every outbox database provides ([`Backend`]): claiming due
//! rows under a lease, recording a claim's result behind its fence, and
//! what operators read and steer.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;

use super::{OutboxError, OutboxFilter, OutboxRow, OutboxState, OutboxStats};

/// What became of a claimed row.
#[derive(Debug, Clone)]
pub(crate) enum Finish {
    /// Answered with success; `response` summarises the answer.
    Delivered { response: Value },
    /// Failed for now: pending again after `after`.
    Retry { error: Value, after: Duration },
    /// Failed for good: into the dead-letter queue.
    Dead { error: Value },
}

/// The columns a [`Finish`] writes: state, new `not_before_ms`, error and
/// response (JSON text), `finished_ms`.
pub(crate) type FinishColumns = (
    OutboxState,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<i64>,
);

impl Finish {
    /// The columns to write at `now_ms`.
    pub(crate) fn columns(&self, now_ms: i64) -> FinishColumns {
        match self {
            Finish::Delivered { response } => (
                OutboxState::Delivered,
                None,
                None,
                Some(response.to_string()),
                Some(now_ms),
            ),
            Finish::Retry { error, after } => (
                OutboxState::Pending,
                Some(now_ms.saturating_add(i64::try_from(after.as_millis()).unwrap_or(i64::MAX))),
                Some(error.to_string()),
                None,
                None,
            ),
            Finish::Dead { error } => (
                OutboxState::Dead,
                None,
                Some(error.to_string()),
                None,
                Some(now_ms),
            ),
        }
    }
}

impl OutboxStats {
    /// Adds `count` rows of `state`, the oldest pending created at `oldest`.
    pub(crate) fn add(&mut self, state: &str, count: i64, oldest: Option<i64>, now_ms: i64) {
        let count = u64::try_from(count).unwrap_or(0);
        match OutboxState::parse(state) {
            Some(OutboxState::Pending) => self.pending += count,
            Some(OutboxState::InFlight) => self.in_flight += count,
            Some(OutboxState::Delivered) => self.delivered += count,
            Some(OutboxState::Dead) => self.dead += count,
            Some(OutboxState::Discarded) => self.discarded += count,
            None => {}
        }
        if let Some(oldest) = oldest {
            self.oldest_pending_age_ms = u64::try_from(now_ms - oldest).unwrap_or(0);
        }
    }
}

/// An outbox database.
#[async_trait]
pub(crate) trait Backend: Send + Sync + std::fmt::Debug {
    /// Where it is, without secrets.
    fn location(&self) -> &str;

    /// Enqueues `call` in a transaction of its own.
    async fn enqueue(&self, call: &super::OutboxCall) -> Result<i64, OutboxError>;

    /// Claims up to `limit` due rows for `owner` for `lease`: each claim
    /// counts an attempt and increments the row's fence.
    async fn claim(
        &self,
        owner: &str,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<OutboxRow>, OutboxError>;

    /// Extends the lease of claim `fence` of row `id`; false when the claim
    /// is no longer the row's.
    async fn extend(&self, id: i64, fence: i64, lease: Duration) -> Result<bool, OutboxError>;

    /// Records the result of claim `fence` of row `id`; false (nothing
    /// written) when the claim is no longer the row's.
    async fn finish(&self, id: i64, fence: i64, outcome: Finish) -> Result<bool, OutboxError>;

    /// Records many claims' results: for each, whether it was recorded. The
    /// default records them one by one; a backend may use one transaction.
    async fn finish_all(&self, done: Vec<(i64, i64, Finish)>) -> Result<Vec<bool>, OutboxError> {
        let mut recorded = Vec::with_capacity(done.len());
        for (id, fence, outcome) in done {
            recorded.push(self.finish(id, fence, outcome).await?);
        }
        Ok(recorded)
    }

    /// Row `id`.
    async fn get(&self, id: i64) -> Result<Option<OutboxRow>, OutboxError>;

    /// Rows matching `filter`, newest first.
    async fn list(&self, filter: &OutboxFilter) -> Result<Vec<OutboxRow>, OutboxError>;

    /// Moves row `id` to `to` when it is in one of `from` (`Pending` resets
    /// its attempts and makes it due now): `Ok(row after)`, or `Err(row as
    /// found)` when it is not.
    async fn set_state(
        &self,
        id: i64,
        from: &'static [OutboxState],
        to: OutboxState,
    ) -> Result<Result<OutboxRow, OutboxRow>, OutboxError>;

    /// Counts by state and the oldest pending row's age.
    async fn stats(&self) -> Result<OutboxStats, OutboxError>;
}
