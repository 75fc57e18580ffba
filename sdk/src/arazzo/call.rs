//! One HTTP call of an Arazzo step (or of its `x-oncely-compensate`):
//! compiled once from the step's operation, parameters and request body,
//! then sent through the engine's client with the step's idempotency key.
//!
//! Parameters are evaluated against the run's context; the request and the
//! answer are recorded in the context (`$request.…`, `$response.…`,
//! `$statusCode`) for the step's criteria and outputs. A definitive error
//! answer (a `4xx`, or a `5xx` the client no longer retries) is an answer
//! too: it is put in the context with its status, headers and body, so a
//! criterion or a failure action can look at it, and the client's error is
//! kept for when nothing handles it. A failure that is not an answer (the
//! connection, a timeout, retries spent on transient answers) stays the
//! engine's, which retries, settles and compensates as for any step.

use super::context::{EvalContext, HttpMessage};
use super::document::{OrReusable, Parameter, ParameterLocation, RequestBody, StepTarget};
use super::operation::resolve;
use super::pointer::JsonPointer;
use super::run::{Compiler, PlanError};
use super::template::ValueExpr;
use crate::retry::server_delay;
use crate::workflow::{StepContext, StepError};
use crate::{Error, Method, Response};
use http::HeaderMap;
use serde_json::Value;

/// A compiled HTTP call.
pub(crate) struct Call {
    /// The step it belongs to, for messages.
    pub step_id: String,
    method: Method,
    path: String,
    /// Whether the operation answers `202` with an operation to poll.
    pub long_running: bool,
    parameters: Vec<(String, ParameterLocation, ValueExpr)>,
    body: Option<Body>,
}

struct Body {
    content_type: String,
    payload: ValueExpr,
    replacements: Vec<(JsonPointer, ValueExpr)>,
}

/// What a sent call brought back.
pub(crate) struct Exchange {
    /// The context with the request and the answer filled in.
    pub context: EvalContext,
    /// The answer, when it was a success.
    pub response: Option<Response>,
    /// The client's error, when the answer was a definitive error status.
    pub error: Option<StepError>,
    /// The answer's `Retry-After`, if it had one.
    pub retry_after: Option<std::time::Duration>,
}

impl Compiler<'_> {
    /// Compiles the call of an operation step (or compensation) at `at`.
    pub(crate) fn call(
        &self,
        at: &JsonPointer,
        step_id: &str,
        target: StepTarget<'_>,
        parameters: &[&OrReusable<Parameter>],
        body: Option<&RequestBody>,
    ) -> Result<Call, PlanError> {
        let operation =
            resolve(target, self.document, self.sources).map_err(|error| PlanError::Operation {
                pointer: at.clone(),
                error,
            })?;
        // Later definitions (the step's) override earlier ones (the workflow's).
        let mut compiled: Vec<(String, ParameterLocation, ValueExpr)> = Vec::new();
        for (i, item) in parameters.iter().enumerate() {
            let pointer = at.child("parameters").child(i.to_string());
            let (parameter, value) = self.parameter(&pointer, item)?;
            let location = parameter.location.ok_or(PlanError::Unsupported {
                pointer: pointer.clone(),
                what: "a parameter without `in` on an operation call",
            })?;
            compiled.retain(|(name, loc, _)| !(name == &parameter.name && *loc == location));
            compiled.push((
                parameter.name.clone(),
                location,
                expression(pointer, value)?,
            ));
        }
        let body = match body {
            None => None,
            Some(body) => {
                let body_at = at.child("requestBody");
                let replacements = body
                    .replacements
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let pointer = body_at.child("replacements").child(i.to_string());
                        let target =
                            JsonPointer::parse(&r.target).map_err(|_| PlanError::Unsupported {
                                pointer: pointer.child("target"),
                                what: "a replacement target that is not a JSON pointer",
                            })?;
                        Ok((target, expression(pointer.child("value"), &r.value)?))
                    })
                    .collect::<Result<Vec<_>, PlanError>>()?;
                Some(Body {
                    content_type: body
                        .content_type
                        .clone()
                        .unwrap_or_else(|| "application/json".into()),
                    payload: expression(
                        body_at.child("payload"),
                        body.payload.as_ref().unwrap_or(&Value::Null),
                    )?,
                    replacements,
                })
            }
        };
        let method = Method::from_bytes(operation.method.as_bytes()).map_err(|_| {
            PlanError::Unsupported {
                pointer: at.clone(),
                what: "an unknown HTTP method",
            }
        })?;
        // A source with its own server gets absolute URLs; the client sends
        // those as given (path parameters still filled in).
        let path = match self.servers.get(&operation.source) {
            Some(base) => format!(
                "{}/{}",
                base.trim_end_matches('/'),
                operation.path.trim_start_matches('/')
            ),
            None => operation.path,
        };
        Ok(Call {
            step_id: step_id.to_owned(),
            method,
            path,
            long_running: operation.long_running,
            parameters: compiled,
            body,
        })
    }
}

/// Parses a value that may hold runtime expressions, naming where it is.
pub(crate) fn expression(pointer: JsonPointer, value: &Value) -> Result<ValueExpr, PlanError> {
    ValueExpr::parse(value).map_err(|error| PlanError::Expression {
        pointer,
        error: Box::new(error),
    })
}

/// A parameter value as text, the way it goes on the wire.
pub(crate) fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Call {
    /// A permanent failure of this call's step.
    pub(crate) fn failed(&self, what: impl std::fmt::Display) -> StepError {
        StepError::permanent(format!("step {:?}: {what}", self.step_id))
    }

    /// Sends the call with the step's key, evaluating its parameters and
    /// body against `context`.
    pub(crate) async fn send(
        &self,
        ctx: &StepContext,
        mut context: EvalContext,
    ) -> Result<Exchange, StepError> {
        let mut request = HttpMessage::default();
        let mut builder = ctx.request(self.method.clone(), self.path.clone());
        for (name, location, value) in &self.parameters {
            let value = text(&value.evaluate(&context).map_err(|e| self.failed(e))?);
            builder = match location {
                ParameterLocation::Path => {
                    request.path.insert(name.clone(), value.clone());
                    builder.path_param(name, value)
                }
                ParameterLocation::Query => {
                    request.query.push((name.clone(), value.clone()));
                    builder.query(name, value)
                }
                ParameterLocation::Header => {
                    request.headers.push((name.clone(), value.clone()));
                    builder.header(name, value)
                }
                ParameterLocation::Cookie => builder.cookie(name, value),
            };
        }
        if let Some(body) = &self.body {
            let mut payload = body
                .payload
                .evaluate(&context)
                .map_err(|e| self.failed(e))?;
            let json = body.content_type.to_ascii_lowercase().contains("json");
            if json {
                if let Value::String(s) = &payload {
                    if let Ok(parsed) = serde_json::from_str::<Value>(s) {
                        payload = parsed;
                    }
                }
            }
            for (target, value) in &body.replacements {
                let value = value.evaluate(&context).map_err(|e| self.failed(e))?;
                replace(&mut payload, target, value).ok_or_else(|| {
                    self.failed(format!("replacement target {target} is not in the payload"))
                })?;
            }
            builder = if json {
                builder.json(&payload)
            } else if body
                .content_type
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
                && payload.is_object()
            {
                builder.form(&payload)
            } else {
                builder.body(text(&payload), &body.content_type)
            };
            request.body = Some(payload);
        }
        context.method = Some(self.method.to_string());
        context.request = Some(request);
        match builder.send().await {
            Ok(response) => {
                context.url = Some(response.url().to_string());
                context.status_code = Some(response.status());
                context.response = Some(message(response.headers(), response.bytes()));
                Ok(Exchange {
                    context,
                    retry_after: server_delay(response.headers()),
                    response: Some(response),
                    error: None,
                })
            }
            Err(error) => {
                let answer = match &error {
                    Error::Problem {
                        status,
                        problem,
                        headers,
                    } if !error.is_retryable() => Some((
                        *status,
                        message(headers, &serde_json::to_vec(problem).unwrap_or_default()),
                        server_delay(headers),
                    )),
                    Error::Status {
                        status,
                        headers,
                        body,
                    } if !error.is_retryable() => {
                        Some((*status, message(headers, body), server_delay(headers)))
                    }
                    _ => None,
                };
                let Some((status, response, retry_after)) = answer else {
                    return Err(error.into());
                };
                context.status_code = Some(status);
                context.response = Some(response);
                Ok(Exchange {
                    context,
                    response: None,
                    error: Some(error.into()),
                    retry_after,
                })
            }
        }
    }
}

/// An answer as expressions see it: headers, and the body parsed as JSON
/// (or kept as a string).
fn message(headers: &HeaderMap, bytes: &[u8]) -> HttpMessage {
    let body = if bytes.is_empty() {
        None
    } else {
        Some(
            serde_json::from_slice(bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned())),
        )
    };
    HttpMessage {
        headers: headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
        ..HttpMessage::default()
    }
}

/// Sets `value` at `target`: replaces what is there, or adds a member to an
/// existing object (or appends to an array with `-`).
fn replace(payload: &mut Value, target: &JsonPointer, value: Value) -> Option<()> {
    if let Some(slot) = target.resolve_mut(payload) {
        *slot = value;
        return Some(());
    }
    let mut parent = target.clone();
    let last = parent.pop()?;
    match parent.resolve_mut(payload)? {
        Value::Object(map) => {
            map.insert(last, value);
            Some(())
        }
        Value::Array(items) if last == "-" => {
            items.push(value);
            Some(())
        }
        _ => None,
    }
}
