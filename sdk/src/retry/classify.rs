//! The retry classifier: the one place that decides whether what an attempt
//! produced is worth another attempt.
//!
//! A decision is made in two steps:
//!
//! 1. **The verdict on the outcome** ([`verdict`]): an ordered list of rules,
//!    in the spirit of smithy-rs's `ClassifyRetry` list; the first rule that
//!    has an opinion decides. A new retry condition is one more rule in
//!    [`RULES`], at the place where it should win over the rules after it.
//! 2. **The safety gate** ([`classify`]): a retry of a request that is not
//!    safe to repeat (a POST or PATCH without an idempotency key) is turned
//!    into a stop, unless nothing reached the server.
//!
//! The request pipeline asks [`classify`] after every attempt.
//! [`Error::is_retryable`] asks [`verdict`] about the error a call returned
//! (see [`is_retryable`]), so a workflow's retry decision and the `retryable`
//! the bindings expose say what the client itself decided. The loop's own
//! limits (attempts, deadline, retry budget, circuit breaker, the longest
//! server delay honoured) are not the classifier's: they belong to the retry
//! stage of the pipeline.

use std::fmt;
use std::time::Duration;

use http::HeaderMap;

use super::{is_retryable_status, server_delay, should_retry_header};
use crate::error::{Error, TimeoutKind, TransportKind};

/// What an attempt produced, as the classifier sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Outcome<'a> {
    /// The server answered with this status and these headers.
    Answer {
        /// The HTTP status.
        status: u16,
        /// The response headers.
        headers: &'a HeaderMap,
    },
    /// There is no answer to look at: the attempt (or the call) failed.
    Failed(&'a Error),
}

/// What the classifier needs to know about the request itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Facts {
    /// The request may be repeated: its method is idempotent or it carries an
    /// idempotency key.
    pub safe: bool,
    /// The request carries an idempotency key.
    pub keyed: bool,
}

/// The classifier's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Try again, after the server's `delay` when it asked for one (otherwise
    /// the policy's backoff).
    Retry {
        /// The wait the server asked for, if any.
        delay: Option<Duration>,
        /// Why the outcome is worth another attempt.
        reason: Reason,
    },
    /// Do not try again: the outcome is the call's result.
    Stop {
        /// Why not.
        reason: Reason,
    },
}

impl Decision {
    /// True for [`Decision::Retry`].
    pub(crate) fn is_retry(&self) -> bool {
        matches!(self, Decision::Retry { .. })
    }
}

/// Why the classifier decided as it did; printed in logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    /// The server answered 2xx.
    Succeeded,
    /// The connection could not be made: nothing reached the server.
    NothingSent,
    /// The request was (possibly) sent, then the connection failed.
    Transport(TransportKind),
    /// An attempt or the call ran out of time.
    Timeout(TimeoutKind),
    /// The host's circuit is open; it may recover.
    CircuitOpen,
    /// The client already retried this outcome and ran out of attempts, budget
    /// or time.
    GaveUp,
    /// The server asked for a wait longer than the client honours.
    WaitTooLong,
    /// `x-should-retry: true` on an answer with this status.
    ServerSaysRetry(u16),
    /// `x-should-retry: false` on an answer with this status.
    ServerSaysStop(u16),
    /// A 409 to a request with an idempotency key: the first request with that
    /// key is still in flight.
    InFlight,
    /// A 429 or 503 that says how long to wait.
    ServerAskedToWait(u16),
    /// A status worth another attempt (408, 425, 429, 500, 502, 503, 504).
    RetryableStatus(u16),
    /// A status that another attempt would not change.
    FinalStatus(u16),
    /// An error that another attempt would not change (a decode error, a
    /// precondition failure, an idempotency conflict, a store failure, …).
    Permanent,
    /// The outcome is worth another attempt, but the request may have reached
    /// the server and is not safe to repeat.
    NotSafeToRepeat,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Succeeded => f.write_str("success"),
            Reason::NothingSent => f.write_str("connect error"),
            Reason::Transport(kind) => write!(f, "{kind} error"),
            Reason::Timeout(kind) => write!(f, "{kind} timeout"),
            Reason::CircuitOpen => f.write_str("circuit open"),
            Reason::GaveUp => f.write_str("retries given up"),
            Reason::WaitTooLong => f.write_str("server delay too long"),
            Reason::ServerSaysRetry(status) => write!(f, "status {status}, x-should-retry: true"),
            Reason::ServerSaysStop(status) => write!(f, "status {status}, x-should-retry: false"),
            Reason::InFlight => f.write_str("status 409, key in flight"),
            Reason::ServerAskedToWait(status) => write!(f, "status {status} with a delay"),
            Reason::RetryableStatus(status) => write!(f, "status {status}"),
            Reason::FinalStatus(status) => write!(f, "final status {status}"),
            Reason::Permanent => f.write_str("permanent error"),
            Reason::NotSafeToRepeat => f.write_str("not safe to repeat"),
        }
    }
}

/// One rule: a decision when it applies to the outcome, `None` to pass.
type Rule = fn(Outcome<'_>, Facts) -> Option<Decision>;

/// The rules, in order: the first that applies decides. Error rules come
/// first (an error has no status), then the answer rules from the most
/// specific (the server's explicit word) to the most general (the status).
const RULES: &[Rule] = &[
    succeeded,
    transport_error,
    timeout,
    circuit_open,
    gave_up,
    other_error,
    should_retry_header_says,
    in_flight_conflict,
    server_asked_to_wait,
    retryable_status,
];

/// Decides whether to try a request again after `outcome`: the verdict on
/// the outcome, then the safety gate.
pub(crate) fn classify(outcome: Outcome<'_>, facts: Facts) -> Decision {
    match verdict(outcome, facts) {
        Decision::Retry { reason, .. } if !facts.safe && reason != Reason::NothingSent => {
            Decision::Stop {
                reason: Reason::NotSafeToRepeat,
            }
        }
        decision => decision,
    }
}

/// The verdict on an outcome alone: would another attempt of a request that
/// is safe to repeat be worth it?
pub(crate) fn verdict(outcome: Outcome<'_>, facts: Facts) -> Decision {
    RULES
        .iter()
        .find_map(|rule| rule(outcome, facts))
        .unwrap_or(match outcome {
            Outcome::Answer { status, .. } => Decision::Stop {
                reason: Reason::FinalStatus(status),
            },
            Outcome::Failed(_) => Decision::Stop {
                reason: Reason::Permanent,
            },
        })
}

/// The classifier's verdict on an error a call returned, which
/// [`Error::is_retryable`] reports.
///
/// An error carries the answer (status and headers) but not the request, so
/// two facts are settled here. Safety is the caller's to know: the verdict
/// says whether trying again may succeed, and a caller repeats only what is
/// safe to repeat (a workflow step always is: it repeats with its key).
/// And a bare 409 is a real conflict: a call with an idempotency key retries
/// an in-flight 409 itself, so the error it returns then says that it gave up
/// retrying ([`Error::RetryExhausted`]), which is retryable.
pub(crate) fn is_retryable(error: &Error) -> bool {
    let outcome = match error {
        Error::Problem {
            status, headers, ..
        }
        | Error::Status {
            status, headers, ..
        } => Outcome::Answer {
            status: *status,
            headers,
        },
        other => Outcome::Failed(other),
    };
    let facts = Facts {
        safe: true,
        keyed: false,
    };
    verdict(outcome, facts).is_retry()
}

fn retry(delay: Option<Duration>, reason: Reason) -> Option<Decision> {
    Some(Decision::Retry { delay, reason })
}

fn stop(reason: Reason) -> Option<Decision> {
    Some(Decision::Stop { reason })
}

/// A 2xx answer is the result.
fn succeeded(outcome: Outcome<'_>, _: Facts) -> Option<Decision> {
    match outcome {
        Outcome::Answer { status, .. } if (200..300).contains(&status) => stop(Reason::Succeeded),
        _ => None,
    }
}

/// A broken connection is worth another attempt; one that never opened sent
/// nothing, so even an unsafe request may try again.
fn transport_error(outcome: Outcome<'_>, _: Facts) -> Option<Decision> {
    match outcome {
        Outcome::Failed(Error::Transport {
            kind: TransportKind::Connect,
            ..
        }) => retry(None, Reason::NothingSent),
        Outcome::Failed(Error::Transport { kind, .. }) => retry(None, Reason::Transport(*kind)),
        _ => None,
    }
}

/// A timeout is worth another attempt. (An attempt cut short by the call's
/// deadline ends the call anyway: the retry stage checks the deadline first.)
fn timeout(outcome: Outcome<'_>, _: Facts) -> Option<Decision> {
    match outcome {
        Outcome::Failed(Error::Timeout { kind, .. }) => retry(None, Reason::Timeout(*kind)),
        _ => None,
    }
}

/// An open circuit closes again: try after it says.
fn circuit_open(outcome: Outcome<'_>, _: Facts) -> Option<Decision> {
    match outcome {
        Outcome::Failed(Error::CircuitOpen { retry_in, .. }) => {
            retry(Some(*retry_in), Reason::CircuitOpen)
        }
        _ => None,
    }
}

/// A call that gave up retrying did so on an outcome worth retrying: the
/// same call later may succeed.
fn gave_up(outcome: Outcome<'_>, _: Facts) -> Option<Decision> {
    match outcome {
        Outcome::Failed(Error::RetryExhausted { .. }) => retry(None, Reason::GaveUp),
        Outcome::Failed(Error::RetryAfterTooLong { requested, .. }) => {
            retry(Some(*requested), Reason::WaitTooLong)
        }
        _ => None,
    }
}

/// Every other error is permanent.
fn other_error(outcome: Outcome<'_>, _: Facts) -> Option<Decision> {
    match outcome {
        Outcome::Failed(_) => stop(Reason::Permanent),
        Outcome::Answer { .. } => None,
    }
}

/// `x-should-retry: true|false` is the server's explicit word, above every
/// status rule.
fn should_retry_header_says(outcome: Outcome<'_>, _: Facts) -> Option<Decision> {
    let Outcome::Answer { status, headers } = outcome else {
        return None;
    };
    match should_retry_header(headers)? {
        true => retry(server_delay(headers), Reason::ServerSaysRetry(status)),
        false => stop(Reason::ServerSaysStop(status)),
    }
}

/// A 409 to a keyed request means the first request with that key is still
/// being processed: wait and send it again. Without a key it is a real
/// conflict, left to the status rules (which stop).
fn in_flight_conflict(outcome: Outcome<'_>, facts: Facts) -> Option<Decision> {
    match outcome {
        Outcome::Answer {
            status: 409,
            headers,
        } if facts.keyed => retry(server_delay(headers), Reason::InFlight),
        _ => None,
    }
}

/// A 429 or 503 that says how long to wait (`Retry-After`, `retry-after-ms`).
fn server_asked_to_wait(outcome: Outcome<'_>, _: Facts) -> Option<Decision> {
    match outcome {
        Outcome::Answer {
            status: status @ (429 | 503),
            headers,
        } => {
            let delay = server_delay(headers)?;
            retry(Some(delay), Reason::ServerAskedToWait(status))
        }
        _ => None,
    }
}

/// Statuses worth another attempt ([`is_retryable_status`]), after the
/// server's delay when it gave one.
fn retryable_status(outcome: Outcome<'_>, _: Facts) -> Option<Decision> {
    match outcome {
        Outcome::Answer { status, headers } if is_retryable_status(status) => {
            retry(server_delay(headers), Reason::RetryableStatus(status))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, v.parse().unwrap());
        }
        map
    }

    fn retries(status: u16, pairs: &[(&'static str, &str)], safe: bool, keyed: bool) -> bool {
        let headers = headers(pairs);
        classify(
            Outcome::Answer {
                status,
                headers: &headers,
            },
            Facts { safe, keyed },
        )
        .is_retry()
    }

    fn status_error(status: u16, pairs: &[(&'static str, &str)]) -> Error {
        Error::Status {
            status,
            headers: Box::new(headers(pairs)),
            body: bytes::Bytes::new(),
        }
    }

    fn transport(kind: TransportKind) -> Error {
        Error::Transport {
            method: "POST".into(),
            url: "http://h/x".into(),
            kind,
            source: "boom".into(),
        }
    }

    #[test]
    fn statuses() {
        for status in [408, 425, 429, 500, 502, 503, 504] {
            assert!(retries(status, &[], true, false), "{status}");
            assert!(!retries(status, &[], false, false), "unsafe {status}");
        }
        for status in [200, 201, 202, 400, 401, 404, 412, 422, 501] {
            assert!(!retries(status, &[], true, true), "{status}");
        }
        assert!(retries(409, &[], true, true), "409 with a key: in flight");
        assert!(
            !retries(409, &[], true, false),
            "409 without a key: a conflict"
        );
    }

    #[test]
    fn the_servers_word_wins_over_the_status() {
        assert!(!retries(503, &[("x-should-retry", "false")], true, true));
        assert!(!retries(409, &[("x-should-retry", "false")], true, true));
        assert!(retries(400, &[("x-should-retry", "true")], true, true));
        assert!(!retries(400, &[("x-should-retry", "true")], false, false));
        assert!(!retries(200, &[("x-should-retry", "true")], true, true));
    }

    #[test]
    fn delays_come_from_the_answer() {
        let h = headers(&[("retry-after", "2")]);
        let decision = classify(
            Outcome::Answer {
                status: 503,
                headers: &h,
            },
            Facts {
                safe: true,
                keyed: false,
            },
        );
        assert_eq!(
            decision,
            Decision::Retry {
                delay: Some(Duration::from_secs(2)),
                reason: Reason::ServerAskedToWait(503)
            }
        );
        let h = headers(&[("retry-after-ms", "5")]);
        let decision = classify(
            Outcome::Answer {
                status: 500,
                headers: &h,
            },
            Facts {
                safe: true,
                keyed: false,
            },
        );
        assert!(matches!(
            decision,
            Decision::Retry { delay: Some(d), .. } if d == Duration::from_millis(5)
        ));
    }

    #[test]
    fn transport_errors_and_the_safety_gate() {
        let unsafe_call = Facts {
            safe: false,
            keyed: false,
        };
        let connect = transport(TransportKind::Connect);
        assert!(classify(Outcome::Failed(&connect), unsafe_call).is_retry());
        let broken = transport(TransportKind::Request);
        assert_eq!(
            classify(Outcome::Failed(&broken), unsafe_call),
            Decision::Stop {
                reason: Reason::NotSafeToRepeat
            }
        );
        let safe_call = Facts {
            safe: true,
            keyed: false,
        };
        assert!(classify(Outcome::Failed(&broken), safe_call).is_retry());
        let decode = Error::Decode {
            what: "x".into(),
            path: ".".into(),
            message: "m".into(),
            snippet: String::new(),
        };
        assert!(!classify(Outcome::Failed(&decode), safe_call).is_retry());
    }

    #[test]
    fn errors_agree_with_what_the_client_decided() {
        // Stopped by the server's word: not retryable.
        assert!(!status_error(503, &[("x-should-retry", "false")]).is_retryable());
        // The client retried these, so the error that ends the call says so.
        for last in [
            status_error(409, &[]),
            status_error(400, &[("x-should-retry", "true")]),
            status_error(503, &[]),
        ] {
            let e = Error::RetryExhausted {
                attempts: 2,
                last: Box::new(last),
            };
            assert!(e.is_retryable(), "{e}");
        }
        // A bare 409 comes from a call without a key: a real conflict.
        assert!(!status_error(409, &[]).is_retryable());
        assert!(status_error(503, &[]).is_retryable());
        assert!(!status_error(404, &[]).is_retryable());
        assert!(transport(TransportKind::Request).is_retryable());
        assert!(Error::CircuitOpen {
            host: "h:1".into(),
            retry_in: Duration::from_millis(5)
        }
        .is_retryable());
        assert!(!Error::PreconditionFailed {
            problem: None,
            body: bytes::Bytes::new()
        }
        .is_retryable());
    }
}
