//! Streamed answers: `oncely.EventStream` / `oncely.AsyncEventStream`
//! (server-sent events, each an `oncely.ServerEvent`) and `oncely.JsonLines`
//! / `oncely.AsyncJsonLines` (one JSON value per line), from
//! `Client.stream_events` / `stream_lines` and their `AsyncClient` twins.
//!
//! The core reads, parses and reconnects; this module hands its items to
//! Python one at a time. A blocking `next()` releases the GIL while it waits;
//! an async one is awaited on the event loop (`crate::aio`). `close()` — or
//! leaving the `with` block, or the object going away — closes the
//! connection, also while another thread is waiting in `next()`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use futures::StreamExt;
use oncely::stream::{EventStream, JsonLines, ServerEvent};
use oncely::RequestBuilder;
use oncely_bindings_common::{stream_spec, Binding, StreamSpec};
use pyo3::exceptions::{PyStopAsyncIteration, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt};
use serde_json::Value;
use tokio::sync::{Mutex, Notify};

use crate::convert::{json_to_py, type_name};
use crate::errors::{core_error, spec_error, Failure};
use crate::options::extract_str;
use crate::{aio, runtime};

/// One event of a `text/event-stream` answer.
#[pyclass(module = "oncely", name = "ServerEvent", frozen)]
pub struct PyServerEvent {
    event: ServerEvent,
}

#[pymethods]
impl PyServerEvent {
    /// The stream's last event id when this event arrived (`None` before any).
    #[getter]
    fn id(&self) -> Option<&str> {
        self.event.id.as_deref()
    }

    /// The event type (`"message"` when the event named none).
    #[getter]
    fn event(&self) -> &str {
        &self.event.event
    }

    /// The event's data (its `data` lines joined with `"\n"`).
    #[getter]
    fn data(&self) -> &str {
        &self.event.data
    }

    /// The reconnection time this event set, in seconds, if it set one.
    #[getter]
    fn retry(&self) -> Option<f64> {
        self.event.retry.as_ref().map(Duration::as_secs_f64)
    }

    /// The data decoded as JSON; bad JSON raises `oncely.DecodeError` naming
    /// the event.
    fn json(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let value: Value = self.event.json().map_err(|e| core_error(py, e))?;
        json_to_py(py, &value)
    }

    fn __repr__(&self) -> String {
        format!(
            "<oncely.ServerEvent {} id={:?} {} bytes>",
            self.event.event,
            self.event.id,
            self.event.data.len()
        )
    }
}

/// The stream-only keyword arguments, taken out of a call's `**kwargs`.
const STREAM_OPTIONS: [&str; 3] = ["last_event_id", "reconnect", "max_item_bytes"];

/// Takes the stream options out of `kwargs` (the rest are the call's).
pub fn stream_spec(kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<StreamSpec> {
    let mut spec = StreamSpec::default();
    let Some(kwargs) = kwargs else {
        return Ok(spec);
    };
    for name in STREAM_OPTIONS {
        let Some(value) = kwargs.get_item(name)? else {
            continue;
        };
        kwargs.del_item(name)?;
        if value.is_none() {
            continue;
        }
        match name {
            "last_event_id" => spec.last_event_id = Some(extract_str(&value, name)?),
            "reconnect" => {
                let rule = extract_str(&value, name)?;
                spec.reconnect = Some(stream_spec::reconnect(&rule).map_err(spec_error)?);
            }
            _ => {
                if value.is_instance_of::<PyBool>() || !value.is_instance_of::<PyInt>() {
                    return Err(PyTypeError::new_err(format!(
                        "max_item_bytes must be int, not {}",
                        type_name(&value)
                    )));
                }
                let bytes: f64 = value.extract()?;
                spec.max_item_bytes = Some(stream_spec::max_item_bytes(bytes).map_err(spec_error)?);
            }
        }
    }
    Ok(spec)
}

/// The core stream being read.
enum Reader {
    Events(EventStream),
    Lines(JsonLines<Value>),
}

/// Where a stream is: not opened yet (the asyncio classes open on first
/// use), being read, or closed.
enum Phase {
    Pending(Box<(RequestBuilder, StreamSpec, Kind)>),
    Open(Box<Reader>),
    Closed,
}

/// What a stream yields.
#[derive(Clone, Copy)]
pub enum Kind {
    Events,
    Lines,
}

/// One item, converted to Python on the thread that receives it.
pub enum Item {
    Event(ServerEvent),
    Json(Value),
}

impl<'py> IntoPyObject<'py> for Item {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Item::Event(event) => Ok(Bound::new(py, PyServerEvent { event })?.into_any()),
            Item::Json(value) => Ok(json_to_py(py, &value)?.into_bound(py)),
        }
    }
}

/// The state every stream class wraps.
pub struct Shared {
    phase: Mutex<Phase>,
    closed: AtomicBool,
    closing: Notify,
    last_event_id: StdMutex<Option<String>>,
}

impl Shared {
    /// A stream of `kind` that `request` opens.
    pub fn new(request: RequestBuilder, spec: StreamSpec, kind: Kind) -> Arc<Self> {
        Arc::new(Shared {
            phase: Mutex::new(Phase::Pending(Box::new((request, spec, kind)))),
            closed: AtomicBool::new(false),
            closing: Notify::new(),
            last_event_id: StdMutex::new(None),
        })
    }

    /// Opens the stream unless it is open (or closed) already.
    pub async fn open(self: Arc<Self>) -> Result<(), Failure> {
        let mut phase = self.phase.lock().await;
        Self::open_locked(&mut phase).await
    }

    async fn open_locked(phase: &mut Phase) -> Result<(), Failure> {
        if !matches!(phase, Phase::Pending(..)) {
            return Ok(());
        }
        let Phase::Pending(pending) = std::mem::replace(phase, Phase::Closed) else {
            return Ok(());
        };
        let (request, spec, kind) = *pending;
        *phase = Phase::Open(Box::new(match kind {
            Kind::Events => Reader::Events(spec.open_events(request).await?),
            Kind::Lines => Reader::Lines(spec.open_lines(request, Binding::Python).await?),
        }));
        Ok(())
    }

    /// The next item; `None` at the end, or once the stream is closed
    /// (which also ends a `next` waiting on another thread).
    pub async fn next(self: Arc<Self>) -> Result<Option<Item>, Failure> {
        let closing = self.closing.notified();
        tokio::pin!(closing);
        closing.as_mut().enable();
        if self.closed.load(Ordering::Acquire) {
            return Ok(None);
        }
        tokio::select! {
            biased;
            () = closing => Ok(None),
            item = self.read() => item,
        }
    }

    async fn read(&self) -> Result<Option<Item>, Failure> {
        let mut phase = self.phase.lock().await;
        Self::open_locked(&mut phase).await?;
        let reader = match &mut *phase {
            Phase::Open(reader) => Some(&mut **reader),
            Phase::Pending(..) | Phase::Closed => None,
        };
        let item = match reader {
            Some(Reader::Events(events)) => events.next().await.map(|event| {
                if let Ok(mut id) = self.last_event_id.lock() {
                    *id = events.last_event_id().map(str::to_string);
                }
                event.map(Item::Event)
            }),
            Some(Reader::Lines(lines)) => lines.next().await.map(|value| value.map(Item::Json)),
            None => None,
        };
        Ok(item.transpose()?)
    }

    /// Closes the connection; a `next` waiting on another thread returns the
    /// end of the stream.
    pub async fn close(self: Arc<Self>) -> Result<(), Failure> {
        self.closed.store(true, Ordering::Release);
        self.closing.notify_waiters();
        *self.phase.lock().await = Phase::Closed;
        Ok(())
    }

    fn last_event_id(&self) -> Option<String> {
        self.last_event_id.lock().ok().and_then(|id| id.clone())
    }
}

/// Opens a blocking stream of `kind` (raising at once when opening fails).
pub fn open_blocking(
    py: Python<'_>,
    request: RequestBuilder,
    spec: StreamSpec,
    kind: Kind,
) -> PyResult<Arc<Shared>> {
    let shared = Shared::new(request, spec, kind);
    runtime::block_on(py, shared.clone().open())?;
    Ok(shared)
}

/// The methods of a blocking stream class.
macro_rules! blocking_stream {
    ($class:ident, $name:literal, $doc:literal) => {
        #[doc = $doc]
        #[pyclass(module = "oncely", name = $name, frozen)]
        pub struct $class {
            pub(crate) shared: Arc<Shared>,
        }

        #[pymethods]
        impl $class {
            fn __iter__(slf: Py<Self>) -> Py<Self> {
                slf
            }

            /// The next item (the GIL is released while it waits).
            fn __next__(&self, py: Python<'_>) -> PyResult<Option<Item>> {
                runtime::block_on(py, self.shared.clone().next())
            }

            /// Closes the connection; the iteration ends.
            fn close(&self, py: Python<'_>) -> PyResult<()> {
                runtime::block_on(py, self.shared.clone().close())
            }

            fn __enter__(slf: Py<Self>) -> Py<Self> {
                slf
            }

            #[pyo3(signature = (*_args))]
            fn __exit__(
                &self,
                py: Python<'_>,
                _args: &Bound<'_, pyo3::types::PyTuple>,
            ) -> PyResult<bool> {
                self.close(py)?;
                Ok(false)
            }

            /// The last event id received (`None` before any, and for JSON lines).
            #[getter]
            fn last_event_id(&self) -> Option<String> {
                self.shared.last_event_id()
            }
        }
    };
}

/// The methods of an asyncio stream class.
macro_rules! async_stream {
    ($class:ident, $name:literal, $doc:literal) => {
        #[doc = $doc]
        #[pyclass(module = "oncely", name = $name, frozen)]
        pub struct $class {
            pub(crate) shared: Arc<Shared>,
        }

        #[pymethods]
        impl $class {
            fn __aiter__(slf: Py<Self>) -> Py<Self> {
                slf
            }

            /// Awaits the next item (the first one opens the stream).
            fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                let shared = self.shared.clone();
                aio::into_awaitable(py, async move {
                    match shared.next().await? {
                        Some(item) => Ok(item),
                        None => Err(Failure::Python(PyStopAsyncIteration::new_err(()))),
                    }
                })
            }

            /// Closes the connection; the iteration ends.
            fn aclose<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                aio::into_awaitable(py, self.shared.clone().close())
            }

            fn __aenter__<'py>(slf: Py<Self>, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                let shared = slf.get().shared.clone();
                aio::into_awaitable(py, async move {
                    shared.open().await?;
                    Ok::<Py<Self>, Failure>(slf)
                })
            }

            #[pyo3(signature = (*_args))]
            fn __aexit__<'py>(
                &self,
                py: Python<'py>,
                _args: &Bound<'py, pyo3::types::PyTuple>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let shared = self.shared.clone();
                aio::into_awaitable(py, async move {
                    shared.close().await?;
                    Ok::<bool, Failure>(false)
                })
            }

            /// The last event id received (`None` before any, and for JSON lines).
            #[getter]
            fn last_event_id(&self) -> Option<String> {
                self.shared.last_event_id()
            }
        }
    };
}

blocking_stream!(
    PyEventStream,
    "EventStream",
    "A server-sent event stream: iterate for `ServerEvent`s; reconnects with `Last-Event-ID` when cut."
);
blocking_stream!(
    PyJsonLines,
    "JsonLines",
    "A JSON lines answer: iterate for one decoded JSON value per line."
);
async_stream!(
    PyAsyncEventStream,
    "AsyncEventStream",
    "A server-sent event stream for asyncio: `async for` its `ServerEvent`s."
);
async_stream!(
    PyAsyncJsonLines,
    "AsyncJsonLines",
    "A JSON lines answer for asyncio: `async for` its JSON values."
);
