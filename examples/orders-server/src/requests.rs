//! The request log: every API request the server received, including the
//! faulted and dropped ones, with what happened to it. Credentials are never
//! stored, only whether they were present.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::faults::Fault;
use crate::ledger::LedgerEntry;

/// What the server answered. Serialized as the status number, `"dropped"`
/// (connection closed without a response) or `"pending"` (still running).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The request is still being processed.
    Pending,
    /// A response with this status was sent.
    Status(u16),
    /// The connection was closed without a response.
    Dropped,
}

impl Serialize for Outcome {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Outcome::Pending => serializer.serialize_str("pending"),
            Outcome::Dropped => serializer.serialize_str("dropped"),
            Outcome::Status(code) => serializer.serialize_u16(*code),
        }
    }
}

impl<'de> Deserialize<'de> for Outcome {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OutcomeVisitor;
        impl Visitor<'_> for OutcomeVisitor {
            type Value = Outcome;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a status code, \"dropped\" or \"pending\"")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Outcome, E> {
                u16::try_from(v)
                    .map(Outcome::Status)
                    .map_err(|_| E::custom(format!("status {v} out of range")))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Outcome, E> {
                u64::try_from(v)
                    .map_err(|_| E::custom(format!("status {v} out of range")))
                    .and_then(|v| self.visit_u64(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Outcome, E> {
                match v {
                    "dropped" => Ok(Outcome::Dropped),
                    "pending" => Ok(Outcome::Pending),
                    other => Err(E::unknown_variant(other, &["dropped", "pending"])),
                }
            }
        }
        deserializer.deserialize_any(OutcomeVisitor)
    }
}

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// 1-based arrival order (restarts after a reset).
    pub seq: u64,
    /// HTTP method.
    pub method: String,
    /// Request path (without query).
    pub path: String,
    /// The raw query string (without `?`), if the request had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Matched contract route, e.g. `"POST /orders/{order_id}/payments"`;
    /// `None` for paths/methods the contract does not have.
    pub route: Option<String>,
    /// Raw `Idempotency-Key` header value, if sent.
    pub idempotency_key: Option<String>,
    /// Whether an `Authorization` header was present (its value is never stored).
    pub has_authorization: bool,
    /// Whether an `X-Api-Key` header was present (its value is never stored).
    pub has_api_key: bool,
    /// Whether a `Cookie` header was present (its value is never stored).
    pub has_cookie: bool,
    /// The `Last-Event-ID` header an event stream was resumed with, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_event_id: Option<String>,
    /// The W3C `traceparent` header, if sent (each attempt of a traced call
    /// carries the call's trace id and the attempt's own span id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
    /// The W3C `tracestate` header, if sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracestate: Option<String>,
    /// The response status, `"dropped"` or `"pending"`.
    pub status: Outcome,
    /// The injected fault, if any.
    pub fault: Option<Fault>,
    /// Whether the response was an idempotent replay of a stored response.
    pub replayed: bool,
    /// When the request arrived (RFC 3339, UTC).
    pub received_at: String,
}

/// Counters over the request log and the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Stats {
    /// Requests received (API routes, not admin routes).
    pub requests: u64,
    /// Responses that were idempotent replays.
    pub replays: u64,
    /// Requests whose connection was dropped without a response.
    pub dropped: u64,
    /// Injected faults by [`Fault::label`] (`drop_after_commit`, `status_503`, …).
    pub faults: BTreeMap<String, u64>,
    /// Responses by status code (as a string), plus `dropped` / `pending`.
    pub statuses: BTreeMap<String, u64>,
    /// Ledger entries (side effects) in total.
    pub side_effects: u64,
    /// Ledger entries by kind.
    pub side_effects_by_kind: BTreeMap<String, u64>,
}

impl Stats {
    pub(crate) fn compute(requests: &[RequestRecord], ledger: &[LedgerEntry]) -> Stats {
        let mut stats = Stats {
            requests: requests.len() as u64,
            side_effects: ledger.len() as u64,
            ..Stats::default()
        };
        for record in requests {
            stats.replays += u64::from(record.replayed);
            stats.dropped += u64::from(record.status == Outcome::Dropped);
            if let Some(fault) = &record.fault {
                *stats.faults.entry(fault.label()).or_default() += 1;
            }
            let status = match record.status {
                Outcome::Status(code) => code.to_string(),
                Outcome::Dropped => "dropped".to_owned(),
                Outcome::Pending => "pending".to_owned(),
            };
            *stats.statuses.entry(status).or_default() += 1;
        }
        for entry in ledger {
            *stats
                .side_effects_by_kind
                .entry(entry.kind.as_str().to_owned())
                .or_default() += 1;
        }
        stats
    }
}

/// Identifies a logged request across resets of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LogTicket {
    epoch: u64,
    seq: u64,
}

/// The log itself.
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    records: Vec<RequestRecord>,
    epoch: u64,
}

impl RequestLog {
    /// Appends a record, assigning its `seq`.
    pub(crate) fn push(&mut self, mut record: RequestRecord) -> LogTicket {
        record.seq = self.records.len() as u64 + 1;
        let seq = record.seq;
        self.records.push(record);
        LogTicket {
            epoch: self.epoch,
            seq,
        }
    }

    /// Sets the outcome of a request (a no-op if the log was reset since).
    pub(crate) fn finish(&mut self, ticket: LogTicket, status: Outcome, replayed: bool) {
        if ticket.epoch != self.epoch {
            return;
        }
        if let Some(record) = ticket
            .seq
            .checked_sub(1)
            .and_then(|index| self.records.get_mut(index as usize))
        {
            record.status = status;
            record.replayed = replayed;
        }
    }

    pub(crate) fn records(&self) -> &[RequestRecord] {
        &self.records
    }

    pub(crate) fn clear(&mut self) {
        self.records.clear();
        self.epoch += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_serializes_as_number_or_word() {
        assert_eq!(serde_json::to_string(&Outcome::Status(201)).unwrap(), "201");
        assert_eq!(
            serde_json::to_string(&Outcome::Dropped).unwrap(),
            "\"dropped\""
        );
        for o in [Outcome::Status(503), Outcome::Dropped, Outcome::Pending] {
            let back: Outcome = serde_json::from_str(&serde_json::to_string(&o).unwrap()).unwrap();
            assert_eq!(back, o);
        }
        assert!(serde_json::from_str::<Outcome>("\"lost\"").is_err());
    }
}
