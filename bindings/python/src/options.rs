//! Client configuration: `oncely.RetryPolicy`, `oncely.RetryBudget`,
//! `oncely.CircuitBreaker` and the keyword arguments of `Client(...)`.
//!
//! Every option left out keeps the Rust core's default; the binding only
//! translates what the caller gave into the shared `ClientSpec`, which
//! validates it by the rules both bindings share.

use std::time::Duration;

use oncely_bindings_common::{
    ApiKey, BreakerSpec, BudgetSpec, ClientSpec, Opt, Proxy, RetrySpec, Unit,
};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt};

use crate::convert::{str_pairs, type_name};
use crate::errors::{core_error, spec_error};
use crate::store;

/// How many times a call is tried and how long to wait in between
/// (full-jitter exponential backoff; the server's `Retry-After` wins).
#[pyclass(module = "oncely", name = "RetryPolicy", frozen)]
#[derive(Clone)]
pub struct PyRetryPolicy {
    pub spec: RetrySpec,
    pub inner: oncely::RetryPolicy,
    base_delay: f64,
    max_delay: f64,
}

/// Seconds for `option` (`None` when not given).
fn optional_seconds(value: Option<f64>, option: Opt) -> PyResult<Option<Duration>> {
    value
        .map(|s| Unit::Seconds.duration(s, option))
        .transpose()
        .map_err(spec_error)
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
        let spec = RetrySpec {
            max_attempts,
            base_delay: optional_seconds(base_delay, Opt::RetryBaseDelay)?,
            max_delay: optional_seconds(max_delay, Opt::RetryMaxDelay)?,
            max_server_delay: optional_seconds(max_server_delay, Opt::RetryMaxServerDelay)?,
        };
        Self::from_spec(spec)
    }

    /// A policy that makes exactly one attempt.
    #[staticmethod]
    fn none() -> PyResult<Self> {
        Self::from_spec(RetrySpec::never())
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

impl PyRetryPolicy {
    /// The policy for `spec`, validated.
    pub fn from_spec(spec: RetrySpec) -> PyResult<Self> {
        let inner = spec.policy().map_err(spec_error)?;
        let defaults = oncely::RetryPolicy::default();
        let base = spec
            .base_delay
            .unwrap_or_else(|| defaults.backoff_ceiling(0));
        let cap = spec
            .max_delay
            .unwrap_or_else(|| defaults.backoff_ceiling(u32::MAX));
        Ok(PyRetryPolicy {
            base_delay: base.as_secs_f64(),
            max_delay: cap.as_secs_f64(),
            spec,
            inner,
        })
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
        let spec = BudgetSpec::Bucket {
            capacity,
            deposit_per_success,
        };
        let inner = spec.config().map_err(spec_error)?.unwrap_or_default();
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
        let spec = BreakerSpec {
            failure_threshold,
            open_for: optional_seconds(open_for, Opt::BreakerOpenFor)?,
        };
        let inner = spec.config().map_err(spec_error)?;
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
    let spec = client_spec(base_url, options)?;
    spec.build(oncely_bindings_common::Binding::Python)
        .map_err(|e| core_error(py, e))
}

/// The shared spec of `Client(base_url, **options)`; `None` keeps a default.
fn client_spec(base_url: &str, options: Option<&Bound<'_, PyDict>>) -> PyResult<ClientSpec> {
    let mut spec = ClientSpec::new(base_url);
    spec.user_agent = Some(format!("oncely-python/{}", env!("CARGO_PKG_VERSION")));
    let Some(options) = options else {
        return Ok(spec);
    };
    let mut api_key: Option<String> = None;
    let mut api_key_header: Option<String> = None;
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
            "api_key_header" => api_key_header = Some(extract_str(&value, "api_key_header")?),
            "bearer" => spec.bearer = Some(extract_str(&value, "bearer")?),
            "headers" => spec.headers = str_pairs(&value, "headers")?,
            "timeout" => spec.timeout = Some(duration(&value, Opt::Timeout)?),
            "connect_timeout" => {
                spec.connect_timeout = Some(duration(&value, Opt::ConnectTimeout)?)
            }
            "proxy" => {
                if let Ok(flag) = value.cast::<PyBool>() {
                    if flag.is_true() {
                        return Err(PyTypeError::new_err(
                            "proxy must be a URL (str) or False, not True",
                        ));
                    }
                    spec.proxy = Some(Proxy::Direct);
                } else {
                    spec.proxy = Some(Proxy::Url(extract_str(&value, "proxy")?));
                }
            }
            "deadline" => spec.deadline = Some(limit(&value, Opt::Deadline)?),
            "retry" => spec.retry = Some(retry_arg(&value)?),
            "retry_budget" => {
                if let Ok(flag) = value.cast::<PyBool>() {
                    if !flag.is_true() {
                        spec.budget = Some(BudgetSpec::Unlimited);
                    }
                } else {
                    let budget = value.cast::<PyRetryBudget>().map_err(|_| {
                        PyTypeError::new_err(format!(
                            "retry_budget must be an oncely.RetryBudget or False, not {}",
                            type_name(&value)
                        ))
                    })?;
                    let config = budget.get().inner;
                    spec.budget = Some(BudgetSpec::Bucket {
                        capacity: Some(config.capacity),
                        deposit_per_success: Some(config.deposit_per_success),
                    });
                }
            }
            "circuit_breaker" => {
                let breaker = value.cast::<PyCircuitBreaker>().map_err(|_| {
                    PyTypeError::new_err(format!(
                        "circuit_breaker must be an oncely.CircuitBreaker, not {}",
                        type_name(&value)
                    ))
                })?;
                let config = breaker.get().inner;
                spec.breaker = Some(BreakerSpec {
                    failure_threshold: Some(config.failure_threshold),
                    open_for: Some(config.open_for),
                });
            }
            "store" => spec.store = Some(store::from_arg(&value)?.inner),
            "idempotency_header" => {
                spec.idempotency_header = Some(extract_str(&value, "idempotency_header")?)
            }
            "key_ttl" => spec.key_ttl = Some(duration(&value, Opt::KeyTtl)?),
            "user_agent" => spec.user_agent = Some(extract_str(&value, "user_agent")?),
            "max_response_bytes" => {
                if value.is_instance_of::<PyBool>() || !value.is_instance_of::<PyInt>() {
                    return Err(PyTypeError::new_err(format!(
                        "max_response_bytes must be an int, not {}",
                        type_name(&value)
                    )));
                }
                spec.max_response_bytes = Some(value.extract::<f64>()?);
            }
            "trusted_origins" => {
                spec.trusted_origins = value.extract().map_err(|_| {
                    PyTypeError::new_err(
                        "trusted_origins must be a list of str (\"https://host[:port]\")",
                    )
                })?;
            }
            "poll_interval" => spec.poll.interval = Some(duration(&value, Opt::PollInterval)?),
            "poll_max_interval" => {
                spec.poll.max_interval = Some(duration(&value, Opt::PollMaxInterval)?)
            }
            "poll_timeout" => spec.poll.timeout = Some(limit(&value, Opt::PollTimeout)?),
            other => return Err(unknown_option("Client", other, CLIENT_OPTIONS)),
        }
    }
    spec.api_key = api_key.map(|value| ApiKey {
        header: api_key_header,
        value,
    });
    Ok(spec)
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

fn number(value: &Bound<'_, PyAny>, option: Opt) -> PyResult<f64> {
    let what = option.name(oncely_bindings_common::Binding::Python);
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

/// A number of seconds (its range is checked by the shared rules).
pub fn duration(value: &Bound<'_, PyAny>, option: Opt) -> PyResult<Duration> {
    Unit::Seconds
        .duration(number(value, option)?, option)
        .map_err(spec_error)
}

/// Seconds, where `math.inf` means "no limit".
pub fn limit(value: &Bound<'_, PyAny>, option: Opt) -> PyResult<Option<Duration>> {
    Unit::Seconds
        .limit(number(value, option)?, option)
        .map_err(spec_error)
}

/// A `retry=` argument: an `oncely.RetryPolicy`, or an `int` of attempts.
pub fn retry_arg(value: &Bound<'_, PyAny>) -> PyResult<RetrySpec> {
    if let Ok(policy) = value.cast::<PyRetryPolicy>() {
        return Ok(policy.get().spec.clone());
    }
    if !value.is_instance_of::<PyBool>() {
        if let Ok(attempts) = value.extract::<u32>() {
            return Ok(RetrySpec {
                max_attempts: Some(attempts),
                ..RetrySpec::default()
            });
        }
    }
    Err(PyTypeError::new_err(format!(
        "retry must be an oncely.RetryPolicy or a number of attempts, not {}",
        type_name(value)
    )))
}
