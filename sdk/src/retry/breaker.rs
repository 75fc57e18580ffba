use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// Settings of a [`CircuitBreaker`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Consecutive failures that open the circuit for a host.
    pub failure_threshold: u32,
    /// How long the circuit stays open before one probe request is let through.
    pub open_for: Duration,
}

impl Default for BreakerConfig {
    /// Open after 10 consecutive failures, probe after 5 s.
    fn default() -> Self {
        BreakerConfig {
            failure_threshold: 10,
            open_for: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum HostState {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen { probe_started: Instant },
}

/// A per-host circuit breaker shared by every call of one client.
///
/// After `failure_threshold` consecutive failures (connect errors, timeouts,
/// 500/502/503/504) calls to that host fail fast with
/// [`crate::Error::CircuitOpen`] for `open_for`; then a single probe is let
/// through: its success closes the circuit, its failure opens it again.
#[derive(Debug, Clone)]
pub struct CircuitBreaker {
    config: BreakerConfig,
    hosts: Arc<Mutex<HashMap<String, HostState>>>,
}

/// The state of `host`'s circuit, created closed on first use (the host name
/// is copied only then, not on every call). Always `Some`.
fn state_of<'a>(
    hosts: &'a mut HashMap<String, HostState>,
    host: &str,
) -> Option<&'a mut HostState> {
    if !hosts.contains_key(host) {
        hosts.insert(host.to_string(), HostState::Closed { failures: 0 });
    }
    hosts.get_mut(host)
}

impl CircuitBreaker {
    /// A breaker with every circuit closed.
    pub fn new(config: BreakerConfig) -> Self {
        CircuitBreaker {
            config,
            hosts: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Asks to send a request to `host`. `Err(retry_in)` while the circuit is open.
    pub fn acquire(&self, host: &str) -> Result<(), Duration> {
        let mut hosts = self.lock();
        let Some(state) = state_of(&mut hosts, host) else {
            return Ok(());
        };
        if let HostState::Closed { .. } = state {
            return Ok(());
        }
        let now = Instant::now();
        match *state {
            HostState::Closed { .. } => Ok(()),
            HostState::Open { until } if now < until => Err(until - now),
            HostState::Open { .. } => {
                *state = HostState::HalfOpen { probe_started: now };
                Ok(())
            }
            HostState::HalfOpen { probe_started } => {
                // A probe that never reported back (its caller gave up) must not
                // wedge the circuit: after another `open_for`, allow a new probe.
                let stale_at = later(probe_started, self.config.open_for);
                if now >= stale_at {
                    *state = HostState::HalfOpen { probe_started: now };
                    Ok(())
                } else {
                    Err(stale_at - now)
                }
            }
        }
    }

    /// Records the outcome of a request to `host`.
    pub fn record(&self, host: &str, success: bool) {
        let mut hosts = self.lock();
        let Some(state) = state_of(&mut hosts, host) else {
            return;
        };
        *state = match (*state, success) {
            (_, true) => HostState::Closed { failures: 0 },
            (HostState::Closed { failures }, false)
                if failures + 1 < self.config.failure_threshold =>
            {
                HostState::Closed {
                    failures: failures + 1,
                }
            }
            (HostState::Open { until }, false) => HostState::Open { until },
            (_, false) => HostState::Open {
                until: later(Instant::now(), self.config.open_for),
            },
        };
    }

    /// True when calls to `host` currently fail fast.
    pub fn is_open(&self, host: &str) -> bool {
        matches!(
            self.lock().get(host),
            Some(HostState::Open { until }) if Instant::now() < *until
        )
    }

    /// Reads every host's circuit for as long as the breaker lives (`None`
    /// after): 0 closed, 1 half-open, 2 open — what the state gauge observes.
    pub(crate) fn observer(&self) -> impl Fn() -> Option<Vec<(String, i64)>> + Send + 'static {
        let hosts = Arc::downgrade(&self.hosts);
        move || {
            let hosts = hosts.upgrade()?;
            let hosts = hosts.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            Some(
                hosts
                    .iter()
                    .map(|(host, state)| {
                        let code = match state {
                            HostState::Closed { .. } => 0,
                            HostState::HalfOpen { .. } => 1,
                            HostState::Open { until } if now < *until => 2,
                            // An expired open circuit lets the next call probe.
                            HostState::Open { .. } => 1,
                        };
                        (host.clone(), code)
                    })
                    .collect(),
            )
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, HostState>> {
        // Every write stores a whole `HostState`; a poisoned map is still consistent.
        self.hosts.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// `at + wait`, or about thirty years on when that is too far to represent
/// (`open_for: Duration::MAX` means "stay open").
fn later(at: Instant, wait: Duration) -> Instant {
    at.checked_add(wait)
        .unwrap_or_else(|| at + Duration::from_secs(30 * 365 * 24 * 3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker() -> CircuitBreaker {
        CircuitBreaker::new(BreakerConfig {
            failure_threshold: 3,
            open_for: Duration::from_secs(10),
        })
    }

    #[tokio::test(start_paused = true)]
    async fn opens_after_threshold_and_probes_once() {
        let b = breaker();
        for _ in 0..2 {
            b.acquire("a").unwrap();
            b.record("a", false);
        }
        assert!(b.acquire("a").is_ok(), "two failures keep it closed");
        b.record("a", false);
        let wait = b.acquire("a").unwrap_err();
        assert_eq!(wait, Duration::from_secs(10));
        assert!(b.acquire("b").is_ok(), "other hosts are unaffected");

        tokio::time::advance(Duration::from_secs(10)).await;
        assert!(b.acquire("a").is_ok(), "half-open lets one probe through");
        assert!(b.acquire("a").is_err(), "…and only one");
        b.record("a", true);
        assert!(
            b.acquire("a").is_ok() && !b.is_open("a"),
            "probe success closes it"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn failed_probe_reopens_and_stale_probe_is_replaced() {
        let b = breaker();
        for _ in 0..3 {
            b.record("a", false);
        }
        tokio::time::advance(Duration::from_secs(10)).await;
        b.acquire("a").unwrap();
        b.record("a", false);
        assert!(b.is_open("a"));
        tokio::time::advance(Duration::from_secs(10)).await;
        b.acquire("a").unwrap(); // probe that never reports
        tokio::time::advance(Duration::from_secs(10)).await;
        assert!(
            b.acquire("a").is_ok(),
            "a lost probe does not wedge the circuit"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_open_period_too_long_to_represent_keeps_the_circuit_open() {
        let b = CircuitBreaker::new(BreakerConfig {
            failure_threshold: 1,
            open_for: Duration::MAX,
        });
        b.record("a", false);
        assert!(b.is_open("a"));
        assert!(b.acquire("a").is_err());
        tokio::time::advance(Duration::from_secs(3600)).await;
        assert!(b.acquire("a").is_err());
    }

    #[test]
    fn success_resets_the_count() {
        let b = breaker();
        b.record("a", false);
        b.record("a", false);
        b.record("a", true);
        b.record("a", false);
        b.record("a", false);
        assert!(!b.is_open("a"));
    }
}
