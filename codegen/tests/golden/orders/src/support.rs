//! Helpers for the generated operations and models: parameter
//! serialisation (OpenAPI styles) and discriminated unions.
#![allow(dead_code)]

/// How a query parameter is written (OpenAPI `style`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// `form`: `a=1&a=2` (exploded) or `a=1,2`.
    Form,
    /// `spaceDelimited`: `a=1 2`.
    SpaceDelimited,
    /// `pipeDelimited`: `a=1|2`.
    PipeDelimited,
    /// `deepObject`: `a[key]=1`, `a[]=x`, `a[0][key]=1`.
    DeepObject,
    /// The parameter's value is JSON text.
    Json,
}

/// A scalar as text (`None` for `null`).
fn scalar(v: &::serde_json::Value) -> ::std::option::Option<::std::string::String> {
    match v {
        ::serde_json::Value::Null => None,
        ::serde_json::Value::String(s) => Some(s.clone()),
        ::serde_json::Value::Bool(b) => Some(b.to_string()),
        ::serde_json::Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

fn joined(items: &[::serde_json::Value], sep: &str) -> ::std::string::String {
    items.iter().filter_map(scalar).collect::<::std::vec::Vec<_>>().join(sep)
}

fn pairs(map: &::serde_json::Map<::std::string::String, ::serde_json::Value>) -> ::std::string::String {
    let mut parts = ::std::vec::Vec::new();
    for (k, v) in map {
        if let Some(s) = scalar(v) {
            parts.push(k.clone());
            parts.push(s);
        }
    }
    parts.join(",")
}

/// `simple` style (path and header parameters): scalars as they are,
/// arrays comma-separated, objects as `key,value,key,value`.
pub(crate) fn simple<T: ::serde::Serialize + ?Sized>(value: &T) -> ::std::string::String {
    match ::serde_json::to_value(value) {
        Ok(::serde_json::Value::Array(items)) => joined(&items, ","),
        Ok(::serde_json::Value::Object(map)) => pairs(&map),
        Ok(v) => scalar(&v).unwrap_or_default(),
        Err(_) => ::std::string::String::new(),
    }
}

/// The value as JSON text (parameters given with `content`).
pub(crate) fn json_text<T: ::serde::Serialize + ?Sized>(value: &T) -> ::std::string::String {
    ::serde_json::to_string(value).unwrap_or_default()
}

/// Adds a query parameter of any type in the given style.
pub(crate) fn query<T: ::serde::Serialize + ?Sized>(
    rb: ::oncely::RequestBuilder,
    name: &str,
    value: &T,
    style: Style,
    explode: bool,
) -> ::oncely::RequestBuilder {
    let value = match ::serde_json::to_value(value) {
        Ok(v) => v,
        Err(_) => return rb,
    };
    match (style, value) {
        (_, ::serde_json::Value::Null) => rb,
        (Style::Json, v) => rb.query(name, v.to_string()),
        (Style::DeepObject, v) => deep(rb, name.to_string(), &v),
        (Style::Form, ::serde_json::Value::Array(items)) if explode => {
            let mut rb = rb;
            for item in items.iter().filter_map(scalar) {
                rb = rb.query(name, item);
            }
            rb
        }
        (Style::SpaceDelimited, ::serde_json::Value::Array(items)) => rb.query(name, joined(&items, " ")),
        (Style::PipeDelimited, ::serde_json::Value::Array(items)) => rb.query(name, joined(&items, "|")),
        (_, ::serde_json::Value::Array(items)) => rb.query(name, joined(&items, ",")),
        (_, ::serde_json::Value::Object(map)) if explode => {
            let mut rb = rb;
            for (k, v) in &map {
                if let Some(s) = scalar(v) {
                    rb = rb.query(k.as_str(), s);
                }
            }
            rb
        }
        (_, ::serde_json::Value::Object(map)) => rb.query(name, pairs(&map)),
        (_, v) => match scalar(&v) {
            Some(s) => rb.query(name, s),
            None => rb,
        },
    }
}

/// `deepObject`, as Stripe reads it: `name[key]=v`, `name[]=item` for
/// arrays of scalars, `name[0][key]=v` for arrays of objects.
fn deep(rb: ::oncely::RequestBuilder, prefix: ::std::string::String, value: &::serde_json::Value) -> ::oncely::RequestBuilder {
    match value {
        ::serde_json::Value::Null => rb,
        ::serde_json::Value::Array(items) => {
            let mut rb = rb;
            for (i, item) in items.iter().enumerate() {
                rb = match item {
                    ::serde_json::Value::Object(_) | ::serde_json::Value::Array(_) => {
                        deep(rb, format!("{prefix}[{i}]"), item)
                    }
                    _ => deep(rb, format!("{prefix}[]"), item),
                };
            }
            rb
        }
        ::serde_json::Value::Object(map) => {
            let mut rb = rb;
            for (k, v) in map {
                rb = deep(rb, format!("{prefix}[{k}]"), v);
            }
            rb
        }
        v => match scalar(v) {
            Some(s) => rb.query(prefix.as_str(), s),
            None => rb,
        },
    }
}

/// Serialises a variant of a discriminated union, adding the tag property
/// when the variant's own fields do not carry it.
pub(crate) fn serialize_tagged<S: ::serde::Serializer, T: ::serde::Serialize + ?Sized>(
    serializer: S,
    property: &str,
    tag: &str,
    value: &T,
) -> ::std::result::Result<S::Ok, S::Error> {
    let mut v = ::serde_json::to_value(value).map_err(<S::Error as ::serde::ser::Error>::custom)?;
    if let ::serde_json::Value::Object(map) = &mut v {
        if !map.contains_key(property) {
            map.insert(property.to_string(), ::serde_json::Value::String(tag.to_string()));
        }
    }
    ::serde::Serialize::serialize(&v, serializer)
}

/// Decodes a variant of a discriminated union.
pub(crate) fn from_value<T: ::serde::de::DeserializeOwned, E: ::serde::de::Error>(
    value: ::serde_json::Value,
) -> ::std::result::Result<T, E> {
    ::serde_json::from_value(value).map_err(E::custom)
}
