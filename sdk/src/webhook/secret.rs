//! [`SigningKey`]: the bytes an HMAC is keyed with, never shown in `Debug`.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::WebhookError;

/// The prefix of secrets as Standard Webhooks and Stripe hand them out.
pub const SECRET_PREFIX: &str = "whsec_";

/// A secret HMAC-SHA256 key.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey(Vec<u8>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({} bytes, redacted)", self.0.len())
    }
}

impl SigningKey {
    /// A Standard Webhooks secret: `whsec_<base64>`, or the base64 alone.
    pub fn standard(secret: &str) -> Result<Self, WebhookError> {
        let encoded = secret.trim();
        let encoded = encoded.strip_prefix(SECRET_PREFIX).unwrap_or(encoded);
        if encoded.is_empty() {
            return Err(WebhookError::InvalidSecret {
                reason: "empty".into(),
            });
        }
        let key = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|e| WebhookError::InvalidSecret {
                reason: format!("not base64 after `{SECRET_PREFIX}`: {e}"),
            })?;
        Self::raw(key)
    }

    /// A Stripe endpoint secret: the literal string (`whsec_…` included) is
    /// the key.
    pub fn stripe(secret: &str) -> Result<Self, WebhookError> {
        Self::raw(secret.as_bytes().to_vec())
    }

    /// Key bytes as they are.
    pub fn raw(key: Vec<u8>) -> Result<Self, WebhookError> {
        if key.is_empty() {
            return Err(WebhookError::InvalidSecret {
                reason: "empty".into(),
            });
        }
        Ok(SigningKey(key))
    }

    fn mac(&self, parts: &[&[u8]]) -> Hmac<Sha256> {
        // HMAC takes keys of any length; this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        for part in parts {
            mac.update(part);
        }
        mac
    }

    /// HMAC-SHA256 of the concatenated `parts`.
    pub(super) fn sign(&self, parts: &[&[u8]]) -> [u8; 32] {
        self.mac(parts).finalize().into_bytes().into()
    }

    /// Whether `tag` is the HMAC-SHA256 of `parts`, compared in constant time.
    pub(super) fn verify(&self, parts: &[&[u8]], tag: &[u8]) -> bool {
        self.mac(parts).verify_slice(tag).is_ok()
    }
}

/// The keys of `secrets`, at least one.
pub(super) fn keys<S: AsRef<str>>(
    secrets: impl IntoIterator<Item = S>,
    parse: fn(&str) -> Result<SigningKey, WebhookError>,
) -> Result<Vec<SigningKey>, WebhookError> {
    let keys = secrets
        .into_iter()
        .map(|s| parse(s.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    if keys.is_empty() {
        return Err(WebhookError::InvalidSecret {
            reason: "no secret given".into(),
        });
    }
    Ok(keys)
}
