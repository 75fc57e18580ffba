//! Retries: which failures are worth another attempt, how long to wait, and the
//! two guards that keep retries from turning an outage into a storm.
//!
//! - `classify` — the one retry classifier: an ordered list of rules that
//!   decides, for every attempt, retry (with the server's delay) or stop, and
//!   from which [`Error::is_retryable`](crate::Error::is_retryable) is derived.
//!   A new retry condition is a rule there.
//! - [`RetryPolicy`] — attempts, full-jitter exponential backoff and the longest
//!   server-requested wait the client honours. The schedule is our own (a dozen
//!   lines, tested below) rather than the unmaintained `backoff` crate.
//! - [`server_delay`] — `Retry-After` (seconds or HTTP date), `retry-after-ms`
//!   and `x-should-retry`.
//! - [`RetryBudget`] — a token bucket shared by a client: once spent, retries
//!   can add at most ~10% to traffic.
//! - [`CircuitBreaker`] — per host: open after N consecutive failures, then a
//!   single half-open probe.

mod breaker;
mod budget;
pub(crate) mod classify;
mod policy;
mod server_hint;

pub use breaker::{BreakerConfig, CircuitBreaker};
pub use budget::{BudgetConfig, RetryBudget};
pub use policy::RetryPolicy;
pub use server_hint::{server_delay, should_retry_header, ServerHint};

/// Statuses that are retried (given the request is safe to repeat): 408, 425,
/// 429, 500, 502, 503, 504. A `409` is retried separately, and only for requests
/// that carry an idempotency key (the server says the first request with that key
/// is still in flight); `x-should-retry` overrides both. The classifier in
/// `retry::classify` applies these rules in order.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 425 | 429 | 500 | 502 | 503 | 504)
}

/// Statuses that count as a failure of the host for the circuit breaker.
pub(crate) fn is_host_failure_status(status: u16) -> bool {
    matches!(status, 500 | 502 | 503 | 504)
}
