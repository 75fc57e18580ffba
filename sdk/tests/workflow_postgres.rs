//! Workflows on PostgreSQL (a real server from ONCELY_TEST_DATABASE_URL; each
//! test in its own schema): sagas, a fleet of workers sharing one ledger, a
//! connection killed mid-step, and a journal from a newer schema.

mod workflow_common;

use std::collections::HashSet;
use std::time::Duration;

use oncely::store::{PgConfig, PgStore, RunState, StepStatus, StoreError};
use oncely::workflow::{Engine, StepContext, StepError, Workflow};
use orders_server::SideEffect;
use serde_json::json;
use workflow_common::*;

#[tokio::test]
async fn sagas_complete_and_compensate_on_postgres() {
    let Some(url) = pg_url("sagas_on_postgres") else {
        return;
    };
    let server = server().await;
    let engine = engine(
        &server.base_url(),
        pg_store(&url, &pg_schema("sagas")).await,
        "w1",
    );
    let saga = order_saga();
    let ok = engine
        .start(&saga, Some("pg-1"), &OrderInput::new(1, false))
        .await
        .unwrap();
    assert_eq!(ok.state, RunState::Completed, "{ok:?}");
    let declined = engine
        .start(&saga, Some("pg-2"), &OrderInput::new(2, true))
        .await
        .unwrap();
    assert_eq!(declined.state, RunState::Compensated, "{declined:?}");
    let order: Resource = declined.output("create_order").unwrap();
    assert_eq!(count(&server, SideEffect::OrderCancelled, &order.id), 1);
    assert_eq!(
        count(&server, SideEffect::ReservationReleased, &order.id),
        1
    );
    let details = engine.show_run("pg-2").await.unwrap();
    assert!(
        details.events.iter().any(|e| e.kind == "compensated"),
        "{}",
        details.render()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_of_workers_on_one_ledger_executes_each_run_once() {
    let Some(url) = pg_url("fleet") else { return };
    let server = server().await;
    let schema = pg_schema("fleet");
    let saga = order_saga();
    let first = engine(&server.base_url(), pg_store(&url, &schema).await, "w0");
    for n in 0..16 {
        first
            .enqueue(
                &saga,
                Some(&format!("fleet-{n}")),
                &OrderInput::new(n, n % 5 == 0),
            )
            .await
            .unwrap();
    }
    // Four workers, each with its own pool (as separate processes would have).
    let mut workers = Vec::new();
    for w in 0..4 {
        let engine = engine(
            &server.base_url(),
            pg_store(&url, &schema).await,
            &format!("w{w}"),
        );
        workers.push(tokio::spawn(async move {
            engine
                .work(3, Duration::from_millis(5), true)
                .await
                .unwrap()
        }));
    }
    let (mut completed, mut compensated) = (0, 0);
    for w in workers {
        let stats = w.await.unwrap();
        completed += stats.completed;
        compensated += stats.compensated;
    }
    assert_eq!((completed, compensated), (12, 4));
    let ledger = server.ledger();
    assert_eq!(
        ledger
            .iter()
            .filter(|e| e.kind == SideEffect::OrderCreated)
            .count(),
        16
    );
    let mut seen = HashSet::new();
    for e in &ledger {
        assert!(
            seen.insert((e.kind, e.order_id)),
            "duplicate side effect {e:?}"
        );
    }
    for run in first.list_runs(&Default::default()).await.unwrap() {
        let details = first.show_run(&run.run_id).await.unwrap();
        assert!(
            details
                .steps
                .iter()
                .filter(|s| s.status == StepStatus::Succeeded)
                .all(|s| s.attempts == 1),
            "{}",
            details.render()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_killed_mid_step_is_retried_without_a_duplicate() {
    let Some(url) = pg_url("killed_connection") else {
        return;
    };
    let server = server().await;
    let schema = pg_schema("killed");
    let store = pg_store(&url, &schema).await;
    let app = format!("oncely:{schema}");
    // The step terminates every backend of the worker's pool, then makes its call:
    // the call's store writes and the step's journal writes meet dead connections.
    let wf = Workflow::builder("killed")
        .step("create_order", move |ctx: StepContext| {
            let (url, app) = (url.clone(), app.clone());
            async move {
                let killed = terminate(&url, &app).await;
                assert!(killed >= 1, "killed {killed} backends");
                let body = json!({"customer_id": "c", "items": [{"sku": "s", "quantity": 1}], "currency": "EUR"});
                Ok::<_, StepError>(ctx.post("/orders").json(&body).send_json::<Resource>().await?)
            }
        })
        .build()
        .unwrap();
    let engine = Engine::new(
        client(&server.base_url(), store.clone()),
        store.clone().as_journal().unwrap(),
    )
    .owner("w1");
    let outcome = engine.start(&wf, Some("killed-1"), &()).await.unwrap();
    assert_eq!(outcome.state, RunState::Completed, "{outcome:?}");
    assert_eq!(server.ledger().len(), 1, "one order, no duplicate");
    assert_eq!(requests_to(&server, "POST", "/orders").len(), 1);
    let details = engine.show_run("killed-1").await.unwrap();
    assert_eq!(details.steps[0].attempts, 1, "{}", details.render());
}

/// Terminates the backends whose application name is `app`.
async fn terminate(url: &str, app: &str) -> i64 {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    let task = tokio::spawn(conn);
    let row = client
        .query_one("SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1", &[&app])
        .await
        .unwrap();
    drop(client);
    let _ = task.await;
    row.get(0)
}

#[tokio::test]
async fn a_journal_written_by_a_newer_schema_is_refused() {
    // SQLite: the journal lives in the store file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("newer.db");
    rusqlite_bump(&path);
    let err = oncely::store::open(path.to_str().unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::SchemaTooNew { found: 99, .. }),
        "{err}"
    );

    let Some(url) = pg_url("newer_schema") else {
        return;
    };
    let schema = pg_schema("newer");
    let store = PgStore::connect(PgConfig::new(&url).schema(&schema))
        .await
        .unwrap();
    drop(store);
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    let task = tokio::spawn(conn);
    client
        .execute(
            &format!("INSERT INTO {schema}.oncely_schema (version, applied_ms) VALUES (42, 0)"),
            &[],
        )
        .await
        .unwrap();
    drop(client);
    let _ = task.await;
    let err = oncely::store::open(&format!("{url}?oncely_schema={schema}"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::SchemaTooNew { found: 42, .. }),
        "{err}"
    );
}

fn rusqlite_bump(path: &std::path::Path) {
    // A file an oncely with schema 99 wrote: a current store, version raised.
    drop(oncely::SqliteStore::open(path).unwrap());
    rusqlite::Connection::open(path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_resuming_one_run_execute_it_once_and_a_dead_workers_lease_expires() {
    let Some(url) = pg_url("lease_takeover") else {
        return;
    };
    let server = server().await;
    let schema = pg_schema("lease");
    let saga = order_saga();
    // Worker A starts the run and dies while its reservation is in flight.
    server.add_fault(orders_server::FaultRule::new(
        "POST /orders/{order_id}/reservations",
        orders_server::Fault::delay_ms(200),
    ));
    let a = engine(
        &server.base_url(),
        pg_store(&url, &schema).await,
        "worker-a",
    )
    .lease(Duration::from_millis(300));
    let task = tokio::spawn({
        let saga = saga.clone();
        async move {
            a.start(&saga, Some("lease-1"), &OrderInput::new(1, false))
                .await
        }
    });
    for _ in 0..500 {
        if server
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/reservations"))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    task.abort();
    let _ = task.await;
    // B and C both try at once while A's lease still holds: both are refused.
    let b = engine(
        &server.base_url(),
        pg_store(&url, &schema).await,
        "worker-b",
    );
    let c = engine(
        &server.base_url(),
        pg_store(&url, &schema).await,
        "worker-c",
    );
    for w in [&b, &c] {
        let err = w.resume("lease-1").await.unwrap_err();
        assert!(
            matches!(err, oncely::WorkflowError::Leased { ref owner, .. } if owner == "worker-a"),
            "{err}"
        );
    }
    // Once it expires, B and C race: exactly one executes the rest of the run.
    tokio::time::sleep(Duration::from_millis(350)).await;
    let (rb, rc) = tokio::join!(b.resume("lease-1"), c.resume("lease-1"));
    let outcomes: Vec<_> = [rb, rc].into_iter().filter_map(Result::ok).collect();
    assert!(!outcomes.is_empty());
    assert!(
        outcomes.iter().all(|o| o.state == RunState::Completed),
        "{outcomes:?}"
    );
    let order: Resource = outcomes[0].output("create_order").unwrap();
    for kind in [
        SideEffect::OrderCreated,
        SideEffect::InventoryReserved,
        SideEffect::PaymentAuthorized,
        SideEffect::ShipmentRequested,
    ] {
        assert_eq!(count(&server, kind, &order.id), 1, "{kind:?}");
    }
    let details = b.show_run("lease-1").await.unwrap();
    let pay = details
        .steps
        .iter()
        .find(|s| s.name == "authorize_payment")
        .unwrap();
    assert_eq!(
        pay.attempts,
        1,
        "only one worker executed the payment: {}",
        details.render()
    );
}
