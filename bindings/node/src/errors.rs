//! Errors crossing into JavaScript.
//!
//! Every failure leaves Rust as a plain JS `Error` whose message is
//! [`MARKER`] followed by a JSON payload: `{kind, message, …fields}`. The thin
//! JS layer (`errors.js`) turns the payload into the matching `Error` subclass
//! (`ProblemError`, `RetryExhaustedError`, …); nothing here decides anything: the
//! payload renders the shared [`ErrorView`] (kinds and fields common to both
//! bindings) with the names and units JS uses.

use std::any::Any;
use std::time::Duration;

use http::HeaderMap;
use napi::Status;
use oncely::{Error, Problem, TimeoutKind};
use oncely_bindings_common::{error_view, Detail, ErrorView, TransportWhat};
use serde_json::{json, Map, Value};

/// Prefix of every error message produced by this binding; the JS layer looks
/// for it to recognise a payload.
pub const MARKER: &str = "\u{1}oncely:";

/// Wraps a payload into a napi error the JS layer understands.
pub fn payload_error(payload: Value) -> napi::Error {
    napi::Error::new(Status::GenericFailure, format!("{MARKER}{payload}"))
}

/// A bad argument (wrong type, out of range): a `TypeError` in JavaScript.
pub fn invalid_arg(what: impl Into<String>, why: impl Into<String>) -> napi::Error {
    let (what, why) = (what.into(), why.into());
    payload_error(json!({
        "kind": "invalid_input",
        "message": format!("invalid {what}: {why}"),
        "what": what,
        "why": why,
    }))
}

/// The call was cancelled through its `AbortSignal`.
pub fn aborted() -> napi::Error {
    payload_error(json!({"kind": "aborted", "message": "the operation was aborted"}))
}

/// A panic caught at the boundary: reported as an error, never a crash.
pub fn panicked(payload: Box<dyn Any + Send>) -> napi::Error {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    payload_error(json!({
        "kind": "panic",
        "message": format!("internal error (a Rust panic was caught): {text}"),
    }))
}

/// Translates a core error into a napi error carrying its payload.
pub fn to_napi(error: &Error) -> napi::Error {
    payload_error(payload(error))
}

fn ms(d: &Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The JSON form of a problem document, with the field names JS uses.
pub fn problem_json(p: &Problem) -> Value {
    json!({
        "type": p.type_,
        "title": p.title,
        "status": p.status,
        "detail": p.detail,
        "instance": p.instance,
        "extensions": Value::Object(p.extensions.clone()),
    })
}

fn headers_json(headers: &HeaderMap) -> Value {
    let mut map = Map::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        match map.get_mut(name.as_str()) {
            Some(Value::String(existing)) => {
                existing.push_str(", ");
                existing.push_str(&value);
            }
            _ => {
                map.insert(name.as_str().to_string(), Value::String(value));
            }
        }
    }
    Value::Object(map)
}

fn body_text(body: &[u8]) -> Value {
    Value::String(String::from_utf8_lossy(body).into_owned())
}

/// The payload of one error: its kind, its message and every field it carries.
pub fn payload(error: &Error) -> Value {
    render(&error_view(error))
}

/// The payload of an error's view (the shared kinds and fields, with the
/// names and units JS uses).
fn render(view: &ErrorView<'_>) -> Value {
    let mut fields = match &view.detail {
        Detail::InvalidInput { what, why } => json!({"what": what, "why": why}),
        Detail::Transport {
            method,
            url,
            what,
            limit,
        } => {
            let mut fields = json!({
                "method": method,
                "url": url,
                "transportKind": match what {
                    TransportWhat::Connect => "connect",
                    TransportWhat::Request => "request",
                    TransportWhat::Body => "body",
                    TransportWhat::TooLarge => "tooLarge",
                },
            });
            if let Some(limit) = limit {
                fields["limit"] = json!(limit);
            }
            fields
        }
        Detail::Timeout {
            method,
            path,
            kind,
            elapsed,
        } => json!({
            "method": method,
            "path": path,
            "timeoutKind": match kind {
                TimeoutKind::Attempt => "attempt",
                TimeoutKind::Deadline => "deadline",
                TimeoutKind::Operation => "operation",
            },
            "elapsedMs": ms(elapsed),
        }),
        Detail::Problem {
            status,
            problem,
            headers,
        } => json!({
            "status": status,
            "problem": problem_json(problem),
            "headers": headers_json(headers),
        }),
        Detail::Status {
            status,
            headers,
            body,
        } => json!({
            "status": status,
            "headers": headers_json(headers),
            "body": body_text(body),
        }),
        Detail::PreconditionFailed { problem, body } => json!({
            "status": 412,
            "problem": problem.map(problem_json),
            "body": body_text(body),
        }),
        Detail::Decode {
            what,
            path,
            message,
            snippet,
        } => json!({
            "what": what,
            "path": path,
            "reason": message,
            "snippet": snippet,
        }),
        Detail::IdempotencyConflict {
            key,
            detail,
            problem,
        } => json!({
            "key": key,
            "detail": detail,
            "problem": problem.map(problem_json),
        }),
        Detail::RetryExhausted { attempts, last } => json!({
            "attempts": attempts,
            "last": render(last),
        }),
        Detail::RetryAfterTooLong {
            requested,
            limit,
            last,
        } => json!({
            "requestedDelayMs": ms(requested),
            "limitMs": ms(limit),
            "last": render(last),
        }),
        Detail::CircuitOpen { host, retry_in } => json!({
            "host": host,
            "retryInMs": ms(retry_in),
        }),
        Detail::OperationFailed {
            status,
            problem,
            body,
        } => json!({
            "operationStatus": status,
            "problem": problem.map(problem_json),
            "body": body_text(body),
        }),
        Detail::Protocol { what, why } => json!({"what": what, "why": why}),
        Detail::InvalidResumeToken { why } => json!({"why": why}),
        Detail::Store { reason } => json!({"reason": reason}),
        Detail::Other => json!({}),
    };
    let object = fields.as_object_mut().expect("payloads are objects");
    object.insert("kind".into(), Value::String(view.kind().name().into()));
    object.insert("message".into(), Value::String(view.message.clone()));
    // The summary fields every error shares, decided by the core.
    object.insert("retryable".into(), Value::Bool(view.retryable));
    if let Some(status) = view.status {
        object.insert("status".into(), json!(status));
    }
    if let Some(attempts) = view.attempts {
        object.insert("attempts".into(), json!(attempts));
    }
    if !object.contains_key("problem") {
        if let Some(p) = view.problem {
            object.insert("problem".into(), problem_json(p));
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_errors_keep_their_fields() {
        let inner = Error::CircuitOpen {
            host: "h:1".into(),
            retry_in: Duration::from_millis(250),
        };
        let outer = Error::RetryExhausted {
            attempts: 3,
            last: Box::new(inner),
        };
        let p = payload(&outer);
        assert_eq!(p["kind"], "retry_exhausted");
        assert_eq!(p["attempts"], 3);
        assert_eq!(p["last"]["kind"], "circuit_open");
        assert_eq!(p["last"]["retryInMs"], 250.0);
        assert_eq!(p["retryable"], true);
    }

    #[test]
    fn problems_carry_standard_members_and_extensions() {
        let problem =
            Problem::from_json(br#"{"type":"t","title":"T","status":402,"balance":3}"#).unwrap();
        let e = Error::Problem {
            status: 402,
            problem: Box::new(problem),
            headers: Box::default(),
        };
        let p = payload(&e);
        assert_eq!(p["status"], 402);
        assert_eq!(p["problem"]["type"], "t");
        assert_eq!(p["problem"]["extensions"]["balance"], 3);
        assert!(p["message"].as_str().unwrap().contains("402"));
    }
}
