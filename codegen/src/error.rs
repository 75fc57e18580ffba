//! Errors and diagnostics.
//!
//! A [`CodegenError`] stops the run: the input is unusable (not JSON or YAML,
//! not OpenAPI, a reference that points nowhere) or the output cannot be
//! written. A [`Diagnostic`] does not: it records a construct that was
//! degraded (typed as an untyped JSON value, ignored, renamed) and where it
//! is, as a JSON pointer into the document.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// Everything that makes a run fail. Each variant names what and where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodegenError {
    /// The spec file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file (or `-` for standard input).
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The text is neither valid JSON nor valid YAML.
    #[error("{origin}: not valid {format}: {message}{}", location(*line, *column))]
    Syntax {
        /// Where the text came from.
        origin: String,
        /// `JSON` or `YAML`.
        format: &'static str,
        /// The parser's message.
        message: String,
        /// 1-based line, when the parser knows it.
        line: Option<usize>,
        /// 1-based column, when the parser knows it.
        column: Option<usize>,
    },
    /// The document is a Swagger 2.0 document.
    #[error(
        "{origin}: this is a Swagger 2.0 document (`swagger: \"2.0\"`); oncely reads OpenAPI 3.0 \
         and 3.1 only. Convert it first, for example with `npx swagger2openapi {origin}`"
    )]
    Swagger2 {
        /// Where the text came from.
        origin: String,
    },
    /// The document parsed, but it is not an OpenAPI document.
    #[error("{origin}: not an OpenAPI document: {reason}")]
    NotOpenApi {
        /// Where the text came from.
        origin: String,
        /// Why.
        reason: String,
    },
    /// An `openapi` version this generator does not read.
    #[error("{origin}: unsupported OpenAPI version {version:?} (supported: 3.0.x and 3.1.x)")]
    UnsupportedVersion {
        /// Where the text came from.
        origin: String,
        /// The value of the `openapi` field.
        version: String,
    },
    /// One or more `$ref`s point nowhere.
    #[error("{}", unresolved_message(refs))]
    UnresolvedRefs {
        /// Each dangling reference and the JSON pointer of the object that holds it.
        refs: Vec<UnresolvedRef>,
    },
    /// A target language that has no emitter yet.
    #[error("language {lang:?} is not yet supported (supported: rust, python, typescript)")]
    UnsupportedLanguage {
        /// What was asked for.
        lang: String,
    },
    /// An option has a value that cannot be used.
    #[error("invalid option {option}: {reason}")]
    InvalidOption {
        /// The option.
        option: &'static str,
        /// Why.
        reason: String,
    },
    /// An Arazzo document that cannot be turned into workflow functions.
    #[error("{origin}: at {}: {reason}", display_pointer(pointer))]
    InvalidArazzo {
        /// Where the document came from.
        origin: String,
        /// JSON pointer of the offending construct.
        pointer: String,
        /// Why.
        reason: String,
    },
    /// A source description of an Arazzo document that cannot be loaded.
    #[error("{origin}: source description {name:?} ({url}): {reason}")]
    ArazzoSource {
        /// The Arazzo document.
        origin: String,
        /// The source description's `name`.
        name: String,
        /// Its `url`.
        url: String,
        /// Why it cannot be loaded.
        reason: String,
    },
    /// The output could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
}

fn location(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(" (line {l}, column {c})"),
        (Some(l), None) => format!(" (line {l})"),
        _ => String::new(),
    }
}

fn unresolved_message(refs: &[UnresolvedRef]) -> String {
    let mut out = String::new();
    match refs.first() {
        Some(first) => {
            out.push_str(&format!(
                "unresolvable $ref {:?} at {}",
                first.reference,
                display_pointer(&first.pointer)
            ));
            for r in refs.iter().skip(1).take(4) {
                out.push_str(&format!(
                    "; {:?} at {}",
                    r.reference,
                    display_pointer(&r.pointer)
                ));
            }
            if refs.len() > 5 {
                out.push_str(&format!(" (and {} more)", refs.len() - 5));
            }
            out.push_str(
                " — only references inside the document (`#/...`) are followed; bundle external files first",
            );
        }
        None => out.push_str("unresolvable $ref"),
    }
    out
}

fn display_pointer(p: &str) -> String {
    if p.is_empty() {
        "#".to_string()
    } else {
        format!("#{p}")
    }
}

/// A `$ref` that could not be followed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnresolvedRef {
    /// The value of the `$ref`.
    pub reference: String,
    /// JSON pointer of the object holding the `$ref`.
    pub pointer: String,
}

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Information: something was recognised or ignored on purpose.
    Note,
    /// Something was degraded (usually typed as an untyped JSON value).
    Warning,
    /// Something is wrong in the document (the run may still produce output).
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// What kind of thing a diagnostic reports, for counting and filtering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DiagnosticKind {
    /// A schema that could not be typed and became an untyped JSON value.
    Untyped,
    /// A construct that is ignored (webhooks, callbacks, links, …).
    Ignored,
    /// The document breaks a rule of the specification but was read anyway.
    Invalid,
    /// A `$ref` that points nowhere.
    UnresolvedRef,
}

/// A non-fatal finding, with the JSON pointer of where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// How serious.
    pub severity: Severity,
    /// What kind.
    pub kind: DiagnosticKind,
    /// JSON pointer into the document (RFC 6901, without the leading `#`).
    pub pointer: String,
    /// Human-readable explanation.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.severity,
            display_pointer(&self.pointer),
            self.message
        )
    }
}
