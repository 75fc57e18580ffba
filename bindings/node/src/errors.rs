//! Errors crossing into JavaScript.
//!
//! Every failure leaves Rust as a plain JS `Error` whose message is
//! [`MARKER`] followed by a JSON payload: `{kind, message, …fields}`. The thin
//! JS layer (`errors.js`) turns the payload into the matching `Error` subclass
//! (`ProblemError`, `RetryExhaustedError`, …); nothing here decides anything, the
//! payload is a faithful translation of [`oncely::Error`].

use std::any::Any;
use std::time::Duration;

use http::HeaderMap;
use napi::Status;
use oncely::{Error, Problem, TimeoutKind, TransportKind};
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
    let mut fields = match error {
        Error::InvalidInput { what, why } => {
            json!({"kind": "invalid_input", "what": what, "why": why})
        }
        Error::Transport {
            method, url, kind, ..
        } => json!({
            "kind": "transport",
            "method": method,
            "url": url,
            "transportKind": match kind {
                TransportKind::Connect => "connect",
                TransportKind::Request => "request",
                TransportKind::Body => "body",
            },
        }),
        Error::ResponseTooLarge { method, url, limit } => json!({
            "kind": "transport",
            "method": method,
            "url": url,
            "transportKind": "tooLarge",
            "limit": limit,
        }),
        Error::Timeout {
            method,
            path,
            kind,
            elapsed,
        } => json!({
            "kind": "timeout",
            "method": method,
            "path": path,
            "timeoutKind": match kind {
                TimeoutKind::Attempt => "attempt",
                TimeoutKind::Deadline => "deadline",
                TimeoutKind::Operation => "operation",
            },
            "elapsedMs": ms(elapsed),
        }),
        Error::Problem {
            status,
            problem,
            headers,
        } => json!({
            "kind": "problem",
            "status": status,
            "problem": problem_json(problem),
            "headers": headers_json(headers),
        }),
        Error::Status {
            status,
            headers,
            body,
        } => json!({
            "kind": "status",
            "status": status,
            "headers": headers_json(headers),
            "body": body_text(body),
        }),
        Error::PreconditionFailed { problem, body } => json!({
            "kind": "precondition_failed",
            "status": 412,
            "problem": problem.as_deref().map(problem_json),
            "body": body_text(body),
        }),
        Error::Decode {
            what,
            path,
            message,
            snippet,
        } => json!({
            "kind": "decode",
            "what": what,
            "path": path,
            "reason": message,
            "snippet": snippet,
        }),
        Error::IdempotencyConflict {
            key,
            detail,
            problem,
        } => json!({
            "kind": "idempotency_conflict",
            "key": key,
            "detail": detail,
            "problem": problem.as_deref().map(problem_json),
        }),
        Error::RetryExhausted { attempts, last } => json!({
            "kind": "retry_exhausted",
            "attempts": attempts,
            "last": payload(last),
        }),
        Error::RetryAfterTooLong {
            requested,
            limit,
            last,
        } => json!({
            "kind": "retry_after_too_long",
            "requestedDelayMs": ms(requested),
            "limitMs": ms(limit),
            "last": payload(last),
        }),
        Error::CircuitOpen { host, retry_in } => json!({
            "kind": "circuit_open",
            "host": host,
            "retryInMs": ms(retry_in),
        }),
        Error::OperationFailed {
            status,
            problem,
            body,
        } => json!({
            "kind": "operation_failed",
            "operationStatus": status,
            "problem": problem.as_deref().map(problem_json),
            "body": body_text(body),
        }),
        Error::Protocol { what, why } => json!({"kind": "protocol", "what": what, "why": why}),
        Error::InvalidResumeToken { why } => json!({"kind": "invalid_resume_token", "why": why}),
        Error::Store(e) => json!({"kind": "store", "reason": e.to_string()}),
        _ => json!({"kind": "other"}),
    };
    let object = fields.as_object_mut().expect("payloads are objects");
    object.insert("message".into(), Value::String(error.to_string()));
    // The summary fields every error shares, decided by the core.
    object.insert("retryable".into(), Value::Bool(error.is_retryable()));
    if let Some(status) = error.status() {
        object.insert("status".into(), json!(status));
    }
    if let Some(attempts) = error.attempts() {
        object.insert("attempts".into(), json!(attempts));
    }
    if !object.contains_key("problem") {
        if let Some(p) = error.problem() {
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
