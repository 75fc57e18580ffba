//! The contract's resources: ETags, payments, reservations, 202 operations,
//! the second origin, and the admin views.

mod common;

use std::time::Duration;

use common::*;
use orders_server::{spawn, spawn_with_state, Outcome, ServerConfig, SideEffect};
use reqwest::Client;
use serde_json::{json, Value};

fn id(value: &Value) -> &str {
    value["id"].as_str().expect("resource has an id")
}

#[tokio::test]
async fn conditional_updates_use_etags() {
    let server = server().await;
    let client = client();
    let order = create_order(&client, &server, "k-order").await;
    let url = format!("{}/orders/{}", server.base_url(), id(&order));

    let current = client.get(&url).send().await.unwrap();
    assert_eq!(current.status(), 200);
    let etag = current.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, "\"v1\"");

    let patch = json!({"note": "leave at the door"});
    let response = client.patch(&url).json(&patch).send().await.unwrap();
    problem(response, 428, "precondition-required").await;

    let response = client
        .patch(&url)
        .header("If-Match", "\"v0\"")
        .json(&patch)
        .send()
        .await
        .unwrap();
    let body = problem(response, 412, "precondition-failed").await;
    assert_eq!(body["current_etag"], etag);

    let response = client
        .patch(&url)
        .header("If-Match", &etag)
        .json(&patch)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["etag"], "\"v2\"");
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["note"], "leave at the door");
    assert_eq!(updated["version"], 2);

    // A stale tag now fails; a retry with the update's key replays instead.
    let keyed = |key: &str| {
        client
            .patch(&url)
            .header("If-Match", "\"v2\"")
            .header("Idempotency-Key", key)
            .json(&json!({"note": null}))
    };
    assert_eq!(keyed("k-patch").send().await.unwrap().status(), 200);
    let replay = keyed("k-patch").send().await.unwrap();
    assert_eq!(replay.status(), 200);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(replay.headers()["etag"], "\"v3\"");
    let response = keyed("k-other").send().await.unwrap();
    problem(response, 412, "precondition-failed").await;

    let updates = server
        .ledger()
        .iter()
        .filter(|e| e.kind == SideEffect::OrderUpdated)
        .count();
    assert_eq!(updates, 2);
    server.shutdown().await;
}

#[tokio::test]
async fn declined_payment_is_a_stored_402_problem_without_side_effect() {
    let server = server().await;
    let client = client();
    let order = create_order(&client, &server, "k-order").await;
    let url = format!("{}/orders/{}/payments", server.base_url(), id(&order));
    let body = json!({"amount": 4200, "currency": "EUR", "payment_method": "pm_card_declined"});

    let response = post(&client, url.clone(), Some("k-pay"), &body).await;
    let problem_body = problem(response, 402, "payment-declined").await;
    assert_eq!(problem_body["decline_code"], "insufficient_funds");
    assert_eq!(
        problem_body["instance"],
        format!("/orders/{}/payments", id(&order))
    );

    // The decline is final: the same key replays it.
    let replay = post(&client, url.clone(), Some("k-pay"), &body).await;
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    problem(replay, 402, "payment-declined").await;

    assert!(server
        .ledger()
        .iter()
        .all(|e| e.kind != SideEffect::PaymentAuthorized));
    let log = server.requests();
    let logged = log
        .iter()
        .filter(|r| r.route.as_deref() == Some("POST /orders/{order_id}/payments"))
        .count();
    assert_eq!(logged, 2);
    assert_eq!(log[1].status, Outcome::Status(402));

    // A good card with a fresh key is authorized; voiding twice voids once.
    let good = json!({"amount": 4200, "currency": "EUR", "payment_method": "pm_card_visa"});
    let response = post(&client, url.clone(), Some("k-pay-2"), &good).await;
    assert_eq!(response.status(), 201);
    let payment: Value = response.json().await.unwrap();
    assert_eq!(payment["status"], "authorized");
    assert_eq!(payment["amount"], 4200);
    let void_url = format!("{url}/{}/void", id(&payment));
    for key in ["k-void-1", "k-void-2"] {
        let response = post(&client, void_url.clone(), Some(key), &json!({})).await;
        assert_eq!(response.status(), 200);
        let voided: Value = response.json().await.unwrap();
        assert_eq!(voided["status"], "voided");
    }
    let kinds: Vec<_> = server.ledger().iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            SideEffect::OrderCreated,
            SideEffect::PaymentAuthorized,
            SideEffect::PaymentVoided
        ]
    );
    server.shutdown().await;
}

#[tokio::test]
async fn reservations_release_once() {
    let server = server().await;
    let client = client();
    let order = create_order(&client, &server, "k-order").await;
    let url = format!("{}/orders/{}/reservations", server.base_url(), id(&order));
    let response = post(&client, url.clone(), Some("k-res"), &json!({})).await;
    assert_eq!(response.status(), 201);
    let reservation: Value = response.json().await.unwrap();
    assert_eq!(reservation["items"], order["items"]);
    let release_url = format!("{url}/{}", id(&reservation));
    for _ in 0..2 {
        let response = client.delete(&release_url).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let released: Value = response.json().await.unwrap();
        assert_eq!(released["status"], "released");
    }
    let releases = server
        .ledger()
        .iter()
        .filter(|e| e.kind == SideEffect::ReservationReleased)
        .count();
    assert_eq!(releases, 1);
    let response = client
        .delete(format!("{url}/{}", uuid_zero()))
        .send()
        .await
        .unwrap();
    problem(response, 404, "not-found").await;
    server.shutdown().await;
}

fn uuid_zero() -> &'static str {
    "00000000-0000-0000-0000-000000000000"
}

async fn poll_until_terminal(client: &Client, url: &str) -> (Value, Vec<u64>) {
    let mut percents = Vec::new();
    for _ in 0..200 {
        let response = client.get(url).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let running = response.headers().get("retry-after").is_some();
        let body: Value = response.json().await.unwrap();
        percents.push(body["percent_complete"].as_u64().unwrap());
        if body["status"] != "running" {
            assert!(!running, "terminal status carries no Retry-After");
            return (body, percents);
        }
        assert!(running, "running status carries Retry-After");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("operation never finished");
}

#[tokio::test]
async fn shipments_run_as_202_operations_to_success() {
    let server = server().await;
    let client = client();
    let order = create_order(&client, &server, "k-order").await;
    let url = format!("{}/orders/{}/shipments", server.base_url(), id(&order));
    let response = post(&client, url, Some("k-ship"), &json!({"carrier": "dhl"})).await;
    assert_eq!(response.status(), 202);
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(response.headers()["retry-after-ms"], "20");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let accepted: Value = response.json().await.unwrap();
    assert_eq!(accepted["status"], "running");
    assert_eq!(location, format!("/operations/{}", id(&accepted)));

    let (done, percents) =
        poll_until_terminal(&client, &format!("{}{location}", server.base_url())).await;
    assert_eq!(done["status"], "succeeded");
    assert_eq!(done["percent_complete"], 100);
    assert_eq!(done["result"]["carrier"], "dhl");
    assert_eq!(done["result"]["order_id"], order["id"]);
    assert!(done["result"]["tracking_number"]
        .as_str()
        .unwrap()
        .starts_with("TRK"));
    assert!(percents.windows(2).all(|w| w[0] <= w[1]), "{percents:?}");
    assert!(
        percents.len() > 2,
        "the operation took several polls: {percents:?}"
    );
    let requested = server
        .ledger()
        .iter()
        .filter(|e| e.kind == SideEffect::ShipmentRequested)
        .count();
    assert_eq!(requested, 1);
    server.shutdown().await;
}

#[tokio::test]
async fn shipments_can_fail_or_be_canceled() {
    let server = server().await;
    let client = client();
    let base = server.base_url();
    let order = create_order(&client, &server, "k-order").await;
    let url = format!("{base}/orders/{}/shipments", id(&order));
    let response = post(
        &client,
        url.clone(),
        Some("k-fail"),
        &json!({"simulate": "fail"}),
    )
    .await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let (failed, _) = poll_until_terminal(&client, &format!("{base}{location}")).await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(
        failed["error"]["type"],
        "https://oncely.dev/problems/shipment-failed"
    );
    assert!(failed["error"]["status"].is_u64());
    assert!(failed.get("result").is_none());

    let response = post(&client, url, Some("k-cancel"), &json!({})).await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let cancel = post(
        &client,
        format!("{base}/orders/{}/cancel", id(&order)),
        Some("k-c"),
        &json!({"reason": "changed mind"}),
    )
    .await;
    assert_eq!(cancel.status(), 200);
    let cancelled: Value = cancel.json().await.unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    let (canceled, _) = poll_until_terminal(&client, &format!("{base}{location}")).await;
    assert_eq!(canceled["status"], "canceled");

    // No new work on a cancelled order.
    let response = post(
        &client,
        format!("{base}/orders/{}/reservations", id(&order)),
        Some("k-r"),
        &json!({}),
    )
    .await;
    problem(response, 409, "order-cancelled").await;
    let response = client
        .get(format!("{base}/operations/{}", uuid_zero()))
        .send()
        .await
        .unwrap();
    problem(response, 404, "not-found").await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_second_origin_serves_operations_and_logs_credentials_presence() {
    let other = spawn(fast_config()).await.unwrap();
    let main = spawn_with_state(other.state().sibling(ServerConfig {
        operation_location_base: Some(format!("{}/", other.base_url())),
        ..fast_config()
    }))
    .await
    .unwrap();
    let client = client();
    let response = client
        .post(format!("{}/orders", main.base_url()))
        .header("Idempotency-Key", "k-order")
        .header("Authorization", "Bearer secret-token")
        .header("X-Api-Key", "secret-key")
        .header("Cookie", "session=secret")
        .json(&order_body())
        .send()
        .await
        .unwrap();
    let order: Value = response.json().await.unwrap();
    let response = client
        .post(format!(
            "{}/orders/{}/shipments",
            main.base_url(),
            id(&order)
        ))
        .header("Idempotency-Key", "k-ship")
        .header("Authorization", "Bearer secret-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&format!("{}/operations/", other.base_url())),
        "{location}"
    );

    // A well-behaved client polls the other origin without credentials.
    let (done, _) = poll_until_terminal(&client, &location).await;
    assert_eq!(done["status"], "succeeded");

    let main_log = main.requests();
    assert_eq!(main_log.len(), 2);
    assert!(main_log[0].has_authorization && main_log[0].has_api_key && main_log[0].has_cookie);
    let other_log = other.requests();
    assert!(!other_log.is_empty());
    assert!(other_log
        .iter()
        .all(|r| r.route.as_deref() == Some("GET /operations/{operation_id}")));
    assert!(other_log
        .iter()
        .all(|r| !r.has_authorization && !r.has_api_key && !r.has_cookie));
    // The data (and so the ledger) is shared.
    assert_eq!(other.ledger().len(), 2);

    // Secrets never reach the request log, in any form.
    let text = client
        .get(format!("{}/_admin/requests", main.base_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!text.contains("secret"), "{text}");
    main.shutdown().await;
    other.shutdown().await;
}

#[tokio::test]
async fn admin_views_and_reset() {
    let server = server().await;
    let client = client();
    let base = server.base_url();
    let order = create_order(&client, &server, "k-order").await;
    post(
        &client,
        format!("{base}/orders/{}/reservations", id(&order)),
        Some("k-r"),
        &json!({}),
    )
    .await;

    let ledger: Value = client
        .get(format!("{base}/_admin/ledger"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entries = ledger["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["seq"], 1);
    assert_eq!(entries[0]["kind"], "order_created");
    assert_eq!(entries[0]["idempotency_key"], "k-order");
    assert_eq!(entries[0]["order_id"], order["id"]);
    assert_eq!(entries[1]["kind"], "inventory_reserved");
    assert!(entries[1]["timestamp"].as_str().unwrap().ends_with('Z'));

    let requests: Value = client
        .get(format!("{base}/_admin/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let first = &requests["requests"][0];
    assert_eq!(first["seq"], 1);
    assert_eq!(first["method"], "POST");
    assert_eq!(first["path"], "/orders");
    assert_eq!(first["route"], "POST /orders");
    assert_eq!(first["status"], 201);
    assert_eq!(first["fault"], Value::Null);
    assert_eq!(first["replayed"], false);
    assert_eq!(first["has_authorization"], false);
    assert_eq!(
        requests["requests"][1]["route"],
        "POST /orders/{order_id}/reservations"
    );

    let stats: Value = client
        .get(format!("{base}/_admin/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["requests"], 2);
    assert_eq!(stats["side_effects"], 2);
    assert_eq!(stats["side_effects_by_kind"]["order_created"], 1);
    assert_eq!(stats["statuses"]["201"], 2);

    assert_eq!(
        client
            .post(format!("{base}/_admin/reset"))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert!(server.ledger().is_empty() && server.requests().is_empty());
    // Keys are forgotten too: the same key creates a new order.
    let again = create_order(&client, &server, "k-order").await;
    assert_ne!(again["id"], order["id"]);
    let response = client
        .get(format!("{base}/orders/{}", id(&order)))
        .send()
        .await
        .unwrap();
    problem(response, 404, "not-found").await;
    server.shutdown().await;
}
