//! Evaluating runtime expressions: [`EvalContext`] holds what a running
//! workflow knows (its inputs, the outputs of steps that ran, the current
//! request and response) and turns an [`Expression`] into a JSON value.
//!
//! Values keep their type ("runtime expressions preserve the type of the
//! referenced value"): `$statusCode` is a number, a header a string, a body
//! the parsed JSON. A name with dots that is not itself a key
//! (`$inputs.customer.id`) reads the nested property.

use super::expression::{ComponentKind, Expression, MessagePart, NamedValue, WorkflowField};
use super::pointer::JsonPointer;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// An HTTP request or response as expressions see it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HttpMessage {
    /// Header fields in order; names compare case-insensitively.
    pub headers: Vec<(String, String)>,
    /// Query parameters in order.
    pub query: Vec<(String, String)>,
    /// Path template variables.
    pub path: BTreeMap<String, String>,
    /// The body, parsed JSON (a non-JSON body is a JSON string).
    pub body: Option<Value>,
}

impl HttpMessage {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The inputs and outputs of a workflow, for `$workflows.ID.…`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkflowValues {
    /// The inputs it was called with.
    pub inputs: Value,
    /// The outputs it produced (empty until it ended).
    pub outputs: Map<String, Value>,
}

/// What runtime expressions are evaluated against.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EvalContext {
    /// The URL of the current request.
    pub url: Option<String>,
    /// The method of the current request.
    pub method: Option<String>,
    /// The status code of the current response.
    pub status_code: Option<u16>,
    /// The current request.
    pub request: Option<HttpMessage>,
    /// The current response.
    pub response: Option<HttpMessage>,
    /// The inputs of the current workflow (an object). The run's values are
    /// shared (`Arc`): every context of a visit sees the same ones.
    pub inputs: Arc<Value>,
    /// The outputs of the current workflow computed so far.
    pub outputs: Map<String, Value>,
    /// Step id → outputs of the steps of the current workflow that ran.
    pub steps: Arc<BTreeMap<String, Map<String, Value>>>,
    /// Workflow id → its inputs and outputs.
    pub workflows: Arc<BTreeMap<String, WorkflowValues>>,
    /// Source description name → its URL.
    pub source_descriptions: Arc<BTreeMap<String, String>>,
    /// The document's Components Object as JSON (shared: every context of
    /// a run sees the same one).
    pub components: Arc<Value>,
}

/// An expression that has no value in a context.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("cannot evaluate {expression}: {kind}")]
pub struct EvalError {
    /// The expression, in its canonical text.
    pub expression: String,
    /// Why.
    pub kind: EvalErrorKind,
}

/// Why an expression has no value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalErrorKind {
    /// There is no current request, response, URL, method or status.
    #[error("no {0} in this context")]
    NoExchange(&'static str),
    /// The message has no such header, query or path parameter.
    #[error("no {location} {name:?}")]
    MissingParameter {
        /// `header`, `query` or `path`.
        location: &'static str,
        /// The name.
        name: String,
    },
    /// The message has no body.
    #[error("the message has no body")]
    NoBody,
    /// The JSON Pointer designates nothing.
    #[error("nothing at {0}")]
    PointerNotFound(String),
    /// No such input or output.
    #[error("no {what} {name:?}")]
    UnknownName {
        /// `input`, `output`, …
        what: &'static str,
        /// The name.
        name: String,
    },
    /// The step has not run (or has no outputs) in this context.
    #[error("step {0:?} has not run")]
    StepNotRun(String),
    /// The workflow has not run in this context.
    #[error("workflow {0:?} has not run")]
    WorkflowNotRun(String),
    /// No such source description.
    #[error("no source description {0:?}")]
    UnknownSourceDescription(String),
    /// The expression names an operation or workflow, which is not a value.
    #[error("{0:?} names an operation or workflow, not a value")]
    NotAValue(String),
    /// No such component.
    #[error("no component {kind}.{name}")]
    UnknownComponent {
        /// The map.
        kind: &'static str,
        /// The key.
        name: String,
    },
}

impl EvalErrorKind {
    /// Whether the expression is well-placed but its value is absent (a
    /// missing header, property or output), as opposed to having no context
    /// at all. Conditions read an absent value as `null`.
    pub fn is_absent(&self) -> bool {
        !matches!(
            self,
            Self::NoExchange(_) | Self::NotAValue(_) | Self::UnknownSourceDescription(_)
        )
    }
}

impl EvalContext {
    /// The value of `expression` in this context.
    pub fn evaluate(&self, expression: &Expression) -> Result<Value, EvalError> {
        self.value(expression).map_err(|kind| EvalError {
            expression: expression.to_string(),
            kind,
        })
    }

    fn value(&self, expression: &Expression) -> Result<Value, EvalErrorKind> {
        use EvalErrorKind as E;
        match expression {
            Expression::Url => self
                .url
                .clone()
                .map(Value::String)
                .ok_or(E::NoExchange("request URL")),
            Expression::Method => self
                .method
                .clone()
                .map(Value::String)
                .ok_or(E::NoExchange("request method")),
            Expression::StatusCode => self
                .status_code
                .map(Value::from)
                .ok_or(E::NoExchange("response status")),
            Expression::Request(part) => {
                message_part(self.request.as_ref().ok_or(E::NoExchange("request"))?, part)
            }
            Expression::Response(part) => message_part(
                self.response.as_ref().ok_or(E::NoExchange("response"))?,
                part,
            ),
            Expression::Inputs(named) => lookup(&self.inputs, named, "input"),
            Expression::Outputs(named) => lookup_map(&self.outputs, named, "output"),
            Expression::StepOutput { step_id, output } => {
                let outputs = self
                    .steps
                    .get(step_id)
                    .ok_or_else(|| E::StepNotRun(step_id.clone()))?;
                lookup_map(outputs, output, "step output")
            }
            Expression::Workflow {
                workflow_id,
                field,
                value,
            } => {
                let values = self
                    .workflows
                    .get(workflow_id)
                    .ok_or_else(|| E::WorkflowNotRun(workflow_id.clone()))?;
                match field {
                    WorkflowField::Inputs => lookup(&values.inputs, value, "workflow input"),
                    WorkflowField::Outputs => lookup_map(&values.outputs, value, "workflow output"),
                }
            }
            Expression::SourceDescription { name, member } => {
                let url = self
                    .source_descriptions
                    .get(name)
                    .ok_or_else(|| E::UnknownSourceDescription(name.clone()))?;
                if member == "url" {
                    Ok(Value::String(url.clone()))
                } else {
                    Err(E::NotAValue(expression.to_string()))
                }
            }
            Expression::Component { kind, name } => self
                .components
                .get(kind.as_str())
                .and_then(|map| map.get(name))
                .cloned()
                .ok_or_else(|| E::UnknownComponent {
                    kind: kind_name(*kind),
                    name: name.clone(),
                }),
        }
    }
}

fn kind_name(kind: ComponentKind) -> &'static str {
    kind.as_str()
}

fn message_part(message: &HttpMessage, part: &MessagePart) -> Result<Value, EvalErrorKind> {
    let missing = |location, name: &String| EvalErrorKind::MissingParameter {
        location,
        name: name.clone(),
    };
    match part {
        MessagePart::Header(name) => message
            .header(name)
            .map(|v| Value::String(v.to_owned()))
            .ok_or_else(|| missing("header", name)),
        MessagePart::Query(name) => message
            .query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| Value::String(v.clone()))
            .ok_or_else(|| missing("query parameter", name)),
        MessagePart::Path(name) => message
            .path
            .get(name)
            .map(|v| Value::String(v.clone()))
            .ok_or_else(|| missing("path parameter", name)),
        MessagePart::Body(pointer) => {
            let body = message.body.as_ref().ok_or(EvalErrorKind::NoBody)?;
            point(body, pointer.as_ref())
        }
    }
}

fn point(value: &Value, pointer: Option<&JsonPointer>) -> Result<Value, EvalErrorKind> {
    match pointer {
        None => Ok(value.clone()),
        Some(pointer) => pointer
            .resolve(value)
            .cloned()
            .ok_or_else(|| EvalErrorKind::PointerNotFound(pointer.to_string())),
    }
}

/// `name` in an object: the key itself, else the dotted path into it.
fn lookup(object: &Value, named: &NamedValue, what: &'static str) -> Result<Value, EvalErrorKind> {
    let found = object.get(&named.name).or_else(|| {
        named
            .name
            .split('.')
            .try_fold(object, |current, key| current.get(key))
    });
    let value = found.ok_or_else(|| EvalErrorKind::UnknownName {
        what,
        name: named.name.clone(),
    })?;
    point(value, named.pointer.as_ref())
}

fn lookup_map(
    map: &Map<String, Value>,
    named: &NamedValue,
    what: &'static str,
) -> Result<Value, EvalErrorKind> {
    let value = map
        .get(&named.name)
        .ok_or_else(|| EvalErrorKind::UnknownName {
            what,
            name: named.name.clone(),
        })?;
    point(value, named.pointer.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn context() -> EvalContext {
        let mut steps = BTreeMap::new();
        let mut outputs = Map::new();
        outputs.insert("pets".into(), json!([{"id": 7}]));
        outputs.insert("a.b".into(), json!("dotted"));
        steps.insert("find".into(), outputs);
        let mut workflows = BTreeMap::new();
        workflows.insert(
            "login".into(),
            WorkflowValues {
                inputs: json!({"user": "ana"}),
                outputs: Map::from_iter([("token".to_string(), json!({"v": "t0k"}))]),
            },
        );
        EvalContext {
            url: Some("http://h/pets?x=1".into()),
            method: Some("POST".into()),
            status_code: Some(201),
            request: Some(HttpMessage {
                headers: vec![("Accept".into(), "application/json".into())],
                query: vec![("x".into(), "1".into())],
                path: BTreeMap::from([("id".to_string(), "42".to_string())]),
                body: Some(json!({"user": {"uuid": "u-1"}})),
            }),
            response: Some(HttpMessage {
                headers: vec![("X-Rate-Limit".into(), "10".into())],
                body: Some(json!({"status": "ok", "a/b": 1})),
                ..HttpMessage::default()
            }),
            inputs: json!({"username": "ana", "customer": {"id": "c1"}}).into(),
            outputs: Map::new(),
            steps: steps.into(),
            workflows: workflows.into(),
            source_descriptions: BTreeMap::from([("api".to_string(), "./api.yaml".to_string())])
                .into(),
            components: Arc::new(
                json!({"parameters": {"page": {"name": "page", "in": "query", "value": 1}}}),
            ),
        }
    }

    fn eval(text: &str) -> Result<Value, EvalError> {
        context().evaluate(&Expression::parse(text).unwrap())
    }

    #[test]
    fn every_expression_form_evaluates() {
        assert_eq!(eval("$url").unwrap(), json!("http://h/pets?x=1"));
        assert_eq!(eval("$method").unwrap(), json!("POST"));
        assert_eq!(eval("$statusCode").unwrap(), json!(201));
        assert_eq!(
            eval("$request.header.accept").unwrap(),
            json!("application/json")
        );
        assert_eq!(eval("$request.query.x").unwrap(), json!("1"));
        assert_eq!(eval("$request.path.id").unwrap(), json!("42"));
        assert_eq!(eval("$request.body#/user/uuid").unwrap(), json!("u-1"));
        assert_eq!(eval("$response.header.x-rate-limit").unwrap(), json!("10"));
        assert_eq!(eval("$response.body#/a~1b").unwrap(), json!(1));
        assert_eq!(eval("$inputs.username").unwrap(), json!("ana"));
        assert_eq!(eval("$inputs.customer.id").unwrap(), json!("c1"));
        assert_eq!(eval("$steps.find.outputs.pets#/0/id").unwrap(), json!(7));
        assert_eq!(eval("$steps.find.outputs.a.b").unwrap(), json!("dotted"));
        assert_eq!(eval("$workflows.login.inputs.user").unwrap(), json!("ana"));
        assert_eq!(
            eval("$workflows.login.outputs.token#/v").unwrap(),
            json!("t0k")
        );
        assert_eq!(
            eval("$sourceDescriptions.api.url").unwrap(),
            json!("./api.yaml")
        );
        assert_eq!(
            eval("$components.parameters.page").unwrap()["value"],
            json!(1)
        );
    }

    #[test]
    fn errors_name_the_expression() {
        let e = eval("$steps.later.outputs.x").unwrap_err();
        assert_eq!(e.expression, "$steps.later.outputs.x");
        assert_eq!(e.kind, EvalErrorKind::StepNotRun("later".into()));
        assert_eq!(
            eval("$response.body#/missing").unwrap_err().kind,
            EvalErrorKind::PointerNotFound("/missing".into())
        );
        assert!(matches!(
            eval("$sourceDescriptions.api.createOrder")
                .unwrap_err()
                .kind,
            EvalErrorKind::NotAValue(_)
        ));
        let empty = EvalContext::default();
        let e = empty.evaluate(&Expression::StatusCode).unwrap_err();
        assert_eq!(e.kind, EvalErrorKind::NoExchange("response status"));
        assert!(!e.kind.is_absent());
        assert!(eval("$inputs.nope").unwrap_err().kind.is_absent());
    }
}
