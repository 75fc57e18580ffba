//! Building the OpenTelemetry providers from a [`Telemetry`] and keeping the
//! installed ones: the [`Guard`], [`flush`] and [`install_from_env`].
//!
//! The gRPC (tonic) exporter needs a Tokio runtime of its own: its channel
//! runs its connection on the runtime current when it is built, while the
//! SDK's batch span processor and periodic metric reader export from their
//! own threads. Building it inside the caller's runtime would tie exports to
//! that runtime (a current-thread runtime blocked in `flush` would deadlock);
//! so the exporters are built inside a one-worker runtime owned by the
//! installation, as opentelemetry-otlp advises for a runtime that outlives
//! them. It works the same from a synchronous `main` and from inside a Tokio
//! runtime. HTTP/protobuf needs none: its blocking client runs on the
//! processor's thread.

use std::sync::{Arc, Mutex};

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use tracing::Subscriber;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

use super::{metrics, Protocol, Telemetry, TelemetryError};

/// The providers of the installation, shared by every [`Guard`].
static INSTALLED: Mutex<Option<Arc<Providers>>> = Mutex::new(None);

/// The installed providers, if any.
fn installed() -> Option<Arc<Providers>> {
    INSTALLED.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// The tracer and meter providers one [`Telemetry`] built.
struct Providers {
    tracer: SdkTracerProvider,
    meter: SdkMeterProvider,
    /// The runtime the gRPC exporters run on (none for HTTP/protobuf).
    runtime: Mutex<Option<tokio::runtime::Runtime>>,
}

impl Providers {
    fn flush(&self) -> Result<(), TelemetryError> {
        let failed = |e: opentelemetry_sdk::error::OTelSdkError| TelemetryError::Export {
            operation: "flush",
            why: e.to_string(),
        };
        self.tracer.force_flush().map_err(failed)?;
        self.meter.force_flush().map_err(failed)
    }

    fn shutdown(&self) -> Result<(), TelemetryError> {
        let failed = |e: opentelemetry_sdk::error::OTelSdkError| TelemetryError::Export {
            operation: "shutdown",
            why: e.to_string(),
        };
        let traces = self.tracer.shutdown().map_err(failed);
        let metrics = self.meter.shutdown().map_err(failed);
        let runtime = self
            .runtime
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(runtime) = runtime {
            // Allowed anywhere, also inside another runtime.
            runtime.shutdown_background();
        }
        traces.and(metrics)
    }
}

/// Keeps oncely's telemetry exporting. Dropping it flushes what is pending;
/// [`shutdown`](Self::shutdown) flushes and stops the exporters. Guards
/// returned for the same installation share it.
#[must_use = "dropping the guard flushes telemetry; keep it for the life of the program"]
pub struct Guard {
    providers: Arc<Providers>,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard").finish_non_exhaustive()
    }
}

impl Guard {
    /// Exports every finished span and the current metrics now, waiting for
    /// the collector's answer.
    pub fn flush(&self) -> Result<(), TelemetryError> {
        self.providers.flush()
    }

    /// Flushes and stops the exporters; spans ended later are dropped.
    pub fn shutdown(self) -> Result<(), TelemetryError> {
        let result = self.providers.shutdown();
        let mut installed = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
        if installed
            .as_ref()
            .is_some_and(|p| Arc::ptr_eq(p, &self.providers))
        {
            *installed = None;
        }
        result
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        // After `shutdown` this fails quietly: nothing is left to flush.
        let _ = self.providers.flush();
    }
}

/// Exports every finished span and the current metrics of the installed
/// telemetry now. Without an installation it does nothing.
pub fn flush() -> Result<(), TelemetryError> {
    match installed() {
        Some(p) => p.flush(),
        None => Ok(()),
    }
}

/// Installs telemetry as the standard `OTEL_EXPORTER_OTLP_*` variables
/// describe ([`Telemetry::from_env`]), for programs — and the Python and
/// Node bindings at import — that configure it only from the environment.
///
/// `Ok(None)` when no variable asks for it. Idempotent: once installed, it
/// returns a guard for the existing installation. Never panics: another
/// global `tracing` subscriber is [`TelemetryError::SubscriberInstalled`].
pub fn install_from_env() -> Result<Option<Guard>, TelemetryError> {
    if let Some(providers) = installed() {
        return Ok(Some(Guard { providers }));
    }
    match Telemetry::from_env() {
        Some(telemetry) => match telemetry.install() {
            Ok(guard) => Ok(Some(guard)),
            // Another thread installed it meanwhile.
            Err(TelemetryError::AlreadyInstalled) => {
                Ok(installed().map(|providers| Guard { providers }))
            }
            Err(e) => Err(e),
        },
        None => Ok(None),
    }
}

/// Like [`install_from_env`], for a program — such as a language binding —
/// that installs its own global `tracing` subscriber: the layer to add to it
/// and the guard, or `Ok(None)` when no variable asks for telemetry.
///
/// Idempotent: once telemetry is installed (by either function), it returns
/// a new layer over the same exporters.
#[allow(clippy::type_complexity)]
pub fn layer_from_env<S>(
) -> Result<Option<(Box<dyn Layer<S> + Send + Sync>, Guard)>, TelemetryError>
where
    S: Subscriber + for<'a> LookupSpan<'a> + Send + Sync,
{
    let existing = || installed().map(|providers| (layer_for(&providers), Guard { providers }));
    if let Some(found) = existing() {
        return Ok(Some(found));
    }
    match Telemetry::from_env() {
        Some(telemetry) => match telemetry.layer() {
            Ok(made) => Ok(Some(made)),
            Err(TelemetryError::AlreadyInstalled) => Ok(existing()),
            Err(e) => Err(e),
        },
        None => Ok(None),
    }
}

/// The filter of oncely's layer: oncely's spans down to `DEBUG` (each
/// attempt is one), the application's from `INFO`.
fn filter() -> Targets {
    Targets::new()
        .with_target("oncely", LevelFilter::DEBUG)
        .with_default(LevelFilter::INFO)
}

/// The layer exporting `tracing` spans through `tracer`.
fn layer_for<S>(providers: &Providers) -> Box<dyn Layer<S> + Send + Sync>
where
    S: Subscriber + for<'a> LookupSpan<'a> + Send + Sync,
{
    let tracer = providers.tracer.tracer("oncely");
    tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_location(false)
        .with_threads(false)
        .with_level(false)
        .with_filter(filter())
        .boxed()
}

impl Telemetry {
    /// Builds the exporters and providers, sets them as OpenTelemetry's
    /// global tracer and meter providers (with the W3C propagator) and
    /// installs a global `tracing` subscriber exporting oncely's spans (and
    /// the application's, from `INFO`). Keep the returned [`Guard`].
    ///
    /// An application with its own subscriber uses [`layer`](Self::layer)
    /// instead.
    pub fn install(self) -> Result<Guard, TelemetryError> {
        let mut installed = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
        if installed.is_some() {
            return Err(TelemetryError::AlreadyInstalled);
        }
        let providers = Arc::new(self.build()?);
        let subscriber = tracing_subscriber::registry().with(layer_for(&providers));
        if tracing::subscriber::set_global_default(subscriber).is_err() {
            let _ = providers.shutdown();
            return Err(TelemetryError::SubscriberInstalled);
        }
        make_global(&providers);
        *installed = Some(providers.clone());
        Ok(Guard { providers })
    }

    /// Builds the exporters and providers like [`install`](Self::install),
    /// without a global subscriber: the returned layer goes into the
    /// application's own (`tracing_subscriber::registry().with(layer)`).
    /// The layer carries its own filter (oncely's spans from `DEBUG`, others
    /// from `INFO`), independent of the application's other layers.
    #[allow(clippy::type_complexity)]
    pub fn layer<S>(self) -> Result<(Box<dyn Layer<S> + Send + Sync>, Guard), TelemetryError>
    where
        S: Subscriber + for<'a> LookupSpan<'a> + Send + Sync,
    {
        let mut installed = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
        if installed.is_some() {
            return Err(TelemetryError::AlreadyInstalled);
        }
        let providers = Arc::new(self.build()?);
        make_global(&providers);
        *installed = Some(providers.clone());
        Ok((layer_for(&providers), Guard { providers }))
    }

    /// The providers this configuration describes.
    fn build(self) -> Result<Providers, TelemetryError> {
        let protocol = match self.protocol {
            Some(p) => p,
            None => Protocol::from_env()?.unwrap_or(Protocol::HttpProtobuf),
        };
        let mut resource = Resource::builder();
        if let Some(name) = &self.service_name {
            resource = resource.with_service_name(name.clone());
        }
        let resource = resource.build();
        let endpoint = self.endpoint.as_deref().map(|e| e.trim_end_matches('/'));
        let exporter_error = |signal: &'static str| {
            move |e: opentelemetry_otlp::ExporterBuildError| TelemetryError::Exporter {
                signal,
                why: e.to_string(),
            }
        };
        let (spans, metrics_exporter, runtime) = match protocol {
            Protocol::HttpProtobuf => {
                let mut spans = opentelemetry_otlp::SpanExporter::builder()
                    .with_http()
                    .with_protocol(opentelemetry_otlp::Protocol::HttpBinary);
                let mut metrics = opentelemetry_otlp::MetricExporter::builder()
                    .with_http()
                    .with_protocol(opentelemetry_otlp::Protocol::HttpBinary);
                if let Some(base) = endpoint {
                    spans = spans.with_endpoint(format!("{base}/v1/traces"));
                    metrics = metrics.with_endpoint(format!("{base}/v1/metrics"));
                }
                if let Some(timeout) = self.timeout {
                    spans = spans.with_timeout(timeout);
                    metrics = metrics.with_timeout(timeout);
                }
                (
                    spans.build().map_err(exporter_error("traces"))?,
                    metrics.build().map_err(exporter_error("metrics"))?,
                    None,
                )
            }
            Protocol::Grpc => {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .thread_name("oncely-otlp")
                    .enable_all()
                    .build()
                    .map_err(|e| TelemetryError::Exporter {
                        signal: "traces",
                        why: format!("its runtime could not start: {e}"),
                    })?;
                let built = {
                    let _inside = runtime.enter();
                    let mut spans = opentelemetry_otlp::SpanExporter::builder().with_tonic();
                    let mut metrics = opentelemetry_otlp::MetricExporter::builder().with_tonic();
                    if let Some(base) = endpoint {
                        spans = spans.with_endpoint(base);
                        metrics = metrics.with_endpoint(base);
                    }
                    if let Some(timeout) = self.timeout {
                        spans = spans.with_timeout(timeout);
                        metrics = metrics.with_timeout(timeout);
                    }
                    spans
                        .build()
                        .map_err(exporter_error("traces"))
                        .and_then(|s| Ok((s, metrics.build().map_err(exporter_error("metrics"))?)))
                };
                match built {
                    Ok((spans, metrics)) => (spans, metrics, Some(runtime)),
                    Err(e) => {
                        runtime.shutdown_background();
                        return Err(e);
                    }
                }
            }
        };
        let tracer = SdkTracerProvider::builder()
            .with_resource(resource.clone())
            .with_batch_exporter(spans)
            .build();
        let meter = SdkMeterProvider::builder()
            .with_resource(resource)
            .with_periodic_exporter(metrics_exporter)
            .build();
        Ok(Providers {
            tracer,
            meter,
            runtime: Mutex::new(runtime),
        })
    }
}

/// Makes the providers OpenTelemetry's global ones, the W3C propagator the
/// global propagator, and switches oncely's metrics on.
fn make_global(providers: &Providers) {
    opentelemetry::global::set_tracer_provider(providers.tracer.clone());
    opentelemetry::global::set_meter_provider(providers.meter.clone());
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    metrics::enable_metrics();
}
