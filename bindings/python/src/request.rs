//! One call's arguments (`request(method, path, **kwargs)`), read from Python
//! while holding the GIL into the shared `CallSpec`, then prepared on a
//! client or a step's context (the one request path of the binding). The
//! prepared request is sent without the GIL.

use oncely::RequestBuilder;
use oncely_bindings_common::{Binding, Body, CallSpec, Caller, Opt};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyMapping};

use crate::convert::{py_to_json, query_pairs, scalar_text, str_pairs, type_name};
use crate::errors::core_error;
use crate::options::{duration, extract_str, limit, retry_arg, unknown_option};

/// The keyword arguments every request method accepts.
const REQUEST_OPTIONS: &[&str] = &[
    "json",
    "data",
    "content",
    "content_type",
    "params",
    "headers",
    "path_params",
    "intent_id",
    "idempotency_key",
    "idempotent",
    "if_match",
    "timeout",
    "deadline",
    "retry",
];

/// One call: method, path and the shared spec of everything else.
pub struct Call {
    method: String,
    path: String,
    spec: CallSpec,
}

impl Call {
    /// Reads `method`, `path` and the keyword arguments.
    pub fn parse(
        method_name: &str,
        path: String,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let mut spec = CallSpec::default();
        let Some(kwargs) = kwargs else {
            return Ok(Call {
                method: method_name.to_string(),
                path,
                spec,
            });
        };
        let mut content_type: Option<String> = None;
        let mut content: Option<Vec<u8>> = None;
        for (key, value) in kwargs.iter() {
            let name: String = key.extract()?;
            if value.is_none() {
                if !REQUEST_OPTIONS.contains(&name.as_str()) {
                    return Err(unknown_option("request", &name, REQUEST_OPTIONS));
                }
                continue;
            }
            match name.as_str() {
                "json" => set_body(&mut spec, Body::Json(py_to_json(&value, "json")?))?,
                "data" => set_body(&mut spec, Body::Form(py_to_json(&value, "data")?))?,
                "content" => {
                    let bytes = value.cast::<PyBytes>().map_err(|_| {
                        PyTypeError::new_err(format!(
                            "content must be bytes, not {}",
                            type_name(&value)
                        ))
                    })?;
                    content = Some(bytes.as_bytes().to_vec());
                }
                "content_type" => content_type = Some(extract_str(&value, "content_type")?),
                "params" => spec.query = query_pairs(&value)?,
                "headers" => spec.headers = str_pairs(&value, "headers")?,
                "path_params" => spec.path_params = path_params(&value)?,
                "intent_id" => spec.intent_id = Some(extract_str(&value, "intent_id")?),
                "idempotency_key" => {
                    spec.idempotency_key = Some(extract_str(&value, "idempotency_key")?)
                }
                "idempotent" => {
                    let flag = value.cast::<PyBool>().map_err(|_| {
                        PyTypeError::new_err(format!(
                            "idempotent must be bool, not {}",
                            type_name(&value)
                        ))
                    })?;
                    spec.idempotent = Some(flag.is_true());
                }
                "if_match" => spec.if_match = Some(extract_str(&value, "if_match")?),
                "timeout" => spec.timeout = Some(duration(&value, Opt::Timeout)?),
                "deadline" => spec.deadline = Some(limit(&value, Opt::Deadline)?),
                "retry" => spec.retry = Some(retry_arg(&value)?),
                other => return Err(unknown_option("request", other, REQUEST_OPTIONS)),
            }
        }
        match (content, content_type) {
            (Some(bytes), ct) => {
                let content_type = ct.unwrap_or_else(|| "application/octet-stream".into());
                set_body(
                    &mut spec,
                    Body::Raw {
                        bytes: bytes.into(),
                        content_type,
                    },
                )?;
            }
            (None, Some(ct)) => {
                if spec.body.is_none() {
                    return Err(PyValueError::new_err(
                        "content_type= needs content= (the raw body)",
                    ));
                }
                spec.headers.push(("content-type".into(), ct));
            }
            (None, None) => {}
        }
        Ok(Call {
            method: method_name.to_string(),
            path,
            spec,
        })
    }

    /// The method, the path and the spec (for an outbox call, which is sent
    /// later by a dispatcher).
    pub fn into_parts(self) -> (String, String, CallSpec) {
        (self.method, self.path, self.spec)
    }

    /// The request on `caller` (a client, or a step's context), ready to send.
    pub fn prepare(self, caller: &impl Caller) -> Result<RequestBuilder, oncely::Error> {
        self.spec
            .prepare(caller, &self.method, self.path, Binding::Python)
    }

    /// Parses and prepares in one go, raising refusals at once.
    pub fn request(
        py: Python<'_>,
        caller: &impl Caller,
        method_name: &str,
        path: String,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<RequestBuilder> {
        let mut call = Call::parse(method_name, path, kwargs)?;
        call.spec.trace_context = crate::telemetry::current(py);
        call.prepare(caller).map_err(|e| core_error(py, e))
    }
}

fn set_body(spec: &mut CallSpec, body: Body) -> PyResult<()> {
    if spec.body.is_some() {
        return Err(PyValueError::new_err(
            "give only one of json=, data= and content=",
        ));
    }
    spec.body = Some(body);
    Ok(())
}

fn path_params(value: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
    let mapping = value.cast::<PyMapping>().map_err(|_| {
        PyTypeError::new_err(format!(
            "path_params must be a mapping, not {}",
            type_name(value)
        ))
    })?;
    let mut out = Vec::new();
    for item in mapping.items()?.iter() {
        let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
        let name: String = k.extract().map_err(|_| {
            PyTypeError::new_err(format!(
                "path_params: names must be str, not {}",
                type_name(&k)
            ))
        })?;
        let text = scalar_text(&v, &name)?
            .ok_or_else(|| PyValueError::new_err(format!("path parameter {name:?} is None")))?;
        out.push((name, text));
    }
    Ok(out)
}
