//! Streamed answers as native classes: [`NativeEventStream`] (server-sent
//! events) and [`NativeLineStream`] (JSON lines), which the JS layer wraps
//! into async iterables.
//!
//! The core's stream is kept between calls from JavaScript; each `next()`
//! pulls one item on the runtime, so the connection is read only as fast as
//! JavaScript iterates. `close()` drops the core's stream — which closes its
//! connection — at once, or, while a `next()` is waiting for the network, as
//! soon as that `next()` wakes up and resolves with `null`.

use std::sync::{Arc, Mutex as StdMutex};

use futures::{Stream, StreamExt};
use napi::bindgen_prelude::PromiseRaw;
use napi::Env;
use napi_derive::napi;
use oncely::stream::{EventStream, JsonLines, ServerEvent};
use oncely_bindings_common::{stream_spec, Binding, StreamSpec};
use serde_json::Value;
use tokio::sync::Mutex;

use crate::cancel::{guard, Cancel, CancelToken};
use crate::convert::spec_error;
use crate::errors::to_napi;

/// How a stream is read (all optional; the core's defaults apply).
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct StreamOptions {
    /// Resume an event stream after this event id (sent as `Last-Event-ID`).
    pub last_event_id: Option<String>,
    /// When an event stream reconnects: `never`, `on_cut` (default) or `on_cut_or_end`.
    pub reconnect: Option<String>,
    /// The most bytes one event or line may hold (default 16 MiB).
    pub max_item_bytes: Option<f64>,
}

/// The shared spec of `options`, validated once for both bindings.
pub fn stream_options(options: Option<StreamOptions>) -> napi::Result<StreamSpec> {
    let Some(o) = options else {
        return Ok(StreamSpec::default());
    };
    Ok(StreamSpec {
        last_event_id: o.last_event_id,
        reconnect: o
            .reconnect
            .as_deref()
            .map(stream_spec::reconnect)
            .transpose()
            .map_err(spec_error)?,
        max_item_bytes: o
            .max_item_bytes
            .map(stream_spec::max_item_bytes)
            .transpose()
            .map_err(spec_error)?,
    })
}

/// One server-sent event as it crosses to JavaScript.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct NativeServerEvent {
    /// The last event id when the event was dispatched (the standard's `lastEventId`).
    pub id: Option<String>,
    /// The event type (`message` when the event named none).
    pub event: String,
    /// The event's data lines joined with `\n`.
    pub data: String,
    /// The reconnection time (ms) this event's `retry` field set.
    pub retry_ms: Option<f64>,
}

impl From<ServerEvent> for NativeServerEvent {
    fn from(e: ServerEvent) -> Self {
        NativeServerEvent {
            id: e.id,
            event: e.event,
            data: e.data,
            retry_ms: e.retry.map(|d| d.as_secs_f64() * 1000.0),
        }
    }
}

/// A core stream kept between JavaScript calls, and its close switch.
struct Held<S> {
    stream: Mutex<Option<S>>,
    closed: CancelToken,
    closing: Cancel,
}

impl<S: Stream + Unpin + Send + 'static> Held<S>
where
    S::Item: Send,
{
    fn new(stream: S) -> Arc<Self> {
        let closed = CancelToken::new();
        let closing = closed.handle();
        Arc::new(Held {
            stream: Mutex::new(Some(stream)),
            closed,
            closing,
        })
    }

    /// The next item; `None` once the stream ended or was closed (the core's
    /// stream, and so its connection, is dropped then). `seen` runs on the
    /// stream after each item.
    async fn next(self: Arc<Self>, seen: impl FnOnce(&S)) -> Option<S::Item> {
        let mut slot = self.stream.lock().await;
        if self.closed.is_cancelled() {
            *slot = None;
        }
        let stream = slot.as_mut()?;
        let item = tokio::select! {
            biased;
            _ = self.closing.cancelled() => None,
            item = stream.next() => item,
        };
        match item {
            Some(item) => {
                seen(stream);
                Some(item)
            }
            None => {
                *slot = None;
                None
            }
        }
    }

    /// Drops the stream now or, while a `next()` holds it, as soon as that
    /// `next()` lets go (it wakes up and resolves with `null`, or is dropped
    /// by its own cancellation).
    fn close(self: &Arc<Self>) {
        self.closed.cancel();
        match self.stream.try_lock() {
            Ok(mut slot) => *slot = None,
            Err(_) => {
                let held = Arc::clone(self);
                napi::bindgen_prelude::spawn(async move {
                    held.stream.lock().await.take();
                });
            }
        }
    }
}

/// What the getters read without waiting for a `next()` in flight.
#[derive(Debug, Default, Clone)]
struct EventInfo {
    last_event_id: Option<String>,
    reconnects: u32,
    events: u32,
}

/// A `text/event-stream` answer read event by event.
#[napi]
pub struct NativeEventStream {
    held: Arc<Held<EventStream>>,
    info: Arc<StdMutex<EventInfo>>,
}

impl NativeEventStream {
    /// Wraps a core event stream.
    pub fn new(stream: EventStream) -> Self {
        let info = EventInfo {
            last_event_id: stream.last_event_id().map(str::to_owned),
            ..EventInfo::default()
        };
        NativeEventStream {
            held: Held::new(stream),
            info: Arc::new(StdMutex::new(info)),
        }
    }

    fn info(&self) -> EventInfo {
        self.info.lock().map(|i| i.clone()).unwrap_or_default()
    }
}

#[napi]
impl NativeEventStream {
    /// The next event, or `null` once the stream ended or was closed.
    #[napi(catch_unwind, ts_return_type = "Promise<NativeServerEvent | null>")]
    pub fn next<'env>(
        &self,
        env: &'env Env,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Option<NativeServerEvent>>> {
        let (held, info) = (self.held.clone(), self.info.clone());
        let call = async move {
            let record = |s: &EventStream| {
                if let Ok(mut i) = info.lock() {
                    i.last_event_id = s.last_event_id().map(str::to_owned);
                    i.reconnects = u32::try_from(s.reconnects()).unwrap_or(u32::MAX);
                    i.events = u32::try_from(s.events_received()).unwrap_or(u32::MAX);
                }
            };
            match held.next(record).await {
                None => Ok(None),
                Some(Ok(event)) => Ok(Some(event.into())),
                Some(Err(e)) => Err(to_napi(&e)),
            }
        };
        env.spawn_future(guard(call, cancel.map(CancelToken::handle)))
    }

    /// Closes the connection; later `next()` calls resolve with `null`.
    #[napi(catch_unwind)]
    pub fn close(&self) {
        self.held.close();
    }

    /// The last event id received (sent as `Last-Event-ID` on a reconnection).
    #[napi(getter, catch_unwind)]
    pub fn last_event_id(&self) -> Option<String> {
        self.info().last_event_id
    }

    /// Reconnections made so far.
    #[napi(getter, catch_unwind)]
    pub fn reconnects(&self) -> u32 {
        self.info().reconnects
    }

    /// Events received so far.
    #[napi(getter, catch_unwind)]
    pub fn events_received(&self) -> u32 {
        self.info().events
    }
}

/// A JSON lines answer read line by line; each item crosses as JSON text.
#[napi]
pub struct NativeLineStream {
    held: Arc<Held<JsonLines<Value>>>,
}

impl NativeLineStream {
    /// Wraps a core JSON lines stream.
    pub fn new(stream: JsonLines<Value>) -> Self {
        NativeLineStream {
            held: Held::new(stream),
        }
    }
}

#[napi]
impl NativeLineStream {
    /// The next item as JSON text, or `null` once the stream ended or was
    /// closed. A bad line rejects (with its line number); the next call goes on.
    #[napi(catch_unwind, ts_return_type = "Promise<string | null>")]
    pub fn next<'env>(
        &self,
        env: &'env Env,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Option<String>>> {
        let held = self.held.clone();
        let call = async move {
            match held.next(|_| {}).await {
                None => Ok(None),
                Some(Ok(value)) => Ok(Some(value.to_string())),
                Some(Err(e)) => Err(to_napi(&e)),
            }
        };
        env.spawn_future(guard(call, cancel.map(CancelToken::handle)))
    }

    /// Closes the connection; later `next()` calls resolve with `null`.
    #[napi(catch_unwind)]
    pub fn close(&self) {
        self.held.close();
    }
}

/// Opens an event stream for `request` with `spec` applied.
pub async fn open_events(
    request: oncely::RequestBuilder,
    spec: StreamSpec,
) -> napi::Result<NativeEventStream> {
    spec.open_events(request)
        .await
        .map(NativeEventStream::new)
        .map_err(|e| to_napi(&e))
}

/// Opens a JSON lines stream for `request` with `spec` applied.
pub async fn open_lines(
    request: oncely::RequestBuilder,
    spec: StreamSpec,
) -> napi::Result<NativeLineStream> {
    spec.open_lines(request, Binding::Node)
        .await
        .map(NativeLineStream::new)
        .map_err(|e| to_napi(&e))
}
