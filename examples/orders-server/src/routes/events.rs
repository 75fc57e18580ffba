//! `streamOrderEvents` (`GET /orders/{order_id}/events`): the order's changes
//! — its ledger entries — as server-sent events (`openapi/streaming.yaml`).
//!
//! Each event's `id` is its ledger sequence number and its `event` the kind
//! of change (`order_created`, `inventory_reserved`, …); the first event of a
//! connection also carries `retry:` (`ServerConfig::stream_retry_ms`). A
//! request with `Last-Event-ID` resumes after that entry. The stream follows
//! the order live and ends once the order is cancelled and every change was
//! sent. Each event is one body frame, so `cut_stream` faults count events.

use std::collections::VecDeque;
use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Serialize;
use tokio::sync::watch;
use uuid::Uuid;

use super::PathIds;
use crate::ledger::LedgerEntry;
use crate::model::OrderStatus;
use crate::problem::Problem;
use crate::state::{lock, ServerState};
use crate::streams::StreamGuard;

/// The `data` of one event.
#[derive(Serialize)]
struct OrderEvent<'a> {
    seq: u64,
    kind: &'a str,
    order_id: Uuid,
    resource_id: Uuid,
    order_status: OrderStatus,
    timestamp: &'a str,
}

pub(super) async fn stream(
    State(state): State<ServerState>,
    ids: PathIds,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let order_id = ids.uuid("order_id", "order")?;
    let after = last_event_id(&headers)?;
    let changes = {
        let domain = lock(&state.shared().domain);
        domain.order(order_id)?;
        domain.ledger().subscribe()
    };
    let cursor = Cursor {
        _open: state.open_stream(),
        retry_ms: state.config().stream_retry_ms,
        state,
        order_id,
        after,
        changes,
        pending: VecDeque::new(),
        first: true,
    };
    let events = futures::stream::unfold(cursor, |mut cursor| async move {
        let frame = cursor.next().await?;
        Some((Ok::<_, Infallible>(frame), cursor))
    });
    let mut response = Response::new(Body::from_stream(events));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// The entry to resume after: `Last-Event-ID` (an id this stream sent), or 0.
fn last_event_id(headers: &HeaderMap) -> Result<u64, Problem> {
    let Some(value) = headers.get("last-event-id") else {
        return Ok(0);
    };
    let text = value.to_str().unwrap_or("?").trim();
    if text.is_empty() {
        return Ok(0);
    }
    text.parse().map_err(|_| {
        Problem::validation(format!(
            "Last-Event-ID {text:?} is not an id this stream sends (a ledger sequence number)"
        ))
        .with("field", "Last-Event-ID")
    })
}

/// Where one event stream is: the last entry sent, entries read but not yet
/// sent, and the ledger's change signal to wait on.
struct Cursor {
    state: ServerState,
    order_id: Uuid,
    after: u64,
    changes: watch::Receiver<u64>,
    pending: VecDeque<(LedgerEntry, OrderStatus)>,
    first: bool,
    retry_ms: u64,
    _open: StreamGuard,
}

impl Cursor {
    /// The next event's bytes, or `None` when the stream ends.
    async fn next(&mut self) -> Option<Bytes> {
        loop {
            if let Some((entry, status)) = self.pending.pop_front() {
                self.after = entry.seq;
                return Some(self.frame(&entry, status));
            }
            let cancelled = {
                let domain = lock(&self.state.shared().domain);
                self.changes.borrow_and_update();
                // The order is gone after a reset: the stream ends.
                let (changes, cancelled) = domain.changes_of(self.order_id, self.after).ok()?;
                self.pending.extend(changes);
                cancelled
            };
            if !self.pending.is_empty() {
                continue;
            }
            if cancelled {
                return None;
            }
            // An error: the ledger was replaced by a reset.
            self.changes.changed().await.ok()?;
        }
    }

    fn frame(&mut self, entry: &LedgerEntry, status: OrderStatus) -> Bytes {
        let data = serde_json::to_string(&OrderEvent {
            seq: entry.seq,
            kind: entry.kind.as_str(),
            order_id: entry.order_id,
            resource_id: entry.resource_id,
            order_status: status,
            timestamp: &entry.timestamp,
        })
        .unwrap_or_default();
        let mut text = format!("id: {}\nevent: {}\n", entry.seq, entry.kind.as_str());
        if std::mem::take(&mut self.first) {
            text.push_str(&format!("retry: {}\n", self.retry_ms));
        }
        text.push_str("data: ");
        text.push_str(&data);
        text.push_str("\n\n");
        Bytes::from(text)
    }
}
