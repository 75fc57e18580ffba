//! `--verbose` timings of the generator's stages, printed on stderr.

use std::time::Instant;

/// Times consecutive stages; prints nothing unless verbose.
pub struct Timer {
    verbose: bool,
    start: Instant,
    last: Instant,
}

impl Timer {
    /// Starts the clock.
    pub fn new(verbose: bool) -> Timer {
        let now = Instant::now();
        Timer {
            verbose,
            start: now,
            last: now,
        }
    }

    /// Prints the time since the previous step (or the start) as `what`.
    pub fn step(&mut self, what: &str) {
        let now = Instant::now();
        if self.verbose {
            eprintln!(
                "oncely: {what:<10} {:>8.1} ms",
                (now - self.last).as_secs_f64() * 1000.0
            );
        }
        self.last = now;
    }

    /// Prints the time since the start.
    pub fn total(&self) {
        if self.verbose {
            eprintln!(
                "oncely: {:<10} {:>8.1} ms",
                "total",
                self.start.elapsed().as_secs_f64() * 1000.0
            );
        }
    }
}
