//! [`ClientSpec`]: every option `Client(...)` takes in Python and Node, in
//! neutral form, validated and applied to the core's
//! [`ClientBuilder`] in one place. An option left at
//! `None` (or empty) is not set: its default is the core's.

use std::sync::Arc;
use std::time::Duration;

use oncely::{BreakerConfig, BudgetConfig, ClientBuilder, PollConfig, RetryPolicy};

use crate::naming::{Binding, Opt, SpecError};
use crate::units::positive;

/// The header an API key goes in when the user names none.
pub const DEFAULT_API_KEY_HEADER: &str = "X-Api-Key";

/// An API key credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// The header carrying it ([`DEFAULT_API_KEY_HEADER`] when `None`).
    pub header: Option<String>,
    /// The key.
    pub value: String,
}

/// How requests reach the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proxy {
    /// Through this proxy URL.
    Url(String),
    /// Always directly (the environment's proxy settings are ignored).
    Direct,
}

/// A retry policy (`retry` of a client or a call).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RetrySpec {
    /// Total attempts, the first included (at least 1).
    pub max_attempts: Option<u32>,
    /// Base of the full-jitter exponential backoff.
    pub base_delay: Option<Duration>,
    /// Cap of the backoff.
    pub max_delay: Option<Duration>,
    /// The longest `Retry-After` honoured.
    pub max_server_delay: Option<Duration>,
}

impl RetrySpec {
    /// Exactly one attempt.
    pub fn never() -> Self {
        RetrySpec {
            max_attempts: Some(1),
            ..RetrySpec::default()
        }
    }

    /// The core policy: the core's default with the given settings.
    pub fn policy(&self) -> Result<RetryPolicy, SpecError> {
        let mut policy = RetryPolicy::default();
        if let Some(n) = self.max_attempts {
            if n == 0 {
                return Err(SpecError::new(
                    Opt::RetryMaxAttempts,
                    "it must be at least 1",
                ));
            }
            policy = policy.max_attempts(n);
        }
        if let Some(d) = self.base_delay {
            policy = policy.base_delay(d);
        }
        if let Some(d) = self.max_delay {
            policy = policy.max_delay(d);
        }
        if let Some(d) = self.max_server_delay {
            policy = policy.max_server_delay(d);
        }
        Ok(policy)
    }
}

/// The retry budget shared by a client's calls.
#[derive(Debug, Clone, PartialEq)]
pub enum BudgetSpec {
    /// No budget: retries are limited by the policy only.
    Unlimited,
    /// A token bucket; settings not given keep the core's default.
    Bucket {
        /// Tokens the bucket holds (a finite number ≥ 0).
        capacity: Option<f64>,
        /// Tokens each success puts back (a finite number ≥ 0).
        deposit_per_success: Option<f64>,
    },
}

fn tokens(value: f64, option: Opt) -> Result<f64, SpecError> {
    if !value.is_finite() || value < 0.0 {
        return Err(SpecError::new(
            option,
            format!("it must be a finite number ≥ 0, got {value}"),
        ));
    }
    Ok(value)
}

impl BudgetSpec {
    /// The core setting (`None`: unlimited).
    pub fn config(&self) -> Result<Option<BudgetConfig>, SpecError> {
        match self {
            BudgetSpec::Unlimited => Ok(None),
            BudgetSpec::Bucket {
                capacity,
                deposit_per_success,
            } => {
                let mut config = BudgetConfig::default();
                if let Some(c) = capacity {
                    config.capacity = tokens(*c, Opt::BudgetCapacity)?;
                }
                if let Some(d) = deposit_per_success {
                    config.deposit_per_success = tokens(*d, Opt::BudgetDeposit)?;
                }
                Ok(Some(config))
            }
        }
    }
}

/// The per-host circuit breaker; settings not given keep the core's default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BreakerSpec {
    /// Consecutive failures that open the circuit (at least 1).
    pub failure_threshold: Option<u32>,
    /// How long the circuit stays open before one probe.
    pub open_for: Option<Duration>,
}

impl BreakerSpec {
    /// The core setting.
    pub fn config(&self) -> Result<BreakerConfig, SpecError> {
        let mut config = BreakerConfig::default();
        if let Some(n) = self.failure_threshold {
            if n == 0 {
                return Err(SpecError::new(
                    Opt::BreakerThreshold,
                    "it must be at least 1",
                ));
            }
            config.failure_threshold = n;
        }
        if let Some(d) = self.open_for {
            config.open_for = d;
        }
        Ok(config)
    }
}

/// How long-running operations are polled; settings not given keep the core's default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollSpec {
    /// Wait between polls when the server does not say (more than 0).
    pub interval: Option<Duration>,
    /// Longest wait between polls (more than 0).
    pub max_interval: Option<Duration>,
    /// How long an operation is waited for in all (`Some(None)`: forever).
    pub timeout: Option<Option<Duration>>,
}

impl PollSpec {
    fn is_empty(&self) -> bool {
        *self == PollSpec::default()
    }

    /// The core setting.
    pub fn config(&self) -> Result<PollConfig, SpecError> {
        let mut config = PollConfig::default();
        if let Some(d) = self.interval {
            config.default_interval = positive(d, Opt::PollInterval)?;
        }
        if let Some(d) = self.max_interval {
            config.max_interval = positive(d, Opt::PollMaxInterval)?;
        }
        if let Some(t) = self.timeout {
            config.timeout = t;
        }
        Ok(config)
    }
}

/// Everything a client is built from. Fill in what the user gave; build with
/// [`ClientSpec::build`].
#[derive(Clone, Default)]
pub struct ClientSpec {
    /// `https://host[/prefix]`.
    pub base_url: String,
    /// The `User-Agent` (the binding's own when the user gives none).
    pub user_agent: Option<String>,
    /// `Authorization: Bearer …`.
    pub bearer: Option<String>,
    /// An API key.
    pub api_key: Option<ApiKey>,
    /// Headers sent on every request to the API's origin.
    pub headers: Vec<(String, String)>,
    /// Per-attempt timeout (more than 0).
    pub timeout: Option<Duration>,
    /// Connect timeout (more than 0).
    pub connect_timeout: Option<Duration>,
    /// The proxy.
    pub proxy: Option<Proxy>,
    /// The largest answer body a call reads (a whole number ≥ 1).
    pub max_response_bytes: Option<f64>,
    /// Overall deadline of a call (`Some(None)`: no deadline).
    pub deadline: Option<Option<Duration>>,
    /// The retry policy.
    pub retry: Option<RetrySpec>,
    /// The retry budget.
    pub budget: Option<BudgetSpec>,
    /// The circuit breaker.
    pub breaker: Option<BreakerSpec>,
    /// The idempotency store (see [`crate::store`]).
    pub store: Option<Arc<dyn oncely::Store>>,
    /// Lifetime of idempotency records (more than 0).
    pub key_ttl: Option<Duration>,
    /// The header carrying idempotency keys.
    pub idempotency_header: Option<String>,
    /// Other origins allowed to receive credentials.
    pub trusted_origins: Vec<String>,
    /// Operation polling.
    pub poll: PollSpec,
}

impl std::fmt::Debug for ClientSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Credentials are never printed.
        f.debug_struct("ClientSpec")
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// `value` as a byte count: a whole number ≥ 1.
fn byte_limit(value: f64) -> Result<usize, SpecError> {
    if !(value.is_finite() && value >= 1.0 && value.fract() == 0.0) {
        return Err(SpecError::new(
            Opt::MaxResponseBytes,
            format!("it must be a positive whole number, got {value}"),
        ));
    }
    Ok(value.min(usize::MAX as f64) as usize)
}

impl ClientSpec {
    /// A spec for `base_url` with nothing else set.
    pub fn new(base_url: impl Into<String>) -> Self {
        ClientSpec {
            base_url: base_url.into(),
            ..ClientSpec::default()
        }
    }

    /// Validates every option and applies it to a core builder.
    pub fn apply(self) -> Result<ClientBuilder, SpecError> {
        let mut b = oncely::Client::builder(self.base_url);
        if let Some(agent) = self.user_agent {
            b = b.user_agent(agent);
        }
        if let Some(token) = self.bearer {
            b = b.bearer_token(token);
        }
        if let Some(key) = self.api_key {
            let header = key
                .header
                .unwrap_or_else(|| DEFAULT_API_KEY_HEADER.to_string());
            b = b.api_key(header, key.value);
        }
        for (name, value) in self.headers {
            b = b.default_header(name, value);
        }
        if let Some(d) = self.timeout {
            b = b.attempt_timeout(positive(d, Opt::Timeout)?);
        }
        if let Some(d) = self.connect_timeout {
            b = b.connect_timeout(positive(d, Opt::ConnectTimeout)?);
        }
        match self.proxy {
            Some(Proxy::Url(url)) => b = b.proxy(url),
            Some(Proxy::Direct) => b = b.no_proxy(),
            None => {}
        }
        if let Some(limit) = self.max_response_bytes {
            b = b.max_response_bytes(byte_limit(limit)?);
        }
        if let Some(deadline) = self.deadline {
            b = b.deadline(deadline);
        }
        if let Some(retry) = &self.retry {
            b = b.retry_policy(retry.policy()?);
        }
        if let Some(budget) = &self.budget {
            b = b.retry_budget(budget.config()?);
        }
        if let Some(breaker) = &self.breaker {
            b = b.circuit_breaker(breaker.config()?);
        }
        if let Some(store) = self.store {
            b = b.shared_store(store);
        }
        if let Some(d) = self.key_ttl {
            b = b.key_ttl(positive(d, Opt::KeyTtl)?);
        }
        if let Some(name) = self.idempotency_header {
            b = b.idempotency_header(name);
        }
        for origin in self.trusted_origins {
            b = b.trust_origin(origin);
        }
        if !self.poll.is_empty() {
            b = b.poll_config(self.poll.config()?);
        }
        Ok(b)
    }

    /// Validates, applies and builds the client. A refused option is an
    /// [`oncely::Error::InvalidInput`] naming it as `binding` spells it; the
    /// core's own checks (base URL, header names, proxy URL, …) follow.
    pub fn build(self, binding: Binding) -> Result<oncely::Client, oncely::Error> {
        self.apply().map_err(|e| e.into_error(binding))?.build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(spec: ClientSpec) -> SpecError {
        spec.apply().expect_err("the spec must be refused")
    }

    fn spec() -> ClientSpec {
        ClientSpec::new("http://127.0.0.1:1")
    }

    #[test]
    fn an_empty_spec_builds_with_the_core_defaults() {
        let client = spec().build(Binding::Python).unwrap();
        assert_eq!(client.base_url().as_str(), "http://127.0.0.1:1/");
    }

    #[test]
    fn breaker_threshold_zero_is_refused() {
        let mut s = spec();
        s.breaker = Some(BreakerSpec {
            failure_threshold: Some(0),
            open_for: None,
        });
        let err = refused(s);
        assert_eq!(
            err,
            SpecError::new(Opt::BreakerThreshold, "it must be at least 1")
        );
        let mut ok = spec();
        ok.breaker = Some(BreakerSpec {
            failure_threshold: Some(1),
            open_for: Some(Duration::from_millis(1)),
        });
        assert!(ok.apply().is_ok());
    }

    #[test]
    fn retry_max_attempts_zero_is_refused() {
        let mut s = spec();
        s.retry = Some(RetrySpec {
            max_attempts: Some(0),
            ..RetrySpec::default()
        });
        assert_eq!(
            refused(s),
            SpecError::new(Opt::RetryMaxAttempts, "it must be at least 1")
        );
        assert_eq!(RetrySpec::never().policy().unwrap().attempts(), 1);
        assert_eq!(
            RetrySpec::default().policy().unwrap().attempts(),
            RetryPolicy::default().attempts()
        );
    }

    #[test]
    fn budget_values_must_be_finite_and_not_negative() {
        for (capacity, deposit, option) in [
            (Some(-1.0), None, Opt::BudgetCapacity),
            (Some(f64::NAN), None, Opt::BudgetCapacity),
            (Some(f64::INFINITY), None, Opt::BudgetCapacity),
            (None, Some(-0.5), Opt::BudgetDeposit),
        ] {
            let budget = BudgetSpec::Bucket {
                capacity,
                deposit_per_success: deposit,
            };
            let err = budget.config().unwrap_err();
            assert_eq!(err.option, option);
            assert!(
                err.why.starts_with("it must be a finite number ≥ 0"),
                "{err}"
            );
        }
        assert_eq!(BudgetSpec::Unlimited.config(), Ok(None));
        let partial = BudgetSpec::Bucket {
            capacity: Some(5.0),
            deposit_per_success: None,
        };
        let config = partial.config().unwrap().unwrap();
        assert_eq!(config.capacity, 5.0);
        assert_eq!(
            config.deposit_per_success,
            BudgetConfig::default().deposit_per_success,
            "a setting not given keeps the core's default"
        );
    }

    #[test]
    fn zero_timeouts_and_intervals_are_refused() {
        let zero = Some(Duration::ZERO);
        type Set = Box<dyn Fn(&mut ClientSpec)>;
        let cases: Vec<(Opt, Set)> = vec![
            (Opt::Timeout, Box::new(move |s| s.timeout = zero)),
            (
                Opt::ConnectTimeout,
                Box::new(move |s| s.connect_timeout = zero),
            ),
            (Opt::KeyTtl, Box::new(move |s| s.key_ttl = zero)),
            (Opt::PollInterval, Box::new(move |s| s.poll.interval = zero)),
            (
                Opt::PollMaxInterval,
                Box::new(move |s| s.poll.max_interval = zero),
            ),
        ];
        for (option, set) in cases {
            let mut s = spec();
            set(&mut s);
            assert_eq!(refused(s), SpecError::new(option, "it must be more than 0"));
        }
        let mut s = spec();
        s.deadline = Some(Some(Duration::ZERO));
        s.poll.timeout = Some(None);
        assert!(
            s.apply().is_ok(),
            "a zero deadline and no poll timeout are allowed"
        );
    }

    #[test]
    fn max_response_bytes_must_be_a_positive_whole_number() {
        for bad in [0.0, -1.0, 1.5, f64::NAN, f64::INFINITY] {
            let mut s = spec();
            s.max_response_bytes = Some(bad);
            assert_eq!(refused(s).option, Opt::MaxResponseBytes);
        }
        let mut s = spec();
        s.max_response_bytes = Some(1024.0);
        assert!(s.apply().is_ok());
    }

    #[test]
    fn refusals_name_the_option_in_each_binding() {
        let err = SpecError::new(Opt::BreakerThreshold, "it must be at least 1");
        assert_eq!(
            err.clone().into_error(Binding::Python).to_string(),
            "invalid failure_threshold: it must be at least 1"
        );
        assert_eq!(
            err.into_error(Binding::Node).to_string(),
            "invalid breaker.threshold: it must be at least 1"
        );
    }

    #[test]
    fn core_checks_follow_the_spec_checks() {
        let err = ClientSpec::new("localhost:8080")
            .build(Binding::Node)
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid base URL \"localhost:8080\""),
            "{err}"
        );
    }
}
