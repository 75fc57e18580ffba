//! [`ErrorView`]: one view of every core error — its kind, its message, the
//! summary fields every error carries (status, retryable, attempts, problem)
//! and the fields of its variant. Both bindings render it into their native
//! exceptions; neither matches on [`oncely::Error`] itself.

use std::time::Duration;

use bytes::Bytes;
use http::HeaderMap;
use oncely::{Error, Problem, TimeoutKind, TransportKind};

/// Which kind of failure an error is. Python has one exception class per
/// kind; Node one error class, and the kind's [`name`](ErrorKind::name) as
/// `error.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A setting or argument that cannot work; nothing was sent.
    InvalidInput,
    /// The request could not be sent or its answer not read.
    Transport,
    /// An attempt, the call or an operation ran out of time.
    Timeout,
    /// An RFC 9457 problem document answered.
    Problem,
    /// An unexpected status without a problem document.
    Status,
    /// A conditional request failed with 412.
    PreconditionFailed,
    /// A body could not be decoded.
    Decode,
    /// An idempotency key was reused for a different request.
    IdempotencyConflict,
    /// Every allowed attempt failed.
    RetryExhausted,
    /// The server asked to wait longer than allowed.
    RetryAfterTooLong,
    /// The host's circuit breaker is open.
    CircuitOpen,
    /// A long-running operation ended failed or canceled.
    OperationFailed,
    /// The server broke the protocol the call relies on.
    Protocol,
    /// An operation resume token could not be used.
    InvalidResumeToken,
    /// The idempotency store (or journal) failed.
    Store,
    /// A failure this version of the bindings does not know by name.
    Other,
}

impl ErrorKind {
    /// The kind's name, shared by both bindings and the conformance
    /// vocabulary (`retry_exhausted`, `circuit_open`, …).
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Transport => "transport",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Problem => "problem",
            ErrorKind::Status => "status",
            ErrorKind::PreconditionFailed => "precondition_failed",
            ErrorKind::Decode => "decode",
            ErrorKind::IdempotencyConflict => "idempotency_conflict",
            ErrorKind::RetryExhausted => "retry_exhausted",
            ErrorKind::RetryAfterTooLong => "retry_after_too_long",
            ErrorKind::CircuitOpen => "circuit_open",
            ErrorKind::OperationFailed => "operation_failed",
            ErrorKind::Protocol => "protocol",
            ErrorKind::InvalidResumeToken => "invalid_resume_token",
            ErrorKind::Store => "store",
            ErrorKind::Other => "other",
        }
    }
}

/// What part of the exchange a transport error broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportWhat {
    /// Connecting (nothing was sent).
    Connect,
    /// Sending the request.
    Request,
    /// Reading the answer's body.
    Body,
    /// The answer was larger than the client's limit.
    TooLarge,
}

/// The fields of one kind of error.
#[derive(Debug)]
pub enum Detail<'e> {
    /// See [`ErrorKind::InvalidInput`].
    InvalidInput {
        /// Which input.
        what: &'e str,
        /// Why it was refused.
        why: &'e str,
    },
    /// See [`ErrorKind::Transport`].
    Transport {
        /// The request's method.
        method: &'e str,
        /// The request's URL.
        url: &'e str,
        /// What broke.
        what: TransportWhat,
        /// With [`TransportWhat::TooLarge`]: the limit in bytes.
        limit: Option<usize>,
    },
    /// See [`ErrorKind::Timeout`].
    Timeout {
        /// The request's method.
        method: &'e str,
        /// The request's path.
        path: &'e str,
        /// Which limit.
        kind: TimeoutKind,
        /// Time spent.
        elapsed: Duration,
    },
    /// See [`ErrorKind::Problem`].
    Problem {
        /// The answer's status.
        status: u16,
        /// The problem document.
        problem: &'e Problem,
        /// The answer's headers.
        headers: &'e HeaderMap,
    },
    /// See [`ErrorKind::Status`].
    Status {
        /// The answer's status.
        status: u16,
        /// The answer's headers.
        headers: &'e HeaderMap,
        /// The answer's body.
        body: &'e Bytes,
    },
    /// See [`ErrorKind::PreconditionFailed`].
    PreconditionFailed {
        /// The problem document, if the server sent one.
        problem: Option<&'e Problem>,
        /// The answer's body.
        body: &'e Bytes,
    },
    /// See [`ErrorKind::Decode`].
    Decode {
        /// What was decoded.
        what: &'e str,
        /// The path of the first failing member (`.` for the root).
        path: &'e str,
        /// What was wrong.
        message: &'e str,
        /// The first bytes of the body.
        snippet: &'e str,
    },
    /// See [`ErrorKind::IdempotencyConflict`].
    IdempotencyConflict {
        /// The key.
        key: &'e str,
        /// What differed.
        detail: &'e str,
        /// The server's problem document, if it sent one.
        problem: Option<&'e Problem>,
    },
    /// See [`ErrorKind::RetryExhausted`].
    RetryExhausted {
        /// Attempts made.
        attempts: u32,
        /// The last attempt's error.
        last: Box<ErrorView<'e>>,
    },
    /// See [`ErrorKind::RetryAfterTooLong`].
    RetryAfterTooLong {
        /// The wait the server asked for.
        requested: Duration,
        /// The longest wait allowed.
        limit: Duration,
        /// The error that came with the request to wait.
        last: Box<ErrorView<'e>>,
    },
    /// See [`ErrorKind::CircuitOpen`].
    CircuitOpen {
        /// The host.
        host: &'e str,
        /// When the next probe is let through.
        retry_in: Duration,
    },
    /// See [`ErrorKind::OperationFailed`].
    OperationFailed {
        /// The terminal status the server reported.
        status: &'e str,
        /// The problem document, if any.
        problem: Option<&'e Problem>,
        /// The status document's body.
        body: &'e Bytes,
    },
    /// See [`ErrorKind::Protocol`].
    Protocol {
        /// Which exchange.
        what: &'e str,
        /// What the server did wrong.
        why: &'e str,
    },
    /// See [`ErrorKind::InvalidResumeToken`].
    InvalidResumeToken {
        /// Why the token cannot be used.
        why: &'e str,
    },
    /// See [`ErrorKind::Store`].
    Store {
        /// The store's message.
        reason: String,
    },
    /// See [`ErrorKind::Other`].
    Other,
}

/// Everything a binding shows of one error.
#[derive(Debug)]
pub struct ErrorView<'e> {
    /// The error's message (the core's `Display`).
    pub message: String,
    /// True when trying the same call again later may succeed.
    pub retryable: bool,
    /// The HTTP status behind the error, when there was an answer.
    pub status: Option<u16>,
    /// Attempts made, when the error ended a retry loop.
    pub attempts: Option<u32>,
    /// The problem document behind the error (also inside retry errors).
    pub problem: Option<&'e Problem>,
    /// The fields of this kind of error.
    pub detail: Detail<'e>,
}

impl ErrorView<'_> {
    /// The error's kind.
    pub fn kind(&self) -> ErrorKind {
        match &self.detail {
            Detail::InvalidInput { .. } => ErrorKind::InvalidInput,
            Detail::Transport { .. } => ErrorKind::Transport,
            Detail::Timeout { .. } => ErrorKind::Timeout,
            Detail::Problem { .. } => ErrorKind::Problem,
            Detail::Status { .. } => ErrorKind::Status,
            Detail::PreconditionFailed { .. } => ErrorKind::PreconditionFailed,
            Detail::Decode { .. } => ErrorKind::Decode,
            Detail::IdempotencyConflict { .. } => ErrorKind::IdempotencyConflict,
            Detail::RetryExhausted { .. } => ErrorKind::RetryExhausted,
            Detail::RetryAfterTooLong { .. } => ErrorKind::RetryAfterTooLong,
            Detail::CircuitOpen { .. } => ErrorKind::CircuitOpen,
            Detail::OperationFailed { .. } => ErrorKind::OperationFailed,
            Detail::Protocol { .. } => ErrorKind::Protocol,
            Detail::InvalidResumeToken { .. } => ErrorKind::InvalidResumeToken,
            Detail::Store { .. } => ErrorKind::Store,
            Detail::Other => ErrorKind::Other,
        }
    }
}

/// The view of `error`.
pub fn error_view(error: &Error) -> ErrorView<'_> {
    let detail = match error {
        Error::InvalidInput { what, why } => Detail::InvalidInput { what, why },
        Error::Transport {
            method, url, kind, ..
        } => Detail::Transport {
            method,
            url,
            what: match kind {
                TransportKind::Connect => TransportWhat::Connect,
                TransportKind::Request => TransportWhat::Request,
                _ => TransportWhat::Body,
            },
            limit: None,
        },
        Error::ResponseTooLarge { method, url, limit } => Detail::Transport {
            method,
            url,
            what: TransportWhat::TooLarge,
            limit: Some(*limit),
        },
        Error::Timeout {
            method,
            path,
            kind,
            elapsed,
        } => Detail::Timeout {
            method,
            path,
            kind: *kind,
            elapsed: *elapsed,
        },
        Error::Problem {
            status,
            problem,
            headers,
        } => Detail::Problem {
            status: *status,
            problem,
            headers,
        },
        Error::Status {
            status,
            headers,
            body,
        } => Detail::Status {
            status: *status,
            headers,
            body,
        },
        Error::PreconditionFailed { problem, body } => Detail::PreconditionFailed {
            problem: problem.as_deref(),
            body,
        },
        Error::Decode {
            what,
            path,
            message,
            snippet,
        } => Detail::Decode {
            what,
            path,
            message,
            snippet,
        },
        Error::IdempotencyConflict {
            key,
            detail,
            problem,
        } => Detail::IdempotencyConflict {
            key,
            detail,
            problem: problem.as_deref(),
        },
        Error::RetryExhausted { attempts, last } => Detail::RetryExhausted {
            attempts: *attempts,
            last: Box::new(error_view(last)),
        },
        Error::RetryAfterTooLong {
            requested,
            limit,
            last,
        } => Detail::RetryAfterTooLong {
            requested: *requested,
            limit: *limit,
            last: Box::new(error_view(last)),
        },
        Error::CircuitOpen { host, retry_in } => Detail::CircuitOpen {
            host,
            retry_in: *retry_in,
        },
        Error::OperationFailed {
            status,
            problem,
            body,
        } => Detail::OperationFailed {
            status,
            problem: problem.as_deref(),
            body,
        },
        Error::Protocol { what, why } => Detail::Protocol { what, why },
        Error::InvalidResumeToken { why } => Detail::InvalidResumeToken { why },
        Error::Store(e) => Detail::Store {
            reason: e.to_string(),
        },
        _ => Detail::Other,
    };
    ErrorView {
        message: error.to_string(),
        retryable: error.is_retryable(),
        status: error.status(),
        attempts: error.attempts(),
        problem: error.problem(),
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_errors_keep_their_views() {
        let error = Error::RetryExhausted {
            attempts: 3,
            last: Box::new(Error::CircuitOpen {
                host: "h:1".into(),
                retry_in: Duration::from_millis(250),
            }),
        };
        let view = error_view(&error);
        assert_eq!(view.kind(), ErrorKind::RetryExhausted);
        assert_eq!(view.kind().name(), "retry_exhausted");
        assert_eq!(view.attempts, Some(3));
        assert!(view.retryable);
        let Detail::RetryExhausted { last, .. } = &view.detail else {
            panic!("{view:?}");
        };
        assert_eq!(last.kind(), ErrorKind::CircuitOpen);
        assert!(
            matches!(last.detail, Detail::CircuitOpen { retry_in, .. } if retry_in.as_millis() == 250)
        );
    }

    #[test]
    fn problems_carry_status_and_document() {
        let problem =
            Problem::from_json(br#"{"type":"t","title":"T","status":402,"balance":3}"#).unwrap();
        let error = Error::Problem {
            status: 402,
            problem: Box::new(problem),
            headers: Box::default(),
        };
        let view = error_view(&error);
        assert_eq!(view.kind(), ErrorKind::Problem);
        assert_eq!(view.status, Some(402));
        assert_eq!(view.problem.and_then(|p| p.type_.as_deref()), Some("t"));
        assert!(view.message.contains("402"));
    }

    #[test]
    fn too_large_answers_are_transport_errors_with_their_limit() {
        let error = Error::ResponseTooLarge {
            method: "GET".into(),
            url: "http://h/x".into(),
            limit: 10,
        };
        let view = error_view(&error);
        assert_eq!(view.kind(), ErrorKind::Transport);
        assert!(matches!(
            view.detail,
            Detail::Transport {
                what: TransportWhat::TooLarge,
                limit: Some(10),
                ..
            }
        ));
    }

    #[test]
    fn store_errors_keep_the_stores_message() {
        let error = Error::Store(oncely::store::StoreError::Backend {
            operation: "begin",
            reason: "disk full".into(),
        });
        let view = error_view(&error);
        assert_eq!(view.kind().name(), "store");
        assert!(matches!(&view.detail, Detail::Store { reason } if reason.contains("disk full")));
    }
}
