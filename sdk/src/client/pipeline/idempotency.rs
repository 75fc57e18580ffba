//! The idempotency stage: which key a call goes out with, its intent record
//! in the store before the first attempt (or a stored final answer instead of
//! any attempt), and the outcome recorded after the last one.

use std::sync::atomic::Ordering;

use bytes::Bytes;
use http::{HeaderValue, Method};

use super::{Call, Ctx, Raw};
use crate::client::ClientInner;
use crate::error::Error;
use crate::idempotency::{fingerprint, key_for_intent, new_key, IdempotencyKey, KeySource};
use crate::store::{now_millis, Begin, IntentRecord, StoredOutcome};

/// How often (at most) a client purges expired idempotency records.
const PURGE_EVERY_MS: i64 = 60_000;

/// Response headers kept with a stored outcome, so a replay from the store is as
/// useful as the original answer.
fn is_stored_header(name: &str) -> bool {
    matches!(
        name,
        "content-type"
            | "location"
            | "content-location"
            | "operation-location"
            | "azure-asyncoperation"
            | "etag"
            | "last-modified"
            | "retry-after"
            | "retry-after-ms"
            | "idempotent-replayed"
    )
}

/// Decides the idempotency key of a call, if it gets one.
pub(super) fn resolve_key(
    inner: &ClientInner,
    call: &Call,
) -> Result<Option<IdempotencyKey>, Error> {
    // A caller's key is sent verbatim or not at all: one that cannot travel as a
    // header must fail the call, never let it go out (and be retried) keyless.
    let caller_key = |value: &[u8]| {
        let what = || format!("{} value", inner.key_header);
        let text = std::str::from_utf8(value)
            .ok()
            .filter(|v| HeaderValue::from_str(v).is_ok_and(|h| h.to_str().is_ok()))
            .ok_or_else(|| Error::invalid(what(), "it is not visible ASCII"))?;
        if text.trim().is_empty() {
            return Err(Error::invalid(what(), "it is empty"));
        }
        Ok(Some(IdempotencyKey {
            value: text.to_string(),
            source: KeySource::Caller,
        }))
    };
    // Turning the key off while naming one is a contradiction, refused before
    // anything is sent rather than settled silently either way.
    if call.idempotent == Some(false) {
        let named = if call.intent_id.is_some() {
            Some("an intent id")
        } else if call.key.is_some() || call.headers.contains_key(&inner.key_header) {
            Some("an idempotency key")
        } else {
            None
        };
        if let Some(named) = named {
            return Err(Error::invalid(
                "idempotent(false)",
                format!("the call also names {named}, which only means something with a key"),
            ));
        }
    }
    if let Some(value) = call.headers.get(&inner.key_header) {
        return caller_key(value.as_bytes());
    }
    if let Some(key) = &call.key {
        return caller_key(key.as_bytes());
    }
    if let Some(intent) = &call.intent_id {
        let value = key_for_intent(call.method.as_str(), &call.template, intent);
        return Ok(Some(IdempotencyKey {
            value,
            source: KeySource::Intent,
        }));
    }
    let by_default = call.method == Method::POST || call.method == Method::PATCH;
    Ok(call
        .idempotent
        .unwrap_or(by_default)
        .then(|| IdempotencyKey {
            value: new_key(),
            source: KeySource::Generated,
        }))
}

/// The intent record of a call: key, method, template and fingerprint.
fn intent_record(ctx: &Ctx<'_>, key: &IdempotencyKey) -> IntentRecord {
    let call = ctx.call;
    // JSON that oncely serialised is canonical already; other JSON is parsed
    // and re-serialised so member order does not change the fingerprint.
    let (body, canonicalise) = call
        .body
        .as_ref()
        .map(|b| (&b.bytes[..], b.is_json && !b.canonical))
        .unwrap_or((&[], false));
    IntentRecord::in_flight(
        key.value.clone(),
        call.intent_id.clone(),
        call.method.to_string(),
        call.template.clone(),
        fingerprint(call.method.as_str(), ctx.url.as_str(), body, canonicalise),
        ctx.inner.key_ttl,
    )
}

/// Records the intent of a call with a generated key. Its request may already
/// be on the wire, so a store failure is logged rather than failing the call:
/// the key, which the server holds, is what makes the call safe to retry.
pub(super) async fn record_fresh_intent(ctx: &Ctx<'_>, key: &IdempotencyKey) {
    let record = intent_record(ctx, key);
    purge_now_and_then(ctx.inner, record.created_ms).await;
    if let Err(e) = ctx.inner.store.begin_fresh(record).await {
        tracing::warn!(error = %e, "could not record the intent of a generated key");
    }
}

/// Records the intent before the first attempt. Returns a stored final answer
/// when the same intent already finished.
pub(super) async fn begin_intent(
    ctx: &Ctx<'_>,
    key: &IdempotencyKey,
) -> Result<Option<Raw>, Error> {
    let record = intent_record(ctx, key);
    purge_now_and_then(ctx.inner, record.created_ms).await;
    match ctx.inner.store.begin(record).await? {
        Begin::Started => Ok(None),
        Begin::Resumed(_) => {
            tracing::info!("resuming an intent that never finished: same key, sent again");
            Ok(None)
        }
        Begin::Completed(old) => Ok(old.outcome.map(|o| Raw {
            status: o.status,
            headers: o
                .headers
                .iter()
                .filter_map(|(k, v)| Some((http::HeaderName::try_from(k).ok()?, HeaderValue::try_from(v).ok()?)))
                .collect(),
            body: Bytes::from(o.body),
            stream: None,
        })),
        Begin::Conflict(old) => Err(Error::IdempotencyConflict {
            key: key.value.clone(),
            detail: format!(
                "{} was first used for a different request to {} {} (another body or URL); nothing was sent",
                match (&ctx.call.intent_id, key.source) {
                    (Some(intent), KeySource::Intent) => format!("intent id {intent:?}"),
                    _ => "this key".to_string(),
                },
                old.method,
                old.path_template
            ),
            problem: None,
        }),
    }
}

/// Purges expired records, at most once every [`PURGE_EVERY_MS`] per client
/// (whichever call finds the time has come does it; the others skip).
async fn purge_now_and_then(inner: &ClientInner, now_ms: i64) {
    let last = inner.last_purge_ms.load(Ordering::Relaxed);
    if now_ms - last < PURGE_EVERY_MS
        || inner
            .last_purge_ms
            .compare_exchange(last, now_ms, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
    {
        return;
    }
    match inner.store.purge_expired(now_ms).await {
        Ok(n) if n > 0 => tracing::debug!(purged = n, "purged expired idempotency records"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "purging expired idempotency records failed"),
    }
}

/// Answers that end an intent: recorded, then replayed to later calls.
/// Throttling, conflicts-in-flight, auth failures and server errors are not:
/// the same intent may succeed later. Nor are failed or missing preconditions
/// (412, 428): nothing was applied, and the outcome depends on `If-Match`,
/// which the fingerprint does not cover.
pub(super) fn is_final_status(status: u16) -> bool {
    match status {
        200..=399 => true,
        401 | 403 | 407 | 408 | 409 | 412 | 425 | 428 | 429 => false,
        400..=499 => true,
        _ => false,
    }
}

/// Records the final answer of a keyed call (`lazy`: its intent was recorded
/// lazily, as a generated key's is).
pub(super) async fn record_outcome(
    inner: &ClientInner,
    key: &IdempotencyKey,
    raw: &Raw,
    lazy: bool,
) {
    // One pass over what arrived (a handful of headers), not a lookup per name.
    let headers = raw
        .headers
        .iter()
        .filter(|(name, _)| is_stored_header(name.as_str()))
        .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_string())))
        .collect();
    let outcome = StoredOutcome {
        status: raw.status,
        headers,
        body: raw.body.to_vec(),
        completed_ms: now_millis(),
    };
    // The server has the answer and will replay it for this key; failing the call
    // here would hide a success from the caller, so a store failure is logged.
    let recorded = if lazy {
        inner.store.complete_fresh(&key.value, outcome).await
    } else {
        inner.store.complete(&key.value, outcome).await
    };
    if let Err(e) = recorded {
        tracing::warn!(error = %e, "could not record the outcome; a later call with this intent will be replayed by the server");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_statuses() {
        assert!(
            is_final_status(201)
                && is_final_status(202)
                && is_final_status(422)
                && is_final_status(402)
        );
        assert!(
            !is_final_status(409)
                && !is_final_status(412)
                && !is_final_status(428)
                && !is_final_status(429)
                && !is_final_status(500)
                && !is_final_status(401)
        );
    }
}
