//! Client configuration: `oncely.RetryPolicy`, `oncely.RetryBudget`,
//! `oncely.CircuitBreaker` and the keyword arguments of `Client(...)`.
//!
//! Every option left out keeps the Rust core's default; the binding only
//! translates what the caller gave.

use std::time::Duration;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict};

use crate::convert::{optional_limit, seconds, str_pairs, type_name};
use crate::errors::core_error;
use crate::store;

/// How many times a call is tried and how long to wait in between
/// (full-jitter exponential backoff; the server's `Retry-After` wins).
#[pyclass(module = "oncely", name = "RetryPolicy", frozen)]
#[derive(Clone)]
pub struct PyRetryPolicy {
    pub inner: oncely::RetryPolicy,
    base_delay: f64,
    max_delay: f64,
}

#[pymethods]
impl PyRetryPolicy {
    #[new]
    #[pyo3(signature = (*, max_attempts=None, base_delay=None, max_delay=None, max_server_delay=None))]
    fn new(
        max_attempts: Option<u32>,
        base_delay: Option<f64>,
        max_delay: Option<f64>,
        max_server_delay: Option<f64>,
    ) -> PyResult<Self> {
        let defaults = oncely::RetryPolicy::default();
        let mut inner = defaults.clone();
        if let Some(n) = max_attempts {
            if n == 0 {
                return Err(PyValueError::new_err("max_attempts must be at least 1"));
            }
            inner = inner.max_attempts(n);
        }
        let base = match base_delay {
            Some(s) => seconds(s, "base_delay")?,
            None => defaults.backoff_ceiling(0),
        };
        let cap = match max_delay {
            Some(s) => seconds(s, "max_delay")?,
            None => defaults.backoff_ceiling(u32::MAX),
        };
        inner = inner.base_delay(base).max_delay(cap);
        if let Some(s) = max_server_delay {
            inner = inner.max_server_delay(seconds(s, "max_server_delay")?);
        }
        Ok(PyRetryPolicy {
            inner,
            base_delay: base.as_secs_f64(),
            max_delay: cap.as_secs_f64(),
        })
    }

    /// A policy that makes exactly one attempt.
    #[staticmethod]
    fn none() -> Self {
        let inner = oncely::RetryPolicy::none();
        PyRetryPolicy {
            base_delay: inner.backoff_ceiling(0).as_secs_f64(),
            max_delay: inner.backoff_ceiling(u32::MAX).as_secs_f64(),
            inner,
        }
    }

    /// Total attempts, the first included.
    #[getter]
    fn max_attempts(&self) -> u32 {
        self.inner.attempts()
    }

    /// The base of the exponential schedule (seconds).
    #[getter]
    fn base_delay(&self) -> f64 {
        self.base_delay
    }

    /// The cap of the exponential schedule (seconds).
    #[getter]
    fn max_delay(&self) -> f64 {
        self.max_delay
    }

    /// The longest `Retry-After` honoured (seconds).
    #[getter]
    fn max_server_delay(&self) -> f64 {
        self.inner.server_delay_limit().as_secs_f64()
    }

    fn __repr__(&self) -> String {
        format!(
            "RetryPolicy(max_attempts={}, base_delay={}, max_delay={}, max_server_delay={})",
            self.max_attempts(),
            self.base_delay,
            self.max_delay,
            self.max_server_delay()
        )
    }
}

/// The retry budget shared by a client's calls (a token bucket).
#[pyclass(module = "oncely", name = "RetryBudget", frozen)]
#[derive(Clone)]
pub struct PyRetryBudget {
    pub inner: oncely::BudgetConfig,
}

#[pymethods]
impl PyRetryBudget {
    #[new]
    #[pyo3(signature = (*, capacity=None, deposit_per_success=None))]
    fn new(capacity: Option<f64>, deposit_per_success: Option<f64>) -> PyResult<Self> {
        let mut inner = oncely::BudgetConfig::default();
        if let Some(c) = capacity {
            if c.is_nan() || c < 0.0 {
                return Err(PyValueError::new_err(
                    "capacity must be a non-negative number",
                ));
            }
            inner.capacity = c;
        }
        if let Some(d) = deposit_per_success {
            if d.is_nan() || d < 0.0 {
                return Err(PyValueError::new_err(
                    "deposit_per_success must be a non-negative number",
                ));
            }
            inner.deposit_per_success = d;
        }
        Ok(PyRetryBudget { inner })
    }

    #[getter]
    fn capacity(&self) -> f64 {
        self.inner.capacity
    }

    #[getter]
    fn deposit_per_success(&self) -> f64 {
        self.inner.deposit_per_success
    }

    fn __repr__(&self) -> String {
        format!(
            "RetryBudget(capacity={}, deposit_per_success={})",
            self.inner.capacity, self.inner.deposit_per_success
        )
    }
}

/// The per-host circuit breaker settings.
#[pyclass(module = "oncely", name = "CircuitBreaker", frozen)]
#[derive(Clone)]
pub struct PyCircuitBreaker {
    pub inner: oncely::BreakerConfig,
}

#[pymethods]
impl PyCircuitBreaker {
    #[new]
    #[pyo3(signature = (*, failure_threshold=None, open_for=None))]
    fn new(failure_threshold: Option<u32>, open_for: Option<f64>) -> PyResult<Self> {
        let mut inner = oncely::BreakerConfig::default();
        if let Some(n) = failure_threshold {
            if n == 0 {
                return Err(PyValueError::new_err(
                    "failure_threshold must be at least 1",
                ));
            }
            inner.failure_threshold = n;
        }
        if let Some(s) = open_for {
            inner.open_for = seconds(s, "open_for")?;
        }
        Ok(PyCircuitBreaker { inner })
    }

    #[getter]
    fn failure_threshold(&self) -> u32 {
        self.inner.failure_threshold
    }

    #[getter]
    fn open_for(&self) -> f64 {
        self.inner.open_for.as_secs_f64()
    }

    fn __repr__(&self) -> String {
        format!(
            "CircuitBreaker(failure_threshold={}, open_for={})",
            self.inner.failure_threshold,
            self.inner.open_for.as_secs_f64()
        )
    }
}

/// The keyword arguments `Client` and `AsyncClient` accept.
const CLIENT_OPTIONS: &[&str] = &[
    "api_key",
    "api_key_header",
    "bearer",
    "headers",
    "timeout",
    "connect_timeout",
    "proxy",
    "deadline",
    "retry",
    "retry_budget",
    "circuit_breaker",
    "store",
    "idempotency_header",
    "key_ttl",
    "user_agent",
    "trusted_origins",
    "max_response_bytes",
    "poll_interval",
    "poll_max_interval",
    "poll_timeout",
];

/// Builds a core client from `Client(base_url, **options)`.
pub fn build_client(
    py: Python<'_>,
    base_url: &str,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<oncely::Client> {
    let mut builder = oncely::Client::builder(base_url)
        .user_agent(format!("oncely-python/{}", env!("CARGO_PKG_VERSION")));
    let mut poll = oncely::PollConfig::default();
    let Some(options) = options else {
        return builder.build().map_err(|e| core_error(py, e));
    };
    let mut api_key: Option<String> = None;
    let mut api_key_header = "X-Api-Key".to_string();
    for (key, value) in options.iter() {
        let name: String = key.extract()?;
        if value.is_none() {
            // `None` keeps the default of every option.
            if !CLIENT_OPTIONS.contains(&name.as_str()) {
                return Err(unknown_option("Client", &name, CLIENT_OPTIONS));
            }
            continue;
        }
        match name.as_str() {
            "api_key" => api_key = Some(extract_str(&value, "api_key")?),
            "api_key_header" => api_key_header = extract_str(&value, "api_key_header")?,
            "bearer" => builder = builder.bearer_token(extract_str(&value, "bearer")?),
            "headers" => {
                for (k, v) in str_pairs(&value, "headers")? {
                    builder = builder.default_header(k, v);
                }
            }
            "timeout" => builder = builder.attempt_timeout(positive(&value, "timeout")?),
            "connect_timeout" => {
                builder = builder.connect_timeout(positive(&value, "connect_timeout")?)
            }
            "proxy" => {
                if let Ok(flag) = value.cast::<PyBool>() {
                    if flag.is_true() {
                        return Err(PyTypeError::new_err(
                            "proxy must be a URL (str) or False, not True",
                        ));
                    }
                    builder = builder.no_proxy();
                } else {
                    builder = builder.proxy(extract_str(&value, "proxy")?);
                }
            }
            "deadline" => builder = builder.deadline(limit(&value, "deadline")?),
            "retry" => builder = builder.retry_policy(retry_arg(&value)?),
            "retry_budget" => {
                if let Ok(flag) = value.cast::<PyBool>() {
                    if !flag.is_true() {
                        builder = builder.retry_budget(None);
                    }
                } else {
                    let budget = value.cast::<PyRetryBudget>().map_err(|_| {
                        PyTypeError::new_err(format!(
                            "retry_budget must be an oncely.RetryBudget or False, not {}",
                            type_name(&value)
                        ))
                    })?;
                    builder = builder.retry_budget(Some(budget.get().inner));
                }
            }
            "circuit_breaker" => {
                let breaker = value.cast::<PyCircuitBreaker>().map_err(|_| {
                    PyTypeError::new_err(format!(
                        "circuit_breaker must be an oncely.CircuitBreaker, not {}",
                        type_name(&value)
                    ))
                })?;
                builder = builder.circuit_breaker(breaker.get().inner);
            }
            "store" => builder = builder.shared_store(store::from_arg(&value)?.inner),
            "idempotency_header" => {
                builder = builder.idempotency_header(extract_str(&value, "idempotency_header")?)
            }
            "key_ttl" => builder = builder.key_ttl(positive(&value, "key_ttl")?),
            "user_agent" => builder = builder.user_agent(extract_str(&value, "user_agent")?),
            "max_response_bytes" => {
                let limit: usize =
                    value
                        .extract()
                        .ok()
                        .filter(|n: &usize| *n > 0)
                        .ok_or_else(|| {
                            PyValueError::new_err(format!(
                                "max_response_bytes must be a positive int, not {}",
                                value.repr().map(|r| r.to_string()).unwrap_or_default()
                            ))
                        })?;
                builder = builder.max_response_bytes(limit);
            }
            "trusted_origins" => {
                let origins: Vec<String> = value.extract().map_err(|_| {
                    PyTypeError::new_err(
                        "trusted_origins must be a list of str (\"https://host[:port]\")",
                    )
                })?;
                for origin in origins {
                    builder = builder.trust_origin(origin);
                }
            }
            "poll_interval" => poll.default_interval = positive(&value, "poll_interval")?,
            "poll_max_interval" => poll.max_interval = positive(&value, "poll_max_interval")?,
            "poll_timeout" => poll.timeout = limit(&value, "poll_timeout")?,
            other => return Err(unknown_option("Client", other, CLIENT_OPTIONS)),
        }
    }
    if let Some(key) = api_key {
        builder = builder.api_key(api_key_header, key);
    }
    builder
        .poll_config(poll)
        .build()
        .map_err(|e| core_error(py, e))
}

/// `TypeError` for a keyword argument that does not exist.
pub fn unknown_option(owner: &str, name: &str, known: &[&str]) -> PyErr {
    PyTypeError::new_err(format!(
        "{owner}() got an unexpected keyword argument '{name}' (accepted: {})",
        known.join(", ")
    ))
}

/// A `str` argument.
pub fn extract_str(value: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    value
        .extract()
        .map_err(|_| PyTypeError::new_err(format!("{what} must be str, not {}", type_name(value))))
}

fn number(value: &Bound<'_, PyAny>, what: &str) -> PyResult<f64> {
    if value.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "{what} must be a number of seconds, not bool"
        )));
    }
    value.extract::<f64>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{what} must be a number of seconds, not {}",
            type_name(value)
        ))
    })
}

/// A positive number of seconds.
pub fn positive(value: &Bound<'_, PyAny>, what: &str) -> PyResult<Duration> {
    let d = seconds(number(value, what)?, what)?;
    if d.is_zero() {
        return Err(PyValueError::new_err(format!(
            "{what} must be more than 0 seconds"
        )));
    }
    Ok(d)
}

/// Seconds, where `math.inf` means "no limit".
pub fn limit(value: &Bound<'_, PyAny>, what: &str) -> PyResult<Option<Duration>> {
    optional_limit(number(value, what)?, what)
}

/// A `retry=` argument: an `oncely.RetryPolicy`, or an `int` of attempts.
pub fn retry_arg(value: &Bound<'_, PyAny>) -> PyResult<oncely::RetryPolicy> {
    if let Ok(policy) = value.cast::<PyRetryPolicy>() {
        return Ok(policy.get().inner.clone());
    }
    if !value.is_instance_of::<PyBool>() {
        if let Ok(attempts) = value.extract::<u32>() {
            if attempts == 0 {
                return Err(PyValueError::new_err(
                    "retry as a number of attempts must be at least 1",
                ));
            }
            return Ok(oncely::RetryPolicy::default().max_attempts(attempts));
        }
    }
    Err(PyTypeError::new_err(format!(
        "retry must be an oncely.RetryPolicy or a number of attempts, not {}",
        type_name(value)
    )))
}
