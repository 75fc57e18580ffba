//! `oncely.Store`: where idempotency records (and workflow journals) live.
//! Clients given the same `Store` object share it; a `store="sqlite:PATH"`
//! string opens one for that client.

use std::sync::Arc;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyString;

use oncely_bindings_common::store;

use crate::errors::Failure;
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

    /// Opens a store from a location string: `"memory"`, `"sqlite:PATH"`
    /// (or a plain path) or `"postgres://user:pass@host/db[?oncely_schema=NAME]"`
    /// (a fleet of workers sharing one ledger). The rules are the core's.
    #[staticmethod]
    fn open(py: Python<'_>, spec: &str) -> PyResult<Self> {
        let location = spec.to_string();
        let opened = runtime::block_on(py, async move {
            store::open(&location).await.map_err(Failure::Core)
        })?;
        Ok(PyStore {
            inner: opened.store,
            description: opened.description,
        })
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
        return PyStore::open(value.py(), &spec.to_cow()?);
    }
    Err(PyTypeError::new_err(format!(
        "store must be an oncely.Store or a string (\"memory\", \"sqlite:PATH\", \"postgres://...\"), not {}",
        crate::convert::type_name(value)
    )))
}
