//! One call's arguments (`request(method, path, **kwargs)`), read from Python
//! while holding the GIL, then applied to a core `RequestBuilder` without it.

use std::time::Duration;

use oncely::{Method, RequestBuilder};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyMapping};
use serde_json::Value;

use crate::convert::{py_to_json, query_pairs, scalar_text, str_pairs, type_name};
use crate::options::{extract_str, limit, positive, retry_arg, unknown_option};

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

enum Body {
    Json(Value),
    Form(Value),
    Raw(Vec<u8>, String),
}

/// Everything one call needs, owned and `Send`.
pub struct CallSpec {
    method: Method,
    path: String,
    path_params: Vec<(String, String)>,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Option<Body>,
    intent_id: Option<String>,
    idempotency_key: Option<String>,
    idempotent: Option<bool>,
    if_match: Option<String>,
    timeout: Option<Duration>,
    deadline: Option<Option<Duration>>,
    retry: Option<oncely::RetryPolicy>,
}

/// Parses an HTTP method name.
pub fn method(name: &str) -> PyResult<Method> {
    let upper = name.to_ascii_uppercase();
    Method::from_bytes(upper.as_bytes())
        .map_err(|_| PyValueError::new_err(format!("{name:?} is not a valid HTTP method")))
}

impl CallSpec {
    /// Reads `method`, `path` and the keyword arguments.
    pub fn parse(
        method_name: &str,
        path: String,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let mut spec = CallSpec {
            method: method(method_name)?,
            path,
            path_params: Vec::new(),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            intent_id: None,
            idempotency_key: None,
            idempotent: None,
            if_match: None,
            timeout: None,
            deadline: None,
            retry: None,
        };
        let Some(kwargs) = kwargs else {
            return Ok(spec);
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
                "json" => spec.set_body(Body::Json(py_to_json(&value, "json")?))?,
                "data" => spec.set_body(Body::Form(py_to_json(&value, "data")?))?,
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
                "timeout" => spec.timeout = Some(positive(&value, "timeout")?),
                "deadline" => spec.deadline = Some(limit(&value, "deadline")?),
                "retry" => spec.retry = Some(retry_arg(&value)?),
                other => return Err(unknown_option("request", other, REQUEST_OPTIONS)),
            }
        }
        match (content, content_type) {
            (Some(bytes), ct) => {
                let ct = ct.unwrap_or_else(|| "application/octet-stream".into());
                spec.set_body(Body::Raw(bytes, ct))?;
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
        Ok(spec)
    }

    fn set_body(&mut self, body: Body) -> PyResult<()> {
        if self.body.is_some() {
            return Err(PyValueError::new_err(
                "give only one of json=, data= and content=",
            ));
        }
        self.body = Some(body);
        Ok(())
    }

    /// The core request for this call.
    pub fn into_builder(self, client: &oncely::Client) -> RequestBuilder {
        let b = client.request(self.method.clone(), self.path.clone());
        self.apply(b)
    }

    /// Applies everything but the method and path to `b` (a request a
    /// workflow step's context started, carrying the step's key).
    pub fn apply(self, mut b: RequestBuilder) -> RequestBuilder {
        for (name, value) in &self.path_params {
            b = b.path_param(name, value);
        }
        for (name, value) in &self.query {
            b = b.query(name, value);
        }
        for (name, value) in &self.headers {
            b = b.header(name, value);
        }
        b = match self.body {
            Some(Body::Json(v)) => b.json(&v),
            Some(Body::Form(v)) => b.form(&v),
            Some(Body::Raw(bytes, ct)) => b.body(bytes, &ct),
            None => b,
        };
        if let Some(intent) = self.intent_id {
            b = b.intent_id(intent);
        }
        if let Some(key) = self.idempotency_key {
            b = b.idempotency_key(key);
        }
        if let Some(on) = self.idempotent {
            b = b.idempotent(on);
        }
        if let Some(etag) = &self.if_match {
            b = b.if_match(etag);
        }
        if let Some(t) = self.timeout {
            b = b.attempt_timeout(t);
        }
        if let Some(d) = self.deadline {
            b = b.deadline(d);
        }
        if let Some(policy) = self.retry {
            b = b.retry_policy(policy);
        }
        b
    }
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
