//! The one tokio runtime every client shares (created on first use), and the
//! two ways Python waits for Rust futures on it:
//!
//! - [`block_on`] for the synchronous API: the GIL is released while the
//!   future runs, Ctrl-C still interrupts (signals are checked every 100 ms),
//!   and a panic becomes `oncely.InternalError`.
//! - [`into_awaitable`] for the asyncio API (pyo3-async-runtimes).

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Once;
use std::time::Duration;

use futures::FutureExt;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyModule;
use tokio::runtime::{Handle, Runtime, RuntimeFlavor};

use crate::errors::Failure;

/// How often a blocking call lets Python run its signal handlers.
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

static CONFIGURE: Once = Once::new();

/// The shared multi-threaded runtime (worker threads named `oncely-worker`).
pub fn runtime() -> &'static Runtime {
    CONFIGURE.call_once(|| {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.enable_all().thread_name("oncely-worker");
        pyo3_async_runtimes::tokio::init(builder);
    });
    pyo3_async_runtimes::tokio::get_runtime()
}

/// Runs `future` to completion with the GIL released and returns its result.
///
/// Works from any thread, including oncely's own worker threads (a workflow
/// step that calls the synchronous client). A pending `KeyboardInterrupt` (or
/// any exception raised by a signal handler) cancels the future.
pub fn block_on<F, T>(py: Python<'_>, future: F) -> PyResult<T>
where
    F: Future<Output = Result<T, Failure>> + Send,
    T: Send,
{
    let outcome = py.detach(|| {
        let guarded = async {
            let shielded = AssertUnwindSafe(future).catch_unwind();
            tokio::pin!(shielded);
            loop {
                tokio::select! {
                    out = &mut shielded => {
                        return out.unwrap_or_else(|panic| Err(Failure::from_panic(panic)));
                    }
                    _ = tokio::time::sleep(SIGNAL_CHECK) => {
                        Python::attach(|py| py.check_signals())?;
                    }
                }
            }
        };
        match Handle::try_current() {
            Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(|| handle.block_on(guarded))
            }
            _ => runtime().block_on(guarded),
        }
    });
    outcome.map_err(|failure| failure.into_pyerr(py))
}

/// Turns `future` into an asyncio awaitable on the running event loop.
/// Cancelling the awaitable drops (cancels) the future.
pub fn into_awaitable<'py, F, T>(py: Python<'py>, future: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = Result<T, Failure>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    // Make sure our runtime configuration is the one pyo3-async-runtimes uses.
    let _ = runtime();
    let awaitable = pyo3_async_runtimes::tokio::future_into_py(py, async move {
        let out = AssertUnwindSafe(future)
            .catch_unwind()
            .await
            .unwrap_or_else(|panic| Err(Failure::from_panic(panic)));
        out.map_err(|failure| Python::attach(|py| failure.into_pyerr(py)))
    })?;
    // An asyncio.Future is awaitable but not a coroutine; wrap it so that
    // `asyncio.create_task(client.get(...))` and task groups work too.
    coroutine_wrapper(py)?.call1((awaitable,))
}

static WRAPPER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// `async def _await(future): return await future`, compiled once.
fn coroutine_wrapper(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    WRAPPER
        .get_or_try_init(py, || {
            let module = PyModule::from_code(
                py,
                c"async def _await(future):\n    return await future\n",
                c"oncely/_runtime.py",
                c"oncely._runtime",
            )?;
            Ok::<_, PyErr>(module.getattr("_await")?.unbind())
        })
        .map(|f| f.bind(py))
}

/// Runs `f` and turns a panic into `oncely.InternalError`: the guard every
/// synchronous entry point that does real work goes through.
pub fn shield<T>(py: Python<'_>, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    std::panic::catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|panic| Err(Failure::from_panic(panic).into_pyerr(py)))
}
