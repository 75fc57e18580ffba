//! Source descriptions loaded for checking and running: OpenAPI documents as
//! JSON values and other Arazzo documents.
//!
//! [`Sources::load`] reads every source description whose `url` is a relative
//! reference, an absolute path or a `file:` URL, relative to the Arazzo file
//! (JSON or YAML). `http:` / `https:` sources are not fetched: load those
//! yourself and add them with [`Sources::insert_openapi`].

use super::document::{Document, SourceKind};
use super::error::LoadError;
use super::load::{load_value, parse_text, read_text};
use percent_encoding::percent_decode_str;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A loaded source description.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// An OpenAPI description (3.0 or 3.1), as JSON.
    OpenApi(Value),
    /// Another Arazzo description.
    Arazzo(Box<Document>),
}

/// The loaded source descriptions of a document, by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sources {
    sources: BTreeMap<String, Source>,
}

/// A source description that could not be loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("source description {name:?} ({url}): {kind}")]
pub struct SourceError {
    /// The source description's `name`.
    pub name: String,
    /// Its `url`.
    pub url: String,
    /// What went wrong.
    pub kind: SourceErrorKind,
}

/// Why a source description could not be loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SourceErrorKind {
    /// A remote URL; oncely reads local files only.
    #[error("remote source descriptions are not fetched; load it and add it with Sources::insert_openapi")]
    Remote,
    /// A `file:` URL that names no local path.
    #[error("not a local file URL")]
    BadFileUrl,
    /// The file could not be read or parsed.
    #[error("{0}")]
    Load(Box<LoadError>),
    /// The document is neither OpenAPI nor Arazzo.
    #[error("the document has neither an `openapi` nor an `arazzo` field")]
    UnknownType,
}

impl Sources {
    /// No sources.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) an OpenAPI description.
    pub fn insert_openapi(&mut self, name: impl Into<String>, document: Value) {
        self.sources.insert(name.into(), Source::OpenApi(document));
    }

    /// Adds (or replaces) an Arazzo description.
    pub fn insert_arazzo(&mut self, name: impl Into<String>, document: Document) {
        self.sources
            .insert(name.into(), Source::Arazzo(Box::new(document)));
    }

    /// The source with this name.
    pub fn get(&self, name: &str) -> Option<&Source> {
        self.sources.get(name)
    }

    /// The OpenAPI sources, by name.
    pub fn openapi(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.sources
            .iter()
            .filter_map(|(name, source)| match source {
                Source::OpenApi(value) => Some((name.as_str(), value)),
                Source::Arazzo(_) => None,
            })
    }

    /// Loads every local source description of `document`, resolving
    /// relative references against `arazzo_path` (the document's file).
    /// Remote sources are skipped and returned as errors beside the sources
    /// that loaded, so a check can still run on the rest.
    pub fn load(document: &Document, arazzo_path: &Path) -> (Self, Vec<SourceError>) {
        let base = arazzo_path.parent().unwrap_or_else(|| Path::new(""));
        let mut sources = Self::new();
        let mut errors = Vec::new();
        for description in &document.source_descriptions {
            let error = |kind| SourceError {
                name: description.name.clone(),
                url: description.url.clone(),
                kind,
            };
            let loaded = local_path(&description.url, base)
                .map_err(error)
                .and_then(|path| load_source(&path, description.kind).map_err(error));
            match loaded {
                Ok(source) => {
                    sources.sources.insert(description.name.clone(), source);
                }
                Err(e) => errors.push(e),
            }
        }
        (sources, errors)
    }
}

/// The local file a source `url` names, relative to `base`.
fn local_path(url: &str, base: &Path) -> Result<PathBuf, SourceErrorKind> {
    let without_fragment = url.split('#').next().unwrap_or(url);
    let lower = without_fragment.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("file:") {
        let rest = &without_fragment[without_fragment.len() - rest.len()..];
        if rest.starts_with("//") {
            return url::Url::parse(without_fragment)
                .ok()
                .and_then(|u| u.to_file_path().ok())
                .ok_or(SourceErrorKind::BadFileUrl);
        }
        return Ok(base.join(decode(rest)));
    }
    let has_scheme = lower.split_once(':').is_some_and(|(scheme, _)| {
        scheme.len() > 1
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    });
    if has_scheme {
        return Err(SourceErrorKind::Remote);
    }
    Ok(base.join(decode(without_fragment)))
}

fn decode(text: &str) -> String {
    percent_decode_str(text).decode_utf8_lossy().into_owned()
}

fn load_source(path: &Path, kind: Option<SourceKind>) -> Result<Source, SourceErrorKind> {
    let name = path.display().to_string();
    let text = read_text(path, &name).map_err(|e| SourceErrorKind::Load(Box::new(e)))?;
    let value = parse_text(&text, &name).map_err(|e| SourceErrorKind::Load(Box::new(e)))?;
    let kind = match kind {
        Some(kind) => kind,
        None if value.get("arazzo").is_some() => SourceKind::Arazzo,
        None if value.get("openapi").is_some() || value.get("swagger").is_some() => {
            SourceKind::Openapi
        }
        None => return Err(SourceErrorKind::UnknownType),
    };
    Ok(match kind {
        SourceKind::Openapi => Source::OpenApi(value),
        SourceKind::Arazzo => Source::Arazzo(Box::new(
            load_value(value, &name).map_err(|e| SourceErrorKind::Load(Box::new(e)))?,
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_resolve_relative_to_the_arazzo_file() {
        let base = Path::new("/specs/flows");
        assert_eq!(
            local_path("orders.yaml", base),
            Ok(PathBuf::from("/specs/flows/orders.yaml"))
        );
        assert_eq!(
            local_path("../orders.yaml#/x", base),
            Ok(PathBuf::from("/specs/flows/../orders.yaml"))
        );
        assert_eq!(
            local_path("file:my%20api.yaml", base),
            Ok(PathBuf::from("/specs/flows/my api.yaml"))
        );
        assert_eq!(
            local_path("file:///abs/api.json", base),
            Ok(PathBuf::from("/abs/api.json"))
        );
        assert_eq!(
            local_path("/abs/api.json", base),
            Ok(PathBuf::from("/abs/api.json"))
        );
        assert_eq!(
            local_path("https://example.com/api.yaml", base),
            Err(SourceErrorKind::Remote)
        );
        assert_eq!(
            local_path("file://host/api.yaml", base),
            Err(SourceErrorKind::BadFileUrl)
        );
    }
}
