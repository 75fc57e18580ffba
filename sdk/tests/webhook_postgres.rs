//! The webhook inbox on PostgreSQL (a real server from
//! ONCELY_TEST_DATABASE_URL; each test in its own schema): the inbox
//! scenarios of `webhook_common`, two deliveries of one event claimed at
//! once in the application's transactions (the second waits on the first's
//! row: the handler's effects happen once, or again after a rollback), and a
//! newer or foreign table refused.

mod webhook_common;
mod workflow_common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use futures::FutureExt;
use oncely::store::{PgConfig, StoreError};
use oncely::webhook::postgres::{self, tokio_postgres};
use oncely::webhook::{Claim, EventState, ManualClock, WebhookError, WebhookInbox};
use tokio::sync::{oneshot, Notify};
use webhook_common::*;
use workflow_common::{pg_schema, pg_url};

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect to the test database");
    tokio::spawn(connection);
    client
}

fn opener(
    url: String,
    schema: String,
) -> impl Fn(&ManualClock) -> futures::future::BoxFuture<'static, WebhookInbox> {
    move |clock| {
        let (config, clock) = (PgConfig::new(&url).schema(&schema), clock.clone());
        async move {
            WebhookInbox::postgres(config)
                .await
                .unwrap()
                .clock(Arc::new(clock))
        }
        .boxed()
    }
}

macro_rules! scenario {
    ($test:ident, $scenario:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $test() {
            let Some(url) = pg_url(stringify!($test)) else {
                return;
            };
            $scenario(&opener(url, pg_schema("webhook"))).await;
        }
    };
}

scenario!(
    redelivery_after_success_does_not_run_the_handler_on_postgres,
    redelivery_after_success_is_a_duplicate
);
scenario!(
    redelivery_after_failure_runs_the_handler_again_on_postgres,
    redelivery_after_failure_runs_again
);
scenario!(
    concurrent_deliveries_run_the_handler_once_on_postgres,
    concurrent_deliveries_run_the_handler_once
);
scenario!(
    a_crashed_delivery_is_taken_over_on_postgres,
    a_crashed_delivery_is_taken_over_after_its_lease
);
scenario!(
    sources_keep_senders_apart_on_postgres,
    sources_keep_senders_apart
);

/// Waits until the session `pid` is blocked on a lock (another
/// transaction's row), polling the server's view of it.
async fn wait_until_blocked(observer: &tokio_postgres::Client, pid: i32) {
    loop {
        let row = observer
            .query_one(
                "SELECT COALESCE(wait_event_type, '') FROM pg_stat_activity WHERE pid = $1",
                &[&pid],
            )
            .await
            .unwrap();
        if row.get::<_, String>(0) == "Lock" {
            return;
        }
        tokio::task::yield_now().await;
    }
}

/// One delivery as the application handles it: claim in its transaction,
/// count the handler's run, write its effect, wait for `release`, then
/// commit or roll back.
async fn deliver(
    client: &mut tokio_postgres::Client,
    schema: &str,
    runs: &AtomicUsize,
    claimed: Option<oneshot::Sender<()>>,
    release: Option<&Notify>,
    commit: bool,
) -> Claim {
    let tx = client.transaction().await.unwrap();
    let claim = postgres::claim_event(&tx, schema, "orders", "evt_pg")
        .await
        .unwrap();
    if claim.is_first() {
        runs.fetch_add(1, Ordering::SeqCst);
        tx.execute(
            &format!("INSERT INTO {schema}.reservations (event_id) VALUES ('evt_pg')"),
            &[],
        )
        .await
        .unwrap();
    }
    if let Some(claimed) = claimed {
        claimed.send(()).ok();
    }
    if let Some(release) = release {
        release.notified().await;
    }
    if commit {
        tx.commit().await.unwrap();
    } else {
        tx.rollback().await.unwrap();
    }
    claim
}

async fn two_deliveries_at_once(first_commits: bool) -> Option<(Claim, Claim, usize, i64)> {
    let url = pg_url("webhook_claim_race")?;
    let schema = pg_schema("webhook_tx");
    let mut setup = connect(&url).await;
    postgres::install(&mut setup, &schema).await.unwrap();
    setup
        .batch_execute(&format!(
            "CREATE TABLE {schema}.reservations (event_id TEXT NOT NULL)"
        ))
        .await
        .unwrap();
    let (mut a, mut b) = (connect(&url).await, connect(&url).await);
    let b_pid: i32 = b
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    let runs = Arc::new(AtomicUsize::new(0));
    let release = Arc::new(Notify::new());
    let (claimed_tx, claimed_rx) = oneshot::channel();
    let first = {
        let (runs, release, schema) = (runs.clone(), release.clone(), schema.clone());
        tokio::spawn(async move {
            deliver(
                &mut a,
                &schema,
                &runs,
                Some(claimed_tx),
                Some(&release),
                first_commits,
            )
            .await
        })
    };
    claimed_rx.await.unwrap();
    // The second delivery of the same event, while the first's transaction
    // is open: its claim waits on the first's uncommitted row.
    let second = {
        let (runs, schema) = (runs.clone(), schema.clone());
        tokio::spawn(async move { deliver(&mut b, &schema, &runs, None, None, true).await })
    };
    wait_until_blocked(&setup, b_pid).await;
    assert_eq!(
        runs.load(Ordering::SeqCst),
        1,
        "the second is still waiting"
    );
    release.notify_one();
    let (first, second) = (first.await.unwrap(), second.await.unwrap());
    let rows: i64 = setup
        .query_one(&format!("SELECT COUNT(*) FROM {schema}.reservations"), &[])
        .await
        .unwrap()
        .get(0);
    Some((first, second, runs.load(Ordering::SeqCst), rows))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_delivery_waits_for_the_first_and_is_a_duplicate() {
    let Some((first, second, runs, rows)) = two_deliveries_at_once(true).await else {
        return;
    };
    assert_eq!((first, second), (Claim::First, Claim::Duplicate));
    assert_eq!(runs, 1, "the handler ran once");
    assert_eq!(rows, 1, "its effect committed once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_delivery_runs_the_handler_when_the_first_rolls_back() {
    let Some((first, second, runs, rows)) = two_deliveries_at_once(false).await else {
        return;
    };
    assert_eq!((first, second), (Claim::First, Claim::First));
    assert_eq!(runs, 2, "the rolled-back attempt and the redelivery");
    assert_eq!(rows, 1, "only the redelivery's effect committed");
}

#[tokio::test]
async fn claim_event_outside_an_installed_schema_is_a_typed_error() {
    let Some(url) = pg_url("webhook_not_installed") else {
        return;
    };
    let client = connect(&url).await;
    let missing = postgres::claim_event(&client, "nowhere_at_all", "orders", "evt_1")
        .await
        .unwrap_err();
    assert!(
        matches!(missing, WebhookError::NotInstalled { .. }),
        "{missing}"
    );
    let bad = postgres::claim_event(&client, "Robert'); DROP", "orders", "evt_1")
        .await
        .unwrap_err();
    assert!(matches!(bad, WebhookError::InvalidConfig { .. }), "{bad}");
    // The inbox and the in-transaction claim share one table.
    let schema = pg_schema("webhook_shared");
    let inbox = WebhookInbox::postgres(PgConfig::new(&url).schema(&schema))
        .await
        .unwrap()
        .source("orders");
    assert_eq!(
        postgres::claim_event(&client, &schema, "orders", "evt_1")
            .await
            .unwrap(),
        Claim::First
    );
    let record = inbox.get("evt_1").await.unwrap().unwrap();
    assert_eq!(record.state, EventState::Done);
}

#[tokio::test]
async fn a_newer_schema_or_a_foreign_table_is_refused_and_left_untouched() {
    let Some(url) = pg_url("webhook_schema_refused") else {
        return;
    };
    let client = connect(&url).await;
    let newer = pg_schema("webhook_newer");
    drop(
        WebhookInbox::postgres(PgConfig::new(&url).schema(&newer))
            .await
            .unwrap(),
    );
    client
        .execute(
            &format!("INSERT INTO {newer}.oncely_webhook_schema VALUES (99, 0)"),
            &[],
        )
        .await
        .unwrap();
    let err = WebhookInbox::postgres(PgConfig::new(&url).schema(&newer))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            WebhookError::Store(StoreError::SchemaTooNew { found: 99, .. })
        ),
        "{err}"
    );
    let foreign = pg_schema("webhook_foreign");
    client
        .batch_execute(&format!(
            "CREATE SCHEMA {foreign};
             CREATE TABLE {foreign}.oncely_webhook_events (id BIGINT, note TEXT);
             INSERT INTO {foreign}.oncely_webhook_events VALUES (1, 'mine');"
        ))
        .await
        .unwrap();
    let err = WebhookInbox::postgres(PgConfig::new(&url).schema(&foreign))
        .await
        .unwrap_err();
    assert!(
        matches!(err, WebhookError::Store(StoreError::Corrupt { .. })),
        "{err}"
    );
    let note: String = client
        .query_one(
            &format!("SELECT note FROM {foreign}.oncely_webhook_events"),
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(note, "mine");
    let version_table: i64 = client
        .query_one(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'oncely_webhook_schema'",
            &[&foreign],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(version_table, 0, "the failed install left nothing behind");
}
