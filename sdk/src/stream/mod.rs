//! Streamed answers: server-sent events and JSON lines, read as they arrive.
//!
//! - [`EventStream`] ([`RequestBuilder::send_events`](crate::RequestBuilder::send_events)):
//!   a `text/event-stream` answer as [`ServerEvent`]s, parsed as the WHATWG
//!   HTML standard says (`sse`), reconnecting with `Last-Event-ID` when the
//!   connection is cut (`events`).
//! - [`JsonEvents`] ([`EventStream::json`]): the same events with their
//!   `data` decoded as one JSON type (what generated clients return).
//! - [`JsonLines`] ([`RequestBuilder::send_lines`](crate::RequestBuilder::send_lines)):
//!   an `application/x-ndjson`, `application/jsonl`, `application/json-lines`
//!   or `application/json-seq` answer as typed items, one per line (`lines`
//!   splits them, `json_lines` decodes them).
//!
//! Both are [`futures::Stream`]s opened through the client's pipeline
//! (`source`): credentials, keys, retries, the budget and the circuit breaker
//! apply to opening the stream as to any call; the body is then read as the
//! stream is polled, within a per-item byte limit, and dropping the stream
//! closes the connection. Streamed answers are never recorded in the
//! idempotency store: a stream cannot be replayed from a record (a call that
//! has a key still sends it, so reopening is safe).

mod event;
mod events;
mod json_events;
mod json_lines;
mod lines;
mod source;
mod sse;

pub use event::ServerEvent;
pub use events::EventStream;
pub use json_events::{Event, JsonEvents};

/// The stream traits, re-exported so that `use oncely::stream::StreamExt;`
/// is all a reader needs for `while let Some(item) = stream.next().await`.
pub use futures::{Stream, StreamExt};
pub use json_lines::JsonLines;

pub(crate) use json_lines::ACCEPT as LINES_ACCEPT;
pub(crate) use source::Source;

/// The default most bytes one event or line may hold: 16 MiB.
pub const DEFAULT_MAX_ITEM_BYTES: usize = 16 * 1024 * 1024;

/// When an [`EventStream`] reconnects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reconnect {
    /// Never: a cut is the stream's last item, an error.
    Never,
    /// When the connection is cut mid-stream (a transport error while the
    /// body is read); a clean end of the body ends the stream. The default:
    /// API streams end with the end of their body.
    #[default]
    OnCut,
    /// Also when the body ends cleanly, as browsers' `EventSource` does:
    /// for a stream the server may end at any time and that continues after
    /// the last event id.
    OnCutOrEnd,
}

/// One event or line is longer than the stream's byte limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TooLong {
    /// The limit, in bytes.
    pub limit: usize,
}
