//! `oncely check` on Arazzo documents and `oncely workflow run` /
//! `oncely runs resume --arazzo` against the reference server on loopback:
//! the binary's output and the server's ledger.

mod common;

use std::time::Duration;

use common::{oncely, repo, write, Run};
use orders_server::{spawn, RunningServer, ServerConfig, SideEffect, DECLINED_PAYMENT_METHOD};
use serde_json::{json, Value};

async fn server() -> RunningServer {
    spawn(ServerConfig {
        operation_duration: Duration::from_millis(40),
        retry_after_ms: Some(5),
        ..ServerConfig::default()
    })
    .await
    .expect("server")
}

fn checkout() -> String {
    repo()
        .join("openapi/orders.arazzo.yaml")
        .display()
        .to_string()
}

fn inputs(dir: &std::path::Path, payment_method: &str) -> String {
    let text = json!({
        "customer_id": "cus_cli", "sku": "sku-1", "quantity": 1, "currency": "EUR",
        "amount": 990, "payment_method": payment_method, "carrier": "oncely-post",
    });
    write(dir, "inputs.json", &text.to_string())
        .display()
        .to_string()
}

/// Runs the binary off the runtime's threads, so the in-process server answers.
async fn run(args: Vec<String>) -> Run {
    tokio::task::spawn_blocking(move || oncely(args))
        .await
        .expect("joins")
}

fn count(server: &RunningServer, kind: SideEffect) -> usize {
    server.ledger().iter().filter(|e| e.kind == kind).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkout_runs_once_and_reports_each_step() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:{}", dir.path().join("runs.db").display());
    let args = vec![
        "workflow".into(),
        "run".into(),
        checkout(),
        "checkout".into(),
        "--inputs".into(),
        inputs(dir.path(), "pm_card_visa"),
        "--server".into(),
        format!("orders={}", server.base_url()),
        "--store".into(),
        store.clone(),
        "--run-id".into(),
        "cli-1".into(),
        "--json".into(),
    ];
    let out = run(args.clone()).await;
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    let result: Value = serde_json::from_str(&out.stdout).expect("one JSON object");
    assert_eq!(result["state"], "completed");
    assert_eq!(result["run_id"], "cli-1");
    let steps: Vec<&str> = result["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "createOrder",
            "reserveStock",
            "authorizePayment",
            "requestShipment"
        ]
    );
    let order_id = result["outputs"]["orderId"].as_str().unwrap().to_owned();
    assert!(server
        .ledger()
        .iter()
        .any(|e| e.order_id.to_string() == order_id));
    // The create call carried the step's key, as printed.
    let key = result["steps"][0]["key"].as_str().unwrap();
    assert!(server.requests().iter().any(|r| r.method == "POST"
        && r.path == "/orders"
        && r.idempotency_key.as_deref() == Some(key)));
    // Each step got a live line on stderr.
    assert_eq!(out.stderr.matches("succeeded").count(), 4, "{}", out.stderr);
    for kind in [
        SideEffect::OrderCreated,
        SideEffect::InventoryReserved,
        SideEffect::PaymentAuthorized,
        SideEffect::ShipmentRequested,
    ] {
        assert_eq!(count(&server, kind), 1, "{kind:?}");
    }
    // The same run id again: the journal answers, nothing is sent twice.
    let again = run(args).await;
    assert_eq!(again.code, Some(0), "{}", again.stderr);
    assert_eq!(count(&server, SideEffect::OrderCreated), 1);
    // `runs resume --arazzo` on the finished run: its outcome, no new calls.
    let before = server.requests().len();
    let resumed = run(vec![
        "runs".into(),
        "resume".into(),
        "cli-1".into(),
        "--store".into(),
        store,
        "--arazzo".into(),
        checkout(),
        "--server".into(),
        format!("orders={}", server.base_url()),
    ])
    .await;
    assert_eq!(
        resumed.code,
        Some(0),
        "{}{}",
        resumed.stdout,
        resumed.stderr
    );
    assert!(resumed.stdout.contains("completed"), "{}", resumed.stdout);
    assert_eq!(server.requests().len(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_payment_is_compensated_and_exits_3() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let out = run(vec![
        "workflow".into(),
        "run".into(),
        checkout(),
        "checkout".into(),
        "--inputs".into(),
        inputs(dir.path(), DECLINED_PAYMENT_METHOD),
        "--server".into(),
        format!("orders={}", server.base_url()),
        "--json".into(),
    ])
    .await;
    assert_eq!(out.code, Some(3), "{}{}", out.stdout, out.stderr);
    let result: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(result["state"], "compensated");
    assert_eq!(result["failed_step"], "authorizePayment");
    assert_eq!(result["outputs"], json!({}));
    let undone: Vec<&str> = result["compensations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step_id"].as_str().unwrap())
        .collect();
    assert_eq!(undone, ["reserveStock", "createOrder"], "reverse order");
    assert_eq!(count(&server, SideEffect::PaymentAuthorized), 0);
    assert_eq!(count(&server, SideEffect::ReservationReleased), 1);
    assert_eq!(count(&server, SideEffect::OrderCancelled), 1);
}

#[test]
fn bad_arguments_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let unknown = oncely([
        "workflow",
        "run",
        &checkout(),
        "nope",
        "--server",
        "orders=http://127.0.0.1:9",
    ]);
    assert_eq!(unknown.code, Some(1));
    assert!(unknown.stderr.contains("nope"), "{}", unknown.stderr);
    let bad_pair = oncely([
        "workflow",
        "run",
        &checkout(),
        "checkout",
        "--server",
        "orders",
    ]);
    assert_eq!(bad_pair.code, Some(1));
    assert!(bad_pair.stderr.contains("NAME=URL"), "{}", bad_pair.stderr);
    let not_json = write(dir.path(), "in.json", "{nope").display().to_string();
    let bad_inputs = oncely([
        "workflow",
        "run",
        &checkout(),
        "checkout",
        "--inputs",
        &not_json,
        "--server",
        "orders=http://127.0.0.1:9",
    ]);
    assert_eq!(bad_inputs.code, Some(1));
    assert!(
        bad_inputs.stderr.contains("not JSON"),
        "{}",
        bad_inputs.stderr
    );
    let unknown_source = oncely([
        "workflow",
        "run",
        &checkout(),
        "checkout",
        "--server",
        "shop=http://127.0.0.1:9",
    ]);
    assert_eq!(unknown_source.code, Some(1));
    assert!(
        unknown_source.stderr.contains("shop"),
        "{}",
        unknown_source.stderr
    );
}

#[test]
fn check_reports_arazzo_findings_with_pointers() {
    let good = oncely(["check", &checkout()]);
    assert_eq!(good.code, Some(0), "{}{}", good.stdout, good.stderr);
    assert!(
        good.stdout.contains("workflow checkout: 4 step(s), runs"),
        "{}",
        good.stdout
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo().join("openapi/orders.yaml"),
        dir.path().join("orders.yaml"),
    )
    .unwrap();
    let text = std::fs::read_to_string(checkout()).unwrap().replace(
        "operationId: authorizePayment",
        "operationId: reserveNothing",
    );
    let dangling = write(dir.path(), "bad.arazzo.yaml", &text);
    let out = oncely(["check", dangling.to_str().unwrap(), "--json"]);
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["usable"], false);
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["message"]
                .as_str()
                .unwrap_or("")
                .contains("reserveNothing")
        })
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(finding["severity"], "error");
    assert!(
        finding["pointer"]
            .as_str()
            .unwrap()
            .starts_with("#/workflows/0/steps/2"),
        "{finding}"
    );

    let broken = write(
        dir.path(),
        "broken.arazzo.yaml",
        "arazzo: 1.0.1\ninfo: [unclosed\n",
    );
    let out = oncely(["check", broken.to_str().unwrap()]);
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("not valid YAML"), "{}", out.stderr);

    let no_workflows = write(
        dir.path(),
        "empty.arazzo.yaml",
        "arazzo: 1.0.1\ninfo: {title: T, version: '1'}\nsourceDescriptions: [{name: orders, url: ./orders.yaml}]\n",
    );
    let out = oncely(["check", no_workflows.to_str().unwrap()]);
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("error: #"), "{}", out.stdout);
}
