use std::sync::{Arc, Mutex};

/// Settings of a [`RetryBudget`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BudgetConfig {
    /// The most tokens the bucket holds; it starts full. One retry costs one token.
    pub capacity: f64,
    /// Tokens deposited by each successful call. `0.1` means that once the
    /// bucket is empty, retries add at most ~10% to the traffic of successes.
    pub deposit_per_success: f64,
}

impl Default for BudgetConfig {
    /// Capacity 100 retries, refilled by 0.1 per success.
    fn default() -> Self {
        BudgetConfig {
            capacity: 100.0,
            deposit_per_success: 0.1,
        }
    }
}

/// A token bucket shared by every call of one client. Each retry withdraws one
/// token; each successful call deposits a fraction of one. When the bucket is
/// empty, failures are returned instead of retried, so a fleet of clients cannot
/// multiply an outage's load by their attempt count.
///
/// ```
/// let budget = oncely::RetryBudget::new(oncely::BudgetConfig { capacity: 1.0, deposit_per_success: 0.5 });
/// assert!(budget.try_withdraw());
/// assert!(!budget.try_withdraw()); // spent
/// budget.deposit();
/// budget.deposit();
/// assert!(budget.try_withdraw()); // refilled by two successes
/// ```
#[derive(Debug, Clone)]
pub struct RetryBudget {
    /// Capacity and deposit in thousandths of a token: integer arithmetic, so
    /// ten deposits of 0.1 make exactly one retry.
    capacity_milli: u64,
    deposit_milli: u64,
    tokens_milli: Arc<Mutex<u64>>,
}

const ONE_TOKEN: u64 = 1000;

fn to_milli(tokens: f64) -> u64 {
    if tokens.is_finite() {
        (tokens.max(0.0) * ONE_TOKEN as f64).round() as u64
    } else {
        u64::MAX
    }
}

impl RetryBudget {
    /// A full bucket with the given settings.
    pub fn new(config: BudgetConfig) -> Self {
        let capacity_milli = to_milli(config.capacity);
        RetryBudget {
            capacity_milli,
            deposit_milli: to_milli(config.deposit_per_success),
            tokens_milli: Arc::new(Mutex::new(capacity_milli)),
        }
    }

    /// A budget that never runs out.
    pub fn unlimited() -> Self {
        RetryBudget::new(BudgetConfig {
            capacity: f64::INFINITY,
            deposit_per_success: 0.0,
        })
    }

    /// Takes one token for a retry; false when the budget is spent.
    pub fn try_withdraw(&self) -> bool {
        let mut tokens = self.lock();
        if *tokens >= ONE_TOKEN {
            if *tokens != u64::MAX {
                *tokens -= ONE_TOKEN;
            }
            true
        } else {
            false
        }
    }

    /// Records a successful call.
    pub fn deposit(&self) {
        let mut tokens = self.lock();
        *tokens = tokens
            .saturating_add(self.deposit_milli)
            .min(self.capacity_milli);
    }

    /// Tokens currently available.
    pub fn available(&self) -> f64 {
        match *self.lock() {
            u64::MAX => f64::INFINITY,
            milli => milli as f64 / ONE_TOKEN as f64,
        }
    }

    /// Reads the tokens available for as long as the budget lives (`None`
    /// after; never for an unlimited budget): what the tokens gauge observes.
    pub(crate) fn observer(&self) -> impl Fn() -> Option<f64> + Send + 'static {
        let tokens = Arc::downgrade(&self.tokens_milli);
        move || {
            let tokens = tokens.upgrade()?;
            let milli = *tokens.lock().unwrap_or_else(|e| e.into_inner());
            (milli != u64::MAX).then(|| milli as f64 / ONE_TOKEN as f64)
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, u64> {
        // The guarded value is a plain number; a panic elsewhere cannot leave it
        // half-written, so a poisoned lock is still safe to use.
        self.tokens_milli.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spent_budget_refuses_and_successes_refill() {
        let b = RetryBudget::new(BudgetConfig {
            capacity: 3.0,
            deposit_per_success: 0.1,
        });
        assert!((0..3).all(|_| b.try_withdraw()));
        assert!(!b.try_withdraw());
        for _ in 0..9 {
            b.deposit();
        }
        assert!(!b.try_withdraw(), "0.9 tokens are not a retry");
        b.deposit();
        assert!(b.try_withdraw());
        assert!(!b.try_withdraw());
    }

    #[test]
    fn deposits_are_capped() {
        let b = RetryBudget::new(BudgetConfig {
            capacity: 2.0,
            deposit_per_success: 1.0,
        });
        (0..10).for_each(|_| b.deposit());
        assert_eq!(b.available(), 2.0);
        assert!(RetryBudget::unlimited().try_withdraw());
    }
}
