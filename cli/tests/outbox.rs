//! `oncely outbox dispatch|list|show|retry|discard|stats` on a SQLite outbox
//! filled through the `oncely` crate, against the reference server: the
//! binary's output and the server's ledger.

mod common;

use common::{oncely, Run};
use oncely::outbox::{sqlite, OutboxCall};
use orders_server::{spawn, Fault, FaultRule, ServerConfig, SideEffect};
use serde_json::{json, Value};

/// Runs the binary off the runtime's threads, so the in-process server answers.
async fn run(args: &[&str]) -> Run {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || oncely(args))
        .await
        .expect("joins")
}

fn order(customer: &str) -> OutboxCall {
    OutboxCall::post("/orders")
        .json(&json!({"customer_id": customer, "items": [{"sku": "sku-1", "quantity": 1}], "currency": "EUR"}))
        .expect("a JSON body")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dispatch_list_show_retry_discard_and_stats() {
    let server = spawn(ServerConfig::default()).await.expect("server");
    // The second order is refused for good once: it goes to the dead letters.
    server.add_fault(FaultRule::new("POST /orders", Fault::status(400)).nth(2));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    {
        let conn = sqlite::rusqlite::Connection::open(&path).unwrap();
        sqlite::install(&conn).unwrap();
        for (n, customer) in ["ana", "bo", "cy"].iter().enumerate() {
            sqlite::enqueue(
                &conn,
                &order(customer)
                    .partition(format!("p{n}"))
                    .intent_id(*customer),
            )
            .unwrap();
        }
    }
    let store = format!("sqlite:{}", path.display());
    let base = server.base_url();
    let out = run(&[
        "outbox",
        "dispatch",
        "--store",
        &store,
        "--base-url",
        &base,
        "--once",
        "--concurrency",
        "1",
    ])
    .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.contains("delivered 2, retried 0, dead 1"),
        "{}",
        out.stdout
    );
    assert_eq!(server.ledger().len(), 2);

    let list = run(&["outbox", "list", "--store", &store, "--state", "dead"]).await;
    assert_eq!(list.code, Some(0), "{}", list.stderr);
    assert!(
        list.stdout.contains("dead") && list.stdout.contains("400"),
        "{}",
        list.stdout
    );
    assert!(list.stdout.contains("1 row(s)"), "{}", list.stdout);
    let rows: Value = serde_json::from_str(
        &run(&[
            "outbox", "list", "--store", &store, "--state", "dead", "--json",
        ])
        .await
        .stdout,
    )
    .unwrap();
    let dead_id = rows[0]["id"].as_i64().unwrap().to_string();

    let show = run(&["outbox", "show", &dead_id, "--store", &store]).await;
    let shown: Value = serde_json::from_str(&show.stdout).unwrap();
    assert_eq!(shown["state"], "dead");
    assert_eq!(shown["last_error"]["status"], 400);
    let key = shown["idempotency_key"].as_str().unwrap().to_owned();

    let retry = run(&["outbox", "retry", &dead_id, "--store", &store]).await;
    assert!(retry.stdout.contains(&key), "{}", retry.stdout);
    let again = run(&[
        "outbox",
        "dispatch",
        "--store",
        &store,
        "--base-url",
        &base,
        "--once",
    ])
    .await;
    assert!(again.stdout.contains("delivered 1"), "{}", again.stdout);
    let created: Vec<_> = server
        .ledger()
        .into_iter()
        .filter(|e| e.kind == SideEffect::OrderCreated)
        .collect();
    assert_eq!(created.len(), 3);
    assert!(created
        .iter()
        .any(|e| e.idempotency_key.as_deref() == Some(key.as_str())));

    // A delivered row is neither retried nor discarded; a missing one is named.
    let refused = run(&["outbox", "discard", &dead_id, "--store", &store]).await;
    assert_eq!(refused.code, Some(1));
    assert!(
        refused.stderr.contains("is delivered"),
        "{}",
        refused.stderr
    );
    let missing = run(&["outbox", "show", "999", "--store", &store]).await;
    assert!(
        missing.stderr.contains("row 999 does not exist"),
        "{}",
        missing.stderr
    );
    let bad_state = run(&["outbox", "list", "--store", &store, "--state", "lost"]).await;
    assert!(
        bad_state.stderr.contains("unknown state \"lost\""),
        "{}",
        bad_state.stderr
    );

    let stats: Value = serde_json::from_str(
        &run(&["outbox", "stats", "--store", &store, "--json"])
            .await
            .stdout,
    )
    .unwrap();
    assert_eq!(stats["delivered"], 3);
    assert_eq!(stats["dead"], 0);
}

#[test]
fn an_unusable_store_or_base_url_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, "not a database at all, really not").unwrap();
    let out = oncely(["outbox", "stats", "--store", garbage.to_str().unwrap()]);
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("corrupt"), "{}", out.stderr);
    let good = dir.path().join("good.db");
    let out = oncely([
        "outbox",
        "dispatch",
        "--store",
        good.to_str().unwrap(),
        "--base-url",
        "localhost:8080",
        "--once",
    ]);
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr.contains("--base-url localhost:8080"),
        "{}",
        out.stderr
    );
    let out = oncely(["outbox", "stats", "--store", "memory:"]);
    assert!(
        out.stderr.contains("must outlive the process"),
        "{}",
        out.stderr
    );
}
