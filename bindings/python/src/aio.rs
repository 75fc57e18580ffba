//! The asyncio bridge: a Rust future becomes an awaitable on the running
//! event loop.
//!
//! The future runs on the shared tokio runtime. When it ends, its result is
//! queued for the event loop and the loop is woken through a socket pair it
//! watches (`loop.add_reader`); the loop thread then converts the result and
//! resolves the `asyncio.Future`. Worker threads therefore never take the GIL
//! to deliver a result: no contention with the loop thread, one wake-up for a
//! whole batch of results, and nothing running Python code on a worker when
//! the interpreter shuts down. (pyo3-async-runtimes' `future_into_py` takes
//! the GIL on a blocking thread for every result instead; we keep its
//! runtime, not that path.)
//!
//! Cancelling the awaiting task aborts the Rust future.

use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures::FutureExt;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyModule;
use pyo3::IntoPyObjectExt;
use tokio::task::AbortHandle;

use crate::errors::Failure;
use crate::runtime;

/// Turns a finished result into a Python value, on the loop thread.
type Deliver = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

struct Completion {
    future: Py<PyAny>,
    deliver: Deliver,
}

/// The results waiting for one event loop, and the socket pair that wakes it.
struct Queue {
    items: Mutex<Vec<Completion>>,
    wake_pending: AtomicBool,
    reader: UnixStream,
    writer: UnixStream,
}

impl Queue {
    fn push(&self, completion: Completion) {
        if let Ok(mut items) = self.items.lock() {
            items.push(completion);
        }
        if !self.wake_pending.swap(true, Ordering::AcqRel) {
            // A full socket buffer means a wake-up is already pending.
            let _ = (&self.writer).write(&[1]);
        }
    }
}

/// The per-loop waker: registered with `loop.add_reader`, it resolves the
/// futures whose results arrived.
#[pyclass(module = "oncely._native", name = "_LoopWaker", frozen)]
pub struct LoopWaker {
    queue: Arc<Queue>,
}

#[pymethods]
impl LoopWaker {
    /// Called by the event loop when the socket is readable.
    fn __call__(&self, py: Python<'_>) -> PyResult<()> {
        let mut buf = [0u8; 256];
        loop {
            match (&self.queue.reader).read(&mut buf) {
                Ok(0) => break,
                Ok(_) => continue,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        self.queue.wake_pending.store(false, Ordering::Release);
        let items = match self.queue.items.lock() {
            Ok(mut items) => std::mem::take(&mut *items),
            Err(_) => return Ok(()),
        };
        for Completion { future, deliver } in items {
            let future = future.bind(py);
            // A cancelled future has no one waiting for it.
            if future
                .call_method0(pyo3::intern!(py, "done"))?
                .is_truthy()?
            {
                continue;
            }
            match deliver(py) {
                Ok(value) => future.call_method1(pyo3::intern!(py, "set_result"), (value,))?,
                Err(err) => future
                    .call_method1(pyo3::intern!(py, "set_exception"), (err.into_value(py),))?,
            };
        }
        Ok(())
    }
}

/// Aborts the Rust future of a cancelled call.
#[pyclass(module = "oncely._native", name = "_Abort", frozen)]
pub struct Abort {
    handle: AbortHandle,
}

#[pymethods]
impl Abort {
    fn __call__(&self) {
        self.handle.abort();
    }
}

struct Helpers {
    get_running_loop: Py<PyAny>,
    wrap: Py<PyAny>,
}

static HELPERS: PyOnceLock<Helpers> = PyOnceLock::new();

const HELPER_CODE: &std::ffi::CStr = c"
import asyncio

async def _await(future, abort):
    try:
        return await future
    except asyncio.CancelledError:
        abort()
        raise
";

fn helpers(py: Python<'_>) -> PyResult<&Helpers> {
    HELPERS.get_or_try_init(py, || {
        let module = PyModule::from_code(py, HELPER_CODE, c"oncely/_aio.py", c"oncely._aio")?;
        Ok(Helpers {
            get_running_loop: py.import("asyncio")?.getattr("get_running_loop")?.unbind(),
            wrap: module.getattr("_await")?.unbind(),
        })
    })
}

const WAKER_ATTR: &str = "_oncely_waker";

/// The waker of `event_loop`, created and registered on first use.
fn waker_for<'py>(event_loop: &Bound<'py, PyAny>) -> PyResult<Bound<'py, LoopWaker>> {
    if let Ok(existing) = event_loop.getattr(WAKER_ATTR) {
        if let Ok(waker) = existing.cast_into::<LoopWaker>() {
            return Ok(waker);
        }
    }
    let py = event_loop.py();
    let (reader, writer) = UnixStream::pair()
        .map_err(|e| PyRuntimeError::new_err(format!("cannot create the event loop waker: {e}")))?;
    for end in [&reader, &writer] {
        end.set_nonblocking(true).map_err(|e| {
            PyRuntimeError::new_err(format!("cannot create the event loop waker: {e}"))
        })?;
    }
    let fd = reader.as_raw_fd();
    let waker = Bound::new(
        py,
        LoopWaker {
            queue: Arc::new(Queue {
                items: Mutex::new(Vec::new()),
                wake_pending: AtomicBool::new(false),
                reader,
                writer,
            }),
        },
    )?;
    event_loop.call_method1("add_reader", (fd, waker.clone()))?;
    event_loop.setattr(WAKER_ATTR, waker.clone()).map_err(|_| {
        PyRuntimeError::new_err(
            "oncely.AsyncClient needs an asyncio event loop that accepts attributes",
        )
    })?;
    Ok(waker)
}

/// Runs `future` on the shared runtime and returns a coroutine that the
/// running event loop can await (or wrap in a task).
pub fn into_awaitable<'py, F, T>(py: Python<'py>, future: F) -> PyResult<Bound<'py, PyAny>>
where
    F: std::future::Future<Output = Result<T, Failure>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    let helpers = helpers(py)?;
    let event_loop = helpers.get_running_loop.bind(py).call0().map_err(|_| {
        PyRuntimeError::new_err(
            "oncely: async calls must be awaited inside a running asyncio event loop",
        )
    })?;
    let queue = waker_for(&event_loop)?.get().queue.clone();
    let py_future = event_loop.call_method0(pyo3::intern!(py, "create_future"))?;
    let target = py_future.clone().unbind();
    let task = runtime::runtime().spawn(async move {
        let out = AssertUnwindSafe(future)
            .catch_unwind()
            .await
            .unwrap_or_else(|panic| Err(Failure::from_panic(panic)));
        let deliver: Deliver = Box::new(move |py| match out {
            Ok(value) => value.into_py_any(py),
            Err(failure) => Err(failure.into_pyerr(py)),
        });
        queue.push(Completion {
            future: target,
            deliver,
        });
    });
    let abort = Bound::new(
        py,
        Abort {
            handle: task.abort_handle(),
        },
    )?;
    helpers.wrap.bind(py).call1((py_future, abort))
}
