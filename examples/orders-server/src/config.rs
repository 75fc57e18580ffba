//! Server configuration: timings, `Retry-After` guidance, chaos (seeded random
//! faults) and where `202` responses point.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::webhooks::WebhookConfig;

/// Configuration of one server instance (one origin).
///
/// Construct with [`Default`] and override what a test needs:
///
/// ```
/// use std::time::Duration;
/// use orders_server::ServerConfig;
///
/// let config = ServerConfig {
///     operation_duration: Duration::from_millis(100),
///     retry_after_ms: Some(20),
///     ..ServerConfig::default()
/// };
/// assert_eq!(config.retry_after_secs, 1);
/// ```
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// How long a `202 Accepted` shipment operation runs before it reaches a
    /// terminal state. Default 2 s.
    pub operation_duration: Duration,
    /// Value of the `Retry-After` header (seconds) on `202` responses and on
    /// operation status responses while the operation runs. Default 1.
    pub retry_after_secs: u64,
    /// When set, `202` and running-operation responses also carry
    /// `retry-after-ms` with this value, so fast tests can poll every few ms.
    pub retry_after_ms: Option<u64>,
    /// Seeded random fault injection; `None` (the default) injects nothing
    /// beyond the scripted fault rules.
    pub chaos: Option<ChaosConfig>,
    /// When set (e.g. `http://127.0.0.1:4001`), the `Location` of `202`
    /// responses is absolute and points at this base URL instead of being a
    /// relative `/operations/{id}` on this origin.
    pub operation_location_base: Option<String>,
    /// When set (e.g. `http://127.0.0.1:4001`), the next-page links of the
    /// list endpoints (`Link` of `/orders/by-link`, `next` of
    /// `/orders/by-offset`) point at this base URL instead of this origin.
    pub list_link_base: Option<String>,
    /// How long a completed idempotent response is kept for replay.
    /// Default 24 h.
    pub idempotency_ttl: Duration,
    /// Largest accepted request body in bytes; larger bodies get `413`.
    /// Default 1 MiB.
    pub max_body_bytes: usize,
    /// The reconnection time (milliseconds) event streams announce in their
    /// `retry:` field. Default 1000.
    pub stream_retry_ms: u64,
    /// When set, order changes are POSTed as signed webhooks to a receiver
    /// (see [`WebhookConfig`]). Default `None`: no webhooks.
    pub webhooks: Option<WebhookConfig>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            operation_duration: Duration::from_secs(2),
            retry_after_secs: 1,
            retry_after_ms: None,
            chaos: None,
            operation_location_base: None,
            list_link_base: None,
            idempotency_ttl: Duration::from_secs(24 * 60 * 60),
            max_body_bytes: 1024 * 1024,
            stream_retry_ms: 1000,
            webhooks: None,
        }
    }
}

/// Seeded random fault injection for chaos runs.
///
/// Each request to an eligible route (any API route except admin routes and
/// those in [`exclude_routes`](Self::exclude_routes)) draws from a
/// `StdRng` seeded with [`seed`](Self::seed): with probability
/// [`rate`](Self::rate) it gets a fault whose kind is chosen by the weights in
/// [`mix`](Self::mix). The same seed and the same request order give the same
/// faults. Scripted fault rules take precedence and consume no draw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChaosConfig {
    /// RNG seed.
    pub seed: u64,
    /// Probability in `[0, 1]` that an eligible request gets a fault.
    pub rate: f64,
    /// Relative weights of the fault kinds.
    pub mix: ChaosMix,
    /// `retry-after-ms` sent with injected `503` and `429` responses.
    pub retry_after_ms: u64,
    /// `Retry-After` (raw header value) sent with injected `503` responses;
    /// `None` sends none.
    pub retry_after: Option<String>,
    /// Delay of a "slow" fault in milliseconds.
    pub slow_ms: u64,
    /// Routes (`"METHOD /template"`) that are never faulted. Default: the
    /// operation status poll `GET /operations/{operation_id}`.
    pub exclude_routes: Vec<String>,
}

impl Default for ChaosConfig {
    fn default() -> Self {
        ChaosConfig {
            seed: 0,
            rate: 0.1,
            mix: ChaosMix::default(),
            retry_after_ms: 20,
            retry_after: Some("0".to_owned()),
            slow_ms: 50,
            exclude_routes: vec!["GET /operations/{operation_id}".to_owned()],
        }
    }
}

impl ChaosConfig {
    /// A chaos configuration with the given seed and rate and default mix.
    pub fn new(seed: u64, rate: f64) -> Self {
        ChaosConfig {
            seed,
            rate,
            ..ChaosConfig::default()
        }
    }
}

/// Relative weights of chaos fault kinds (all 1 by default; 0 disables one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChaosMix {
    /// Process the request, then drop the connection without a response.
    pub drop_after_commit: u32,
    /// `503` with `Retry-After` / `retry-after-ms`, nothing processed.
    pub service_unavailable: u32,
    /// `429` with `retry-after-ms`, nothing processed.
    pub too_many_requests: u32,
    /// Delay [`ChaosConfig::slow_ms`], then process normally.
    pub slow: u32,
    /// `500`, nothing processed.
    pub internal_error: u32,
}

impl Default for ChaosMix {
    fn default() -> Self {
        ChaosMix {
            drop_after_commit: 1,
            service_unavailable: 1,
            too_many_requests: 1,
            slow: 1,
            internal_error: 1,
        }
    }
}
