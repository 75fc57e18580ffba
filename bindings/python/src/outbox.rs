//! `oncely.OutboxCall` and `oncely.Outbox`: the transactional outbox of the
//! core. A call is enqueued inside the application's own transaction — on
//! its own `sqlite3` or `psycopg` connection, through the statement
//! [`PyOutboxCall::insert_statement`] returns (the Python helpers
//! `oncely.enqueue_sqlite` / `oncely.enqueue_postgres` execute it) — and an
//! `Outbox` delivers, lists, retries and discards rows through the core's
//! dispatcher. The rules are the shared layer's (`oncely_bindings_common::outbox`).

use std::time::Duration;

use oncely::outbox::{Outbox, OutboxCall, OutboxError, SqlParam};
use oncely_bindings_common::outbox::{self as shared, DispatchSpec};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use pyo3::IntoPyObjectExt;
use serde_json::Value;

use crate::client::{PyAsyncClient, PyClient};
use crate::convert::{json_to_py, type_name};
use crate::errors::{self, Failure, Kind};
use crate::request::Call;
use crate::runtime;

/// The error of an outbox refusal or failure: `oncely.OutboxError` with its
/// `kind` (and `existing`, the row holding a duplicate intent).
fn outbox_failure(error: OutboxError) -> Failure {
    Failure::Render(Box::new(move |py| outbox_error(py, &error)))
}

fn outbox_error(py: Python<'_>, error: &OutboxError) -> PyErr {
    let mut attrs: Vec<(&str, Py<PyAny>)> = Vec::new();
    if let Ok(kind) = shared::error_kind(error).into_py_any(py) {
        attrs.push(("kind", kind));
    }
    if let OutboxError::DuplicateIntent { existing, .. } = error {
        if let Ok(id) = existing.into_py_any(py) {
            attrs.push(("existing", id));
        }
    }
    errors::new_error(py, Kind::Outbox, &error.to_string(), &attrs)
}

/// Seconds as a duration: a finite number of 0 or more.
fn seconds(value: &Bound<'_, PyAny>, name: &str) -> PyResult<Duration> {
    let secs: f64 = value.extract().map_err(|_| {
        PyTypeError::new_err(format!(
            "{name} must be a number of seconds, not {}",
            type_name(value)
        ))
    })?;
    Duration::try_from_secs_f64(secs).map_err(|_| {
        PyValueError::new_err(format!(
            "{name} must be a finite number of seconds of 0 or more, not {secs}"
        ))
    })
}

/// One call to enqueue: `OutboxCall(method, path, *, partition=None,
/// delay=None, json=..., content=..., content_type=..., params=...,
/// headers=..., path_params=..., intent_id=...)`.
#[pyclass(module = "oncely", name = "OutboxCall", frozen)]
pub struct PyOutboxCall {
    call: OutboxCall,
}

#[pymethods]
impl PyOutboxCall {
    #[new]
    #[pyo3(signature = (method, path, *, partition = None, delay = None, **kwargs))]
    fn new(
        py: Python<'_>,
        method: &str,
        path: String,
        partition: Option<String>,
        delay: Option<&Bound<'_, PyAny>>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let delay = delay.map(|d| seconds(d, "delay")).transpose()?;
        let (method, path, spec) = Call::parse(method, path, kwargs)?.into_parts();
        let call = shared::call(&method, &path, spec, partition, delay)
            .map_err(|e| outbox_error(py, &e))?;
        Ok(PyOutboxCall { call })
    }

    /// The intent id (the idempotency key is derived from it), if named.
    #[getter]
    fn intent_id(&self) -> Option<String> {
        self.call.intent().map(str::to_owned)
    }

    /// The `INSERT` that enqueues this call, for the application's own
    /// connection: `(sql, params)`. `style`: `"qmark"` (`sqlite3`),
    /// `"format"` (`psycopg`) or `"dollar"`; `table`: `oncely_outbox` or
    /// `schema.oncely_outbox`. It returns the row id, or no row when the
    /// intent is already in the outbox.
    #[pyo3(signature = (style = "qmark", table = "oncely_outbox"))]
    fn insert_statement<'py>(
        &self,
        py: Python<'py>,
        style: &str,
        table: &str,
    ) -> PyResult<(String, Bound<'py, PyList>)> {
        let insert =
            shared::insert_statement(&self.call, style, table).map_err(|e| outbox_error(py, &e))?;
        let params = PyList::empty(py);
        for param in insert.params {
            match param {
                SqlParam::Null => params.append(py.None())?,
                SqlParam::Integer(i) => params.append(i)?,
                SqlParam::Text(t) => params.append(t)?,
                SqlParam::Blob(b) => params.append(PyBytes::new(py, &b))?,
            }
        }
        Ok((insert.sql, params))
    }

    fn __repr__(&self) -> String {
        format!("<oncely.OutboxCall {:?}>", self.call.intent())
    }
}

/// An outbox table (a SQLite file or a PostgreSQL schema), created or
/// migrated when opened: `Outbox("sqlite:app.db")`,
/// `Outbox("postgres://…?oncely_schema=NAME")`.
#[pyclass(module = "oncely", name = "Outbox", frozen)]
pub struct PyOutbox {
    outbox: Outbox,
}

fn json(py: Python<'_>, value: &Value) -> PyResult<Py<PyAny>> {
    json_to_py(py, value)
}

#[pymethods]
impl PyOutbox {
    #[new]
    fn new(py: Python<'_>, location: String) -> PyResult<Self> {
        let outbox = runtime::block_on(py, async move {
            Outbox::open(&location).await.map_err(outbox_failure)
        })?;
        Ok(PyOutbox { outbox })
    }

    /// Where the outbox is, without secrets.
    #[getter]
    fn location(&self) -> String {
        self.outbox.location().to_owned()
    }

    /// Enqueues `call` in a transaction of its own (inside the
    /// application's transaction, use `oncely.enqueue_sqlite` or
    /// `oncely.enqueue_postgres` on its connection). Returns the row id.
    fn enqueue(&self, py: Python<'_>, call: &Bound<'_, PyOutboxCall>) -> PyResult<i64> {
        let call = call.get().call.clone();
        let outbox = self.outbox.clone();
        runtime::block_on(py, async move {
            outbox.enqueue(&call).await.map_err(outbox_failure)
        })
    }

    /// Row `id` as a dict (with its `idempotency_key`).
    fn get(&self, py: Python<'_>, id: i64) -> PyResult<Py<PyAny>> {
        let outbox = self.outbox.clone();
        let row = runtime::block_on(
            py,
            async move { outbox.get(id).await.map_err(outbox_failure) },
        )?;
        json(py, &shared::row_json(&row))
    }

    /// Rows, newest first: `state` (pending, in_flight, delivered, dead,
    /// discarded), `partition`, at most `limit`.
    #[pyo3(signature = (*, state = None, partition = None, limit = 100))]
    fn list(
        &self,
        py: Python<'_>,
        state: Option<&str>,
        partition: Option<String>,
        limit: u32,
    ) -> PyResult<Py<PyAny>> {
        let filter =
            shared::filter(state, partition, Some(limit)).map_err(|e| outbox_error(py, &e))?;
        let outbox = self.outbox.clone();
        let rows = runtime::block_on(py, async move {
            outbox.list(&filter).await.map_err(outbox_failure)
        })?;
        json(
            py,
            &Value::Array(rows.iter().map(shared::row_json).collect()),
        )
    }

    /// Sends a dead (or discarded) row again, with its original key.
    fn retry(&self, py: Python<'_>, id: i64) -> PyResult<Py<PyAny>> {
        let outbox = self.outbox.clone();
        let row = runtime::block_on(
            py,
            async move { outbox.retry(id).await.map_err(outbox_failure) },
        )?;
        json(py, &shared::row_json(&row))
    }

    /// Never sends a dead or pending row (it is kept, marked discarded).
    fn discard(&self, py: Python<'_>, id: i64) -> PyResult<Py<PyAny>> {
        let outbox = self.outbox.clone();
        let row = runtime::block_on(py, async move {
            outbox.discard(id).await.map_err(outbox_failure)
        })?;
        json(py, &shared::row_json(&row))
    }

    /// Rows per state and the age of the oldest pending row (ms).
    fn stats(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let outbox = self.outbox.clone();
        let stats = runtime::block_on(
            py,
            async move { outbox.stats().await.map_err(outbox_failure) },
        )?;
        json(py, &serde_json::to_value(stats).unwrap_or(Value::Null))
    }

    /// Delivers what is due through `client` (its base URL, credentials,
    /// retries) until nothing is due, and returns what happened:
    /// `{"delivered", "retried", "dead", "lease_lost"}`. The GIL is released
    /// meanwhile. `client` keeps its own idempotency records: a row it saw
    /// fail with a final answer and that is then retried gets that answer
    /// again from the same client, so dispatch a retried row with a new
    /// client. For a long-running dispatcher use `oncely outbox dispatch`
    /// (it keeps no records of its own).
    #[pyo3(signature = (client, *, concurrency = None, max_attempts = None, owner = None, lease = None, rate = None))]
    #[allow(clippy::too_many_arguments)]
    fn dispatch(
        &self,
        py: Python<'_>,
        client: &Bound<'_, PyAny>,
        concurrency: Option<usize>,
        max_attempts: Option<u32>,
        owner: Option<String>,
        lease: Option<&Bound<'_, PyAny>>,
        rate: Option<f64>,
    ) -> PyResult<Py<PyAny>> {
        let client = if let Ok(c) = client.cast::<PyClient>() {
            c.get().inner.clone()
        } else if let Ok(c) = client.cast::<PyAsyncClient>() {
            c.get().inner.clone()
        } else {
            return Err(PyTypeError::new_err(format!(
                "client must be an oncely.Client or oncely.AsyncClient, not {}",
                type_name(client)
            )));
        };
        let spec = DispatchSpec {
            concurrency,
            max_attempts,
            owner,
            lease: lease.map(|l| seconds(l, "lease")).transpose()?,
            rate,
        };
        let dispatcher = spec.dispatcher(self.outbox.clone(), client);
        let report = runtime::block_on(py, async move {
            dispatcher.drain().await.map_err(outbox_failure)
        })?;
        json(py, &shared::report_json(&report))
    }

    fn __repr__(&self) -> String {
        format!("<oncely.Outbox {}>", self.outbox.location())
    }
}
