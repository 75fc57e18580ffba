//! The request pipeline: deadline → retry (policy, budget, breaker) →
//! idempotency (key, store) → credentials → one transport attempt.
//!
//! Each stage is a function with one job; [`execute`] strings them together.

use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method};
use http_body_util::BodyExt;
use hyper::body::Body as _;
use tokio::time::Instant;
use tracing::{field, Instrument};
use url::Url;

use super::body::Body;
use super::transport::SendError;
use super::{Client, ClientInner, Response};
use crate::error::{Error, TimeoutKind, TransportKind};
use crate::idempotency::{fingerprint, key_for_intent, new_key, IdempotencyKey, KeySource};
use crate::problem::{is_problem_content_type, Problem};
use crate::retry::classify::{classify, Decision, Facts, Outcome};
use crate::retry::{is_host_failure_status, RetryPolicy};
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

/// A request ready to execute: everything the builder collected, rendered.
#[derive(Debug)]
pub(crate) struct Call {
    pub method: Method,
    pub template: String,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Option<Body>,
    pub idempotent: Option<bool>,
    pub intent_id: Option<String>,
    pub key: Option<String>,
    /// `key` was never sent before: its records are written lazily, as a
    /// generated key's are (see `RequestBuilder::first_use_key`).
    pub first_use_key: bool,
    pub retry: Option<RetryPolicy>,
    pub attempt_timeout: Option<Duration>,
    pub deadline: Option<Option<Duration>>,
}

/// One answer read completely, whatever its status.
#[derive(Debug)]
struct Raw {
    status: u16,
    headers: HeaderMap,
    body: Bytes,
}

/// Runs a call through every stage and maps the final answer to a result.
pub(crate) async fn execute(client: &Client, call: Call) -> Result<Response, Error> {
    let inner = &client.inner;
    inner.timer_keepalive.ensure_running();
    let key = resolve_key(inner, &call)?;
    let span = tracing::info_span!(
        "oncely.call",
        method = %call.method,
        path = %call.template,
        idempotency_key = field::Empty,
        attempts = field::Empty,
        status = field::Empty,
    );
    if let Some(k) = &key {
        span.record("idempotency_key", k.value.as_str());
    }
    async move {
        let lazy = key
            .as_ref()
            .is_some_and(|k| k.source == KeySource::Generated || call.first_use_key);
        let fresh = key.as_ref().filter(|_| lazy);
        let (raw, attempts) = match (&key, fresh) {
            // A generated key has no past to look up, and its record changes no
            // outcome: it is written as soon as the first attempt has been handed
            // to the connection, so a store that does I/O (PostgreSQL) overlaps
            // with the request. (Yielding first, to let the connection write
            // before the record, measured slower: a task wake-up per call.)
            (_, Some(k)) => {
                let (sent, _) = tokio::join!(
                    biased;
                    retry_loop(client, &call, key.as_ref()),
                    record_fresh_intent(inner, &call, k),
                );
                sent?
            }
            (Some(k), None) => {
                if let Some(stored) = begin_intent(inner, &call, k).await? {
                    tracing::info!(
                        status = stored.status,
                        "answered from the idempotency store"
                    );
                    return finish(stored, &call, key.as_ref(), 0, true);
                }
                retry_loop(client, &call, key.as_ref()).await?
            }
            (None, None) => retry_loop(client, &call, key.as_ref()).await?,
        };
        tracing::Span::current()
            .record("attempts", attempts)
            .record("status", raw.status);
        if let Some(k) = &key {
            if is_final_status(raw.status) {
                record_outcome(inner, k, &raw, lazy).await;
            }
        }
        if (200..300).contains(&raw.status) {
            inner.budget.deposit();
        }
        finish(raw, &call, key.as_ref(), attempts, false)
    }
    .instrument(span)
    .await
}

/// Decides the idempotency key of a call, if it gets one.
fn resolve_key(inner: &ClientInner, call: &Call) -> Result<Option<IdempotencyKey>, Error> {
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
fn intent_record(inner: &ClientInner, call: &Call, key: &IdempotencyKey) -> IntentRecord {
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
        fingerprint(call.method.as_str(), call.url.as_str(), body, canonicalise),
        inner.key_ttl,
    )
}

/// Records the intent of a call with a generated key. Its request may already
/// be on the wire, so a store failure is logged rather than failing the call:
/// the key, which the server holds, is what makes the call safe to retry.
async fn record_fresh_intent(inner: &ClientInner, call: &Call, key: &IdempotencyKey) {
    let record = intent_record(inner, call, key);
    purge_now_and_then(inner, record.created_ms).await;
    if let Err(e) = inner.store.begin_fresh(record).await {
        tracing::warn!(error = %e, "could not record the intent of a generated key");
    }
}

/// Records the intent before the first attempt. Returns a stored final answer
/// when the same intent already finished.
async fn begin_intent(
    inner: &ClientInner,
    call: &Call,
    key: &IdempotencyKey,
) -> Result<Option<Raw>, Error> {
    let record = intent_record(inner, call, key);
    purge_now_and_then(inner, record.created_ms).await;
    match inner.store.begin(record).await? {
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
        })),
        Begin::Conflict(old) => Err(Error::IdempotencyConflict {
            key: key.value.clone(),
            detail: format!(
                "{} was first used for a different request to {} {} (another body or URL); nothing was sent",
                match (&call.intent_id, key.source) {
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
fn is_final_status(status: u16) -> bool {
    match status {
        200..=399 => true,
        401 | 403 | 407 | 408 | 409 | 412 | 425 | 428 | 429 => false,
        400..=499 => true,
        _ => false,
    }
}

async fn record_outcome(inner: &ClientInner, key: &IdempotencyKey, raw: &Raw, lazy: bool) {
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

/// The retry stage: attempts the call until it succeeds, fails for good, or the
/// policy, deadline, budget or breaker says stop. Returns the final answer and
/// the number of attempts.
async fn retry_loop(
    client: &Client,
    call: &Call,
    key: Option<&IdempotencyKey>,
) -> Result<(Raw, u32), Error> {
    let inner = &client.inner;
    let policy = call.retry.as_ref().unwrap_or(&inner.retry);
    // A deadline too far away to represent is no deadline at all.
    let deadline = call
        .deadline
        .unwrap_or(inner.deadline)
        .and_then(|d| Instant::now().checked_add(d));
    let started = Instant::now();
    let facts = Facts {
        safe: is_idempotent_method(&call.method) || key.is_some(),
        keyed: key.is_some(),
    };
    let host = breaker_host(&call.url);
    let headers = request_headers(client, call, key);
    let deadline_error = || Error::Timeout {
        method: call.method.to_string(),
        path: call.template.clone(),
        kind: TimeoutKind::Deadline,
        elapsed: started.elapsed(),
    };

    let mut attempt = 0u32;
    // The error of the previous attempt, once this call is retrying.
    let mut previous: Option<Box<Error>> = None;
    loop {
        attempt += 1;
        // Checked before the breaker: a call that sends nothing must not take the
        // single probe a half-open circuit allows.
        let remaining = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if remaining.is_some_and(|r| r.is_zero()) {
            return Err(deadline_error());
        }
        if let Err(retry_in) = inner.breaker.acquire(&host) {
            return Err(match previous {
                // Another call holds the half-open probe: report what this call saw.
                Some(last) => Error::RetryExhausted {
                    attempts: attempt - 1,
                    last,
                },
                None => Error::CircuitOpen { host, retry_in },
            });
        }
        let attempt_limit = call.attempt_timeout.unwrap_or(inner.attempt_timeout);
        let (limit, limit_kind) = match remaining {
            Some(r) if r < attempt_limit => (r, TimeoutKind::Deadline),
            _ => (attempt_limit, TimeoutKind::Attempt),
        };
        let span = tracing::debug_span!(
            "oncely.attempt",
            attempt,
            status = field::Empty,
            retry_delay_ms = field::Empty
        );
        let outcome = attempt_once(inner, call, &headers, limit, limit_kind, started)
            .instrument(span.clone())
            .await;
        if let Ok(raw) = &outcome {
            span.record("status", raw.status);
        }
        inner.breaker.record(&host, !is_host_failure(&outcome));

        // The deadline is this stage's to enforce: an attempt it cut short ends
        // the call.
        if let Err(Error::Timeout {
            kind: TimeoutKind::Deadline,
            ..
        }) = &outcome
        {
            return outcome.map(|raw| (raw, attempt));
        }
        let seen = match &outcome {
            Ok(raw) => Outcome::Answer {
                status: raw.status,
                headers: &raw.headers,
            },
            Err(e) => Outcome::Failed(e),
        };
        let Decision::Retry {
            delay: server_delay,
            reason,
        } = classify(seen, facts)
        else {
            return outcome.map(|raw| (raw, attempt));
        };
        // Retrying drops this outcome; every way out below reports it.
        let last = Box::new(match outcome {
            Ok(raw) => response_error(&raw, call, key),
            Err(e) => e,
        });
        // Stop when attempts are spent, or when this call's failures opened the
        // circuit: waiting would only end in `CircuitOpen` and lose `last`.
        if attempt >= policy.attempts() || inner.breaker.is_open(&host) {
            return Err(Error::RetryExhausted {
                attempts: attempt,
                last,
            });
        }
        let delay = match server_delay {
            Some(requested) if requested > policy.server_delay_limit() => {
                return Err(Error::RetryAfterTooLong {
                    requested,
                    limit: policy.server_delay_limit(),
                    last,
                })
            }
            Some(requested) => requested,
            None => policy.backoff(attempt - 1),
        };
        if let Some(d) = deadline {
            let left = d.saturating_duration_since(Instant::now());
            if delay >= left {
                return Err(match server_delay {
                    Some(requested) => Error::RetryAfterTooLong {
                        requested,
                        limit: left,
                        last,
                    },
                    None => deadline_error(),
                });
            }
        }
        if !inner.budget.try_withdraw() {
            tracing::warn!(attempt, "retry budget spent; not retrying");
            return Err(Error::RetryExhausted {
                attempts: attempt,
                last,
            });
        }
        span.record("retry_delay_ms", delay.as_millis() as u64);
        tracing::info!(attempt, delay_ms = delay.as_millis() as u64, reason = %reason, "retrying");
        tokio::time::sleep(delay).await;
        previous = Some(last);
    }
}

/// The circuit breaker's name for the host of `url`: `host:port`.
fn breaker_host(url: &Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or(""),
        url.port_or_known_default().unwrap_or(0)
    )
}

fn is_idempotent_method(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE | Method::TRACE
    )
}

fn is_host_failure(outcome: &Result<Raw, Error>) -> bool {
    match outcome {
        Ok(raw) => is_host_failure_status(raw.status),
        Err(Error::Transport { .. } | Error::Timeout { .. }) => true,
        Err(_) => false,
    }
}

/// The credentials stage and the call's own headers. Credentials and default
/// headers go only to trusted origins.
fn request_headers(client: &Client, call: &Call, key: Option<&IdempotencyKey>) -> HeaderMap {
    let inner = &client.inner;
    let mut headers = if client.is_trusted(&call.url) {
        inner.trusted_headers.clone()
    } else {
        tracing::debug!(url = %call.url.origin().ascii_serialization(), "untrusted origin: credentials withheld");
        HeaderMap::new()
    };
    // Room for what follows (content type, accept, user agent, key), so the
    // map grows once.
    headers.reserve(call.headers.len() + 4);
    headers.extend(call.headers.clone());
    if let Some(body) = &call.body {
        if !headers.contains_key(http::header::CONTENT_TYPE) {
            if let Ok(v) = HeaderValue::try_from(body.content_type.as_str()) {
                headers.insert(http::header::CONTENT_TYPE, v);
            }
        }
    }
    if !headers.contains_key(http::header::ACCEPT) {
        headers.insert(
            http::header::ACCEPT,
            HeaderValue::from_static("application/json, application/problem+json"),
        );
    }
    if !headers.contains_key(http::header::USER_AGENT) {
        headers.insert(http::header::USER_AGENT, inner.user_agent.clone());
    }
    if let Some(key) = key {
        if let Ok(v) = HeaderValue::try_from(key.value.as_str()) {
            headers.insert(inner.key_header.clone(), v);
        }
    }
    headers
}

/// The transport stage: one request, its whole answer read within `limit`.
async fn attempt_once(
    inner: &ClientInner,
    call: &Call,
    headers: &HeaderMap,
    limit: Duration,
    limit_kind: TimeoutKind,
    started: Instant,
) -> Result<Raw, Error> {
    let url_without_query = || {
        format!(
            "{}{}",
            call.url.origin().ascii_serialization(),
            call.url.path()
        )
    };
    let limit_bytes = inner.max_response_bytes;
    let too_large = || Error::ResponseTooLarge {
        method: call.method.to_string(),
        url: url_without_query(),
        limit: limit_bytes,
    };
    let transport = |kind: TransportKind, failure: SendError| Error::Transport {
        method: call.method.to_string(),
        url: url_without_query(),
        kind: if failure.is_connect {
            TransportKind::Connect
        } else {
            kind
        },
        source: failure.source,
    };
    let exchange = async {
        let response = inner
            .http
            .send(
                call.method.clone(),
                &call.url,
                headers.clone(),
                call.body.as_ref().map(|b| b.bytes.clone()),
            )
            .await
            .map_err(|e| transport(TransportKind::Request, e))?;
        let (head, mut incoming) = response.into_parts();
        if incoming
            .size_hint()
            .exact()
            .is_some_and(|n| n > limit_bytes as u64)
        {
            return Err(too_large());
        }
        let status = head.status.as_u16();
        let mut headers = head.headers;
        // `Set-Cookie` and friends stay readable but print as `Sensitive` in every
        // `Debug` of a response or an error that carries these headers.
        for (name, value) in headers.iter_mut() {
            if super::redact::is_sensitive_header(name) {
                value.set_sensitive(true);
            }
        }
        // Read frame by frame, so a body longer than the limit is never held
        // whole; the usual single-frame answer is kept without a copy.
        let mut chunks: Vec<Bytes> = Vec::new();
        let mut length = 0usize;
        while let Some(frame) = incoming.frame().await {
            let frame = frame.map_err(|e| {
                transport(
                    TransportKind::Body,
                    SendError {
                        is_connect: false,
                        source: Box::new(e),
                    },
                )
            })?;
            let Ok(chunk) = frame.into_data() else {
                continue; // trailers
            };
            length += chunk.len();
            if length > limit_bytes {
                return Err(too_large());
            }
            chunks.push(chunk);
        }
        let body = match chunks.len() {
            0 => Bytes::new(),
            1 => chunks.swap_remove(0),
            _ => Bytes::from(chunks.concat()),
        };
        Ok(Raw {
            status,
            headers,
            body,
        })
    };
    match tokio::time::timeout(limit, exchange).await {
        Ok(result) => result,
        Err(_) => Err(Error::Timeout {
            method: call.method.to_string(),
            path: call.template.clone(),
            kind: limit_kind,
            elapsed: started.elapsed(),
        }),
    }
}

/// Maps a final answer to the call's result.
fn finish(
    raw: Raw,
    call: &Call,
    key: Option<&IdempotencyKey>,
    attempts: u32,
    from_store: bool,
) -> Result<Response, Error> {
    if (200..300).contains(&raw.status) {
        Ok(Response {
            status: raw.status,
            headers: raw.headers,
            body: raw.body,
            url: call.url.clone(),
            method: call.method.clone(),
            attempts,
            from_store,
            idempotency_key: key.map(|k| k.value.clone()),
        })
    } else {
        Err(response_error(&raw, call, key))
    }
}

/// The typed error for a non-2xx answer. Nothing the server sent is dropped: a
/// body that is not a valid problem document is kept raw in [`Error::Status`].
fn response_error(raw: &Raw, call: &Call, key: Option<&IdempotencyKey>) -> Error {
    let problem = raw
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|ct| is_problem_content_type(ct))
        .and_then(|_| match Problem::from_json(&raw.body) {
            Ok(p) => Some(Box::new(p)),
            Err(e) => {
                tracing::warn!(path = %call.template, error = %e, "problem+json body is not a problem document; kept raw");
                None
            }
        });
    if raw.status == 412 {
        return Error::PreconditionFailed {
            problem,
            body: raw.body.clone(),
        };
    }
    if let (422, Some(key), Some(p)) = (raw.status, key, &problem) {
        let text = format!("{} {}", p.problem_type(), p.title.as_deref().unwrap_or(""))
            .to_ascii_lowercase();
        if text.contains("idempotency") {
            return Error::IdempotencyConflict {
                key: key.value.clone(),
                detail: format!("the server refused it: {}", p.summary()),
                problem,
            };
        }
    }
    match problem {
        Some(problem) => Error::Problem {
            status: raw.status,
            problem,
            headers: Box::new(raw.headers.clone()),
        },
        None => Error::Status {
            status: raw.status,
            headers: Box::new(raw.headers.clone()),
            body: raw.body.clone(),
        },
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
