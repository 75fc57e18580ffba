//! Stripe's `Stripe-Signature` scheme: `t=<timestamp>,v1=<hex>[,v1=<hex>…]`,
//! each `v1` the hex HMAC-SHA256 of `{t}.{body}` keyed by the endpoint
//! secret's literal text (`whsec_…`). The event id is the `id` of the JSON
//! body.

use std::time::{Duration, SystemTime};

use super::headers::{required, shorten, timestamp};
use super::secret::{keys, SigningKey};
use super::verify::check_timestamp;
use super::{VerifiedWebhook, Verifier, WebhookError, WebhookHeaders};

/// The header carrying the timestamp and signatures.
pub const SIGNATURE_HEADER: &str = "stripe-signature";
/// How far a timestamp may be from now unless set otherwise (Stripe's
/// libraries use the same 300 s). oncely applies it both ways: a timestamp
/// far in the future is refused too.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// A Stripe webhook verifier (and signer, for tests) with one or more
/// endpoint secrets (several while a secret is rolled).
#[derive(Debug, Clone)]
pub struct StripeWebhooks {
    keys: Vec<SigningKey>,
    tolerance: Duration,
}

impl StripeWebhooks {
    /// A verifier with one endpoint secret.
    pub fn new(secret: &str) -> Result<Self, WebhookError> {
        Self::with_secrets([secret])
    }

    /// A verifier accepting signatures under any of `secrets`; the first
    /// one signs.
    pub fn with_secrets<S: AsRef<str>>(
        secrets: impl IntoIterator<Item = S>,
    ) -> Result<Self, WebhookError> {
        Ok(StripeWebhooks {
            keys: keys(secrets, SigningKey::stripe)?,
            tolerance: DEFAULT_TOLERANCE,
        })
    }

    /// How far the signed timestamp may be from now, either way (default
    /// 300 s).
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// The `Stripe-Signature` value for `body` at `timestamp`, signed with
    /// the first secret.
    pub fn sign(&self, timestamp: i64, body: &[u8]) -> String {
        let t = timestamp.to_string();
        let tag = self.keys[0].sign(&[t.as_bytes(), b".", body]);
        format!("t={t},v1={}", hex::encode(tag))
    }

    /// Checks the signature and timestamp only, returning the timestamp
    /// (for a body that is not a JSON event).
    pub fn verify_signature_at(
        &self,
        headers: &dyn WebhookHeaders,
        body: &[u8],
        now: SystemTime,
    ) -> Result<i64, WebhookError> {
        let header = required(headers, SIGNATURE_HEADER)?;
        let mut t_text = None;
        let mut any_v1 = false;
        let mut valid = false;
        let mut tags = Vec::new();
        for item in header.split(',') {
            let Some((key, value)) = item.trim().split_once('=') else {
                continue;
            };
            match key {
                "t" if t_text.is_none() => t_text = Some(value),
                "v1" => {
                    any_v1 = true;
                    if let Ok(tag) = hex::decode(value) {
                        tags.push(tag);
                    }
                }
                _ => {}
            }
        }
        let Some(t_text) = t_text else {
            return Err(WebhookError::MalformedHeader {
                name: SIGNATURE_HEADER,
                reason: format!("no `t=<timestamp>` in {:?}", shorten(header)),
            });
        };
        let ts = timestamp(t_text, SIGNATURE_HEADER)?;
        if !any_v1 {
            return Err(WebhookError::MalformedHeader {
                name: SIGNATURE_HEADER,
                reason: format!("no `v1=<hex>` signature in {:?}", shorten(header)),
            });
        }
        let parts: [&[u8]; 3] = [t_text.as_bytes(), b".", body];
        for tag in &tags {
            for key in &self.keys {
                valid |= key.verify(&parts, tag);
            }
        }
        if !valid {
            return Err(WebhookError::NoValidSignature);
        }
        check_timestamp(ts, now, self.tolerance)?;
        Ok(ts)
    }
}

impl Verifier for StripeWebhooks {
    fn verify_at(
        &self,
        headers: &dyn WebhookHeaders,
        body: &[u8],
        now: SystemTime,
    ) -> Result<VerifiedWebhook, WebhookError> {
        let timestamp = self.verify_signature_at(headers, body, now)?;
        #[derive(serde::Deserialize)]
        struct Event {
            id: String,
        }
        let event: Event =
            serde_json::from_slice(body).map_err(|e| WebhookError::MalformedBody {
                reason: format!("not a Stripe event with a string `id`: {e}"),
            })?;
        if event.id.is_empty() || event.id.len() > super::standard::MAX_ID_LEN {
            return Err(WebhookError::MalformedBody {
                reason: format!("event id must be 1-{} bytes", super::standard::MAX_ID_LEN),
            });
        }
        Ok(VerifiedWebhook {
            id: event.id,
            timestamp,
        })
    }
}
