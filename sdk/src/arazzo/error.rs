//! Errors of loading an Arazzo document: what is wrong, in which file, and
//! where in it (a JSON pointer).

use super::pointer::JsonPointer;
use std::fmt;

/// A document that could not be loaded, or that breaks a structural rule of
/// the specification. Displays as `FILE#/json/pointer: what`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{source_name}#{pointer}: {kind}")]
pub struct LoadError {
    /// The file (or the name the caller gave the text).
    pub source_name: String,
    /// Where in the document.
    pub pointer: JsonPointer,
    /// What is wrong.
    pub kind: LoadErrorKind,
}

/// What is wrong with a document.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LoadErrorKind {
    /// The file could not be read.
    #[error("cannot read the file: {0}")]
    Read(String),
    /// Neither JSON nor YAML.
    #[error("not JSON or YAML: {0}")]
    Syntax(String),
    /// The document is not an object.
    #[error("an Arazzo document must be an object")]
    NotAnObject,
    /// `arazzo` is absent or not a string.
    #[error("`arazzo` must be a string naming the specification version, e.g. \"1.0.1\"")]
    MissingVersion,
    /// `arazzo` names a version other than 1.0.x.
    #[error("unsupported Arazzo version {0:?}: oncely reads 1.0.x")]
    UnsupportedVersion(String),
    /// A field has the wrong type or a required field is missing.
    #[error("{0}")]
    Shape(String),
    /// A field that is neither defined by the specification nor an `x-` extension.
    #[error("unknown field `{0}` (extensions must start with `x-`)")]
    UnknownField(String),
    /// A list that must not be empty is empty.
    #[error("must have at least one entry")]
    Empty,
    /// A step (or compensation) without exactly one of `operationId`,
    /// `operationPath`, `workflowId`.
    #[error(
        "exactly one of `operationId`, `operationPath` or `workflowId` is required, found {0}"
    )]
    StepTarget(usize),
    /// An id or name that does not match the pattern the specification gives.
    #[error("{what} {value:?} must match {pattern}")]
    Pattern {
        /// What the value names (`stepId`, `output name`, …).
        what: &'static str,
        /// The value.
        value: String,
        /// The pattern.
        pattern: &'static str,
    },
    /// An id that is already used.
    #[error("duplicate {what} {value:?}")]
    Duplicate {
        /// What the value names.
        what: &'static str,
        /// The value.
        value: String,
    },
    /// An operation call's parameter without `in`.
    #[error("parameter {0:?} of an operation call needs `in`")]
    MissingLocation(String),
    /// A `goto` action without exactly one of `stepId` / `workflowId`, or
    /// another action type with both.
    #[error("{0}")]
    ActionTarget(&'static str),
    /// `retryAfter` is negative or not finite.
    #[error("`retryAfter` must be a non-negative number of seconds")]
    RetryAfter,
    /// A criterion with `type` but no `context`.
    #[error("a criterion with a `type` needs a `context`")]
    MissingContext,
    /// A Criterion Expression Type Object with a type or version the
    /// specification does not allow.
    #[error("{0}")]
    ExpressionType(String),
}

impl LoadError {
    pub(crate) fn new(source_name: &str, pointer: JsonPointer, kind: LoadErrorKind) -> Self {
        Self {
            source_name: source_name.to_owned(),
            pointer,
            kind,
        }
    }
}

/// Several [`LoadError`]s, e.g. every structural violation of one document.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadErrors(pub Vec<LoadError>);

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadErrors {}
