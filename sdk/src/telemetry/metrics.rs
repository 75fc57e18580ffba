//! oncely's metrics, on the global OpenTelemetry meter `oncely`.
//!
//! | name | kind | unit | attributes |
//! |---|---|---|---|
//! | `oncely.client.attempts` | counter | `{attempt}` | `http.request.method`, `server.address`, `oncely.outcome` |
//! | `oncely.client.retries` | counter | `{retry}` | `oncely.retry.reason` |
//! | `oncely.client.retry.delay` | histogram | `s` | `oncely.retry.reason` |
//! | `oncely.client.operation.duration` | histogram | `s` | `http.request.method`, `server.address`, `oncely.outcome` |
//! | `oncely.client.polls` | counter | `{poll}` | `server.address` |
//! | `oncely.client.budget.tokens` | gauge | `{token}` | `server.address` (the client's base URL) |
//! | `oncely.client.breaker.state` | gauge | `1` | `server.address` (`host:port`): 0 closed, 1 half-open, 2 open |
//! | `oncely.workflow.runs` | counter | `{run}` | `oncely.workflow.name`, `oncely.workflow.state` (how the run ended) |
//! | `oncely.workflow.steps.compensated` | counter | `{step}` | `oncely.workflow.name` |
//! | `oncely.workflow.runs.parked` | counter | `{run}` | `oncely.workflow.name` |
//!
//! Nothing is recorded until metrics are switched on — by
//! [`Telemetry::install`](super::Telemetry::install) and
//! [`Telemetry::layer`](super::Telemetry::layer), or by
//! [`enable_metrics`] for an application that sets its own meter provider —
//! so a process without telemetry pays one atomic load per call. The
//! instruments are made once, on first use after that.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use opentelemetry::metrics::{Counter, Histogram, Meter};
use opentelemetry::KeyValue;
use url::Url;

use super::attributes::{
    HTTP_REQUEST_METHOD, OUTCOME, RETRY_REASON, SERVER_ADDRESS, WORKFLOW_NAME, WORKFLOW_STATE,
};
use crate::store::RunState;

/// Whether metrics are recorded.
static ON: AtomicBool = AtomicBool::new(false);
/// The instruments, made on first use once metrics are on.
static INSTRUMENTS: OnceLock<Instruments> = OnceLock::new();
/// The budgets and breakers the gauges read, one entry per client.
static WATCHED: Mutex<Vec<Watched>> = Mutex::new(Vec::new());

/// `oncely.workflow.name`: a workflow's name (a metric attribute).
/// Records oncely's metrics on the global meter provider from now on — for
/// an application that sets its own provider with
/// `opentelemetry::global::set_meter_provider` instead of
/// [`Telemetry`](super::Telemetry). Call it after setting the provider: the
/// instruments are made on first use.
pub fn enable_metrics() {
    ON.store(true, Ordering::Relaxed);
}

/// The instruments, or `None` while metrics are off.
fn instruments() -> Option<&'static Instruments> {
    if !ON.load(Ordering::Relaxed) {
        return None;
    }
    Some(INSTRUMENTS.get_or_init(|| Instruments::new(&opentelemetry::global::meter("oncely"))))
}

/// Every instrument oncely records on.
struct Instruments {
    attempts: Counter<u64>,
    retries: Counter<u64>,
    retry_delay: Histogram<f64>,
    duration: Histogram<f64>,
    polls: Counter<u64>,
    runs: Counter<u64>,
    compensated: Counter<u64>,
    parked: Counter<u64>,
}

impl Instruments {
    fn new(meter: &Meter) -> Self {
        // Observed at each collection; they live as long as the provider.
        meter
            .f64_observable_gauge("oncely.client.budget.tokens")
            .with_description("Retry budget tokens left, per client")
            .with_unit("{token}")
            .with_callback(|observer| {
                for_each_watched(|w| {
                    if let Some(tokens) = (w.budget)() {
                        observer.observe(tokens, &[KeyValue::new(SERVER_ADDRESS, w.host.clone())]);
                    }
                })
            })
            .build();
        meter
            .i64_observable_gauge("oncely.client.breaker.state")
            .with_description("Circuit breaker state per host: 0 closed, 1 half-open, 2 open")
            .with_unit("1")
            .with_callback(|observer| {
                for_each_watched(|w| {
                    for (host, state) in (w.breaker)().unwrap_or_default() {
                        observer.observe(state, &[KeyValue::new(SERVER_ADDRESS, host)]);
                    }
                })
            })
            .build();
        Instruments {
            attempts: meter
                .u64_counter("oncely.client.attempts")
                .with_description("HTTP attempts sent, by outcome")
                .with_unit("{attempt}")
                .build(),
            retries: meter
                .u64_counter("oncely.client.retries")
                .with_description("Attempts retried, by reason")
                .with_unit("{retry}")
                .build(),
            retry_delay: meter
                .f64_histogram("oncely.client.retry.delay")
                .with_description("Time waited before a retry")
                .with_unit("s")
                .with_boundaries(vec![
                    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
                ])
                .build(),
            duration: meter
                .f64_histogram("oncely.client.operation.duration")
                .with_description("Duration of a call, all attempts and waits included")
                .with_unit("s")
                .build(),
            polls: meter
                .u64_counter("oncely.client.polls")
                .with_description("Polls of long-running operations")
                .with_unit("{poll}")
                .build(),
            runs: meter
                .u64_counter("oncely.workflow.runs")
                .with_description("Workflow runs driven to a stop, by the state they reached")
                .with_unit("{run}")
                .build(),
            compensated: meter
                .u64_counter("oncely.workflow.steps.compensated")
                .with_description("Workflow steps compensated")
                .with_unit("{step}")
                .build(),
            parked: meter
                .u64_counter("oncely.workflow.runs.parked")
                .with_description("Workflow runs parked for a person to look at")
                .with_unit("{run}")
                .build(),
        }
    }
}

/// The host of `url`, as `server.address`.
fn host(url: &Url) -> String {
    url.host_str().unwrap_or_default().to_string()
}

/// One attempt sent to `url`, ended with `outcome` (`ok`, `4xx`, `5xx` or an
/// `error.type`).
pub(crate) fn attempt(method: &http::Method, url: &Url, outcome: &str) {
    if let Some(i) = instruments() {
        i.attempts.add(
            1,
            &[
                KeyValue::new(HTTP_REQUEST_METHOD, method.to_string()),
                KeyValue::new(SERVER_ADDRESS, host(url)),
                KeyValue::new(OUTCOME, outcome.to_string()),
            ],
        );
    }
}

/// A retry for `reason`, after `delay`.
pub(crate) fn retry(reason: &dyn std::fmt::Display, delay: Duration) {
    if let Some(i) = instruments() {
        let attributes = [KeyValue::new(RETRY_REASON, reason.to_string())];
        i.retries.add(1, &attributes);
        i.retry_delay.record(delay.as_secs_f64(), &attributes);
    }
}

/// A call to `url` that took `elapsed`, ended with `outcome`.
pub(crate) fn call_duration(method: &http::Method, url: &Url, outcome: &str, elapsed: Duration) {
    if let Some(i) = instruments() {
        i.duration.record(
            elapsed.as_secs_f64(),
            &[
                KeyValue::new(HTTP_REQUEST_METHOD, method.to_string()),
                KeyValue::new(SERVER_ADDRESS, host(url)),
                KeyValue::new(OUTCOME, outcome.to_string()),
            ],
        );
    }
}

/// One poll of a long-running operation's status at `url`.
pub(crate) fn poll(url: &Url) {
    if let Some(i) = instruments() {
        i.polls.add(1, &[KeyValue::new(SERVER_ADDRESS, host(url))]);
    }
}

/// A run of `workflow` driven until it stopped in `state`; a parked run
/// (`needs_attention`) is also counted on its own.
pub(crate) fn workflow_run(workflow: &str, state: RunState) {
    if let Some(i) = instruments() {
        let name = KeyValue::new(WORKFLOW_NAME, workflow.to_string());
        i.runs.add(
            1,
            &[name.clone(), KeyValue::new(WORKFLOW_STATE, state.as_str())],
        );
        if state == RunState::NeedsAttention {
            i.parked.add(1, &[name]);
        }
    }
}

/// A step of `workflow` compensated.
pub(crate) fn step_compensated(workflow: &str) {
    if let Some(i) = instruments() {
        i.compensated
            .add(1, &[KeyValue::new(WORKFLOW_NAME, workflow.to_string())]);
    }
}

/// Reads a breaker's circuits: `(host, state)` pairs, `None` once the
/// breaker is gone.
type BreakerReader = Box<dyn Fn() -> Option<Vec<(String, i64)>> + Send>;

/// What the gauges read of one client: its budget's tokens and its
/// breaker's circuits, each `None` once the client is gone.
struct Watched {
    host: String,
    budget: Box<dyn Fn() -> Option<f64> + Send>,
    breaker: BreakerReader,
}

/// Lets the gauges read a client's budget and breaker for as long as the
/// client lives (the readers hold weak references).
pub(crate) fn watch(
    host: String,
    budget: impl Fn() -> Option<f64> + Send + 'static,
    breaker: impl Fn() -> Option<Vec<(String, i64)>> + Send + 'static,
) {
    let mut watched = WATCHED.lock().unwrap_or_else(|e| e.into_inner());
    watched.retain(|w| (w.breaker)().is_some());
    watched.push(Watched {
        host,
        budget: Box::new(budget),
        breaker: Box::new(breaker),
    });
}

fn for_each_watched(mut each: impl FnMut(&Watched)) {
    let watched = WATCHED.lock().unwrap_or_else(|e| e.into_inner());
    watched.iter().for_each(&mut each);
}
