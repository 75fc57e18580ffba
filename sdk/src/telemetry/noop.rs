//! Without the `otel` feature: no trace context to carry, no metrics to
//! record — the same internal interface, doing nothing.

use http::HeaderMap;

/// No trace context can be given without the `otel` feature.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TraceContext {}

/// The trace headers of an attempt: never any.
#[derive(Debug, Clone)]
pub(crate) enum TraceHeaders {}

impl TraceHeaders {
    pub(crate) fn apply(self, _headers: &mut HeaderMap) {
        match self {}
    }
}

/// A call's trace: nothing to forward.
#[derive(Debug, Default)]
pub(crate) struct CallTrace;

impl CallTrace {
    pub(crate) fn start(
        _span: &tracing::Span,
        _explicit: Option<&TraceContext>,
        _headers: &HeaderMap,
    ) -> CallTrace {
        CallTrace
    }

    pub(crate) fn attempt_headers(&self, _span: &tracing::Span) -> Option<TraceHeaders> {
        None
    }
}

/// No run records a trace context without the `otel` feature.
pub(crate) fn run_traceparent(_span: Option<&tracing::Span>) -> Option<String> {
    None
}

/// Nothing to continue without the `otel` feature.
pub(crate) fn continue_run(_span: &tracing::Span, _recorded: Option<&str>) {}

/// Metrics, recorded nowhere.
pub(crate) mod metrics {
    use std::time::Duration;
    use url::Url;

    pub(crate) fn attempt(_method: &http::Method, _url: &Url, _outcome: &str) {}
    pub(crate) fn retry(_reason: &dyn std::fmt::Display, _delay: Duration) {}
    pub(crate) fn call_duration(_m: &http::Method, _u: &Url, _o: &str, _e: Duration) {}
    pub(crate) fn poll(_url: &Url) {}
    pub(crate) fn workflow_run(_workflow: &str, _state: crate::store::RunState) {}
    pub(crate) fn step_compensated(_workflow: &str) {}
    pub(crate) fn watch(
        _host: String,
        _budget: impl Fn() -> Option<f64> + Send + 'static,
        _breaker: impl Fn() -> Option<Vec<(String, i64)>> + Send + 'static,
    ) {
    }
}
