//! Telemetry: OpenTelemetry traces, metrics and W3C Trace Context.
//!
//! oncely's calls are `tracing` spans named and attributed after the
//! OpenTelemetry semantic conventions for HTTP clients ([`attributes`]):
//!
//! - `oncely.call` — one call, all its attempts and waits;
//! - one client span per attempt (`otel.kind = client`), named like
//!   `POST /orders/{order_id}` (the template, never the raw path), with
//!   `http.request.method`, `server.address`, `server.port`, `url.full`
//!   (secrets redacted), `http.request.resend_count`,
//!   `http.response.status_code` and, on failure, `error.type`;
//! - `oncely.backoff` — the wait before a retry, with `oncely.retry.reason`;
//! - `oncely.poll` — one poll of a long-running operation;
//! - `oncely.workflow.run` and `oncely.workflow.step`, and
//!   `oncely.outbox.deliver`.
//!
//! With the `otel` feature (on by default) this module also exports them:
//!
//! - [`Telemetry`] builds OTLP exporters (HTTP/protobuf or gRPC) from the
//!   standard `OTEL_EXPORTER_OTLP_*` variables or its own settings;
//!   [`Telemetry::install`] sets a global subscriber, [`Telemetry::layer`]
//!   gives a layer for an application's own; [`install_from_env`] is the
//!   one-call set-up from the standard variables, and [`layer_from_env`] the
//!   same for a program that owns the global subscriber (the Python
//!   binding's logging bridge does); [`flush`] exports what is pending.
//! - Every attempt carries `traceparent`/`tracestate`: the call's trace, the
//!   attempt's span id. A call's parent is the caller's current span (or
//!   OpenTelemetry context), or the remote context given with
//!   [`RequestBuilder::trace_context`](crate::RequestBuilder::trace_context)
//!   — forwarded even when nothing is exported ([`TraceContext`]).
//! - Metrics on the global meter `oncely` ([`metrics`] lists them).
//!
//! Nothing is exported, and no header is sent, unless it is configured: a
//! process without an OTLP variable or an installation pays nothing more per
//! call than the `tracing` spans it always had.
//!
//! ```no_run
//! # fn main() -> Result<(), oncely::telemetry::TelemetryError> {
//! use oncely::telemetry::{Protocol, Telemetry};
//!
//! // From the environment (OTEL_EXPORTER_OTLP_ENDPOINT, …), if set …
//! let _guard = oncely::telemetry::install_from_env()?;
//! // … or explicitly.
//! # let _ = || -> Result<(), oncely::telemetry::TelemetryError> {
//! let guard = Telemetry::new()
//!     .endpoint("http://localhost:4317")
//!     .protocol(Protocol::Grpc)
//!     .service_name("checkout")
//!     .install()?;
//! // … calls …
//! guard.shutdown()?;
//! # Ok(()) };
//! # Ok(()) }
//! ```

pub mod attributes;
#[cfg(feature = "otel")]
mod error;
#[cfg(feature = "otel")]
mod install;
#[cfg(feature = "otel")]
pub mod metrics;
#[cfg(not(feature = "otel"))]
mod noop;
#[cfg(feature = "otel")]
mod propagate;

#[cfg(feature = "otel")]
pub use error::TelemetryError;
#[cfg(feature = "otel")]
pub use install::{flush, install_from_env, layer_from_env, Guard};
#[cfg(feature = "otel")]
pub use propagate::TraceContext;

#[cfg(not(feature = "otel"))]
pub(crate) use noop::{
    continue_run, metrics, run_traceparent, CallTrace, TraceContext, TraceHeaders,
};
#[cfg(feature = "otel")]
pub(crate) use propagate::{continue_run, run_traceparent, CallTrace, TraceHeaders};

#[cfg(feature = "otel")]
use std::time::Duration;

/// How spans and metrics travel to the collector.
#[cfg(feature = "otel")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Protocol {
    /// OTLP over HTTP with protobuf bodies (`http/protobuf`; port 4318 by
    /// convention). The default, as the OpenTelemetry specification says.
    HttpProtobuf,
    /// OTLP over gRPC (`grpc`; port 4317 by convention).
    Grpc,
}

#[cfg(feature = "otel")]
impl Protocol {
    /// The protocol `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` or
    /// `OTEL_EXPORTER_OTLP_PROTOCOL` names, if one is set.
    fn from_env() -> Result<Option<Protocol>, TelemetryError> {
        for var in [
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
            "OTEL_EXPORTER_OTLP_PROTOCOL",
        ] {
            if let Some(value) = env(var) {
                return Protocol::parse(&value).map(Some).ok_or_else(|| {
                    TelemetryError::InvalidSetting {
                        what: format!("{var}={value:?}"),
                        why: "oncely exports with \"http/protobuf\" or \"grpc\"".into(),
                    }
                });
            }
        }
        Ok(None)
    }

    /// `http/protobuf` or `grpc`, as the OTLP variables spell them.
    pub fn parse(name: &str) -> Option<Protocol> {
        match name.trim().to_ascii_lowercase().as_str() {
            "http/protobuf" => Some(Protocol::HttpProtobuf),
            "grpc" => Some(Protocol::Grpc),
            _ => None,
        }
    }
}

/// A set, non-empty environment variable.
#[cfg(feature = "otel")]
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Where and how oncely's telemetry is exported: a builder, finished with
/// [`install`](Self::install) or [`layer`](Self::layer).
///
/// Whatever the builder leaves unset comes from the standard variables:
/// `OTEL_EXPORTER_OTLP_ENDPOINT` (or the per-signal
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `_METRICS_ENDPOINT`),
/// `OTEL_EXPORTER_OTLP_PROTOCOL`, `OTEL_EXPORTER_OTLP_HEADERS`,
/// `OTEL_EXPORTER_OTLP_TIMEOUT`, `OTEL_SERVICE_NAME`,
/// `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_METRIC_EXPORT_INTERVAL`.
#[cfg(feature = "otel")]
#[derive(Debug, Clone, Default)]
pub struct Telemetry {
    endpoint: Option<String>,
    protocol: Option<Protocol>,
    service_name: Option<String>,
    timeout: Option<Duration>,
}

#[cfg(feature = "otel")]
impl Telemetry {
    /// Telemetry exported wherever the builder and the variables say (the
    /// collector on localhost by default).
    pub fn new() -> Self {
        Telemetry::default()
    }

    /// The configuration the `OTEL_*` variables describe, or `None` when no
    /// OTLP endpoint or protocol variable is set (or `OTEL_SDK_DISABLED` is
    /// `true`): telemetry is off unless asked for.
    pub fn from_env() -> Option<Self> {
        if env("OTEL_SDK_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
            return None;
        }
        let asked = [
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
            "OTEL_EXPORTER_OTLP_PROTOCOL",
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        ]
        .iter()
        .any(|var| env(var).is_some());
        asked.then(Telemetry::new)
    }

    /// The collector's base URL: `http://host:4318` for HTTP/protobuf (the
    /// exporters post to `/v1/traces` and `/v1/metrics` under it),
    /// `http://host:4317` for gRPC. Overrides `OTEL_EXPORTER_OTLP_*ENDPOINT`.
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// The protocol; overrides `OTEL_EXPORTER_OTLP_PROTOCOL`.
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = Some(protocol);
        self
    }

    /// The `service.name` resource attribute; overrides `OTEL_SERVICE_NAME`.
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// How long one export may take; overrides `OTEL_EXPORTER_OTLP_TIMEOUT`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}
