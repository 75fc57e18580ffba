//! # oncely — calls to remote APIs that happen once
//!
//! A payment, an order, a provisioning request: when the network drops the
//! answer after the server committed, a blind retry does it twice. oncely makes
//! such calls safe to repeat and repeats them for you:
//!
//! - **Idempotency keys** ([`idempotency`]) on every POST and PATCH, the same key
//!   on every retry, derived from your *intent id* when you give one, and
//!   persisted in a [`Store`] ([`SqliteStore`] survives restarts) so a restarted
//!   process re-sends the same key — or gets the recorded answer without a call.
//! - **Retries** ([`retry`]) with full-jitter exponential backoff, honouring
//!   `Retry-After`, `retry-after-ms` and `x-should-retry`, bounded by a per-attempt
//!   timeout, an overall deadline, a retry budget and a per-host circuit breaker.
//!   The backoff schedule is oncely's own (small and tested in
//!   `retry::policy`), not the unmaintained `backoff` crate.
//! - **Long-running operations** ([`operation`]): a `202 Accepted` becomes an
//!   [`Operation`] you can wait on, poll, or resume from a token in another process.
//! - **Problem details** ([`problem`]): RFC 9457 / 7807 bodies become typed
//!   [`Error::Problem`]s; bodies that are not problems are kept raw.
//! - **Streamed answers** ([`stream`]): server-sent events as an
//!   [`EventStream`] that reconnects with `Last-Event-ID`, JSON Lines as
//!   [`JsonLines`] of typed items, both read as they arrive.
//! - **Transport**: hyper's pooled client (HTTP/1.1, and HTTP/2 where TLS
//!   negotiates it), rustls with the operating system's certificate verifier
//!   ([`ClientBuilder::add_root_certificate`] for a private CA), and HTTP or
//!   SOCKS5 proxies from `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY`/`NO_PROXY` or
//!   [`ClientBuilder::proxy`].
//!
//! ```no_run
//! use oncely::{Client, SqliteStore};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize)]
//! struct NewOrder<'a> { customer_id: &'a str, currency: &'a str }
//! #[derive(Deserialize)]
//! struct Order { id: String }
//!
//! # async fn run() -> Result<(), oncely::Error> {
//! let client = Client::builder("https://api.example.com")
//!     .bearer_token("sk_test_123")
//!     .store(SqliteStore::open("oncely.db")?)
//!     .build()?;
//! let order: Order = client
//!     .post("/orders")
//!     .json(&NewOrder { customer_id: "c_42", currency: "EUR" })
//!     .intent_id("checkout-8812")
//!     .send_json()
//!     .await?;
//! println!("created {}", order.id);
//! # Ok(()) }
//! ```
//!
//! Every call is traced with `tracing` (a span per call and per attempt);
//! credentials never appear in spans, logs or `Debug` output.
//!
//! Beyond single calls: durable sagas on a journal ([`workflow`]), Arazzo
//! workflow contracts run on the same engine ([`arazzo`]), and a
//! transactional outbox with a dead-letter queue ([`outbox`]), the pages of
//! list operations as one stream ([`paginate`]), and webhooks verified and
//! processed exactly once ([`webhook`]).

#![warn(missing_docs)]

pub mod arazzo;
pub mod client;
pub mod error;
pub mod idempotency;
pub mod operation;
pub mod outbox;
pub mod paginate;
pub mod problem;
pub mod retry;
pub mod store;
pub mod stream;
pub mod telemetry;
pub mod webhook;
pub mod workflow;

pub use bytes::Bytes;
pub use client::{Client, ClientBuilder, Multipart, RequestBuilder, Response};
pub use error::{Error, TimeoutKind, TransportKind};
pub use http::Method;
pub use operation::{Operation, Poll, PollConfig, Progress};
pub use problem::Problem;
pub use retry::{BreakerConfig, BudgetConfig, CircuitBreaker, RetryBudget, RetryPolicy};
#[cfg(feature = "postgres")]
pub use store::PgStore;
pub use store::{MemoryStore, SqliteStore, Store};
pub use stream::{EventStream, JsonLines, ServerEvent};
pub use workflow::{Engine, RunOutcome, StepContext, StepError, Workflow, WorkflowError};

/// The README's Rust quick start, compiled as a doc test so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
