//! The client's settings for polling long-running operations
//! ([`crate::Operation`]): kept with the client, which every operation polls
//! through.

use std::time::Duration;

/// How operations are polled when the server gives no `Retry-After`.
#[derive(Debug, Clone, PartialEq)]
pub struct PollConfig {
    /// The wait between polls when the server does not say (default 1 s).
    pub default_interval: Duration,
    /// The longest wait between polls, whatever the server says (default 60 s).
    pub max_interval: Duration,
    /// How long [`Operation::wait`](crate::Operation::wait) waits in all (default 30 min; `None`: forever).
    pub timeout: Option<Duration>,
}

impl Default for PollConfig {
    /// Poll every second at most, never wait more than a minute between polls,
    /// give up after 30 minutes.
    fn default() -> Self {
        PollConfig {
            default_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(60),
            timeout: Some(Duration::from_secs(30 * 60)),
        }
    }
}
