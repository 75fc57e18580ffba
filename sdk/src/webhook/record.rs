//! What the inbox records per event ([`InboxRecord`], [`EventState`]) and
//! answers per delivery ([`Receipt`], [`Claim`]).

use serde_json::Value;

/// Where an event is in the inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventState {
    /// A delivery is running the handler under a lease.
    Processing,
    /// The handler finished (or the event was claimed inside the
    /// application's committed transaction): redeliveries are duplicates.
    Done,
    /// The handler failed: the next delivery runs it again.
    Failed,
}

impl EventState {
    /// The name stored in the table.
    pub fn as_str(self) -> &'static str {
        match self {
            EventState::Processing => "processing",
            EventState::Done => "done",
            EventState::Failed => "failed",
        }
    }

    /// The state named `text` in the table.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "processing" => Some(EventState::Processing),
            "done" => Some(EventState::Done),
            "failed" => Some(EventState::Failed),
            _ => None,
        }
    }
}

impl std::fmt::Display for EventState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event as the inbox keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct InboxRecord {
    /// The sender the event came from (the inbox's `source`).
    pub source: String,
    /// The event's id.
    pub event_id: String,
    /// Its state.
    pub state: EventState,
    /// How many deliveries ran (or started) the handler.
    pub attempts: i64,
    /// When the event was first received (Unix ms).
    pub received_ms: i64,
    /// Until when the running delivery holds it (Unix ms), while processing.
    pub lease_until_ms: Option<i64>,
    /// When the handler last finished (Unix ms).
    pub finished_ms: Option<i64>,
    /// The handler's result summary, once done (`None` for `()`).
    pub result: Option<Value>,
    /// The handler's last error, after a failure.
    pub last_error: Option<String>,
}

/// The inbox's answer to one delivery.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Receipt {
    /// The handler ran now and succeeded; its outcome is recorded.
    Processed {
        /// The event.
        event_id: String,
        /// The handler's result summary.
        result: Option<Value>,
    },
    /// The event was processed before: the handler did not run.
    Duplicate {
        /// The event.
        event_id: String,
        /// The result summary recorded when it was processed.
        result: Option<Value>,
    },
    /// Another delivery of the event holds a live lease and is running the
    /// handler: answer so that the sender delivers again later
    /// ([`http_status`](Receipt::http_status) is 409).
    InProgress {
        /// The event.
        event_id: String,
        /// Until when the other delivery holds it (Unix ms).
        lease_until_ms: i64,
    },
}

impl Receipt {
    /// The event this answers.
    pub fn event_id(&self) -> &str {
        match self {
            Receipt::Processed { event_id, .. }
            | Receipt::Duplicate { event_id, .. }
            | Receipt::InProgress { event_id, .. } => event_id,
        }
    }

    /// The HTTP status for the sender: `200` when processed (now or
    /// before), `409` while another delivery is processing it (the sender
    /// tries again later).
    pub fn http_status(&self) -> u16 {
        match self {
            Receipt::Processed { .. } | Receipt::Duplicate { .. } => 200,
            Receipt::InProgress { .. } => 409,
        }
    }

    /// The name of the variant: `processed`, `duplicate`, `in_progress`.
    pub fn kind(&self) -> &'static str {
        match self {
            Receipt::Processed { .. } => "processed",
            Receipt::Duplicate { .. } => "duplicate",
            Receipt::InProgress { .. } => "in_progress",
        }
    }
}

/// What claiming an event inside the application's transaction found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "a Duplicate claim means the handler must not run"]
pub enum Claim {
    /// The event is new (or its earlier processing failed): run the
    /// handler in this transaction; the claim commits with it.
    First,
    /// The event was processed before: skip the handler.
    Duplicate,
}

impl Claim {
    /// Whether the handler should run.
    pub fn is_first(self) -> bool {
        self == Claim::First
    }
}
