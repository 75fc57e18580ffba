//! `oncely.Response`: a complete answer (status, headers, body) and how the
//! call went (attempts, replayed, stored, idempotency key).

use bytes::Bytes;
use http::HeaderMap;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::convert::{headers_to_py, json_to_py};
use crate::errors::core_error;

/// Where the body came from.
enum Source {
    /// A successful answer from the core.
    Core(oncely::Response),
    /// An error answer (kept on a `ProblemError` / `StatusError`).
    Parts {
        status: u16,
        headers: HeaderMap,
        body: Bytes,
        url: Option<String>,
    },
}

/// An HTTP answer, read completely.
#[pyclass(module = "oncely", name = "Response", frozen)]
pub struct PyResponse {
    source: Source,
}

impl PyResponse {
    /// Wraps a successful answer of the core.
    pub fn new(response: oncely::Response) -> Self {
        PyResponse {
            source: Source::Core(response),
        }
    }

    /// A response made of parts (error answers).
    pub fn from_parts(status: u16, headers: HeaderMap, body: Bytes, url: Option<String>) -> Self {
        PyResponse {
            source: Source::Parts {
                status,
                headers,
                body,
                url,
            },
        }
    }

    fn headers_map(&self) -> &HeaderMap {
        match &self.source {
            Source::Core(r) => r.headers(),
            Source::Parts { headers, .. } => headers,
        }
    }

    fn body(&self) -> &[u8] {
        match &self.source {
            Source::Core(r) => r.bytes(),
            Source::Parts { body, .. } => body,
        }
    }

    /// The decoded JSON body, as the core decodes it.
    pub fn json_value(&self) -> Result<serde_json::Value, oncely::Error> {
        match &self.source {
            Source::Core(r) => r.json(),
            Source::Parts { body, .. } => {
                if body.iter().all(u8::is_ascii_whitespace) {
                    return Ok(serde_json::Value::Null);
                }
                serde_json::from_slice(body).map_err(|e| oncely::Error::Decode {
                    what: "error response body".into(),
                    path: ".".into(),
                    message: e.to_string(),
                    snippet: String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
                })
            }
        }
    }
}

#[pymethods]
impl PyResponse {
    /// The HTTP status code.
    #[getter]
    fn status(&self) -> u16 {
        match &self.source {
            Source::Core(r) => r.status(),
            Source::Parts { status, .. } => *status,
        }
    }

    /// The headers, names in lower case (repeated headers joined by ", ").
    #[getter]
    fn headers(&self, py: Python<'_>) -> Py<PyAny> {
        headers_to_py(py, self.headers_map())
    }

    /// One header's value, or `default`.
    #[pyo3(signature = (name, default=None))]
    fn header(&self, name: &str, default: Option<String>) -> Option<String> {
        self.headers_map()
            .get(name.to_ascii_lowercase().as_str())
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .or(default)
    }

    /// The raw body.
    #[getter]
    fn content<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.body())
    }

    /// The body as text (UTF-8); `oncely.DecodeError` if it is not.
    #[getter]
    fn text(&self, py: Python<'_>) -> PyResult<String> {
        match &self.source {
            Source::Core(r) => r.text().map_err(|e| core_error(py, e)),
            Source::Parts { body, .. } => Ok(String::from_utf8_lossy(body).into_owned()),
        }
    }

    /// The JSON body as Python values (`None` for an empty body);
    /// `oncely.DecodeError` when it is not JSON.
    fn json(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let value = self.json_value().map_err(|e| core_error(py, e))?;
        json_to_py(py, &value)
    }

    /// The URL of the request (`None` for error answers).
    #[getter]
    fn url(&self) -> Option<String> {
        match &self.source {
            Source::Core(r) => Some(r.url().to_string()),
            Source::Parts { url, .. } => url.clone(),
        }
    }

    /// The `ETag` header, for a later `if_match=`.
    #[getter]
    fn etag(&self) -> Option<String> {
        self.header("etag", None)
    }

    /// How many attempts the call took (0 when answered from the store).
    #[getter]
    fn attempts(&self) -> u32 {
        match &self.source {
            Source::Core(r) => r.attempts(),
            Source::Parts { .. } => 0,
        }
    }

    /// True when the local store held the answer and nothing was sent.
    #[getter(from_store)]
    fn is_from_store(&self) -> bool {
        matches!(&self.source, Source::Core(r) if r.from_store())
    }

    /// True when the server replayed a stored answer (`Idempotent-Replayed: true`).
    #[getter]
    fn replayed(&self) -> bool {
        match &self.source {
            Source::Core(r) => r.replayed(),
            Source::Parts { headers, .. } => headers
                .get("idempotent-replayed")
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true")),
        }
    }

    /// The idempotency key the call was sent with, if any.
    #[getter]
    fn idempotency_key(&self) -> Option<String> {
        match &self.source {
            Source::Core(r) => r.idempotency_key().map(str::to_string),
            Source::Parts { .. } => None,
        }
    }

    /// True for a 2xx status.
    #[getter]
    fn is_success(&self) -> bool {
        (200..300).contains(&self.status())
    }

    fn __repr__(&self) -> String {
        format!("<oncely.Response [{}]>", self.status())
    }
}
