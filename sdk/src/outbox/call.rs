//! [`OutboxCall`]: one HTTP call to make later, checked and encoded when it
//! is enqueued, so a call that could never be sent fails inside the
//! application's transaction, before anything commits.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method};
use serde::Serialize;

use super::OutboxError;

/// Headers an outbox row never stores: credentials come from the
/// dispatcher's client at send time, and the idempotency key is derived from
/// the row's intent id.
const REFUSED_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "x-api-key",
    "idempotency-key",
];

/// A call to enqueue: method, path template with its parameters, query,
/// headers, body, and what orders and names it.
///
/// ```
/// use oncely::outbox::OutboxCall;
/// let call = OutboxCall::post("/orders/{order_id}/payments")
///     .path_param("order_id", "o_42")
///     .json(&serde_json::json!({"amount": 1200, "currency": "EUR"}))
///     .unwrap()
///     .partition("customer-7")
///     .intent_id("payment-o_42");
/// assert_eq!(call.intent(), Some("payment-o_42"));
/// ```
#[derive(Debug, Clone)]
pub struct OutboxCall {
    pub(crate) method: Method,
    pub(crate) path_template: String,
    pub(crate) path_params: BTreeMap<String, String>,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Option<(Bytes, String)>,
    pub(crate) partition: Option<String>,
    pub(crate) intent_id: Option<String>,
    pub(crate) not_before: Option<SystemTime>,
}

impl OutboxCall {
    /// A call of `method` to `path_template` (relative to the dispatcher's
    /// base URL, `{name}` placeholders filled from [`path_param`](Self::path_param)).
    pub fn new(method: Method, path_template: impl Into<String>) -> Self {
        OutboxCall {
            method,
            path_template: path_template.into(),
            path_params: BTreeMap::new(),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            partition: None,
            intent_id: None,
            not_before: None,
        }
    }

    /// A `POST` call.
    pub fn post(path_template: impl Into<String>) -> Self {
        Self::new(Method::POST, path_template)
    }

    /// A `PUT` call.
    pub fn put(path_template: impl Into<String>) -> Self {
        Self::new(Method::PUT, path_template)
    }

    /// A `PATCH` call.
    pub fn patch(path_template: impl Into<String>) -> Self {
        Self::new(Method::PATCH, path_template)
    }

    /// A `DELETE` call.
    pub fn delete(path_template: impl Into<String>) -> Self {
        Self::new(Method::DELETE, path_template)
    }

    /// Fills the `{name}` placeholder of the path template.
    pub fn path_param(mut self, name: impl Into<String>, value: impl ToString) -> Self {
        self.path_params.insert(name.into(), value.to_string());
        self
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: impl Into<String>, value: impl ToString) -> Self {
        self.query.push((name.into(), value.to_string()));
        self
    }

    /// Adds a header. Credentials (`Authorization`, `Cookie`, `X-Api-Key`, …)
    /// and `Idempotency-Key` are refused when the call is enqueued.
    pub fn header(mut self, name: impl Into<String>, value: impl ToString) -> Self {
        self.headers.push((name.into(), value.to_string()));
        self
    }

    /// A JSON body. A value serde cannot write as JSON is an
    /// [`OutboxError::InvalidCall`] here, before any transaction sees it.
    pub fn json(mut self, body: &impl Serialize) -> Result<Self, OutboxError> {
        let bytes = serde_json::to_vec(body).map_err(|e| OutboxError::InvalidCall {
            what: "the JSON body".into(),
            why: e.to_string(),
        })?;
        self.body = Some((Bytes::from(bytes), "application/json".into()));
        Ok(self)
    }

    /// A body of `content_type`, sent as given.
    pub fn body(mut self, bytes: impl Into<Bytes>, content_type: impl Into<String>) -> Self {
        self.body = Some((bytes.into(), content_type.into()));
        self
    }

    /// Orders the call within `partition`: a row waits while an earlier row
    /// of its partition is pending or in flight. Calls without a partition
    /// are not ordered.
    pub fn partition(mut self, partition: impl Into<String>) -> Self {
        self.partition = Some(partition.into());
        self
    }

    /// Names the call's intent (an order number, a message id): its
    /// idempotency key is derived from it, the same for every attempt by
    /// every dispatcher. Without one, a random id is given at enqueue.
    /// An intent id may be enqueued once.
    pub fn intent_id(mut self, intent_id: impl Into<String>) -> Self {
        self.intent_id = Some(intent_id.into());
        self
    }

    /// Not sent before `at`.
    pub fn not_before(mut self, at: SystemTime) -> Self {
        self.not_before = Some(at);
        self
    }

    /// Not sent before `delay` from now.
    pub fn delay(self, delay: Duration) -> Self {
        self.not_before(SystemTime::now() + delay)
    }

    /// The intent id, when one was named.
    pub fn intent(&self) -> Option<&str> {
        self.intent_id.as_deref()
    }

    /// Checks that the call can be sent (the checks enqueueing makes), so a
    /// binding can refuse it when it is made.
    pub fn check(&self) -> Result<(), OutboxError> {
        self.encode().map(|_| ())
    }

    /// Checks the call and encodes it as a row's columns.
    pub(crate) fn encode(&self) -> Result<EncodedCall, OutboxError> {
        let invalid = |what: String, why: String| OutboxError::InvalidCall { what, why };
        if !self.path_template.starts_with('/') {
            return Err(invalid(
                format!("path template {:?}", self.path_template),
                "must start with `/` (it is relative to the dispatcher's base URL)".into(),
            ));
        }
        for name in placeholders(&self.path_template) {
            if !self.path_params.contains_key(name) {
                return Err(invalid(
                    format!("path template {:?}", self.path_template),
                    format!("no value for the path parameter {{{name}}}"),
                ));
            }
        }
        for (name, value) in &self.headers {
            let header = HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| invalid(format!("header name {name:?}"), e.to_string()))?;
            if REFUSED_HEADERS.contains(&header.as_str()) {
                return Err(invalid(
                    format!("header {name:?}"),
                    "an outbox row stores no credentials and no idempotency key: the \
                     dispatcher's client adds credentials at send time and the key is \
                     derived from the intent id"
                        .into(),
                ));
            }
            HeaderValue::from_str(value)
                .map_err(|e| invalid(format!("value of header {name:?}"), e.to_string()))?;
        }
        if let Some((_, content_type)) = &self.body {
            HeaderValue::from_str(content_type)
                .map_err(|e| invalid(format!("content type {content_type:?}"), e.to_string()))?;
        }
        if let Some(id) = &self.intent_id {
            if id.trim().is_empty() {
                return Err(invalid("the intent id".into(), "is empty".into()));
            }
        }
        let not_before_ms = self.not_before.map_or(0, unix_ms);
        Ok(EncodedCall {
            partition: self.partition.clone(),
            method: self.method.as_str().to_owned(),
            path_template: self.path_template.clone(),
            path_params: to_json(&self.path_params),
            query: to_json(&self.query),
            headers: to_json(&self.headers),
            body: self.body.as_ref().map(|(b, _)| b.to_vec()),
            content_type: self.body.as_ref().map(|(_, t)| t.clone()),
            intent_id: self
                .intent_id
                .clone()
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            not_before_ms,
        })
    }
}

/// Maps of strings and lists of string pairs as JSON text (they always
/// serialise).
fn to_json(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// The `{name}` placeholders of a path template.
fn placeholders(template: &str) -> impl Iterator<Item = &str> {
    template.split('{').skip(1).filter_map(|rest| {
        rest.split_once('}')
            .map(|(name, _)| name)
            .filter(|n| !n.is_empty())
    })
}

/// Milliseconds since the Unix epoch (0 for a time before it).
pub(crate) fn unix_ms(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A checked call as the columns of its row.
#[derive(Debug, Clone)]
pub(crate) struct EncodedCall {
    pub partition: Option<String>,
    pub method: String,
    pub path_template: String,
    pub path_params: String,
    pub query: String,
    pub headers: String,
    pub body: Option<Vec<u8>>,
    pub content_type: Option<String>,
    pub intent_id: String,
    pub not_before_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refused(call: OutboxCall) -> String {
        match call.encode() {
            Err(OutboxError::InvalidCall { what, why }) => format!("{what}: {why}"),
            other => panic!("expected InvalidCall, got {other:?}"),
        }
    }

    #[test]
    fn unsendable_calls_are_refused_with_what_and_why() {
        let ok = OutboxCall::post("/orders/{id}/cancel").path_param("id", "o_1");
        assert!(ok.clone().encode().is_ok());
        assert!(refused(OutboxCall::post("/orders/{id}/cancel")).contains("{id}"));
        assert!(refused(OutboxCall::post("orders")).contains("must start with `/`"));
        assert!(refused(ok.clone().header("X-Note", "a\nb")).contains("X-Note"));
        assert!(refused(ok.clone().header("bad name", "v")).contains("bad name"));
        assert!(
            refused(ok.clone().header("Authorization", "Bearer s3cret")).contains("credentials")
        );
        assert!(refused(ok.clone().header("idempotency-key", "k")).contains("idempotency key"));
        assert!(refused(ok.clone().body("x", "text/plain\n")).contains("content type"));
        assert!(refused(ok.intent_id("  ")).contains("intent id"));
    }

    #[test]
    fn a_body_serde_cannot_write_fails_before_enqueue() {
        let mut map = std::collections::HashMap::new();
        map.insert(vec![1u8], 1);
        let err = OutboxCall::post("/orders").json(&map).unwrap_err();
        assert!(matches!(err, OutboxError::InvalidCall { .. }), "{err}");
    }

    #[test]
    fn encoding_keeps_every_part_and_names_an_intent() {
        let call = OutboxCall::post("/orders")
            .query("expand", "items")
            .header("X-Trace", "t1")
            .json(&json!({"a": 1}))
            .unwrap()
            .partition("p");
        let encoded = call.encode().unwrap();
        assert_eq!(encoded.query, r#"[["expand","items"]]"#);
        assert_eq!(encoded.headers, r#"[["X-Trace","t1"]]"#);
        assert_eq!(encoded.body.as_deref(), Some(&br#"{"a":1}"#[..]));
        assert_eq!(encoded.content_type.as_deref(), Some("application/json"));
        assert_eq!(encoded.partition.as_deref(), Some("p"));
        assert!(uuid::Uuid::parse_str(&encoded.intent_id).is_ok());
        assert_eq!(encoded.not_before_ms, 0);
    }
}
