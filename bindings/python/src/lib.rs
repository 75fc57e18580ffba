//! `oncely._native`: the Python binding of the oncely Rust core.
//!
//! The Python package `oncely` (bindings/python/python/oncely) re-exports
//! this module. The binding decides nothing itself: retries, idempotency keys,
//! stores, polling and problem parsing all happen in the core, and the rules
//! for options, store locations and error kinds are shared with the Node
//! binding (`oncely-bindings-common`); the modules here translate arguments,
//! results and errors.
//!
//! - `client` — `Client` / `AsyncClient`
//! - `request` — one call's keyword arguments, prepared on a client or a step
//! - `verbs` — `get`/`post`/`put`/`patch`/`delete`, written once for every caller
//! - `response` — `Response`
//! - `operation` — `Operation` / `AsyncOperation` (202 polling)
//! - `pages` — `Pages` / `AsyncPages`, `Page` (auto-pagination of list operations)
//! - `workflow` — `Workflow`, `WorkflowEngine`, `StepContext` (sagas on the core's journal),
//!   `ArazzoWorkflow` (Arazzo workflows on the same engine)
//! - `outbox` — `OutboxCall`, `Outbox` (the transactional outbox and its dispatcher)
//! - `webhook` — webhook verification and signing, `WebhookInbox` (each event processed once)
//! - `options` — `RetryPolicy`, `RetryBudget`, `CircuitBreaker`, client options (into the shared `ClientSpec`)
//! - `telemetry` — the caller's OpenTelemetry trace context into each call; OTLP export from the environment
//! - `store` — `Store`
//! - `stream` — `EventStream`, `JsonLines` and their asyncio twins, `ServerEvent` (streamed answers)
//! - `errors` — the exception hierarchy
//! - `convert` — JSON, headers, parameters
//! - `runtime` — the shared tokio runtime, GIL release, panic shield, shutdown
//! - `aio` — Rust futures as asyncio awaitables
//! - `logging` — `tracing` events into Python `logging`

use pyo3::prelude::*;

mod aio;
mod client;
mod convert;
mod errors;
mod logging;
mod operation;
mod options;
mod outbox;
mod pages;
mod request;
mod response;
mod runtime;
mod store;
mod stream;
mod telemetry;
mod verbs;
mod webhook;
mod workflow;

/// Panics on purpose, to test that a Rust panic becomes `oncely.InternalError`
/// and never crashes the interpreter. `where_`: `"sync"` (in a plain call),
/// `"blocking"` (inside a blocking core call) or `"async"` (inside a coroutine).
#[pyfunction]
#[pyo3(name = "_panic_for_test")]
fn panic_for_test<'py>(py: Python<'py>, where_: &str) -> PyResult<Bound<'py, PyAny>> {
    match where_ {
        "sync" => runtime::shield(py, || -> PyResult<Bound<'py, PyAny>> {
            panic!("test panic (sync)")
        }),
        "blocking" => runtime::block_on(py, async {
            panic!("test panic (blocking)");
            #[allow(unreachable_code)]
            Ok::<(), errors::Failure>(())
        })
        .map(|()| py.None().into_bound(py)),
        _ => aio::into_awaitable(py, async {
            panic!("test panic (async)");
            #[allow(unreachable_code)]
            Ok::<(), errors::Failure>(())
        }),
    }
}

/// The native module.
#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    errors::register(m)?;
    logging::install(py)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<client::PyClient>()?;
    m.add_class::<client::PyAsyncClient>()?;
    m.add_class::<response::PyResponse>()?;
    m.add_class::<operation::PyOperation>()?;
    m.add_class::<operation::PyAsyncOperation>()?;
    m.add_class::<operation::PyProgress>()?;
    m.add_class::<operation::PyDone>()?;
    m.add_class::<pages::PyPage>()?;
    m.add_class::<pages::PyPages>()?;
    m.add_class::<pages::PyPageItems>()?;
    m.add_class::<pages::PyAsyncPages>()?;
    m.add_class::<pages::PyAsyncPageItems>()?;
    m.add_class::<options::PyRetryPolicy>()?;
    m.add_class::<options::PyRetryBudget>()?;
    m.add_class::<options::PyCircuitBreaker>()?;
    m.add_class::<store::PyStore>()?;
    m.add_class::<stream::PyServerEvent>()?;
    m.add_class::<stream::PyEventStream>()?;
    m.add_class::<stream::PyJsonLines>()?;
    m.add_class::<stream::PyAsyncEventStream>()?;
    m.add_class::<stream::PyAsyncJsonLines>()?;
    m.add_class::<workflow::PyWorkflow>()?;
    m.add_class::<workflow::PyWorkflowEngine>()?;
    m.add_class::<workflow::PyStepContext>()?;
    m.add_class::<workflow::PyRunOutcome>()?;
    m.add_class::<workflow::PyArazzoWorkflow>()?;
    m.add_class::<workflow::PyArazzoOutcome>()?;
    m.add_class::<outbox::PyOutboxCall>()?;
    m.add_class::<outbox::PyOutbox>()?;
    m.add_class::<webhook::PyWebhookInbox>()?;
    m.add_function(wrap_pyfunction!(webhook::verify_standard_webhook, m)?)?;
    m.add_function(wrap_pyfunction!(webhook::verify_stripe_webhook, m)?)?;
    m.add_function(wrap_pyfunction!(webhook::sign_webhook, m)?)?;
    m.add_function(wrap_pyfunction!(webhook::webhook_claim_sql, m)?)?;
    m.add_function(wrap_pyfunction!(logging::refresh_logging, m)?)?;
    m.add_function(wrap_pyfunction!(telemetry::flush_telemetry, m)?)?;
    m.add_function(wrap_pyfunction!(telemetry::telemetry_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(panic_for_test, m)?)?;
    m.add_function(wrap_pyfunction!(runtime::shutdown, m)?)?;
    runtime::register_shutdown(m)?;
    Ok(())
}
