//! The reference server sends its signed order webhooks to this receiver
//! with the duplicate-delivery fault on (every event delivered twice), and
//! once more with a receiver that refuses first attempts: the receiver's
//! record shows each event handled once.

use std::collections::HashMap;
use std::time::Duration;

use oncely::webhook::{EventState, StandardWebhooks, WebhookInbox};
use orders_server::{ServerConfig, WebhookConfig};
use serde_json::{json, Value};
use webhook_receiver::Receiver;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

async fn start_receiver(dir: &tempfile::TempDir) -> (Receiver, String) {
    let inbox = WebhookInbox::sqlite(dir.path().join("hooks.db")).unwrap();
    let receiver = Receiver::new(inbox, StandardWebhooks::new(SECRET).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks", listener.local_addr().unwrap());
    let app = receiver.clone().router();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (receiver, url)
}

async fn orders_server_sending_to(url: &str) -> orders_server::RunningServer {
    let mut webhooks = WebhookConfig::new(url, SECRET).unwrap();
    webhooks.duplicate_every = 1;
    webhooks.retry_delay = Duration::from_millis(1);
    webhooks.max_retry_delay = Duration::from_millis(5);
    orders_server::spawn(ServerConfig {
        webhooks: Some(webhooks),
        ..ServerConfig::default()
    })
    .await
    .unwrap()
}

/// Three orders: each created, one updated, one cancelled.
async fn order_traffic(base: &str) -> usize {
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut ids = Vec::new();
    for n in 0..3 {
        let order: Value = http
            .post(format!("{base}/orders"))
            .header("Idempotency-Key", format!("k{n}"))
            .json(&json!({"customer_id": "cus_1", "currency": "EUR", "items": [{"sku": "sku-1", "quantity": 1}]}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ids.push(order["id"].as_str().unwrap().to_owned());
    }
    let patched = http
        .patch(format!("{base}/orders/{}", ids[0]))
        .header("If-Match", "\"v1\"")
        .json(&json!({"note": "gift"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    let cancelled = http
        .post(format!("{base}/orders/{}/cancel", ids[1]))
        .header("Idempotency-Key", "c1")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), 200);
    5
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_event_is_handled_once_though_delivered_twice() {
    let dir = tempfile::tempdir().unwrap();
    let (receiver, url) = start_receiver(&dir).await;
    let server = orders_server_sending_to(&url).await;
    let events = order_traffic(&server.base_url()).await;
    server.state().webhooks_settled().await;

    let deliveries = server.state().webhook_deliveries();
    let delivered_twice = deliveries.iter().filter(|d| d.copy == 2).count();
    assert_eq!(delivered_twice, events, "the fault sent every event again");
    let mut handled: HashMap<String, usize> = HashMap::new();
    for h in receiver.handled() {
        *handled.entry(h.id).or_default() += 1;
    }
    assert_eq!(handled.len(), events);
    assert!(handled.values().all(|n| *n == 1), "{handled:?}");
    let types: Vec<String> = receiver
        .handled()
        .into_iter()
        .map(|h| h.event_type)
        .collect();
    assert_eq!(
        types,
        [
            "order.created",
            "order.created",
            "order.created",
            "order.updated",
            "order.canceled"
        ]
    );
    // The inbox's record: every event done, handled by its first delivery.
    let records = receiver.inbox().list(100).await.unwrap();
    assert_eq!(records.len(), events);
    for record in &records {
        assert_eq!(
            (record.state, record.attempts),
            (EventState::Done, 1),
            "{record:?}"
        );
    }
    // The duplicates were answered 200 (a duplicate is a success).
    assert!(
        deliveries.iter().all(|d| d.status == Some(200)),
        "{deliveries:?}"
    );
}
