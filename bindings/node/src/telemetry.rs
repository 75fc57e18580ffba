//! OpenTelemetry export of the core's spans and metrics, configured from the
//! standard `OTEL_EXPORTER_OTLP_*` variables when the addon loads; the JS
//! layer (`lib/telemetry.js`) hands each call the caller's trace context.

use std::sync::OnceLock;

use napi_derive::napi;
use oncely::telemetry::Guard;

/// The installed exporters, kept for the life of the process.
static GUARD: OnceLock<Guard> = OnceLock::new();

/// What loading the telemetry configuration did.
#[napi(object)]
pub struct TelemetryStatus {
    /// Whether the core exports its spans and metrics.
    pub enabled: bool,
    /// Why a configuration asked for could not be used (export stays off).
    pub error: Option<String>,
}

/// Installs OTLP export if the environment asks for it (idempotent).
#[napi(catch_unwind)]
pub fn install_telemetry() -> TelemetryStatus {
    if GUARD.get().is_some() {
        return TelemetryStatus {
            enabled: true,
            error: None,
        };
    }
    match oncely::telemetry::install_from_env() {
        Ok(Some(guard)) => {
            let _ = GUARD.set(guard);
            TelemetryStatus {
                enabled: true,
                error: None,
            }
        }
        Ok(None) => TelemetryStatus {
            enabled: false,
            error: None,
        },
        Err(e) => TelemetryStatus {
            enabled: false,
            error: Some(e.to_string()),
        },
    }
}

/// Exports every finished span and the current metrics now.
#[napi(catch_unwind)]
pub fn flush_telemetry() -> napi::Result<()> {
    if GUARD.get().is_none() {
        return Ok(());
    }
    oncely::telemetry::flush()
        .map_err(|e| napi::Error::from_reason(format!("exporting telemetry failed: {e}")))
}
