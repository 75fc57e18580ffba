use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use http::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION};
use percent_encoding::percent_decode_str;
use url::Url;

use super::origin::Origin;
use super::poll::PollConfig;
use super::redact::redact_user_info;
use super::transport::{ProxyChoice, Transport, TransportConfig};
use super::{Client, ClientInner};
use crate::error::Error;
use crate::retry::{BreakerConfig, BudgetConfig, CircuitBreaker, RetryBudget, RetryPolicy};
use crate::store::{MemoryStore, Store};

/// The default of [`ClientBuilder::max_response_bytes`].
const DEFAULT_MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// The default header that carries idempotency keys.
pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";

/// Configures and builds a [`Client`]. Start with [`Client::builder`].
///
/// Every setting has a production default: 10 s connect timeout, 30 s per attempt,
/// a 2 min overall deadline, [`RetryPolicy::default`], a shared retry budget, a
/// per-host circuit breaker, an in-memory idempotency store and a 24 h key TTL.
pub struct ClientBuilder {
    base_url: String,
    headers: Vec<(String, String)>,
    credentials: Vec<(String, String)>,
    user_agent: String,
    connect_timeout: Duration,
    proxy: ProxyChoice,
    root_certificates: Vec<Vec<u8>>,
    attempt_timeout: Duration,
    max_response_bytes: usize,
    deadline: Option<Duration>,
    retry: RetryPolicy,
    budget: Option<BudgetConfig>,
    breaker: BreakerConfig,
    store: Arc<dyn Store>,
    key_ttl: Duration,
    key_header: String,
    trusted_origins: Vec<String>,
    poll: PollConfig,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &redact_user_info(&self.base_url))
            .field(
                "headers",
                &self.headers.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("credentials", &"<redacted>")
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    pub(crate) fn new(base_url: impl Into<String>) -> Self {
        ClientBuilder {
            base_url: base_url.into(),
            headers: Vec::new(),
            credentials: Vec::new(),
            user_agent: format!("oncely-rust/{}", env!("CARGO_PKG_VERSION")),
            connect_timeout: Duration::from_secs(10),
            proxy: ProxyChoice::default(),
            root_certificates: Vec::new(),
            attempt_timeout: Duration::from_secs(30),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            deadline: Some(Duration::from_secs(120)),
            retry: RetryPolicy::default(),
            budget: Some(BudgetConfig::default()),
            breaker: BreakerConfig::default(),
            store: Arc::new(MemoryStore::new()),
            key_ttl: Duration::from_secs(24 * 60 * 60),
            key_header: IDEMPOTENCY_KEY_HEADER.to_string(),
            trusted_origins: Vec::new(),
            poll: PollConfig::default(),
        }
    }

    /// A header sent on every request to the API's origin.
    pub fn default_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sends `Authorization: Bearer <token>`. Never logged, never sent to another origin.
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.credentials.push((
            AUTHORIZATION.as_str().to_string(),
            format!("Bearer {}", token.into()),
        ));
        self
    }

    /// Sends an API key in the header `header` (e.g. `X-Api-Key`). Never logged,
    /// never sent to another origin.
    pub fn api_key(mut self, header: impl Into<String>, key: impl Into<String>) -> Self {
        self.credentials.push((header.into(), key.into()));
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.user_agent = agent.into();
        self
    }

    /// How long establishing a connection may take.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sends every request through this proxy: `http://host:port` (a CONNECT
    /// tunnel for HTTPS, absolute-form requests for plain HTTP), `socks5://`
    /// (names resolved here) or `socks5h://` (resolved by the proxy), with
    /// credentials as `scheme://user:password@host:port`. Hosts listed in
    /// `NO_PROXY` still go direct. Without this, the client follows
    /// `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY` as curl does.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = ProxyChoice::Url(url.into());
        self
    }

    /// Connects straight to every host, whatever the proxy environment
    /// variables say.
    pub fn no_proxy(mut self) -> Self {
        self.proxy = ProxyChoice::Direct;
        self
    }

    /// Trusts the certificates in this PEM document (`-----BEGIN
    /// CERTIFICATE-----` blocks) as roots, besides the operating system's: a
    /// private certificate authority, or a test server's own certificate.
    /// Checked when the client is built.
    pub fn add_root_certificate(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.root_certificates.push(pem.as_ref().to_vec());
        self
    }

    /// How long one attempt (send and read the whole answer) may take.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// The largest answer body a call reads (default 64 MiB). A longer one —
    /// announced by `Content-Length` or found while reading — fails the call
    /// with [`Error::ResponseTooLarge`] instead of filling memory.
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// How long a whole call may take, all attempts and waits included
    /// (`None`: no overall limit).
    pub fn deadline(mut self, deadline: Option<Duration>) -> Self {
        self.deadline = deadline;
        self
    }

    /// The retry policy for every call (a call may override it).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The retry budget shared by every call (`None`: unlimited retries).
    pub fn retry_budget(mut self, budget: Option<BudgetConfig>) -> Self {
        self.budget = budget;
        self
    }

    /// The per-host circuit breaker settings.
    pub fn circuit_breaker(mut self, config: BreakerConfig) -> Self {
        self.breaker = config;
        self
    }

    /// Where idempotency records are kept (default: in memory).
    pub fn store(mut self, store: impl Store + 'static) -> Self {
        self.store = Arc::new(store);
        self
    }

    /// A store already shared with other clients.
    pub fn shared_store(mut self, store: Arc<dyn Store>) -> Self {
        self.store = store;
        self
    }

    /// How long idempotency records live (default 24 h, as most servers keep keys).
    pub fn key_ttl(mut self, ttl: Duration) -> Self {
        self.key_ttl = ttl;
        self
    }

    /// The header that carries idempotency keys (default `Idempotency-Key`).
    pub fn idempotency_header(mut self, name: impl Into<String>) -> Self {
        self.key_header = name.into();
        self
    }

    /// Another origin (`https://host[:port]`) allowed to receive the client's
    /// credentials and default headers, e.g. a status host of long-running
    /// operations. By default only the base URL's origin receives them.
    pub fn trust_origin(mut self, origin: impl Into<String>) -> Self {
        self.trusted_origins.push(origin.into());
        self
    }

    /// How long-running operations are polled.
    pub fn poll_config(mut self, poll: PollConfig) -> Self {
        self.poll = poll;
        self
    }

    /// Validates the configuration and builds the client.
    pub fn build(mut self) -> Result<Client, Error> {
        let mut base = parse_base_url(&self.base_url)?;
        // `https://user:password@host`: the password is a credential like any
        // other (trusted origins only, never printed), not part of the URL.
        if !base.username().is_empty() || base.password().is_some() {
            if self
                .credentials
                .iter()
                .any(|(name, _)| name.eq_ignore_ascii_case(AUTHORIZATION.as_str()))
            {
                return Err(Error::invalid(
                    format!("base URL {:?}", base_without_user_info(&base)),
                    "it has user info and another Authorization credential is configured",
                ));
            }
            let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
            let pair = format!(
                "{}:{}",
                decode(base.username()),
                decode(base.password().unwrap_or(""))
            );
            self.credentials.push((
                AUTHORIZATION.as_str().to_string(),
                format!("Basic {}", STANDARD.encode(pair)),
            ));
            base = base_without_user_info(&base);
        }
        let mut trusted = vec![Origin::of(&base)];
        for origin in &self.trusted_origins {
            let url = Url::parse(origin)
                .map_err(|e| Error::invalid(format!("trusted origin {origin:?}"), e.to_string()))?;
            trusted.push(Origin::of(&url));
        }
        let headers = header_map(&self.headers, "default header", false)?;
        let credentials = header_map(&self.credentials, "credential header", true)?;
        let key_header = HeaderName::try_from(self.key_header.as_str()).map_err(|e| {
            Error::invalid(
                format!("idempotency header name {:?}", self.key_header),
                e.to_string(),
            )
        })?;
        let user_agent = HeaderValue::try_from(self.user_agent.as_str()).map_err(|e| {
            Error::invalid(format!("user agent {:?}", self.user_agent), e.to_string())
        })?;
        let http = Transport::new(&TransportConfig {
            connect_timeout: self.connect_timeout,
            pool_idle_timeout: Duration::from_secs(60),
            proxy: self.proxy,
            extra_roots: self.root_certificates,
        })?;
        let mut trusted_headers = headers.clone();
        trusted_headers.extend(credentials.clone());
        let budget = self
            .budget
            .map(RetryBudget::new)
            .unwrap_or_else(RetryBudget::unlimited);
        let breaker = CircuitBreaker::new(self.breaker);
        // The budget and breaker gauges read them while the client lives.
        crate::telemetry::metrics::watch(
            base.host_str().unwrap_or_default().to_string(),
            budget.observer(),
            breaker.observer(),
        );
        Ok(Client {
            inner: Arc::new(ClientInner {
                base,
                http,
                headers,
                credentials,
                trusted_headers,
                trusted,
                attempt_timeout: self.attempt_timeout,
                max_response_bytes: self.max_response_bytes,
                deadline: self.deadline,
                retry: self.retry,
                budget,
                breaker,
                store: self.store,
                key_ttl: self.key_ttl,
                key_header,
                user_agent,
                poll: self.poll,
                last_purge_ms: std::sync::atomic::AtomicI64::new(0),
                timer_keepalive: Default::default(),
            }),
        })
    }
}

/// The URL without user name and password.
fn base_without_user_info(url: &Url) -> Url {
    let mut url = url.clone();
    // Only fails for URLs that cannot have user info, which then have none.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url
}

/// Parses and checks a base URL: absolute, `http` or `https`, with a host.
fn parse_base_url(raw: &str) -> Result<Url, Error> {
    let what = || format!("base URL {:?}", redact_user_info(raw));
    let url = Url::parse(raw).map_err(|e| {
        let hint = if !raw.contains("://") {
            " (it needs a scheme, e.g. https://)"
        } else {
            ""
        };
        Error::invalid(what(), format!("{e}{hint}"))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::invalid(
            what(),
            format!(
                "scheme {:?} is not http or https (does it lack a scheme, e.g. https://?)",
                url.scheme()
            ),
        ));
    }
    if !url.host_str().is_some_and(|host| !host.is_empty()) {
        return Err(Error::invalid(what(), "it has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::invalid(
            what(),
            "it must not have a query or fragment",
        ));
    }
    Ok(url)
}

fn header_map(pairs: &[(String, String)], what: &str, sensitive: bool) -> Result<HeaderMap, Error> {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        let header = HeaderName::try_from(name.as_str())
            .map_err(|e| Error::invalid(format!("{what} name {name:?}"), e.to_string()))?;
        let mut value = HeaderValue::try_from(value.as_str())
            // The value may be a secret: name the header, never echo the value.
            .map_err(|e| Error::invalid(format!("{what} {name:?} value"), e.to_string()))?;
        value.set_sensitive(sensitive || super::redact::is_sensitive_header(&header));
        map.append(header, value);
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(base: &str) -> String {
        Client::builder(base).build().unwrap_err().to_string()
    }

    #[test]
    fn base_url_errors_name_the_problem() {
        assert!(
            err("localhost:8080").contains("not http or https"),
            "{}",
            err("localhost:8080")
        );
        assert!(
            err("api.example.com/v1").contains("needs a scheme"),
            "{}",
            err("api.example.com/v1")
        );
        assert!(err("ftp://example.com").contains("not http or https"));
        assert!(err("https://example.com/?a=1").contains("query"));
        assert!(err("").contains("base URL \"\""));
        assert!(Client::builder("https://api.example.com/v1")
            .build()
            .is_ok());
    }

    #[test]
    fn bad_headers_are_typed_errors_without_the_secret() {
        let e = Client::builder("https://a.example")
            .bearer_token("se\ncret")
            .build()
            .unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }));
        assert!(!e.to_string().contains("se\ncret"));
        let e = Client::builder("https://a.example")
            .default_header("bad header", "x")
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("bad header"), "{e}");
    }

    #[test]
    fn user_info_in_the_base_url_becomes_a_credential() {
        let c = Client::builder("https://user:s3cr%40t@api.example.com/v1")
            .build()
            .unwrap();
        assert_eq!(c.base_url().as_str(), "https://api.example.com/v1");
        let auth = c.inner.credentials.get(AUTHORIZATION).unwrap();
        assert!(auth.is_sensitive());
        // base64("user:s3cr@t")
        assert_eq!(auth.to_str().unwrap(), "Basic dXNlcjpzM2NyQHQ=");
        for text in [
            format!("{c:?}"),
            format!(
                "{:?}",
                Client::builder("https://user:s3cr%40t@api.example.com")
            ),
            Client::builder("https://user:s3cr%40t@api.example.com/?q=1")
                .build()
                .unwrap_err()
                .to_string(),
        ] {
            assert!(!text.contains("s3cr"), "{text}");
        }
        let e = Client::builder("https://user:pw@api.example.com")
            .bearer_token("t")
            .build()
            .unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
    }

    #[test]
    fn debug_output_redacts_credentials() {
        let b = Client::builder("https://a.example")
            .bearer_token("sk_live_123")
            .api_key("X-Api-Key", "k_456");
        assert!(!format!("{b:?}").contains("sk_live_123"));
        let c = b.build().unwrap();
        let text = format!("{c:?}");
        assert!(
            !text.contains("sk_live_123") && !text.contains("k_456"),
            "{text}"
        );
    }
}
