//! The attribute names oncely's spans and metrics carry — the OpenTelemetry
//! semantic conventions for HTTP clients plus oncely's own — and the values
//! that need care: `url.full` with its secrets redacted, `error.type`.
//!
//! These are plain `tracing` field names, so they are on the spans whether
//! or not the `otel` feature exports them.

use url::Url;

use crate::client::is_secret_word;
use crate::error::{Error, TimeoutKind, TransportKind};

/// `http.request.method`: the request's method.
pub const HTTP_REQUEST_METHOD: &str = "http.request.method";
/// `http.response.status_code`: the answer's status.
pub const HTTP_RESPONSE_STATUS_CODE: &str = "http.response.status_code";
/// `http.request.resend_count`: how many times the request was sent before
/// this attempt (0 on the first).
pub const HTTP_REQUEST_RESEND_COUNT: &str = "http.request.resend_count";
/// `server.address`: the host the request goes to.
pub const SERVER_ADDRESS: &str = "server.address";
/// `server.port`: the port the request goes to.
pub const SERVER_PORT: &str = "server.port";
/// `url.full`: the request's URL, credentials and secret query values
/// redacted ([`redacted_url`]).
pub const URL_FULL: &str = "url.full";
/// `url.template`: the path template (`/orders/{order_id}`), never the raw path.
pub const URL_TEMPLATE: &str = "url.template";
/// `error.type`: why an attempt or call failed — the status code, or a
/// low-cardinality name such as `timeout` or `connect` ([`error_type`]).
pub const ERROR_TYPE: &str = "error.type";
/// `oncely.idempotency_key`: the key the call is sent with.
pub const IDEMPOTENCY_KEY: &str = "oncely.idempotency_key";
/// `oncely.intent_id`: the caller's intent id.
pub const INTENT_ID: &str = "oncely.intent_id";
/// `oncely.retry.reason`: why an attempt is retried.
pub const RETRY_REASON: &str = "oncely.retry.reason";
/// `oncely.workflow.run_id`: the workflow run.
pub const WORKFLOW_RUN_ID: &str = "oncely.workflow.run_id";
/// `oncely.workflow.step`: the workflow step.
pub const WORKFLOW_STEP: &str = "oncely.workflow.step";
/// `oncely.workflow.name`: the workflow a run belongs to.
pub const WORKFLOW_NAME: &str = "oncely.workflow.name";
/// `oncely.workflow.state`: where a run stands (a metric attribute).
pub const WORKFLOW_STATE: &str = "oncely.workflow.state";
/// `oncely.outcome`: how an attempt ended (a metric attribute): `ok`, the
/// status class (`4xx`, `5xx`), or an [`error_type`].
pub const OUTCOME: &str = "oncely.outcome";

/// What replaces a secret in `url.full`.
const REDACTED: &str = "REDACTED";

/// The URL as `url.full` shows it: a password or user name in it becomes
/// `REDACTED`, and so does the value of every query parameter whose name
/// reads as a credential (`api_key`, `token`, `signature`, `sig`, …), as the
/// semantic conventions ask. Computed only when a span is recorded.
pub fn redacted_url(url: &Url) -> String {
    let mut url = url.clone();
    if !url.username().is_empty() {
        let _ = url.set_username(REDACTED);
    }
    if url.password().is_some() {
        let _ = url.set_password(Some(REDACTED));
    }
    if url.query().is_some_and(|q| !q.is_empty()) {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(name, value)| {
                let value = if is_secret_query_name(&name) {
                    REDACTED.to_string()
                } else {
                    value.into_owned()
                };
                (name.into_owned(), value)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string()
}

/// Query parameter names whose values are credentials or signatures: the
/// words that mark a secret header (`crate::client`'s redaction rule), the
/// signatures the semantic conventions name (`Signature`, `sig`,
/// `X-Goog-Signature`, `AWSAccessKeyId`), and any other `key`, credential or
/// session parameter.
fn is_secret_query_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase().replace('_', "-");
    is_secret_word(&n)
        || matches!(n.as_str(), "sig" | "code" | "auth")
        || ["key", "signature", "credential", "session"]
            .iter()
            .any(|word| n.contains(word))
}

/// The `error.type` of a failure: the status code of an answer that is an
/// error, otherwise a low-cardinality name of what went wrong.
pub fn error_type(error: &Error) -> String {
    match error {
        Error::Transport { kind, .. } => match kind {
            TransportKind::Connect => "connect",
            TransportKind::Request => "request",
            TransportKind::Body => "body",
        }
        .to_string(),
        Error::Timeout { kind, .. } => match kind {
            TimeoutKind::Attempt | TimeoutKind::Deadline => "timeout",
            TimeoutKind::Operation => "operation_timeout",
        }
        .to_string(),
        Error::RetryExhausted { last, .. } | Error::RetryAfterTooLong { last, .. } => {
            error_type(last)
        }
        Error::ResponseTooLarge { .. } => "response_too_large".to_string(),
        Error::CircuitOpen { .. } => "circuit_open".to_string(),
        Error::IdempotencyConflict { .. } => "idempotency_conflict".to_string(),
        Error::InvalidInput { .. } => "invalid_input".to_string(),
        Error::Decode { .. } => "decode".to_string(),
        Error::OperationFailed { .. } => "operation_failed".to_string(),
        Error::Protocol { .. } => "protocol".to_string(),
        Error::InvalidResumeToken { .. } => "invalid_resume_token".to_string(),
        Error::Store(_) => "store".to_string(),
        other => match other.status() {
            Some(status) => status.to_string(),
            None => "_OTHER".to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_leave_the_url() {
        let url = Url::parse(
            "https://user:pw@api.example.com/orders/1?api_key=k_1&page=2&access_token=t&Signature=s&sig=x",
        )
        .unwrap();
        let shown = redacted_url(&url);
        for secret in ["user", "pw", "k_1", "=t", "=s", "=x"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("page=2"), "{shown}");
        assert!(shown.starts_with("https://REDACTED:REDACTED@api.example.com/orders/1?"));
    }

    #[test]
    fn a_url_without_secrets_is_unchanged() {
        let url = Url::parse("http://127.0.0.1:8080/orders?page=2").unwrap();
        assert_eq!(redacted_url(&url), "http://127.0.0.1:8080/orders?page=2");
    }
}
