//! [`ArazzoError`]: why an Arazzo workflow could not be loaded, checked or
//! compiled. Every variant names the document and the JSON pointer of what
//! is wrong; both bindings raise it as the core's invalid-input error
//! ([`ArazzoError::into_error`]).

use std::fmt;

use oncely::arazzo::{Finding, LoadError, PlanError};

/// A workflow that cannot run as given.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ArazzoError {
    /// The Arazzo document (or an OpenAPI text given for it) could not be
    /// read or parsed, or breaks a structural rule.
    #[error("{0}")]
    Load(Box<LoadError>),
    /// Source descriptions that could not be loaded.
    #[error("{document}: source descriptions that cannot be loaded:\n{}", Lines(.problems))]
    Sources {
        /// The Arazzo document.
        document: String,
        /// One line per source, `#/sourceDescriptions/N (name): why`.
        problems: Vec<String>,
    },
    /// The static check found errors.
    #[error("{document}: {} error(s):\n{}", .findings.len(), Lines(.findings))]
    Findings {
        /// The Arazzo document.
        document: String,
        /// The error findings, in document order.
        findings: Vec<Finding>,
    },
    /// The workflow could not be compiled for the engine.
    #[error("{document}: {error}")]
    Plan {
        /// The Arazzo document.
        document: String,
        /// Why.
        error: PlanError,
    },
}

impl ArazzoError {
    /// The core error the bindings raise for it: invalid input naming the
    /// document, with this error's message (and so its pointers) as the why.
    pub fn into_error(self) -> oncely::Error {
        oncely::Error::InvalidInput {
            what: "Arazzo workflow".to_owned(),
            why: self.to_string(),
        }
    }
}

impl From<LoadError> for ArazzoError {
    fn from(error: LoadError) -> Self {
        ArazzoError::Load(Box::new(error))
    }
}

/// Items on their own lines, indented.
struct Lines<'a, T>(&'a [T]);

impl<T: fmt::Display> fmt::Display for Lines<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, item) in self.0.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "  {item}")?;
        }
        Ok(())
    }
}
