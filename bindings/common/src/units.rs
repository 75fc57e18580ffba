//! Numbers of seconds (Python) or milliseconds (Node) into durations, with
//! one rule for both: finite and not negative.

use std::time::Duration;

use crate::naming::{Opt, SpecError};

/// The unit a binding counts time in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Seconds (Python).
    Seconds,
    /// Milliseconds (Node).
    Millis,
}

impl Unit {
    fn word(self) -> &'static str {
        match self {
            Unit::Seconds => "seconds",
            Unit::Millis => "milliseconds",
        }
    }

    /// `value` of this unit as a duration; NaN, infinite and negative values
    /// are refused, naming `option`.
    pub fn duration(self, value: f64, option: Opt) -> Result<Duration, SpecError> {
        if !value.is_finite() || value < 0.0 {
            return Err(SpecError::new(
                option,
                format!(
                    "it must be a finite number of {} ≥ 0, got {value}",
                    self.word()
                ),
            ));
        }
        let seconds = match self {
            Unit::Seconds => value,
            Unit::Millis => value / 1000.0,
        };
        Duration::try_from_secs_f64(seconds)
            .map_err(|e| SpecError::new(option, format!("{value} {}: {e}", self.word())))
    }

    /// Like [`Unit::duration`], where positive infinity means "no limit" (`None`).
    pub fn limit(self, value: f64, option: Opt) -> Result<Option<Duration>, SpecError> {
        if value == f64::INFINITY {
            return Ok(None);
        }
        self.duration(value, option).map(Some)
    }
}

/// `duration`, refused when zero (timeouts, intervals and leases must be more than 0).
pub fn positive(duration: Duration, option: Opt) -> Result<Duration, SpecError> {
    if duration.is_zero() {
        return Err(SpecError::new(option, "it must be more than 0"));
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_and_millis_agree() {
        assert_eq!(
            Unit::Seconds.duration(1.5, Opt::Timeout).unwrap(),
            Unit::Millis.duration(1500.0, Opt::Timeout).unwrap()
        );
    }

    #[test]
    fn negative_nan_and_infinite_values_are_refused() {
        for bad in [-1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let err = Unit::Millis.duration(bad, Opt::Timeout).unwrap_err();
            assert_eq!(err.option, Opt::Timeout);
            assert!(err.why.contains("finite number of milliseconds"), "{err}");
        }
        let err = Unit::Seconds.duration(-2.0, Opt::KeyTtl).unwrap_err();
        assert_eq!(err.why, "it must be a finite number of seconds ≥ 0, got -2");
    }

    #[test]
    fn infinity_is_no_limit() {
        assert_eq!(Unit::Seconds.limit(f64::INFINITY, Opt::Deadline), Ok(None));
        assert!(Unit::Seconds.limit(f64::NAN, Opt::Deadline).is_err());
    }

    #[test]
    fn zero_is_not_positive() {
        let err = positive(Duration::ZERO, Opt::PollInterval).unwrap_err();
        assert_eq!(err.why, "it must be more than 0");
    }
}
