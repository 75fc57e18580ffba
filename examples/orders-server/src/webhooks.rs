//! Signed webhooks for order changes, delivered at least once.
//!
//! When [`ServerConfig::webhooks`](crate::ServerConfig::webhooks) is set,
//! every change to an order (`order.created`, `order.updated`,
//! `order.canceled`) becomes an event `{"id": "evt_…", "type": …, "data":
//! {order}}` POSTed to the target URL, signed the Standard Webhooks way
//! (`webhook-id` = the event id, `webhook-timestamp`, `webhook-signature:
//! v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`). Events go out
//! one at a time, in order, from a background task. A delivery the
//! receiver does not answer with a `2xx` is retried with a doubling delay
//! (each attempt signed anew, the same id and body), up to
//! [`max_attempts`](WebhookConfig::max_attempts). The fault
//! [`duplicate_every`](WebhookConfig::duplicate_every) delivers an event a
//! second time after the first was accepted, as a sender whose
//! acknowledgement got lost does. Every attempt is kept in a log
//! ([`ServerState::webhook_deliveries`](crate::ServerState::webhook_deliveries),
//! `GET /_admin/webhooks`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::Value;
use sha2::Sha256;
use tokio::sync::{mpsc, watch};

use crate::state::lock;

/// The prefix of a Standard Webhooks secret.
const SECRET_PREFIX: &str = "whsec_";

/// Where and how the server sends webhooks.
#[derive(Clone)]
pub struct WebhookConfig {
    url: String,
    key: Vec<u8>,
    /// Every `n`th event is delivered twice (`0`: never, `1`: every event).
    pub duplicate_every: u32,
    /// Delay before the first retry; doubled for each further one.
    /// Default 100 ms.
    pub retry_delay: Duration,
    /// The longest delay between retries. Default 5 s.
    pub max_retry_delay: Duration,
    /// Attempts per delivery before the server gives up on it. Default 8.
    pub max_attempts: u32,
    /// How long one attempt may take. Default 10 s.
    pub timeout: Duration,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("url", &self.url)
            .field("key", &"<redacted>")
            .field("duplicate_every", &self.duplicate_every)
            .field("retry_delay", &self.retry_delay)
            .field("max_retry_delay", &self.max_retry_delay)
            .field("max_attempts", &self.max_attempts)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl WebhookConfig {
    /// Webhooks to `url` (`http://` or `https://`), signed with `secret`
    /// (`whsec_<base64>`, or the base64 alone). Fails naming what is wrong.
    pub fn new(url: impl Into<String>, secret: &str) -> Result<Self, String> {
        let url = url.into();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!(
                "webhook URL {url:?} must start with http:// or https://"
            ));
        }
        let encoded = secret.trim();
        let encoded = encoded.strip_prefix(SECRET_PREFIX).unwrap_or(encoded);
        let key = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|e| format!("webhook secret is not `{SECRET_PREFIX}<base64>`: {e}"))?;
        if key.is_empty() {
            return Err("webhook secret is empty".into());
        }
        Ok(WebhookConfig {
            url,
            key,
            duplicate_every: 0,
            retry_delay: Duration::from_millis(100),
            max_retry_delay: Duration::from_secs(5),
            max_attempts: 8,
            timeout: Duration::from_secs(10),
        })
    }

    /// The target URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The `webhook-signature` value (`v1,<base64>`) for a delivery.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body);
        format!(
            "v1,{}",
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
        )
    }

    fn delay_before(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        self.retry_delay
            .saturating_mul(factor)
            .min(self.max_retry_delay)
    }
}

/// An event the server emitted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebhookEvent {
    /// `evt_<32 hex>`, the same on every delivery (`webhook-id`).
    pub id: String,
    /// `order.created`, `order.updated` or `order.canceled`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The order as it is after the change.
    pub data: Value,
}

/// One attempt to deliver an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookDelivery {
    /// The event.
    pub event_id: String,
    /// Its type.
    pub event_type: String,
    /// `1` for the delivery, `2` for the duplicate a fault sent after it.
    pub copy: u32,
    /// The attempt within that delivery, from 1.
    pub attempt: u32,
    /// The receiver's status, when it answered.
    pub status: Option<u16>,
    /// Why the attempt failed without an answer.
    pub error: Option<String>,
}

#[derive(Debug, Default)]
struct Log {
    events: Vec<WebhookEvent>,
    deliveries: Vec<WebhookDelivery>,
}

/// The sender of one origin: a queue drained by a background task, started
/// at the first event (so a state made outside a runtime still works).
#[derive(Debug)]
pub(crate) struct WebhookSender {
    config: Arc<WebhookConfig>,
    queue: OnceLock<mpsc::UnboundedSender<(WebhookEvent, u32)>>,
    log: Arc<Mutex<Log>>,
    unsettled: Arc<watch::Sender<usize>>,
    emitted: AtomicU64,
}

impl WebhookSender {
    pub(crate) fn new(config: WebhookConfig) -> Self {
        WebhookSender {
            config: Arc::new(config),
            queue: OnceLock::new(),
            log: Arc::default(),
            unsettled: Arc::new(watch::channel(0).0),
            emitted: AtomicU64::new(0),
        }
    }

    /// Queues event `event_type` about `order` (called with the change
    /// committed). Must run inside a tokio runtime.
    pub(crate) fn emit(&self, event_type: &str, order: Value) {
        let event = WebhookEvent {
            id: format!("evt_{}", uuid::Uuid::new_v4().simple()),
            event_type: event_type.to_owned(),
            data: order,
        };
        lock(&self.log).events.push(event.clone());
        self.unsettled.send_modify(|n| *n += 1);
        let n = self.emitted.fetch_add(1, Ordering::SeqCst) + 1;
        let every = u64::from(self.config.duplicate_every);
        let copies = if every > 0 && n.is_multiple_of(every) {
            2
        } else {
            1
        };
        let queue = self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(run(
                self.config.clone(),
                self.log.clone(),
                self.unsettled.clone(),
                rx,
            ));
            tx
        });
        if queue.send((event, copies)).is_err() {
            self.unsettled.send_modify(|n| *n = n.saturating_sub(1));
        }
    }

    pub(crate) fn events(&self) -> Vec<WebhookEvent> {
        lock(&self.log).events.clone()
    }

    pub(crate) fn deliveries(&self) -> Vec<WebhookDelivery> {
        lock(&self.log).deliveries.clone()
    }

    /// How many emitted events are not yet delivered or given up on.
    pub(crate) fn unsettled(&self) -> usize {
        *self.unsettled.borrow()
    }

    /// Waits until every emitted event was delivered or given up on.
    pub(crate) async fn settled(&self) {
        let mut rx = self.unsettled.subscribe();
        let _ = rx.wait_for(|n| *n == 0).await;
    }

    pub(crate) fn clear(&self) {
        let mut log = lock(&self.log);
        log.events.clear();
        log.deliveries.clear();
    }
}

/// Delivers queued events in order, each `copies` times, until the server
/// (and with it the queue) is dropped.
async fn run(
    config: Arc<WebhookConfig>,
    log: Arc<Mutex<Log>>,
    unsettled: Arc<watch::Sender<usize>>,
    mut queue: mpsc::UnboundedReceiver<(WebhookEvent, u32)>,
) {
    let client = match reqwest::Client::builder()
        .no_proxy()
        .timeout(config.timeout)
        .build()
    {
        Ok(client) => client,
        Err(e) => {
            tracing::error!("webhook sender cannot start: {e}");
            return;
        }
    };
    while let Some((event, copies)) = queue.recv().await {
        let body = serde_json::to_vec(&event).unwrap_or_default();
        for copy in 1..=copies {
            deliver(&client, &config, &log, &event, &body, copy).await;
        }
        unsettled.send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// One delivery of `event`: attempts until a `2xx` or `max_attempts`.
async fn deliver(
    client: &reqwest::Client,
    config: &WebhookConfig,
    log: &Mutex<Log>,
    event: &WebhookEvent,
    body: &[u8],
    copy: u32,
) {
    for attempt in 1..=config.max_attempts.max(1) {
        if attempt > 1 {
            tokio::time::sleep(config.delay_before(attempt - 1)).await;
        }
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let sent = client
            .post(&config.url)
            .header("content-type", "application/json")
            .header("webhook-id", &event.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", config.sign(&event.id, timestamp, body))
            .body(body.to_vec())
            .send()
            .await;
        let (status, error) = match sent {
            Ok(response) => (Some(response.status().as_u16()), None),
            Err(e) => (None, Some(e.to_string())),
        };
        lock(log).deliveries.push(WebhookDelivery {
            event_id: event.id.clone(),
            event_type: event.event_type.clone(),
            copy,
            attempt,
            status,
            error,
        });
        if status.is_some_and(|s| (200..300).contains(&s)) {
            return;
        }
    }
    tracing::warn!(event_id = %event.id, "webhook not accepted after {} attempts", config.max_attempts);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_the_standard_webhooks_vector() {
        // Standard Webhooks' published vector (libraries/javascript/src/webhook.test.ts).
        let config = WebhookConfig::new(
            "http://127.0.0.1:1/",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        )
        .unwrap();
        assert_eq!(
            config.sign(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn refuses_bad_targets_and_secrets() {
        assert!(WebhookConfig::new("ftp://x", "whsec_AAAA").is_err());
        assert!(WebhookConfig::new("http://x", "whsec_").is_err());
        assert!(WebhookConfig::new("http://x", "whsec_not base64").is_err());
        assert!(format!(
            "{:?}",
            WebhookConfig::new("http://x", "whsec_AAAA").unwrap()
        )
        .contains("redacted"));
    }

    #[test]
    fn retry_delays_double_up_to_the_cap() {
        let mut config = WebhookConfig::new("http://x", "whsec_AAAA").unwrap();
        config.retry_delay = Duration::from_millis(10);
        config.max_retry_delay = Duration::from_millis(35);
        let delays: Vec<_> = (1..=4)
            .map(|r| config.delay_before(r).as_millis())
            .collect();
        assert_eq!(delays, [10, 20, 35, 35]);
    }
}
