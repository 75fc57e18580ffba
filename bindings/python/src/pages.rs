//! `oncely.Pages` / `oncely.AsyncPages`: the pages of a list operation,
//! iterated page by page or item by item (`items()`), resumable from
//! `cursor`. The core pages (one ordinary call per page, the spec read by its
//! serde); the shared `Listing` keeps page and item iteration in step; this
//! module translates.

use std::sync::Arc;

use oncely_bindings_common::pages::limit;
use oncely_bindings_common::{page_spec, Binding, Listing, Opt, PageView, PagesSpec};
use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde_json::Value;

use crate::convert::{json_to_py, py_to_json};
use crate::errors::{core_error, Failure};
use crate::request::Call;
use crate::{aio, runtime};

/// One page of a listing.
#[pyclass(module = "oncely", name = "Page", frozen, get_all)]
pub struct PyPage {
    /// The page's items (JSON values).
    items: Py<PyList>,
    /// The page's number; the listing's first page is 0.
    number: u64,
    /// The cursor token of where the listing continues after this page;
    /// `None` after the last.
    next_cursor: Option<String>,
    /// The HTTP status of the page's answer.
    status: u16,
}

#[pymethods]
impl PyPage {
    fn __len__(&self, py: Python<'_>) -> usize {
        self.items.bind(py).len()
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "<oncely.Page {} with {} items>",
            self.number,
            self.items.bind(py).len()
        )
    }
}

/// A page converted with the GIL held (on the caller's or the event loop's thread).
struct PageOut(PageView);

impl<'py> IntoPyObject<'py> for PageOut {
    type Target = PyPage;
    type Output = Bound<'py, PyPage>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyPage>> {
        let items = PyList::empty(py);
        for item in &self.0.items {
            items.append(json_to_py(py, item)?)?;
        }
        Bound::new(
            py,
            PyPage {
                items: items.unbind(),
                number: self.0.number,
                next_cursor: self.0.next_cursor,
                status: self.0.status,
            },
        )
    }
}

/// An item converted with the GIL held.
struct ItemOut(Value);

impl<'py> IntoPyObject<'py> for ItemOut {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(json_to_py(py, &self.0)?.into_bound(py))
    }
}

/// Reads `Client.pages(...)`'s arguments into the shared listing: the spec
/// (a dict in the JSON form of the core's `PageSpec`), the limits, the
/// cursor, and the call's own keyword arguments.
pub fn open(
    py: Python<'_>,
    client: &oncely::Client,
    method: &str,
    path: String,
    spec: &Bound<'_, PyAny>,
    options: (Option<f64>, Option<f64>, Option<String>),
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Arc<Listing>> {
    let (max_pages, max_items, cursor) = options;
    let spec = page_spec(py_to_json(spec, "spec")?).map_err(|e| core_error(py, e))?;
    let count = |n: Option<f64>, opt: Opt| {
        n.map(|n| limit(n, opt))
            .transpose()
            .map_err(|e| core_error(py, e.into_error(Binding::Python)))
    };
    let options = PagesSpec {
        max_pages: count(max_pages, Opt::MaxPages)?,
        max_items: count(max_items, Opt::MaxItems)?,
        cursor,
    };
    let request = Call::request(py, client, method, path, kwargs)?;
    options
        .open(request, spec)
        .map(Arc::new)
        .map_err(|e| core_error(py, e))
}

async fn next_page(listing: Arc<Listing>) -> Result<Option<PageView>, Failure> {
    Ok(listing.next_page().await?)
}

async fn next_item(listing: Arc<Listing>) -> Result<Option<Value>, Failure> {
    Ok(listing.next_item().await?)
}

/// The pages of a list operation (blocking; the GIL is released while a page
/// is fetched). Iterating yields `Page`s; `items()` yields the items.
#[pyclass(module = "oncely", name = "Pages", frozen)]
pub struct PyPages {
    listing: Arc<Listing>,
}

impl PyPages {
    pub fn new(listing: Arc<Listing>) -> Self {
        PyPages { listing }
    }
}

#[pymethods]
impl PyPages {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyPage>>> {
        self.next_page(py)
    }

    /// The next `Page`, or `None` after the last one (or once a limit is reached).
    fn next_page<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyPage>>> {
        let page = runtime::block_on(py, next_page(self.listing.clone()))?;
        page.map(|p| PageOut(p).into_pyobject(py)).transpose()
    }

    /// An iterator over the items of every page, in order (pages are fetched
    /// as it goes; it shares its position with this listing).
    fn items(&self) -> PyPageItems {
        PyPageItems {
            listing: self.listing.clone(),
        }
    }

    /// The cursor token to resume from (`Client.pages(..., cursor=token)`):
    /// where the listing continues; `None` before the first page and after
    /// the last.
    #[getter]
    fn cursor(&self) -> Option<String> {
        self.listing.cursor()
    }

    fn __repr__(&self) -> String {
        "<oncely.Pages>".into()
    }
}

/// The items of a listing, across its pages (blocking).
#[pyclass(module = "oncely", name = "PageItems", frozen)]
pub struct PyPageItems {
    listing: Arc<Listing>,
}

#[pymethods]
impl PyPageItems {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let item = runtime::block_on(py, next_item(self.listing.clone()))?;
        item.map(|v| ItemOut(v).into_pyobject(py)).transpose()
    }

    /// See `Pages.cursor`.
    #[getter]
    fn cursor(&self) -> Option<String> {
        self.listing.cursor()
    }
}

/// The pages of a list operation (asyncio): `async for page in pages`,
/// `async for item in pages.items()`.
#[pyclass(module = "oncely", name = "AsyncPages", frozen)]
pub struct PyAsyncPages {
    listing: Arc<Listing>,
}

impl PyAsyncPages {
    pub fn new(listing: Arc<Listing>) -> Self {
        PyAsyncPages { listing }
    }
}

#[pymethods]
impl PyAsyncPages {
    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let listing = self.listing.clone();
        aio::into_awaitable(py, async move {
            match next_page(listing).await? {
                Some(page) => Ok(PageOut(page)),
                None => Err(Failure::Python(PyStopAsyncIteration::new_err(()))),
            }
        })
    }

    /// A coroutine: the next `Page`, or `None` after the last one.
    fn next_page<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let listing = self.listing.clone();
        aio::into_awaitable(
            py,
            async move { Ok(next_page(listing).await?.map(PageOut)) },
        )
    }

    /// An async iterator over the items of every page, in order.
    fn items(&self) -> PyAsyncPageItems {
        PyAsyncPageItems {
            listing: self.listing.clone(),
        }
    }

    /// See `Pages.cursor`.
    #[getter]
    fn cursor(&self) -> Option<String> {
        self.listing.cursor()
    }

    fn __repr__(&self) -> String {
        "<oncely.AsyncPages>".into()
    }
}

/// The items of a listing, across its pages (asyncio).
#[pyclass(module = "oncely", name = "AsyncPageItems", frozen)]
pub struct PyAsyncPageItems {
    listing: Arc<Listing>,
}

#[pymethods]
impl PyAsyncPageItems {
    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let listing = self.listing.clone();
        aio::into_awaitable(py, async move {
            match next_item(listing).await? {
                Some(item) => Ok(ItemOut(item)),
                None => Err(Failure::Python(PyStopAsyncIteration::new_err(()))),
            }
        })
    }

    /// See `Pages.cursor`.
    #[getter]
    fn cursor(&self) -> Option<String> {
        self.listing.cursor()
    }
}
