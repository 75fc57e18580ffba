//! Criterion Objects compiled for evaluation: `simple` conditions, `regex`
//! patterns and RFC 9535 `jsonpath` queries applied to a context expression,
//! and `xpath`, which oncely does not evaluate.
//!
//! - `simple`: the [`Condition`] must hold. A `context`, if given, is not
//!   used (the condition names its values itself).
//! - `regex`: the pattern (the `regex` crate's syntax, unanchored unless it
//!   says `^`/`$`) must match the context's value: a string as it is, any
//!   other value as its JSON text (`$statusCode` 200 is `"200"`).
//! - `jsonpath`: the query (RFC 9535, by `serde_json_path`) applied to the
//!   context's value must select at least one node. A Criterion Expression
//!   Type asking for `draft-goessner-dispatch-jsonpath-00` is run as RFC 9535,
//!   its standardised successor.
//! - `xpath`: compiles, so documents using it load, but evaluating it is a
//!   [`CriterionError::Unsupported`]; [`check`](super::check::check) reports it.
//!
//! RFC 9535 filters select *children*: `$[?count(@.pets) > 0]` holds when
//! some member of the context has a non-empty `pets`, not when the context
//! itself has one (`$.pets[0]` or `$[?@.pets]` on a wrapping array says that).
//!
//! For `regex` and `jsonpath`, a context whose value is absent makes the
//! criterion false.

use super::condition::{Condition, ConditionError};
use super::context::{EvalContext, EvalError};
use super::document::{ConditionLanguage, Criterion};
use super::expression::{Expression, ExpressionError};
use serde_json::Value;

/// A criterion, parsed and ready to evaluate.
#[derive(Debug, Clone)]
pub enum CompiledCriterion {
    /// A `simple` condition.
    Simple(Condition),
    /// A regular expression matched against the context.
    Regex {
        /// The context expression.
        context: Expression,
        /// The compiled pattern.
        regex: regex::Regex,
    },
    /// A JSONPath query on the context.
    JsonPath {
        /// The context expression.
        context: Expression,
        /// The compiled query.
        path: serde_json_path::JsonPath,
    },
    /// An XPath expression (not evaluated by oncely).
    XPath {
        /// The context expression.
        context: Expression,
        /// The XPath text.
        expression: String,
    },
}

/// A criterion that does not compile or cannot be evaluated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CriterionError {
    /// The `simple` condition is malformed or failed to evaluate.
    #[error(transparent)]
    Condition(#[from] ConditionError),
    /// The `context` is not a runtime expression.
    #[error("context: {0}")]
    Context(ExpressionError),
    /// `regex`, `jsonpath` or `xpath` without a `context`.
    #[error("a {0} criterion needs a `context`")]
    MissingContext(&'static str),
    /// The pattern does not compile.
    #[error("invalid regex {pattern:?}: {message}")]
    Regex {
        /// The pattern.
        pattern: String,
        /// The regex crate's explanation.
        message: String,
    },
    /// The query is not RFC 9535 JSONPath.
    #[error("invalid JSONPath {query:?}: {message}")]
    JsonPath {
        /// The query.
        query: String,
        /// The parser's explanation.
        message: String,
    },
    /// XPath criteria are not supported.
    #[error("xpath criteria are not supported (condition {expression:?})")]
    Unsupported {
        /// The XPath text.
        expression: String,
    },
    /// The context has no value in this context.
    #[error(transparent)]
    Evaluate(EvalError),
}

impl CompiledCriterion {
    /// Compiles a Criterion Object.
    pub fn compile(criterion: &Criterion) -> Result<Self, CriterionError> {
        let language = criterion.language();
        if language == ConditionLanguage::Simple {
            return Ok(Self::Simple(Condition::parse(&criterion.condition)?));
        }
        let name = match language {
            ConditionLanguage::Regex => "regex",
            ConditionLanguage::Jsonpath => "jsonpath",
            _ => "xpath",
        };
        let context = criterion
            .context
            .as_deref()
            .ok_or(CriterionError::MissingContext(name))?;
        let context = Expression::parse(context).map_err(CriterionError::Context)?;
        let condition = &criterion.condition;
        Ok(match language {
            ConditionLanguage::Regex => Self::Regex {
                context,
                regex: regex::Regex::new(condition).map_err(|e| CriterionError::Regex {
                    pattern: condition.clone(),
                    message: e.to_string(),
                })?,
            },
            ConditionLanguage::Jsonpath => Self::JsonPath {
                context,
                path: serde_json_path::JsonPath::parse(condition).map_err(|e| {
                    CriterionError::JsonPath {
                        query: condition.clone(),
                        message: e.to_string(),
                    }
                })?,
            },
            _ => Self::XPath {
                context,
                expression: condition.clone(),
            },
        })
    }

    /// Whether oncely can evaluate this criterion (everything but `xpath`).
    pub fn is_supported(&self) -> bool {
        !matches!(self, Self::XPath { .. })
    }

    /// Every runtime expression the criterion reads.
    pub fn expressions(&self) -> Vec<&Expression> {
        match self {
            Self::Simple(condition) => condition.expressions(),
            Self::Regex { context, .. }
            | Self::JsonPath { context, .. }
            | Self::XPath { context, .. } => vec![context],
        }
    }

    /// Whether the criterion holds in `context`.
    pub fn evaluate(&self, context: &EvalContext) -> Result<bool, CriterionError> {
        let value_of = |expression: &Expression| match context.evaluate(expression) {
            Ok(value) => Ok(Some(value)),
            Err(e) if e.kind.is_absent() => Ok(None),
            Err(e) => Err(CriterionError::Evaluate(e)),
        };
        match self {
            Self::Simple(condition) => Ok(condition.evaluate(context)?),
            Self::Regex {
                context: expression,
                regex,
            } => Ok(value_of(expression)?.is_some_and(|value| match value {
                Value::String(text) => regex.is_match(&text),
                other => regex.is_match(&other.to_string()),
            })),
            Self::JsonPath {
                context: expression,
                path,
            } => Ok(value_of(expression)?.is_some_and(|value| !path.query(&value).is_empty())),
            Self::XPath { expression, .. } => Err(CriterionError::Unsupported {
                expression: expression.clone(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arazzo::context::HttpMessage;
    use serde_json::json;

    fn criterion(yaml: &str) -> Criterion {
        serde_yaml::from_str(yaml).unwrap()
    }

    fn compile(yaml: &str) -> Result<CompiledCriterion, CriterionError> {
        CompiledCriterion::compile(&criterion(yaml))
    }

    fn context() -> EvalContext {
        EvalContext {
            status_code: Some(200),
            response: Some(HttpMessage {
                body: Some(json!({"pets": [{"name": "Rex", "age": 3}], "id": "ord_42"})),
                ..HttpMessage::default()
            }),
            ..EvalContext::default()
        }
    }

    fn holds(yaml: &str) -> bool {
        compile(yaml).unwrap().evaluate(&context()).unwrap()
    }

    #[test]
    fn simple() {
        assert!(holds("condition: $statusCode == 200"));
        assert!(holds(
            "{condition: $statusCode == 200, type: simple, context: $statusCode}"
        ));
        assert!(!holds("condition: $statusCode == 201"));
    }

    #[test]
    fn regex_on_the_context() {
        assert!(holds(
            "{context: $statusCode, condition: '^200$', type: regex}"
        ));
        assert!(holds(
            "{context: '$response.body#/id', condition: '^ord_\\d+$', type: regex}"
        ));
        assert!(!holds(
            "{context: $statusCode, condition: '^2\\d[1-9]$', type: regex}"
        ));
        assert!(!holds(
            "{context: '$response.body#/missing', condition: '.*', type: regex}"
        ));
        assert!(matches!(
            compile("{context: $statusCode, condition: '(', type: regex}"),
            Err(CriterionError::Regex { .. })
        ));
    }

    #[test]
    fn jsonpath_on_the_context() {
        assert!(holds(
            "{context: $response.body, condition: '$.pets[?count(@.name) > 0]', type: jsonpath}"
        ));
        // RFC 9535: a filter selects children, so the specification's
        // `$[?count(@.pets) > 0]` asks whether a child of the body has pets.
        assert!(!holds(
            "{context: $response.body, condition: '$[?count(@.pets) > 0]', type: jsonpath}"
        ));
        assert!(holds(
            "{context: $response.body, condition: '$.pets[?@.age > 2]', type: jsonpath}"
        ));
        assert!(!holds(
            "{context: $response.body, condition: '$.pets[?@.age > 5]', type: jsonpath}"
        ));
        assert!(holds(
            "{context: $response.body, condition: '$.pets[0].name', type: {type: jsonpath, version: draft-goessner-dispatch-jsonpath-00}}"
        ));
        assert!(matches!(
            compile("{context: $response.body, condition: '$.pets[?', type: jsonpath}"),
            Err(CriterionError::JsonPath { .. })
        ));
    }

    #[test]
    fn xpath_is_unsupported_at_evaluation() {
        let compiled =
            compile("{context: $response.body, condition: '/pets/pet', type: {type: xpath, version: xpath-30}}")
                .unwrap();
        assert!(!compiled.is_supported());
        assert!(matches!(
            compiled.evaluate(&context()),
            Err(CriterionError::Unsupported { .. })
        ));
    }

    #[test]
    fn compile_errors() {
        assert!(matches!(
            compile("{condition: '^1$', type: regex}"),
            Err(CriterionError::MissingContext("regex"))
        ));
        assert!(matches!(
            compile("{context: 'statusCode', condition: '^1$', type: regex}"),
            Err(CriterionError::Context(_))
        ));
        assert!(matches!(
            compile("condition: $statusCode =="),
            Err(CriterionError::Condition(_))
        ));
    }

    #[test]
    fn no_exchange_is_an_error() {
        let compiled =
            compile("{context: $response.body, condition: '$.a', type: jsonpath}").unwrap();
        assert!(matches!(
            compiled.evaluate(&EvalContext::default()),
            Err(CriterionError::Evaluate(_))
        ));
    }
}
