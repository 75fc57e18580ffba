//! PostgreSQL store tests (skipped unless `ONCELY_TEST_DATABASE_URL` is set).

use std::sync::Arc;

use super::sql::pg_execute;
use super::*;
use crate::store::{contract, journal, Begin, Store};

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
        .op("bump", |c| async move {
            pg_execute(
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
                supported: 2,
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
            .op("kill", |c| async move {
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
