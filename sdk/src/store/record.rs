use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The life of an idempotency record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntentState {
    /// Recorded before the first attempt; the final answer is not known yet.
    InFlight,
    /// The final answer is recorded in [`IntentRecord::outcome`].
    Completed,
}

impl IntentState {
    /// The name stored in databases.
    pub fn as_str(self) -> &'static str {
        match self {
            IntentState::InFlight => "in_flight",
            IntentState::Completed => "completed",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "in_flight" => Some(IntentState::InFlight),
            "completed" => Some(IntentState::Completed),
            _ => None,
        }
    }
}

/// The final answer to a request, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOutcome {
    /// HTTP status.
    pub status: u16,
    /// The headers that matter for a replay (content type, location, ETag, …).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// When it was recorded (Unix milliseconds).
    pub completed_ms: i64,
}

/// One idempotent request, as the store knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntentRecord {
    /// The idempotency key (primary key).
    pub key: String,
    /// The caller's intent id, when the key was derived from one.
    pub intent_id: Option<String>,
    /// HTTP method.
    pub method: String,
    /// The path template, e.g. `/orders/{order_id}/payments`.
    pub path_template: String,
    /// SHA-256 of method, URL and canonical body.
    pub fingerprint: String,
    /// In flight or completed.
    pub state: IntentState,
    /// Creation time (Unix milliseconds).
    pub created_ms: i64,
    /// Expiry time (Unix milliseconds); expired records may be replaced or purged.
    pub expires_ms: i64,
    /// The final answer, once known.
    pub outcome: Option<StoredOutcome>,
}

impl IntentRecord {
    /// A new in-flight record created now and living for `ttl`.
    pub fn in_flight(
        key: String,
        intent_id: Option<String>,
        method: String,
        path_template: String,
        fingerprint: String,
        ttl: Duration,
    ) -> Self {
        let created_ms = now_millis();
        IntentRecord {
            key,
            intent_id,
            method,
            path_template,
            fingerprint,
            state: IntentState::InFlight,
            created_ms,
            expires_ms: created_ms
                .saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX)),
            outcome: None,
        }
    }
}

/// What [`crate::store::Store::begin`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// The key was unknown (or expired): the record is now in flight.
    Started,
    /// The same request was begun before and never finished (an earlier process
    /// crashed, or a concurrent call is sending it). Send it again with the same key.
    Resumed(IntentRecord),
    /// The same request already has a final answer: use it, send nothing.
    Completed(IntentRecord),
    /// The key belongs to a different request (another body or URL).
    Conflict(IntentRecord),
}

/// The current time in Unix milliseconds.
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Which records [`Store::list_records`](crate::store::Store::list_records)
/// returns: newest first, for operators' views (the `oncely console` page of
/// intents and their recorded answers).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordFilter {
    /// Only records in this state.
    pub state: Option<IntentState>,
    /// Only records of this path template (e.g. `/orders/{order_id}/payments`).
    pub path_template: Option<String>,
    /// At most this many; `None`: [`RecordFilter::DEFAULT_LIMIT`].
    pub limit: Option<usize>,
}

impl RecordFilter {
    /// How many records a filter without a limit returns.
    pub const DEFAULT_LIMIT: usize = 100;

    /// The limit in force.
    pub fn limit_or_default(&self) -> usize {
        self.limit.unwrap_or(Self::DEFAULT_LIMIT)
    }

    /// True when `record` passes the state and path filters.
    pub fn matches(&self, record: &IntentRecord) -> bool {
        let state_ok = match self.state {
            Some(state) => state == record.state,
            None => true,
        };
        let path_ok = match &self.path_template {
            Some(path) => *path == record.path_template,
            None => true,
        };
        state_ok && path_ok
    }
}
