//! [`WebhookError`]: what can go wrong verifying or processing a webhook,
//! each variant naming what failed.

use std::time::Duration;

use crate::store::StoreError;

/// A failure to verify or to process a webhook delivery.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// A header the scheme needs is absent.
    #[error("webhook header {name} is missing")]
    MissingHeader {
        /// The header, e.g. `webhook-signature`.
        name: &'static str,
    },
    /// A header is present but cannot be read.
    #[error("webhook header {name} is malformed: {reason}")]
    MalformedHeader {
        /// The header.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// No signature in the header matches the body under any of the secrets.
    #[error("no webhook signature matches the body under any configured secret")]
    NoValidSignature,
    /// The signed timestamp is further from now than the tolerance (either
    /// way): a replay of an old delivery, or a clock far off.
    #[error("webhook timestamp {timestamp} is outside the tolerance of {}s around now ({now})", tolerance.as_secs())]
    TimestampOutOfTolerance {
        /// The signed timestamp (Unix seconds).
        timestamp: i64,
        /// The receiver's time (Unix seconds).
        now: i64,
        /// The tolerance allowed either way.
        tolerance: Duration,
    },
    /// A signing secret cannot be used (empty, not base64 where the scheme
    /// needs it).
    #[error("webhook secret is invalid: {reason}")]
    InvalidSecret {
        /// Why.
        reason: String,
    },
    /// The verified body does not carry what the receiver needs (e.g. a
    /// Stripe event's `id`).
    #[error("webhook body is malformed: {reason}")]
    MalformedBody {
        /// What is wrong.
        reason: String,
    },
    /// A setting of the inbox is unusable (a schema name, a location).
    #[error("webhook inbox setting refused: {what} {why}")]
    InvalidConfig {
        /// Which setting.
        what: String,
        /// Why.
        why: String,
    },
    /// The database has no webhook inbox table: `install` it first
    /// ([`WebhookInbox`](super::WebhookInbox) does when it opens).
    #[error("{location} has no webhook inbox table (install it first: oncely::webhook::{{sqlite,postgres}}::install)")]
    NotInstalled {
        /// The database.
        location: String,
    },
    /// The handler failed; the event is recorded `failed`, so a redelivery
    /// runs the handler again.
    #[error("webhook handler failed for event {event_id:?}: {message}")]
    HandlerFailed {
        /// The event.
        event_id: String,
        /// The handler's error.
        message: String,
    },
    /// The handler ran, but its claim's lease had been taken over by another
    /// delivery before the outcome could be recorded; that delivery's
    /// outcome stands.
    #[error(
        "the lease on webhook event {event_id:?} was taken over before its outcome was recorded"
    )]
    LeaseLost {
        /// The event.
        event_id: String,
    },
    /// Opening, migrating or using the database failed; a newer schema or a
    /// foreign table is refused and left untouched.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl WebhookError {
    /// A short stable name of the variant (`missing_header`,
    /// `no_valid_signature`, …), what the bindings expose as `kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            WebhookError::MissingHeader { .. } => "missing_header",
            WebhookError::MalformedHeader { .. } => "malformed_header",
            WebhookError::NoValidSignature => "no_valid_signature",
            WebhookError::TimestampOutOfTolerance { .. } => "timestamp_out_of_tolerance",
            WebhookError::InvalidSecret { .. } => "invalid_secret",
            WebhookError::MalformedBody { .. } => "malformed_body",
            WebhookError::InvalidConfig { .. } => "invalid_config",
            WebhookError::NotInstalled { .. } => "not_installed",
            WebhookError::HandlerFailed { .. } => "handler_failed",
            WebhookError::LeaseLost { .. } => "lease_lost",
            WebhookError::Store(_) => "store",
        }
    }

    /// Whether the delivery was refused as unauthentic or unreadable (the
    /// sender should not send it again as it is): every verification
    /// failure, as opposed to a failure while processing it.
    pub fn is_verification(&self) -> bool {
        matches!(
            self,
            WebhookError::MissingHeader { .. }
                | WebhookError::MalformedHeader { .. }
                | WebhookError::NoValidSignature
                | WebhookError::TimestampOutOfTolerance { .. }
                | WebhookError::MalformedBody { .. }
        )
    }

    /// The HTTP status a receiver should answer with: `400` for a delivery
    /// refused by verification, `500` otherwise (the sender delivers again
    /// later).
    pub fn http_status(&self) -> u16 {
        if self.is_verification() {
            400
        } else {
            500
        }
    }
}
