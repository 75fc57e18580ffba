//! The request pipeline: what happens to a call between
//! [`RequestBuilder::send`](crate::RequestBuilder::send) and its result.
//!
//! A call passes through five stages, each a module of plain functions over
//! one borrowed call context ([`Ctx`]):
//!
//! 1. [`idempotency`] — decides the call's idempotency key; records the intent
//!    in the store before the first attempt, or answers from the store when the
//!    same intent already finished (a generated key, which has no past, is
//!    recorded while the first attempt is in flight);
//! 2. [`retry`] — the loop: the deadline, the circuit breaker, one attempt,
//!    then the retry classifier ([`crate::retry::classify`]) decides retry or
//!    stop, within the policy's attempts, the retry budget and the longest
//!    server delay honoured;
//! 3. [`credentials`] — the headers every attempt carries: default headers and
//!    credentials (trusted origins only), content type, the key;
//! 4. [`attempt`] — one transport attempt, its answer read whole within the
//!    attempt's time and size limits;
//! 5. [`answer`] — the final answer mapped to the call's result: a
//!    [`Response`] or a typed [`Error`]; then the idempotency stage records the
//!    outcome.
//!
//! [`execute`] strings them together. The stages are functions, not boxed
//! layers: a call costs no allocation or dynamic dispatch for its structure.
//!
//! [`open_stream`] runs a streamed call ([`crate::stream`]) through the same
//! key, retry, credentials and answer stages, except that a 2xx answer's body
//! is handed back unread, and the idempotency store is neither consulted nor
//! written: a stream cannot be replayed from a record. The attempt's time
//! limit then covers the answer's head only.

mod answer;
mod attempt;
mod credentials;
mod idempotency;
mod retry;

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method};
use hyper::body::Incoming;
use tracing::{field, Instrument};
use url::Url;

use super::body::Body;
use super::{Client, ClientInner, Response};
use crate::error::Error;
use crate::idempotency::{IdempotencyKey, KeySource};
use crate::retry::RetryPolicy;
use crate::telemetry::attributes::error_type;
use crate::telemetry::{metrics, CallTrace, TraceContext};

/// A call as the builder collects it, and as the pipeline reads it: the
/// builder fills it in place, and hands it over with its rendered URL.
/// Cloneable, so a paged listing re-issues it once per page.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    /// The HTTP method.
    pub method: Method,
    /// The path template (or, for a verbatim URL, its path): names the call in
    /// spans, errors and the intent record.
    pub template: String,
    /// The call's own headers (cookies included).
    pub headers: HeaderMap,
    /// The body, if any.
    pub body: Option<Body>,
    /// The key forced on or off; `None`: by method.
    pub idempotent: Option<bool>,
    /// The caller's intent id, from which the key is derived.
    pub intent_id: Option<String>,
    /// A key given verbatim.
    pub key: Option<String>,
    /// `key` was never sent before: its records are written lazily, as a
    /// generated key's are (see `RequestBuilder::first_use_key`).
    pub first_use_key: bool,
    /// The call's retry policy, overriding the client's.
    pub retry: Option<RetryPolicy>,
    /// The call's per-attempt timeout, overriding the client's.
    pub attempt_timeout: Option<Duration>,
    /// The call's deadline, overriding the client's (`Some(None)`: none).
    pub deadline: Option<Option<Duration>>,
    /// The caller's remote trace context: the parent of the call's span.
    pub trace_context: Option<TraceContext>,
}

/// One answer read completely, whatever its status — except the body of a
/// 2xx answer to a streamed call, which is left unread in `stream`.
#[derive(Debug)]
struct Raw {
    status: u16,
    headers: HeaderMap,
    body: Bytes,
    stream: Option<Incoming>,
}

/// How an attempt reads the body of a successful answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    /// Whole, within the size and time limits (every call but a stream).
    Whole,
    /// Not at all: the caller reads it as it arrives ([`open_stream`]).
    Streamed,
}

/// A successful answer to a streamed call, its body unread.
#[derive(Debug)]
pub(crate) struct Opened {
    /// The answer's status (2xx).
    pub status: u16,
    /// The answer's headers.
    pub headers: HeaderMap,
    /// The body, read by the caller as it pulls.
    pub body: Incoming,
}

/// The context every stage of one call works on: the client, the rendered
/// call and the idempotency key it goes out with. Borrowed, built once.
#[derive(Clone, Copy)]
struct Ctx<'a> {
    client: &'a Client,
    inner: &'a ClientInner,
    call: &'a Call,
    /// The rendered URL, query included.
    url: &'a Url,
    key: Option<&'a IdempotencyKey>,
    /// How a successful answer's body is read.
    read: Read,
    /// The call's trace: what each attempt's trace headers come from.
    trace: &'a CallTrace,
}

/// The span of one call, with the semantic-convention fields its attempts
/// refine; `oncely.idempotency_key` and `oncely.intent_id` when it has them.
fn call_span(call: &Call, key: Option<&IdempotencyKey>) -> tracing::Span {
    let span = tracing::info_span!(
        "oncely.call",
        "http.request.method" = %call.method,
        "url.template" = %call.template,
        "oncely.idempotency_key" = field::Empty,
        "oncely.intent_id" = field::Empty,
        "oncely.attempts" = field::Empty,
        "http.response.status_code" = field::Empty,
        "error.type" = field::Empty,
        "otel.status_code" = field::Empty,
    );
    if !span.is_disabled() {
        if let Some(k) = key {
            span.record("oncely.idempotency_key", k.value.as_str());
        }
        if let Some(intent) = &call.intent_id {
            span.record("oncely.intent_id", intent.as_str());
        }
    }
    span
}

/// Records how a call ended on its span and in the metrics.
fn finish_call<T>(
    span: &tracing::Span,
    call: &Call,
    url: &Url,
    started: tokio::time::Instant,
    result: &Result<T, Error>,
    status: Option<u16>,
) {
    let outcome = result.as_ref().err().map(error_type);
    if !span.is_disabled() {
        if let Some(status) = status.or_else(|| result.as_ref().err().and_then(Error::status)) {
            span.record("http.response.status_code", i64::from(status));
        }
        if let Some(kind) = &outcome {
            span.record("error.type", kind.as_str());
            span.record("otel.status_code", "error");
        }
    }
    metrics::call_duration(
        &call.method,
        url,
        outcome.as_deref().unwrap_or("ok"),
        started.elapsed(),
    );
}

/// Runs a call through every stage and maps the final answer to a result.
pub(crate) async fn execute(client: &Client, call: Call, url: Url) -> Result<Response, Error> {
    let inner = &client.inner;
    inner.timer_keepalive.ensure_running();
    let key = idempotency::resolve_key(inner, &call)?;
    let started = tokio::time::Instant::now();
    let span = call_span(&call, key.as_ref());
    let trace = CallTrace::start(&span, call.trace_context.as_ref(), &call.headers);
    let mut final_status = None;
    let result = async {
        let ctx = Ctx {
            client,
            inner,
            call: &call,
            url: &url,
            key: key.as_ref(),
            read: Read::Whole,
            trace: &trace,
        };
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
                    retry::retry_loop(&ctx),
                    idempotency::record_fresh_intent(&ctx, k),
                );
                sent?
            }
            (Some(k), None) => {
                if let Some(stored) = idempotency::begin_intent(&ctx, k).await? {
                    tracing::info!(
                        status = stored.status,
                        "answered from the idempotency store"
                    );
                    return answer::finish(stored, &ctx, 0, true);
                }
                retry::retry_loop(&ctx).await?
            }
            (None, None) => retry::retry_loop(&ctx).await?,
        };
        tracing::Span::current().record("oncely.attempts", i64::from(attempts));
        final_status = Some(raw.status);
        if let Some(k) = &key {
            if idempotency::is_final_status(raw.status) {
                idempotency::record_outcome(inner, k, &raw, lazy).await;
            }
        }
        if (200..300).contains(&raw.status) {
            inner.budget.deposit();
        }
        answer::finish(raw, &ctx, attempts, false)
    }
    .instrument(span.clone())
    .await;
    finish_call(&span, &call, &url, started, &result, final_status);
    result
}

/// Opens a streamed call: the key, retry, credentials and answer stages of
/// [`execute`], a 2xx answer's body left unread, the store left alone (see
/// the module docs). A non-2xx final answer is its typed error, as for any
/// call.
pub(crate) async fn open_stream(client: &Client, call: &Call, url: &Url) -> Result<Opened, Error> {
    let inner = &client.inner;
    inner.timer_keepalive.ensure_running();
    let key = idempotency::resolve_key(inner, call)?;
    let started = tokio::time::Instant::now();
    let span = call_span(call, key.as_ref());
    let trace = CallTrace::start(&span, call.trace_context.as_ref(), &call.headers);
    let mut final_status = None;
    let result = async {
        let ctx = Ctx {
            client,
            inner,
            call,
            url,
            key: key.as_ref(),
            read: Read::Streamed,
            trace: &trace,
        };
        let (raw, attempts) = retry::retry_loop(&ctx).await?;
        tracing::Span::current().record("oncely.attempts", i64::from(attempts));
        final_status = Some(raw.status);
        match raw.stream {
            Some(body) => {
                inner.budget.deposit();
                Ok(Opened {
                    status: raw.status,
                    headers: raw.headers,
                    body,
                })
            }
            None => Err(answer::response_error(&raw, &ctx)),
        }
    }
    .instrument(span.clone())
    .await;
    finish_call(&span, call, url, started, &result, final_status);
    result
}
