//! Rust `tracing` events reach Python's `logging`: an event of the core with
//! target `oncely::client::pipeline` becomes a record of the logger
//! `oncely.client.pipeline` (a child of `oncely`), carrying the fields of the
//! event and of its spans (method, path, attempt, idempotency key, ...).
//!
//! Only events the `oncely` logger would handle are built: its effective level
//! is cached and re-read at most once a second (at the start of a call, or
//! at once with `oncely.refresh_logging()`), so a quiet logger costs nothing.
//! Fields whose names look like secrets are redacted (the core never records
//! credentials; this is a second line of defence).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::filter::DynFilterFn;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// Python's level numbers.
const NOTSET_OFF: u32 = u32::MAX;
const REFRESH_MS: i64 = 1000;

/// The effective level of the `oncely` logger (`u32::MAX` until read).
static LEVEL: AtomicU32 = AtomicU32::new(NOTSET_OFF);
static LAST_REFRESH_MS: AtomicI64 = AtomicI64::new(i64::MIN);
static LOGGING: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn python_level(level: &Level) -> u32 {
    match *level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        Level::DEBUG => 10,
        Level::TRACE => 5,
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Installs the bridge as this extension's global `tracing` subscriber,
/// beside the OpenTelemetry exporter when the environment asks for one
/// ([`crate::telemetry::layer`]). Each layer filters for itself, so a quiet
/// `oncely` logger does not silence exported spans.
pub fn install(py: Python<'_>) -> PyResult<()> {
    let logging = py.import("logging")?;
    let _ = LOGGING.set(py, logging.into_any().unbind());
    let logs = PythonLogLayer.with_filter(
        DynFilterFn::new(|metadata, _| {
            python_level(metadata.level()) >= LEVEL.load(Ordering::Relaxed)
        })
        .with_callsite_filter(|metadata| {
            if is_ours(metadata.target()) {
                Interest::sometimes()
            } else {
                Interest::never()
            }
        }),
    );
    let registry = tracing_subscriber::registry().with(logs);
    let subscriber = registry.with(crate::telemetry::layer(py));
    // Another copy of the extension in the same process cannot share the
    // global; it then simply keeps its own.
    let _ = tracing::subscriber::set_global_default(subscriber);
    refresh_now(py);
    Ok(())
}

/// Re-reads the level of the `oncely` logger if it was read over a second ago.
#[inline]
pub fn refresh(py: Python<'_>) {
    let last = LAST_REFRESH_MS.load(Ordering::Relaxed);
    let now = now_ms();
    if now.saturating_sub(last) >= REFRESH_MS {
        LAST_REFRESH_MS.store(now, Ordering::Relaxed);
        refresh_now(py);
    }
}

/// Re-reads the level of the `oncely` logger now.
pub fn refresh_now(py: Python<'_>) {
    LAST_REFRESH_MS.store(now_ms(), Ordering::Relaxed);
    let level = LOGGING
        .get(py)
        .and_then(|logging| {
            let logger = logging
                .bind(py)
                .call_method1("getLogger", ("oncely",))
                .ok()?;
            logger
                .call_method0("getEffectiveLevel")
                .ok()?
                .extract::<u32>()
                .ok()
        })
        .unwrap_or(NOTSET_OFF);
    // NOTSET (0) on the root means "everything".
    LEVEL.store(level.max(1), Ordering::Relaxed);
}

/// `oncely.refresh_logging()`: apply a changed level of the `oncely` logger at once.
#[pyfunction]
pub fn refresh_logging(py: Python<'_>) {
    refresh_now(py);
}

fn is_ours(target: &str) -> bool {
    target == "oncely" || target.starts_with("oncely::") || target.starts_with("oncely_python")
}

fn logger_name(target: &str) -> String {
    let rest = target
        .strip_prefix("oncely_python")
        .map(|r| format!("python{r}"))
        .or_else(|| target.strip_prefix("oncely::").map(str::to_string))
        .unwrap_or_default();
    if rest.is_empty() {
        "oncely".into()
    } else {
        format!("oncely.{}", rest.replace("::", "."))
    }
}

fn is_secret(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "authorization",
        "cookie",
        "token",
        "secret",
        "password",
        "api_key",
        "apikey",
        "api-key",
        "credential",
    ]
    .iter()
    .any(|s| n.contains(s))
}

/// The fields of a span or an event, as `name=value` text and as pairs.
#[derive(Default)]
struct Fields {
    message: Option<String>,
    pairs: Vec<(String, String)>,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        self.push(field, text);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.push(field, value.to_string());
    }
}

impl Fields {
    fn push(&mut self, field: &Field, text: String) {
        if field.name() == "message" {
            self.message = Some(text);
        } else if is_secret(field.name()) {
            self.pairs
                .push((field.name().to_string(), "<redacted>".into()));
        } else {
            self.pairs.push((field.name().to_string(), text));
        }
    }
}

struct PythonLogLayer;

impl<S> Layer<S> for PythonLogLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            let mut extensions = span.extensions_mut();
            if let Some(fields) = extensions.get_mut::<Fields>() {
                values.record(fields);
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let meta = event.metadata();
        let mut fields = Fields::default();
        event.record(&mut fields);
        let mut context: Vec<(String, String)> = Vec::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(span_fields) = span.extensions().get::<Fields>() {
                    for (k, v) in &span_fields.pairs {
                        context.retain(|(name, _)| name != k);
                        context.push((k.clone(), v.clone()));
                    }
                }
            }
        }
        for (k, v) in fields.pairs {
            context.retain(|(name, _)| *name != k);
            context.push((k, v));
        }
        let mut text = fields.message.unwrap_or_default();
        for (k, v) in &context {
            let _ = write!(text, " {k}={v}");
        }
        let level = python_level(meta.level());
        let name = logger_name(meta.target());
        crate::runtime::with_gil(|py| {
            if let Err(e) = emit(py, &name, level, meta, text.trim_start(), &context) {
                // A failing handler must not break the call that logged.
                e.print(py);
            }
        });
    }
}

fn emit(
    py: Python<'_>,
    name: &str,
    level: u32,
    meta: &Metadata<'_>,
    message: &str,
    fields: &[(String, String)],
) -> PyResult<()> {
    let Some(logging) = LOGGING.get(py) else {
        return Ok(());
    };
    let logger = logging.bind(py).call_method1("getLogger", (name,))?;
    if !logger.call_method1("isEnabledFor", (level,))?.is_truthy()? {
        return Ok(());
    }
    let extra = PyDict::new(py);
    let field_dict = PyDict::new(py);
    for (k, v) in fields {
        field_dict.set_item(k, v)?;
    }
    extra.set_item("oncely_fields", field_dict)?;
    extra.set_item("oncely_target", meta.target())?;
    let record = logger.call_method1(
        "makeRecord",
        (
            name,
            level,
            meta.file().unwrap_or("<rust>"),
            meta.line().unwrap_or(0),
            message,
            pyo3::types::PyTuple::empty(py),
            py.None(),
            meta.module_path().unwrap_or(""),
            extra,
        ),
    )?;
    logger.call_method1("handle", (record,))?;
    Ok(())
}
