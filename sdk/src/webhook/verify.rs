//! [`Verifier`]: a signature scheme checking a delivery, and
//! [`VerifiedWebhook`], what a verified delivery tells the receiver.

use std::time::{Duration, SystemTime};

use super::{WebhookError, WebhookHeaders};

/// A delivery whose signature and timestamp were checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedWebhook {
    /// The event's id, the same on every delivery of the event: what
    /// exactly-once processing is keyed by.
    pub id: String,
    /// The signed timestamp (Unix seconds).
    pub timestamp: i64,
}

/// A webhook signature scheme with its secrets and tolerance.
pub trait Verifier: Send + Sync + std::fmt::Debug {
    /// Checks a delivery at time `now`: its signature under one of the
    /// secrets, then its timestamp against the tolerance.
    fn verify_at(
        &self,
        headers: &dyn WebhookHeaders,
        body: &[u8],
        now: SystemTime,
    ) -> Result<VerifiedWebhook, WebhookError>;

    /// [`verify_at`](Verifier::verify_at) the system's time.
    fn verify(
        &self,
        headers: &dyn WebhookHeaders,
        body: &[u8],
    ) -> Result<VerifiedWebhook, WebhookError> {
        self.verify_at(headers, body, SystemTime::now())
    }
}

/// [`TimestampOutOfTolerance`](WebhookError::TimestampOutOfTolerance) unless
/// `timestamp` is within `tolerance` of `now`, either way.
pub(super) fn check_timestamp(
    timestamp: i64,
    now: SystemTime,
    tolerance: Duration,
) -> Result<(), WebhookError> {
    let now = super::clock::unix_ms(now).div_euclid(1000);
    let distance = (i128::from(now) - i128::from(timestamp)).unsigned_abs();
    if distance > u128::from(tolerance.as_secs()) {
        return Err(WebhookError::TimestampOutOfTolerance {
            timestamp,
            now,
            tolerance,
        });
    }
    Ok(())
}
