//! Webhooks for the bindings: verifiers from a scheme's name and secrets,
//! the inbox from its options, the claim statement for the host's own
//! connection, and JSON views of what the core answers. Every rule (a
//! scheme's name, a tolerance's range, a placeholder style) is decided here
//! once for Python and Node.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use oncely::webhook::{
    InboxRecord, Receipt, StandardWebhooks, StripeWebhooks, VerifiedWebhook, Verifier,
    WebhookError, WebhookInbox,
};
use serde_json::{json, Value};

/// A signature scheme by the name the bindings take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`).
    Standard,
    /// Stripe's `Stripe-Signature`.
    Stripe,
}

/// The scheme named `name`: `standard` or `stripe`.
pub fn scheme(name: &str) -> Result<Scheme, WebhookError> {
    match name {
        "standard" | "standard_webhooks" => Ok(Scheme::Standard),
        "stripe" => Ok(Scheme::Stripe),
        other => Err(WebhookError::InvalidConfig {
            what: format!("scheme {other:?}"),
            why: "must be \"standard\" or \"stripe\"".into(),
        }),
    }
}

fn seconds(value: f64, what: &str) -> Result<Duration, WebhookError> {
    Duration::try_from_secs_f64(value).map_err(|_| WebhookError::InvalidConfig {
        what: what.into(),
        why: format!("must be a finite number of seconds of 0 or more, not {value}"),
    })
}

/// A tolerance in seconds (`None`: the scheme's default).
pub fn tolerance(secs: Option<f64>) -> Result<Option<Duration>, WebhookError> {
    secs.map(|s| seconds(s, "tolerance")).transpose()
}

/// "Now" for a verification: `unix_seconds` when a caller (a test) gives
/// one, else the system's time.
pub fn now(unix_seconds: Option<f64>) -> Result<SystemTime, WebhookError> {
    match unix_seconds {
        Some(s) => Ok(UNIX_EPOCH + seconds(s, "now")?),
        None => Ok(SystemTime::now()),
    }
}

/// A verifier for `scheme` with `secrets` (at least one; several while a
/// key is rotated) and a tolerance in seconds.
pub fn verifier(
    scheme: Scheme,
    secrets: &[String],
    tolerance_secs: Option<f64>,
) -> Result<Arc<dyn Verifier>, WebhookError> {
    let tolerance = tolerance(tolerance_secs)?;
    Ok(match scheme {
        Scheme::Standard => {
            let v = StandardWebhooks::with_secrets(secrets)?;
            Arc::new(match tolerance {
                Some(t) => v.tolerance(t),
                None => v,
            })
        }
        Scheme::Stripe => {
            let v = StripeWebhooks::with_secrets(secrets)?;
            Arc::new(match tolerance {
                Some(t) => v.tolerance(t),
                None => v,
            })
        }
    })
}

/// The signature header value a sender puts on a delivery: Standard
/// Webhooks' `webhook-signature` (needs `id`) or Stripe's
/// `Stripe-Signature`, under the first of `secrets`.
pub fn sign(
    scheme: Scheme,
    secrets: &[String],
    id: Option<&str>,
    timestamp: i64,
    body: &[u8],
) -> Result<String, WebhookError> {
    match scheme {
        Scheme::Standard => {
            let id = id.ok_or_else(|| WebhookError::InvalidConfig {
                what: "id".into(),
                why: "a Standard Webhooks signature covers the event id: give one".into(),
            })?;
            Ok(StandardWebhooks::with_secrets(secrets)?.sign(id, timestamp, body))
        }
        Scheme::Stripe => Ok(StripeWebhooks::with_secrets(secrets)?.sign(timestamp, body)),
    }
}

/// What `WebhookInbox(...)` takes; `None` keeps the core's default.
#[derive(Debug, Clone)]
pub struct InboxSpec {
    /// A SQLite file (`sqlite:` optional) or `postgres://…`.
    pub location: String,
    /// The deliveries' scheme.
    pub scheme: Scheme,
    /// Signing secrets (several while a key is rotated).
    pub secrets: Vec<String>,
    /// Timestamp tolerance in seconds.
    pub tolerance: Option<f64>,
    /// The source events are recorded under.
    pub source: Option<String>,
    /// The lease in seconds.
    pub lease: Option<f64>,
}

impl InboxSpec {
    /// Checks the options, then opens (creates or migrates) the inbox.
    pub async fn open(self) -> Result<(WebhookInbox, Arc<dyn Verifier>), WebhookError> {
        let verifier = verifier(self.scheme, &self.secrets, self.tolerance)?;
        let lease = self.lease.map(|l| seconds(l, "lease")).transpose()?;
        if lease.is_some_and(|l| l.is_zero()) {
            return Err(WebhookError::InvalidConfig {
                what: "lease".into(),
                why: "must be more than 0 seconds".into(),
            });
        }
        let mut inbox = WebhookInbox::open(&self.location).await?;
        if let Some(source) = self.source {
            inbox = inbox.source(source);
        }
        if let Some(lease) = lease {
            inbox = inbox.lease(lease);
        }
        Ok((inbox, verifier))
    }
}

/// The claim statement with the host driver's placeholders: `qmark` (`?`),
/// `dollar` (`$1`) or `format` (`%s`). Parameters: source, event id, now
/// (Unix ms), now; a row back means claimed.
pub fn claim_sql(style: &str, table: &str) -> Result<String, WebhookError> {
    let placeholders =
        crate::outbox::placeholders(style).map_err(|e| WebhookError::InvalidConfig {
            what: "placeholder style".into(),
            why: e.to_string(),
        })?;
    oncely::webhook::claim_statement(placeholders, table)
}

/// A verified delivery as JSON: `{"id", "timestamp"}`.
pub fn verified_json(event: &VerifiedWebhook) -> Value {
    json!({"id": event.id, "timestamp": event.timestamp})
}

/// A receipt as JSON: `{"status", "event_id", "result", "http_status"}`,
/// with `lease_until_ms` when in progress.
pub fn receipt_json(receipt: &Receipt) -> Value {
    let mut value = json!({
        "status": receipt.kind(),
        "event_id": receipt.event_id(),
        "http_status": receipt.http_status(),
        "result": Value::Null,
    });
    match receipt {
        Receipt::Processed { result, .. } | Receipt::Duplicate { result, .. } => {
            value["result"] = result.clone().unwrap_or(Value::Null);
        }
        Receipt::InProgress { lease_until_ms, .. } => {
            value["lease_until_ms"] = (*lease_until_ms).into();
        }
        _ => {}
    }
    value
}

/// An inbox record as JSON.
pub fn record_json(record: &InboxRecord) -> Value {
    json!({
        "source": record.source,
        "event_id": record.event_id,
        "state": record.state.as_str(),
        "attempts": record.attempts,
        "received_ms": record.received_ms,
        "lease_until_ms": record.lease_until_ms,
        "finished_ms": record.finished_ms,
        "result": record.result,
        "last_error": record.last_error,
    })
}

/// What a webhook error tells beyond its message, as both bindings expose
/// it on the exception: `kind` always, `header`, `timestamp`, `now`,
/// `tolerance` and `event_id` where they apply, and `http_status`.
pub fn error_fields(error: &WebhookError) -> Vec<(&'static str, Value)> {
    let mut fields = vec![
        ("kind", Value::from(error.kind())),
        ("http_status", Value::from(error.http_status())),
    ];
    match error {
        WebhookError::MissingHeader { name } | WebhookError::MalformedHeader { name, .. } => {
            fields.push(("header", Value::from(*name)));
        }
        WebhookError::TimestampOutOfTolerance {
            timestamp,
            now,
            tolerance,
        } => {
            fields.push(("timestamp", Value::from(*timestamp)));
            fields.push(("now", Value::from(*now)));
            fields.push(("tolerance", Value::from(tolerance.as_secs_f64())));
        }
        WebhookError::HandlerFailed { event_id, .. } | WebhookError::LeaseLost { event_id } => {
            fields.push(("event_id", Value::from(event_id.as_str())));
        }
        _ => {}
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_checked_once_for_both_bindings() {
        assert!(scheme("github").is_err());
        assert_eq!(scheme("stripe").unwrap(), Scheme::Stripe);
        assert!(tolerance(Some(-1.0)).is_err());
        assert!(tolerance(Some(f64::NAN)).is_err());
        assert!(verifier(Scheme::Standard, &[], None).is_err());
        assert!(claim_sql("named", "oncely_webhook_events").is_err());
        assert!(claim_sql("qmark", "oncely_webhook_events; DROP").is_err());
        assert!(claim_sql("format", "app.oncely_webhook_events")
            .unwrap()
            .contains("%s"));
        assert!(sign(Scheme::Standard, &["whsec_AAAA".into()], None, 1, b"").is_err());
        let fields = error_fields(&WebhookError::MissingHeader { name: "webhook-id" });
        assert_eq!(fields[0], ("kind", Value::from("missing_header")));
        assert!(fields.contains(&("header", Value::from("webhook-id"))));
    }
}
