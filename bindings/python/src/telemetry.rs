//! OpenTelemetry across the language boundary.
//!
//! - **Trace context in:** a call started while a Python OpenTelemetry span is
//!   current continues that trace. When `opentelemetry-api` is installed, the
//!   binding asks its global propagator for the current context
//!   (`opentelemetry.propagate.inject`) as the call is made, under the GIL,
//!   and hands `traceparent`/`tracestate` to the core. Without the package,
//!   or with no current span, nothing is read and nothing is sent; the
//!   import is tried once.
//! - **Spans out:** the core exports its own spans (calls, attempts, waits,
//!   workflow steps) over OTLP when the standard `OTEL_EXPORTER_OTLP_*`
//!   variables are set at import ([`layer`]), and `oncely.flush_telemetry()`
//!   (also run at interpreter exit) sends what is pending.

use std::sync::OnceLock;

use oncely::telemetry::Guard;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use tracing::Subscriber;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// `opentelemetry.propagate.inject`, or `None` when the package is absent.
static INJECT: PyOnceLock<Option<Py<PyAny>>> = PyOnceLock::new();

/// The installed exporters, kept for the life of the process.
static GUARD: OnceLock<Guard> = OnceLock::new();

/// The caller's current trace context as W3C headers, if Python's
/// OpenTelemetry has one.
pub fn current(py: Python<'_>) -> Option<(String, Option<String>)> {
    let inject = INJECT
        .get_or_init(py, || {
            py.import("opentelemetry.propagate")
                .and_then(|m| m.getattr("inject"))
                .ok()
                .map(Bound::unbind)
        })
        .as_ref()?;
    let carrier = PyDict::new(py);
    // A propagator that fails must not fail the call: the trace is lost,
    // the call goes out.
    inject.call1(py, (&carrier,)).ok()?;
    let header = |name: &str| -> Option<String> {
        carrier
            .get_item(name)
            .ok()
            .flatten()
            .and_then(|v| v.extract::<String>().ok())
    };
    Some((header("traceparent")?, header("tracestate")))
}

/// The exporting layer the `OTEL_EXPORTER_OTLP_*` variables ask for, if
/// any, its guard kept until exit. A configuration that cannot be built is
/// reported as a warning of the `oncely` logger, and the extension goes on
/// without exporting.
pub fn layer<S>(py: Python<'_>) -> Option<Box<dyn Layer<S> + Send + Sync>>
where
    S: Subscriber + for<'a> LookupSpan<'a> + Send + Sync,
{
    match oncely::telemetry::layer_from_env::<S>() {
        Ok(None) => None,
        Ok(Some((layer, guard))) => {
            let _ = GUARD.set(guard);
            Some(layer)
        }
        Err(error) => {
            let message = format!("OpenTelemetry export is off: {error}");
            let _ = py
                .import("logging")
                .and_then(|l| l.call_method1("getLogger", ("oncely",)))
                .and_then(|logger| logger.call_method1("warning", (message,)));
            None
        }
    }
}

/// `oncely.flush_telemetry()`: exports every finished span and the current
/// metrics now (the GIL released meanwhile); `RuntimeError` when the
/// collector cannot be reached. Does nothing when nothing is exported.
#[pyfunction]
pub fn flush_telemetry(py: Python<'_>) -> PyResult<()> {
    if GUARD.get().is_none() {
        return Ok(());
    }
    py.detach(oncely::telemetry::flush).map_err(|e| {
        pyo3::exceptions::PyRuntimeError::new_err(format!("exporting telemetry failed: {e}"))
    })
}

/// `oncely.telemetry_enabled()`: whether this process exports the core's
/// spans and metrics (the `OTEL_EXPORTER_OTLP_*` variables were set at
/// import).
#[pyfunction]
pub fn telemetry_enabled() -> bool {
    GUARD.get().is_some()
}
