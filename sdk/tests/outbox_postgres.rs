//! The outbox on PostgreSQL (a real server from ONCELY_TEST_DATABASE_URL;
//! each test in its own schema): rows commit or roll back with the
//! application's `tokio_postgres` transaction, several dispatchers at once
//! deliver every row once in partition order, dead rows and their retry, and
//! a newer or foreign table refused.

mod outbox_common;
mod workflow_common;

use std::collections::HashMap;

use oncely::outbox::postgres::{self, tokio_postgres};
use oncely::outbox::{Outbox, OutboxError, OutboxFilter, OutboxState};
use oncely::store::{PgConfig, StoreError};
use orders_server::{Fault, FaultRule, SideEffect};
use outbox_common::*;
use workflow_common::{pg_schema, pg_url, server};

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect to the test database");
    tokio::spawn(connection);
    client
}

/// The application's connection with a business table, and the outbox
/// installed in `schema`.
async fn app(url: &str, schema: &str) -> tokio_postgres::Client {
    let mut client = connect(url).await;
    postgres::install(&mut client, schema).await.unwrap();
    client
        .batch_execute(&format!(
            "CREATE TABLE {schema}.orders (id TEXT PRIMARY KEY, customer TEXT)"
        ))
        .await
        .unwrap();
    client
}

#[tokio::test]
async fn a_row_commits_or_rolls_back_with_the_applications_transaction() {
    let Some(url) = pg_url("outbox_rollback") else {
        return;
    };
    let schema = pg_schema("outbox_tx");
    let mut app = app(&url, &schema).await;
    let count = |table: &str| format!("SELECT COUNT(*) FROM {schema}.{table}");
    let tx = app.transaction().await.unwrap();
    tx.execute(
        &format!("INSERT INTO {schema}.orders VALUES ('o_1', 'ana')"),
        &[],
    )
    .await
    .unwrap();
    postgres::enqueue(&tx, &schema, &create_order("ana").intent_id("o_1"))
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    for table in ["orders", "oncely_outbox"] {
        let n: i64 = app.query_one(&count(table), &[]).await.unwrap().get(0);
        assert_eq!(n, 0, "{table}");
    }
    let tx = app.transaction().await.unwrap();
    tx.execute(
        &format!("INSERT INTO {schema}.orders VALUES ('o_2', 'bo')"),
        &[],
    )
    .await
    .unwrap();
    let id = postgres::enqueue(&tx, &schema, &create_order("bo").intent_id("o_2"))
        .await
        .unwrap();
    // A duplicate intent is refused without aborting the transaction.
    let again = postgres::enqueue(&tx, &schema, &create_order("bo").intent_id("o_2"))
        .await
        .unwrap_err();
    assert!(
        matches!(&again, OutboxError::DuplicateIntent { existing, .. } if *existing == id),
        "{again}"
    );
    tx.commit().await.unwrap();
    for table in ["orders", "oncely_outbox"] {
        let n: i64 = app.query_one(&count(table), &[]).await.unwrap().get(0);
        assert_eq!(n, 1, "{table}");
    }
    let missing = postgres::enqueue(&app, "nowhere", &create_order("ana"))
        .await
        .unwrap_err();
    assert!(
        matches!(missing, OutboxError::NotInstalled { .. }),
        "{missing}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_dispatchers_deliver_every_row_once_in_partition_order() {
    let Some(url) = pg_url("outbox_fleet") else {
        return;
    };
    let server = server().await;
    server.add_fault(FaultRule::new("POST /orders", Fault::DropAfterCommit).nth(3));
    server.add_fault(FaultRule::new("POST /orders", Fault::status(503)).nth(7));
    server.add_fault(FaultRule::new("POST /orders", Fault::delay_ms(20)).nth(11));
    let schema = pg_schema("outbox_fleet");
    let app = app(&url, &schema).await;
    let mut expected: HashMap<String, Vec<i64>> = HashMap::new();
    for seq in 0..10 {
        for partition in ["a", "b", "c", "d"] {
            let id = postgres::enqueue(
                &app,
                &schema,
                &create_order(partition)
                    .partition(partition)
                    .intent_id(format!("{partition}-{seq}")),
            )
            .await
            .unwrap();
            expected.entry(partition.into()).or_default().push(id);
        }
    }
    let outbox = Outbox::postgres(PgConfig::new(&url).schema(&schema).pool_size(4))
        .await
        .unwrap();
    let fleet: Vec<_> = (0..3)
        .map(|n| {
            let d = dispatcher(&outbox, client(&server.base_url(), 4))
                .owner(format!("d{n}"))
                .concurrency(4);
            tokio::spawn(async move { d.drain().await })
        })
        .collect();
    let mut delivered = 0;
    for d in fleet {
        delivered += d.await.unwrap().unwrap().delivered;
    }
    // A dispatcher stops when it finds nothing due; another may still hold
    // rows that unblock more. Whatever is left, one more drain delivers.
    delivered += dispatcher(&outbox, client(&server.base_url(), 4))
        .drain()
        .await
        .unwrap()
        .delivered;
    assert_eq!(delivered, 40);
    let rows = outbox
        .list(&OutboxFilter {
            limit: Some(100),
            ..OutboxFilter::default()
        })
        .await
        .unwrap();
    assert!(rows.iter().all(|r| r.state == OutboxState::Delivered));
    let effects = effects_by_key(&server, SideEffect::OrderCreated);
    assert_eq!(effects.len(), 40);
    assert!(effects.values().all(|n| *n == 1), "{effects:?}");
    let key_of: HashMap<String, &oncely::outbox::OutboxRow> =
        rows.iter().map(|r| (r.idempotency_key(), r)).collect();
    let mut seen: HashMap<String, Vec<i64>> = HashMap::new();
    for entry in server.ledger() {
        let row = key_of[&entry.idempotency_key.unwrap()];
        seen.entry(row.partition.clone().unwrap())
            .or_default()
            .push(row.id);
    }
    assert_eq!(seen, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_rows_keep_their_problem_and_are_retried_with_their_key_on_postgres() {
    let Some(url) = pg_url("outbox_dead") else {
        return;
    };
    let server = server().await;
    server.add_fault(FaultRule::new("POST /orders", Fault::status(400)).nth(1));
    let schema = pg_schema("outbox_dead");
    let app = app(&url, &schema).await;
    let id = postgres::enqueue(&app, &schema, &create_order("ana").intent_id("dead-1"))
        .await
        .unwrap();
    let outbox = Outbox::postgres(PgConfig::new(&url).schema(&schema))
        .await
        .unwrap();
    let report = dispatcher(&outbox, client(&server.base_url(), 1))
        .drain()
        .await
        .unwrap();
    assert_eq!(report.dead, 1, "{report:?}");
    let dead = outbox.get(id).await.unwrap();
    assert_eq!(dead.state, OutboxState::Dead);
    assert_eq!(dead.last_error.as_ref().unwrap()["status"], 400);
    assert!(
        dead.last_error.as_ref().unwrap()["problem"].is_object(),
        "{dead:?}"
    );
    assert_eq!(outbox.stats().await.unwrap().dead, 1);
    outbox.retry(id).await.unwrap();
    dispatcher(&outbox, client(&server.base_url(), 1))
        .drain()
        .await
        .unwrap();
    let row = outbox.get(id).await.unwrap();
    assert_eq!(row.state, OutboxState::Delivered, "{row:?}");
    let keys: Vec<_> = server
        .requests()
        .into_iter()
        .map(|r| r.idempotency_key.unwrap_or_default())
        .collect();
    assert_eq!(keys, vec![row.idempotency_key(); 2]);
    assert!(matches!(
        outbox.discard(id).await.unwrap_err(),
        OutboxError::WrongState {
            state: OutboxState::Delivered,
            ..
        }
    ));
}

#[tokio::test]
async fn a_newer_or_foreign_outbox_table_is_refused_on_postgres() {
    let Some(url) = pg_url("outbox_schema") else {
        return;
    };
    let schema = pg_schema("outbox_newer");
    let mut app = connect(&url).await;
    postgres::install(&mut app, &schema).await.unwrap();
    app.execute(
        &format!("INSERT INTO {schema}.oncely_outbox_schema VALUES (99, 0)"),
        &[],
    )
    .await
    .unwrap();
    let err = Outbox::postgres(PgConfig::new(&url).schema(&schema))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            OutboxError::Store(StoreError::SchemaTooNew { found: 99, .. })
        ),
        "{err}"
    );

    let foreign = pg_schema("outbox_foreign");
    app.batch_execute(&format!(
        "CREATE SCHEMA {foreign}; CREATE TABLE {foreign}.oncely_outbox (x INTEGER)"
    ))
    .await
    .unwrap();
    let err = postgres::install(&mut app, &foreign).await.unwrap_err();
    assert!(
        matches!(err, OutboxError::Store(StoreError::Corrupt { .. })),
        "{err}"
    );
    let columns: i64 = app
        .query_one(
            "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'oncely_outbox'",
            &[&foreign],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(columns, 1, "the foreign table is as it was");
    let err = postgres::enqueue(&app, "Bad-Name", &create_order("ana"))
        .await
        .unwrap_err();
    assert!(matches!(err, OutboxError::InvalidCall { .. }), "{err}");
}
