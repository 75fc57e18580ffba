//! [`StandardWebhooks`]: the Standard Webhooks signature scheme
//! (<https://www.standardwebhooks.com>).
//!
//! A delivery carries `webhook-id` (the event's id, the same on every
//! delivery), `webhook-timestamp` (Unix seconds) and `webhook-signature`, a
//! space-separated list of `v1,<base64>` signatures: HMAC-SHA256 of
//! `{id}.{timestamp}.{body}` under a secret `whsec_<base64>`. Any one valid
//! signature under any configured secret passes (senders and receivers
//! rotate keys by signing and accepting with both for a while).

use std::time::{Duration, SystemTime};

use base64::Engine as _;

use super::headers::{required, shorten, timestamp};
use super::secret::{keys, SigningKey};
use super::verify::check_timestamp;
use super::{VerifiedWebhook, Verifier, WebhookError, WebhookHeaders};

/// The header naming the event.
pub const ID_HEADER: &str = "webhook-id";
/// The header with the signed Unix timestamp.
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
/// The header with the signatures.
pub const SIGNATURE_HEADER: &str = "webhook-signature";

/// How far a delivery's timestamp may be from now, either way, by default.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// The longest `webhook-id` accepted, in bytes.
pub const MAX_ID_LEN: usize = 256;

/// Base64 as senders write it: standard alphabet, padding optional.
const BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

/// Verifies (and signs) Standard Webhooks deliveries.
#[derive(Debug, Clone)]
pub struct StandardWebhooks {
    keys: Vec<SigningKey>,
    tolerance: Duration,
}

impl StandardWebhooks {
    /// A verifier for one secret, `whsec_<base64>` or the base64 alone.
    pub fn new(secret: &str) -> Result<Self, WebhookError> {
        Self::with_secrets([secret])
    }

    /// A verifier accepting a signature under any of `secrets` (key
    /// rotation); [`sign`](Self::sign) uses the first.
    pub fn with_secrets<S: AsRef<str>>(
        secrets: impl IntoIterator<Item = S>,
    ) -> Result<Self, WebhookError> {
        Ok(StandardWebhooks {
            keys: keys(secrets, SigningKey::standard)?,
            tolerance: DEFAULT_TOLERANCE,
        })
    }

    /// How far the timestamp may be from now, either way (default 5 minutes).
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// The `webhook-signature` value for a delivery: `v1,<base64>` under the
    /// first secret.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = self.keys[0].sign(&signed_parts(id, &timestamp.to_string(), body));
        format!("v1,{}", BASE64.encode(tag))
    }

    /// The three headers of a delivery of `body` as event `id` at
    /// `timestamp`, signed: what a sender puts on its request.
    pub fn headers(&self, id: &str, timestamp: i64, body: &[u8]) -> [(&'static str, String); 3] {
        [
            (ID_HEADER, id.to_owned()),
            (TIMESTAMP_HEADER, timestamp.to_string()),
            (SIGNATURE_HEADER, self.sign(id, timestamp, body)),
        ]
    }
}

fn signed_parts<'a>(id: &'a str, timestamp: &'a str, body: &'a [u8]) -> [&'a [u8]; 5] {
    [id.as_bytes(), b".", timestamp.as_bytes(), b".", body]
}

impl Verifier for StandardWebhooks {
    fn verify_at(
        &self,
        headers: &dyn WebhookHeaders,
        body: &[u8],
        now: SystemTime,
    ) -> Result<VerifiedWebhook, WebhookError> {
        let id = required(headers, ID_HEADER)?;
        if id.len() > MAX_ID_LEN {
            return Err(WebhookError::MalformedHeader {
                name: ID_HEADER,
                reason: format!("{:?}… is longer than {MAX_ID_LEN} bytes", shorten(id)),
            });
        }
        let ts_text = required(headers, TIMESTAMP_HEADER)?;
        let ts = timestamp(ts_text, TIMESTAMP_HEADER)?;
        let signatures = required(headers, SIGNATURE_HEADER)?;
        let mut v1 = signatures
            .split(' ')
            .filter_map(|s| s.split_once(','))
            .filter(|(version, _)| *version == "v1")
            .peekable();
        if v1.peek().is_none() {
            return Err(WebhookError::MalformedHeader {
                name: SIGNATURE_HEADER,
                reason: "no `v1,<base64>` signature in it".into(),
            });
        }
        let parts = signed_parts(id, ts_text, body);
        let valid = v1
            .filter_map(|(_, sig)| BASE64.decode(sig).ok())
            .any(|tag| self.keys.iter().any(|key| key.verify(&parts, &tag)));
        if !valid {
            return Err(WebhookError::NoValidSignature);
        }
        check_timestamp(ts, now, self.tolerance)?;
        Ok(VerifiedWebhook {
            id: id.to_owned(),
            timestamp: ts,
        })
    }
}
