//! RFC 9457 problem details: every error the server produces is one of these,
//! served as `application/problem+json`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

/// Media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Prefix of every problem `type` URI this server emits.
pub const PROBLEM_TYPE_BASE: &str = "https://oncely.dev/problems/";

/// An RFC 9457 problem. Built by handlers and the request pipeline; rendered
/// with [`IntoResponse`].
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    status: StatusCode,
    slug: &'static str,
    title: String,
    detail: Option<String>,
    instance: Option<String>,
    extensions: Map<String, Value>,
    store: bool,
}

/// Response extension: the rendered problem, so the pipeline can fill in
/// `instance` with the request path after the handler ran.
#[derive(Debug, Clone)]
pub(crate) struct RenderedProblem(pub(crate) Problem);

/// Response extension: this non-2xx outcome is final and must be stored for
/// idempotent replay (e.g. a declined payment), not discarded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StoreOutcome;

impl Problem {
    /// A problem of type `PROBLEM_TYPE_BASE + slug`.
    pub(crate) fn new(status: StatusCode, slug: &'static str, title: impl Into<String>) -> Self {
        Problem {
            status,
            slug,
            title: title.into(),
            detail: None,
            instance: None,
            extensions: Map::new(),
            store: false,
        }
    }

    /// Sets the human-readable explanation of this occurrence.
    pub(crate) fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Adds an extension member.
    pub(crate) fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extensions.insert(key.to_owned(), value.into());
        self
    }

    /// Sets `instance` unless one is already set.
    pub(crate) fn or_instance(mut self, instance: &str) -> Self {
        if self.instance.is_none() {
            self.instance = Some(instance.to_owned());
        }
        self
    }

    /// Marks the problem as a final, executed outcome that idempotent replays
    /// must return again (instead of letting the key be reused).
    pub(crate) fn stored(mut self) -> Self {
        self.store = true;
        self
    }

    /// The HTTP status.
    #[cfg(test)]
    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }

    /// The problem as a JSON object.
    pub(crate) fn to_json(&self) -> Value {
        let mut body = Map::new();
        body.insert(
            "type".into(),
            Value::String(format!("{PROBLEM_TYPE_BASE}{}", self.slug)),
        );
        body.insert("title".into(), Value::String(self.title.clone()));
        body.insert("status".into(), Value::from(self.status.as_u16()));
        if let Some(detail) = &self.detail {
            body.insert("detail".into(), Value::String(detail.clone()));
        }
        if let Some(instance) = &self.instance {
            body.insert("instance".into(), Value::String(instance.clone()));
        }
        for (key, value) in &self.extensions {
            body.entry(key.clone()).or_insert_with(|| value.clone());
        }
        Value::Object(body)
    }

    // ---- the catalogue -------------------------------------------------

    pub(crate) fn not_found(what: &str) -> Self {
        Problem::new(StatusCode::NOT_FOUND, "not-found", "Not Found").detail(what)
    }

    pub(crate) fn method_not_allowed() -> Self {
        Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "Method Not Allowed",
        )
        .detail("this resource does not support the request method")
    }

    pub(crate) fn malformed_body(detail: impl Into<String>) -> Self {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed-body",
            "Malformed request body",
        )
        .detail(detail)
    }

    /// A query parameter that cannot be used (`400`), named in `parameter`.
    pub(crate) fn invalid_query(parameter: &str, detail: impl Into<String>) -> Self {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            "Invalid query parameter",
        )
        .detail(detail)
        .with("parameter", parameter)
    }

    pub(crate) fn validation(detail: impl Into<String>) -> Self {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-error",
            "Request validation failed",
        )
        .detail(detail)
    }

    pub(crate) fn unsupported_media_type(found: &str) -> Self {
        Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported Media Type",
        )
        .detail(format!("expected a JSON body, got content type `{found}`"))
    }

    pub(crate) fn payload_too_large(limit: usize) -> Self {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Payload Too Large",
        )
        .detail(format!("request body exceeds {limit} bytes"))
    }

    pub(crate) fn idempotency_key_missing() -> Self {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "idempotency-key-missing",
            "Idempotency-Key header required",
        )
        .detail("this operation requires an `Idempotency-Key` request header")
    }

    pub(crate) fn idempotency_key_invalid(why: &str) -> Self {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "idempotency-key-invalid",
            "Invalid Idempotency-Key header",
        )
        .detail(why)
    }

    pub(crate) fn idempotency_key_in_flight() -> Self {
        Problem::new(
            StatusCode::CONFLICT,
            "idempotency-key-in-flight",
            "A request with this Idempotency-Key is still being processed",
        )
        .detail("retry later; the original request has not finished yet")
    }

    pub(crate) fn idempotency_key_reused() -> Self {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency-key-reused",
            "Idempotency-Key reused with a different request",
        )
        .detail("this key was already used for a request with a different method, path or body")
    }

    pub(crate) fn precondition_required() -> Self {
        Problem::new(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition-required",
            "Precondition Required",
        )
        .detail("send `If-Match` with the order's current ETag")
    }

    pub(crate) fn precondition_failed(current: &str) -> Self {
        Problem::new(
            StatusCode::PRECONDITION_FAILED,
            "precondition-failed",
            "Precondition Failed",
        )
        .detail("the order changed since the given ETag was read")
        .with("current_etag", current)
    }

    pub(crate) fn conflict(slug: &'static str, title: &str, detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::CONFLICT, slug, title).detail(detail)
    }

    pub(crate) fn payment_declined(decline_code: &str) -> Self {
        Problem::new(
            StatusCode::PAYMENT_REQUIRED,
            "payment-declined",
            "Payment declined",
        )
        .detail("the card was declined")
        .with("decline_code", decline_code)
        .stored()
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.to_json()).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if self.store {
            response.extensions_mut().insert(StoreOutcome);
        }
        response.extensions_mut().insert(RenderedProblem(self));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_members_and_extensions() {
        let p = Problem::payment_declined("insufficient_funds").or_instance("/orders/1/payments");
        let v = p.to_json();
        assert_eq!(v["type"], "https://oncely.dev/problems/payment-declined");
        assert_eq!(v["status"], 402);
        assert_eq!(v["decline_code"], "insufficient_funds");
        assert_eq!(v["instance"], "/orders/1/payments");
    }

    #[test]
    fn extensions_cannot_override_standard_members() {
        let v = Problem::not_found("x").with("status", 200).to_json();
        assert_eq!(v["status"], 404);
    }
}
