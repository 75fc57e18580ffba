//! PostgreSQL store tests (skipped unless `ONCELY_TEST_DATABASE_URL` is set).

use std::sync::Arc;

use super::sql::pg_execute;
use super::*;
use crate::store::{contract, journal, Begin, Journal, Store};

#[tokio::test]
async fn store_contract() {
    let Some(a) = testing::store("store_contract_a").await else {
        return;
    };
    contract::begin_complete_replay(&a).await;
    let Some(b) = testing::store("store_contract_b").await else {
        return;
    };
    contract::expired_records_are_replaced_and_purged(&b).await;
    let Some(c) = testing::store("store_contract_c").await else {
        return;
    };
    contract::concurrent_begin_starts_once(Arc::new(c)).await;
    let Some(d) = testing::store("store_contract_d").await else {
        return;
    };
    contract::records_are_listed_newest_first(&d).await;
}

#[tokio::test]
async fn journal_contract() {
    let Some(a) = testing::store("journal_contract_a").await else {
        return;
    };
    journal::contract::lifecycle(&a).await;
    let Some(b) = testing::store("journal_contract_b").await else {
        return;
    };
    journal::contract::leases_expire_and_claims_are_exclusive(&b).await;
    let Some(c) = testing::store("journal_contract_c").await else {
        return;
    };
    journal::contract::concurrent_claims_take_each_run_once(Arc::new(c)).await;
    let Some(d) = testing::store("journal_contract_d").await else {
        return;
    };
    journal::contract::write_all_is_one_fenced_transaction(&d).await;
    let Some(e) = testing::store("journal_contract_e").await else {
        return;
    };
    journal::contract::a_run_created_leased_is_held_by_its_creator(&e).await;
}

#[tokio::test]
async fn a_key_in_flight_on_one_worker_is_seen_by_another() {
    let Some(url) = testing::url("key_in_flight") else {
        return;
    };
    let schema = testing::schema("in_flight");
    let a = PgStore::connect(PgConfig::new(&url).schema(&schema))
        .await
        .unwrap();
    let b = PgStore::connect(PgConfig::new(&url).schema(&schema))
        .await
        .unwrap();
    let record = contract::record("shared-key", "fp");
    assert_eq!(a.begin(record.clone()).await.unwrap(), Begin::Started);
    assert!(
        matches!(b.begin(record.clone()).await.unwrap(), Begin::Resumed(_)),
        "B sees A's key in flight"
    );
    assert_eq!(b.schema_version().await.unwrap(), PG_SCHEMA_VERSION);
}

#[tokio::test]
async fn a_schema_written_by_a_newer_oncely_is_refused_and_left_alone() {
    let Some(store) = testing::store("newer_schema").await else {
        return;
    };
    let schema = store.schema().to_string();
    store
        .op("bump", |c, n| async move {
            pg_execute(
                n,
                &c,
                "INSERT INTO oncely_schema (version, applied_ms) VALUES (99, 0)",
                &[],
            )
            .await?;
            Ok(())
        })
        .await
        .unwrap();
    let Some(url) = testing::url("newer_schema") else {
        return;
    };
    let err = PgStore::connect(PgConfig::new(url).schema(&schema))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::SchemaTooNew {
                found: 99,
                supported: 3,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains(&schema), "{err}");
    assert_eq!(
        store.schema_version().await.unwrap(),
        99,
        "nothing was changed"
    );
}

#[tokio::test]
async fn unreachable_server_is_a_typed_error() {
    if testing::url("unreachable").is_none() {
        return;
    }
    let mut config = PgConfig::new("postgres://postgres@127.0.0.1:1/postgres").schema("x");
    config.reconnect_attempts = 0;
    let err = PgStore::connect(config).await.unwrap_err();
    assert!(matches!(err, StoreError::Open { .. }), "{err}");
}

#[tokio::test]
async fn a_lost_connection_is_retried_on_a_fresh_one() {
    let Some(url) = testing::url("lost_connection") else {
        return;
    };
    let schema = testing::schema("lost");
    let store = PgStore::connect(PgConfig::new(&url).schema(&schema).pool_size(1))
        .await
        .unwrap();
    store.begin(contract::record("k-lost", "fp")).await.unwrap();
    // Kill every backend of the store's pool from another connection.
    let killer = PgStore::connect(
        PgConfig::new(&url)
            .schema(testing::schema("killer"))
            .pool_size(1),
    )
    .await
    .unwrap();
    let app = format!("oncely:{schema}");
    let app = &app;
    let killed = killer
            .op("kill", |c, _| async move {
                let row = c
                    .query_one(
                        "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
                        &[app],
                    )
                    .await?;
                Ok(row.get::<_, i64>(0))
            })
            .await
            .unwrap();
    assert!(killed >= 1, "killed {killed}");
    // The pooled connection is dead; the store retries on a new one.
    let record = store.get("k-lost").await.unwrap().expect("record survives");
    assert_eq!(record.fingerprint, "fp");
    assert!(matches!(
        store.begin(contract::record("k-lost", "fp")).await.unwrap(),
        Begin::Resumed(_)
    ));
}

#[test]
fn schema_names_are_checked() {
    assert!(valid_schema_name("oncely_test_1"));
    for bad in ["", "1abc", "a-b", "A", "a;drop", &"x".repeat(64)] {
        assert!(!valid_schema_name(bad), "{bad}");
    }
}

#[test]
fn urls_are_redacted() {
    assert_eq!(
        redact_url("postgres://u:secret@h:5432/db"),
        "postgres://u:***@h:5432/db"
    );
    assert!(!format!("{:?}", PgConfig::new("postgres://u:secret@h/db")).contains("secret"));
}

#[tokio::test]
async fn bad_schema_name_is_a_typed_error_before_connecting() {
    let err = PgStore::connect(
        PgConfig::new("postgres://postgres@127.0.0.1:1/x").schema("Robert'); DROP"),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, StoreError::Open { .. }), "{err}");
}

/// Fresh records are queued, not waited for: the call pays no round trip,
/// and many calls' records share one.
#[tokio::test]
async fn fresh_records_are_written_behind_the_calls_in_groups() {
    let Some(store) = testing::store("fresh_groups").await else {
        return;
    };
    let before = store.write_counts().unwrap();
    for n in 0..50 {
        let key = format!("fresh-{n}");
        store
            .begin_fresh(contract::record(&key, "fp"))
            .await
            .unwrap();
        if n % 2 == 0 {
            store
                .complete_fresh(&key, contract::outcome())
                .await
                .unwrap();
        }
    }
    let queued = store.write_counts().unwrap() - before;
    assert_eq!(queued.round_trips, 0, "nothing waited for: {queued:?}");
    store.flush().await.unwrap();
    // An answer whose intent an earlier group wrote.
    store
        .complete_fresh("fresh-1", contract::outcome())
        .await
        .unwrap();
    store.flush().await.unwrap();
    let written = store.write_counts().unwrap() - before;
    assert_eq!(written.intent_writes, 51, "{written:?}");
    assert!(written.round_trips <= 2, "{written:?}");
    for n in 0..50 {
        let record = store.get(&format!("fresh-{n}")).await.unwrap().unwrap();
        let answered = n % 2 == 0 || n == 1;
        assert_eq!(record.outcome.is_some(), answered, "fresh-{n}: {record:?}");
        if answered {
            assert_eq!(record.outcome, Some(contract::outcome()));
            assert_eq!(record.state, crate::store::IntentState::Completed);
        }
    }
}

/// A run created leased is one statement, one round trip.
#[tokio::test]
async fn a_run_is_created_with_its_lease_in_one_round_trip() {
    let Some(store) = testing::store("create_leased").await else {
        return;
    };
    let run = crate::store::NewRun {
        run_id: "r1".into(),
        workflow: "w".into(),
        fingerprint: "f".into(),
        steps: vec!["a".into()],
        input: serde_json::json!({}),
        trace_context: None,
    };
    let before = store.write_counts().unwrap();
    let created = store
        .create_run_leased(&run, "w1", std::time::Duration::from_secs(30))
        .await
        .unwrap();
    assert!(
        matches!(created, crate::store::CreateRun::Created(ref r) if r.lease_owner.as_deref() == Some("w1"))
    );
    let counted = store.write_counts().unwrap() - before;
    assert_eq!(
        (counted.commits, counted.round_trips),
        (1, 1),
        "{counted:?}"
    );
}
