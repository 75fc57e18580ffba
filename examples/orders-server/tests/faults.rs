//! Fault injection: scripted faults of every kind, the admin fault API and
//! seeded chaos.

mod common;

use std::time::{Duration, Instant};

use common::*;
use orders_server::{spawn, ChaosConfig, Fault, FaultRule, Outcome, ServerConfig, SideEffect};
use serde_json::{json, Value};

#[tokio::test]
async fn drop_after_commit_commits_once_and_the_retry_replays() {
    let server = server().await;
    server.add_fault(FaultRule::new("POST /orders", Fault::DropAfterCommit));
    let client = client();
    let url = format!("{}/orders", server.base_url());

    let err = client
        .post(&url)
        .header("Idempotency-Key", "k-drop")
        .json(&order_body())
        .send()
        .await
        .expect_err("the client must see a connection error, not a response");
    assert!(!err.is_status() && !err.is_timeout(), "{err:?}");

    let ledger = server.ledger();
    assert_eq!(ledger.len(), 1, "the order was committed exactly once");
    assert_eq!(ledger[0].kind, SideEffect::OrderCreated);
    assert_eq!(ledger[0].idempotency_key.as_deref(), Some("k-drop"));

    let retry = post(&client, url, Some("k-drop"), &order_body()).await;
    assert_eq!(retry.status(), 201);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    let order: Value = retry.json().await.unwrap();
    assert_eq!(order["id"], json!(ledger[0].order_id));
    assert_eq!(server.ledger().len(), 1);

    let log = server.requests();
    assert_eq!(log[0].status, Outcome::Dropped);
    assert_eq!(log[0].fault, Some(Fault::DropAfterCommit));
    assert_eq!(log[1].status, Outcome::Status(201));
    assert!(log[1].replayed);
    server.shutdown().await;
}

#[tokio::test]
async fn drop_before_commit_processes_nothing() {
    let server = server().await;
    server.add_fault(FaultRule::new("POST /orders", Fault::DropBeforeCommit));
    let client = client();
    let url = format!("{}/orders", server.base_url());
    let result = client
        .post(&url)
        .header("Idempotency-Key", "k-before")
        .json(&order_body())
        .send()
        .await;
    assert!(result.is_err(), "{result:?}");
    assert!(server.ledger().is_empty());
    let retry = post(&client, url, Some("k-before"), &order_body()).await;
    assert_eq!(retry.status(), 201);
    assert!(retry.headers().get("idempotent-replayed").is_none());
    assert_eq!(server.ledger().len(), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn status_faults_answer_without_processing() {
    let server = server().await;
    server.add_fault(FaultRule::new(
        "POST /orders",
        Fault::service_unavailable(1),
    ));
    server.add_fault(FaultRule::new("POST /orders", Fault::too_many_requests_ms(25)).nth(2));
    server.add_fault(FaultRule::new("POST /orders", Fault::internal_error()).nth(3));
    let client = client();
    let url = format!("{}/orders", server.base_url());

    let response = post(&client, url.clone(), Some("k-status"), &order_body()).await;
    assert_eq!(response.headers()["retry-after"], "1");
    problem(response, 503, "injected-fault").await;
    let response = post(&client, url.clone(), Some("k-status"), &order_body()).await;
    assert_eq!(response.headers()["retry-after-ms"], "25");
    problem(response, 429, "injected-fault").await;
    let response = post(&client, url.clone(), Some("k-status"), &order_body()).await;
    problem(response, 500, "injected-fault").await;
    assert!(
        server.ledger().is_empty(),
        "no fault may cause a side effect"
    );

    let response = post(&client, url, Some("k-status"), &order_body()).await;
    assert_eq!(response.status(), 201);
    assert!(response.headers().get("idempotent-replayed").is_none());
    assert_eq!(server.ledger().len(), 1);

    let stats = server.stats();
    assert_eq!(stats.faults["status_503"], 1);
    assert_eq!(stats.faults["status_429"], 1);
    assert_eq!(stats.faults["status_500"], 1);
    server.shutdown().await;
}

#[tokio::test]
async fn lying_servers_are_expressible() {
    let server = server().await;
    let lie = |content_type: &str, body: &str| Fault::Status {
        code: 502,
        retry_after: Some("Wed, 21 Oct 2015 07:28:00 GMT".into()),
        retry_after_ms: None,
        should_retry: Some(false),
        body: Some(body.into()),
        content_type: Some(content_type.into()),
    };
    server.add_fault(FaultRule::new(
        "*",
        lie("application/json", "<html>oops</html>"),
    ));
    server.add_fault(FaultRule::new("*", lie("application/problem+json", "{\"type\":")).nth(2));
    let client = client();
    let url = format!("{}/orders", server.base_url());
    let response = post(&client, url.clone(), Some("k"), &order_body()).await;
    assert_eq!(response.status(), 502);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["x-should-retry"], "false");
    assert_eq!(
        response.headers()["retry-after"],
        "Wed, 21 Oct 2015 07:28:00 GMT"
    );
    assert_eq!(response.text().await.unwrap(), "<html>oops</html>");
    let response = post(&client, url, Some("k"), &order_body()).await;
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(response.text().await.unwrap(), "{\"type\":");
    server.shutdown().await;
}

#[tokio::test]
async fn delay_sleeps_then_processes() {
    let server = server().await;
    server.add_fault(FaultRule::new("POST /orders", Fault::delay_ms(120)));
    let client = client();
    let started = Instant::now();
    let response = post(
        &client,
        format!("{}/orders", server.base_url()),
        Some("k"),
        &order_body(),
    )
    .await;
    assert_eq!(response.status(), 201);
    assert!(started.elapsed() >= Duration::from_millis(120));
    assert_eq!(server.ledger().len(), 1);
    assert_eq!(server.requests()[0].fault, Some(Fault::delay_ms(120)));
    server.shutdown().await;
}

#[tokio::test]
async fn rules_count_per_route_and_support_every_and_times() {
    let server = server().await;
    let client = client();
    let base = server.base_url();
    let order = create_order(&client, &server, "k-order").await;
    let pay_url = format!("{base}/orders/{}/payments", order["id"].as_str().unwrap());
    let payment = json!({"amount": 1999, "currency": "EUR", "payment_method": "pm_card_visa"});
    server.add_fault(
        FaultRule::new("POST /orders/{order_id}/payments", Fault::internal_error())
            .nth(2)
            .times(2),
    );
    server.add_fault(FaultRule::new("GET /orders/{order_id}", Fault::internal_error()).every());
    let statuses: Vec<u16> = futures_statuses(&client, &pay_url, &payment, 5).await;
    assert_eq!(statuses, [201, 500, 500, 201, 201]);
    for _ in 0..3 {
        let response = client
            .get(format!("{base}/orders/{}", order["id"].as_str().unwrap()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 500);
    }
    server.clear_faults();
    let response = client
        .get(format!("{base}/orders/{}", order["id"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    server.shutdown().await;
}

async fn futures_statuses(client: &reqwest::Client, url: &str, body: &Value, n: usize) -> Vec<u16> {
    let mut statuses = Vec::new();
    for i in 0..n {
        let key = format!("pay-{i}");
        statuses.push(
            post(client, url.to_owned(), Some(&key), body)
                .await
                .status()
                .as_u16(),
        );
    }
    statuses
}

#[tokio::test]
async fn admin_api_installs_lists_and_clears_faults() {
    let server = server().await;
    let client = client();
    let base = server.base_url();
    let rules = json!({"rules": [
        {"route": "POST /orders", "nth": 1, "fault": {"kind": "status", "code": 503, "retry_after": "1"}},
        {"route": "POST /orders", "nth": 2, "fault": {"kind": "drop_after_commit"}}
    ]});
    let response = client
        .post(format!("{base}/_admin/faults"))
        .json(&rules)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let listed: Value = client
        .get(format!("{base}/_admin/faults"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["rules"], rules["rules"]);
    assert_eq!(
        server.state().faults(),
        vec![
            FaultRule::new("POST /orders", Fault::service_unavailable(1)).nth(1),
            FaultRule::new("POST /orders", Fault::DropAfterCommit).nth(2),
        ]
    );

    let url = format!("{base}/orders");
    assert_eq!(
        post(&client, url.clone(), Some("k"), &order_body())
            .await
            .status(),
        503
    );
    assert!(client
        .post(&url)
        .header("Idempotency-Key", "k")
        .json(&order_body())
        .send()
        .await
        .is_err());
    assert_eq!(
        post(&client, url, Some("k"), &order_body()).await.headers()["idempotent-replayed"],
        "true"
    );

    // Invalid rules are rejected as a whole, with a problem naming the rule.
    let bad = json!({"rules": [{"route": "*", "fault": {"kind": "delay", "ms": 1}}, {"route": "*", "fault": {"kind": "status", "code": 7}}]});
    let response = client
        .post(format!("{base}/_admin/faults"))
        .json(&bad)
        .send()
        .await
        .unwrap();
    let body = problem(response, 422, "validation-error").await;
    assert!(
        body["detail"].as_str().unwrap().starts_with("rules[1]"),
        "{body}"
    );
    let typo = json!({"rules": [{"route": "*", "fault": {"kind": "explode"}}]});
    let response = client
        .post(format!("{base}/_admin/faults"))
        .json(&typo)
        .send()
        .await
        .unwrap();
    problem(response, 422, "validation-error").await;

    let response = client
        .delete(format!("{base}/_admin/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert!(server.state().faults().is_empty());
    // Admin requests are neither logged nor faulted.
    assert_eq!(server.requests().len(), 3);
    server.shutdown().await;
}

/// Sends the same request sequence and returns (status or "dropped") per request.
async fn chaos_run(seed: u64) -> (Vec<String>, Vec<Option<Fault>>) {
    let config = ServerConfig {
        chaos: Some(ChaosConfig {
            slow_ms: 5,
            ..ChaosConfig::new(seed, 0.5)
        }),
        ..fast_config()
    };
    let server = spawn(config).await.unwrap();
    let client = client();
    let url = format!("{}/orders", server.base_url());
    let mut seen = Vec::new();
    for i in 0..30 {
        let result = client
            .post(&url)
            .header("Idempotency-Key", format!("chaos-{i}"))
            .json(&order_body())
            .send()
            .await;
        seen.push(match result {
            Ok(response) => response.status().as_str().to_owned(),
            Err(_) => "dropped".to_owned(),
        });
    }
    let faults = server.requests().into_iter().map(|r| r.fault).collect();
    server.shutdown().await;
    (seen, faults)
}

#[tokio::test]
async fn chaos_is_deterministic_by_seed() {
    let (a, faults_a) = chaos_run(42).await;
    let (b, faults_b) = chaos_run(42).await;
    assert_eq!(a, b);
    assert_eq!(faults_a, faults_b);
    assert!(
        faults_a.iter().any(Option::is_some),
        "rate 0.5 faults something"
    );
    assert!(
        faults_a.iter().any(Option::is_none),
        "rate 0.5 spares something"
    );
    let (_, faults_c) = chaos_run(43).await;
    assert_ne!(faults_a, faults_c, "another seed gives another sequence");
}

#[tokio::test]
async fn chaos_spares_admin_and_operation_polls_and_restarts_on_reset() {
    let config = ServerConfig {
        chaos: Some(ChaosConfig {
            mix: orders_server::ChaosMix {
                drop_after_commit: 0,
                slow: 0,
                ..Default::default()
            },
            ..ChaosConfig::new(1, 1.0)
        }),
        ..fast_config()
    };
    let server = spawn(config).await.unwrap();
    let client = client();
    let base = server.base_url();
    let response = post(&client, format!("{base}/orders"), Some("k"), &order_body()).await;
    assert!([429, 500, 503].contains(&response.status().as_u16()));
    let first_fault = server.requests()[0].fault.clone();
    let response = client
        .get(format!(
            "{base}/operations/00000000-0000-0000-0000-000000000000"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404, "operation polls are never faulted");
    assert_eq!(
        client
            .get(format!("{base}/_admin/stats"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let reset = client
        .post(format!("{base}/_admin/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 204);
    assert!(server.requests().is_empty());
    post(&client, format!("{base}/orders"), Some("k"), &order_body()).await;
    assert_eq!(server.requests()[0].fault, first_fault, "reset re-seeds");
    server.shutdown().await;
}

#[tokio::test]
async fn drops_also_work_when_the_router_is_served_by_plain_axum() {
    let state = orders_server::ServerState::new(fast_config());
    state.add_fault(FaultRule::new("POST /orders", Fault::DropAfterCommit));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = orders_server::router(state.clone());
    let task = tokio::spawn(async move { axum::serve(listener, app).await });
    let result = client()
        .post(format!("http://{addr}/orders"))
        .header("Idempotency-Key", "k")
        .json(&order_body())
        .send()
        .await;
    assert!(result.is_err(), "{result:?}");
    assert_eq!(state.ledger().len(), 1);
    task.abort();
}
