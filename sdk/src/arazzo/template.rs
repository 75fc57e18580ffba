//! Strings and values that carry runtime expressions.
//!
//! A string that starts like a runtime expression (`$inputs.id`) *is* one and
//! keeps the type of its value. Any other string may embed expressions in
//! braces (`Bearer {$steps.login.outputs.token}`): a [`Template`], whose
//! result is always a string. Other strings, and all other JSON values, are
//! literals. [`ValueExpr`] applies this to a whole value (a payload, a
//! parameter value), so that it is parsed once and evaluated many times.

use super::context::{EvalContext, EvalError};
use super::expression::{looks_like_expression, Expression, ExpressionError};
use super::pointer::JsonPointer;
use serde_json::{Map, Value};

/// A string with embedded `{$…}` expressions.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    parts: Vec<TemplatePart>,
}

/// A piece of a [`Template`].
#[derive(Debug, Clone, PartialEq)]
pub enum TemplatePart {
    /// Text kept as is.
    Text(String),
    /// An expression whose value is spliced in.
    Expression(Expression),
}

impl Template {
    /// Parses `text`: each `{$` opens an expression that runs to the next
    /// `}`. A `{` not followed by `$` is text. Errors give positions in
    /// `text`.
    pub fn parse(text: &str) -> Result<Self, ExpressionError> {
        let mut parts = Vec::new();
        let mut rest = text;
        let mut offset = 0;
        while let Some(start) = rest.find("{$") {
            if start > 0 {
                parts.push(TemplatePart::Text(rest[..start].to_owned()));
            }
            let inner = &rest[start + 1..];
            let Some(end) = inner.find('}') else {
                return Err(ExpressionError {
                    expression: text.to_owned(),
                    position: offset + start,
                    kind: super::expression::ExpressionErrorKind::Expected(
                        "'}' closing the embedded expression",
                    ),
                });
            };
            let expression = Expression::parse(&inner[..end]).map_err(|e| ExpressionError {
                expression: text.to_owned(),
                position: offset + start + 1 + e.position,
                kind: e.kind,
            })?;
            parts.push(TemplatePart::Expression(expression));
            let consumed = start + 1 + end + 1;
            offset += consumed;
            rest = &rest[consumed..];
        }
        if !rest.is_empty() {
            parts.push(TemplatePart::Text(rest.to_owned()));
        }
        Ok(Self { parts })
    }

    /// The pieces, in order.
    pub fn parts(&self) -> &[TemplatePart] {
        &self.parts
    }

    /// The embedded expressions, in order.
    pub fn expressions(&self) -> impl Iterator<Item = &Expression> {
        self.parts.iter().filter_map(|part| match part {
            TemplatePart::Expression(e) => Some(e),
            TemplatePart::Text(_) => None,
        })
    }

    /// The text with each expression replaced by its value (strings as they
    /// are, other values as JSON).
    pub fn render(&self, context: &EvalContext) -> Result<String, EvalError> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                TemplatePart::Text(text) => out.push_str(text),
                TemplatePart::Expression(expression) => match context.evaluate(expression)? {
                    Value::String(s) => out.push_str(&s),
                    other => out.push_str(&other.to_string()),
                },
            }
        }
        Ok(out)
    }
}

/// A JSON value whose strings may be expressions or templates.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueExpr {
    /// A constant.
    Literal(Value),
    /// A whole-string expression; evaluates to the referenced value.
    Expression(Expression),
    /// A string with embedded expressions; evaluates to a string.
    Template(Template),
    /// An array with expressions inside.
    Array(Vec<ValueExpr>),
    /// An object with expressions inside.
    Object(Vec<(String, ValueExpr)>),
}

/// An expression error at a place inside a value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("at {pointer}: {error}")]
pub struct ValueExprError {
    /// Where in the value (relative to it).
    pub pointer: JsonPointer,
    /// The error.
    pub error: ExpressionError,
}

impl ValueExpr {
    /// Parses every string of `value`.
    pub fn parse(value: &Value) -> Result<Self, ValueExprError> {
        let mut at = JsonPointer::root();
        Self::parse_at(value, &mut at)
    }

    fn parse_at(value: &Value, at: &mut JsonPointer) -> Result<Self, ValueExprError> {
        let fail = |error, at: &JsonPointer| ValueExprError {
            pointer: at.clone(),
            error,
        };
        Ok(match value {
            Value::String(text) if looks_like_expression(text) => {
                Self::Expression(Expression::parse(text).map_err(|e| fail(e, at))?)
            }
            Value::String(text) if text.contains("{$") => {
                Self::Template(Template::parse(text).map_err(|e| fail(e, at))?)
            }
            Value::Array(items) if contains_strings(value) => {
                let mut out = Vec::with_capacity(items.len());
                for (index, item) in items.iter().enumerate() {
                    at.push(index.to_string());
                    out.push(Self::parse_at(item, at)?);
                    at.pop();
                }
                Self::Array(out)
            }
            Value::Object(map) if contains_strings(value) => {
                let mut out = Vec::with_capacity(map.len());
                for (key, item) in map {
                    at.push(key.clone());
                    out.push((key.clone(), Self::parse_at(item, at)?));
                    at.pop();
                }
                Self::Object(out)
            }
            other => Self::Literal(other.clone()),
        })
    }

    /// Every expression inside, with its place relative to the value.
    pub fn expressions(&self) -> Vec<(JsonPointer, &Expression)> {
        let mut out = Vec::new();
        self.collect(&mut JsonPointer::root(), &mut out);
        out
    }

    fn collect<'a>(&'a self, at: &mut JsonPointer, out: &mut Vec<(JsonPointer, &'a Expression)>) {
        match self {
            Self::Literal(_) => {}
            Self::Expression(e) => out.push((at.clone(), e)),
            Self::Template(t) => out.extend(t.expressions().map(|e| (at.clone(), e))),
            Self::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    at.push(index.to_string());
                    item.collect(at, out);
                    at.pop();
                }
            }
            Self::Object(entries) => {
                for (key, item) in entries {
                    at.push(key.clone());
                    item.collect(at, out);
                    at.pop();
                }
            }
        }
    }

    /// The value with every expression evaluated.
    pub fn evaluate(&self, context: &EvalContext) -> Result<Value, EvalError> {
        Ok(match self {
            Self::Literal(value) => value.clone(),
            Self::Expression(e) => context.evaluate(e)?,
            Self::Template(t) => Value::String(t.render(context)?),
            Self::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|item| item.evaluate(context))
                    .collect::<Result<_, _>>()?,
            ),
            Self::Object(entries) => {
                let mut map = Map::with_capacity(entries.len());
                for (key, item) in entries {
                    map.insert(key.clone(), item.evaluate(context)?);
                }
                Value::Object(map)
            }
        })
    }
}

fn contains_strings(value: &Value) -> bool {
    match value {
        Value::String(_) => true,
        Value::Array(items) => items.iter().any(contains_strings),
        Value::Object(map) => map.values().any(contains_strings),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn context() -> EvalContext {
        EvalContext {
            inputs: json!({"pet_id": 7, "name": "Rex", "order": {"qty": 2}}).into(),
            ..EvalContext::default()
        }
    }

    #[test]
    fn templates_splice_values() {
        let t = Template::parse("id={$inputs.pet_id}&n={$inputs.name} {literal}").unwrap();
        assert_eq!(t.expressions().count(), 2);
        assert_eq!(t.render(&context()).unwrap(), "id=7&n=Rex {literal}");
        assert_eq!(
            Template::parse("{$inputs.order}")
                .unwrap()
                .render(&context())
                .unwrap(),
            r#"{"qty":2}"#
        );
    }

    #[test]
    fn template_errors_have_positions() {
        let e = Template::parse("a {$inputs.x").unwrap_err();
        assert_eq!(e.position, 2);
        let e = Template::parse("ab {$response.body#x}").unwrap_err();
        assert_eq!(e.position, "ab {$response.body#".len());
    }

    #[test]
    fn values_keep_types() {
        let payload = json!({
            "petOrder": {"petId": "$inputs.pet_id", "label": "pet {$inputs.name}", "status": "placed", "complete": false},
            "list": ["$inputs.order", 1]
        });
        let parsed = ValueExpr::parse(&payload).unwrap();
        assert_eq!(parsed.expressions().len(), 3);
        assert_eq!(
            parsed.evaluate(&context()).unwrap(),
            json!({
                "petOrder": {"petId": 7, "label": "pet Rex", "status": "placed", "complete": false},
                "list": [{"qty": 2}, 1]
            })
        );
        assert_eq!(
            ValueExpr::parse(&json!("$5 off")).unwrap(),
            ValueExpr::Literal(json!("$5 off"))
        );
    }

    #[test]
    fn value_errors_point_into_the_value() {
        let e = ValueExpr::parse(&json!({"a": [1, "$inputs."]})).unwrap_err();
        assert_eq!(e.pointer.to_string(), "/a/1");
    }
}
