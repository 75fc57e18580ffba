//! The retry stage: attempts a call until the classifier
//! ([`crate::retry::classify`]) says stop, or the policy's attempts, the
//! deadline, the retry budget or the circuit breaker end the loop. The
//! decision whether an outcome is worth another attempt is the classifier's;
//! the limits on how long and how often to try are this stage's.

use http::Method;
use tokio::time::Instant;
use tracing::{field, Instrument};
use url::Url;

use super::answer::response_error;
use super::attempt::attempt_once;
use super::credentials::request_headers;
use super::{Ctx, Raw};
use crate::error::{Error, TimeoutKind};
use crate::retry::classify::{classify, Decision, Facts, Outcome};
use crate::retry::is_host_failure_status;
use crate::telemetry::attributes::{error_type, redacted_url};
use crate::telemetry::metrics;

/// The retry stage: attempts the call until it succeeds, fails for good, or the
/// policy, deadline, budget or breaker says stop. Returns the final answer and
/// the number of attempts.
pub(super) async fn retry_loop(ctx: &Ctx<'_>) -> Result<(Raw, u32), Error> {
    let (inner, call, key) = (ctx.inner, ctx.call, ctx.key);
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
    let host = breaker_host(ctx.url);
    let headers = request_headers(ctx);
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
        let span = attempt_span(ctx, attempt);
        let trace = ctx.trace.attempt_headers(&span);
        let outcome = attempt_once(ctx, &headers, trace, limit, limit_kind, started)
            .instrument(span.clone())
            .await;
        record_attempt(ctx, &span, &outcome);
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
            Ok(raw) => response_error(&raw, ctx),
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
        let delay_ms = delay.as_millis() as i64;
        span.record("oncely.retry.reason", tracing::field::display(&reason));
        span.record("oncely.retry.delay_ms", delay_ms);
        metrics::retry(&reason, delay);
        let backoff = tracing::debug_span!(
            "oncely.backoff",
            "oncely.retry.reason" = %reason,
            "oncely.retry.delay_ms" = delay_ms,
            "oncely.attempt" = i64::from(attempt),
        );
        tracing::info!(attempt, delay_ms, reason = %reason, "retrying");
        tokio::time::sleep(delay).instrument(backoff).await;
        previous = Some(last);
    }
}

/// The client span of one attempt (`otel.kind = client`), named by the
/// method and the path template; its URL fields are computed only when a
/// subscriber records the span.
fn attempt_span(ctx: &Ctx<'_>, attempt: u32) -> tracing::Span {
    let call = ctx.call;
    let span = tracing::debug_span!(
        "oncely.attempt",
        "otel.name" = field::Empty,
        "otel.kind" = "client",
        "otel.status_code" = field::Empty,
        "http.request.method" = %call.method,
        "http.request.resend_count" = i64::from(attempt - 1),
        "http.response.status_code" = field::Empty,
        "server.address" = field::Empty,
        "server.port" = field::Empty,
        "url.full" = field::Empty,
        "url.template" = %call.template,
        "error.type" = field::Empty,
        "oncely.attempt" = i64::from(attempt),
        "oncely.idempotency_key" = field::Empty,
        "oncely.retry.reason" = field::Empty,
        "oncely.retry.delay_ms" = field::Empty,
    );
    if !span.is_disabled() {
        let url = ctx.url;
        span.record(
            "otel.name",
            format!("{} {}", call.method, call.template).as_str(),
        );
        span.record("server.address", url.host_str().unwrap_or_default());
        if let Some(port) = url.port_or_known_default() {
            span.record("server.port", i64::from(port));
        }
        span.record("url.full", redacted_url(url).as_str());
        if let Some(key) = ctx.key {
            span.record("oncely.idempotency_key", key.value.as_str());
        }
    }
    span
}

/// Records an attempt's outcome on its span and in the metrics: the status,
/// and `error.type` for an error status (4xx, 5xx) or a failure.
fn record_attempt(ctx: &Ctx<'_>, span: &tracing::Span, outcome: &Result<Raw, Error>) {
    let kind = match outcome {
        Ok(raw) if raw.status < 400 => None,
        Ok(raw) => Some(raw.status.to_string()),
        Err(e) => Some(error_type(e)),
    };
    if !span.is_disabled() {
        if let Ok(raw) = outcome {
            span.record("http.response.status_code", i64::from(raw.status));
        }
        if let Some(kind) = &kind {
            span.record("error.type", kind.as_str());
            span.record("otel.status_code", "error");
        }
    }
    let class = match outcome {
        Ok(raw) if raw.status < 400 => "ok",
        Ok(raw) if raw.status < 500 => "4xx",
        Ok(_) => "5xx",
        Err(_) => kind.as_deref().unwrap_or("error"),
    };
    metrics::attempt(&ctx.call.method, ctx.url, class);
}

/// The circuit breaker's name for the host of `url`: `host:port`.
fn breaker_host(url: &Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or(""),
        url.port_or_known_default().unwrap_or(0)
    )
}

/// Methods that may be repeated without a key (RFC 9110 §9.2.2).
fn is_idempotent_method(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE | Method::TRACE
    )
}

/// Whether an outcome counts against the host for the circuit breaker.
fn is_host_failure(outcome: &Result<Raw, Error>) -> bool {
    match outcome {
        Ok(raw) => is_host_failure_status(raw.status),
        Err(Error::Transport { .. } | Error::Timeout { .. }) => true,
        Err(_) => false,
    }
}
