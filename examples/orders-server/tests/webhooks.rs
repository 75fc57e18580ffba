//! Signed webhooks for order changes: the events and their Standard
//! Webhooks signatures as a receiver on 127.0.0.1 sees them, retries when
//! the receiver answers non-2xx, the duplicate-delivery fault, and no
//! webhooks at all unless configured.

mod common;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use base64::Engine as _;
use common::{client, fast_config, order_body, post as post_json};
use hmac::{Hmac, Mac};
use orders_server::{spawn, RunningServer, ServerConfig, WebhookConfig};
use serde_json::{json, Value};
use sha2::Sha256;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: i64,
    signature: String,
    body: Bytes,
}

#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    /// Statuses to answer, in order; 204 once used up.
    answers: Arc<Mutex<VecDeque<u16>>>,
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| headers[name].to_str().unwrap().to_owned();
    r.got.lock().unwrap().push(Received {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp").parse().unwrap(),
        signature: header("webhook-signature"),
        body,
    });
    let status = r.answers.lock().unwrap().pop_front().unwrap_or(204);
    StatusCode::from_u16(status).unwrap()
}

async fn receiver() -> (Receiver, String) {
    let r = Receiver::default();
    let app = Router::new()
        .route("/hooks", post(receive))
        .with_state(r.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (r, url)
}

async fn server_sending_to(url: &str, tune: impl FnOnce(&mut WebhookConfig)) -> RunningServer {
    let mut webhooks = WebhookConfig::new(url, SECRET).unwrap();
    webhooks.retry_delay = Duration::from_millis(1);
    webhooks.max_retry_delay = Duration::from_millis(4);
    tune(&mut webhooks);
    spawn(ServerConfig {
        webhooks: Some(webhooks),
        ..fast_config()
    })
    .await
    .unwrap()
}

/// The Standard Webhooks signature, computed here independently of the
/// server's code.
fn expected_signature(id: &str, timestamp: i64, body: &[u8]) -> String {
    let key = base64::engine::general_purpose::STANDARD
        .decode(SECRET.trim_start_matches("whsec_"))
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    )
}

/// Creates an order, updates it, cancels it twice; returns its id.
async fn order_story(base: &str) -> String {
    let http = client();
    let created: Value = post_json(&http, format!("{base}/orders"), Some("k1"), &order_body())
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let patched = http
        .patch(format!("{base}/orders/{id}"))
        .header("If-Match", "\"v1\"")
        .json(&json!({"note": "gift wrap"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    for key in ["c1", "c2"] {
        let cancel = post_json(
            &http,
            format!("{base}/orders/{id}/cancel"),
            Some(key),
            &json!({"reason": "changed mind"}),
        )
        .await;
        assert_eq!(cancel.status(), 200);
    }
    // A replay of the creation (same key) changes nothing.
    post_json(&http, format!("{base}/orders"), Some("k1"), &order_body()).await;
    id
}

#[tokio::test]
async fn order_changes_are_posted_as_signed_events_in_order() {
    let (receiver, url) = receiver().await;
    let server = server_sending_to(&url, |_| {}).await;
    let order_id = order_story(&server.base_url()).await;
    server.state().webhooks_settled().await;
    let got = receiver.got.lock().unwrap().clone();
    let types: Vec<String> = got
        .iter()
        .map(|r| {
            serde_json::from_slice::<Value>(&r.body).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(types, ["order.created", "order.updated", "order.canceled"]);
    for r in &got {
        assert_eq!(r.signature, expected_signature(&r.id, r.timestamp, &r.body));
        let event: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(event["id"], r.id.as_str(), "webhook-id is the event id");
        assert!(r.id.starts_with("evt_"), "{}", r.id);
        assert_eq!(event["data"]["id"], order_id.as_str());
        let age = (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
            - r.timestamp)
            .abs();
        assert!(age < 300, "timestamp is now-ish: {}", r.timestamp);
    }
    let canceled: Value = serde_json::from_slice(&got[2].body).unwrap();
    assert_eq!(canceled["data"]["status"], "cancelled");
    assert_eq!(canceled["data"]["note"], "gift wrap");
    let ids: std::collections::HashSet<_> = got.iter().map(|r| r.id.clone()).collect();
    assert_eq!(ids.len(), 3, "one id per event");
    // The admin API shows the same.
    let admin: Value = client()
        .get(format!("{}/_admin/webhooks", server.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(admin["events"].as_array().unwrap().len(), 3);
    assert_eq!(admin["deliveries"].as_array().unwrap().len(), 3);
    assert_eq!(admin["unsettled"], 0);
}

#[tokio::test]
async fn a_non_2xx_answer_is_retried_with_the_same_event() {
    let (receiver, url) = receiver().await;
    receiver.answers.lock().unwrap().extend([500, 409, 503]);
    let server = server_sending_to(&url, |_| {}).await;
    post_json(
        &client(),
        format!("{}/orders", server.base_url()),
        Some("k"),
        &order_body(),
    )
    .await;
    server.state().webhooks_settled().await;
    let got = receiver.got.lock().unwrap().clone();
    assert_eq!(got.len(), 4, "three refusals, then accepted");
    assert!(got
        .iter()
        .all(|r| r.id == got[0].id && r.body == got[0].body));
    for r in &got {
        assert_eq!(r.signature, expected_signature(&r.id, r.timestamp, &r.body));
    }
    let statuses: Vec<_> = server
        .state()
        .webhook_deliveries()
        .iter()
        .map(|d| (d.attempt, d.status))
        .collect();
    assert_eq!(
        statuses,
        [
            (1, Some(500)),
            (2, Some(409)),
            (3, Some(503)),
            (4, Some(204))
        ]
    );
}

#[tokio::test]
async fn a_delivery_is_given_up_after_max_attempts_and_the_next_event_goes_out() {
    let (receiver, url) = receiver().await;
    receiver.answers.lock().unwrap().extend([500, 500, 500]);
    let server = server_sending_to(&url, |c| c.max_attempts = 3).await;
    let http = client();
    for key in ["a", "b"] {
        post_json(
            &http,
            format!("{}/orders", server.base_url()),
            Some(key),
            &order_body(),
        )
        .await;
    }
    server.state().webhooks_settled().await;
    let deliveries = server.state().webhook_deliveries();
    assert_eq!(deliveries.len(), 4);
    assert_eq!(deliveries[3].status, Some(204));
    assert_ne!(deliveries[3].event_id, deliveries[0].event_id);
    assert_eq!(receiver.got.lock().unwrap().len(), 4);
    // A receiver that is not there: attempts fail without a status.
    let server = server_sending_to("http://127.0.0.1:9/nowhere", |c| c.max_attempts = 2).await;
    post_json(
        &http,
        format!("{}/orders", server.base_url()),
        Some("k"),
        &order_body(),
    )
    .await;
    server.state().webhooks_settled().await;
    let deliveries = server.state().webhook_deliveries();
    assert_eq!(deliveries.len(), 2);
    assert!(deliveries
        .iter()
        .all(|d| d.status.is_none() && d.error.is_some()));
}

#[tokio::test]
async fn the_duplicate_fault_delivers_each_event_twice_with_one_id() {
    let (receiver, url) = receiver().await;
    let server = server_sending_to(&url, |c| c.duplicate_every = 1).await;
    order_story(&server.base_url()).await;
    server.state().webhooks_settled().await;
    let got = receiver.got.lock().unwrap().clone();
    assert_eq!(got.len(), 6);
    for pair in got.chunks(2) {
        assert_eq!(pair[0].id, pair[1].id);
        assert_eq!(pair[0].body, pair[1].body);
    }
    let copies: Vec<_> = server
        .state()
        .webhook_deliveries()
        .iter()
        .map(|d| d.copy)
        .collect();
    assert_eq!(copies, [1, 2, 1, 2, 1, 2]);
    // Every second event only.
    let (receiver, url) = self::receiver().await;
    let server = server_sending_to(&url, |c| c.duplicate_every = 2).await;
    order_story(&server.base_url()).await;
    server.state().webhooks_settled().await;
    assert_eq!(receiver.got.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn without_a_webhook_target_nothing_is_sent() {
    let server = spawn(fast_config()).await.unwrap();
    order_story(&server.base_url()).await;
    server.state().webhooks_settled().await;
    assert!(server.state().webhook_events().is_empty());
    assert!(server.state().webhook_deliveries().is_empty());
}

#[tokio::test]
async fn the_events_match_openapi_webhooks_yaml() {
    let spec: Value = serde_yaml::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../openapi/webhooks.yaml"
        ))
        .unwrap(),
    )
    .unwrap();
    let schemas = &spec["components"]["schemas"];
    let (receiver, url) = receiver().await;
    let server = server_sending_to(&url, |_| {}).await;
    order_story(&server.base_url()).await;
    server.state().webhooks_settled().await;
    let names = |v: &Value| -> std::collections::BTreeSet<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect()
    };
    let keys = |v: &Value| -> std::collections::BTreeSet<String> {
        v.as_object().unwrap().keys().cloned().collect()
    };
    for r in receiver.got.lock().unwrap().iter() {
        let event: Value = serde_json::from_slice(&r.body).unwrap();
        let kind = event["type"].as_str().unwrap();
        let op = &spec["webhooks"][kind]["post"];
        let reference = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .unwrap_or_else(|| panic!("{kind} is in webhooks.yaml"));
        let schema = &schemas[reference.rsplit('/').next().unwrap()];
        assert_eq!(schema["properties"]["type"]["const"], kind);
        assert_eq!(keys(&event), names(&schema["required"]), "{kind}");
        assert_eq!(
            keys(&event["data"]),
            names(&schemas["Order"]["required"]),
            "{kind}"
        );
        let pattern = regex_lite_evt(&r.id);
        assert!(pattern, "{} matches EventId", r.id);
    }
}

/// `^evt_[0-9a-f]{32}$`, the spec's EventId pattern.
fn regex_lite_evt(id: &str) -> bool {
    id.strip_prefix("evt_").is_some_and(|hex| {
        hex.len() == 32
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}
