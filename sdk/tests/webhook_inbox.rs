//! The webhook inbox on SQLite: signed deliveries processed once (after
//! success, failure, concurrent and crashed deliveries), events claimed in
//! the application's own rusqlite transaction, and newer or foreign tables
//! refused and left untouched.

mod webhook_common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::FutureExt;
use oncely::store::StoreError;
use oncely::webhook::sqlite::{self, rusqlite::Connection};
use oncely::webhook::{Claim, EventState, ManualClock, Verifier, WebhookError, WebhookInbox};
use webhook_common::*;

fn opener(
    path: PathBuf,
) -> impl Fn(&ManualClock) -> futures::future::BoxFuture<'static, WebhookInbox> {
    move |clock| {
        let (path, clock) = (path.clone(), clock.clone());
        async move { WebhookInbox::sqlite(&path).unwrap().clock(Arc::new(clock)) }.boxed()
    }
}

fn file(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("inbox.db")
}

#[tokio::test]
async fn redelivery_after_success_does_not_run_the_handler() {
    let dir = tempfile::tempdir().unwrap();
    redelivery_after_success_is_a_duplicate(&opener(file(&dir))).await;
}

#[tokio::test]
async fn redelivery_after_failure_runs_the_handler_again() {
    let dir = tempfile::tempdir().unwrap();
    redelivery_after_failure_runs_again(&opener(file(&dir))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_deliveries_run_the_handler_once_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    concurrent_deliveries_run_the_handler_once(&opener(file(&dir))).await;
}

#[tokio::test]
async fn a_crashed_delivery_is_taken_over_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    a_crashed_delivery_is_taken_over_after_its_lease(&opener(file(&dir))).await;
}

#[tokio::test]
async fn sources_keep_senders_apart_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    sources_keep_senders_apart(&opener(file(&dir))).await;
}

fn app(path: &Path) -> Connection {
    let conn = Connection::open(path).unwrap();
    sqlite::install(&conn).unwrap();
    conn.execute_batch("CREATE TABLE stock (sku TEXT PRIMARY KEY, reserved INTEGER NOT NULL); INSERT INTO stock VALUES ('sku-1', 0);")
        .unwrap();
    conn
}

fn reserved(conn: &Connection) -> i64 {
    conn.query_row("SELECT reserved FROM stock", [], |r| r.get(0))
        .unwrap()
}

/// The application's handler: verify, claim in its transaction, reserve.
fn deliver(
    conn: &mut Connection,
    headers: &[(String, String)],
    body: &[u8],
    commit: bool,
) -> Claim {
    let event = verifier()
        .verify_at(&headers.to_vec(), body, oncely_time(T0))
        .unwrap();
    let tx = conn.transaction().unwrap();
    let claim = sqlite::claim_event(&tx, "orders", &event.id).unwrap();
    if claim.is_first() {
        tx.execute("UPDATE stock SET reserved = reserved + 1", [])
            .unwrap();
    }
    if commit {
        tx.commit().unwrap();
    } else {
        tx.rollback().unwrap();
    }
    claim
}

fn oncely_time(unix_seconds: i64) -> std::time::SystemTime {
    std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix_seconds as u64)
}

#[tokio::test]
async fn an_event_claimed_in_the_applications_transaction_commits_with_its_effects() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = app(&file(&dir));
    let (headers, body) = delivery("evt_tx");
    // Rolled back (the handler crashed before its commit): nothing recorded,
    // so the redelivery runs the handler.
    assert_eq!(deliver(&mut conn, &headers, &body, false), Claim::First);
    assert_eq!(reserved(&conn), 0);
    assert_eq!(deliver(&mut conn, &headers, &body, true), Claim::First);
    assert_eq!(reserved(&conn), 1);
    for _ in 0..3 {
        assert_eq!(deliver(&mut conn, &headers, &body, true), Claim::Duplicate);
    }
    assert_eq!(reserved(&conn), 1);
    // A second connection (another process) sees the committed record.
    let other = Connection::open(file(&dir)).unwrap();
    assert_eq!(
        sqlite::claim_event(&other, "orders", "evt_tx").unwrap(),
        Claim::Duplicate
    );
    assert_eq!(
        sqlite::claim_event(&other, "billing", "evt_tx").unwrap(),
        Claim::First
    );
    // The inbox reads the same table.
    let inbox = WebhookInbox::sqlite(file(&dir)).unwrap().source("orders");
    let record = inbox.get("evt_tx").await.unwrap().unwrap();
    assert_eq!(record.state, EventState::Done);
    // Without the table: a typed error, not a panic.
    let bare = Connection::open_in_memory().unwrap();
    assert!(matches!(
        sqlite::claim_event(&bare, "orders", "evt_1"),
        Err(WebhookError::NotInstalled { .. })
    ));
}

#[tokio::test]
async fn a_failed_inbox_event_can_be_claimed_in_a_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = WebhookInbox::sqlite(file(&dir)).unwrap().source("orders");
    let (headers, body) = delivery("evt_mixed");
    inbox
        .receive(&verifier(), &headers, &body, |_| async {
            Err::<(), _>("boom")
        })
        .await
        .unwrap_err();
    let conn = Connection::open(file(&dir)).unwrap();
    assert_eq!(
        sqlite::claim_event(&conn, "orders", "evt_mixed").unwrap(),
        Claim::First
    );
    assert_eq!(
        sqlite::claim_event(&conn, "orders", "evt_mixed").unwrap(),
        Claim::Duplicate
    );
}

#[test]
fn a_newer_schema_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir);
    drop(WebhookInbox::sqlite(&path).unwrap());
    let conn = Connection::open(&path).unwrap();
    conn.execute("INSERT INTO oncely_webhook_schema VALUES (99, 0)", [])
        .unwrap();
    let err = WebhookInbox::sqlite(&path).unwrap_err();
    assert!(
        matches!(
            err,
            WebhookError::Store(StoreError::SchemaTooNew {
                found: 99,
                supported: 1,
                ..
            })
        ),
        "{err}"
    );
    assert!(matches!(
        sqlite::install(&conn),
        Err(WebhookError::Store(StoreError::SchemaTooNew { .. }))
    ));
    let versions: i64 = conn
        .query_row("SELECT COUNT(*) FROM oncely_webhook_schema", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(versions, 2);
}

#[test]
fn a_foreign_table_of_that_name_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir);
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE oncely_webhook_events (id INTEGER PRIMARY KEY, note TEXT);
         INSERT INTO oncely_webhook_events (note) VALUES ('mine');",
    )
    .unwrap();
    let err = WebhookInbox::sqlite(&path).unwrap_err();
    assert!(
        matches!(err, WebhookError::Store(StoreError::Corrupt { .. })),
        "{err}"
    );
    let note: String = conn
        .query_row("SELECT note FROM oncely_webhook_events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(note, "mine");
    let tables: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'oncely_webhook_schema'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 0, "the failed install left nothing behind");
    // A file that is not SQLite at all.
    let junk = dir.path().join("junk.db");
    std::fs::write(
        &junk,
        b"not a database, just bytes that go on for a while...",
    )
    .unwrap();
    assert!(WebhookInbox::sqlite(&junk).is_err());
    assert_eq!(
        std::fs::read(&junk).unwrap(),
        b"not a database, just bytes that go on for a while..."
    );
}

#[tokio::test]
async fn an_inbox_location_is_a_file_or_postgres_never_memory() {
    let dir = tempfile::tempdir().unwrap();
    let location = format!("sqlite:{}", file(&dir).display());
    let inbox = WebhookInbox::open(&location).await.unwrap();
    assert_eq!(inbox.location(), location);
    assert!(matches!(
        WebhookInbox::open("memory:").await,
        Err(WebhookError::InvalidConfig { .. })
    ));
}
