//! The Arazzo interpreter against the reference server: the checkout of
//! `openapi/orders.arazzo.yaml` runs on the engine and journal, every write
//! keyed by (run, step), faults absorbed without duplicates, a declined
//! payment compensated through `x-oncely-compensate`.

mod workflow_common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use oncely::arazzo::run::{ArazzoWorkflow, CompileOptions, PlanError};
use oncely::arazzo::{load_file, load_str, Sources};
use oncely::store::{Journal, RunState};
use oncely::workflow::{step_key, Engine};
use oncely::{MemoryStore, SqliteStore, Store};
use orders_server::{Fault, FaultRule, SideEffect};
use serde_json::{json, Value};
use workflow_common::{client, count, requests_to, server};

fn checkout_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/orders.arazzo.yaml")
}

fn checkout() -> ArazzoWorkflow {
    let path = checkout_path();
    let document = load_file(&path).unwrap();
    let (sources, errors) = Sources::load(&document, &path);
    assert!(errors.is_empty(), "{errors:?}");
    ArazzoWorkflow::compile(&document, &sources, "checkout").unwrap()
}

fn inputs(payment_method: &str) -> Value {
    json!({
        "customer_id": "cus_1",
        "sku": "sku-1",
        "quantity": 2,
        "currency": "EUR",
        "amount": 1250,
        "payment_method": payment_method,
        "carrier": "oncely-post",
    })
}

fn engine(base: &str, flow: &ArazzoWorkflow) -> Engine {
    engine_on(base, flow, Arc::new(MemoryStore::new()))
}

fn engine_on(base: &str, flow: &ArazzoWorkflow, store: Arc<dyn Store>) -> Engine {
    let journal: Arc<dyn Journal> = store.clone().as_journal().unwrap();
    Engine::new(client(base, store), journal)
        .owner("arazzo")
        .register(flow.workflow().clone())
}

#[tokio::test]
async fn the_checkout_runs_every_step_once_with_its_key() {
    let server = server().await;
    let flow = checkout();
    let engine = engine(&server.base_url(), &flow);
    // A lost answer on the payment and a 503 on the reservation: retried
    // with the same keys, replayed by the server.
    server.add_fault(FaultRule::new(
        "POST /orders/{order_id}/payments",
        Fault::DropAfterCommit,
    ));
    server.add_fault(FaultRule::new(
        "POST /orders/{order_id}/reservations",
        Fault::status(503),
    ));
    let outcome = engine
        .start(flow.workflow(), Some("checkout-1"), &inputs("pm_card_visa"))
        .await
        .unwrap();
    assert_eq!(outcome.state, RunState::Completed, "{outcome:?}");
    let outputs = flow.outputs(&outcome, &inputs("pm_card_visa")).unwrap();
    let order_id = outputs["orderId"].as_str().unwrap().to_owned();
    for name in ["reservationId", "paymentId", "shipmentOperationId"] {
        assert!(outputs[name].is_string(), "{name}: {outputs:?}");
    }
    assert_eq!(
        outcome.outputs["createOrder"]["etag"]
            .as_str()
            .map(|e| e.starts_with('"')),
        Some(true)
    );
    for kind in [
        SideEffect::OrderCreated,
        SideEffect::InventoryReserved,
        SideEffect::PaymentAuthorized,
        SideEffect::ShipmentRequested,
    ] {
        assert_eq!(count(&server, kind, &order_id), 1, "{kind:?}");
    }
    assert_eq!(count(&server, SideEffect::OrderCancelled, &order_id), 0);
    let payments = requests_to(&server, "POST", &format!("/orders/{order_id}/payments"));
    assert_eq!(payments.len(), 2, "the lost answer was retried once");
    assert!(payments.iter().all(|r| r.idempotency_key.as_deref()
        == Some(step_key("checkout-1", "authorizePayment").as_str())));
    assert!(payments[1].replayed);
    // The 202 was polled to its end.
    let operation = outputs["shipmentOperationId"].as_str().unwrap();
    let polls = requests_to(&server, "GET", &format!("/operations/{operation}"));
    assert!(!polls.is_empty(), "the shipment operation was polled");
    let created = requests_to(&server, "POST", "/orders");
    assert_eq!(
        created[0].idempotency_key.as_deref(),
        Some(step_key("checkout-1", "createOrder").as_str())
    );
}

#[tokio::test]
async fn a_declined_payment_compensates_in_reverse() {
    let server = server().await;
    let flow = checkout();
    let engine = engine(&server.base_url(), &flow);
    let outcome = engine
        .start(
            flow.workflow(),
            Some("checkout-2"),
            &inputs("pm_card_declined"),
        )
        .await
        .unwrap();
    assert_eq!(outcome.state, RunState::Compensated, "{outcome:?}");
    let error = outcome.error.clone().unwrap();
    assert_eq!(error["step"], "authorizePayment", "{error}");
    let order_id = outcome.outputs["createOrder"]["orderId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(count(&server, SideEffect::PaymentAuthorized, &order_id), 0);
    assert_eq!(
        count(&server, SideEffect::ReservationReleased, &order_id),
        1
    );
    assert_eq!(count(&server, SideEffect::OrderCancelled, &order_id), 1);
    assert_eq!(count(&server, SideEffect::ShipmentRequested, &order_id), 0);
    // Release before cancel: reverse order.
    let requests = server.requests();
    let release = requests.iter().position(|r| r.method == "DELETE").unwrap();
    let cancel = requests
        .iter()
        .position(|r| r.path.ends_with("/cancel"))
        .unwrap();
    assert!(release < cancel);
}

#[tokio::test]
async fn a_criterion_that_does_not_hold_fails_the_step() {
    let server = server().await;
    let path = checkout_path();
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "condition: $statusCode == 202",
        "condition: $statusCode == 200",
    );
    let document = load_str(&text, "modified.arazzo.yaml").unwrap();
    let (sources, _) = Sources::load(&document, &path);
    let flow = ArazzoWorkflow::compile(&document, &sources, "checkout").unwrap();
    let engine = engine(&server.base_url(), &flow);
    let outcome = engine
        .start(flow.workflow(), Some("checkout-3"), &inputs("pm_card_visa"))
        .await
        .unwrap();
    assert_eq!(outcome.state, RunState::Compensated, "{outcome:?}");
    assert_eq!(outcome.error.unwrap()["step"], "requestShipment");
    let order_id = outcome.outputs["createOrder"]["orderId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(count(&server, SideEffect::PaymentVoided, &order_id), 1);
}

#[test]
fn unsupported_constructs_are_refused_before_anything_runs() {
    let path = checkout_path();
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "          - condition: $statusCode == 202\n",
        "          - condition: /shipment/id\n            context: $response.body\n            type: xpath\n",
    );
    let document = load_str(&text, "xpath.arazzo.yaml").unwrap();
    let (sources, _) = Sources::load(&document, &path);
    let error = ArazzoWorkflow::compile(&document, &sources, "checkout").unwrap_err();
    assert!(
        matches!(&error, PlanError::Unsupported { pointer, what } if pointer.to_string() == "/workflows/0/steps/3/successCriteria/0" && what.contains("xpath")),
        "{error}"
    );
    // A goto into nowhere is refused with where it is.
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "          - name: declined\n            type: end\n",
        "          - name: declined\n            type: goto\n            stepId: nowhere\n",
    );
    let document = load_str(&text, "goto.arazzo.yaml").unwrap();
    let error = ArazzoWorkflow::compile(&document, &sources, "checkout").unwrap_err();
    assert!(
        matches!(&error, PlanError::UnknownStep { pointer, step_id } if pointer.to_string() == "/workflows/0/steps/2" && step_id == "nowhere"),
        "{error}"
    );
    let document = load_file(&path).unwrap();
    assert_eq!(
        ArazzoWorkflow::compile(&document, &sources, "nope").unwrap_err(),
        PlanError::UnknownWorkflow("nope".into())
    );
}

#[tokio::test]
async fn a_run_killed_mid_step_resumes_with_the_same_key_on_sqlite() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let sqlite =
        || -> Arc<dyn Store> { Arc::new(SqliteStore::open(dir.path().join("runs.db")).unwrap()) };
    let flow = checkout();
    // The payment is slow: the process is killed while it is in flight.
    server.add_fault(FaultRule::new(
        "POST /orders/{order_id}/payments",
        Fault::delay_ms(300),
    ));
    let crashing = engine_on(&server.base_url(), &flow, sqlite());
    let task = tokio::spawn({
        let workflow = flow.workflow().clone();
        async move {
            crashing
                .start(&workflow, Some("checkout-4"), &inputs("pm_card_visa"))
                .await
        }
    });
    for _ in 0..1000 {
        if server
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/payments"))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    task.abort();
    let _ = task.await;

    let restarted = engine_on(&server.base_url(), &flow, sqlite());
    let outcome = restarted.resume("checkout-4").await.unwrap();
    assert_eq!(outcome.state, RunState::Completed, "{outcome:?}");
    let order_id = outcome.outputs["createOrder"]["orderId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        requests_to(&server, "POST", "/orders").len(),
        1,
        "createOrder was not sent again"
    );
    let payments = requests_to(&server, "POST", &format!("/orders/{order_id}/payments"));
    assert!(
        payments.len() >= 2,
        "the payment was sent again after the kill: {payments:?}"
    );
    let key = step_key("checkout-4", "authorizePayment");
    assert!(payments
        .iter()
        .all(|r| r.idempotency_key.as_deref() == Some(key.as_str())));
    assert_eq!(count(&server, SideEffect::PaymentAuthorized, &order_id), 1);
    assert_eq!(count(&server, SideEffect::ShipmentRequested, &order_id), 1);
}

fn servers(entries: &[(&str, &str)]) -> CompileOptions {
    CompileOptions {
        servers: entries
            .iter()
            .map(|(name, url)| (name.to_string(), url.to_string()))
            .collect(),
    }
}

#[tokio::test]
async fn each_source_description_is_called_at_its_own_server() {
    let shop = server().await;
    let warehouse = server().await;
    let path = checkout_path();
    // Two names for the same OpenAPI description, each served elsewhere.
    let document = load_str(
        r#"
arazzo: 1.0.1
info: {title: Two servers, version: 1.0.0}
sourceDescriptions:
  - {name: shop, url: ./orders.yaml, type: openapi}
  - {name: warehouse, url: ./orders.yaml, type: openapi}
workflows:
  - workflowId: twoOrders
    steps:
      - stepId: shopOrder
        operationId: $sourceDescriptions.shop.createOrder
        requestBody:
          payload: {customer_id: cus_shop, currency: EUR, items: [{sku: sku-1, quantity: 1}]}
        successCriteria: [{condition: $statusCode == 201}]
        outputs: {id: $response.body#/id}
      - stepId: warehouseOrder
        operationId: $sourceDescriptions.warehouse.createOrder
        requestBody:
          payload: {customer_id: cus_warehouse, currency: EUR, items: [{sku: sku-2, quantity: 1}]}
        successCriteria: [{condition: $statusCode == 201}]
        outputs: {id: $response.body#/id}
"#,
        "two-servers.arazzo.yaml",
    )
    .unwrap();
    let (sources, errors) = Sources::load(&document, &path);
    assert!(errors.is_empty(), "{errors:?}");
    let options = servers(&[("warehouse", &warehouse.base_url())]);
    let flow = ArazzoWorkflow::compile_with(&document, &sources, "twoOrders", &options).unwrap();
    assert_eq!(flow.workflow_id(), "twoOrders");
    assert_eq!(flow.step_ids(), ["shopOrder", "warehouseOrder"]);
    // The engine's client points at the shop: the source without an entry.
    let engine = engine(&shop.base_url(), &flow);
    let outcome = engine
        .start(flow.workflow(), Some("two-1"), &json!({}))
        .await
        .unwrap();
    assert_eq!(outcome.state, RunState::Completed, "{outcome:?}");
    let shop_orders = requests_to(&shop, "POST", "/orders");
    let warehouse_orders = requests_to(&warehouse, "POST", "/orders");
    assert_eq!(shop_orders.len(), 1, "{shop_orders:?}");
    assert_eq!(warehouse_orders.len(), 1, "{warehouse_orders:?}");
    assert_eq!(
        shop_orders[0].idempotency_key.as_deref(),
        Some(step_key("two-1", "shopOrder").as_str())
    );
    assert_eq!(
        warehouse_orders[0].idempotency_key.as_deref(),
        Some(step_key("two-1", "warehouseOrder").as_str())
    );
    let shop_id = outcome.outputs["shopOrder"]["id"].as_str().unwrap();
    let warehouse_id = outcome.outputs["warehouseOrder"]["id"].as_str().unwrap();
    assert_eq!(count(&shop, SideEffect::OrderCreated, shop_id), 1);
    assert_eq!(count(&warehouse, SideEffect::OrderCreated, warehouse_id), 1);
    assert_eq!(count(&shop, SideEffect::OrderCreated, warehouse_id), 0);
}

#[tokio::test]
async fn the_whole_checkout_runs_against_the_server_of_its_source() {
    let unused = server().await;
    let orders = server().await;
    let path = checkout_path();
    let document = load_file(&path).unwrap();
    let (sources, _) = Sources::load(&document, &path);
    let options = servers(&[("orders", &format!("{}/", orders.base_url()))]);
    let flow = ArazzoWorkflow::compile_with(&document, &sources, "checkout", &options).unwrap();
    let engine = engine(&unused.base_url(), &flow);
    let outcome = engine
        .start(flow.workflow(), Some("checkout-5"), &inputs("pm_card_visa"))
        .await
        .unwrap();
    assert_eq!(outcome.state, RunState::Completed, "{outcome:?}");
    assert!(unused.requests().is_empty(), "{:?}", unused.requests());
    let order_id = outcome.outputs["createOrder"]["orderId"].as_str().unwrap();
    assert_eq!(count(&orders, SideEffect::ShipmentRequested, order_id), 1);
}

#[test]
fn a_server_for_an_unknown_source_is_refused() {
    let path = checkout_path();
    let document = load_file(&path).unwrap();
    let (sources, _) = Sources::load(&document, &path);
    let compile = |options: &CompileOptions| {
        ArazzoWorkflow::compile_with(&document, &sources, "checkout", options).unwrap_err()
    };
    assert_eq!(
        compile(&servers(&[("payments", "http://127.0.0.1:1")])),
        PlanError::UnknownSource("payments".into())
    );
    assert!(matches!(
        compile(&servers(&[("orders", "/relative")])),
        PlanError::InvalidServer { source_name, .. } if source_name == "orders"
    ));
}
