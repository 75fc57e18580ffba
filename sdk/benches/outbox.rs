//! The outbox's cost, as ratios against baselines measured in the same run:
//!
//! 1. **Enqueue**: a transaction inserting one business row and its outbox
//!    call, against the same transaction without the call (SQLite; and
//!    PostgreSQL when `ONCELY_TEST_DATABASE_URL` is set), in interleaved
//!    rounds.
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

/// Enqueue on SQLite: business row alone vs business row + outbox call.
fn enqueue_sqlite(rounds: usize, per_round: usize) -> (f64, f64, f64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut conn = rusqlite::Connection::open(dir.path().join("app.db")).expect("db");
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
         CREATE TABLE business (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, amount INTEGER NOT NULL)",
    )
    .expect("schema");
    sqlite::install(&conn).expect("install");
    let calls: Vec<OutboxCall> = (0..rounds * per_round).map(order).collect();
    let mut calls = calls.into_iter();
    let (mut bare, mut with, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let mut times = [0.0; 2];
        for k in 0..2 {
            let enqueue = (k + round) % 2 == 1;
            let started = Instant::now();
            for i in 0..per_round {
                let tx = conn.transaction().expect("tx");
                tx.execute(
                    "INSERT INTO business (customer, amount) VALUES (?1, ?2)",
                    rusqlite::params![format!("c{i}"), 100],
                )
                .expect("insert");
                if enqueue {
                    sqlite::enqueue(&tx, &calls.next().expect("a call")).expect("enqueue");
                }
                tx.commit().expect("commit");
            }
            times[usize::from(enqueue)] = started.elapsed().as_secs_f64() / per_round as f64;
        }
        bare.push(times[0]);
        with.push(times[1]);
        ratios.push(times[1] / times[0]);
    }
    (median(bare), median(with), median(ratios))
}

/// Enqueue on PostgreSQL, the same way.
async fn enqueue_postgres(url: &str, rounds: usize, per_round: usize) -> (f64, f64, f64) {
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
            "CREATE TABLE {schema}.business (id BIGSERIAL PRIMARY KEY, customer TEXT NOT NULL, amount BIGINT NOT NULL)"
        ))
        .await
        .expect("schema");
    let insert = format!("INSERT INTO {schema}.business (customer, amount) VALUES ($1, $2)");
    let (mut bare, mut with, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let mut n = 0;
    for round in 0..rounds {
        let mut times = [0.0; 2];
        for k in 0..2 {
            let enqueue = (k + round) % 2 == 1;
            let started = Instant::now();
            for i in 0..per_round {
                let tx = client.transaction().await.expect("tx");
                tx.execute(&insert, &[&format!("c{i}"), &100i64])
                    .await
                    .expect("insert");
                if enqueue {
                    n += 1;
                    postgres::enqueue(&tx, &schema, &order(n))
                        .await
                        .expect("enqueue");
                }
                tx.commit().await.expect("commit");
            }
            times[usize::from(enqueue)] = started.elapsed().as_secs_f64() / per_round as f64;
        }
        bare.push(times[0]);
        with.push(times[1]);
        ratios.push(times[1] / times[0]);
    }
    client
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .expect("cleanup");
    (median(bare), median(with), median(ratios))
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
    println!("## Enqueue: a transaction inserting one business row, with and without its outbox call ({rounds} rounds of 500)\n");
    println!("| database | business row alone | with the outbox call | ratio (median of rounds) |");
    println!("|---|---:|---:|---:|");
    let (bare, with, ratio) = enqueue_sqlite(rounds, 500);
    println!(
        "| SQLite (WAL, synchronous=NORMAL) | {:.1} µs | {:.1} µs | {ratio:.2}x |",
        bare * 1e6,
        with * 1e6
    );
    match &pg {
        Some(url) => {
            let (bare, with, ratio) = runtime.block_on(enqueue_postgres(url, rounds, 500));
            println!(
                "| PostgreSQL | {:.1} µs | {:.1} µs | {ratio:.2}x |",
                bare * 1e6,
                with * 1e6
            );
        }
        None => eprintln!("ONCELY_TEST_DATABASE_URL is not set: the PostgreSQL rows are skipped"),
    }
    let server = runtime
        .block_on(orders_server::spawn(orders_server::ServerConfig::default()))
        .expect("server");
    let base = server.base_url();
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
    if let Some(url) = &pg {
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
