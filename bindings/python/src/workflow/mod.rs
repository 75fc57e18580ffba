//! `oncely.Workflow`, `oncely.WorkflowEngine`, `oncely.StepContext`: sagas
//! whose steps and compensations are Python callables (plain or `async def`),
//! run by the core's engine on the same journal as Rust and Node — a run
//! started in one language can be inspected and resumed from another.
//!
//! The engine decides everything (order, keys, journal, retries,
//! compensation, leases); the binding calls the Python functions and
//! translates their results and exceptions:
//!
//! - a plain function runs on a blocking thread (never on a runtime worker);
//!   a coroutine runs on the caller's event loop when the run was started
//!   with `await engine.astart(...)`, else in `asyncio.run` on that thread;
//! - the returned value is journaled as JSON (a `Response` gives its JSON
//!   body); an operation step returns an `Operation`, whose resume token is
//!   journaled before waiting;
//! - an exception fails the step: one raised by a context call keeps the
//!   core's classification (retryable, permanent, store), `StepError` says
//!   which it is, any other exception is permanent.
//!
//! One module per concern:
//!
//! - `definition` — `Workflow`: steps and compensations into a core definition
//! - `context` — `StepContext`: what a step gets, and its calls (the step's key)
//! - `invoke` — calling a step's function (plain or coroutine) and journaling its result
//! - `outcome` — `RunOutcome` and run documents as Python values
//! - `engine` — `WorkflowEngine`: start, resume, inspect and work through runs
//! - `arazzo` — `ArazzoWorkflow` / `ArazzoOutcome`: Arazzo workflows run on the same engine
//! - `failure` — step and engine failures as exceptions, and exceptions as step failures

use pyo3_async_runtimes::TaskLocals;

mod arazzo;
mod context;
mod definition;
mod engine;
mod failure;
mod invoke;
mod outcome;

pub use arazzo::{PyArazzoOutcome, PyArazzoWorkflow};
pub use context::PyStepContext;
pub use definition::PyWorkflow;
pub use engine::PyWorkflowEngine;
pub use outcome::PyRunOutcome;

tokio::task_local! {
    /// The event loop of a run started with `astart` / `aresume`: coroutine
    /// steps run there.
    static EVENT_LOOP: TaskLocals;
}
