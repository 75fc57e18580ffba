//! Behaviour on the wire that the shared conformance scenarios do not cover:
//! concurrent calls with one intent, stored 202 replays, connect errors.

use std::time::Duration;

use oncely::{Client, Error, Operation, RetryPolicy, SqliteStore};
use orders_server::{spawn, Fault, FaultRule, ServerConfig, SideEffect};
use serde_json::{json, Value};

fn order() -> Value {
    json!({"customer_id": "cus_1", "currency": "EUR", "items": [{"sku": "sku-1", "quantity": 1}]})
}

fn fast_config() -> ServerConfig {
    ServerConfig {
        operation_duration: Duration::from_millis(50),
        retry_after_ms: Some(5),
        ..ServerConfig::default()
    }
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy::default().base_delay(Duration::from_millis(1)).max_delay(Duration::from_millis(20))
}

#[tokio::test]
async fn concurrent_calls_with_one_intent_make_one_side_effect() {
    let server = spawn(fast_config()).await.unwrap();
    // The first request is slow, so the second arrives while it is in flight
    // and gets 409 until the first has finished; then a replay.
    server.add_fault(FaultRule::new("POST /orders", Fault::delay_ms(150)));
    let client = Client::builder(server.base_url()).retry_policy(fast_retries().max_attempts(20)).build().unwrap();
    let call = || client.post("/orders").json(&order()).intent_id("cart-1").send_json::<Value>();
    let (a, b) = tokio::join!(call(), call());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a["id"], b["id"]);
    let ledger = server.ledger();
    assert_eq!(ledger.iter().filter(|e| e.kind == SideEffect::OrderCreated).count(), 1);
    let requests = server.requests();
    let keys: std::collections::HashSet<_> = requests.iter().map(|r| r.idempotency_key.clone()).collect();
    assert_eq!(keys.len(), 1, "one key for one intent: {requests:?}");
    assert!(requests.iter().any(|r| r.status == orders_server::Outcome::Status(409)), "{requests:?}");
}

#[tokio::test]
async fn a_stored_202_resumes_polling_after_a_restart_without_resubmitting() {
    let server = spawn(fast_config()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("oncely.db");
    let client = |db: &std::path::Path| {
        Client::builder(server.base_url())
            .store(SqliteStore::open(db).unwrap())
            .retry_policy(fast_retries())
            .poll_config(oncely::PollConfig { default_interval: Duration::from_millis(5), ..Default::default() })
            .build()
            .unwrap()
    };
    let first = client(&db);
    let order: Value = first.post("/orders").json(&order()).send_json().await.unwrap();
    let ship = |c: &Client| {
        c.post("/orders/{id}/shipments")
            .path_param("id", order["id"].as_str().unwrap())
            .json(&json!({"carrier": "dhl"}))
            .intent_id("ship-1")
            .send_operation::<Value>()
    };
    let op: Operation<Value> = ship(&first).await.unwrap();
    drop((op, first));
    // A new process: the 202 comes from the store, polling continues.
    let second = client(&db);
    let shipment = ship(&second).await.unwrap().wait().await.unwrap();
    assert_eq!(shipment["carrier"], "dhl");
    let shipments = server.requests().iter().filter(|r| r.route.as_deref() == Some("POST /orders/{order_id}/shipments")).count();
    assert_eq!(shipments, 1, "the shipment was submitted once");
}

#[tokio::test]
async fn connect_errors_are_retried_and_typed() {
    // A port nobody listens on: bind, read the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let client = Client::builder(format!("http://127.0.0.1:{port}")).retry_policy(fast_retries().max_attempts(3)).build().unwrap();
    match client.post("/orders").json(&order()).send().await.unwrap_err() {
        Error::RetryExhausted { attempts: 3, last } => {
            assert!(matches!(*last, Error::Transport { kind: oncely::TransportKind::Connect, .. }), "{last}")
        }
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn non_json_answer_to_a_json_call_names_the_media_type() {
    let server = spawn(fast_config()).await.unwrap();
    server.add_fault(FaultRule::new(
        "GET /orders/{order_id}",
        Fault::Status {
            code: 200,
            retry_after: None,
            retry_after_ms: None,
            should_retry: None,
            body: Some("<h1>down for maintenance</h1>".into()),
            content_type: Some("text/html".into()),
        },
    ));
    let client = Client::builder(server.base_url()).build().unwrap();
    let err = client.get("/orders/{id}").path_param("id", "x").send_json::<Value>().await.unwrap_err();
    match err {
        Error::Decode { message, snippet, .. } => {
            assert!(message.contains("text/html"), "{message}");
            assert!(snippet.contains("maintenance"));
        }
        other => panic!("{other}"),
    }
}
