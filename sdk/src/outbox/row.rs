//! What an outbox row holds and reports: [`OutboxRow`], its [`OutboxState`],
//! and the table's [`OutboxStats`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::idempotency::key_for_intent;

/// Where a row is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    /// Waiting to be sent (again, after a transient failure: see
    /// [`OutboxRow::not_before_ms`]).
    Pending,
    /// Claimed by a dispatcher whose lease runs until
    /// [`OutboxRow::lease_until_ms`]; after that any dispatcher may take it.
    InFlight,
    /// Sent and answered with success; the answer's summary is kept.
    Delivered,
    /// Failed for good (a permanent error, or attempts spent): the
    /// dead-letter queue. Kept with its error until retried or discarded.
    Dead,
    /// A dead row an operator chose not to send; kept for the record.
    Discarded,
}

impl OutboxState {
    /// The name stored in the table.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::InFlight => "in_flight",
            OutboxState::Delivered => "delivered",
            OutboxState::Dead => "dead",
            OutboxState::Discarded => "discarded",
        }
    }

    /// The state of a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "pending" => OutboxState::Pending,
            "in_flight" => OutboxState::InFlight,
            "delivered" => OutboxState::Delivered,
            "dead" => OutboxState::Dead,
            "discarded" => OutboxState::Discarded,
            _ => return None,
        })
    }
}

impl std::fmt::Display for OutboxState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of the outbox: a call, and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxRow {
    /// The row's id (increasing in enqueue order).
    pub id: i64,
    /// The ordering partition, if any.
    pub partition: Option<String>,
    /// The HTTP method.
    pub method: String,
    /// The path template, relative to the dispatcher's base URL.
    pub path_template: String,
    /// Values of the template's placeholders.
    pub path_params: BTreeMap<String, String>,
    /// Query parameters, in order.
    pub query: Vec<(String, String)>,
    /// Headers, in order (never credentials).
    pub headers: Vec<(String, String)>,
    /// The body, if any.
    #[serde(with = "body_text", default)]
    pub body: Option<Vec<u8>>,
    /// The body's content type.
    pub content_type: Option<String>,
    /// The intent the idempotency key is derived from.
    pub intent_id: String,
    /// Where the row is.
    pub state: OutboxState,
    /// Delivery attempts begun so far (a claim counts one).
    pub attempts: u32,
    /// Not sent before this time (Unix ms).
    pub not_before_ms: i64,
    /// When it was enqueued (Unix ms).
    pub created_ms: i64,
    /// The dispatcher holding it (in flight) or that finished it.
    pub lease_owner: Option<String>,
    /// Until when that dispatcher's lease runs (Unix ms).
    pub lease_until_ms: Option<i64>,
    /// The claim generation: every claim increments it, and a result is
    /// recorded only with the claim's own fence.
    pub fence: i64,
    /// The last failure: a problem document or `{"error": …}`, kept whole.
    pub last_error: Option<Value>,
    /// The answer's summary once delivered (`status`, `location`, `body`).
    pub response: Option<Value>,
    /// When it was delivered, died or was discarded (Unix ms).
    pub finished_ms: Option<i64>,
}

impl OutboxRow {
    /// The idempotency key every attempt sends: derived from the method,
    /// the path template and the intent id.
    pub fn idempotency_key(&self) -> String {
        key_for_intent(&self.method, &self.path_template, &self.intent_id)
    }
}

/// Bodies as UTF-8 text when they are, base64 otherwise, in JSON views.
mod body_text {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(body: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match body {
            None => s.serialize_none(),
            Some(bytes) => match std::str::from_utf8(bytes) {
                Ok(text) => text.serialize(s),
                Err(_) => format!("base64:{}", STANDARD.encode(bytes)).serialize(s),
            },
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        Ok(text.map(|t| match t.strip_prefix("base64:") {
            Some(b64) => STANDARD.decode(b64).unwrap_or_else(|_| t.into_bytes()),
            None => t.into_bytes(),
        }))
    }
}

/// How many rows are in each state, and how long the oldest pending row has
/// waited: what an operator watches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxStats {
    /// Rows waiting to be sent.
    pub pending: u64,
    /// Rows claimed by a dispatcher.
    pub in_flight: u64,
    /// Rows delivered.
    pub delivered: u64,
    /// Rows in the dead-letter queue.
    pub dead: u64,
    /// Dead rows discarded by an operator.
    pub discarded: u64,
    /// Age of the oldest pending row in milliseconds (0 when none).
    pub oldest_pending_age_ms: u64,
}

/// Which rows [`Outbox::list`](super::Outbox::list) returns.
#[derive(Debug, Clone, Default)]
pub struct OutboxFilter {
    /// Only rows in this state.
    pub state: Option<OutboxState>,
    /// Only rows of this partition.
    pub partition: Option<String>,
    /// At most this many (default 100), newest first.
    pub limit: Option<u32>,
}
