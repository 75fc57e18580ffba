//! The outbox's cost, as ratios against baselines measured in the same run:
//!
//! 1. **Enqueue**: a transaction inserting one business row and its outbox
//!    call, against the same transaction without the call (SQLite; and
//!    PostgreSQL when `ONCELY_TEST_DATABASE_URL` is set), in interleaved
//!    rounds. A third variant inserts one more minimal row into a second
//!    table instead: the floor under any outbox, which must write a row.
//! 2. **Dispatch**: rows delivered to the reference server by a dispatcher at
//!    16 at once, against the same calls (same bodies, same intent keys) made
//!    directly with the oncely client at 16 at once (SQLite).
//! 3. **Scaling** on PostgreSQL: rows per second delivered by 1, 2 and 4
//!    dispatcher *processes* (this bench binary re-run as a dispatcher)
//!    sharing one outbox.
//!
//! ```text
//! cargo bench -p oncely --bench outbox
//! scripts/with-postgres.sh cargo bench -p oncely --bench outbox
//! ONCELY_BENCH_ROWS=4000 ONCELY_BENCH_ROUNDS=9 cargo bench -p oncely --bench outbox
//! ONCELY_BENCH_ONLY=dispatch cargo bench -p oncely --bench outbox   # one part: enqueue, dispatch, scaling
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use oncely::outbox::sqlite::{self, rusqlite};
use oncely::outbox::{Dispatcher, Outbox, OutboxCall};
use oncely::{BreakerConfig, Client, RetryPolicy};
use serde_json::json;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU time of the whole process (client, reference server, database).
fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes the struct it is handed.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let micros = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    Duration::from_micros(micros(usage.ru_utime) + micros(usage.ru_stime))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn body(n: usize) -> serde_json::Value {
    json!({"customer_id": format!("c{}", n % 64), "items": [{"sku": "sku-1", "quantity": 1}], "currency": "EUR"})
}

fn order(n: usize) -> OutboxCall {
    OutboxCall::post("/orders")
        .json(&body(n))
        .expect("a JSON body")
        .intent_id(format!("bench-{}-{n}", uuid::Uuid::new_v4().simple()))
}

fn client(base: &str) -> Client {
    Client::builder(base)
        .retry_policy(RetryPolicy::default().max_attempts(3))
        .retry_budget(None)
        .circuit_breaker(BreakerConfig {
            failure_threshold: 100_000,
            open_for: Duration::from_millis(1),
        })
        .build()
        .expect("client")
}

/// What one enqueue round measures: the business transaction alone, with
/// one more minimal row in a second table (the floor of any outbox: one more
/// row, one more page written at commit), and with the outbox call.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Variant {
    Bare,
    OneMoreRow,
    Outbox,
}

/// The three variants in a round's order: rotated every round, so no
/// variant always runs first (or last).
fn variants(round: usize) -> [Variant; 3] {
    let mut order = [Variant::Bare, Variant::OneMoreRow, Variant::Outbox];
    order.rotate_left(round % 3);
    order
}

/// Medians over the rounds: time per transaction of each variant, and the
/// ratios of the second-row floor and of the outbox to the bare transaction.
#[derive(Debug, Default)]
struct EnqueueCost {
    bare: f64,
    one_more_row: f64,
    outbox: f64,
    floor_ratio: f64,
    outbox_ratio: f64,
}

impl EnqueueCost {
    /// Medians of per-round times `[bare, one more row, outbox]`.
    fn of(rounds: &[[f64; 3]]) -> Self {
        let column = |i: usize| median(rounds.iter().map(|r| r[i]).collect());
        let ratio = |i: usize| median(rounds.iter().map(|r| r[i] / r[0]).collect());
        EnqueueCost {
            bare: column(0),
            one_more_row: column(1),
            outbox: column(2),
            floor_ratio: ratio(1),
            outbox_ratio: ratio(2),
        }
    }

    fn row(&self, database: &str) -> String {
        format!(
            "| {database} | {:.1} µs | {:.1} µs ({:.2}x) | {:.1} µs | **{:.2}x** |",
            self.bare * 1e6,
            self.one_more_row * 1e6,
            self.floor_ratio,
            self.outbox * 1e6,
            self.outbox_ratio
        )
    }
}

/// Enqueue on SQLite: business row alone, with one more minimal row, and
/// with the outbox call.
fn enqueue_sqlite(rounds: usize, per_round: usize) -> EnqueueCost {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut conn = rusqlite::Connection::open(dir.path().join("app.db")).expect("db");
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
         CREATE TABLE business (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, amount INTEGER NOT NULL);
         CREATE TABLE marker (id INTEGER PRIMARY KEY, business_id INTEGER NOT NULL)",
    )
    .expect("schema");
    sqlite::install(&conn).expect("install");
    let calls: Vec<OutboxCall> = (0..rounds * per_round).map(order).collect();
    let mut calls = calls.into_iter();
    let mut times = Vec::new();
    for round in 0..rounds {
        let mut time = [0.0; 3];
        for variant in variants(round) {
            let started = Instant::now();
            for i in 0..per_round {
                let tx = conn.transaction().expect("tx");
                tx.execute(
                    "INSERT INTO business (customer, amount) VALUES (?1, ?2)",
                    rusqlite::params![format!("c{i}"), 100],
                )
                .expect("insert");
                match variant {
                    Variant::Bare => {}
                    Variant::OneMoreRow => {
                        tx.execute(
                            "INSERT INTO marker (business_id) VALUES (?1)",
                            [tx.last_insert_rowid()],
                        )
                        .expect("marker");
                    }
                    Variant::Outbox => {
                        sqlite::enqueue(&tx, &calls.next().expect("a call")).expect("enqueue");
                    }
                }
                tx.commit().expect("commit");
            }
            time[variant as usize] = started.elapsed().as_secs_f64() / per_round as f64;
        }
        times.push(time);
    }
    EnqueueCost::of(&times)
}

/// Enqueue on PostgreSQL, the same way.
async fn enqueue_postgres(url: &str, rounds: usize, per_round: usize) -> EnqueueCost {
    use oncely::outbox::postgres::{self, tokio_postgres};
    let (mut client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    let schema = format!("bench_{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    postgres::install(&mut client, &schema)
        .await
        .expect("install");
    client
        .batch_execute(&format!(
            "CREATE TABLE {schema}.business (id BIGSERIAL PRIMARY KEY, customer TEXT NOT NULL, amount BIGINT NOT NULL);
             CREATE TABLE {schema}.marker (id BIGSERIAL PRIMARY KEY, business_id BIGINT NOT NULL)"
        ))
        .await
        .expect("schema");
    let insert =
        format!("INSERT INTO {schema}.business (customer, amount) VALUES ($1, $2) RETURNING id");
    let marker = format!("INSERT INTO {schema}.marker (business_id) VALUES ($1)");
    let calls: Vec<OutboxCall> = (0..rounds * per_round).map(order).collect();
    let mut calls = calls.into_iter();
    let mut times = Vec::new();
    for round in 0..rounds {
        let mut time = [0.0; 3];
        for variant in variants(round) {
            let started = Instant::now();
            for i in 0..per_round {
                let tx = client.transaction().await.expect("tx");
                let business: i64 = tx
                    .query_one(&insert, &[&format!("c{i}"), &100i64])
                    .await
                    .expect("insert")
                    .get(0);
                match variant {
                    Variant::Bare => {}
                    Variant::OneMoreRow => {
                        tx.execute(&marker, &[&business]).await.expect("marker");
                    }
                    Variant::Outbox => {
                        postgres::enqueue(&tx, &schema, &calls.next().expect("a call"))
                            .await
                            .expect("enqueue");
                    }
                }
                tx.commit().await.expect("commit");
            }
            time[variant as usize] = started.elapsed().as_secs_f64() / per_round as f64;
        }
        times.push(time);
    }
    client
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .expect("cleanup");
    EnqueueCost::of(&times)
}

/// Dispatch on SQLite vs the same calls made directly, `rows` each, in
/// interleaved rounds; rows per second of each and their ratio.
async fn dispatch_sqlite(base: &str, rounds: usize, rows: usize) -> ([f64; 2], [f64; 2], f64) {
    const AT_ONCE: usize = 16;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("outbox.db");
    let outbox = Outbox::sqlite(&path).expect("outbox");
    let conn = rusqlite::Connection::open(&path).expect("db");
    conn.execute_batch("PRAGMA journal_mode = WAL")
        .expect("wal");
    let client = client(base);
    let dispatcher = Dispatcher::new(outbox, client.clone()).concurrency(AT_ONCE);
    let (mut direct, mut dispatched, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let mut cpu = [Duration::ZERO; 2];
    for round in 0..rounds {
        let mut rates = [0.0; 2];
        for k in 0..2 {
            let via_outbox = (k + round) % 2 == 1;
            let calls: Vec<OutboxCall> = (0..rows).map(order).collect();
            let elapsed = if via_outbox {
                let tx = conn.unchecked_transaction().expect("tx");
                for call in &calls {
                    sqlite::enqueue(&tx, call).expect("enqueue");
                }
                tx.commit().expect("commit");
                let (started, cpu_before) = (Instant::now(), cpu_time());
                let report = dispatcher.drain().await.expect("drain");
                assert_eq!(report.delivered as usize, rows, "{report:?}");
                cpu[1] += cpu_time().saturating_sub(cpu_before);
                started.elapsed()
            } else {
                let (started, cpu_before) = (Instant::now(), cpu_time());
                let next = Arc::new(std::sync::Mutex::new(calls.into_iter().enumerate()));
                let tasks: Vec<_> = (0..AT_ONCE)
                    .map(|_| {
                        let (client, next) = (client.clone(), next.clone());
                        tokio::spawn(async move {
                            loop {
                                let Some((n, call)) = next.lock().expect("lock").next() else {
                                    return;
                                };
                                client
                                    .post("/orders")
                                    .intent_id(call.intent().expect("an intent").to_owned())
                                    .json(&body(n))
                                    .send()
                                    .await
                                    .expect("direct call");
                            }
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.expect("task");
                }
                cpu[0] += cpu_time().saturating_sub(cpu_before);
                started.elapsed()
            };
            rates[usize::from(via_outbox)] = rows as f64 / elapsed.as_secs_f64();
        }
        direct.push(rates[0]);
        dispatched.push(rates[1]);
        ratios.push(rates[1] / rates[0]);
    }
    let per_row = |d: Duration| d.as_secs_f64() * 1e6 / (rounds * rows) as f64;
    (
        [median(direct), per_row(cpu[0])],
        [median(dispatched), per_row(cpu[1])],
        median(ratios),
    )
}

/// Rows per second delivered by `processes` dispatcher processes sharing
/// one PostgreSQL outbox of `rows` rows.
async fn scaling_postgres(url: &str, base: &str, processes: usize, rows: usize) -> f64 {
    use oncely::outbox::postgres::{self, tokio_postgres};
    let schema = format!("bench_{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let (mut client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    postgres::install(&mut client, &schema)
        .await
        .expect("install");
    let tx = client.transaction().await.expect("tx");
    for n in 0..rows {
        postgres::enqueue(&tx, &schema, &order(n))
            .await
            .expect("enqueue");
    }
    tx.commit().await.expect("commit");
    let sep = if url.contains('?') { '&' } else { '?' };
    let location = format!("{url}{sep}oncely_schema={schema}");
    let exe = std::env::current_exe().expect("the bench binary");
    let started = Instant::now();
    let children: Vec<_> = (0..processes)
        .map(|i| {
            std::process::Command::new(&exe)
                .env("ONCELY_BENCH_DISPATCHER", &location)
                .env("ONCELY_BENCH_BASE", base)
                .env("ONCELY_BENCH_OWNER", format!("d{i}"))
                .spawn()
                .expect("a dispatcher process")
        })
        .collect();
    for mut child in children {
        assert!(child.wait().expect("waits").success());
    }
    let elapsed = started.elapsed();
    let outbox = Outbox::open(&location).await.expect("outbox");
    let stats = outbox.stats().await.expect("stats");
    assert_eq!(stats.delivered as usize, rows, "{stats:?}");
    client
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .expect("cleanup");
    rows as f64 / elapsed.as_secs_f64()
}

/// This binary re-run as one dispatcher process: drains, then exits.
async fn dispatcher_process(location: &str) {
    let base = std::env::var("ONCELY_BENCH_BASE").expect("ONCELY_BENCH_BASE");
    let owner = std::env::var("ONCELY_BENCH_OWNER").unwrap_or_else(|_| "d".into());
    let outbox = Outbox::open(location).await.expect("outbox");
    Dispatcher::new(outbox, client(&base))
        .owner(owner)
        .concurrency(16)
        .drain()
        .await
        .expect("drain");
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    if let Ok(location) = std::env::var("ONCELY_BENCH_DISPATCHER") {
        runtime.block_on(dispatcher_process(&location));
        return;
    }
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rounds = env_or("ONCELY_BENCH_ROUNDS", 7);
    let rows = env_or("ONCELY_BENCH_ROWS", 2000);
    let pg = std::env::var("ONCELY_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty());
    // `ONCELY_BENCH_ONLY=enqueue|dispatch|scaling` runs one part (to profile it).
    let only = std::env::var("ONCELY_BENCH_ONLY").unwrap_or_default();
    let part = |name: &str| only.is_empty() || only == name;
    if part("enqueue") {
        println!("## Enqueue: a transaction inserting one business row, with and without its outbox call ({rounds} rounds of 500)\n");
        println!("| database | business row alone | with one more minimal row (the floor) | with the outbox call | outbox ratio (median of rounds) |");
        println!("|---|---:|---:|---:|---:|");
        println!(
            "{}",
            enqueue_sqlite(rounds, 500).row("SQLite (WAL, synchronous=NORMAL)")
        );
        match &pg {
            Some(url) => {
                let cost = runtime.block_on(enqueue_postgres(url, rounds, 500));
                println!("{}", cost.row("PostgreSQL"));
            }
            None => {
                eprintln!("ONCELY_TEST_DATABASE_URL is not set: the PostgreSQL rows are skipped")
            }
        }
    }
    let server = runtime
        .block_on(orders_server::spawn(orders_server::ServerConfig::default()))
        .expect("server");
    let base = server.base_url();
    if part("dispatch") {
        println!("\n## Dispatch: {rows} POST /orders at 16 at once ({rounds} rounds)\n");
        println!("| | rows/s (median) | CPU µs per row (client, server, database) |");
        println!("|---|---:|---:|");
        let (direct, dispatched, ratio) = runtime.block_on(dispatch_sqlite(&base, rounds, rows));
        println!(
            "| the oncely client directly | {:.0} | {:.0} |",
            direct[0], direct[1]
        );
        println!(
            "| outbox dispatcher, SQLite | {:.0} ({ratio:.2}x, median of rounds) | {:.0} |",
            dispatched[0], dispatched[1]
        );
    }
    if let (Some(url), true) = (&pg, part("scaling")) {
        println!("\n## Dispatchers sharing one PostgreSQL outbox ({rows} rows)\n");
        println!("| dispatcher processes | rows/s |");
        println!("|---:|---:|");
        for processes in [1, 2, 4] {
            let rate = runtime.block_on(scaling_postgres(url, &base, processes, rows));
            println!("| {processes} | {rate:.0} |");
        }
    }
    println!(
        "\nload average: {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
}
