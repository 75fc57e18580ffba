//! # What the oncely bindings share
//!
//! The Python (pyo3) and Node (napi-rs) bindings translate their languages'
//! values into the neutral types of this crate, and this crate alone turns
//! them into calls on the `oncely` core. Every rule about an option (its range,
//! what "not given" means) is decided here once, so both bindings refuse the
//! same bad inputs with the same words, and every default stays in the core:
//! an option that is not given is not set.
//!
//! - [`naming`]: the options, and how each binding spells them in messages.
//! - [`units`]: numbers of seconds or milliseconds into durations.
//! - [`client_spec`]: [`ClientSpec`], everything `Client(...)` takes.
//! - [`call_spec`]: [`CallSpec`], everything one call takes, and [`Caller`],
//!   what starts a call (a client, or a workflow step's context).
//! - [`store`]: opening a store from a location string (the core's rules).
//! - [`mod@error_view`]: [`ErrorView`], one view of every core error that both
//!   bindings render into their native exceptions.
//! - [`outbox`]: outbox calls from a call's spec, the enqueue statement for
//!   the host's own connection, dispatcher options, error kinds.
//! - [`webhook`]: webhook verifiers, the inbox's options, the claim statement
//!   for the host's own connection, error fields.
//! - [`stream_spec`]: [`StreamSpec`], how a streamed call (server-sent
//!   events, JSON lines) is read, and opening it.
//! - [`pages`]: a page spec from its JSON form, a listing's options, and
//!   [`Listing`], iterated by page or by item.
//! - [`arazzo`]: loading, checking and compiling an Arazzo workflow (from a
//!   file or from text), and [`OutcomeView`], one view of a run's outcome.

pub mod arazzo;
pub mod call_spec;
pub mod client_spec;
pub mod error_view;
pub mod naming;
pub mod outbox;
pub mod pages;
pub mod store;
pub mod stream_spec;
pub mod units;
pub mod webhook;

pub use arazzo::{ArazzoError, OutcomeView, WorkflowSource};
pub use call_spec::{method, Body, CallSpec, Caller};
pub use client_spec::{ApiKey, BreakerSpec, BudgetSpec, ClientSpec, PollSpec, Proxy, RetrySpec};
pub use error_view::{error_view, Detail, ErrorKind, ErrorView, TransportWhat};
pub use naming::{Binding, Opt, SpecError};
pub use pages::{page_spec, Listing, PageView, PagesSpec};
pub use stream_spec::StreamSpec;
pub use units::{positive, Unit};
