//! Webhooks received exactly once: signature verification and an inbox of
//! processed events.
//!
//! Senders deliver webhooks *at least* once: a delivery whose answer was
//! lost is sent again, sometimes the same event twice at once. A receiver
//! must (1) check that a delivery is authentic and recent, and (2) run the
//! event's effect once per event id, however often it arrives.
//!
//! # Verifying
//!
//! [`StandardWebhooks`] implements [Standard Webhooks](https://www.standardwebhooks.com)
//! (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`,
//! `whsec_<base64>` secrets) and [`StripeWebhooks`] Stripe's
//! `Stripe-Signature` (`t=…,v1=<hex>`). Both take several secrets (an old
//! and a new one while a key is rotated), accept a delivery when any of its
//! signatures matches under any secret (compared in constant time), refuse
//! a timestamp further than the tolerance from now either way (5 minutes by
//! default), and can [`sign`](StandardWebhooks::sign) for senders and tests.
//! The time is a parameter ([`Verifier::verify_at`]) or the inbox's
//! [`Clock`]. Every failure is a [`WebhookError`] naming the header and
//! what is wrong with it; no input panics.
//!
//! # Processing once: two ways
//!
//! **In the application's transaction** (the strongest, when the handler's
//! effects are rows in the application's database):
//! [`sqlite::claim_event`] / [`postgres::claim_event`] insert the event id
//! (`INSERT … ON CONFLICT`) on the application's connection inside its open
//! transaction and answer [`Claim::First`] (run the handler, in the same
//! transaction) or [`Claim::Duplicate`] (skip it). Crash semantics: the
//! record and the effects commit or roll back together, so there is no
//! point at which one exists without the other — a crash before the commit
//! leaves nothing and the redelivery runs the handler; after the commit the
//! redelivery is a duplicate. On PostgreSQL two deliveries of one event at
//! once serialise on the row: the second waits for the first transaction,
//! then sees `Duplicate` (first committed) or claims it (first rolled back).
//! From a connection oncely cannot hold (Python's `sqlite3`, Node's `pg`),
//! execute [`claim_statement`]: the same statement, the documented contract.
//!
//! **With the inbox's own store** ([`WebhookInbox`], for handlers whose
//! effect is elsewhere, e.g. a call to another API): the event is taken
//! under a lease (`processing`), the handler runs while the lease is
//! extended, and its outcome is recorded: `done` with a small result
//! summary, or `failed` with its error. Crash semantics:
//!
//! - Dies before taking the event: nothing is recorded; the redelivery runs
//!   the handler.
//! - Dies while the handler runs (or after it, before recording): the event
//!   stays `processing` until its lease runs out. A redelivery meanwhile is
//!   answered [`Receipt::InProgress`] (answer 409 so the sender tries again
//!   later); after it, the redelivery takes the event over and runs the
//!   handler again. So the effect may happen twice only if the receiver
//!   died after it and before recording `done`: make such effects
//!   idempotent themselves (an oncely [`Client`](crate::Client) call keyed
//!   by the event id does exactly that).
//! - Dies after recording: the redelivery is a [`Receipt::Duplicate`]; the
//!   handler does not run.
//! - A handler that outlives a lease it could not extend records nothing
//!   ([`WebhookError::LeaseLost`]): the claim that took over decides.
//!
//! Leases and timestamps are read from the inbox's [`Clock`] (the system's
//! unless set): receivers sharing one PostgreSQL inbox should keep their
//! clocks in sync (NTP); a skew shortens or lengthens a lease by as much.
//!
//! # Schema
//!
//! One table, `oncely_webhook_events` (source, event id — together the
//! primary key — state, attempts, fence, lease owner and expiry, received
//! and finished times, result, last error), versioned in
//! `oncely_webhook_schema`, so it can live in the application's database. A
//! newer version or a foreign table of that name is refused with a typed
//! error and left untouched.

mod backend;
mod clock;
mod error;
mod headers;
mod inbox;
#[cfg(feature = "postgres")]
pub mod postgres;
mod record;
mod secret;
pub mod sqlite;
pub mod standard;
mod statement;
pub mod stripe;
mod verify;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::WebhookError;
pub use headers::WebhookHeaders;
pub use inbox::{WebhookInbox, DEFAULT_LEASE, DEFAULT_SOURCE};
pub use record::{Claim, EventState, InboxRecord, Receipt};
pub use secret::{SigningKey, SECRET_PREFIX};
pub use standard::StandardWebhooks;
pub use statement::claim_statement;
pub use stripe::StripeWebhooks;
pub use verify::{VerifiedWebhook, Verifier};
