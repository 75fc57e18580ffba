//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::time::Duration;

use orders_server::{spawn, RunningServer, ServerConfig};
use reqwest::{Client, Response};
use serde_json::{json, Value};

/// A config with ms-scale timings.
pub fn fast_config() -> ServerConfig {
    ServerConfig {
        operation_duration: Duration::from_millis(150),
        retry_after_ms: Some(20),
        ..ServerConfig::default()
    }
}

pub async fn server() -> RunningServer {
    spawn(fast_config()).await.expect("server starts")
}

pub fn client() -> Client {
    Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client builds")
}

pub fn order_body() -> Value {
    json!({
        "customer_id": "cus_123",
        "items": [{"sku": "sku-red-shirt", "quantity": 2}],
        "currency": "EUR"
    })
}

/// POST JSON with an idempotency key.
pub async fn post(client: &Client, url: String, key: Option<&str>, body: &Value) -> Response {
    let mut request = client.post(url).json(body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await.expect("request succeeds")
}

/// Creates an order and returns its JSON.
pub async fn create_order(client: &Client, server: &RunningServer, key: &str) -> Value {
    let response = post(
        client,
        format!("{}/orders", server.base_url()),
        Some(key),
        &order_body(),
    )
    .await;
    assert_eq!(response.status(), 201);
    response.json().await.expect("order json")
}

/// Asserts a problem+json response and returns its body.
pub async fn problem(response: Response, status: u16, type_suffix: &str) -> Value {
    assert_eq!(response.status(), status, "unexpected status");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.expect("problem json");
    assert_eq!(
        body["type"],
        format!("https://oncely.dev/problems/{type_suffix}"),
        "{body}"
    );
    assert_eq!(body["status"], status);
    assert!(body["title"].is_string());
    body
}
