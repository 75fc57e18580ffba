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
//!   succeeded (with its output) or failed (with its error); a step's result
//!   and the next step's start share one transaction (see the crash points
//!   below). [`Engine::resume`] continues a run: finished steps are not
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
//! - A driven workflow ([`Workflow::driven`], [`StepDriver`]) decides its
//!   next step from the journaled outputs of the steps before it (an
//!   interpreter's `goto`, a repeated step); it is journaled, keyed, resumed
//!   and compensated like a fixed one.
//! - A workflow whose step list (names and order, [`Workflow::fingerprint`])
//!   changed between a crash and the resume is refused with
//!   [`WorkflowError::DefinitionChanged`] before anything executes.
//!
//! # Commits and crash points
//!
//! A journal commit is the price of every guarantee, so the engine makes as
//! few as keep them all: **one per step**. A run of `n` steps started with
//! [`Engine::start`] commits `n + 2` times (plus one per `202` operation's
//! token and one per retried attempt):
//!
//! | commit | holds |
//! |---|---|
//! | create | the run, pending, leased to this worker ([`Journal::create_run_leased`](crate::store::Journal::create_run_leased)) |
//! | first start | step 1 started (attempt 1), the run running |
//! | step *k*'s result | step *k*'s output **and** step *k + 1*'s start |
//! | last result | the last output **and** the run completed, its lease given up |
//! | a `202` step's token | after the submit, before polling |
//! | a retry | the failed attempt **and** the retry's start, after the backoff |
//!
//! Every commit is fenced (applied only while this worker holds the lease,
//! which it extends), and a step's calls go out only after the commit holding
//! its start: a step's start has to be durable before its request, and
//! nothing happens between one step's result and the next step's request, so
//! one commit serves both. A run taken by [`Engine::resume`] or a worker
//! (enqueued, or left by a crashed worker) is leased by an *acquire* or
//! *claim* commit instead. On SQLite the commits of concurrent runs are
//! grouped by the store's writer thread (one transaction for every run whose
//! write is waiting; each caller waits for its group's commit, so each is as
//! durable as a transaction of its own); on PostgreSQL each is one statement,
//! one round trip.
//!
//! **Idempotency records of a step.** A step's keys are UUIDv5 of the run id
//! and the step name (and the call's number): a function of the journal, not
//! of a stored record. On a step's first attempt, when the step had no
//! journal row as this execution reached it, its keys were never sent (a send
//! always follows its start's commit), so nothing can be known about them and
//! their records are written lazily, as a generated key's are — on SQLite
//! queued for the writer and committed with the step's result or before it,
//! on PostgreSQL queued for a background task that writes many calls'
//! records in one round trip; never on the call's path. A resumed step (its row exists) uses the full
//! protocol, committed before sending, so a call that finished before the
//! crash is answered from the store. This is one commit per step where an
//! intent record before the request and its answer after would be two more.
//!
//! What a resumed run sees if the process dies…
//!
//! | …here | the resumed run sees | why no side effect doubles |
//! |---|---|---|
//! | before *create* | no run | the caller's start with the same run id creates it; nothing was sent |
//! | after *create* (leased), before the first start | a pending run, leased until the lease expires | taken over then; nothing was sent (a pending run has no steps) |
//! | after an enqueued run's *create*, before *acquire* | a pending run, no lease | any worker takes it; nothing was sent |
//! | after a step's start, its request sent or not | the step started | sent again with the same key: the server replays its stored answer, answers `409` while the first is in flight (retried with the key), or applies it now if it never arrived |
//! | after the answer, before the result's commit | the step started | as above: the same key fetches the same answer |
//! | after step *k*'s result and *k + 1*'s start | step *k* succeeded with its output, *k + 1* started | step *k* is never called again; *k + 1* as above |
//! | after a `202` submit, before its token's commit | the step started, no token | submitted again with the same key: the server replays the same `202`, the same operation |
//! | after the token's commit, while polling | the journaled token | the operation is polled, not submitted again |
//! | during a retry's backoff | the previous attempt started | as a started step (the failed attempt's record, not committed yet, is missing from the history) |
//! | before a permanent failure's commit (failed, compensating) | the step started | sent again; no compensation was sent before that commit |
//! | after the last result and the completion | the run completed, no lease | nothing runs; the outcome is reported |
//! | around a compensation | its start committed before it is sent, its result after | sent again with the compensation's key |
//! | with a step's lazy records still queued (SQLite writer, PostgreSQL background task) | no record, or one in flight | the same key is sent and the server replays: for a journaled step the record is a cache, the journal and the server's key are the guarantee |
//!
//! `tests/workflow_crash_points.rs` loses each commit of a run, before and
//! after it is applied, on SQLite and PostgreSQL, and checks the ledger.
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
mod driven;
mod error;
mod inspect;
mod run;

pub use crate::store::{RunFilter, RunRecord, RunState};
pub use context::{compensation_key, key_namespace, step_key, StepContext};
pub use definition::{Workflow, WorkflowBuilder};
pub use driven::{DrivenStep, StepCursor, StepDriver};
pub use error::{StepError, StepErrorKind, WorkflowError};
pub use inspect::{
    format_time, list_runs, mark_for_resume, mark_for_retry, show_run, RunDetails, WorkerStats,
};
pub use run::{Engine, RunOutcome};
