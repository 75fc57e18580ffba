//! Translation of values between Python and Rust: JSON documents, headers
//! and query parameters. Bad values become `TypeError` /
//! `ValueError` naming where in the argument the problem is.

use http::HeaderMap;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyDict, PyFloat, PyInt, PyList, PyMapping, PySequence, PyString, PyTuple,
};
use serde_json::{Map, Number, Value};

/// Deeper documents are refused (a cycle, or a mistake), instead of
/// overflowing the stack.
const MAX_DEPTH: usize = 256;

/// Converts a Python value made of `dict`, `list`, `tuple`, `str`, `int`,
/// `float`, `bool` and `None` into JSON. `what` names the argument in errors.
pub fn py_to_json(value: &Bound<'_, PyAny>, what: &str) -> PyResult<Value> {
    let mut path = String::from(what);
    to_json(value, &mut path, 0)
}

fn to_json(value: &Bound<'_, PyAny>, path: &mut String, depth: usize) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(PyValueError::new_err(format!(
            "{path}: nested more than {MAX_DEPTH} levels deep (is there a cycle?)"
        )));
    }
    if value.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(Value::String(s.to_cow()?.into_owned()));
    }
    if let Ok(b) = value.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(i) = value.cast::<PyInt>() {
        if let Ok(v) = i.extract::<i64>() {
            return Ok(Value::Number(v.into()));
        }
        if let Ok(v) = i.extract::<u64>() {
            return Ok(Value::Number(v.into()));
        }
        return Err(PyValueError::new_err(format!(
            "{path}: integer {} does not fit in 64 bits; send it as a string",
            i.str()?
        )));
    }
    if let Ok(f) = value.cast::<PyFloat>() {
        let v = f.value();
        return Number::from_f64(v).map(Value::Number).ok_or_else(|| {
            PyValueError::new_err(format!(
                "{path}: {v} is not a JSON number (NaN and infinity are not allowed)"
            ))
        });
    }
    if let Ok(dict) = value.cast::<PyDict>() {
        let mut map = Map::new();
        for (k, v) in dict.iter() {
            let key = k.cast::<PyString>().map_err(|_| {
                PyTypeError::new_err(format!(
                    "{path}: JSON object keys must be str, not {}",
                    type_name(&k)
                ))
            })?;
            let key = key.to_cow()?.into_owned();
            let len = path.len();
            path.push_str(&format!("[{key:?}]"));
            let item = to_json(&v, path, depth + 1)?;
            path.truncate(len);
            map.insert(key, item);
        }
        return Ok(Value::Object(map));
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        let seq = value.cast::<PySequence>()?;
        let mut items = Vec::with_capacity(seq.len().unwrap_or(0));
        for (i, item) in seq.try_iter()?.enumerate() {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            items.push(to_json(&item?, path, depth + 1)?);
            path.truncate(len);
        }
        return Ok(Value::Array(items));
    }
    Err(PyTypeError::new_err(format!(
        "{path}: object of type {} is not JSON serializable (use dict, list, str, int, float, bool or None)",
        type_name(value)
    )))
}

/// The type name of a value, for messages.
pub fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// Converts JSON into Python `dict` / `list` / `str` / `int` / `float` / `bool` / `None`.
pub fn json_to_py(py: Python<'_>, value: &Value) -> PyResult<Py<PyAny>> {
    Ok(match value {
        Value::Null => py.None(),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any().unbind(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any().unbind()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any().unbind()
            } else {
                n.as_f64()
                    .unwrap_or(f64::NAN)
                    .into_pyobject(py)?
                    .into_any()
                    .unbind()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any().unbind(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_to_py(py, item)?)?;
            }
            list.into_any().unbind()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, json_to_py(py, v)?)?;
            }
            dict.into_any().unbind()
        }
    })
}

/// Response headers as a `dict` with lower-case names; repeated headers are
/// joined with `", "`. Values that are not visible ASCII are decoded lossily.
pub fn headers_to_py(py: Python<'_>, headers: &HeaderMap) -> Py<PyAny> {
    let dict = PyDict::new(py);
    for name in headers.keys() {
        let joined = headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect::<Vec<_>>()
            .join(", ");
        // Setting a str key to a str value cannot fail.
        let _ = dict.set_item(name.as_str(), joined);
    }
    dict.into_any().unbind()
}

/// A string-to-string mapping (`headers=`), checked.
pub fn str_pairs(value: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<(String, String)>> {
    let mapping = value.cast::<PyMapping>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{what} must be a mapping of str to str, not {}",
            type_name(value)
        ))
    })?;
    let mut out = Vec::new();
    for item in mapping.items()?.iter() {
        let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
        let key: String = k.extract().map_err(|_| {
            PyTypeError::new_err(format!("{what}: names must be str, not {}", type_name(&k)))
        })?;
        let value: String = v.extract().map_err(|_| {
            PyTypeError::new_err(format!(
                "{what}[{key:?}] must be str, not {}",
                type_name(&v)
            ))
        })?;
        out.push((key, value));
    }
    Ok(out)
}

/// Query parameters: a mapping or a sequence of `(name, value)` pairs. A list
/// or tuple value repeats the parameter; `None` values are left out; `bool`
/// becomes `true` / `false`.
pub fn query_pairs(value: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    let items: Vec<(Bound<'_, PyAny>, Bound<'_, PyAny>)> =
        if let Ok(mapping) = value.cast::<PyMapping>() {
            mapping
                .items()?
                .iter()
                .map(|item| item.extract())
                .collect::<PyResult<_>>()?
        } else if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
            value
                .try_iter()?
                .map(|item| {
                    item?.extract().map_err(|_| {
                        PyTypeError::new_err("params as a sequence must hold (name, value) pairs")
                    })
                })
                .collect::<PyResult<_>>()?
        } else {
            return Err(PyTypeError::new_err(format!(
                "params must be a mapping or a list of (name, value) pairs, not {}",
                type_name(value)
            )));
        };
    for (k, v) in items {
        let name: String = k.extract().map_err(|_| {
            PyTypeError::new_err(format!("params: names must be str, not {}", type_name(&k)))
        })?;
        if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
            for item in v.try_iter()? {
                if let Some(text) = scalar_text(&item?, &name)? {
                    out.push((name.clone(), text));
                }
            }
        } else if let Some(text) = scalar_text(&v, &name)? {
            out.push((name, text));
        }
    }
    Ok(out)
}

/// The text of a scalar parameter value (`None` for `None`).
pub fn scalar_text(value: &Bound<'_, PyAny>, name: &str) -> PyResult<Option<String>> {
    if value.is_none() {
        return Ok(None);
    }
    if let Ok(b) = value.cast::<PyBool>() {
        return Ok(Some(if b.is_true() { "true" } else { "false" }.to_string()));
    }
    if value.is_instance_of::<PyString>()
        || value.is_instance_of::<PyInt>()
        || value.is_instance_of::<PyFloat>()
    {
        return Ok(Some(value.str()?.to_cow()?.into_owned()));
    }
    // Enums of the generated clients carry their wire value.
    if let Ok(inner) = value.getattr("value") {
        if value.get_type().getattr("__members__").is_ok() {
            return scalar_text(&inner, name);
        }
    }
    Err(PyTypeError::new_err(format!(
        "parameter '{name}' must be str, int, float, bool or None, not {}",
        type_name(value)
    )))
}
