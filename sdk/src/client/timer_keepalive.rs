//! Keeps the runtime's timer wheel from going empty between calls.
//!
//! Every attempt runs under a timeout, and registering a timer with a wheel
//! that holds none due sooner makes tokio wake the thread parked on the time
//! driver, so it can shorten its sleep: a cross-thread wake-up on every call
//! (about two extra `futex` calls per call, counted with `strace -c`). A client
//! keeps one timer of its own, due sooner than any attempt's timeout; new
//! timeouts then fall after it and register without waking anyone. It costs
//! one wake-up per [`PERIOD`] while the client lives, and only an optimisation
//! rests on it: without it (say, outside a tokio runtime) calls behave the same.

use std::sync::OnceLock;
use std::time::Duration;

use tokio::task::AbortHandle;

/// How often the keep-alive timer fires. Attempts with a shorter timeout
/// still work; they just pay for the wake-up.
pub(crate) const PERIOD: Duration = Duration::from_secs(1);

/// The client's own timer task, started on first use and stopped with the client.
#[derive(Debug, Default)]
pub(crate) struct TimerKeepalive {
    task: OnceLock<AbortHandle>,
}

impl TimerKeepalive {
    /// Starts the timer task on the current runtime, once.
    pub fn ensure_running(&self) {
        if self.task.get().is_some() {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            self.task.get_or_init(|| {
                runtime
                    .spawn(async {
                        loop {
                            tokio::time::sleep(PERIOD).await;
                        }
                    })
                    .abort_handle()
            });
        }
    }
}

impl Drop for TimerKeepalive {
    fn drop(&mut self) {
        if let Some(task) = self.task.get() {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn starts_once_and_stops_with_its_client() {
        let keepalive = TimerKeepalive::default();
        keepalive.ensure_running();
        let task = keepalive.task.get().cloned().expect("started");
        keepalive.ensure_running();
        assert_eq!(keepalive.task.get().map(AbortHandle::id), Some(task.id()));
        drop(keepalive);
        for _ in 0..100 {
            if task.is_finished() {
                return;
            }
            tokio::task::yield_now().await;
        }
        panic!("the timer task outlived its client");
    }

    #[test]
    fn outside_a_runtime_it_does_nothing() {
        let keepalive = TimerKeepalive::default();
        keepalive.ensure_running();
        assert!(keepalive.task.get().is_none());
    }
}
