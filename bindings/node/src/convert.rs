//! Values crossing the boundary: client options, per-call options and
//! responses, translated to and from the core's types. Nothing is decided here
//! beyond the units (milliseconds in JS, `Duration` in Rust).

use std::time::Duration;

use napi::bindgen_prelude::{Buffer, Either};
use napi_derive::napi;
use oncely::{
    BreakerConfig, BudgetConfig, ClientBuilder, PollConfig, RequestBuilder, Response, RetryPolicy,
};

use crate::errors::invalid_arg;

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
#[derive(Debug, Clone)]
pub struct BudgetOptions {
    /// Tokens the bucket holds; each retry takes one.
    pub capacity: f64,
    /// Tokens each success puts back.
    pub deposit: f64,
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
}

/// A request's body: JSON or text (a string) or bytes.
pub type BodyArg = Either<String, Buffer>;

/// A duration from milliseconds, refusing negative, infinite and NaN values.
pub fn duration(what: &str, ms: f64) -> napi::Result<Duration> {
    if !ms.is_finite() || ms < 0.0 {
        return Err(invalid_arg(
            what,
            format!("{ms} is not a finite number of milliseconds ≥ 0"),
        ));
    }
    Ok(Duration::from_secs_f64(ms / 1000.0))
}

fn pairs<'a>(
    what: &str,
    flat: &'a [String],
) -> napi::Result<impl Iterator<Item = (&'a str, &'a str)>> {
    if !flat.len().is_multiple_of(2) {
        return Err(invalid_arg(what, "expected name/value pairs"));
    }
    Ok(flat.chunks_exact(2).map(|c| (c[0].as_str(), c[1].as_str())))
}

/// Builds a retry policy from JS options, starting from the core's default.
pub fn retry_policy(options: &RetryOptions) -> napi::Result<RetryPolicy> {
    let mut policy = RetryPolicy::default();
    if let Some(n) = options.max_attempts {
        if n == 0 {
            return Err(invalid_arg("retry.maxAttempts", "it must be at least 1"));
        }
        policy = policy.max_attempts(n);
    }
    if let Some(ms) = options.base_delay_ms {
        policy = policy.base_delay(duration("retry.baseDelayMs", ms)?);
    }
    if let Some(ms) = options.max_delay_ms {
        policy = policy.max_delay(duration("retry.maxDelayMs", ms)?);
    }
    if let Some(ms) = options.max_server_delay_ms {
        policy = policy.max_server_delay(duration("retry.maxServerDelayMs", ms)?);
    }
    Ok(policy)
}

/// Applies the JS client options to a core builder (the store is set by the caller).
pub fn client_builder(options: &ClientOptions) -> napi::Result<ClientBuilder> {
    let mut b = oncely::Client::builder(options.base_url.clone()).user_agent(
        options.user_agent.clone().unwrap_or_else(|| {
            format!(
                "oncely-node/{} node/{}",
                env!("CARGO_PKG_VERSION"),
                std::env::consts::OS
            )
        }),
    );
    if let Some(token) = &options.bearer {
        b = b.bearer_token(token);
    }
    if let Some(key) = &options.api_key {
        b = b.api_key(
            options.api_key_header.as_deref().unwrap_or("X-Api-Key"),
            key,
        );
    }
    if let Some(headers) = &options.headers {
        for (name, value) in pairs("headers", headers)? {
            b = b.default_header(name, value);
        }
    }
    if let Some(ms) = options.timeout_ms {
        b = b.attempt_timeout(duration("timeoutMs", ms)?);
    }
    if let Some(ms) = options.connect_timeout_ms {
        b = b.connect_timeout(duration("connectTimeoutMs", ms)?);
    }
    if options.no_proxy == Some(true) {
        b = b.no_proxy();
    } else if let Some(proxy) = &options.proxy {
        b = b.proxy(proxy);
    }
    if let Some(limit) = options.max_response_bytes {
        if !(limit.is_finite() && limit >= 1.0 && limit.fract() == 0.0) {
            return Err(invalid_arg(
                "maxResponseBytes",
                format!("it must be a positive whole number, got {limit}"),
            ));
        }
        b = b.max_response_bytes(limit.min(usize::MAX as f64) as usize);
    }
    if options.no_deadline == Some(true) {
        b = b.deadline(None);
    } else if let Some(ms) = options.deadline_ms {
        b = b.deadline(Some(duration("deadlineMs", ms)?));
    }
    if options.no_retry == Some(true) {
        b = b.retry_policy(RetryPolicy::none());
    } else if let Some(retry) = &options.retry {
        b = b.retry_policy(retry_policy(retry)?);
    }
    if options.no_budget == Some(true) {
        b = b.retry_budget(None);
    } else if let Some(budget) = &options.budget {
        if !(budget.capacity.is_finite()
            && budget.capacity >= 0.0
            && budget.deposit.is_finite()
            && budget.deposit >= 0.0)
        {
            return Err(invalid_arg(
                "budget",
                "capacity and deposit must be finite numbers ≥ 0",
            ));
        }
        b = b.retry_budget(Some(BudgetConfig {
            capacity: budget.capacity,
            deposit_per_success: budget.deposit,
        }));
    }
    if let Some(breaker) = &options.breaker {
        let mut config = BreakerConfig::default();
        if let Some(n) = breaker.threshold {
            config.failure_threshold = n;
        }
        if let Some(ms) = breaker.open_ms {
            config.open_for = duration("breaker.openMs", ms)?;
        }
        b = b.circuit_breaker(config);
    }
    if let Some(ms) = options.key_ttl_ms {
        b = b.key_ttl(duration("keyTtlMs", ms)?);
    }
    if let Some(name) = &options.idempotency_header {
        b = b.idempotency_header(name);
    }
    for origin in options.trust_origins.iter().flatten() {
        b = b.trust_origin(origin);
    }
    if let Some(poll) = &options.poll {
        let mut config = PollConfig::default();
        if let Some(ms) = poll.interval_ms {
            config.default_interval = duration("poll.intervalMs", ms)?;
        }
        if let Some(ms) = poll.max_interval_ms {
            config.max_interval = duration("poll.maxIntervalMs", ms)?;
        }
        if poll.no_timeout == Some(true) {
            config.timeout = None;
        } else if let Some(ms) = poll.timeout_ms {
            config.timeout = Some(duration("poll.timeoutMs", ms)?);
        }
        b = b.poll_config(config);
    }
    Ok(b)
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

/// Builds the core request for a call.
pub fn request(client: &oncely::Client, args: CallArgs) -> napi::Result<RequestBuilder> {
    let method = method(&args.method)?;
    let rb = client.request(method, args.path.clone());
    apply(rb, args)
}

/// Parses an HTTP method.
pub fn method(name: &str) -> napi::Result<oncely::Method> {
    oncely::Method::from_bytes(name.to_ascii_uppercase().as_bytes())
        .map_err(|_| invalid_arg("method", format!("{name:?} is not an HTTP method")))
}

/// Applies everything but the method and path to a request.
pub fn apply(mut rb: RequestBuilder, args: CallArgs) -> napi::Result<RequestBuilder> {
    if let Some(headers) = &args.headers {
        for (name, value) in pairs("headers", headers)? {
            rb = rb.header(name, value);
        }
    }
    if let Some(query) = &args.query {
        for (name, value) in pairs("query", query)? {
            rb = rb.query(name, value);
        }
    }
    if let Some(body) = args.body {
        let content_type = args.content_type.as_deref().unwrap_or("application/json");
        rb = match body {
            Either::A(text) => rb.body(text.into_bytes(), content_type),
            Either::B(bytes) => rb.body(bytes.to_vec(), content_type),
        };
    }
    if let Some(o) = args.options {
        if let Some(params) = &o.path_params {
            for (name, value) in pairs("pathParams", params)? {
                rb = rb.path_param(name, value);
            }
        }
        if let Some(form) = &o.form_json {
            let value: serde_json::Value =
                serde_json::from_str(form).map_err(|e| invalid_arg("form", e.to_string()))?;
            rb = rb.form(&value);
        }
        if let Some(intent) = o.intent_id {
            rb = rb.intent_id(intent);
        }
        if let Some(key) = o.idempotency_key {
            rb = rb.idempotency_key(key);
        }
        if let Some(on) = o.idempotent {
            rb = rb.idempotent(on);
        }
        if o.no_retry == Some(true) {
            rb = rb.retry_policy(RetryPolicy::none());
        } else if let Some(retry) = &o.retry {
            rb = rb.retry_policy(retry_policy(retry)?);
        }
        if let Some(ms) = o.timeout_ms {
            rb = rb.attempt_timeout(duration("timeoutMs", ms)?);
        }
        if o.no_deadline == Some(true) {
            rb = rb.deadline(None);
        } else if let Some(ms) = o.deadline_ms {
            rb = rb.deadline(Some(duration("deadlineMs", ms)?));
        }
    }
    Ok(rb)
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
