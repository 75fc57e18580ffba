//! `oncely.Store`: where idempotency records (and workflow journals) live.
//! Clients given the same `Store` object share it; a `store="sqlite:PATH"`
//! string opens one for that client.

use std::sync::Arc;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::errors::{self, Failure};
use crate::runtime;

/// A store handle (cheap to share between clients and threads).
#[pyclass(module = "oncely", name = "Store", frozen)]
#[derive(Clone)]
pub struct PyStore {
    pub inner: Arc<dyn oncely::Store>,
    description: String,
}

#[pymethods]
impl PyStore {
    /// An in-memory store: fast, lost when the process ends.
    #[staticmethod]
    fn memory() -> Self {
        PyStore {
            inner: Arc::new(oncely::MemoryStore::new()),
            description: "memory".into(),
        }
    }

    /// A SQLite file (created if missing): survives restarts; shared safely by
    /// threads and processes on one machine.
    #[staticmethod]
    fn sqlite(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Self> {
        let description = format!("sqlite:{}", path.display());
        let store = runtime::block_on(py, async move {
            oncely::SqliteStore::open(&path).map_err(|e| Failure::Core(e.into()))
        })?;
        Ok(PyStore {
            inner: Arc::new(store),
            description,
        })
    }

    /// Opens a store from a URL-like string: `"memory"`, `"sqlite:PATH"` or
    /// `"postgres://user:pass@host/db[?oncely_schema=NAME]"` (a fleet of
    /// workers sharing one ledger).
    #[staticmethod]
    fn open(py: Python<'_>, spec: &str) -> PyResult<Self> {
        open_spec(py, spec)
    }

    fn __repr__(&self) -> String {
        format!("<oncely.Store {}>", self.description)
    }
}

/// Parses a `store=` argument: a `Store`, or a string for [`PyStore::open`].
pub fn from_arg(value: &Bound<'_, PyAny>) -> PyResult<PyStore> {
    if let Ok(store) = value.cast::<PyStore>() {
        return Ok(store.get().clone());
    }
    if let Ok(spec) = value.cast::<PyString>() {
        return open_spec(value.py(), &spec.to_cow()?);
    }
    Err(PyTypeError::new_err(format!(
        "store must be an oncely.Store or a string (\"memory\", \"sqlite:PATH\", \"postgres://...\"), not {}",
        crate::convert::type_name(value)
    )))
}

fn open_spec(py: Python<'_>, spec: &str) -> PyResult<PyStore> {
    let trimmed = spec.trim();
    if trimmed == "memory" || trimmed == "memory:" {
        return Ok(PyStore::memory());
    }
    if let Some(path) = trimmed.strip_prefix("sqlite:") {
        let path = path.strip_prefix("//").unwrap_or(path);
        if path.is_empty() {
            return Err(errors::invalid(
                py,
                &format!("store {spec:?}"),
                "sqlite: needs a file path, e.g. sqlite:oncely.db",
            ));
        }
        return PyStore::sqlite(py, path.into());
    }
    if trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://") {
        return open_postgres(py, trimmed);
    }
    Err(errors::invalid(
        py,
        &format!("store {spec:?}"),
        "expected \"memory\", \"sqlite:PATH\" or \"postgres://...\"",
    ))
}

fn open_postgres(py: Python<'_>, url: &str) -> PyResult<PyStore> {
    // Never echo the URL: it may carry a password.
    let location = url.to_string();
    let opened = runtime::block_on(py, async move {
        oncely::store::open(&location)
            .await
            .map_err(|e| Failure::Core(e.into()))
    })?;
    let host = url.rsplit('@').next().unwrap_or("postgres").to_string();
    Ok(PyStore {
        inner: opened.store,
        description: format!("postgres:{host}"),
    })
}
