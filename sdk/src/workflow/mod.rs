//! Durable workflows (sagas): ordered steps with compensations, journaled in
//! the same store as the idempotency records, resumable after a crash.
//!
//! - A [`Workflow`] is a list of named steps; each is an async action (and
//!   optionally a compensation) that gets a [`StepContext`]: the client, the
//!   run's input, the outputs of earlier steps and the step's idempotency key.
//! - Step keys are UUIDv5(run id, step name) ([`step_key`]); compensation keys
//!   add the compensation generation ([`compensation_key`]). `ctx.post(…)`
//!   returns a request already carrying the key, so a re-run after a crash
//!   sends the same key and the server replays instead of repeating.
//! - The journal ([`crate::store::Journal`]) records each step as started,
//!   succeeded (with its output) or failed (with its error), each change in one
//!   transaction. [`Engine::resume`] continues a run: finished steps are not
//!   called again, the in-flight step is re-sent with its key, a `202`
//!   operation is polled from its journaled resume token.
//! - A permanent failure compensates the finished steps in reverse; a
//!   compensation that keeps failing parks the run as `needs_attention`.
//! - A step whose retries were spent may still have taken effect (its answer
//!   was lost): it is *settled* before compensating — sent again with its key,
//!   so the server replays what it did — then compensated like a finished
//!   step; a definitive rejection proves it never happened; a step that cannot
//!   be settled parks the run ([`StepError::is_ambiguous`]).
//! - Runs are leased, so workers sharing a store never execute one run twice
//!   at once; a dead worker's runs are taken over when the lease expires.
//! - [`list_runs`], [`show_run`], [`mark_for_retry`] and [`mark_for_resume`]
//!   inspect and steer runs (the `oncely runs` command is built on them).
//! - Every run is a `tracing` span (`oncely.workflow.run`: `run_id`,
//!   `workflow`) and every step one inside it (`oncely.workflow.step`: `step`,
//!   `phase`, `key`, `attempt`); the client's call and attempt spans nest
//!   inside, so the run id and step name appear on every attempt.
//! - A workflow whose step list (names and order, [`Workflow::fingerprint`])
//!   changed between a crash and the resume is refused with
//!   [`WorkflowError::DefinitionChanged`] before anything executes.
//!
//! ```no_run
//! use oncely::workflow::{Engine, StepContext, StepError, Workflow};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! struct Order { id: String }
//! #[derive(Serialize, Deserialize)]
//! struct Payment { id: String }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let saga = Workflow::builder("order")
//!     .step("create_order", |ctx: StepContext| async move {
//!         Ok(ctx.post("/orders").json(&ctx.input::<serde_json::Value>()?).send_json::<Order>().await?)
//!     })
//!     .compensate(|ctx: StepContext| async move {
//!         let order: Order = ctx.own_output()?;
//!         ctx.post("/orders/{id}/cancel").path_param("id", &order.id).send_empty().await?;
//!         Ok(())
//!     })
//!     .step("authorize_payment", |ctx: StepContext| async move {
//!         let order: Order = ctx.output("create_order")?;
//!         let payment: Payment = ctx
//!             .post("/orders/{id}/payments")
//!             .path_param("id", &order.id)
//!             .json(&serde_json::json!({"amount": 1200, "currency": "EUR", "payment_method": "pm_card_visa"}))
//!             .send_json()
//!             .await?;
//!         Ok::<_, StepError>(payment)
//!     })
//!     .build()?;
//!
//! let client = oncely::Client::builder("https://api.example.com")
//!     .store(oncely::SqliteStore::open("oncely.db")?)
//!     .build()?;
//! let engine = Engine::for_client(client)?.register(saga.clone());
//! let outcome = engine.start(&saga, Some("order-8812"), &serde_json::json!({"customer_id": "c_1"})).await?;
//! println!("{} is {}", outcome.run_id, outcome.state);
//! # Ok(()) }
//! ```

mod compensate;
mod context;
mod definition;
mod error;
mod inspect;
mod run;

pub use crate::store::{RunFilter, RunRecord, RunState};
pub use context::{compensation_key, key_namespace, step_key, StepContext};
pub use definition::{Workflow, WorkflowBuilder};
pub use error::{StepError, StepErrorKind, WorkflowError};
pub use inspect::{
    format_time, list_runs, mark_for_resume, mark_for_retry, show_run, RunDetails, WorkerStats,
};
pub use run::{Engine, RunOutcome};
