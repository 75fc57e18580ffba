use std::time::Duration;

use rand::Rng;

/// How many times to try a call and how long to wait between attempts.
///
/// The wait before retry `n` (0-based) is *full jitter*:
/// `random(0, min(max_delay, base_delay * 2^n))`, unless the server said how long
/// to wait. A server asking for more than [`RetryPolicy::max_server_delay`] ends
/// the call with [`crate::Error::RetryAfterTooLong`], so the caller can decide.
///
/// ```
/// use std::time::Duration;
/// let policy = oncely::RetryPolicy::default()
///     .max_attempts(3)
///     .base_delay(Duration::from_millis(50));
/// assert_eq!(policy.attempts(), 3);
/// assert!(policy.backoff(2) <= Duration::from_millis(200));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    max_server_delay: Duration,
}

impl Default for RetryPolicy {
    /// 5 attempts, base 100 ms, cap 20 s, server delays honoured up to 60 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(20),
            max_server_delay: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// A policy that makes exactly one attempt.
    pub fn none() -> Self {
        RetryPolicy::default().max_attempts(1)
    }

    /// Total attempts including the first (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The base of the exponential schedule.
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The cap of the exponential schedule.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The longest `Retry-After` the client waits for before giving the decision
    /// back to the caller.
    pub fn max_server_delay(mut self, delay: Duration) -> Self {
        self.max_server_delay = delay;
        self
    }

    /// Total attempts allowed, including the first.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The longest server-requested wait honoured.
    pub fn server_delay_limit(&self) -> Duration {
        self.max_server_delay
    }

    /// The upper bound of the jittered wait before retry `retry` (0-based).
    pub fn backoff_ceiling(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.min(31));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }

    /// A full-jitter wait before retry `retry` (0-based): uniform in
    /// `[0, backoff_ceiling(retry)]`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self.backoff_ceiling(retry);
        if ceiling.is_zero() {
            return ceiling;
        }
        let nanos = rand::rng().random_range(0..=ceiling.as_nanos().min(u64::MAX as u128) as u64);
        Duration::from_nanos(nanos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_then_caps() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff_ceiling(0), Duration::from_millis(100));
        assert_eq!(p.backoff_ceiling(1), Duration::from_millis(200));
        assert_eq!(p.backoff_ceiling(4), Duration::from_millis(1600));
        assert_eq!(p.backoff_ceiling(10), Duration::from_secs(20));
        assert_eq!(p.backoff_ceiling(u32::MAX), Duration::from_secs(20));
    }

    #[test]
    fn jitter_stays_within_ceiling_and_spreads() {
        let p = RetryPolicy::default();
        let samples: Vec<Duration> = (0..500).map(|_| p.backoff(3)).collect();
        assert!(samples.iter().all(|d| *d <= Duration::from_millis(800)));
        let low = samples
            .iter()
            .filter(|d| **d < Duration::from_millis(400))
            .count();
        // Full jitter is uniform: about half the samples fall in the lower half.
        assert!((150..350).contains(&low), "low half held {low} of 500");
    }

    #[test]
    fn at_least_one_attempt() {
        assert_eq!(RetryPolicy::default().max_attempts(0).attempts(), 1);
        assert_eq!(RetryPolicy::none().attempts(), 1);
        assert_eq!(
            RetryPolicy::default().base_delay(Duration::ZERO).backoff(3),
            Duration::ZERO
        );
    }
}
