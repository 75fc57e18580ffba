//! Workflow throughput: order sagas per second through the journal (SQLite,
//! PostgreSQL) against the same steps called directly without a journal (the
//! baseline), in the same run, against the reference server on loopback.
//!
//! `cargo bench -p oncely --bench workflow` prints criterion's numbers, then a
//! summary: runs per second at 32 concurrent runs and one run at a time, each
//! as a ratio to the baseline measured in the same round (rounds interleave
//! the variants, so a machine whose speed drifts hurts every variant alike),
//! and the journal writes, idempotency records, commits and (PostgreSQL) round
//! trips per run, counted by the store ([`oncely::store::WriteCounts`]), and
//! the process's CPU time per run (client, reference server and store
//! together: steadier than the rates on a busy machine), and the CPU time of
//! the PostgreSQL server processes per run, which the process does not see.
//! PostgreSQL is measured when `ONCELY_TEST_DATABASE_URL` is set. The same
//! checkout as an Arazzo contract (`openapi/orders.arazzo.yaml`), run by the
//! interpreter on the SQLite journal, is measured too, with its ratio to the
//! hand-written saga on the same journal.
//!
//! ```text
//! cargo bench -p oncely --bench workflow
//! ONCELY_BENCH_SUMMARY=only ONCELY_BENCH_ROUNDS=5 cargo bench -p oncely --bench workflow
//! scripts/with-postgres.sh cargo bench -p oncely --bench workflow
//! ONCELY_BENCH_ONLY=sqlite cargo bench -p oncely --bench workflow   # the baseline and the SQLite variants
//! ```

#[path = "../tests/workflow_common/mod.rs"]
mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{client, order_saga, OrderInput, Resource};
use criterion::{criterion_group, Criterion, Throughput};
use oncely::arazzo::{load_file, ArazzoWorkflow, Sources};
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

/// The Arazzo checkout, compiled for the engine.
fn arazzo_checkout() -> ArazzoWorkflow {
    let path = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../openapi/orders.arazzo.yaml"
    ));
    let document = load_file(path).expect("orders.arazzo.yaml loads");
    let (sources, errors) = Sources::load(&document, path);
    assert!(errors.is_empty(), "{errors:?}");
    ArazzoWorkflow::compile(&document, &sources, "checkout").expect("checkout compiles")
}

/// The Arazzo checkout's inputs for an order.
fn arazzo_inputs(input: &OrderInput) -> Value {
    json!({
        "customer_id": input.customer_id, "sku": input.sku, "quantity": input.quantity,
        "currency": "EUR", "amount": input.amount, "payment_method": input.payment_method,
        "carrier": "oncely-post",
    })
}

/// What one variant runs.
#[derive(Clone)]
enum Variant {
    Baseline(Client),
    Journaled(Engine),
    Arazzo(Engine, Arc<ArazzoWorkflow>),
}

impl Variant {
    async fn batch(&self) {
        self.runs(BATCH).await
    }

    /// `n` runs, all at once.
    async fn runs(&self, n: usize) {
        let tasks: Vec<_> = (0..n)
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
                        Variant::Arazzo(engine, checkout) => {
                            let outcome = engine
                                .start(
                                    checkout.workflow(),
                                    Some(&next_id("arazzo")),
                                    &arazzo_inputs(&input),
                                )
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
    variants: Vec<Measured>,
}

/// A variant's name, what it runs, and the store whose writes are counted.
type Measured = (&'static str, Variant, Option<Arc<dyn Store>>);

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
        None,
    )];
    let sqlite: Arc<dyn Store> =
        Arc::new(SqliteStore::open(dir.path().join("bench.db")).expect("sqlite"));
    // For reference: the same raw calls with keys persisted in SQLite, still no journal.
    variants.push((
        "calls + SQLite keys",
        Variant::Baseline(client(&base, sqlite.clone())),
        Some(sqlite.clone()),
    ));
    variants.push((
        "journal: SQLite",
        Variant::Journaled(engine(&base, sqlite.clone())),
        Some(sqlite.clone()),
    ));
    let checkout = Arc::new(arazzo_checkout());
    variants.push((
        "Arazzo interpreter: SQLite",
        Variant::Arazzo(
            engine(&base, sqlite.clone()).register(checkout.workflow().clone()),
            checkout,
        ),
        Some(sqlite),
    ));
    match std::env::var("ONCELY_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            let pg = common::pg_store(&url, &common::pg_schema("bench")).await;
            variants.push((
                "journal: PostgreSQL",
                Variant::Journaled(engine(&base, pg.clone())),
                Some(pg),
            ));
        }
        _ => eprintln!("ONCELY_TEST_DATABASE_URL is not set: the PostgreSQL variant is skipped"),
    }
    // ONCELY_BENCH_ONLY=sqlite keeps the variants whose name has "sqlite" (and
    // the baseline), for profiling one of them.
    let only = std::env::var("ONCELY_BENCH_ONLY")
        .unwrap_or_default()
        .to_lowercase();
    let mut index = 0;
    variants.retain(|(name, _, _)| {
        index += 1;
        index == 1 || name.to_lowercase().contains(&only)
    });
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
    for (name, variant, _) in &setup.variants {
        group.bench_function(*name, |b| b.to_async(&rt).iter(|| variant.batch()));
    }
    group.finish();
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The machine's load average (1, 5, 15 minutes), for the record.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// CPU time of the whole process (client, reference server, store) so far.
fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes the struct it is handed.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let micros = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    Duration::from_micros(micros(usage.ru_utime) + micros(usage.ru_stime))
}

/// CPU time of every PostgreSQL server process on this machine so far (the
/// journal's database work, which `cpu_time` does not see), from
/// `/proc/<pid>/stat`; zero where there is none.
fn postgres_cpu_time() -> Duration {
    // SAFETY: sysconf only reads a constant of the system.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    let mut total = 0u64;
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let dir = entry.path();
        let is_postgres = std::fs::read_to_string(dir.join("comm"))
            .is_ok_and(|comm| comm.trim_end() == "postgres");
        let Some(stat) = is_postgres
            .then(|| std::fs::read_to_string(dir.join("stat")).ok())
            .flatten()
        else {
            continue;
        };
        // Fields after the command's closing parenthesis: utime and stime
        // are the 12th and 13th.
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = after.split_whitespace().collect();
        let field = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0)
        };
        total += field(11) + field(12);
    }
    Duration::from_micros(total * 1_000_000 / ticks)
}

/// Runs per second of every variant at `concurrency` runs at once, measured in
/// interleaved rounds (the order rotates each round); each variant's ratio is
/// the median of its per-round ratios to the baseline's. Prints a Markdown
/// table with the store's writes per run.
fn summary_at(rt: &tokio::runtime::Runtime, setup: &Setup, concurrency: usize, runs: usize) {
    let rounds = env_or("ONCELY_BENCH_ROUNDS", 5);
    let waves = runs.div_ceil(concurrency);
    let n = setup.variants.len();
    let mut rates = vec![Vec::new(); n];
    let mut counts = vec![oncely::store::WriteCounts::default(); n];
    let mut cpu = vec![Duration::ZERO; n];
    let mut pg_cpu = vec![Duration::ZERO; n];
    for (_, variant, _) in &setup.variants {
        rt.block_on(variant.runs(concurrency)); // warm up
    }
    for round in 0..rounds {
        for k in 0..n {
            let index = (k + round) % n;
            let (_, variant, store) = &setup.variants[index];
            let before = store.as_ref().and_then(|s| s.write_counts());
            let (started, cpu_before, pg_before) =
                (Instant::now(), cpu_time(), postgres_cpu_time());
            for _ in 0..waves {
                rt.block_on(variant.runs(concurrency));
            }
            cpu[index] += cpu_time().saturating_sub(cpu_before);
            pg_cpu[index] += postgres_cpu_time().saturating_sub(pg_before);
            rates[index].push((waves * concurrency) as f64 / started.elapsed().as_secs_f64());
            // Records written behind the calls are counted for this variant.
            if let Some(store) = store {
                rt.block_on(store.flush()).expect("flush");
            }
            if let (Some(before), Some(after)) =
                (before, store.as_ref().and_then(|s| s.write_counts()))
            {
                let delta = after - before;
                counts[index].journal_writes += delta.journal_writes;
                counts[index].intent_writes += delta.intent_writes;
                counts[index].commits += delta.commits;
                counts[index].round_trips += delta.round_trips;
            }
        }
    }
    let total_runs = (rounds * waves * concurrency) as f64;
    println!(
        "\n{concurrency} concurrent run(s), {rounds} rounds of {} runs per variant, load average before: {}",
        waves * concurrency,
        load_average()
    );
    println!("| variant | runs/s (median) | ratio to baseline (median, min-max) | CPU µs/run | PostgreSQL CPU µs/run | journal writes/run | intent records/run | commits/run | round trips/run |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (index, (name, _, store)) in setup.variants.iter().enumerate() {
        let mut ratios: Vec<f64> = rates[index]
            .iter()
            .zip(&rates[0])
            .map(|(rate, base)| rate / base)
            .collect();
        ratios.sort_by(f64::total_cmp);
        let mut own = rates[index].clone();
        own.sort_by(f64::total_cmp);
        let per_run = |v: u64| {
            if store.is_some() {
                format!("{:.2}", v as f64 / total_runs)
            } else {
                "-".into()
            }
        };
        println!(
            "| {name} | {:.1} | {:.2} ({:.2}-{:.2}) | {:.0} | {:.0} | {} | {} | {} | {} |",
            own[own.len() / 2],
            ratios[ratios.len() / 2],
            ratios[0],
            ratios[ratios.len() - 1],
            cpu[index].as_micros() as f64 / total_runs,
            pg_cpu[index].as_micros() as f64 / total_runs,
            per_run(counts[index].journal_writes),
            per_run(counts[index].intent_writes),
            per_run(counts[index].commits),
            per_run(counts[index].round_trips),
        );
    }
    let position = |name: &str| setup.variants.iter().position(|(n, _, _)| *n == name);
    if let (Some(arazzo), Some(saga)) = (
        position("Arazzo interpreter: SQLite"),
        position("journal: SQLite"),
    ) {
        let mut ratios: Vec<f64> = rates[arazzo]
            .iter()
            .zip(&rates[saga])
            .map(|(a, s)| s / a)
            .collect();
        ratios.sort_by(f64::total_cmp);
        println!(
            "Arazzo interpreter vs the hand-written saga, both on the SQLite journal: {:.2}x the time per run (median, {:.2}-{:.2})",
            ratios[ratios.len() / 2],
            ratios[0],
            ratios[ratios.len() - 1]
        );
    }
    println!("load average after: {}", load_average());
}

/// The summary tables: 32 runs at once, then one run at a time.
fn summary() {
    let rt = runtime();
    let setup = rt.block_on(setup());
    summary_at(&rt, &setup, 32, env_or("ONCELY_BENCH_RUNS", 128));
    summary_at(&rt, &setup, 1, env_or("ONCELY_BENCH_SERIAL_RUNS", 24));
}

criterion_group!(benches, bench_workflows);

fn main() {
    // ONCELY_BENCH_SUMMARY=only skips criterion's measurements.
    if std::env::var("ONCELY_BENCH_SUMMARY").as_deref() != Ok("only") {
        benches();
        Criterion::default().configure_from_args().final_summary();
    }
    summary();
}
