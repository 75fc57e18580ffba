//! Workflow throughput: order sagas per second through the journal (SQLite,
//! PostgreSQL) against the same steps called directly without a journal (the
//! baseline), in the same run, against the reference server on loopback.
//!
//! `cargo bench -p oncely --bench workflow` prints criterion's numbers, then a
//! summary with both ratios (journaled throughput / baseline throughput).
//! PostgreSQL is measured when `ONCELY_TEST_DATABASE_URL` is set.

#[path = "../tests/workflow_common/mod.rs"]
mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{client, order_saga, OrderInput, Resource};
use criterion::{criterion_group, Criterion, Throughput};
use oncely::workflow::{step_key, Engine};
use oncely::{Client, MemoryStore, SqliteStore, Store};
use serde_json::{json, Value};

/// Runs per measured batch (driven concurrently).
const BATCH: usize = 8;

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn next_id(prefix: &str) -> String {
    format!("{prefix}-{}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// The saga's four calls made directly with the client: same requests, same
/// step keys, no journal.
async fn raw_saga(client: &Client, run_id: &str, input: &OrderInput) {
    let key = |step: &str| step_key(run_id, step);
    let body = json!({"customer_id": input.customer_id, "items": [{"sku": input.sku, "quantity": input.quantity}], "currency": "EUR"});
    let order: Resource = client
        .post("/orders")
        .idempotency_key(key("create_order"))
        .json(&body)
        .send_json()
        .await
        .expect("order");
    let _: Resource = client
        .post("/orders/{order_id}/reservations")
        .path_param("order_id", &order.id)
        .idempotency_key(key("reserve_inventory"))
        .json(&json!({}))
        .send_json()
        .await
        .expect("reservation");
    let pay =
        json!({"amount": input.amount, "currency": "EUR", "payment_method": input.payment_method});
    let _: Resource = client
        .post("/orders/{order_id}/payments")
        .path_param("order_id", &order.id)
        .idempotency_key(key("authorize_payment"))
        .json(&pay)
        .send_json()
        .await
        .expect("payment");
    let op = client
        .post("/orders/{order_id}/shipments")
        .path_param("order_id", &order.id)
        .idempotency_key(key("request_shipment"))
        .json(&json!({"carrier": "oncely-post"}))
        .send_operation::<Value>()
        .await
        .expect("shipment");
    op.wait().await.expect("shipment finished");
}

/// What one variant runs.
#[derive(Clone)]
enum Variant {
    Baseline(Client),
    Journaled(Engine),
}

impl Variant {
    async fn batch(&self) {
        let tasks: Vec<_> = (0..BATCH)
            .map(|n| {
                let me = self.clone();
                tokio::spawn(async move {
                    let input = OrderInput::new(n, false);
                    match me {
                        Variant::Baseline(client) => {
                            raw_saga(&client, &next_id("raw"), &input).await
                        }
                        Variant::Journaled(engine) => {
                            let outcome = engine
                                .start(&order_saga(), Some(&next_id("run")), &input)
                                .await
                                .expect("run");
                            assert!(outcome.is_completed(), "{outcome:?}");
                        }
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("run task");
        }
    }
}

struct Setup {
    _server: orders_server::RunningServer,
    _dir: tempfile::TempDir,
    variants: Vec<(&'static str, Variant)>,
}

async fn setup() -> Setup {
    let server = orders_server::spawn(orders_server::ServerConfig {
        operation_duration: Duration::ZERO,
        retry_after_ms: Some(1),
        ..Default::default()
    })
    .await
    .expect("server");
    let base = server.base_url();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut variants = vec![(
        "baseline (no journal)",
        Variant::Baseline(client(&base, Arc::new(MemoryStore::new()))),
    )];
    let sqlite: Arc<dyn Store> =
        Arc::new(SqliteStore::open(dir.path().join("bench.db")).expect("sqlite"));
    // For reference: the same raw calls with keys persisted in SQLite, still no journal.
    variants.push((
        "calls + SQLite keys",
        Variant::Baseline(client(&base, sqlite.clone())),
    ));
    variants.push(("journal: SQLite", Variant::Journaled(engine(&base, sqlite))));
    match std::env::var("ONCELY_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            let pg = common::pg_store(&url, &common::pg_schema("bench")).await;
            variants.push(("journal: PostgreSQL", Variant::Journaled(engine(&base, pg))));
        }
        _ => eprintln!("ONCELY_TEST_DATABASE_URL is not set: the PostgreSQL variant is skipped"),
    }
    Setup {
        _server: server,
        _dir: dir,
        variants,
    }
}

fn engine(base: &str, store: Arc<dyn Store>) -> Engine {
    let journal = store.clone().as_journal().expect("journal");
    Engine::new(client(base, store), journal)
        .owner("bench")
        .register(order_saga())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn bench_workflows(c: &mut Criterion) {
    let rt = runtime();
    let setup = rt.block_on(setup());
    let mut group = c.benchmark_group("workflow_runs");
    group.throughput(Throughput::Elements(BATCH as u64));
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    for (name, variant) in &setup.variants {
        group.bench_function(*name, |b| b.to_async(&rt).iter(|| variant.batch()));
    }
    group.finish();
}

/// The same variants timed back to back over a fixed number of runs, and
/// their throughput as ratios of the baseline's.
fn summary() {
    let rt = runtime();
    let setup = rt.block_on(setup());
    let batches = 25;
    let mut baseline = None;
    println!(
        "\nworkflow throughput, {} runs each ({BATCH} concurrent), same server, same run:",
        batches * BATCH
    );
    for (name, variant) in &setup.variants {
        rt.block_on(variant.batch()); // warm up
        let started = Instant::now();
        for _ in 0..batches {
            rt.block_on(variant.batch());
        }
        let per_second = (batches * BATCH) as f64 / started.elapsed().as_secs_f64();
        let base = *baseline.get_or_insert(per_second);
        println!(
            "  {name:<24} {per_second:>8.1} runs/s   ratio to baseline {:.2}",
            per_second / base
        );
    }
}

criterion_group!(benches, bench_workflows);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    summary();
}
