//! `oncely.Client` (blocking, GIL released during I/O) and
//! `oncely.AsyncClient` (asyncio): thin handles on one core `oncely::Client`.
//! Every call goes through the core pipeline — keys, retries, store,
//! problems — the binding only translates arguments and results.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::aio;
use crate::errors::{core_error, Failure};
use crate::logging;
use crate::operation::{self, PyAsyncOperation, PyOperation};
use crate::options::build_client;
use crate::pages::{self, PyAsyncPages, PyPages};
use crate::request::Call;
use crate::response::PyResponse;
use crate::runtime::{self, shield};
use crate::stream::{self, Kind, PyAsyncEventStream, PyAsyncJsonLines, PyEventStream, PyJsonLines};
use crate::verbs::pymethods_with_verbs;

/// Sends one prepared call through the core and returns the response.
async fn send(request: oncely::RequestBuilder) -> Result<PyResponse, Failure> {
    Ok(PyResponse::new(request.send().await?))
}

/// Sends a prepared call that may answer `202 Accepted`.
async fn start(
    request: oncely::RequestBuilder,
) -> Result<oncely::Operation<serde_json::Value>, Failure> {
    Ok(request.send_operation().await?)
}

/// A client for one API (blocking calls; safe to share between threads).
#[pyclass(module = "oncely", name = "Client", frozen)]
pub struct PyClient {
    pub inner: oncely::Client,
}

#[pymethods]
impl PyClient {
    #[new]
    #[pyo3(signature = (base_url, **options))]
    fn new(py: Python<'_>, base_url: &str, options: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        shield(py, || {
            Ok(PyClient {
                inner: build_client(py, base_url, options)?,
            })
        })
    }

    /// Sends a request; returns the 2xx `Response` or raises an `oncely.Error`.
    #[pyo3(signature = (method, path, **kwargs))]
    fn request(
        &self,
        py: Python<'_>,
        method: &str,
        path: String,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyResponse> {
        logging::refresh(py);
        let request = Call::request(py, &self.inner, method, path, kwargs)?;
        runtime::block_on(py, send(request))
    }

    /// Sends a request that may answer `202 Accepted` and returns the
    /// `Operation` to wait on (already done for a `200`/`201`). `decoder`
    /// turns the JSON result into the caller's type.
    #[pyo3(signature = (method, path, *, decoder=None, **kwargs))]
    fn request_operation(
        &self,
        py: Python<'_>,
        method: &str,
        path: String,
        decoder: Option<Py<PyAny>>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyOperation> {
        logging::refresh(py);
        let request = Call::request(py, &self.inner, method, path, kwargs)?;
        let client = self.inner.clone();
        let op = runtime::block_on(py, start(request))?;
        Ok(PyOperation::new(client, op, decoder))
    }

    /// Sends a request and reads its `text/event-stream` answer: an
    /// `EventStream` of `ServerEvent`s that reconnects with `Last-Event-ID`
    /// when the connection is cut. Besides the call's keyword arguments:
    /// `last_event_id` (resume after it), `reconnect` (`"on_cut"`, the
    /// default; `"on_cut_or_end"`; `"never"`), `max_item_bytes`. Opening
    /// errors (a problem answer, another media type) raise here.
    #[pyo3(signature = (method, path, **kwargs))]
    fn stream_events(
        &self,
        py: Python<'_>,
        method: &str,
        path: String,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyEventStream> {
        logging::refresh(py);
        let spec = stream::stream_spec(kwargs)?;
        let request = Call::request(py, &self.inner, method, path, kwargs)?;
        let shared = stream::open_blocking(py, request, spec, Kind::Events)?;
        Ok(PyEventStream { shared })
    }

    /// Sends a request and reads its JSON lines answer (`application/x-ndjson`,
    /// `application/jsonl`, `application/json-seq`, ...): a `JsonLines` of one
    /// decoded JSON value per line. `max_item_bytes` bounds one line.
    #[pyo3(signature = (method, path, **kwargs))]
    fn stream_lines(
        &self,
        py: Python<'_>,
        method: &str,
        path: String,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyJsonLines> {
        logging::refresh(py);
        let spec = stream::stream_spec(kwargs)?;
        let request = Call::request(py, &self.inner, method, path, kwargs)?;
        let shared = stream::open_blocking(py, request, spec, Kind::Lines)?;
        Ok(PyJsonLines { shared })
    }

    /// Continues an operation from `Operation.resume_token()`.
    #[pyo3(signature = (token, *, decoder=None))]
    fn resume_operation(
        &self,
        py: Python<'_>,
        token: &str,
        decoder: Option<Py<PyAny>>,
    ) -> PyResult<PyOperation> {
        let op = operation::resume(&self.inner, token).map_err(|e| core_error(py, e))?;
        Ok(PyOperation::new(self.inner.clone(), op, decoder))
    }

    /// The pages of a list operation: `spec` is how it pages (a dict in the
    /// JSON form of the core's `PageSpec`, e.g. `{"items": "data", "style":
    /// "body_cursor", "next": "next_cursor", "param": "cursor"}`); each page
    /// is one call of `method path` with the keyword arguments. `cursor`
    /// continues from a `Pages.cursor` token. Nothing is sent until iterated.
    #[pyo3(signature = (method, path, spec, *, max_pages=None, max_items=None, cursor=None, **kwargs))]
    #[allow(clippy::too_many_arguments)]
    fn pages(
        &self,
        py: Python<'_>,
        method: &str,
        path: String,
        spec: &Bound<'_, PyAny>,
        max_pages: Option<f64>,
        max_items: Option<f64>,
        cursor: Option<String>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyPages> {
        logging::refresh(py);
        let listing = pages::open(
            py,
            &self.inner,
            method,
            path,
            spec,
            (max_pages, max_items, cursor),
            kwargs,
        )?;
        Ok(PyPages::new(listing))
    }

    /// The base URL every relative path is resolved against.
    #[getter]
    fn base_url(&self) -> String {
        self.inner.base_url().to_string()
    }

    /// Nothing to release (connections close when the last handle goes);
    /// present so `Client` works as a context manager.
    fn close(&self) {}

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        false
    }

    fn __repr__(&self) -> String {
        format!("<oncely.Client {}>", self.inner.base_url())
    }
}

pymethods_with_verbs!(PyClient -> PyResponse);

/// A client for one API whose calls are coroutines (asyncio).
#[pyclass(module = "oncely", name = "AsyncClient", frozen)]
pub struct PyAsyncClient {
    pub inner: oncely::Client,
}

#[pymethods]
impl PyAsyncClient {
    #[new]
    #[pyo3(signature = (base_url, **options))]
    fn new(py: Python<'_>, base_url: &str, options: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        shield(py, || {
            Ok(PyAsyncClient {
                inner: build_client(py, base_url, options)?,
            })
        })
    }

    /// Sends a request; the coroutine returns the 2xx `Response` or raises.
    #[pyo3(signature = (method, path, **kwargs))]
    fn request<'py>(
        &self,
        py: Python<'py>,
        method: &str,
        path: String,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        logging::refresh(py);
        let request = Call::request(py, &self.inner, method, path, kwargs)?;
        aio::into_awaitable(py, send(request))
    }

    /// Like `Client.request_operation`; the coroutine returns an `AsyncOperation`.
    #[pyo3(signature = (method, path, *, decoder=None, **kwargs))]
    fn request_operation<'py>(
        &self,
        py: Python<'py>,
        method: &str,
        path: String,
        decoder: Option<Py<PyAny>>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        logging::refresh(py);
        let request = Call::request(py, &self.inner, method, path, kwargs)?;
        let client = self.inner.clone();
        aio::into_awaitable(py, async move {
            let op = start(request).await?;
            Ok(PyAsyncOperation::new(client, op, decoder))
        })
    }

    /// Like `Client.stream_events`, for `async for`: the stream opens on the
    /// first `__anext__` (or `async with`), where opening errors raise.
    #[pyo3(signature = (method, path, **kwargs))]
    fn stream_events(
        &self,
        py: Python<'_>,
        method: &str,
        path: String,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyAsyncEventStream> {
        logging::refresh(py);
        let spec = stream::stream_spec(kwargs)?;
        let request = Call::request(py, &self.inner, method, path, kwargs)?;
        Ok(PyAsyncEventStream {
            shared: stream::Shared::new(request, spec, Kind::Events),
        })
    }

    /// Like `Client.stream_lines`, for `async for` (opens on first use).
    #[pyo3(signature = (method, path, **kwargs))]
    fn stream_lines(
        &self,
        py: Python<'_>,
        method: &str,
        path: String,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyAsyncJsonLines> {
        logging::refresh(py);
        let spec = stream::stream_spec(kwargs)?;
        let request = Call::request(py, &self.inner, method, path, kwargs)?;
        Ok(PyAsyncJsonLines {
            shared: stream::Shared::new(request, spec, Kind::Lines),
        })
    }

    /// Continues an operation from a resume token (no I/O; not a coroutine).
    #[pyo3(signature = (token, *, decoder=None))]
    fn resume_operation(
        &self,
        py: Python<'_>,
        token: &str,
        decoder: Option<Py<PyAny>>,
    ) -> PyResult<PyAsyncOperation> {
        let op = operation::resume(&self.inner, token).map_err(|e| core_error(py, e))?;
        Ok(PyAsyncOperation::new(self.inner.clone(), op, decoder))
    }

    /// Like `Client.pages`; the `AsyncPages` is iterated with `async for`.
    #[pyo3(signature = (method, path, spec, *, max_pages=None, max_items=None, cursor=None, **kwargs))]
    #[allow(clippy::too_many_arguments)]
    fn pages(
        &self,
        py: Python<'_>,
        method: &str,
        path: String,
        spec: &Bound<'_, PyAny>,
        max_pages: Option<f64>,
        max_items: Option<f64>,
        cursor: Option<String>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyAsyncPages> {
        logging::refresh(py);
        let listing = pages::open(
            py,
            &self.inner,
            method,
            path,
            spec,
            (max_pages, max_items, cursor),
            kwargs,
        )?;
        Ok(PyAsyncPages::new(listing))
    }

    /// The base URL every relative path is resolved against.
    #[getter]
    fn base_url(&self) -> String {
        self.inner.base_url().to_string()
    }

    /// Nothing to release; a coroutine so `await client.aclose()` works.
    fn aclose<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        aio::into_awaitable(py, async { Ok::<(), Failure>(()) })
    }

    fn __aenter__<'py>(slf: Py<Self>, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        aio::into_awaitable(py, async move { Ok::<Py<Self>, Failure>(slf) })
    }

    #[pyo3(signature = (*_args))]
    fn __aexit__<'py>(
        &self,
        py: Python<'py>,
        _args: &Bound<'py, pyo3::types::PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        aio::into_awaitable(py, async { Ok::<bool, Failure>(false) })
    }

    fn __repr__(&self) -> String {
        format!("<oncely.AsyncClient {}>", self.inner.base_url())
    }
}

pymethods_with_verbs!(PyAsyncClient -> Bound<'py, PyAny>);
