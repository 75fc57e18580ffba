//! [`CallSpec`]: everything one call takes besides its method and path, in
//! neutral form, applied to the core's [`RequestBuilder`] in one place; and
//! [`Caller`], what starts a call, so a binding writes its request verbs once
//! for clients and workflow step contexts alike.

use std::time::Duration;

use bytes::Bytes;
use oncely::{Method, RequestBuilder};
use serde_json::Value;

use crate::client_spec::RetrySpec;
use crate::naming::{Binding, Opt, SpecError};
use crate::units::positive;

/// A request body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// A JSON document (`application/json`).
    Json(Value),
    /// A form (`application/x-www-form-urlencoded`), from a JSON object.
    Form(Value),
    /// Bytes sent as given, with their media type.
    Raw {
        /// The body.
        bytes: Bytes,
        /// Its `Content-Type`.
        content_type: String,
    },
}

/// Everything one call carries besides method and path. Fields left at
/// `None` (or empty) are not set: the client's settings apply.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallSpec {
    /// Values for `{name}` in the path template.
    pub path_params: Vec<(String, String)>,
    /// Query parameters (a repeated name sends an array).
    pub query: Vec<(String, String)>,
    /// Request headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Option<Body>,
    /// Derive the idempotency key from this intent.
    pub intent_id: Option<String>,
    /// Send this idempotency key verbatim.
    pub idempotency_key: Option<String>,
    /// Force the idempotency key on or off.
    pub idempotent: Option<bool>,
    /// `If-Match` (a conditional update).
    pub if_match: Option<String>,
    /// Per-attempt timeout of this call (more than 0).
    pub timeout: Option<Duration>,
    /// Overall deadline of this call (`Some(None)`: none).
    pub deadline: Option<Option<Duration>>,
    /// Retry policy of this call.
    pub retry: Option<RetrySpec>,
    /// The caller's W3C trace context (`traceparent`, `tracestate`), read
    /// from the host language's OpenTelemetry context: the call continues
    /// that trace ([`RequestBuilder::trace_context`]).
    pub trace_context: Option<(String, Option<String>)>,
}

/// Parses an HTTP method name (any case).
pub fn method(name: &str) -> Result<Method, SpecError> {
    Method::from_bytes(name.to_ascii_uppercase().as_bytes())
        .map_err(|_| SpecError::new(Opt::Method, format!("{name:?} is not a valid HTTP method")))
}

impl CallSpec {
    /// Validates the settings and applies them to `b`.
    pub fn apply(self, mut b: RequestBuilder) -> Result<RequestBuilder, SpecError> {
        for (name, value) in &self.path_params {
            b = b.path_param(name, value);
        }
        for (name, value) in &self.query {
            b = b.query(name, value);
        }
        for (name, value) in &self.headers {
            b = b.header(name, value);
        }
        b = match self.body {
            Some(Body::Json(v)) => b.json(&v),
            Some(Body::Form(v)) => b.form(&v),
            Some(Body::Raw {
                bytes,
                content_type,
            }) => b.body(bytes, &content_type),
            None => b,
        };
        if let Some(intent) = self.intent_id {
            b = b.intent_id(intent);
        }
        if let Some(key) = self.idempotency_key {
            b = b.idempotency_key(key);
        }
        if let Some(on) = self.idempotent {
            b = b.idempotent(on);
        }
        if let Some(etag) = &self.if_match {
            b = b.if_match(etag);
        }
        if let Some(t) = self.timeout {
            b = b.attempt_timeout(positive(t, Opt::Timeout)?);
        }
        if let Some(d) = self.deadline {
            b = b.deadline(d);
        }
        if let Some(retry) = &self.retry {
            b = b.retry_policy(retry.policy()?);
        }
        if let Some((traceparent, tracestate)) = &self.trace_context {
            b = b.trace_context(traceparent, tracestate.as_deref());
        }
        Ok(b)
    }

    /// Starts `method path` on `caller` and applies this spec: the request
    /// ready to send, or the refusal as the core's invalid-input error.
    pub fn prepare(
        self,
        caller: &impl Caller,
        method_name: &str,
        path: impl Into<String>,
        binding: Binding,
    ) -> Result<RequestBuilder, oncely::Error> {
        let method = method(method_name).map_err(|e| e.into_error(binding))?;
        self.apply(caller.start(method, path.into()))
            .map_err(|e| e.into_error(binding))
    }
}

/// What starts a call: a client, or a workflow step's context (whose calls
/// carry the step's idempotency key). Bindings write their verbs once over it.
pub trait Caller {
    /// A request for `method path`.
    fn start(&self, method: Method, path: String) -> RequestBuilder;
    /// The client the call goes through (operations poll with it).
    fn client(&self) -> &oncely::Client;
}

impl Caller for oncely::Client {
    fn start(&self, method: Method, path: String) -> RequestBuilder {
        self.request(method, path)
    }

    fn client(&self) -> &oncely::Client {
        self
    }
}

impl Caller for oncely::workflow::StepContext {
    fn start(&self, method: Method, path: String) -> RequestBuilder {
        self.request(method, path)
    }

    fn client(&self) -> &oncely::Client {
        oncely::workflow::StepContext::client(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> oncely::Client {
        oncely::Client::builder("http://127.0.0.1:1")
            .build()
            .unwrap()
    }

    #[test]
    fn methods_parse_in_any_case_and_bad_ones_are_named() {
        assert_eq!(method("patch").unwrap(), Method::PATCH);
        let err = method("NOT A METHOD").unwrap_err();
        assert_eq!(err.option, Opt::Method);
        assert_eq!(err.why, "\"NOT A METHOD\" is not a valid HTTP method");
    }

    #[test]
    fn a_zero_call_timeout_is_refused() {
        let spec = CallSpec {
            timeout: Some(Duration::ZERO),
            ..CallSpec::default()
        };
        let err = spec
            .prepare(&client(), "GET", "/x", Binding::Node)
            .unwrap_err();
        assert_eq!(err.to_string(), "invalid timeoutMs: it must be more than 0");
    }

    #[test]
    fn a_call_retry_policy_is_validated() {
        let spec = CallSpec {
            retry: Some(RetrySpec {
                max_attempts: Some(0),
                ..RetrySpec::default()
            }),
            ..CallSpec::default()
        };
        let err = spec
            .prepare(&client(), "POST", "/x", Binding::Python)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid max_attempts: it must be at least 1"
        );
    }

    #[test]
    fn a_bad_method_is_the_cores_invalid_input() {
        let err = CallSpec::default()
            .prepare(&client(), "BAD METHOD", "/x", Binding::Python)
            .unwrap_err();
        assert!(matches!(err, oncely::Error::InvalidInput { ref what, .. } if what == "method"));
    }
}
