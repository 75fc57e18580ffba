//! What can go wrong setting telemetry up.

/// Telemetry could not be set up, or not flushed. Each variant names what
/// and why; none of them stops oncely's calls, which work untraced.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TelemetryError {
    /// A setting — from the builder or an `OTEL_*` variable — is unusable.
    #[error("telemetry setting {what}: {why}")]
    InvalidSetting {
        /// The setting or variable, e.g. `OTEL_EXPORTER_OTLP_PROTOCOL`.
        what: String,
        /// Why it cannot be used.
        why: String,
    },
    /// The OTLP exporter could not be built.
    #[error("the OTLP {signal} exporter could not be built: {why}")]
    Exporter {
        /// `traces` or `metrics`.
        signal: &'static str,
        /// The exporter's own message.
        why: String,
    },
    /// Another global `tracing` subscriber is installed already: compose
    /// [`Telemetry::layer`](super::Telemetry::layer) into it instead.
    #[error(
        "a global tracing subscriber is installed already; add Telemetry::layer() to it instead"
    )]
    SubscriberInstalled,
    /// oncely's telemetry is installed already (by
    /// [`Telemetry::install`](super::Telemetry::install) or
    /// [`install_from_env`](super::install_from_env)).
    #[error("oncely's telemetry is installed already")]
    AlreadyInstalled,
    /// Flushing or shutting the exporters down failed (the collector did not
    /// answer in time, for example).
    #[error("telemetry {operation} failed: {why}")]
    Export {
        /// `flush` or `shutdown`.
        operation: &'static str,
        /// The SDK's message.
        why: String,
    },
}
