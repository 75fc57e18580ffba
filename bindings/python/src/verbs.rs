//! The request verbs, written once for everything that sends calls:
//! `Client`, `AsyncClient` and a workflow step's `StepContext`. Each class
//! has a `request(py, method, path, kwargs)` over the one request path
//! ([`crate::request::Call`] on a `Caller`); [`pymethods_with_verbs!`] adds
//! `get`, `post`, `put`, `patch` and `delete` on top of it, as a second
//! `#[pymethods]` block (pyo3's `multiple-pymethods`).

/// The five verbs for `Class`, each `self.request(py, METHOD, path, kwargs)`;
/// `-> Ret` is what `request` returns (a `Response`, or an awaitable, which
/// may borrow `'py`).
macro_rules! pymethods_with_verbs {
    ($class:ident -> $ret:ty) => {
        #[pyo3::pymethods]
        impl $class {
            /// `GET path`.
            #[pyo3(signature = (path, **kwargs))]
            fn get<'py>(
                &self,
                py: pyo3::Python<'py>,
                path: String,
                kwargs: Option<&pyo3::Bound<'py, pyo3::types::PyDict>>,
            ) -> pyo3::PyResult<$ret> {
                self.request(py, "GET", path, kwargs)
            }

            /// `POST path` (sent with an idempotency key).
            #[pyo3(signature = (path, **kwargs))]
            fn post<'py>(
                &self,
                py: pyo3::Python<'py>,
                path: String,
                kwargs: Option<&pyo3::Bound<'py, pyo3::types::PyDict>>,
            ) -> pyo3::PyResult<$ret> {
                self.request(py, "POST", path, kwargs)
            }

            /// `PUT path`.
            #[pyo3(signature = (path, **kwargs))]
            fn put<'py>(
                &self,
                py: pyo3::Python<'py>,
                path: String,
                kwargs: Option<&pyo3::Bound<'py, pyo3::types::PyDict>>,
            ) -> pyo3::PyResult<$ret> {
                self.request(py, "PUT", path, kwargs)
            }

            /// `PATCH path` (sent with an idempotency key).
            #[pyo3(signature = (path, **kwargs))]
            fn patch<'py>(
                &self,
                py: pyo3::Python<'py>,
                path: String,
                kwargs: Option<&pyo3::Bound<'py, pyo3::types::PyDict>>,
            ) -> pyo3::PyResult<$ret> {
                self.request(py, "PATCH", path, kwargs)
            }

            /// `DELETE path`.
            #[pyo3(signature = (path, **kwargs))]
            fn delete<'py>(
                &self,
                py: pyo3::Python<'py>,
                path: String,
                kwargs: Option<&pyo3::Bound<'py, pyo3::types::PyDict>>,
            ) -> pyo3::PyResult<$ret> {
                self.request(py, "DELETE", path, kwargs)
            }
        }
    };
}

pub(crate) use pymethods_with_verbs;
