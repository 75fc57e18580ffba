//! Reading an Arazzo document and its local OpenAPI source descriptions.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::CodegenError;
use crate::load::parse_text;

/// An Arazzo document with its OpenAPI source descriptions loaded.
#[derive(Debug, Clone)]
pub struct ArazzoSpec {
    /// Where it came from (a path).
    pub origin: String,
    /// Its file name (`orders.arazzo.yaml`), which the generated code loads
    /// the embedded copy under.
    pub file_name: String,
    /// The document as written.
    pub text: String,
    /// The document.
    pub document: Value,
    /// The OpenAPI source descriptions, in document order (Arazzo sources
    /// are not loaded: their workflows are not generated).
    pub sources: Vec<SourceDoc>,
}

/// A loaded OpenAPI source description.
#[derive(Debug, Clone)]
pub struct SourceDoc {
    /// Its `name`.
    pub name: String,
    /// Its `url`, as written.
    pub url: String,
    /// The OpenAPI document.
    pub document: Value,
}

/// True when `document` is an Arazzo document (it has an `arazzo` field).
pub fn is_arazzo(document: &Value) -> bool {
    document.get("arazzo").is_some()
}

/// True when the file at `path` reads as an Arazzo document (JSON or YAML
/// with an `arazzo` field).
pub fn is_arazzo_file(path: impl AsRef<Path>) -> bool {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| parse_text(&text, "").ok())
        .is_some_and(|(v, _)| is_arazzo(&v))
}

/// Reads the Arazzo document at `path` and the source descriptions it names
/// (relative to its directory).
pub fn load_arazzo(path: impl AsRef<Path>) -> Result<ArazzoSpec, CodegenError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| CodegenError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let origin = path.display().to_string();
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "workflow.arazzo.yaml".into());
    parse_arazzo(&text, &origin, &file_name, |url| read_source(&base, url))
}

/// Loads an Arazzo document from text; `read` returns the text of a source
/// description's `url` (or why it cannot).
pub fn parse_arazzo(
    text: &str,
    origin: &str,
    file_name: &str,
    mut read: impl FnMut(&str) -> Result<String, String>,
) -> Result<ArazzoSpec, CodegenError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (document, _) = parse_text(text, origin)?;
    let invalid = |pointer: &str, reason: &str| CodegenError::InvalidArazzo {
        origin: origin.to_string(),
        pointer: pointer.to_string(),
        reason: reason.to_string(),
    };
    if !is_arazzo(&document) {
        return Err(invalid("", "no `arazzo` field at the top level"));
    }
    let Some(workflows) = document.get("workflows").and_then(Value::as_array) else {
        return Err(invalid(
            "/workflows",
            "`workflows` is missing or not a list",
        ));
    };
    for (i, w) in workflows.iter().enumerate() {
        if w.get("workflowId").and_then(Value::as_str).is_none() {
            return Err(invalid(
                &format!("/workflows/{i}/workflowId"),
                "a workflow needs a `workflowId` string",
            ));
        }
    }
    let mut sources = Vec::new();
    let descriptions = document
        .get("sourceDescriptions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (i, d) in descriptions.iter().enumerate() {
        let name = d.get("name").and_then(Value::as_str);
        let url = d.get("url").and_then(Value::as_str);
        let (Some(name), Some(url)) = (name, url) else {
            return Err(invalid(
                &format!("/sourceDescriptions/{i}"),
                "a source description needs a `name` and a `url`",
            ));
        };
        if d.get("type").and_then(Value::as_str) == Some("arazzo") {
            continue;
        }
        let source_error = |reason: String| CodegenError::ArazzoSource {
            origin: origin.to_string(),
            name: name.to_string(),
            url: url.to_string(),
            reason,
        };
        let text = read(url).map_err(source_error)?;
        let (value, _) = parse_text(&text, url).map_err(|e| source_error(e.to_string()))?;
        if is_arazzo(&value) {
            continue;
        }
        if value.get("openapi").is_none() {
            return Err(source_error(
                "neither an OpenAPI document (no `openapi` field) nor an Arazzo document".into(),
            ));
        }
        sources.push(SourceDoc {
            name: name.to_string(),
            url: url.to_string(),
            document: value,
        });
    }
    Ok(ArazzoSpec {
        origin: origin.to_string(),
        file_name: file_name.to_string(),
        text: text.to_string(),
        document,
        sources,
    })
}

/// Reads a local source description: a relative reference (against `base`),
/// an absolute path or a `file:` URL.
fn read_source(base: &Path, url: &str) -> Result<String, String> {
    if url.starts_with("http://") || url.starts_with("https://") {
        return Err("remote source descriptions are not fetched; download it and point `url` at the local file".into());
    }
    let path = match url.strip_prefix("file://") {
        Some(rest) => PathBuf::from(crate::lower::percent_decode(rest)),
        None => {
            let local = crate::lower::percent_decode(url.split('#').next().unwrap_or(url));
            let p = PathBuf::from(local);
            if p.is_absolute() {
                p
            } else {
                base.join(p)
            }
        }
    };
    std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}
