//! The client: configuration, request building and the request pipeline.
//!
//! - [`ClientBuilder`] (`builder`) configures a [`Client`]; [`PollConfig`]
//!   (`poll`) is its setting for long-running operations.
//! - [`RequestBuilder`] (`request`) collects one call in place and renders its
//!   URL when it is sent; `body` encodes form and multipart bodies.
//! - `pipeline` runs the call in stages, each a module of its own: the
//!   idempotency stage (key, store record, stored replay), the retry loop
//!   (deadline, circuit breaker, the retry classifier, budget), the
//!   credentials stage (only to trusted origins, `origin`), one transport
//!   attempt (`transport`) and the mapping of the final answer to a
//!   [`Response`] or an error.
//! - `redact` keeps secrets out of `Debug` output and logs;
//!   `timer_keepalive` keeps attempt timeouts cheap.
//!
//! `client` depends on nothing above it: long-running operations
//! ([`crate::operation`]) and workflows are built on it, not into it.

mod body;
mod builder;
mod origin;
mod pipeline;
mod poll;
mod redact;
mod request;
mod response;
mod timer_keepalive;
mod transport;

pub use body::Multipart;
pub use builder::{ClientBuilder, IDEMPOTENCY_KEY_HEADER};
pub use poll::PollConfig;
pub use redact::is_sensitive_header;
pub use request::RequestBuilder;
pub use response::Response;

pub(crate) use pipeline::{open_stream, Call, Opened};
pub(crate) use redact::is_secret_word;

use std::sync::atomic::AtomicI64;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue, Method};
use url::Url;

use crate::retry::{CircuitBreaker, RetryBudget, RetryPolicy};
use crate::store::Store;
use origin::Origin;

/// A client for one API. Cheap to clone: clones share the connection pool, the
/// retry budget, the circuit breaker and the idempotency store.
///
/// ```no_run
/// # async fn run() -> Result<(), oncely::Error> {
/// let client = oncely::Client::builder("https://api.example.com").bearer_token("sk_test").build()?;
/// let order: serde_json::Value = client
///     .post("/orders")
///     .json(&serde_json::json!({"sku": "A-1", "quantity": 2}))
///     .intent_id("cart-8812")          // same intent, same key, even after a restart
///     .send_json()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<ClientInner>,
}

struct ClientInner {
    base: Url,
    http: transport::Transport,
    headers: HeaderMap,
    credentials: HeaderMap,
    /// Default headers then credentials, merged once: what a trusted origin gets.
    trusted_headers: HeaderMap,
    trusted: Vec<Origin>,
    attempt_timeout: Duration,
    max_response_bytes: usize,
    deadline: Option<Duration>,
    retry: RetryPolicy,
    budget: RetryBudget,
    breaker: CircuitBreaker,
    store: Arc<dyn Store>,
    key_ttl: Duration,
    key_header: HeaderName,
    /// Sent with every request that does not set its own.
    user_agent: HeaderValue,
    poll: PollConfig,
    /// When expired idempotency records were last purged (Unix ms).
    last_purge_ms: AtomicI64,
    /// Keeps attempt timeouts from waking the time driver (see the module).
    timer_keepalive: timer_keepalive::TimerKeepalive,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base.as_str())
            .field(
                "default_headers",
                &self.inner.headers.keys().collect::<Vec<_>>(),
            )
            .field(
                "credentials",
                &self.inner.credentials.keys().collect::<Vec<_>>(),
            )
            .field("retry", &self.inner.retry)
            .field("store", &self.inner.store)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts configuring a client for the API at `base_url` (`https://host/prefix`).
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(base_url)
    }

    /// A request with any method. `path` is a template relative to the base URL
    /// (`/orders/{order_id}`; fill it with [`RequestBuilder::path_param`]) or an
    /// absolute `http(s)://` URL.
    pub fn request(&self, method: Method, path: impl Into<String>) -> RequestBuilder {
        RequestBuilder::new(self.clone(), method, path.into())
    }

    /// A request to an absolute URL taken verbatim (no template rendering).
    pub(crate) fn request_url(&self, method: Method, url: Url) -> RequestBuilder {
        RequestBuilder::to_url(self.clone(), method, url)
    }

    /// A `GET` request.
    pub fn get(&self, path: impl Into<String>) -> RequestBuilder {
        self.request(Method::GET, path)
    }

    /// A `POST` request (sent with an idempotency key).
    pub fn post(&self, path: impl Into<String>) -> RequestBuilder {
        self.request(Method::POST, path)
    }

    /// A `PUT` request.
    pub fn put(&self, path: impl Into<String>) -> RequestBuilder {
        self.request(Method::PUT, path)
    }

    /// A `PATCH` request (sent with an idempotency key).
    pub fn patch(&self, path: impl Into<String>) -> RequestBuilder {
        self.request(Method::PATCH, path)
    }

    /// A `DELETE` request.
    pub fn delete(&self, path: impl Into<String>) -> RequestBuilder {
        self.request(Method::DELETE, path)
    }

    /// The base URL every relative path is resolved against.
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// The idempotency store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// The retry budget shared by this client's calls.
    pub fn retry_budget(&self) -> &RetryBudget {
        &self.inner.budget
    }

    /// The per-host circuit breaker shared by this client's calls.
    pub fn circuit_breaker(&self) -> &CircuitBreaker {
        &self.inner.breaker
    }

    /// The client's retry policy (a call may override it).
    pub(crate) fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// The polling settings of long-running operations.
    pub fn poll_config(&self) -> &PollConfig {
        &self.inner.poll
    }

    /// True when `url` has the base URL's origin (scheme, host and port).
    pub(crate) fn is_base_origin(&self, url: &Url) -> bool {
        Origin::of(&self.inner.base).matches(url)
    }

    /// True when `url` may receive credentials and default headers.
    pub(crate) fn is_trusted(&self, url: &Url) -> bool {
        self.inner.trusted.iter().any(|origin| origin.matches(url))
    }
}
