//! Values crossing the boundary: client options, per-call options and
//! responses. Options are translated into the neutral specs of
//! `oncely-bindings-common`, which validates and applies them (the same rules
//! as the Python binding); only the units are decided here (milliseconds in
//! JS).

use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::{Buffer, Either};
use napi_derive::napi;
use oncely::{RequestBuilder, Response};
use oncely_bindings_common::{
    ApiKey, Binding, Body, BreakerSpec, BudgetSpec, CallSpec, Caller, ClientSpec, Opt, PollSpec,
    Proxy, RetrySpec, SpecError, Unit,
};

use crate::errors::to_napi;
/// A retry policy (`retry` in client and call options).
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct RetryOptions {
    /// Total attempts including the first (default 5).
    pub max_attempts: Option<u32>,
    /// Base of the full-jitter exponential backoff (default 100 ms).
    pub base_delay_ms: Option<f64>,
    /// Cap of the backoff (default 20 s).
    pub max_delay_ms: Option<f64>,
    /// The longest server-requested wait honoured (default 60 s).
    pub max_server_delay_ms: Option<f64>,
}

/// The retry budget (`budget` in client options).
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct BudgetOptions {
    /// Tokens the bucket holds; each retry takes one (default 100).
    pub capacity: Option<f64>,
    /// Tokens each success puts back (default 0.1).
    pub deposit: Option<f64>,
}

/// The per-host circuit breaker (`breaker` in client options).
#[napi(object)]
#[derive(Debug, Clone)]
pub struct BreakerOptions {
    /// Consecutive failures that open the circuit.
    pub threshold: Option<u32>,
    /// How long the circuit stays open before one probe.
    pub open_ms: Option<f64>,
}

/// How long-running operations are polled (`poll` in client options).
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct PollOptions {
    /// Wait between polls when the server does not say (default 1 s).
    pub interval_ms: Option<f64>,
    /// Longest wait between polls (default 60 s).
    pub max_interval_ms: Option<f64>,
    /// How long `wait()` waits in all (default 30 min).
    pub timeout_ms: Option<f64>,
    /// Wait forever (overrides `timeout_ms`).
    pub no_timeout: Option<bool>,
}

/// Client options as the JS layer passes them (already type-checked there).
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// `https://host[/prefix]`.
    pub base_url: String,
    /// `Authorization: Bearer …`.
    pub bearer: Option<String>,
    /// An API key, sent in `api_key_header`.
    pub api_key: Option<String>,
    /// The header carrying `api_key` (default `X-Api-Key`).
    pub api_key_header: Option<String>,
    /// Headers sent on every request to the API's origin, as `[name, value, …]`.
    pub headers: Option<Vec<String>>,
    /// The `User-Agent`.
    pub user_agent: Option<String>,
    /// Per-attempt timeout.
    pub timeout_ms: Option<f64>,
    /// Connect timeout.
    pub connect_timeout_ms: Option<f64>,
    /// A proxy URL for every request.
    pub proxy: Option<String>,
    /// Always connect directly (overrides `proxy` and the environment).
    pub no_proxy: Option<bool>,
    /// The largest answer body a call reads.
    pub max_response_bytes: Option<f64>,
    /// Overall deadline of a call.
    pub deadline_ms: Option<f64>,
    /// No overall deadline (overrides `deadline_ms`).
    pub no_deadline: Option<bool>,
    /// The retry policy.
    pub retry: Option<RetryOptions>,
    /// Never retry (overrides `retry`).
    pub no_retry: Option<bool>,
    /// The retry budget.
    pub budget: Option<BudgetOptions>,
    /// Unlimited retries (overrides `budget`).
    pub no_budget: Option<bool>,
    /// The circuit breaker.
    pub breaker: Option<BreakerOptions>,
    /// Lifetime of idempotency records.
    pub key_ttl_ms: Option<f64>,
    /// The header carrying idempotency keys.
    pub idempotency_header: Option<String>,
    /// Other origins allowed to receive credentials.
    pub trust_origins: Option<Vec<String>>,
    /// Operation polling.
    pub poll: Option<PollOptions>,
}

/// Per-call settings that are not on the hot path.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    /// Derive the idempotency key from this intent.
    pub intent_id: Option<String>,
    /// Use this idempotency key verbatim.
    pub idempotency_key: Option<String>,
    /// Force the idempotency key on or off.
    pub idempotent: Option<bool>,
    /// Retry policy for this call.
    pub retry: Option<RetryOptions>,
    /// Never retry this call.
    pub no_retry: Option<bool>,
    /// Per-attempt timeout for this call.
    pub timeout_ms: Option<f64>,
    /// Overall deadline for this call.
    pub deadline_ms: Option<f64>,
    /// No overall deadline for this call.
    pub no_deadline: Option<bool>,
    /// Path parameters `[name, value, …]` for `{name}` in the path template.
    pub path_params: Option<Vec<String>>,
    /// A form body (`application/x-www-form-urlencoded`) as JSON text.
    pub form_json: Option<String>,
    /// The caller's W3C `traceparent` (its active OpenTelemetry context).
    pub traceparent: Option<String>,
    /// The caller's W3C `tracestate`.
    pub tracestate: Option<String>,
}

/// A request's body: JSON or text (a string) or bytes.
pub type BodyArg = Either<String, Buffer>;

/// The core error for an option refused by the shared rules.
pub fn spec_error(error: SpecError) -> napi::Error {
    to_napi(&error.into_error(Binding::Node))
}

/// A duration from milliseconds (finite, ≥ 0), naming `option` when refused.
pub fn millis(ms: f64, option: Opt) -> Result<Duration, SpecError> {
    Unit::Millis.duration(ms, option)
}

/// `[name, value, name, value, …]` as pairs, moving the strings.
fn pairs(option: Opt, flat: Vec<String>) -> Result<Vec<(String, String)>, SpecError> {
    if !flat.len().is_multiple_of(2) {
        return Err(SpecError::new(option, "expected name/value pairs"));
    }
    let mut out = Vec::with_capacity(flat.len() / 2);
    let mut items = flat.into_iter();
    while let (Some(name), Some(value)) = (items.next(), items.next()) {
        out.push((name, value));
    }
    Ok(out)
}

/// A retry policy from JS options (settings not given keep the core's default).
pub fn retry_spec(options: &RetryOptions) -> Result<RetrySpec, SpecError> {
    Ok(RetrySpec {
        max_attempts: options.max_attempts,
        base_delay: options
            .base_delay_ms
            .map(|ms| millis(ms, Opt::RetryBaseDelay))
            .transpose()?,
        max_delay: options
            .max_delay_ms
            .map(|ms| millis(ms, Opt::RetryMaxDelay))
            .transpose()?,
        max_server_delay: options
            .max_server_delay_ms
            .map(|ms| millis(ms, Opt::RetryMaxServerDelay))
            .transpose()?,
    })
}

/// The core retry policy for JS options (workflow step retries).
pub fn retry_policy(options: &RetryOptions) -> napi::Result<oncely::RetryPolicy> {
    retry_spec(options)
        .and_then(|spec| spec.policy())
        .map_err(spec_error)
}

fn optional_millis(ms: Option<f64>, option: Opt) -> Result<Option<Duration>, SpecError> {
    ms.map(|ms| millis(ms, option)).transpose()
}

/// The neutral spec of the JS client options, with the store to use.
pub fn client_spec(
    options: ClientOptions,
    store: Arc<dyn oncely::Store>,
) -> Result<ClientSpec, SpecError> {
    let o = options;
    let mut spec = ClientSpec::new(o.base_url);
    spec.user_agent = Some(o.user_agent.unwrap_or_else(|| {
        format!(
            "oncely-node/{} node/{}",
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS
        )
    }));
    spec.bearer = o.bearer;
    spec.api_key = o.api_key.map(|value| ApiKey {
        header: o.api_key_header,
        value,
    });
    if let Some(headers) = o.headers {
        spec.headers = pairs(Opt::Headers, headers)?;
    }
    spec.timeout = optional_millis(o.timeout_ms, Opt::Timeout)?;
    spec.connect_timeout = optional_millis(o.connect_timeout_ms, Opt::ConnectTimeout)?;
    spec.proxy = if o.no_proxy == Some(true) {
        Some(Proxy::Direct)
    } else {
        o.proxy.map(Proxy::Url)
    };
    spec.max_response_bytes = o.max_response_bytes;
    spec.deadline = if o.no_deadline == Some(true) {
        Some(None)
    } else {
        optional_millis(o.deadline_ms, Opt::Deadline)?.map(Some)
    };
    spec.retry = if o.no_retry == Some(true) {
        Some(RetrySpec::never())
    } else {
        o.retry.as_ref().map(retry_spec).transpose()?
    };
    spec.budget = if o.no_budget == Some(true) {
        Some(BudgetSpec::Unlimited)
    } else {
        o.budget.map(|b| BudgetSpec::Bucket {
            capacity: b.capacity,
            deposit_per_success: b.deposit,
        })
    };
    if let Some(b) = o.breaker {
        spec.breaker = Some(BreakerSpec {
            failure_threshold: b.threshold,
            open_for: optional_millis(b.open_ms, Opt::BreakerOpenFor)?,
        });
    }
    spec.store = Some(store);
    spec.key_ttl = optional_millis(o.key_ttl_ms, Opt::KeyTtl)?;
    spec.idempotency_header = o.idempotency_header;
    spec.trusted_origins = o.trust_origins.unwrap_or_default();
    if let Some(p) = o.poll {
        spec.poll = PollSpec {
            interval: optional_millis(p.interval_ms, Opt::PollInterval)?,
            max_interval: optional_millis(p.max_interval_ms, Opt::PollMaxInterval)?,
            timeout: if p.no_timeout == Some(true) {
                Some(None)
            } else {
                optional_millis(p.timeout_ms, Opt::PollTimeout)?.map(Some)
            },
        };
    }
    Ok(spec)
}

/// Builds the core client for the JS options and a store.
pub fn build_client(
    options: ClientOptions,
    store: Arc<dyn oncely::Store>,
) -> napi::Result<oncely::Client> {
    client_spec(options, store)
        .map_err(spec_error)?
        .build(Binding::Node)
        .map_err(|e| to_napi(&e))
}

/// Everything a call carries, in the order the JS layer passes it.
pub struct CallArgs {
    /// HTTP method.
    pub method: String,
    /// Path template or absolute URL.
    pub path: String,
    /// Body (a string is sent as given, with `content_type`).
    pub body: Option<BodyArg>,
    /// Media type of the body (`application/json` when absent).
    pub content_type: Option<String>,
    /// Headers `[name, value, …]`.
    pub headers: Option<Vec<String>>,
    /// Query parameters `[name, value, …]` (repeat a name for arrays).
    pub query: Option<Vec<String>>,
    /// Rarely used settings.
    pub options: Option<CallOptions>,
}

/// The neutral spec of a call's arguments (all but method and path).
pub(crate) fn call_spec(
    body: Option<BodyArg>,
    content_type: Option<String>,
    headers: Option<Vec<String>>,
    query: Option<Vec<String>>,
    options: Option<CallOptions>,
) -> Result<CallSpec, SpecError> {
    let mut spec = CallSpec::default();
    if let Some(headers) = headers {
        spec.headers = pairs(Opt::Headers, headers)?;
    }
    if let Some(query) = query {
        spec.query = pairs(Opt::Query, query)?;
    }
    if let Some(body) = body {
        let content_type = content_type.unwrap_or_else(|| "application/json".into());
        let bytes = match body {
            Either::A(text) => oncely::Bytes::from(text),
            Either::B(bytes) => oncely::Bytes::from(bytes.to_vec()),
        };
        spec.body = Some(Body::Raw {
            bytes,
            content_type,
        });
    }
    let Some(o) = options else {
        return Ok(spec);
    };
    if let Some(params) = o.path_params {
        spec.path_params = pairs(Opt::PathParams, params)?;
    }
    if let Some(form) = &o.form_json {
        let value: serde_json::Value =
            serde_json::from_str(form).map_err(|e| SpecError::new(Opt::Form, e.to_string()))?;
        spec.body = Some(Body::Form(value));
    }
    spec.trace_context = o.traceparent.map(|parent| (parent, o.tracestate));
    spec.intent_id = o.intent_id;
    spec.idempotency_key = o.idempotency_key;
    spec.idempotent = o.idempotent;
    spec.retry = if o.no_retry == Some(true) {
        Some(RetrySpec::never())
    } else {
        o.retry.as_ref().map(retry_spec).transpose()?
    };
    spec.timeout = optional_millis(o.timeout_ms, Opt::Timeout)?;
    spec.deadline = if o.no_deadline == Some(true) {
        Some(None)
    } else {
        optional_millis(o.deadline_ms, Opt::Deadline)?.map(Some)
    };
    Ok(spec)
}

/// The request for a call on `caller` (a client, or a step's context): the
/// one request path of the binding.
pub fn prepare(caller: &impl Caller, args: CallArgs) -> napi::Result<RequestBuilder> {
    let CallArgs {
        method,
        path,
        body,
        content_type,
        headers,
        query,
        options,
    } = args;
    call_spec(body, content_type, headers, query, options)
        .map_err(spec_error)?
        .prepare(caller, &method, path, Binding::Node)
        .map_err(|e| to_napi(&e))
}

/// A response as it crosses to JavaScript. The body stays bytes; the JS layer
/// decodes it (and the headers) on demand (`json()`, `text()`, `headers`).
pub struct NativeResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers as `name\nvalue\nname\nvalue…` (names lower-case; header
    /// values never contain a line feed).
    pub headers: String,
    /// The raw body.
    pub body: oncely::Bytes,
    /// Attempts made (0 when answered from the store).
    pub attempts: u32,
    /// True when answered from the idempotency store.
    pub from_store: bool,
    /// True when the server replayed a stored answer.
    pub replayed: bool,
    /// The idempotency key the call was sent with.
    pub idempotency_key: Option<String>,
    /// The final URL.
    pub url: String,
    /// Why the core would refuse this body as JSON (a decode error payload), if it would.
    pub json_error: Option<String>,
}

/// A response as JavaScript receives it (see [`NativeResponse::into_js`]).
pub type JsResponse<'env> = (
    u32,
    u32,
    u32,
    Option<String>,
    String,
    String,
    napi::bindgen_prelude::BufferSlice<'env>,
    Option<String>,
);

/// [`NativeResponse::from_store`] and [`NativeResponse::replayed`] packed into
/// one number for the trip to JavaScript.
const FROM_STORE: u32 = 1;
/// See [`FROM_STORE`].
const REPLAYED: u32 = 2;

impl NativeResponse {
    /// Translates a core response; checks the body the way the core's
    /// `Response::json` does, so `json()` in JS fails exactly when Rust would.
    pub fn from_core(response: Response) -> Self {
        let json_error = response
            .json::<serde::de::IgnoredAny>()
            .err()
            .map(|e| crate::errors::payload(&e).to_string());
        let mut headers = String::with_capacity(256);
        for (name, value) in response.headers() {
            if !headers.is_empty() {
                headers.push('\n');
            }
            headers.push_str(name.as_str());
            headers.push('\n');
            headers.push_str(&String::from_utf8_lossy(value.as_bytes()));
        }
        NativeResponse {
            status: response.status(),
            headers,
            attempts: response.attempts(),
            from_store: response.from_store(),
            replayed: response.replayed(),
            idempotency_key: response.idempotency_key().map(str::to_string),
            url: response.url().to_string(),
            body: response.bytes().clone(),
            json_error,
        }
    }

    /// Builds the JS array `[status, attempts, flags, idempotencyKey, url,
    /// headers, body, jsonError]` on the JS thread (`flags`: 1 = from the
    /// store, 2 = replayed). An array of eight values costs a fraction of an
    /// object with named properties; `lib/client.js` reads it.
    pub fn into_js(self, env: &napi::Env) -> napi::Result<JsResponse<'_>> {
        use napi::bindgen_prelude::BufferSlice;
        let flags =
            if self.from_store { FROM_STORE } else { 0 } | if self.replayed { REPLAYED } else { 0 };
        Ok((
            u32::from(self.status),
            self.attempts,
            flags,
            self.idempotency_key,
            self.url,
            self.headers,
            BufferSlice::copy_from(env, &self.body)?,
            self.json_error,
        ))
    }
}
