//! The outbox for the bindings: an [`OutboxCall`] from a call's neutral
//! [`CallSpec`], the enqueue statement for the host's own connection, the
//! dispatcher's options, and one name per [`OutboxError`] kind.

use std::time::Duration;

use oncely::outbox::{
    DispatchReport, Dispatcher, InsertStatement, Outbox, OutboxCall, OutboxError, OutboxFilter,
    OutboxState, Placeholders,
};
use serde_json::{json, Value};

use crate::call_spec::{method, Body, CallSpec};

/// A call to enqueue: `method path` with what `spec` carries (path
/// parameters, query, headers, body, intent id), ordered in `partition`,
/// not sent before `delay`. Call options that only make sense at send time
/// (timeouts, retries, a fixed key, `If-Match`) are refused: the
/// dispatcher's client decides those.
pub fn call(
    method_name: &str,
    path: &str,
    spec: CallSpec,
    partition: Option<String>,
    delay: Option<Duration>,
) -> Result<OutboxCall, OutboxError> {
    let invalid = |what: &str, why: &str| OutboxError::InvalidCall {
        what: what.into(),
        why: why.into(),
    };
    let method = method(method_name).map_err(|e| invalid("the method", &e.to_string()))?;
    for (given, name) in [
        (spec.idempotency_key.is_some(), "idempotency_key"),
        (spec.idempotent.is_some(), "idempotent"),
        (spec.if_match.is_some(), "if_match"),
        (spec.timeout.is_some(), "timeout"),
        (spec.deadline.is_some(), "deadline"),
        (spec.retry.is_some(), "retry"),
    ] {
        if given {
            return Err(invalid(
                name,
                "is not an outbox call's: the key comes from the intent id, and the dispatcher's client decides timeouts and retries",
            ));
        }
    }
    let mut call = OutboxCall::new(method, path);
    for (name, value) in spec.path_params {
        call = call.path_param(name, value);
    }
    for (name, value) in spec.query {
        call = call.query(name, value);
    }
    for (name, value) in spec.headers {
        call = call.header(name, value);
    }
    call = match spec.body {
        Some(Body::Json(value)) => call.json(&value)?,
        Some(Body::Form(_)) => {
            return Err(invalid(
                "a form body",
                "is not supported in the outbox: send it as raw content with its content type",
            ))
        }
        Some(Body::Raw {
            bytes,
            content_type,
        }) => call.body(bytes, content_type),
        None => call,
    };
    if let Some(intent) = spec.intent_id {
        call = call.intent_id(intent);
    }
    if let Some(partition) = partition {
        call = call.partition(partition);
    }
    if let Some(delay) = delay {
        call = call.delay(delay);
    }
    call.check()?;
    Ok(call)
}

/// The placeholder style a binding names: `qmark` (`?`), `dollar` (`$1`)
/// or `format` (`%s`).
pub fn placeholders(style: &str) -> Result<Placeholders, OutboxError> {
    match style {
        "qmark" => Ok(Placeholders::QuestionMark),
        "dollar" | "numeric" => Ok(Placeholders::Dollar),
        "format" | "pyformat" => Ok(Placeholders::Percent),
        other => Err(OutboxError::InvalidCall {
            what: format!("placeholder style {other:?}"),
            why: "must be \"qmark\" (?), \"dollar\" ($1) or \"format\" (%s)".into(),
        }),
    }
}

/// The enqueue statement of `call` for the host's connection.
pub fn insert_statement(
    call: &OutboxCall,
    style: &str,
    table: &str,
) -> Result<InsertStatement, OutboxError> {
    call.insert_statement(placeholders(style)?, table)
}

/// A row filter from a binding's arguments.
pub fn filter(
    state: Option<&str>,
    partition: Option<String>,
    limit: Option<u32>,
) -> Result<OutboxFilter, OutboxError> {
    let state = state
        .map(|s| {
            OutboxState::parse(s).ok_or_else(|| OutboxError::InvalidCall {
                what: format!("state {s:?}"),
                why: "must be pending, in_flight, delivered, dead or discarded".into(),
            })
        })
        .transpose()?;
    Ok(OutboxFilter {
        state,
        partition,
        limit,
    })
}

/// What `dispatch(...)` takes; `None` keeps the core's default.
#[derive(Debug, Clone, Default)]
pub struct DispatchSpec {
    /// Deliveries at once.
    pub concurrency: Option<usize>,
    /// Claims before a retryable failure makes a row dead.
    pub max_attempts: Option<u32>,
    /// The lease owner name.
    pub owner: Option<String>,
    /// Lease length.
    pub lease: Option<Duration>,
    /// Deliveries started per second at most.
    pub rate: Option<f64>,
}

impl DispatchSpec {
    /// A dispatcher of `outbox` sending with `client`.
    pub fn dispatcher(&self, outbox: Outbox, client: oncely::Client) -> Dispatcher {
        let mut d = Dispatcher::new(outbox, client);
        if let Some(n) = self.concurrency {
            d = d.concurrency(n);
        }
        if let Some(n) = self.max_attempts {
            d = d.max_attempts(n);
        }
        if let Some(owner) = &self.owner {
            d = d.owner(owner.clone());
        }
        if let Some(lease) = self.lease {
            d = d.lease(lease);
        }
        if let Some(rate) = self.rate {
            d = d.rate_limit(rate);
        }
        d
    }
}

/// A dispatch report as JSON.
pub fn report_json(report: &DispatchReport) -> Value {
    json!({
        "delivered": report.delivered,
        "retried": report.retried,
        "dead": report.dead,
        "lease_lost": report.lease_lost,
    })
}

/// An outbox row as JSON, with its idempotency key.
pub fn row_json(row: &oncely::outbox::OutboxRow) -> Value {
    let mut value = serde_json::to_value(row).unwrap_or(Value::Null);
    value["idempotency_key"] = row.idempotency_key().into();
    value
}

/// The kind of an outbox error, as both bindings name it.
pub fn error_kind(error: &OutboxError) -> &'static str {
    match error {
        OutboxError::InvalidCall { .. } => "invalid_call",
        OutboxError::DuplicateIntent { .. } => "duplicate_intent",
        OutboxError::NotInstalled { .. } => "not_installed",
        OutboxError::Store(_) => "store",
        OutboxError::NotFound { .. } => "not_found",
        OutboxError::WrongState { .. } => "wrong_state",
        _ => "error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_time_options_are_refused_and_bodies_kept() {
        let spec = CallSpec {
            timeout: Some(Duration::from_secs(1)),
            ..CallSpec::default()
        };
        let err = call("post", "/orders", spec, None, None).unwrap_err();
        assert_eq!(error_kind(&err), "invalid_call");
        assert!(err.to_string().contains("timeout"), "{err}");
        let spec = CallSpec {
            body: Some(Body::Json(json!({"a": 1}))),
            intent_id: Some("i-1".into()),
            ..CallSpec::default()
        };
        let ok = call("post", "/orders", spec, Some("p".into()), None).unwrap();
        let insert = insert_statement(&ok, "format", "oncely.oncely_outbox").unwrap();
        assert!(insert.sql.contains("%s"));
        assert!(placeholders("named").is_err());
        assert!(filter(Some("lost"), None, None).is_err());
        assert!(call("BAD METHOD", "/x", CallSpec::default(), None, None).is_err());
    }
}
