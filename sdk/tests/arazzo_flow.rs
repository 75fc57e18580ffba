//! Arazzo control flow on the engine, against the reference server: `retry`
//! with a new key per pass and a limit, `goto` to another path, `end`,
//! steps that call workflows, `dependsOn`, a failure in a called workflow
//! handled by the calling step, and a run killed inside a retry loop that
//! resumes with the same key. Each test reads the server's ledger.

mod workflow_common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use oncely::arazzo::run::ArazzoWorkflow;
use oncely::arazzo::{load_str, Sources};
use oncely::store::{Journal, RunState};
use oncely::workflow::{step_key, Engine, RunOutcome};
use oncely::{MemoryStore, SqliteStore, Store};
use orders_server::{Fault, FaultRule, RunningServer, SideEffect};
use serde_json::{json, Value};
use workflow_common::{client, count, requests_to, server};

/// Where the test documents pretend to live, so `./orders.yaml` resolves.
fn document_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/flow.arazzo.yaml")
}

const HEADER: &str = r#"
arazzo: 1.0.1
info: {title: Flow, version: 1.0.0}
sourceDescriptions:
  - {name: orders, url: ./orders.yaml, type: openapi}
components:
  parameters:
    orderId:
      name: order_id
      in: path
      value: $steps.createOrder.outputs.orderId
workflows:
"#;

const CREATE_ORDER: &str = r#"
      - stepId: createOrder
        operationId: createOrder
        requestBody:
          payload: {customer_id: $inputs.customer_id, currency: EUR, items: [{sku: sku-1, quantity: 1}]}
        successCriteria: [{condition: $statusCode == 201}]
        outputs: {orderId: $response.body#/id}
        x-oncely-compensate:
          operationId: cancelOrder
          parameters: [{reference: $components.parameters.orderId}]
          requestBody:
            payload: {reason: compensation}
"#;

fn compile(workflows: &str, workflow_id: &str) -> ArazzoWorkflow {
    let text = format!("{HEADER}{workflows}");
    let document = load_str(&text, "flow.arazzo.yaml").unwrap();
    let (sources, errors) = Sources::load(&document, &document_path());
    assert!(errors.is_empty(), "{errors:?}");
    ArazzoWorkflow::compile(&document, &sources, workflow_id).unwrap()
}

fn engine_on(base: &str, flow: &ArazzoWorkflow, store: Arc<dyn Store>) -> Engine {
    let journal: Arc<dyn Journal> = store.clone().as_journal().unwrap();
    Engine::new(client(base, store), journal)
        .owner("flow")
        .register(flow.workflow().clone())
}

fn engine(base: &str, flow: &ArazzoWorkflow) -> Engine {
    engine_on(base, flow, Arc::new(MemoryStore::new()))
}

fn inputs(payment_method: &str) -> Value {
    json!({"customer_id": "cus_flow", "payment_method": payment_method})
}

fn order_of(outcome: &RunOutcome, visit: &str) -> String {
    outcome.outputs[visit]["orderId"]
        .as_str()
        .unwrap_or_else(|| panic!("{visit} has no orderId: {outcome:?}"))
        .to_owned()
}

fn payment_keys(server: &RunningServer, order_id: &str) -> Vec<String> {
    requests_to(server, "POST", &format!("/orders/{order_id}/payments"))
        .into_iter()
        .filter_map(|r| r.idempotency_key)
        .collect()
}

/// createOrder, then authorizePayment retried on `422` (`retryLimit` given).
fn retrying(limit: u32) -> ArazzoWorkflow {
    let workflows = format!(
        r#"
  - workflowId: pay
    steps:{CREATE_ORDER}
      - stepId: authorizePayment
        operationId: authorizePayment
        parameters: [{{reference: $components.parameters.orderId}}]
        requestBody:
          payload: {{amount: 1200, currency: EUR, payment_method: $inputs.payment_method}}
        successCriteria: [{{condition: $statusCode == 201}}]
        onFailure:
          - name: again
            type: retry
            retryAfter: 0
            retryLimit: {limit}
            criteria: [{{condition: $statusCode == 422}}]
        outputs: {{paymentId: $response.body#/id}}
    outputs:
      orderId: $steps.createOrder.outputs.orderId
      paymentId: $steps.authorizePayment.outputs.paymentId
"#
    );
    compile(&workflows, "pay")
}

#[tokio::test]
async fn a_retry_sends_the_step_again_with_a_key_of_its_own_until_it_succeeds() {
    let server = server().await;
    let flow = retrying(3);
    let engine = engine(&server.base_url(), &flow);
    server
        .add_fault(FaultRule::new("POST /orders/{order_id}/payments", Fault::status(422)).times(2));
    let outcome = flow
        .start(&engine, Some("retry-1"), &inputs("pm_card_visa"))
        .await
        .unwrap();
    assert!(outcome.is_completed(), "{outcome:?}");
    let order_id = outcome.outputs["orderId"].as_str().unwrap().to_owned();
    assert!(outcome.outputs["paymentId"].is_string(), "{outcome:?}");
    // Three visits, three keys: the 422s were answers, not lost requests.
    let visits: Vec<&String> = outcome.run.outputs.keys().collect();
    assert_eq!(
        visits,
        [
            "authorizePayment",
            "authorizePayment#2",
            "authorizePayment#3",
            "createOrder"
        ]
    );
    assert_eq!(outcome.run.outputs["authorizePayment"]["$failed"], true);
    assert_eq!(
        outcome.run.outputs["authorizePayment"]["$decision"]["type"],
        "retry"
    );
    let expected: Vec<String> = [
        "authorizePayment",
        "authorizePayment#2",
        "authorizePayment#3",
    ]
    .iter()
    .map(|visit| step_key("retry-1", visit))
    .collect();
    assert_eq!(payment_keys(&server, &order_id), expected);
    assert_eq!(count(&server, SideEffect::PaymentAuthorized, &order_id), 1);
    assert_eq!(count(&server, SideEffect::OrderCancelled, &order_id), 0);
}

#[tokio::test]
async fn a_spent_retry_limit_fails_the_step_and_compensates() {
    let server = server().await;
    let flow = retrying(2);
    let engine = engine(&server.base_url(), &flow);
    server.add_fault(
        FaultRule::new("POST /orders/{order_id}/payments", Fault::status(422)).times(10),
    );
    let outcome = flow
        .start(&engine, Some("retry-2"), &inputs("pm_card_visa"))
        .await
        .unwrap();
    assert_eq!(outcome.state(), RunState::Compensated, "{outcome:?}");
    assert_eq!(outcome.failed_step.as_deref(), Some("authorizePayment#3"));
    let order_id = order_of(&outcome.run, "createOrder");
    assert_eq!(payment_keys(&server, &order_id).len(), 3, "1 + 2 retries");
    assert_eq!(count(&server, SideEffect::PaymentAuthorized, &order_id), 0);
    assert_eq!(count(&server, SideEffect::OrderCancelled, &order_id), 1);
}

#[tokio::test]
async fn goto_on_failure_takes_another_path_and_end_stops_early() {
    let server = server().await;
    let flow = compile(
        &format!(
            r#"
  - workflowId: payOrCancel
    steps:{CREATE_ORDER}
      - stepId: authorizePayment
        operationId: authorizePayment
        parameters: [{{reference: $components.parameters.orderId}}]
        requestBody:
          payload: {{amount: 1200, currency: EUR, payment_method: $inputs.payment_method}}
        successCriteria: [{{condition: $statusCode == 201}}]
        onSuccess:
          - {{name: paid, type: end}}
        onFailure:
          - name: declined
            type: goto
            stepId: cancel
            criteria: [{{condition: $statusCode == 402}}]
      - stepId: cancel
        operationId: cancelOrder
        parameters: [{{reference: $components.parameters.orderId}}]
        requestBody:
          payload: {{reason: declined}}
        outputs: {{status: $response.body#/status}}
    outputs:
      orderId: $steps.createOrder.outputs.orderId
"#
        ),
        "payOrCancel",
    );
    let engine = engine(&server.base_url(), &flow);

    let declined = flow
        .start(&engine, Some("goto-1"), &inputs("pm_card_declined"))
        .await
        .unwrap();
    assert!(
        declined.is_completed(),
        "a handled failure completes: {declined:?}"
    );
    let order_id = declined.outputs["orderId"].as_str().unwrap().to_owned();
    assert_eq!(declined.run.outputs["cancel"]["status"], "cancelled");
    assert_eq!(count(&server, SideEffect::OrderCancelled, &order_id), 1);
    assert_eq!(count(&server, SideEffect::PaymentAuthorized, &order_id), 0);

    let paid = flow
        .start(&engine, Some("goto-2"), &inputs("pm_card_visa"))
        .await
        .unwrap();
    assert!(paid.is_completed(), "{paid:?}");
    assert!(
        !paid.run.outputs.contains_key("cancel"),
        "`end` skipped the rest: {paid:?}"
    );
    let order_id = paid.outputs["orderId"].as_str().unwrap().to_owned();
    assert_eq!(count(&server, SideEffect::PaymentAuthorized, &order_id), 1);
    assert_eq!(count(&server, SideEffect::OrderCancelled, &order_id), 0);
}

#[tokio::test]
async fn called_workflows_and_depends_on_run_inline_with_their_own_keys() {
    let server = server().await;
    let flow = compile(
        r#"
  - workflowId: order
    steps:
      - stepId: createOrder
        operationId: createOrder
        requestBody:
          payload: {customer_id: $inputs.customer_id, currency: EUR, items: [{sku: sku-2, quantity: 1}]}
        successCriteria: [{condition: $statusCode == 201}]
        outputs: {orderId: $response.body#/id}
    outputs:
      orderId: $steps.createOrder.outputs.orderId
  - workflowId: ship
    inputs:
      type: object
      properties: {order_id: {type: string}}
    steps:
      - stepId: requestShipment
        operationId: requestShipment
        parameters:
          - {name: order_id, in: path, value: $inputs.order_id}
        requestBody:
          payload: {carrier: oncely-post}
        successCriteria: [{condition: $statusCode == 202}]
        outputs: {operationId: $response.body#/id}
    outputs:
      operationId: $steps.requestShipment.outputs.operationId
  - workflowId: fulfil
    dependsOn: [order]
    steps:
      - stepId: reserve
        operationId: reserveInventory
        parameters:
          - {name: order_id, in: path, value: $workflows.order.outputs.orderId}
        requestBody:
          payload: {}
        successCriteria: [{condition: $statusCode == 201}]
        outputs: {reservationId: $response.body#/id}
      - stepId: shipIt
        workflowId: ship
        parameters:
          - {name: order_id, value: $workflows.order.outputs.orderId}
        outputs: {operationId: $outputs.operationId}
    outputs:
      orderId: $workflows.order.outputs.orderId
      reservationId: $steps.reserve.outputs.reservationId
      operationId: $steps.shipIt.outputs.operationId
"#,
        "fulfil",
    );
    let engine = engine(&server.base_url(), &flow);
    let outcome = flow
        .start(&engine, Some("nested-1"), &inputs("pm_card_visa"))
        .await
        .unwrap();
    assert!(outcome.is_completed(), "{outcome:?}");
    let visits: Vec<&String> = outcome.run.outputs.keys().collect();
    assert_eq!(
        visits,
        ["order/createOrder", "reserve", "ship/requestShipment"]
    );
    let order_id = outcome.outputs["orderId"].as_str().unwrap().to_owned();
    assert_eq!(
        outcome.outputs["operationId"],
        outcome.run.outputs["ship/requestShipment"]["operationId"]
    );
    assert!(outcome.outputs["reservationId"].is_string());
    for kind in [
        SideEffect::OrderCreated,
        SideEffect::InventoryReserved,
        SideEffect::ShipmentRequested,
    ] {
        assert_eq!(count(&server, kind, &order_id), 1, "{kind:?}");
    }
    let created = requests_to(&server, "POST", "/orders");
    assert_eq!(
        created[0].idempotency_key.as_deref(),
        Some(step_key("nested-1", "order/createOrder").as_str())
    );
    // The shipment's 202 was polled to its end inside the called workflow.
    let operation = outcome.outputs["operationId"].as_str().unwrap();
    assert!(!requests_to(&server, "GET", &format!("/operations/{operation}")).is_empty());
}

#[tokio::test]
async fn a_failure_in_a_called_workflow_is_handled_by_the_calling_step() {
    let server = server().await;
    let flow = compile(
        &format!(
            r#"
  - workflowId: charge
    inputs:
      type: object
      properties: {{order_id: {{type: string}}, payment_method: {{type: string}}}}
    steps:
      - stepId: authorizePayment
        operationId: authorizePayment
        parameters:
          - {{name: order_id, in: path, value: $inputs.order_id}}
        requestBody:
          payload: {{amount: 900, currency: EUR, payment_method: $inputs.payment_method}}
        successCriteria: [{{condition: $statusCode == 201}}]
        outputs: {{paymentId: $response.body#/id}}
    outputs:
      paymentId: $steps.authorizePayment.outputs.paymentId
  - workflowId: checkout
    steps:{CREATE_ORDER}
      - stepId: pay
        workflowId: charge
        parameters:
          - {{name: order_id, value: $steps.createOrder.outputs.orderId}}
          - {{name: payment_method, value: $inputs.payment_method}}
        onFailure:
          - {{name: cancelInstead, type: goto, stepId: cancel}}
        onSuccess:
          - {{name: done, type: end}}
      - stepId: cancel
        operationId: cancelOrder
        parameters: [{{reference: $components.parameters.orderId}}]
        requestBody:
          payload: {{reason: declined}}
    outputs:
      orderId: $steps.createOrder.outputs.orderId
"#
        ),
        "checkout",
    );
    let engine = engine(&server.base_url(), &flow);
    let outcome = flow
        .start(&engine, Some("nested-2"), &inputs("pm_card_declined"))
        .await
        .unwrap();
    assert!(outcome.is_completed(), "{outcome:?}");
    let order_id = outcome.outputs["orderId"].as_str().unwrap().to_owned();
    assert_eq!(
        outcome.run.outputs["charge/authorizePayment"]["$decision"]["type"],
        "fail"
    );
    assert_eq!(count(&server, SideEffect::OrderCancelled, &order_id), 1);

    let paid = flow
        .start(&engine, Some("nested-3"), &inputs("pm_card_visa"))
        .await
        .unwrap();
    assert!(paid.is_completed(), "{paid:?}");
    let order_id = paid.outputs["orderId"].as_str().unwrap().to_owned();
    assert_eq!(count(&server, SideEffect::PaymentAuthorized, &order_id), 1);
    assert_eq!(count(&server, SideEffect::OrderCancelled, &order_id), 0);
}

#[tokio::test]
async fn a_run_killed_inside_a_retry_loop_resumes_with_the_same_key_on_sqlite() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let sqlite =
        || -> Arc<dyn Store> { Arc::new(SqliteStore::open(dir.path().join("runs.db")).unwrap()) };
    let flow = retrying(3);
    // The first payment is answered 422; the second is slow, and the
    // process is killed while it is in flight.
    server.add_fault(FaultRule::new(
        "POST /orders/{order_id}/payments",
        Fault::status(422),
    ));
    server
        .add_fault(FaultRule::new("POST /orders/{order_id}/payments", Fault::delay_ms(300)).nth(2));
    let crashing = engine_on(&server.base_url(), &flow, sqlite());
    let task = tokio::spawn({
        let workflow = flow.workflow().clone();
        async move {
            crashing
                .start(&workflow, Some("retry-3"), &inputs("pm_card_visa"))
                .await
        }
    });
    for _ in 0..1000 {
        let payments = server
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/payments"))
            .count();
        if payments >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    task.abort();
    let _ = task.await;

    let restarted = engine_on(&server.base_url(), &flow, sqlite());
    let outcome = flow.resume(&restarted, "retry-3").await.unwrap();
    assert!(outcome.is_completed(), "{outcome:?}");
    let order_id = outcome.outputs["orderId"].as_str().unwrap().to_owned();
    let keys = payment_keys(&server, &order_id);
    let second = step_key("retry-3", "authorizePayment#2");
    assert_eq!(keys[0], step_key("retry-3", "authorizePayment"));
    assert!(
        keys.len() >= 3,
        "the in-flight pass was sent again: {keys:?}"
    );
    assert!(
        keys[1..].iter().all(|k| k == &second),
        "the resumed pass kept its key: {keys:?}"
    );
    assert_eq!(count(&server, SideEffect::PaymentAuthorized, &order_id), 1);
    assert_eq!(requests_to(&server, "POST", "/orders").len(), 1);
}
