//! [`JsonEvents`]: an [`EventStream`] whose events' `data` is JSON of one
//! type, as a generated client reads a `text/event-stream` answer its
//! contract types.

use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::Stream;
use serde::de::DeserializeOwned;

use super::{EventStream, ServerEvent};
use crate::error::Error;

/// One server-sent event whose data was decoded as `T`.
#[derive(Debug, Clone, PartialEq)]
pub struct Event<T> {
    /// The stream's last event id when the event was dispatched (see
    /// [`ServerEvent::id`]).
    pub id: Option<String>,
    /// The event type (`"message"` when the event had none).
    pub event: String,
    /// The data, decoded.
    pub data: T,
    /// The reconnection time the event's `retry` field set, if any.
    pub retry: Option<Duration>,
}

/// The events of an [`EventStream`], their data decoded as `T`
/// ([`EventStream::json`]). An event whose data does not decode is an
/// [`Error::Decode`] naming it; the stream goes on after it.
#[must_use = "a stream does nothing until it is polled"]
pub struct JsonEvents<T> {
    inner: EventStream,
    item: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for JsonEvents<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonEvents")
            .field("inner", &self.inner)
            .finish()
    }
}

impl EventStream {
    /// The events with their data decoded as `T` (JSON).
    pub fn json<T: DeserializeOwned>(self) -> JsonEvents<T> {
        JsonEvents {
            inner: self,
            item: PhantomData,
        }
    }
}

impl<T> JsonEvents<T> {
    /// The underlying stream (its last event id, reconnections, `close`).
    pub fn events(&self) -> &EventStream {
        &self.inner
    }

    /// The underlying stream, mutably (to [`close`](EventStream::close) it).
    pub fn events_mut(&mut self) -> &mut EventStream {
        &mut self.inner
    }

    /// The last event id received: give it to
    /// [`RequestBuilder::last_event_id`](crate::RequestBuilder::last_event_id)
    /// to resume after a restart.
    pub fn last_event_id(&self) -> Option<&str> {
        self.inner.last_event_id()
    }
}

fn decoded<T: DeserializeOwned>(event: ServerEvent) -> Result<Event<T>, Error> {
    let data = event.json()?;
    Ok(Event {
        id: event.id,
        event: event.event,
        data,
        retry: event.retry,
    })
}

impl<T: DeserializeOwned> Stream for JsonEvents<T> {
    type Item = Result<Event<T>, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        Pin::new(&mut this.inner)
            .poll_next(cx)
            .map(|next| next.map(|item| item.and_then(decoded)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_is_decoded_and_bad_data_is_named() {
        let ok = ServerEvent {
            id: Some("7".into()),
            event: "paid".into(),
            data: r#"{"amount": 5}"#.into(),
            retry: None,
        };
        let e: Event<serde_json::Value> = decoded(ok).expect("decodes");
        assert_eq!(e.data["amount"], 5);
        assert_eq!(e.id.as_deref(), Some("7"));
        let bad = ServerEvent {
            id: Some("8".into()),
            event: "paid".into(),
            data: "{".into(),
            retry: None,
        };
        let err = decoded::<serde_json::Value>(bad).expect_err("bad JSON");
        assert!(err.to_string().contains("\"8\""), "{err}");
    }
}
