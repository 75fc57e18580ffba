//! The one tokio runtime every client shares (created on first use by
//! pyo3-async-runtimes), and how Rust code meets the interpreter:
//!
//! - [`block_on`] for the synchronous API: the GIL is released while the
//!   future runs, Ctrl-C still interrupts (signals are checked every 100 ms),
//!   and a panic becomes `oncely.InternalError`. The asyncio API is in
//!   [`crate::aio`].
//! - [`with_gil`] for the rare Python calls made from worker threads (log
//!   records, progress callbacks): they stop when the interpreter begins to
//!   shut down, and the shutdown waits for the ones under way, so no worker
//!   thread is inside Python while the interpreter is torn down.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::mpsc::RecvTimeoutError;
use std::sync::Once;
use std::time::Duration;

use futures::FutureExt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use pyo3::prelude::*;
use pyo3::types::PyModule;
use tokio::runtime::{Handle, Runtime, RuntimeFlavor};

use crate::errors::Failure;

/// How often a blocking call lets Python run its signal handlers.
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

static CONFIGURE: Once = Once::new();

/// How many worker threads the runtime gets: `ONCELY_WORKER_THREADS`, else a
/// quarter of the cores (at least one). The Python side, not Rust, limits a
/// Python process: few workers keep a call's task, its connection task and
/// the socket on one thread, and a blocking call costs two thread wake-ups
/// instead of a chain of work-stealing hand-offs (measured: ~1.7x the
/// sequential throughput of one worker per core on two cores).
fn worker_threads() -> usize {
    std::env::var("ONCELY_WORKER_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| {
            let cores = std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1);
            (cores / 4).max(1)
        })
}

/// The shared multi-threaded runtime (worker threads named `oncely-worker`).
pub fn runtime() -> &'static Runtime {
    CONFIGURE.call_once(|| {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.enable_all().thread_name("oncely-worker");
        builder.worker_threads(worker_threads());
        pyo3_async_runtimes::tokio::init(builder);
    });
    pyo3_async_runtimes::tokio::get_runtime()
}

/// Runs `future` to completion with the GIL released and returns its result.
///
/// The future runs as a task on the runtime's workers (next to the
/// connection tasks it talks to) while this thread waits on a channel, waking
/// every 100 ms to let Python run its signal handlers: a pending
/// `KeyboardInterrupt` (or any exception a handler raises) aborts the task.
/// Waiting on a channel rather than a runtime timer keeps a call to one
/// wake-up of a worker and one of this thread. Works from any thread,
/// including oncely's own (a workflow step that calls the blocking client).
pub fn block_on<F, T>(py: Python<'_>, future: F) -> PyResult<T>
where
    F: Future<Output = Result<T, Failure>> + Send + 'static,
    T: Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::sync_channel::<Result<T, Failure>>(1);
    let task = runtime().spawn(async move {
        let out = AssertUnwindSafe(future)
            .catch_unwind()
            .await
            .unwrap_or_else(|panic| Err(Failure::from_panic(panic)));
        let _ = tx.send(out);
    });
    let outcome = py.detach(move || {
        let wait = || loop {
            match rx.recv_timeout(SIGNAL_CHECK) {
                Ok(out) => return out,
                Err(RecvTimeoutError::Timeout) => {
                    if let Some(Err(e)) = with_gil(|py| py.check_signals()) {
                        task.abort();
                        return Err(Failure::Python(e));
                    }
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(Failure::Panic(
                        "the call's task ended without an answer".into(),
                    ));
                }
            }
        };
        match Handle::try_current() {
            // On a worker thread: let the runtime move its other tasks away.
            Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(wait)
            }
            _ => wait(),
        }
    });
    outcome.map_err(|failure| failure.into_pyerr(py))
}

/// Runs `f` and turns a panic into `oncely.InternalError`: the guard every
/// synchronous entry point that does real work goes through.
pub fn shield<T>(py: Python<'_>, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    std::panic::catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|panic| Err(Failure::from_panic(panic).into_pyerr(py)))
}

/// Set when the interpreter starts shutting down (`atexit`).
static SHUTTING_DOWN: AtomicBool = AtomicBool::new(false);
/// How many threads are inside [`with_gil`] right now.
static ACTIVE: AtomicUsize = AtomicUsize::new(0);

/// Runs `f` with the GIL, unless the interpreter is shutting down (then
/// `None`). Use it for every Python call made from a thread Python does not
/// know about.
pub fn with_gil<R>(f: impl for<'py> FnOnce(Python<'py>) -> R) -> Option<R> {
    ACTIVE.fetch_add(1, Ordering::SeqCst);
    let out = if SHUTTING_DOWN.load(Ordering::SeqCst) {
        None
    } else {
        Some(Python::attach(f))
    };
    ACTIVE.fetch_sub(1, Ordering::SeqCst);
    out
}

/// Registered with `atexit`: stops worker threads from entering Python and
/// waits (at most 2 s, with the GIL released) for those inside it.
#[pyfunction]
#[pyo3(name = "_shutdown")]
pub fn shutdown(py: Python<'_>) {
    SHUTTING_DOWN.store(true, Ordering::SeqCst);
    py.detach(|| {
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        while ACTIVE.load(Ordering::SeqCst) > 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}

/// Registers [`shutdown`] with `atexit`.
pub fn register_shutdown(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    let hook = module.getattr("_shutdown")?;
    py.import("atexit")?.call_method1("register", (hook,))?;
    Ok(())
}
