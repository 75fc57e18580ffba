//! Idempotency keys: where they come from and how a request is fingerprinted.
//!
//! A key is a UUIDv4 for a one-off call, or a UUIDv5 derived from an *intent id*
//! the caller chooses (an order number, a message id), so a process that restarts
//! and makes the same call again sends the same key. A key the caller sets
//! explicitly is used exactly as given, on every attempt.
//!
//! The fingerprint (SHA-256 over the method, the rendered URL and the canonical
//! body) lets the store tell "the same call again" from "a different call that
//! reuses an intent id", which is refused before anything is sent.

mod fingerprint;
mod key;

pub use fingerprint::{canonical_json, fingerprint, to_canonical_json};
pub use key::{key_for_intent, new_key, IdempotencyKey, KeySource, INTENT_NAMESPACE};
