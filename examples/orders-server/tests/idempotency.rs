//! Idempotency-Key semantics: 400 / 409 / 422 / replay, scoping, and problem
//! details for bad input.

mod common;

use common::*;
use orders_server::{Fault, FaultRule, SideEffect};
use serde_json::{json, Value};

#[tokio::test]
async fn missing_key_is_a_400_problem_without_side_effect() {
    let server = server().await;
    let response = post(
        &client(),
        format!("{}/orders", server.base_url()),
        None,
        &order_body(),
    )
    .await;
    let body = problem(response, 400, "idempotency-key-missing").await;
    assert_eq!(body["instance"], "/orders");
    assert!(server.ledger().is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn same_key_same_body_replays_the_stored_response() {
    let server = server().await;
    let client = client();
    let url = format!("{}/orders", server.base_url());
    let first = post(&client, url.clone(), Some("k-replay"), &order_body()).await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let etag = first.headers()["etag"].clone();
    let location = first.headers()["location"].clone();
    let first: Value = first.json().await.unwrap();

    // Same payload with keys in another order and other whitespace.
    let reordered = json!({"currency": "EUR", "items": [{"quantity": 2, "sku": "sku-red-shirt"}], "customer_id": "cus_123"});
    let second = post(&client, url, Some("k-replay"), &reordered).await;
    assert_eq!(second.status(), 201);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    assert_eq!(second.headers()["etag"], etag);
    assert_eq!(second.headers()["location"], location);
    assert_eq!(second.headers()["content-type"], "application/json");
    let second: Value = second.json().await.unwrap();
    assert_eq!(first, second);

    assert_eq!(server.ledger().len(), 1);
    let log = server.requests();
    assert_eq!(log.len(), 2);
    assert!(!log[0].replayed && log[1].replayed);
    assert_eq!(log[1].idempotency_key.as_deref(), Some("k-replay"));
    assert_eq!(server.stats().replays, 1);
    server.shutdown().await;
}

#[tokio::test]
async fn same_key_different_body_is_a_422_problem() {
    let server = server().await;
    let client = client();
    let url = format!("{}/orders", server.base_url());
    assert_eq!(
        post(&client, url.clone(), Some("k-reuse"), &order_body())
            .await
            .status(),
        201
    );
    let mut other = order_body();
    other["currency"] = json!("USD");
    let response = post(&client, url, Some("k-reuse"), &other).await;
    problem(response, 422, "idempotency-key-reused").await;
    assert_eq!(server.ledger().len(), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn key_in_flight_is_a_409_problem() {
    let server = server().await;
    server.add_fault(FaultRule::new("POST /orders", Fault::delay_ms(300)));
    let client = client();
    let url = format!("{}/orders", server.base_url());
    let slow = tokio::spawn({
        let (client, url) = (client.clone(), url.clone());
        async move {
            post(&client, url, Some("k-flight"), &order_body())
                .await
                .status()
        }
    });
    // Wait until the first request holds the key.
    for _ in 0..100 {
        if !server.requests().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    // Logged comes just before the key is reserved: give it a moment.
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let response = post(&client, url.clone(), Some("k-flight"), &order_body()).await;
    problem(response, 409, "idempotency-key-in-flight").await;
    assert_eq!(slow.await.unwrap(), 201);
    // Once finished, the same key replays.
    let replay = post(&client, url, Some("k-flight"), &order_body()).await;
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(server.ledger().len(), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn keys_are_scoped_per_method_and_path() {
    let server = server().await;
    let client = client();
    let base = server.base_url();
    let a = create_order(&client, &server, "k-a").await;
    let b = create_order(&client, &server, "k-b").await;
    // The same key on two different orders' reservations: two reservations.
    for order in [&a, &b] {
        let url = format!(
            "{base}/orders/{}/reservations",
            order["id"].as_str().unwrap()
        );
        let response = post(&client, url, Some("shared-key"), &json!({})).await;
        assert_eq!(response.status(), 201);
        assert!(response.headers().get("idempotent-replayed").is_none());
    }
    let reserved = server
        .ledger()
        .iter()
        .filter(|e| e.kind == SideEffect::InventoryReserved)
        .count();
    assert_eq!(reserved, 2);
    server.shutdown().await;
}

#[tokio::test]
async fn rejected_requests_do_not_burn_the_key() {
    let server = server().await;
    let client = client();
    let url = format!("{}/orders", server.base_url());
    let mut invalid = order_body();
    invalid["items"][0]["quantity"] = json!(0);
    let response = post(&client, url.clone(), Some("k-fix"), &invalid).await;
    let body = problem(response, 422, "validation-error").await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("items[0].quantity"),
        "{body}"
    );
    // The corrected request with the same key is processed, not a mismatch.
    let response = post(&client, url, Some("k-fix"), &order_body()).await;
    assert_eq!(response.status(), 201);
    server.shutdown().await;
}

#[tokio::test]
async fn bad_bodies_and_routes_are_problems() {
    let server = server().await;
    let client = client();
    let base = server.base_url();

    let response = client
        .post(format!("{base}/orders"))
        .header("Idempotency-Key", "k-malformed")
        .header("content-type", "application/json")
        .body("{\"customer_id\": ")
        .send()
        .await
        .unwrap();
    let body = problem(response, 400, "malformed-body").await;
    assert!(
        body["detail"].as_str().unwrap().contains("not valid JSON"),
        "{body}"
    );

    let response = post(
        &client,
        format!("{base}/orders"),
        Some("k-missing"),
        &json!({"items": []}),
    )
    .await;
    let body = problem(response, 422, "validation-error").await;
    assert!(
        body["detail"].as_str().unwrap().contains("customer_id"),
        "{body}"
    );

    let response = client
        .post(format!("{base}/orders"))
        .header("Idempotency-Key", "k-text")
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    problem(response, 415, "unsupported-media-type").await;

    let response = client.get(format!("{base}/nope")).send().await.unwrap();
    let body = problem(response, 404, "not-found").await;
    assert_eq!(body["instance"], "/nope");

    let response = client
        .get(format!("{base}/orders/not-a-uuid"))
        .send()
        .await
        .unwrap();
    problem(response, 404, "not-found").await;

    let response = client.put(format!("{base}/orders")).send().await.unwrap();
    problem(response, 405, "method-not-allowed").await;

    let response = client
        .post(format!("{base}/orders"))
        .header("Idempotency-Key", "")
        .json(&order_body())
        .send()
        .await
        .unwrap();
    problem(response, 400, "idempotency-key-invalid").await;

    // Every one of them is in the request log; unknown routes have no route.
    let log = server.requests();
    assert_eq!(log.len(), 7);
    assert_eq!(log[3].route, None);
    assert_eq!(log[0].route.as_deref(), Some("POST /orders"));
    assert!(server.ledger().is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn quoted_structured_field_keys_are_accepted() {
    let server = server().await;
    let client = client();
    let url = format!("{}/orders", server.base_url());
    assert_eq!(
        post(&client, url.clone(), Some("\"sf-key\""), &order_body())
            .await
            .status(),
        201
    );
    let replay = post(&client, url, Some("sf-key"), &order_body()).await;
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    server.shutdown().await;
}
