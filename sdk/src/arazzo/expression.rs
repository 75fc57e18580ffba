//! Runtime expressions: the `$…` language of Arazzo, parsed once into a
//! typed [`Expression`].
//!
//! The grammar is the specification's ABNF:
//!
//! ```text
//! expression = "$url" / "$method" / "$statusCode"
//!            / "$request." source / "$response." source
//!            / "$inputs." name / "$outputs." name / "$steps." name
//!            / "$workflows." name / "$sourceDescriptions." name
//!            / "$components." name / "$components.parameters." name
//! source     = "header." token / "query." name / "path." name
//!            / "body" ["#" json-pointer]
//! name       = *CHAR            ; US-ASCII %x01-7F
//! token      = 1*tchar          ; ! # $ % & ' * + - . ^ _ ` | ~ DIGIT ALPHA
//! ```
//!
//! with the structure the specification's text and examples give the
//! `name`s: `$steps.STEP.outputs.NAME`, `$workflows.ID.inputs.NAME`,
//! `$workflows.ID.outputs.NAME`, `$sourceDescriptions.NAME.MEMBER` (`url`, an
//! `operationId` or a `workflowId`), `$components.KIND.NAME` (`inputs`,
//! `parameters`, `successActions`, `failureActions`). Inputs and outputs may
//! end in `#` and a JSON Pointer into the value (`$steps.s.outputs.pets#/0/id`).
//! Step ids, workflow ids and source names cannot contain `.` (the
//! specification's `[A-Za-z0-9_\-]+`); output, input and component names
//! may (`^[a-zA-Z0-9\.\-_]+$`), so everything after the fixed parts is the
//! name. A name must not be empty (an empty name can never resolve).

use super::pointer::{JsonPointer, PointerError};
use std::fmt;

/// A parsed runtime expression.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Expression {
    /// `$url`: the URL of the current request.
    Url,
    /// `$method`: the HTTP method of the current request.
    Method,
    /// `$statusCode`: the status code of the current response.
    StatusCode,
    /// `$request.…`: a part of the current request.
    Request(MessagePart),
    /// `$response.…`: a part of the current response.
    Response(MessagePart),
    /// `$inputs.NAME[#ptr]`: an input of the current workflow.
    Inputs(NamedValue),
    /// `$outputs.NAME[#ptr]`: an output of the current workflow.
    Outputs(NamedValue),
    /// `$steps.STEP.outputs.NAME[#ptr]`: an output of a step of the current workflow.
    StepOutput {
        /// The `stepId`.
        step_id: String,
        /// The output and optional pointer into it.
        output: NamedValue,
    },
    /// `$workflows.ID.inputs.NAME[#ptr]` or `$workflows.ID.outputs.NAME[#ptr]`.
    Workflow {
        /// The `workflowId`.
        workflow_id: String,
        /// Inputs or outputs.
        field: WorkflowField,
        /// The input or output and optional pointer into it.
        value: NamedValue,
    },
    /// `$sourceDescriptions.NAME.MEMBER`: its `url`, or an operation or
    /// workflow of it.
    SourceDescription {
        /// The source description's `name`.
        name: String,
        /// `url`, an `operationId` or a `workflowId`.
        member: String,
    },
    /// `$components.KIND.NAME`: a reusable object.
    Component {
        /// Which map of the Components Object.
        kind: ComponentKind,
        /// The key in that map.
        name: String,
    },
}

/// A part of an HTTP request or response.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MessagePart {
    /// `header.TOKEN` (names compare case-insensitively).
    Header(String),
    /// `query.NAME`.
    Query(String),
    /// `path.NAME`.
    Path(String),
    /// `body` or `body#/json/pointer`.
    Body(Option<JsonPointer>),
}

/// A name and an optional JSON Pointer into its value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NamedValue {
    /// The input or output name.
    pub name: String,
    /// The `#/…` part, if any.
    pub pointer: Option<JsonPointer>,
}

/// The inputs or the outputs of a workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkflowField {
    /// `inputs`.
    Inputs,
    /// `outputs`.
    Outputs,
}

/// A map of the Components Object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComponentKind {
    /// `inputs` (JSON Schemas).
    Inputs,
    /// `parameters`.
    Parameters,
    /// `successActions`.
    SuccessActions,
    /// `failureActions`.
    FailureActions,
}

impl ComponentKind {
    /// The field name in the Components Object.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inputs => "inputs",
            Self::Parameters => "parameters",
            Self::SuccessActions => "successActions",
            Self::FailureActions => "failureActions",
        }
    }
}

/// A string that is not a runtime expression, and where it goes wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid runtime expression {expression:?} at byte {position}: {kind}")]
pub struct ExpressionError {
    /// The text that was parsed.
    pub expression: String,
    /// Byte offset of the problem in `expression`.
    pub position: usize,
    /// What is wrong.
    pub kind: ExpressionErrorKind,
}

/// What is wrong with a runtime expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpressionErrorKind {
    /// It does not start with `$`.
    #[error("a runtime expression starts with '$'")]
    MissingDollar,
    /// `$something` that the grammar does not have.
    #[error("unknown expression {0:?}; expected $url, $method, $statusCode, $request., $response., $inputs., $outputs., $steps., $workflows., $sourceDescriptions. or $components.")]
    UnknownRoot(String),
    /// A fixed part is missing (`header.` after `$request.`, `outputs.` after a step id…).
    #[error("expected {0}")]
    Expected(&'static str),
    /// A name (or id, or header token) is empty.
    #[error("empty {0}")]
    EmptyName(&'static str),
    /// A character the grammar does not allow here.
    #[error("character {character:?} is not allowed in {what}")]
    Character {
        /// The character.
        character: char,
        /// Where (`a header name`, `a name`).
        what: &'static str,
    },
    /// Something follows a complete expression (`$url/x`).
    #[error("unexpected {0:?} after the expression")]
    Trailing(String),
    /// A malformed JSON Pointer after `#`.
    #[error("{0}")]
    Pointer(PointerError),
    /// `$response.body.x`: the body is reached with a JSON Pointer.
    #[error("the body is addressed with a JSON pointer: write body#/…")]
    BodyProperty,
    /// `#` where no JSON Pointer is allowed.
    #[error("a JSON pointer is not allowed here")]
    UnexpectedPointer,
}

/// The roots a string must start with to be read as a runtime expression
/// (and not as a literal that happens to start with `$`).
const ROOTS: [&str; 11] = [
    "$url",
    "$method",
    "$statusCode",
    "$request.",
    "$response.",
    "$inputs.",
    "$outputs.",
    "$steps.",
    "$workflows.",
    "$sourceDescriptions.",
    "$components.",
];

/// Whether `text` starts like a runtime expression (one of the roots of the
/// grammar), so that it should be parsed as one.
pub fn looks_like_expression(text: &str) -> bool {
    ROOTS.iter().any(|root| text.starts_with(root))
}

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

fn is_name_char(c: char) -> bool {
    ('\u{1}'..='\u{7f}').contains(&c)
}

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

struct Parser<'a> {
    text: &'a str,
}

impl<'a> Parser<'a> {
    fn fail(&self, position: usize, kind: ExpressionErrorKind) -> ExpressionError {
        ExpressionError {
            expression: self.text.to_owned(),
            position,
            kind,
        }
    }

    /// `rest` (starting at byte `at`) must start with `prefix`.
    fn expect(
        &self,
        rest: &'a str,
        at: usize,
        prefix: &str,
        what: &'static str,
    ) -> Result<&'a str, ExpressionError> {
        rest.strip_prefix(prefix)
            .ok_or_else(|| self.fail(at, ExpressionErrorKind::Expected(what)))
    }

    fn check_chars(
        &self,
        value: &str,
        at: usize,
        allowed: fn(char) -> bool,
        what: &'static str,
    ) -> Result<(), ExpressionError> {
        if value.is_empty() {
            return Err(self.fail(at, ExpressionErrorKind::EmptyName(what)));
        }
        match value.char_indices().find(|(_, c)| !allowed(*c)) {
            Some((offset, character)) => Err(self.fail(
                at + offset,
                ExpressionErrorKind::Character { character, what },
            )),
            None => Ok(()),
        }
    }

    /// A name that runs to the end of the text.
    fn name(&self, rest: &str, at: usize, what: &'static str) -> Result<String, ExpressionError> {
        if let Some(offset) = rest.find('#') {
            return Err(self.fail(at + offset, ExpressionErrorKind::UnexpectedPointer));
        }
        self.check_chars(rest, at, is_name_char, what)?;
        Ok(rest.to_owned())
    }

    /// A name with an optional `#/pointer`.
    fn named_value(
        &self,
        rest: &str,
        at: usize,
        what: &'static str,
    ) -> Result<NamedValue, ExpressionError> {
        let (name, pointer) = match rest.split_once('#') {
            Some((name, pointer)) => (name, Some(self.pointer(pointer, at + name.len() + 1)?)),
            None => (rest, None),
        };
        self.check_chars(name, at, is_name_char, what)?;
        Ok(NamedValue {
            name: name.to_owned(),
            pointer,
        })
    }

    fn pointer(&self, text: &str, at: usize) -> Result<JsonPointer, ExpressionError> {
        JsonPointer::parse(text).map_err(|e| {
            let position = match e {
                PointerError::MissingSlash => at,
                PointerError::BadEscape { position } => at + position,
            };
            self.fail(position, ExpressionErrorKind::Pointer(e))
        })
    }

    /// An id (`[A-Za-z0-9_-]+`) followed by `.`; returns the id and the rest.
    fn id(
        &self,
        rest: &'a str,
        at: usize,
        what: &'static str,
        after: &'static str,
    ) -> Result<(String, &'a str), ExpressionError> {
        let end = rest.find(|c: char| !is_id_char(c)).unwrap_or(rest.len());
        if end == 0 {
            return Err(self.fail(at, ExpressionErrorKind::EmptyName(what)));
        }
        let tail = &rest[end..];
        let Some(tail) = tail.strip_prefix('.') else {
            return Err(match tail.chars().next() {
                Some(character) => {
                    self.fail(at + end, ExpressionErrorKind::Character { character, what })
                }
                None => self.fail(at + end, ExpressionErrorKind::Expected(after)),
            });
        };
        Ok((rest[..end].to_owned(), tail))
    }

    fn message(&self, rest: &str, at: usize) -> Result<MessagePart, ExpressionError> {
        if let Some(token) = rest.strip_prefix("header.") {
            let at = at + "header.".len();
            self.check_chars(token, at, is_tchar, "a header name")?;
            return Ok(MessagePart::Header(token.to_owned()));
        }
        if let Some(name) = rest.strip_prefix("query.") {
            return Ok(MessagePart::Query(self.name(
                name,
                at + "query.".len(),
                "query parameter name",
            )?));
        }
        if let Some(name) = rest.strip_prefix("path.") {
            return Ok(MessagePart::Path(self.name(
                name,
                at + "path.".len(),
                "path parameter name",
            )?));
        }
        if let Some(tail) = rest.strip_prefix("body") {
            let at = at + "body".len();
            return match tail.chars().next() {
                None => Ok(MessagePart::Body(None)),
                Some('#') => Ok(MessagePart::Body(Some(self.pointer(&tail[1..], at + 1)?))),
                Some('.') => Err(self.fail(at, ExpressionErrorKind::BodyProperty)),
                Some(_) => Err(self.fail(at, ExpressionErrorKind::Trailing(tail.to_owned()))),
            };
        }
        Err(self.fail(
            at,
            ExpressionErrorKind::Expected("header.NAME, query.NAME, path.NAME or body"),
        ))
    }

    fn parse(&self) -> Result<Expression, ExpressionError> {
        let text = self.text;
        if !text.starts_with('$') {
            return Err(self.fail(0, ExpressionErrorKind::MissingDollar));
        }
        for (keyword, expression) in [
            ("$url", Expression::Url),
            ("$method", Expression::Method),
            ("$statusCode", Expression::StatusCode),
        ] {
            if let Some(rest) = text.strip_prefix(keyword) {
                if rest.is_empty() {
                    return Ok(expression);
                }
                if !rest.starts_with(|c: char| c.is_ascii_alphanumeric()) {
                    return Err(self.fail(
                        keyword.len(),
                        ExpressionErrorKind::Trailing(rest.to_owned()),
                    ));
                }
            }
        }
        let (root, rest) = text.split_once('.').unwrap_or((text, ""));
        let at = root.len() + 1;
        if !text.contains('.') && ROOTS.iter().any(|r| r.trim_end_matches('.') == root) {
            return Err(self.fail(root.len(), ExpressionErrorKind::Expected("'.'")));
        }
        match root {
            "$request" => Ok(Expression::Request(self.message(rest, at)?)),
            "$response" => Ok(Expression::Response(self.message(rest, at)?)),
            "$inputs" => Ok(Expression::Inputs(self.named_value(
                rest,
                at,
                "input name",
            )?)),
            "$outputs" => Ok(Expression::Outputs(self.named_value(
                rest,
                at,
                "output name",
            )?)),
            "$steps" => {
                let (step_id, rest) = self.id(rest, at, "stepId", "'.outputs.'")?;
                let at = at + step_id.len() + 1;
                let rest = self.expect(rest, at, "outputs.", "'outputs.' after the stepId")?;
                let output = self.named_value(rest, at + "outputs.".len(), "output name")?;
                Ok(Expression::StepOutput { step_id, output })
            }
            "$workflows" => {
                let (workflow_id, rest) =
                    self.id(rest, at, "workflowId", "'.inputs.' or '.outputs.'")?;
                let at = at + workflow_id.len() + 1;
                let (field, rest) = if let Some(rest) = rest.strip_prefix("inputs.") {
                    (WorkflowField::Inputs, rest)
                } else if let Some(rest) = rest.strip_prefix("outputs.") {
                    (WorkflowField::Outputs, rest)
                } else {
                    return Err(self.fail(
                        at,
                        ExpressionErrorKind::Expected(
                            "'inputs.' or 'outputs.' after the workflowId",
                        ),
                    ));
                };
                let at = at + text[at..].len() - rest.len();
                let value = self.named_value(rest, at, "name")?;
                Ok(Expression::Workflow {
                    workflow_id,
                    field,
                    value,
                })
            }
            "$sourceDescriptions" => {
                let (name, rest) = self.id(
                    rest,
                    at,
                    "source description name",
                    "'.url' or '.ID' after the source description name",
                )?;
                let at = at + name.len() + 1;
                let member = self.name(rest, at, "member")?;
                Ok(Expression::SourceDescription { name, member })
            }
            "$components" => {
                let (kind_text, rest) = rest.split_once('.').unwrap_or((rest, ""));
                let kind = match kind_text {
                    "inputs" => ComponentKind::Inputs,
                    "parameters" => ComponentKind::Parameters,
                    "successActions" => ComponentKind::SuccessActions,
                    "failureActions" => ComponentKind::FailureActions,
                    _ => {
                        return Err(self.fail(
                            at,
                            ExpressionErrorKind::Expected(
                                "inputs., parameters., successActions. or failureActions.",
                            ),
                        ))
                    }
                };
                let name = self.name(rest, at + kind_text.len() + 1, "component name")?;
                Ok(Expression::Component { kind, name })
            }
            _ => Err(self.fail(0, ExpressionErrorKind::UnknownRoot(root.to_owned()))),
        }
    }
}

impl Expression {
    /// Parses a whole string as one runtime expression.
    pub fn parse(text: &str) -> Result<Self, ExpressionError> {
        Parser { text }.parse()
    }

    /// The step whose outputs this expression reads, if it reads one.
    pub fn step_id(&self) -> Option<&str> {
        match self {
            Self::StepOutput { step_id, .. } => Some(step_id),
            _ => None,
        }
    }

    /// Whether the value comes from the current HTTP exchange (`$url`,
    /// `$method`, `$statusCode`, `$request.…`, `$response.…`), which exists
    /// only while a step runs.
    pub fn reads_exchange(&self) -> bool {
        matches!(
            self,
            Self::Url | Self::Method | Self::StatusCode | Self::Request(_) | Self::Response(_)
        )
    }
}

impl fmt::Display for NamedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some(pointer) = &self.pointer {
            write!(f, "#{pointer}")?;
        }
        Ok(())
    }
}

impl fmt::Display for MessagePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Header(name) => write!(f, "header.{name}"),
            Self::Query(name) => write!(f, "query.{name}"),
            Self::Path(name) => write!(f, "path.{name}"),
            Self::Body(None) => f.write_str("body"),
            Self::Body(Some(pointer)) => write!(f, "body#{pointer}"),
        }
    }
}

impl fmt::Display for Expression {
    /// The canonical text, which parses back to the same expression.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Url => f.write_str("$url"),
            Self::Method => f.write_str("$method"),
            Self::StatusCode => f.write_str("$statusCode"),
            Self::Request(part) => write!(f, "$request.{part}"),
            Self::Response(part) => write!(f, "$response.{part}"),
            Self::Inputs(value) => write!(f, "$inputs.{value}"),
            Self::Outputs(value) => write!(f, "$outputs.{value}"),
            Self::StepOutput { step_id, output } => write!(f, "$steps.{step_id}.outputs.{output}"),
            Self::Workflow {
                workflow_id,
                field,
                value,
            } => {
                let field = match field {
                    WorkflowField::Inputs => "inputs",
                    WorkflowField::Outputs => "outputs",
                };
                write!(f, "$workflows.{workflow_id}.{field}.{value}")
            }
            Self::SourceDescription { name, member } => {
                write!(f, "$sourceDescriptions.{name}.{member}")
            }
            Self::Component { kind, name } => write!(f, "$components.{}.{name}", kind.as_str()),
        }
    }
}

#[cfg(test)]
#[path = "expression_tests.rs"]
mod tests;
