//! # oncely for Node.js
//!
//! The native half of the npm package `oncely`: napi-rs classes over the Rust
//! core. The package's JS layer (`index.js`, `index.mjs`, `index.d.ts`) wraps
//! them into the public API — `Client`, `Operation`, `Workflow` and the error
//! classes — and only translates values and errors: every decision (keys,
//! retries, polling, problems, compensation) is the core's.
//!
//! - [`client`]: `NativeClient` and `NativeStore`.
//! - [`operation`]: `NativeOperation` (202 polling, progress, resume tokens).
//! - [`workflow`]: `NativeWorkflow` (sagas whose steps are JS functions).
//! - [`cancel`]: `CancelToken` (from an `AbortSignal`) and the boundary guard.
//! - [`convert`]: options and responses across the boundary.
//! - [`errors`]: core errors as payloads the JS layer turns into classes.
//!
//! All I/O runs on napi's tokio runtime; promises settle on the JS thread.
//! Panics are caught at every entry point and reported as errors.

#![deny(clippy::all)]

pub mod cancel;
pub mod client;
pub mod convert;
pub mod errors;
pub mod operation;
pub mod workflow;

use napi::bindgen_prelude::PromiseRaw;
use napi::Env;
use napi_derive::napi;

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
