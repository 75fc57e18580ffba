//! The outbox on SQLite against the reference server: rows commit or roll
//! back with the application's transaction, are delivered once under
//! injected faults (the server's ledger says so), keep their partition's
//! order, dead-letter permanent failures with the problem whole, and a dead
//! row retried is sent with its original key.

mod outbox_common;

use std::collections::HashMap;
use std::time::Duration;

use oncely::outbox::sqlite::{self, rusqlite};
use oncely::outbox::{Outbox, OutboxCall, OutboxError, OutboxFilter, OutboxState};
use oncely::store::StoreError;
use orders_server::{spawn, Fault, FaultRule, ServerConfig, SideEffect};
use outbox_common::*;
use rusqlite::Connection;
use serde_json::json;

async fn server() -> orders_server::RunningServer {
    spawn(ServerConfig {
        operation_duration: Duration::from_millis(20),
        retry_after_ms: Some(1),
        ..ServerConfig::default()
    })
    .await
    .expect("server")
}

/// The application's database: a business table and the outbox.
fn app_db(dir: &tempfile::TempDir) -> (Connection, std::path::PathBuf) {
    let path = dir.path().join("app.db");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; CREATE TABLE orders (id TEXT PRIMARY KEY, customer TEXT)",
    )
    .unwrap();
    sqlite::install(&conn).unwrap();
    (conn, path)
}

#[test]
fn a_row_commits_or_rolls_back_with_the_business_change() {
    let dir = tempfile::tempdir().unwrap();
    let (mut conn, _) = app_db(&dir);
    let tx = conn.transaction().unwrap();
    tx.execute("INSERT INTO orders VALUES ('o_1', 'ana')", [])
        .unwrap();
    sqlite::enqueue(&tx, &create_order("ana").intent_id("o_1")).unwrap();
    tx.rollback().unwrap();
    let count = |conn: &Connection, table: &str| -> i64 {
        conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(count(&conn, "orders"), 0);
    assert_eq!(count(&conn, "oncely_outbox"), 0);

    let tx = conn.transaction().unwrap();
    tx.execute("INSERT INTO orders VALUES ('o_2', 'bo')", [])
        .unwrap();
    let id = sqlite::enqueue(&tx, &create_order("bo").intent_id("o_2")).unwrap();
    // A second call for the same intent is refused; the transaction goes on.
    let again = sqlite::enqueue(&tx, &create_order("bo").intent_id("o_2")).unwrap_err();
    assert!(
        matches!(&again, OutboxError::DuplicateIntent { existing, .. } if *existing == id),
        "{again}"
    );
    // So is a call that cannot be sent, before anything is written.
    let bad = sqlite::enqueue(&tx, &create_order("bo").header("X-Note", "a\r\nb")).unwrap_err();
    assert!(matches!(bad, OutboxError::InvalidCall { .. }), "{bad}");
    tx.commit().unwrap();
    assert_eq!(count(&conn, "orders"), 1);
    assert_eq!(count(&conn, "oncely_outbox"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_are_delivered_once_through_faults_with_their_intent_key() {
    let server = server().await;
    // The first create is processed and its connection dropped; the second
    // answers 503, the third 429: the client retries each with the same key.
    server.add_fault(FaultRule::new("POST /orders", Fault::DropAfterCommit).nth(1));
    server.add_fault(FaultRule::new("POST /orders", Fault::status(503)).nth(3));
    server.add_fault(FaultRule::new("POST /orders", Fault::too_many_requests_ms(1)).nth(5));
    let dir = tempfile::tempdir().unwrap();
    let (conn, path) = app_db(&dir);
    for n in 0..4 {
        sqlite::enqueue(
            &conn,
            &create_order(&format!("c{n}")).intent_id(format!("order-{n}")),
        )
        .unwrap();
    }
    let outbox = Outbox::sqlite(&path).unwrap();
    let report = dispatcher(&outbox, client(&server.base_url(), 4))
        .drain()
        .await
        .unwrap();
    assert_eq!(report.delivered, 4, "{report:?}");
    let rows = outbox.list(&OutboxFilter::default()).await.unwrap();
    let effects = effects_by_key(&server, SideEffect::OrderCreated);
    for row in &rows {
        assert_eq!(row.state, OutboxState::Delivered, "{row:?}");
        assert_eq!(row.response.as_ref().unwrap()["status"], 201, "{row:?}");
        assert_eq!(effects.get(&row.idempotency_key()), Some(&1), "{row:?}");
    }
    assert_eq!(effects.len(), 4, "{effects:?}");
    let stats = outbox.stats().await.unwrap();
    assert_eq!((stats.delivered, stats.pending, stats.dead), (4, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatcher_that_died_after_sending_is_replaced_without_a_second_effect() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let (conn, path) = app_db(&dir);
    let id = sqlite::enqueue(&conn, &create_order("ana").intent_id("order-crash")).unwrap();
    let outbox = Outbox::sqlite(&path).unwrap();
    dispatcher(&outbox, client(&server.base_url(), 2))
        .drain()
        .await
        .unwrap();
    // What a dispatcher that sent the call and died before recording leaves
    // behind: the row in flight under a lease that ran out.
    conn.execute(
        "UPDATE oncely_outbox SET state = 'in_flight', lease_owner = 'dead-one',
             lease_until_ms = 1, response = NULL, finished_ms = NULL WHERE id = ?1",
        [id],
    )
    .unwrap();
    let report = dispatcher(&outbox, client(&server.base_url(), 2))
        .owner("replacement")
        .drain()
        .await
        .unwrap();
    assert_eq!(report.delivered, 1, "{report:?}");
    let row = outbox.get(id).await.unwrap();
    assert_eq!(row.state, OutboxState::Delivered);
    assert_eq!(row.attempts, 2, "{row:?}");
    assert_eq!(row.lease_owner.as_deref(), Some("replacement"));
    let effects = effects_by_key(&server, SideEffect::OrderCreated);
    assert_eq!(effects.get(&row.idempotency_key()), Some(&1), "{effects:?}");
    let sends = server
        .requests()
        .into_iter()
        .filter(|r| r.idempotency_key.as_deref() == Some(row.idempotency_key().as_str()))
        .count();
    assert_eq!(sends, 2, "both dispatchers sent the same key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatcher_whose_claim_was_taken_over_records_nothing() {
    let server = server().await;
    server.add_fault(FaultRule::new("POST /orders", Fault::delay_ms(300)).nth(1));
    let dir = tempfile::tempdir().unwrap();
    let (conn, path) = app_db(&dir);
    let id = sqlite::enqueue(&conn, &create_order("ana").intent_id("order-fenced")).unwrap();
    let outbox = Outbox::sqlite(&path).unwrap();
    let slow = dispatcher(&outbox, client(&server.base_url(), 2)).owner("slow");
    let delivering = tokio::spawn(async move { slow.run_once().await });
    // While "slow" waits on the server, another claim takes the row over.
    let claimed = loop {
        let row = outbox.get(id).await.unwrap();
        if row.state == OutboxState::InFlight {
            break row;
        }
        tokio::task::yield_now().await;
    };
    conn.execute(
        "UPDATE oncely_outbox SET fence = fence + 1, lease_owner = 'other' WHERE id = ?1",
        [id],
    )
    .unwrap();
    let report = delivering.await.unwrap().unwrap();
    assert_eq!(report.lease_lost, 1, "{report:?}");
    let row = outbox.get(id).await.unwrap();
    assert_eq!(row.state, OutboxState::InFlight, "{row:?}");
    assert_eq!(row.fence, claimed.fence + 1);
    assert_eq!(row.lease_owner.as_deref(), Some("other"));
    assert!(row.response.is_none(), "{row:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_failures_are_dead_lettered_and_a_retry_sends_the_original_key() {
    let server = server().await;
    // A 400 is a final answer: a client that kept records would replay it
    // to the retry instead of sending.
    let problem = json!({"type": "https://example.com/probs/blocked", "title": "Customer blocked", "status": 400});
    server.add_fault(
        FaultRule::new(
            "POST /orders",
            Fault::Status {
                code: 400,
                retry_after: None,
                retry_after_ms: None,
                should_retry: None,
                body: Some(problem.to_string()),
                content_type: Some("application/problem+json".into()),
            },
        )
        .nth(1),
    );
    // Every payment answers 503: its attempts run out.
    server
        .add_fault(FaultRule::new("POST /orders/{order_id}/payments", Fault::status(503)).every());
    let dir = tempfile::tempdir().unwrap();
    let (conn, path) = app_db(&dir);
    let order = sqlite::enqueue(&conn, &create_order("ana").intent_id("blocked")).unwrap();
    let payment = sqlite::enqueue(
        &conn,
        &OutboxCall::post("/orders/{order_id}/payments")
            .path_param("order_id", uuid::Uuid::new_v4())
            .json(&json!({"amount": 100, "currency": "EUR", "payment_method": "pm_card_visa"}))
            .unwrap()
            .intent_id("pay"),
    )
    .unwrap();
    let outbox = Outbox::sqlite(&path).unwrap();
    // One dispatcher throughout, as a running daemon would be.
    let dispatcher = dispatcher(&outbox, client(&server.base_url(), 1));
    let report = dispatcher.drain().await.unwrap();
    assert_eq!((report.dead, report.retried), (2, 2), "{report:?}");
    let dead = outbox.get(order).await.unwrap();
    assert_eq!(dead.state, OutboxState::Dead);
    assert_eq!(
        dead.last_error.as_ref().unwrap()["problem"]["title"],
        "Customer blocked"
    );
    assert_eq!(dead.last_error.as_ref().unwrap()["status"], 400);
    let spent = outbox.get(payment).await.unwrap();
    assert_eq!(
        (spent.state, spent.attempts),
        (OutboxState::Dead, 3),
        "{spent:?}"
    );
    assert_eq!(spent.last_error.as_ref().unwrap()["status"], 503);
    let stats = outbox.stats().await.unwrap();
    assert_eq!(stats.dead, 2);

    // Steering: the dead row is sent again with the key it always had; a
    // pending or delivered row cannot be retried.
    let retried = outbox.retry(order).await.unwrap();
    assert_eq!((retried.state, retried.attempts), (OutboxState::Pending, 0));
    assert!(matches!(
        outbox.retry(order).await.unwrap_err(),
        OutboxError::WrongState {
            state: OutboxState::Pending,
            ..
        }
    ));
    dispatcher.drain().await.unwrap();
    let delivered = outbox.get(order).await.unwrap();
    assert_eq!(delivered.state, OutboxState::Delivered, "{delivered:?}");
    for refused in [outbox.retry(order).await, outbox.discard(order).await] {
        assert!(
            matches!(
                refused,
                Err(OutboxError::WrongState {
                    state: OutboxState::Delivered,
                    ..
                })
            ),
            "{refused:?}"
        );
    }
    let keys: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.route.as_deref() == Some("POST /orders"))
        .map(|r| r.idempotency_key.unwrap_or_default())
        .collect();
    assert_eq!(keys, vec![dead.idempotency_key(); 2]);
    assert_eq!(
        effects_by_key(&server, SideEffect::OrderCreated).get(&dead.idempotency_key()),
        Some(&1)
    );
    // The payment is discarded: kept, never sent again.
    let discarded = outbox.discard(payment).await.unwrap();
    assert_eq!(discarded.state, OutboxState::Discarded);
    let report = dispatcher.drain().await.unwrap();
    assert_eq!(report.total(), 0);
    assert!(matches!(
        outbox.get(999).await.unwrap_err(),
        OutboxError::NotFound { id: 999 }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_is_delivered_in_order_and_partitions_in_parallel() {
    let server = server().await;
    // Slow answers now and then, so a dispatcher that ignored order would
    // overtake.
    for n in [2, 5, 9] {
        server.add_fault(FaultRule::new("POST /orders", Fault::delay_ms(30)).nth(n));
    }
    let dir = tempfile::tempdir().unwrap();
    let (conn, path) = app_db(&dir);
    let mut expected: HashMap<String, Vec<i64>> = HashMap::new();
    for seq in 0..5 {
        for partition in ["p1", "p2", "p3"] {
            let id = sqlite::enqueue(
                &conn,
                &create_order(partition)
                    .partition(partition)
                    .intent_id(format!("{partition}-{seq}")),
            )
            .unwrap();
            expected.entry(partition.into()).or_default().push(id);
        }
    }
    let outbox = Outbox::sqlite(&path).unwrap();
    let report = dispatcher(&outbox, client(&server.base_url(), 2))
        .concurrency(8)
        .drain()
        .await
        .unwrap();
    assert_eq!(report.delivered, 15, "{report:?}");
    let rows = outbox.list(&OutboxFilter::default()).await.unwrap();
    let key_of: HashMap<String, i64> = rows.iter().map(|r| (r.idempotency_key(), r.id)).collect();
    let mut seen: HashMap<String, Vec<i64>> = HashMap::new();
    for entry in server.ledger() {
        let id = key_of[&entry.idempotency_key.unwrap()];
        let partition = rows
            .iter()
            .find(|r| r.id == id)
            .unwrap()
            .partition
            .clone()
            .unwrap();
        seen.entry(partition).or_default().push(id);
    }
    assert_eq!(seen, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_202_is_polled_to_its_end_before_the_row_is_delivered() {
    let server = server().await;
    let client = client(&server.base_url(), 2);
    let order: serde_json::Value = client
        .post("/orders")
        .json(&json!({"customer_id": "ana", "items": [{"sku": "sku-1", "quantity": 1}], "currency": "EUR"}))
        .send_json()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (conn, path) = app_db(&dir);
    let id = sqlite::enqueue(
        &conn,
        &OutboxCall::post("/orders/{order_id}/shipments")
            .path_param("order_id", order["id"].as_str().unwrap())
            .json(&json!({"carrier": "dhl"}))
            .unwrap(),
    )
    .unwrap();
    let outbox = Outbox::sqlite(&path).unwrap();
    dispatcher(&outbox, client).drain().await.unwrap();
    let row = outbox.get(id).await.unwrap();
    let response = row.response.unwrap();
    assert_eq!(response["status"], 202);
    assert_eq!(response["operation"]["carrier"], "dhl", "{response}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_continuous_dispatcher_delivers_what_commits_while_it_runs_and_stops_cleanly() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let (conn, path) = app_db(&dir);
    let outbox = Outbox::sqlite(&path).unwrap();
    let running = dispatcher(&outbox, client(&server.base_url(), 2)).rate_limit(1000.0);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        running
            .run_until(async {
                stopped.await.ok();
            })
            .await
    });
    for n in 0..10 {
        sqlite::enqueue(&conn, &create_order("ana").intent_id(format!("live-{n}"))).unwrap();
    }
    while outbox.stats().await.unwrap().delivered < 10 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.send(()).unwrap();
    let report = task.await.unwrap().unwrap();
    assert_eq!(report.delivered, 10, "{report:?}");
    assert_eq!(effects_by_key(&server, SideEffect::OrderCreated).len(), 10);
}

#[tokio::test]
async fn stats_count_states_and_the_oldest_pending_age() {
    let dir = tempfile::tempdir().unwrap();
    let (conn, path) = app_db(&dir);
    let outbox = Outbox::sqlite(&path).unwrap();
    assert_eq!(outbox.stats().await.unwrap().oldest_pending_age_ms, 0);
    sqlite::enqueue(&conn, &create_order("ana")).unwrap();
    conn.execute(
        "UPDATE oncely_outbox SET created_ms = created_ms - 60000",
        [],
    )
    .unwrap();
    sqlite::enqueue(&conn, &create_order("bo").delay(Duration::from_secs(3600))).unwrap();
    let stats = outbox.stats().await.unwrap();
    assert_eq!(stats.pending, 2);
    assert!(stats.oldest_pending_age_ms >= 60_000, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_is_not_sent_before_its_time() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let (conn, path) = app_db(&dir);
    let later =
        sqlite::enqueue(&conn, &create_order("ana").delay(Duration::from_secs(3600))).unwrap();
    let now = sqlite::enqueue(&conn, &create_order("bo")).unwrap();
    let outbox = Outbox::sqlite(&path).unwrap();
    let report = dispatcher(&outbox, client(&server.base_url(), 2))
        .drain()
        .await
        .unwrap();
    assert_eq!(report.delivered, 1, "{report:?}");
    assert_eq!(outbox.get(now).await.unwrap().state, OutboxState::Delivered);
    assert_eq!(outbox.get(later).await.unwrap().state, OutboxState::Pending);
    assert_eq!(server.ledger().len(), 1);
}

#[test]
fn a_newer_or_foreign_outbox_table_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let newer = dir.path().join("newer.db");
    {
        let conn = Connection::open(&newer).unwrap();
        sqlite::install(&conn).unwrap();
        conn.execute("INSERT INTO oncely_outbox_schema VALUES (99, 0)", [])
            .unwrap();
    }
    let before = std::fs::read(&newer).unwrap();
    let err = Outbox::sqlite(&newer).unwrap_err();
    assert!(
        matches!(
            err,
            OutboxError::Store(StoreError::SchemaTooNew { found: 99, .. })
        ),
        "{err}"
    );
    assert_eq!(std::fs::read(&newer).unwrap(), before);

    let foreign = dir.path().join("foreign.db");
    Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE oncely_outbox (x INTEGER)")
        .unwrap();
    let err = Outbox::sqlite(&foreign).unwrap_err();
    assert!(
        matches!(err, OutboxError::Store(StoreError::Corrupt { .. })),
        "{err}"
    );
    let columns: i64 = Connection::open(&foreign)
        .unwrap()
        .query_row(
            "SELECT COUNT(*) FROM pragma_table_info('oncely_outbox')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(columns, 1, "the foreign table is as it was");

    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, b"this is not a database, not at all, no").unwrap();
    let err = Outbox::sqlite(&garbage).unwrap_err();
    assert!(
        matches!(err, OutboxError::Store(StoreError::Corrupt { .. })),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&garbage).unwrap(),
        b"this is not a database, not at all, no"
    );

    let bare = Connection::open_in_memory().unwrap();
    let err = sqlite::enqueue(&bare, &create_order("ana")).unwrap_err();
    assert!(matches!(err, OutboxError::NotInstalled { .. }), "{err}");
}

#[tokio::test]
async fn a_row_with_corrupt_columns_is_a_typed_error_naming_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let (conn, path) = app_db(&dir);
    let id = sqlite::enqueue(&conn, &create_order("ana")).unwrap();
    conn.execute(
        "UPDATE oncely_outbox SET headers = 'not json' WHERE id = ?1",
        [id],
    )
    .unwrap();
    let outbox = Outbox::sqlite(&path).unwrap();
    let err = outbox.get(id).await.unwrap_err();
    assert!(
        matches!(&err, OutboxError::Store(StoreError::BadRecord { key, .. }) if key == &format!("outbox row {id}")),
        "{err}"
    );
    assert!(Outbox::open("memory:").await.is_err());
}

/// The first version of the outbox table (ids with `AUTOINCREMENT`), as
/// files written by oncely 0.1 have it.
const OUTBOX_V1: &str =
    "CREATE TABLE oncely_outbox_schema (version INTEGER NOT NULL, applied_ms INTEGER NOT NULL);
     INSERT INTO oncely_outbox_schema VALUES (1, 0);
     CREATE TABLE oncely_outbox (
         id INTEGER PRIMARY KEY AUTOINCREMENT, partition_key TEXT, method TEXT NOT NULL,
         path_template TEXT NOT NULL, path_params TEXT NOT NULL, query TEXT NOT NULL,
         headers TEXT NOT NULL, body BLOB, content_type TEXT, intent_id TEXT NOT NULL UNIQUE,
         state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
         not_before_ms INTEGER NOT NULL, created_ms INTEGER NOT NULL, lease_owner TEXT,
         lease_until_ms INTEGER, fence INTEGER NOT NULL DEFAULT 0, last_error TEXT,
         response TEXT, finished_ms INTEGER);
     CREATE INDEX oncely_outbox_due ON oncely_outbox (state, id);
     CREATE INDEX oncely_outbox_partition ON oncely_outbox (partition_key, id)
         WHERE partition_key IS NOT NULL AND state IN ('pending', 'in_flight');";

#[tokio::test]
async fn a_version_1_outbox_is_migrated_with_its_rows_ids_and_states() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(OUTBOX_V1).unwrap();
        conn.execute_batch(
            "INSERT INTO oncely_outbox (id, partition_key, method, path_template, path_params, query,
                 headers, body, content_type, intent_id, state, attempts, not_before_ms, created_ms,
                 response, finished_ms)
             VALUES (7, 'cart-1', 'POST', '/orders', '{}', '[]', '[]', X'7B7D', 'application/json',
                 'old-delivered', 'delivered', 1, 0, 1, '{\"status\":201}', 2),
                    (9, 'cart-1', 'POST', '/orders', '{}', '[]', '[]', NULL, NULL,
                 'old-pending', 'pending', 0, 0, 1, NULL, NULL)",
        )
        .unwrap();
    }
    let outbox = Outbox::sqlite(&path).unwrap();
    let conn = Connection::open(&path).unwrap();
    let version: i64 = conn
        .query_row("SELECT MAX(version) FROM oncely_outbox_schema", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(version, sqlite::SCHEMA_VERSION);
    let ddl: String = conn
        .query_row(
            "SELECT sql FROM sqlite_master WHERE name = 'oncely_outbox'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!ddl.contains("AUTOINCREMENT"), "{ddl}");
    let indexes: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'oncely_outbox'
                 AND name IN ('oncely_outbox_due', 'oncely_outbox_partition')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(indexes, 2);

    let delivered = outbox.get(7).await.unwrap();
    assert_eq!(delivered.state, OutboxState::Delivered);
    assert_eq!(delivered.intent_id, "old-delivered");
    assert_eq!(delivered.body.as_deref(), Some(&b"{}"[..]));
    assert_eq!(outbox.get(9).await.unwrap().state, OutboxState::Pending);
    // New rows continue after the largest id; the unique intent still holds.
    let next = sqlite::enqueue(&conn, &create_order("ana").intent_id("new")).unwrap();
    assert_eq!(next, 10);
    let again = sqlite::enqueue(&conn, &create_order("ana").intent_id("old-pending")).unwrap_err();
    assert!(
        matches!(again, OutboxError::DuplicateIntent { existing: 9, .. }),
        "{again}"
    );
    // Installing again is a no-op.
    sqlite::install(&conn).unwrap();
    assert_eq!(
        outbox.list(&OutboxFilter::default()).await.unwrap().len(),
        3
    );
}
