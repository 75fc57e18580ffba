//! `simple` conditions: literals, runtime expressions and operators, parsed
//! once into a [`Condition`] tree.
//!
//! ```text
//! or         = and *( "||" and )
//! and        = unary *( "&&" unary )
//! unary      = "!" unary / comparison
//! comparison = operand [ ( "==" / "!=" / "<" / "<=" / ">" / ">=" ) operand ]
//! operand    = "(" or ")" / literal / expression *( "[" index "]" / "." name )
//! literal    = number / "'" string "'" / "true" / "false" / "null"
//! ```
//!
//! Precedence, tightest first: `!`, then the comparisons (which do not
//! chain: `a == b == c` is an error), then `&&`, then `||` — as in C, Java
//! and JavaScript, which the specification's operator table follows. So
//! `!$a == 1` is `(!$a) == 1`; write `!($a == 1)` to negate a comparison.
//!
//! A runtime expression in a condition runs until whitespace or one of
//! `( ) [ ] = < > !=  && ||`. `[i]` indexes an array (0-based) and `['key']`
//! or `.key` after `]` reads a property; `$response.body.key` is read as
//! `$response.body` and `.key` (the specification lists `.` as property
//! de-reference). Strings are in single quotes, `''` is a quote. A condition
//! wholly wrapped as `{…}` (as in one of the specification's examples) is
//! read without the braces.
//!
//! ## Type rules
//!
//! - `==` / `!=`: numbers compare by value (`200 == 200.0`); a number and a
//!   string that holds a number compare as numbers (headers are strings:
//!   `$response.header.X-Rate-Limit == 10`); strings compare
//!   case-insensitively, as the specification requires; a boolean equals the
//!   strings `true` / `false` in any case; arrays and objects compare
//!   structurally; values of other different types are not equal.
//! - `< <= > >=`: numbers, or strings holding numbers, compare as numbers;
//!   other strings compare case-insensitively by code point; anything else
//!   is a [`ConditionErrorKind::Incomparable`] error.
//! - `! && ||` take booleans (or the strings `true` / `false`); `null` is
//!   false; anything else is a [`ConditionErrorKind::NotBoolean`] error.
//! - An expression whose value is absent (a missing header, property or
//!   output) is `null`, so `$response.body#/error == null` tests absence;
//!   an expression that has no context at all (no response yet) is an error.

use super::context::{EvalContext, EvalError};
use super::expression::{Expression, ExpressionErrorKind};
use serde_json::Value;
use std::cmp::Ordering;

/// A parsed `simple` condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    text: String,
    root: Node,
}

/// A node of a condition, with the byte offset it starts at.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Byte offset in the condition text.
    pub position: usize,
    /// What the node is.
    pub kind: NodeKind,
}

/// The kinds of [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// A literal.
    Literal(Value),
    /// A runtime expression with index / property accessors.
    Value(Expression, Vec<Accessor>),
    /// `!x`.
    Not(Box<Node>),
    /// `a && b`.
    And(Box<Node>, Box<Node>),
    /// `a || b`.
    Or(Box<Node>, Box<Node>),
    /// `a OP b`.
    Compare(Comparison, Box<Node>, Box<Node>),
}

/// `[0]`, `['key']` or `.key` after an expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accessor {
    /// An array index.
    Index(usize),
    /// An object property.
    Property(String),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Comparison {
    fn symbol(self) -> &'static str {
        match self {
            Self::Eq => "==",
            Self::Ne => "!=",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
        }
    }
}

/// A condition that does not parse or cannot be evaluated, with the byte
/// offset of the culprit.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("condition {condition:?} at byte {position}: {kind}")]
pub struct ConditionError {
    /// The condition text.
    pub condition: String,
    /// Byte offset of the problem.
    pub position: usize,
    /// What is wrong.
    pub kind: ConditionErrorKind,
}

/// What is wrong with a condition.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConditionErrorKind {
    /// The condition is empty.
    #[error("empty condition")]
    Empty,
    /// A character that starts no token.
    #[error("unexpected character {0:?}")]
    UnexpectedChar(char),
    /// A token where another was expected.
    #[error("expected {expected}, found {found}")]
    Unexpected {
        /// What the grammar wanted.
        expected: &'static str,
        /// What was there.
        found: String,
    },
    /// A string literal without its closing quote.
    #[error("unterminated string literal")]
    UnterminatedString,
    /// A malformed number.
    #[error("invalid number {0:?}")]
    BadNumber(String),
    /// A malformed runtime expression.
    #[error("{0}")]
    Expression(ExpressionErrorKind),
    /// `a == b == c`.
    #[error("comparisons do not chain; use && or parentheses")]
    ChainedComparison,
    /// The expression has no value in this context.
    #[error("{0}")]
    Evaluate(EvalError),
    /// `<`, `<=`, `>`, `>=` on values that have no order.
    #[error("cannot compare {left} {operator} {right}")]
    Incomparable {
        /// The operator.
        operator: &'static str,
        /// Type of the left value.
        left: &'static str,
        /// Type of the right value.
        right: &'static str,
    },
    /// A logical operator (or the whole condition) on a value that is not a boolean.
    #[error("expected a boolean, found {0}")]
    NotBoolean(&'static str),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    Dot(String),
    Not,
    And,
    Or,
    Compare(Comparison),
    Literal(Value),
    Expression(Expression, Vec<Accessor>),
}

fn describe(token: Option<&(usize, Token)>) -> String {
    match token {
        None => "the end".into(),
        Some((_, Token::Open)) => "'('".into(),
        Some((_, Token::Close)) => "')'".into(),
        Some((_, Token::OpenBracket)) => "'['".into(),
        Some((_, Token::CloseBracket)) => "']'".into(),
        Some((_, Token::Dot(name))) => format!("'.{name}'"),
        Some((_, Token::Not)) => "'!'".into(),
        Some((_, Token::And)) => "'&&'".into(),
        Some((_, Token::Or)) => "'||'".into(),
        Some((_, Token::Compare(c))) => format!("'{}'", c.symbol()),
        Some((_, Token::Literal(v))) => format!("literal {v}"),
        Some((_, Token::Expression(e, _))) => format!("expression {e}"),
    }
}

fn ends_expression(rest: &str) -> bool {
    rest.starts_with(|c: char| c.is_whitespace() || "()[]=<>".contains(c))
        || rest.starts_with("!=")
        || rest.starts_with("&&")
        || rest.starts_with("||")
}

struct Lexer<'a> {
    text: &'a str,
    base: usize,
}

impl Lexer<'_> {
    fn fail(&self, position: usize, kind: ConditionErrorKind) -> (usize, ConditionErrorKind) {
        (self.base + position, kind)
    }

    fn tokens(&self) -> Result<Vec<(usize, Token)>, (usize, ConditionErrorKind)> {
        let text = self.text;
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < text.len() {
            let rest = &text[i..];
            let c = rest.chars().next().unwrap_or(' ');
            if c.is_whitespace() {
                i += c.len_utf8();
                continue;
            }
            let two = rest.get(..2).unwrap_or("");
            let (token, len) = match (two, c) {
                ("==", _) => (Token::Compare(Comparison::Eq), 2),
                ("!=", _) => (Token::Compare(Comparison::Ne), 2),
                ("<=", _) => (Token::Compare(Comparison::Le), 2),
                (">=", _) => (Token::Compare(Comparison::Ge), 2),
                ("&&", _) => (Token::And, 2),
                ("||", _) => (Token::Or, 2),
                (_, '<') => (Token::Compare(Comparison::Lt), 1),
                (_, '>') => (Token::Compare(Comparison::Gt), 1),
                (_, '!') => (Token::Not, 1),
                (_, '(') => (Token::Open, 1),
                (_, ')') => (Token::Close, 1),
                (_, '[') => (Token::OpenBracket, 1),
                (_, ']') => (Token::CloseBracket, 1),
                (_, '.') => {
                    let name_len = rest[1..]
                        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
                        .unwrap_or(rest.len() - 1);
                    if name_len == 0 {
                        return Err(self.fail(i, ConditionErrorKind::UnexpectedChar('.')));
                    }
                    (Token::Dot(rest[1..=name_len].to_owned()), 1 + name_len)
                }
                (_, '\'') => self.string(rest, i)?,
                (_, '$') => self.expression(rest, i)?,
                (_, c) if c.is_ascii_digit() || c == '-' => self.number(rest, i)?,
                (_, c) if c.is_ascii_alphabetic() => {
                    let word_len = rest
                        .find(|c: char| !c.is_ascii_alphanumeric())
                        .unwrap_or(rest.len());
                    let literal = match &rest[..word_len] {
                        "true" => Value::Bool(true),
                        "false" => Value::Bool(false),
                        "null" => Value::Null,
                        _ => return Err(self.fail(i, ConditionErrorKind::UnexpectedChar(c))),
                    };
                    (Token::Literal(literal), word_len)
                }
                (_, c) => return Err(self.fail(i, ConditionErrorKind::UnexpectedChar(c))),
            };
            tokens.push((self.base + i, token));
            i += len;
        }
        Ok(tokens)
    }

    fn string(&self, rest: &str, at: usize) -> Result<(Token, usize), (usize, ConditionErrorKind)> {
        let mut value = String::new();
        let mut chars = rest.char_indices().skip(1).peekable();
        while let Some((index, c)) = chars.next() {
            if c == '\'' {
                if matches!(chars.peek(), Some((_, '\''))) {
                    value.push('\'');
                    chars.next();
                } else {
                    return Ok((Token::Literal(Value::String(value)), index + 1));
                }
            } else {
                value.push(c);
            }
        }
        Err(self.fail(at, ConditionErrorKind::UnterminatedString))
    }

    fn number(&self, rest: &str, at: usize) -> Result<(Token, usize), (usize, ConditionErrorKind)> {
        let len = rest
            .char_indices()
            .skip(1)
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-')))
            .map_or(rest.len(), |(index, _)| index);
        let text = &rest[..len];
        match serde_json::from_str::<serde_json::Number>(text) {
            Ok(number) => Ok((Token::Literal(Value::Number(number)), len)),
            Err(_) => Err(self.fail(at, ConditionErrorKind::BadNumber(text.to_owned()))),
        }
    }

    fn expression(
        &self,
        rest: &str,
        at: usize,
    ) -> Result<(Token, usize), (usize, ConditionErrorKind)> {
        let mut len = rest.len();
        for (index, _) in rest.char_indices() {
            if ends_expression(&rest[index..]) {
                len = index;
                break;
            }
        }
        let mut text = &rest[..len];
        let mut accessors = Vec::new();
        for body in ["$response.body.", "$request.body."] {
            if text.starts_with(body) {
                let (expression, properties) = text.split_at(body.len() - 1);
                text = expression;
                for property in properties[1..].split('.') {
                    if property.is_empty() {
                        return Err(self.fail(at + len, ConditionErrorKind::UnexpectedChar('.')));
                    }
                    accessors.push(Accessor::Property(property.to_owned()));
                }
            }
        }
        let expression = Expression::parse(text)
            .map_err(|e| self.fail(at + e.position, ConditionErrorKind::Expression(e.kind)))?;
        Ok((Token::Expression(expression, accessors), len))
    }
}

struct Parser {
    tokens: Vec<(usize, Token)>,
    next: usize,
    end: usize,
}

type Parsed = Result<Node, (usize, ConditionErrorKind)>;

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next).map(|(_, t)| t)
    }

    fn position(&self) -> usize {
        self.tokens.get(self.next).map_or(self.end, |(p, _)| *p)
    }

    fn unexpected(&self, expected: &'static str) -> (usize, ConditionErrorKind) {
        (
            self.position(),
            ConditionErrorKind::Unexpected {
                expected,
                found: describe(self.tokens.get(self.next)),
            },
        )
    }

    fn or(&mut self) -> Parsed {
        let mut left = self.and()?;
        while self.peek() == Some(&Token::Or) {
            self.next += 1;
            let right = self.and()?;
            left = Node {
                position: left.position,
                kind: NodeKind::Or(Box::new(left), Box::new(right)),
            };
        }
        Ok(left)
    }

    fn and(&mut self) -> Parsed {
        let mut left = self.unary()?;
        while self.peek() == Some(&Token::And) {
            self.next += 1;
            let right = self.unary()?;
            left = Node {
                position: left.position,
                kind: NodeKind::And(Box::new(left), Box::new(right)),
            };
        }
        Ok(left)
    }

    fn unary(&mut self) -> Parsed {
        if self.peek() == Some(&Token::Not) {
            let position = self.position();
            self.next += 1;
            let operand = self.unary()?;
            return Ok(Node {
                position,
                kind: NodeKind::Not(Box::new(operand)),
            });
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Parsed {
        let left = self.operand()?;
        let Some(Token::Compare(op)) = self.peek().cloned() else {
            return Ok(left);
        };
        self.next += 1;
        let right = self.operand()?;
        if let Some(Token::Compare(_)) = self.peek() {
            return Err((self.position(), ConditionErrorKind::ChainedComparison));
        }
        Ok(Node {
            position: left.position,
            kind: NodeKind::Compare(op, Box::new(left), Box::new(right)),
        })
    }

    fn operand(&mut self) -> Parsed {
        let position = self.position();
        let Some(token) = self.peek().cloned() else {
            return Err(self.unexpected("a value, an expression or '('"));
        };
        self.next += 1;
        match token {
            Token::Open => {
                let inner = self.or()?;
                if self.peek() != Some(&Token::Close) {
                    return Err(self.unexpected("')'"));
                }
                self.next += 1;
                Ok(inner)
            }
            Token::Literal(value) => Ok(Node {
                position,
                kind: NodeKind::Literal(value),
            }),
            Token::Expression(expression, mut accessors) => {
                self.accessors(&mut accessors)?;
                Ok(Node {
                    position,
                    kind: NodeKind::Value(expression, accessors),
                })
            }
            _ => {
                self.next -= 1;
                Err(self.unexpected("a value, an expression or '('"))
            }
        }
    }

    fn accessors(
        &mut self,
        accessors: &mut Vec<Accessor>,
    ) -> Result<(), (usize, ConditionErrorKind)> {
        loop {
            match self.peek().cloned() {
                Some(Token::OpenBracket) => {
                    self.next += 1;
                    let accessor = match self.peek().cloned() {
                        Some(Token::Literal(Value::Number(n))) => match n.as_u64() {
                            Some(index) => {
                                Accessor::Index(usize::try_from(index).unwrap_or(usize::MAX))
                            }
                            None => return Err(self.unexpected("a non-negative integer index")),
                        },
                        Some(Token::Literal(Value::String(key))) => Accessor::Property(key),
                        _ => return Err(self.unexpected("an index or a quoted key")),
                    };
                    self.next += 1;
                    if self.peek() != Some(&Token::CloseBracket) {
                        return Err(self.unexpected("']'"));
                    }
                    self.next += 1;
                    accessors.push(accessor);
                }
                Some(Token::Dot(name)) => {
                    self.next += 1;
                    accessors.push(Accessor::Property(name));
                }
                _ => return Ok(()),
            }
        }
    }
}

impl Condition {
    /// Parses a `simple` condition.
    pub fn parse(text: &str) -> Result<Self, ConditionError> {
        let fail = |(position, kind)| ConditionError {
            condition: text.to_owned(),
            position,
            kind,
        };
        let trimmed = text.trim();
        let lead = text.len() - text.trim_start().len();
        let (inner, base) = match trimmed
            .strip_prefix("{$")
            .and_then(|_| trimmed.strip_suffix('}'))
        {
            Some(_) => (&trimmed[1..trimmed.len() - 1], lead + 1),
            None => (text, 0),
        };
        let tokens = Lexer { text: inner, base }.tokens().map_err(fail)?;
        if tokens.is_empty() {
            return Err(fail((0, ConditionErrorKind::Empty)));
        }
        let mut parser = Parser {
            tokens,
            next: 0,
            end: text.len(),
        };
        let root = parser.or().map_err(fail)?;
        if parser.next < parser.tokens.len() {
            return Err(fail(parser.unexpected("an operator or the end")));
        }
        Ok(Self {
            text: text.to_owned(),
            root,
        })
    }

    /// The condition's text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The parsed tree.
    pub fn root(&self) -> &Node {
        &self.root
    }

    /// Every runtime expression in the condition.
    pub fn expressions(&self) -> Vec<&Expression> {
        fn walk<'a>(node: &'a Node, out: &mut Vec<&'a Expression>) {
            match &node.kind {
                NodeKind::Literal(_) => {}
                NodeKind::Value(e, _) => out.push(e),
                NodeKind::Not(inner) => walk(inner, out),
                NodeKind::And(a, b) | NodeKind::Or(a, b) | NodeKind::Compare(_, a, b) => {
                    walk(a, out);
                    walk(b, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &mut out);
        out
    }

    /// Whether the condition holds in `context`.
    pub fn evaluate(&self, context: &EvalContext) -> Result<bool, ConditionError> {
        let fail = |(position, kind)| ConditionError {
            condition: self.text.clone(),
            position,
            kind,
        };
        let value = eval(&self.root, context).map_err(fail)?;
        truth(&value).ok_or_else(|| {
            fail((
                self.root.position,
                ConditionErrorKind::NotBoolean(type_name(&value)),
            ))
        })
    }
}

fn eval(node: &Node, context: &EvalContext) -> Result<Value, (usize, ConditionErrorKind)> {
    let boolean = |node: &Node| -> Result<bool, (usize, ConditionErrorKind)> {
        let value = eval(node, context)?;
        truth(&value).ok_or((
            node.position,
            ConditionErrorKind::NotBoolean(type_name(&value)),
        ))
    };
    Ok(match &node.kind {
        NodeKind::Literal(value) => value.clone(),
        NodeKind::Value(expression, accessors) => match context.evaluate(expression) {
            Ok(value) => access(value, accessors),
            Err(e) if e.kind.is_absent() => Value::Null,
            Err(e) => return Err((node.position, ConditionErrorKind::Evaluate(e))),
        },
        NodeKind::Not(inner) => Value::Bool(!boolean(inner)?),
        NodeKind::And(a, b) => Value::Bool(boolean(a)? && boolean(b)?),
        NodeKind::Or(a, b) => Value::Bool(boolean(a)? || boolean(b)?),
        NodeKind::Compare(op, a, b) => {
            let (left, right) = (eval(a, context)?, eval(b, context)?);
            Value::Bool(compare(*op, &left, &right).ok_or((
                node.position,
                ConditionErrorKind::Incomparable {
                    operator: op.symbol(),
                    left: type_name(&left),
                    right: type_name(&right),
                },
            ))?)
        }
    })
}

fn access(value: Value, accessors: &[Accessor]) -> Value {
    accessors
        .iter()
        .try_fold(value, |current, accessor| match (accessor, current) {
            (Accessor::Index(i), Value::Array(mut items)) if *i < items.len() => {
                Some(items.swap_remove(*i))
            }
            (Accessor::Property(key), Value::Object(mut map)) => map.remove(key),
            _ => None,
        })
        .unwrap_or(Value::Null)
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn truth(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Null => Some(false),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

/// `None` when the operator does not apply to these types.
fn compare(op: Comparison, left: &Value, right: &Value) -> Option<bool> {
    let holds: fn(Ordering) -> bool = match op {
        Comparison::Eq => return Some(loose_equal(left, right)),
        Comparison::Ne => return Some(!loose_equal(left, right)),
        Comparison::Lt => Ordering::is_lt,
        Comparison::Le => Ordering::is_le,
        Comparison::Gt => Ordering::is_gt,
        Comparison::Ge => Ordering::is_ge,
    };
    let ordering = match (left, right) {
        (Value::String(a), Value::String(b)) => match (number(left), number(right)) {
            (Some(x), Some(y)) => x.partial_cmp(&y)?,
            _ => a.to_lowercase().cmp(&b.to_lowercase()),
        },
        (Value::Number(_) | Value::String(_), Value::Number(_) | Value::String(_)) => {
            number(left)?.partial_cmp(&number(right)?)?
        }
        _ => return None,
    };
    Some(holds(ordering))
}

fn loose_equal(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Number(a), Value::Number(b)) => match (a.as_i64(), b.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => a.as_f64() == b.as_f64(),
        },
        (Value::Number(_), Value::String(_)) | (Value::String(_), Value::Number(_)) => {
            matches!((number(left), number(right)), (Some(x), Some(y)) if x == y)
        }
        (Value::String(a), Value::String(b)) => a.to_lowercase() == b.to_lowercase(),
        (Value::Bool(b), Value::String(s)) | (Value::String(s), Value::Bool(b)) => {
            s.eq_ignore_ascii_case(if *b { "true" } else { "false" })
        }
        _ => left == right,
    }
}

#[cfg(test)]
#[path = "condition_tests.rs"]
mod tests;
