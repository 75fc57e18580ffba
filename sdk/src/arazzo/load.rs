//! Reading an Arazzo document (JSON or YAML) into a [`Document`], with the
//! version check and the structural rules of [`validate`](super::validate).

use super::document::Document;
use super::error::{LoadError, LoadErrorKind};
use super::pointer::JsonPointer;
use super::validate::validate;
use serde_json::Value;
use std::path::Path;

/// Reads and loads the Arazzo document at `path`; errors name the file.
pub fn load_file(path: impl AsRef<Path>) -> Result<Document, LoadError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let text = read_text(path, &name)?;
    load_str(&text, &name)
}

/// Loads an Arazzo document from JSON or YAML text; `source_name` names it in
/// errors.
pub fn load_str(text: &str, source_name: &str) -> Result<Document, LoadError> {
    load_value(parse_text(text, source_name)?, source_name)
}

/// Loads an Arazzo document from a JSON value: checks the version, the shape
/// of every object and the structural rules, and returns the first error in
/// document order ([`validate`] lists them all).
pub fn load_value(value: Value, source_name: &str) -> Result<Document, LoadError> {
    let error = |pointer, kind| LoadError::new(source_name, pointer, kind);
    let Value::Object(root) = &value else {
        return Err(error(JsonPointer::root(), LoadErrorKind::NotAnObject));
    };
    let version_pointer = JsonPointer::root().child("arazzo");
    match root.get("arazzo") {
        Some(Value::String(version)) if is_supported_version(version) => {}
        Some(Value::String(version)) => {
            return Err(error(
                version_pointer,
                LoadErrorKind::UnsupportedVersion(version.clone()),
            ))
        }
        _ => return Err(error(version_pointer, LoadErrorKind::MissingVersion)),
    }
    let document: Document = serde_path_to_error::deserialize(value).map_err(|e| {
        let pointer = pointer_of(e.path());
        error(pointer, LoadErrorKind::Shape(e.into_inner().to_string()))
    })?;
    match validate(&document, source_name).into_iter().next() {
        Some(first) => Err(first),
        None => Ok(document),
    }
}

/// `1.0.x` (the schema's `^1\.0\.\d+(-.+)?$`): the patch version is not
/// considered, as the specification asks.
fn is_supported_version(version: &str) -> bool {
    let Some(rest) = version.strip_prefix("1.0.") else {
        return false;
    };
    let (patch, suffix) = match rest.split_once('-') {
        Some((patch, suffix)) => (patch, Some(suffix)),
        None => (rest, None),
    };
    !patch.is_empty()
        && patch.bytes().all(|b| b.is_ascii_digit())
        && suffix.map_or(true, |s| !s.is_empty())
}

fn pointer_of(path: &serde_path_to_error::Path) -> JsonPointer {
    use serde_path_to_error::Segment;
    let mut pointer = JsonPointer::root();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => pointer.push(index.to_string()),
            Segment::Map { key } => pointer.push(key.clone()),
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    pointer
}

pub(crate) fn read_text(path: &Path, source_name: &str) -> Result<String, LoadError> {
    std::fs::read_to_string(path).map_err(|e| {
        LoadError::new(
            source_name,
            JsonPointer::root(),
            LoadErrorKind::Read(e.to_string()),
        )
    })
}

/// Parses JSON or YAML text into a JSON value. YAML mapping keys that are
/// numbers or booleans (an unquoted `200:` in an OpenAPI `responses`) become
/// strings; tags are dropped; other keys are an error.
pub fn parse_text(text: &str, source_name: &str) -> Result<Value, LoadError> {
    let syntax = |message: String| {
        LoadError::new(
            source_name,
            JsonPointer::root(),
            LoadErrorKind::Syntax(message),
        )
    };
    if text.trim_start().starts_with('{') {
        if let Ok(value) = serde_json::from_str(text) {
            return Ok(value);
        }
    }
    let yaml: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| syntax(e.to_string()))?;
    let mut pointer = JsonPointer::root();
    yaml_to_json(yaml, &mut pointer)
        .map_err(|message| LoadError::new(source_name, pointer, LoadErrorKind::Syntax(message)))
}

/// Converts YAML to JSON; on error `at` is left pointing at the culprit.
fn yaml_to_json(yaml: serde_yaml::Value, at: &mut JsonPointer) -> Result<Value, String> {
    use serde_yaml::Value as Yaml;
    Ok(match yaml {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Number(n) => yaml_number(&n)?,
        Yaml::String(s) => Value::String(s),
        Yaml::Sequence(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (index, item) in items.into_iter().enumerate() {
                at.push(index.to_string());
                out.push(yaml_to_json(item, at)?);
                at.pop();
            }
            Value::Array(out)
        }
        Yaml::Mapping(map) => {
            let mut out = serde_json::Map::with_capacity(map.len());
            for (key, item) in map {
                let key = match key {
                    Yaml::String(s) => s,
                    Yaml::Number(n) => n.to_string(),
                    Yaml::Bool(b) => b.to_string(),
                    other => return Err(format!("mapping keys must be strings, found {other:?}")),
                };
                at.push(key.clone());
                out.insert(key, yaml_to_json(item, at)?);
                at.pop();
            }
            Value::Object(out)
        }
        Yaml::Tagged(tagged) => yaml_to_json(tagged.value, at)?,
    })
}

fn yaml_number(n: &serde_yaml::Number) -> Result<Value, String> {
    if let Some(i) = n.as_i64() {
        return Ok(i.into());
    }
    if let Some(u) = n.as_u64() {
        return Ok(u.into());
    }
    n.as_f64()
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
        .ok_or_else(|| format!("{n} is not a JSON number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        for ok in ["1.0.0", "1.0.1", "1.0.12", "1.0.1-rc1"] {
            assert!(is_supported_version(ok), "{ok}");
        }
        for bad in ["1.0", "1.1.0", "2.0.0", "1.0.x", "1.0.1-", "1.0.", ""] {
            assert!(!is_supported_version(bad), "{bad}");
        }
    }

    #[test]
    fn yaml_keys_become_strings() {
        let value = parse_text("responses:\n  200: ok\n  true: yes\n", "t").unwrap();
        assert_eq!(value["responses"]["200"], "ok");
        assert_eq!(value["responses"]["true"], "yes");
    }

    #[test]
    fn bad_yaml_is_a_syntax_error() {
        let error = parse_text("a: [1, 2\nb: }", "bad.yaml").unwrap_err();
        assert!(matches!(error.kind, LoadErrorKind::Syntax(_)), "{error}");
        assert_eq!(error.source_name, "bad.yaml");
        let error = parse_text("? [a, b]\n: 1\n", "keys.yaml").unwrap_err();
        assert!(matches!(error.kind, LoadErrorKind::Syntax(_)), "{error}");
    }
}
