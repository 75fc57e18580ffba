//! # oncely for Node.js
//!
//! The native half of the npm package `oncely`: napi-rs classes over the Rust
//! core. The package's JS layer (`index.js`, `index.mjs`, `index.d.ts`) wraps
//! them into the public API — `Client`, `Operation`, `Workflow` and the error
//! classes — and only translates values and errors: every decision (keys,
//! retries, polling, problems, compensation) is the core's, and the rules for
//! options, store locations and error kinds are shared with the Python
//! binding (`oncely-bindings-common`).
//!
//! - [`client`]: `NativeClient` and `NativeStore`.
//! - [`operation`]: `NativeOperation` (202 polling, progress, resume tokens).
//! - [`workflow`]: `NativeWorkflow` (sagas whose steps are JS functions).
//! - [`arazzo`]: `NativeArazzoWorkflow` (Arazzo workflows on the same engine).
//! - [`pages`]: `NativePages` (auto-pagination of list operations).
//! - [`outbox`]: `NativeOutboxCall` and `NativeOutbox` (the transactional outbox).
//! - [`webhook`]: webhook verification and signing, `NativeWebhookInbox` (each event processed once).
//! - [`cancel`]: `CancelToken` (from an `AbortSignal`) and the boundary guard.
//! - [`convert`]: options (into the shared specs), the one request path for
//!   clients and step contexts, and responses across the boundary.
//! - [`errors`]: core errors as payloads the JS layer turns into classes.
//! - [`settle`]: finished client calls back to the JS thread.
//! - [`stream`]: `NativeEventStream` and `NativeLineStream` (streamed answers).
//! - [`telemetry`]: OTLP export of the core's spans and metrics from the environment.
//!
//! All I/O runs on napi's tokio runtime; promises settle on the JS thread.
//! Panics are caught at every entry point and reported as errors.

#![deny(clippy::all)]

pub mod arazzo;
pub mod cancel;
pub mod client;
pub mod convert;
pub mod errors;
pub mod operation;
pub mod outbox;
pub mod pages;
pub mod settle;
pub mod stream;
pub mod telemetry;
pub mod webhook;
pub mod workflow;

use napi::bindgen_prelude::PromiseRaw;
use napi::Env;
use napi_derive::napi;

/// Sets up the tokio runtime every call runs on: `ONCELY_WORKER_THREADS`
/// worker threads (default: one per core beyond the JS thread, at least one,
/// at most four — the JS thread does the rest of the work).
#[napi_derive::module_init]
fn init_runtime() {
    let cores = std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(2);
    let threads = std::env::var("ONCELY_WORKER_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| cores.saturating_sub(1).clamp(1, 4));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("oncely-io")
        .enable_all()
        .build();
    // Without a runtime of our own, napi builds its default one.
    if let Ok(runtime) = runtime {
        napi::bindgen_prelude::create_custom_tokio_runtime(runtime);
    }
}

/// The version of the native addon (the crate version).
#[napi(catch_unwind)]
pub fn native_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Test hook: panics inside the addon, synchronously (`"sync"`) or inside a
/// future on the runtime (`"async"`), to prove a panic never crashes the process.
#[napi(
    catch_unwind,
    js_name = "__panicForTests",
    ts_return_type = "Promise<void> | void"
)]
pub fn panic_for_tests(env: &Env, mode: String) -> napi::Result<Option<PromiseRaw<'_, ()>>> {
    if mode == "sync" {
        panic!("deliberate panic for tests (sync)");
    }
    let fut = async move {
        if mode == "async" {
            panic!("deliberate panic for tests (async)");
        }
        Ok(())
    };
    env.spawn_future(cancel::guard(fut, None)).map(Some)
}
