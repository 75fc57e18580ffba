//! Webhooks from Python: `verify_standard_webhook` / `verify_stripe_webhook`
//! (signature and timestamp), `sign_webhook` (for senders and tests),
//! `webhook_claim_sql` (the claim statement for the application's own
//! `sqlite3` / `psycopg` connection; `oncely.webhooks.claim_event_sqlite`
//! executes it), and `WebhookInbox`, which verifies a delivery and runs its
//! handler once per event id through the core's inbox. The rules are the
//! shared layer's (`oncely_bindings_common::webhook`).

use std::sync::{Arc, Mutex};

use oncely::webhook::{Receipt, VerifiedWebhook, Verifier, WebhookError, WebhookInbox};
use oncely_bindings_common::webhook::{self as shared, InboxSpec, Scheme};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString};
use pyo3_async_runtimes::TaskLocals;
use serde_json::Value;

use crate::aio;
use crate::convert::{json_to_py, py_to_json, str_pairs, type_name};
use crate::errors::{self, Failure, Kind};
use crate::runtime::{self, with_gil};

/// `oncely.WebhookError` with `kind`, `http_status` and what the failure
/// names (`header`, `timestamp`, `now`, `tolerance`, `event_id`).
pub fn webhook_error(py: Python<'_>, error: &WebhookError) -> PyErr {
    let attrs: Vec<(&str, Py<PyAny>)> = shared::error_fields(error)
        .into_iter()
        .filter_map(|(name, value)| json_to_py(py, &value).ok().map(|v| (name, v)))
        .collect();
    errors::new_error(py, Kind::Webhook, &error.to_string(), &attrs)
}

fn failure(error: WebhookError) -> Failure {
    Failure::Render(Box::new(move |py| webhook_error(py, &error)))
}

/// One secret (`str`) or several (a sequence of `str`, for key rotation).
fn secrets(value: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(vec![s.to_cow()?.into_owned()]);
    }
    value.extract::<Vec<String>>().map_err(|_| {
        PyTypeError::new_err(format!(
            "secret must be a str or a list of str, not {}",
            type_name(value)
        ))
    })
}

/// The body as bytes: `bytes`, `bytearray`, `memoryview` or `str` (UTF-8).
fn body(value: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(b) = value.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(s.to_cow()?.as_bytes().to_vec());
    }
    if let Ok(b) = value.cast::<PyByteArray>() {
        return Ok(b.to_vec());
    }
    if let Ok(view) = value.call_method0("tobytes") {
        if let Ok(b) = view.cast::<PyBytes>() {
            return Ok(b.as_bytes().to_vec());
        }
    }
    Err(PyTypeError::new_err(format!(
        "body must be bytes or str, not {}",
        type_name(value)
    )))
}

fn verified(py: Python<'_>, event: &VerifiedWebhook) -> PyResult<Py<PyAny>> {
    json_to_py(py, &shared::verified_json(event))
}

fn verify(
    py: Python<'_>,
    scheme: Scheme,
    secret: &Bound<'_, PyAny>,
    headers: &Bound<'_, PyAny>,
    body_value: &Bound<'_, PyAny>,
    tolerance: Option<f64>,
    now: Option<f64>,
) -> PyResult<Py<PyAny>> {
    let secrets = secrets(secret)?;
    let headers = str_pairs(headers, "headers")?;
    let body = body(body_value)?;
    let verifier =
        shared::verifier(scheme, &secrets, tolerance).map_err(|e| webhook_error(py, &e))?;
    let now = shared::now(now).map_err(|e| webhook_error(py, &e))?;
    let event = verifier
        .verify_at(&headers, &body, now)
        .map_err(|e| webhook_error(py, &e))?;
    verified(py, &event)
}

/// Verifies a Standard Webhooks delivery: `{"id", "timestamp"}`, or
/// `oncely.WebhookError`.
#[pyfunction]
#[pyo3(signature = (secret, headers, body, *, tolerance = None, now = None))]
pub fn verify_standard_webhook(
    py: Python<'_>,
    secret: &Bound<'_, PyAny>,
    headers: &Bound<'_, PyAny>,
    body: &Bound<'_, PyAny>,
    tolerance: Option<f64>,
    now: Option<f64>,
) -> PyResult<Py<PyAny>> {
    verify(py, Scheme::Standard, secret, headers, body, tolerance, now)
}

/// Verifies a Stripe delivery (`Stripe-Signature`): `{"id", "timestamp"}`
/// (the id from the JSON body), or `oncely.WebhookError`.
#[pyfunction]
#[pyo3(signature = (secret, headers, body, *, tolerance = None, now = None))]
pub fn verify_stripe_webhook(
    py: Python<'_>,
    secret: &Bound<'_, PyAny>,
    headers: &Bound<'_, PyAny>,
    body: &Bound<'_, PyAny>,
    tolerance: Option<f64>,
    now: Option<f64>,
) -> PyResult<Py<PyAny>> {
    verify(py, Scheme::Stripe, secret, headers, body, tolerance, now)
}

/// The signature header value for a delivery: `scheme` `"standard"`
/// (`webhook-signature`, needs `id`) or `"stripe"` (`Stripe-Signature`).
#[pyfunction]
#[pyo3(signature = (scheme, secret, timestamp, body, *, id = None))]
pub fn sign_webhook(
    py: Python<'_>,
    scheme: &str,
    secret: &Bound<'_, PyAny>,
    timestamp: i64,
    body: &Bound<'_, PyAny>,
    id: Option<&str>,
) -> PyResult<String> {
    let scheme = shared::scheme(scheme).map_err(|e| webhook_error(py, &e))?;
    let secrets = secrets(secret)?;
    let body = self::body(body)?;
    shared::sign(scheme, &secrets, id, timestamp, &body).map_err(|e| webhook_error(py, &e))
}

/// The claim statement for the application's own connection: parameters
/// `(source, event_id, now_ms, now_ms)`; a row back means claimed.
#[pyfunction]
#[pyo3(signature = (style = "qmark", table = "oncely_webhook_events"))]
pub fn webhook_claim_sql(py: Python<'_>, style: &str, table: &str) -> PyResult<String> {
    shared::claim_sql(style, table).map_err(|e| webhook_error(py, &e))
}

/// What a handler left behind when it raised: its exception, re-raised to
/// the caller once the failure is recorded.
type Raised = Arc<Mutex<Option<PyErr>>>;

fn is_awaitable(value: &Bound<'_, PyAny>) -> bool {
    value.hasattr("__await__").unwrap_or(false)
}

/// What calling the handler gave: a value, or a coroutine to await.
enum Called {
    Value(Result<Value, String>),
    Awaiting(Py<PyAny>),
}

/// The handler's outcome as the core records it; an exception is kept in
/// `raised` and recorded by its text.
fn outcome(
    py: Python<'_>,
    result: PyResult<Bound<'_, PyAny>>,
    raised: &Raised,
) -> Result<Value, String> {
    let error = match result {
        Ok(value) => match py_to_json(&value, "the handler's result") {
            Ok(json) => return Ok(json),
            Err(e) => e,
        },
        Err(e) => e,
    };
    let text = error
        .value(py)
        .str()
        .map(|s| s.to_string())
        .unwrap_or_else(|_| "the handler raised".into());
    let name = error
        .get_type(py)
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default();
    *raised.lock().unwrap_or_else(|e| e.into_inner()) = Some(error);
    Err(if text.is_empty() {
        name
    } else {
        format!("{name}: {text}")
    })
}

/// Calls `handler(event)` on a blocking thread (so the lease is extended
/// meanwhile); a coroutine is awaited on `locals`' event loop, or run with
/// `asyncio.run` when there is none.
async fn run_handler(
    handler: Arc<Py<PyAny>>,
    event: VerifiedWebhook,
    locals: Option<TaskLocals>,
    raised: Raised,
) -> Result<Value, String> {
    let in_loop = locals.is_some();
    let raised_in = raised.clone();
    let called = tokio::task::spawn_blocking(move || {
        with_gil(|py| {
            let result = json_to_py(py, &shared::verified_json(&event))
                .and_then(|e| handler.bind(py).call1((e,)));
            let result = match result {
                Ok(r) if is_awaitable(&r) && in_loop => return Called::Awaiting(r.unbind()),
                Ok(r) if is_awaitable(&r) => py
                    .import("asyncio")
                    .and_then(|a| a.call_method1("run", (r,))),
                other => other,
            };
            Called::Value(outcome(py, result, &raised_in))
        })
        .unwrap_or_else(|| Called::Value(Err("the interpreter is shutting down".into())))
    })
    .await
    .map_err(|e| format!("the handler panicked: {e}"))?;
    let awaitable = match called {
        Called::Value(result) => return result,
        Called::Awaiting(awaitable) => awaitable,
    };
    let Some(locals) = locals else {
        return Err("a coroutine handler needs an event loop".into());
    };
    let raised_in = raised.clone();
    let future = with_gil(move |py| {
        pyo3_async_runtimes::into_future_with_locals(&locals, awaitable.into_bound(py))
            .map_err(|e| outcome(py, Err(e), &raised_in).unwrap_err())
    })
    .ok_or_else(|| "the interpreter is shutting down".to_owned())??;
    let result = future.await;
    with_gil(|py| outcome(py, result.map(|v| v.into_bound(py)), &raised))
        .unwrap_or_else(|| Err("the interpreter is shutting down".into()))
}

/// A table of received events (a SQLite file or a PostgreSQL schema),
/// created or migrated when opened, and the verifier for its deliveries:
/// `WebhookInbox("sqlite:hooks.db", secret="whsec_…")`.
#[pyclass(module = "oncely", name = "WebhookInbox", frozen)]
pub struct PyWebhookInbox {
    inbox: WebhookInbox,
    verifier: Arc<dyn Verifier>,
}

impl PyWebhookInbox {
    /// The future of one delivery; the handler's exception, if it raised,
    /// is left in `raised`.
    fn delivery(
        &self,
        headers: &Bound<'_, PyAny>,
        body_value: &Bound<'_, PyAny>,
        handler: &Bound<'_, PyAny>,
        locals: Option<TaskLocals>,
        raised: Raised,
    ) -> PyResult<impl std::future::Future<Output = Result<Receipt, WebhookError>> + Send + 'static>
    {
        if !handler.is_callable() {
            return Err(PyTypeError::new_err(format!(
                "handler must be callable, not {}",
                type_name(handler)
            )));
        }
        let headers = str_pairs(headers, "headers")?;
        let body = body(body_value)?;
        let handler = Arc::new(handler.clone().unbind());
        let (inbox, verifier) = (self.inbox.clone(), self.verifier.clone());
        Ok(async move {
            inbox
                .receive(verifier.as_ref(), &headers, &body, move |event| {
                    run_handler(handler, event, locals, raised)
                })
                .await
        })
    }
}

/// The exception for a failed delivery: the handler's own when it raised.
fn delivery_error(py: Python<'_>, error: WebhookError, raised: &Raised) -> PyErr {
    if let WebhookError::HandlerFailed { .. } = error {
        if let Some(exc) = raised.lock().unwrap_or_else(|e| e.into_inner()).take() {
            return exc;
        }
    }
    let _ = py;
    webhook_error(py, &error)
}

#[pymethods]
impl PyWebhookInbox {
    #[new]
    #[pyo3(signature = (location, *, secret, scheme = "standard", tolerance = None, source = None, lease = None))]
    fn new(
        py: Python<'_>,
        location: String,
        secret: &Bound<'_, PyAny>,
        scheme: &str,
        tolerance: Option<f64>,
        source: Option<String>,
        lease: Option<f64>,
    ) -> PyResult<Self> {
        let spec = InboxSpec {
            location,
            scheme: shared::scheme(scheme).map_err(|e| webhook_error(py, &e))?,
            secrets: secrets(secret)?,
            tolerance,
            source,
            lease,
        };
        let (inbox, verifier) =
            runtime::block_on(py, async move { spec.open().await.map_err(failure) })?;
        Ok(PyWebhookInbox { inbox, verifier })
    }

    /// Where the inbox is, without secrets.
    #[getter]
    fn location(&self) -> String {
        self.inbox.location().to_owned()
    }

    /// The source events are recorded under.
    #[getter]
    fn source(&self) -> String {
        self.inbox.source_name().to_owned()
    }

    /// Verifies the delivery, then calls `handler(event)` (event: `{"id",
    /// "timestamp"}`) unless the event was processed before or is being
    /// processed. Returns `{"status": "processed" | "duplicate" |
    /// "in_progress", "event_id", "result", "http_status"}`. A handler that
    /// raises is recorded `failed` (the next delivery runs it again) and
    /// its exception propagates; a delivery that fails verification raises
    /// `oncely.WebhookError` (`http_status` 400). The GIL is released while
    /// the inbox works; the handler runs on a worker thread.
    fn receive(
        &self,
        py: Python<'_>,
        headers: &Bound<'_, PyAny>,
        body: &Bound<'_, PyAny>,
        handler: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        let raised = Raised::default();
        let delivery = self.delivery(headers, body, handler, None, raised.clone())?;
        let outcome = runtime::block_on(py, async move { Ok(delivery.await) })?;
        match outcome {
            Ok(receipt) => json_to_py(py, &shared::receipt_json(&receipt)),
            Err(e) => Err(delivery_error(py, e, &raised)),
        }
    }

    /// Like `receive`, as a coroutine: an `async def` handler is awaited on
    /// this event loop (a plain one runs on a worker thread).
    fn areceive<'py>(
        &self,
        py: Python<'py>,
        headers: &Bound<'py, PyAny>,
        body: &Bound<'py, PyAny>,
        handler: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let locals = pyo3_async_runtimes::tokio::get_current_locals(py)?;
        let raised = Raised::default();
        let delivery = self.delivery(headers, body, handler, Some(locals), raised.clone())?;
        aio::into_awaitable(py, async move {
            let outcome = delivery.await;
            with_gil(|py| match outcome {
                Ok(receipt) => {
                    json_to_py(py, &shared::receipt_json(&receipt)).map_err(Failure::Python)
                }
                Err(e) => Err(Failure::Python(delivery_error(py, e, &raised))),
            })
            .unwrap_or_else(|| Err(Failure::Panic("the interpreter is shutting down".into())))
        })
    }

    /// The record of `event_id` as a dict, or `None`.
    fn get(&self, py: Python<'_>, event_id: String) -> PyResult<Py<PyAny>> {
        let inbox = self.inbox.clone();
        let record = runtime::block_on(
            py,
            async move { inbox.get(&event_id).await.map_err(failure) },
        )?;
        match record {
            Some(record) => json_to_py(py, &shared::record_json(&record)),
            None => Ok(py.None()),
        }
    }

    /// Up to `limit` records, newest first.
    #[pyo3(signature = (limit = 100))]
    fn list(&self, py: Python<'_>, limit: u32) -> PyResult<Py<PyAny>> {
        let inbox = self.inbox.clone();
        let records =
            runtime::block_on(py, async move { inbox.list(limit).await.map_err(failure) })?;
        json_to_py(
            py,
            &Value::Array(records.iter().map(shared::record_json).collect()),
        )
    }

    fn __repr__(&self) -> String {
        format!(
            "<oncely.WebhookInbox {} source={:?}>",
            self.inbox.location(),
            self.inbox.source_name()
        )
    }
}
