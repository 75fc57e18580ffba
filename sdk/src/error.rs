//! The one error type every oncely call returns.
//!
//! Each variant says what failed and carries what a caller needs to decide what to
//! do next: the problem document, the raw body of an unexpected answer, the delay a
//! server asked for, the number of attempts made.

use std::time::Duration;

use bytes::Bytes;
use http::HeaderMap;

use crate::problem::Problem;
use crate::store::StoreError;

/// Everything that can go wrong in a call made through oncely.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client or a request was configured with a value that cannot work
    /// (a base URL without a scheme, an invalid header name, …).
    #[error("invalid {what}: {why}")]
    InvalidInput {
        /// Which input was wrong, e.g. `base URL "localhost:8080"`.
        what: String,
        /// Why it was rejected.
        why: String,
    },

    /// The request could not be sent or its answer could not be read.
    #[error("{method} {url}: transport error ({kind}): {}", causes(source.as_ref()))]
    Transport {
        /// The HTTP method.
        method: String,
        /// The URL (without query string).
        url: String,
        /// Whether the connection failed (nothing sent) or broke later.
        kind: TransportKind,
        /// The underlying error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// The answer's body is longer than the client reads
    /// ([`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes)).
    /// Not retried: the same request would get the same answer.
    #[error("{method} {url}: the answer is larger than the {limit}-byte limit")]
    ResponseTooLarge {
        /// The HTTP method.
        method: String,
        /// The URL (without query string).
        url: String,
        /// The limit in bytes.
        limit: usize,
    },

    /// An attempt, or the whole call, ran out of time.
    #[error("{method} {path}: {kind} timeout after {elapsed:?}")]
    Timeout {
        /// The HTTP method.
        method: String,
        /// The path template.
        path: String,
        /// Which limit was hit.
        kind: TimeoutKind,
        /// How long had passed when the limit was hit.
        elapsed: Duration,
    },

    /// The server answered with an RFC 9457 problem document.
    #[error("{status} problem: {}", problem.summary())]
    Problem {
        /// The HTTP status of the answer.
        status: u16,
        /// The parsed problem document.
        problem: Box<Problem>,
        /// The response headers.
        headers: Box<HeaderMap>,
    },

    /// The server answered with a status the call did not expect, and a body that
    /// is not a problem document. The body is kept as received.
    #[error("unexpected status {status}{}", body_hint(body))]
    Status {
        /// The HTTP status.
        status: u16,
        /// The response headers.
        headers: Box<HeaderMap>,
        /// The raw response body.
        body: Bytes,
    },

    /// A conditional request (`If-Match`) failed: the resource changed (412).
    #[error("precondition failed (412){}", .problem.as_ref().map(|p| format!(": {}", p.summary())).unwrap_or_default())]
    PreconditionFailed {
        /// The problem document, when the server sent one.
        problem: Option<Box<Problem>>,
        /// The raw response body.
        body: Bytes,
    },

    /// A body could not be decoded into the expected type.
    #[error("cannot decode {what} at `{path}`: {message} (body starts: {snippet:?})")]
    Decode {
        /// What was being decoded, e.g. `response body of GET /orders/{id}`.
        what: String,
        /// The serde path to the first failing field (`.` for the root).
        path: String,
        /// The decoder's message.
        message: String,
        /// The first bytes of the body, for diagnosis.
        snippet: String,
    },

    /// An idempotency key was reused for a different request: either the local
    /// store caught it before anything was sent, or the server rejected it (422).
    #[error("idempotency conflict for key {key}: {detail}")]
    IdempotencyConflict {
        /// The idempotency key.
        key: String,
        /// What differed.
        detail: String,
        /// The server's problem document when the server detected the conflict.
        problem: Option<Box<Problem>>,
    },

    /// Every allowed attempt failed with a retryable error.
    #[error("gave up after {attempts} attempts: {last}")]
    RetryExhausted {
        /// How many attempts were made.
        attempts: u32,
        /// The error of the last attempt.
        last: Box<Error>,
    },

    /// The server asked to wait longer than the client is configured to honour,
    /// or longer than the call's deadline leaves.
    #[error("server asked to retry after {requested:?}, more than the {limit:?} allowed: {last}")]
    RetryAfterTooLong {
        /// The delay the server asked for.
        requested: Duration,
        /// The longest wait the client would have honoured.
        limit: Duration,
        /// The answer that carried the request.
        last: Box<Error>,
    },

    /// The circuit breaker for this host is open: recent calls failed in a row.
    #[error("circuit open for {host}; next probe in {retry_in:?}")]
    CircuitOpen {
        /// The host whose circuit is open.
        host: String,
        /// How long until a probe request is allowed.
        retry_in: Duration,
    },

    /// A long-running operation ended in a failed or canceled state.
    #[error("operation ended as {status}{}", .problem.as_ref().map(|p| format!(": {}", p.summary())).unwrap_or_default())]
    OperationFailed {
        /// The terminal status the server reported (`failed`, `canceled`, …).
        status: String,
        /// The error the status resource carried, as a problem document.
        problem: Option<Box<Problem>>,
        /// The status resource as received.
        body: Bytes,
    },

    /// The server's answer broke the protocol the call relies on (a `202` with
    /// no way to learn the outcome, a status resource that is not JSON, …).
    #[error("protocol error in {what}: {why}")]
    Protocol {
        /// Which answer.
        what: String,
        /// What was wrong with it.
        why: String,
    },

    /// An operation resume token could not be used.
    #[error("invalid operation resume token: {why}")]
    InvalidResumeToken {
        /// Why the token was rejected.
        why: String,
    },

    /// The idempotency store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn body_hint(body: &Bytes) -> String {
    if body.is_empty() {
        String::new()
    } else {
        format!(": {}", snippet(body))
    }
}

/// The first 200 characters of a body, lossily decoded, for error messages.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
    text.into_owned()
}

/// Whether a transport error happened before anything reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// The connection could not be established: nothing was sent.
    Connect,
    /// The request was (possibly) sent, then the connection failed.
    Request,
    /// The response body could not be read.
    Body,
}

impl std::fmt::Display for TransportKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TransportKind::Connect => "connect",
            TransportKind::Request => "request",
            TransportKind::Body => "body",
        })
    }
}

/// Which time limit a [`Error::Timeout`] hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutKind {
    /// One attempt exceeded the per-attempt timeout.
    Attempt,
    /// The call exceeded its overall deadline (all attempts and waits included).
    Deadline,
    /// Waiting for a long-running operation exceeded its limit.
    Operation,
}

impl std::fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TimeoutKind::Attempt => "attempt",
            TimeoutKind::Deadline => "deadline",
            TimeoutKind::Operation => "operation",
        })
    }
}

impl Error {
    /// The problem document, if the server sent one (directly or inside a retry
    /// or precondition error).
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Error::Problem { problem, .. } => Some(problem),
            Error::PreconditionFailed { problem, .. } => problem.as_deref(),
            Error::IdempotencyConflict { problem, .. } | Error::OperationFailed { problem, .. } => {
                problem.as_deref()
            }
            Error::RetryExhausted { last, .. } | Error::RetryAfterTooLong { last, .. } => {
                last.problem()
            }
            _ => None,
        }
    }

    /// The HTTP status of the answer behind this error, if there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Problem { status, .. } | Error::Status { status, .. } => Some(*status),
            Error::PreconditionFailed { .. } => Some(412),
            Error::IdempotencyConflict {
                problem: Some(p), ..
            } => p.status,
            Error::RetryExhausted { last, .. } | Error::RetryAfterTooLong { last, .. } => {
                last.status()
            }
            _ => None,
        }
    }

    /// How many attempts were made, when the error ended a retry loop.
    pub fn attempts(&self) -> Option<u32> {
        match self {
            Error::RetryExhausted { attempts, .. } => Some(*attempts),
            _ => None,
        }
    }

    /// True when trying the same call again later may succeed: transport errors,
    /// timeouts, throttling and server errors, an open circuit, a call that gave
    /// up retrying. Precondition failures, conflicts, other client errors and
    /// answers the server marked `x-should-retry: false` are not retryable; an
    /// answer marked `x-should-retry: true` is.
    ///
    /// This is the verdict of the retry classifier the client itself asks after
    /// every attempt, so it agrees with what the client did: an error the client
    /// retried until it gave up ([`Error::RetryExhausted`], also a `409` to a
    /// call with an idempotency key, whose first request was still in flight)
    /// is retryable. Whether the request is safe to repeat is not the error's to
    /// know: a POST without an idempotency key is never repeated by the client
    /// once it may have reached the server, retryable or not.
    pub fn is_retryable(&self) -> bool {
        crate::retry::classify::is_retryable(self)
    }

    pub(crate) fn invalid(what: impl Into<String>, why: impl Into<String>) -> Self {
        Error::InvalidInput {
            what: what.into(),
            why: why.into(),
        }
    }

    /// Decodes a JSON body into `T`. An empty (or all-whitespace) body decodes
    /// as `null`. The common, successful case parses once at full speed; only a
    /// body that fails is parsed again with path tracking, so the error names
    /// where in the document decoding went wrong. (Generated clients decode
    /// webhook deliveries with it.)
    pub fn decode_json<T: serde::de::DeserializeOwned>(
        what: impl FnOnce() -> String,
        body: &[u8],
    ) -> Result<T, Error> {
        let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
            b"null"
        } else {
            body
        };
        if let Ok(value) = serde_json::from_slice(body) {
            return Ok(value);
        }
        let mut de = serde_json::Deserializer::from_slice(body);
        let tracked: Result<T, _> = serde_path_to_error::deserialize(&mut de);
        let (path, message) = match tracked.map(|_| de.end()) {
            Err(e) => (e.path().to_string(), e.into_inner().to_string()),
            Ok(Err(e)) => (".".to_string(), e.to_string()),
            // Unreachable in practice: the same input failed a moment ago.
            Ok(Ok(())) => (".".to_string(), "the body could not be decoded".to_string()),
        };
        Err(Error::Decode {
            what: what(),
            path,
            message,
            snippet: snippet(body),
        })
    }
}

/// An error and its causes on one line: `a: b: c`. Transport errors wrap the
/// reason that matters (`Connection refused`, `tunnel unsuccessful`) a few
/// levels down.
fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        let line = cause.to_string();
        if !text.ends_with(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        next = cause.source();
    }
    text
}
