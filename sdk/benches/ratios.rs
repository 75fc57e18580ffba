//! Per-call overhead of oncely against raw `reqwest` as ratios, measured in
//! interleaved rounds: every round runs every case for the same number of
//! calls, in a rotating order, and each oncely case is divided by its baseline
//! *from the same round*. On a shared or virtual machine, whose speed drifts
//! from second to second, this is steadier than timing each case in its own
//! block (criterion's `overhead` bench gives the absolute latencies).
//!
//! ```text
//! cargo bench -p oncely --bench ratios            # 40 rounds of 400 calls per case
//! ONCELY_BENCH_ROUNDS=10 cargo bench -p oncely --bench ratios
//! ONCELY_BENCH_ONLY=memory cargo bench -p oncely --bench ratios   # cases whose name has "memory", and their baselines
//! ```
//!
//! Prints a Markdown table: median latency per call, and the median (with the
//! interquartile range) of the per-round ratios.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use common::payload;
use serde_json::Value;

type Call<'a> = Box<dyn Fn() -> Pin<Box<dyn Future<Output = ()> + 'a>> + 'a>;

/// One measured case, and the index of the case it is compared with.
struct Case<'a> {
    name: &'static str,
    baseline: Option<usize>,
    call: Call<'a>,
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU time used so far by every thread of this process, in seconds.
fn process_cpu_seconds() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid, writable timespec for the duration of the call.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    if rc != 0 {
        return 0.0;
    }
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn quartiles(values: &mut [f64]) -> (f64, f64) {
    values.sort_by(f64::total_cmp);
    (values[values.len() / 4], values[values.len() * 3 / 4])
}

fn main() {
    let rounds = env_or("ONCELY_BENCH_ROUNDS", 40).max(4);
    let calls = env_or("ONCELY_BENCH_CALLS", 400).max(1);
    let common::Setup {
        rt,
        base,
        raw,
        memory,
        sqlite,
        ..
    } = &common::setup();
    // The same SQLite store, answering named intents in group commits.
    let grouped_dir = tempfile::tempdir().expect("tempdir");
    let sqlite_grouped = &oncely::Client::builder(base)
        .store(
            oncely::SqliteStore::open(grouped_dir.path().join("grouped.db"))
                .expect("sqlite")
                .named_answers(oncely::store::NamedAnswers::Grouped),
        )
        .build()
        .expect("client");
    let body = payload();
    let intents = AtomicU64::new(0);
    let (get_url, post_url) = (format!("{base}/orders/o_1"), format!("{base}/orders"));

    let cases: Vec<Case<'_>> = vec![
        Case {
            name: "GET, raw reqwest",
            baseline: None,
            call: Box::new(|| {
                Box::pin(async {
                    let r = raw.get(&get_url).send().await.expect("send");
                    r.json::<Value>().await.expect("json");
                })
            }),
        },
        Case {
            name: "GET",
            baseline: Some(0),
            call: Box::new(|| {
                Box::pin(async {
                    memory
                        .get("/orders/{id}")
                        .path_param("id", "o_1")
                        .send_json::<Value>()
                        .await
                        .expect("oncely");
                })
            }),
        },
        Case {
            name: "POST, raw reqwest (with a fresh key header)",
            baseline: None,
            call: Box::new(|| {
                Box::pin(async {
                    let r = raw
                        .post(&post_url)
                        .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
                        .json(&body)
                        .send()
                        .await
                        .expect("send");
                    r.json::<Value>().await.expect("json");
                })
            }),
        },
        Case {
            name: "POST + key, memory store",
            baseline: Some(2),
            call: Box::new(|| {
                Box::pin(async {
                    memory
                        .post("/orders")
                        .json(&body)
                        .send_json::<Value>()
                        .await
                        .expect("oncely");
                })
            }),
        },
        Case {
            name: "POST + key, SQLite store",
            baseline: Some(2),
            call: Box::new(|| {
                Box::pin(async {
                    sqlite
                        .post("/orders")
                        .json(&body)
                        .send_json::<Value>()
                        .await
                        .expect("oncely");
                })
            }),
        },
        Case {
            name: "POST + intent id, SQLite store (committed before sending)",
            baseline: Some(2),
            call: Box::new(|| {
                Box::pin(async {
                    let n = intents.fetch_add(1, Ordering::Relaxed);
                    sqlite
                        .post("/orders")
                        .intent_id(format!("bench-{n}"))
                        .json(&body)
                        .send_json::<Value>()
                        .await
                        .expect("oncely");
                })
            }),
        },
        Case {
            name: "POST + intent id, SQLite store (answer in a group commit)",
            baseline: Some(2),
            call: Box::new(|| {
                Box::pin(async {
                    let n = intents.fetch_add(1, Ordering::Relaxed);
                    sqlite_grouped
                        .post("/orders")
                        .intent_id(format!("bench-grouped-{n}"))
                        .json(&body)
                        .send_json::<Value>()
                        .await
                        .expect("oncely");
                })
            }),
        },
        Case {
            name: "POST, key off (the pipeline alone)",
            baseline: Some(2),
            call: Box::new(|| {
                Box::pin(async {
                    memory
                        .post("/orders")
                        .idempotent(false)
                        .json(&body)
                        .send_json::<Value>()
                        .await
                        .expect("oncely");
                })
            }),
        },
    ];

    // ONCELY_BENCH_ONLY narrows the run (for profiling one case); baselines
    // of the chosen cases always run.
    let only = std::env::var("ONCELY_BENCH_ONLY").unwrap_or_default();
    let chosen = |c: &Case<'_>| c.name.contains(only.as_str());
    let selected: Vec<bool> = (0..cases.len())
        .map(|i| chosen(&cases[i]) || cases.iter().any(|c| chosen(c) && c.baseline == Some(i)))
        .collect();

    // Wall time and the CPU time of the whole process (client and server
    // threads) per call, in µs.
    let run = |case: &Case<'_>, n: usize| -> (f64, f64) {
        let (started, cpu) = (Instant::now(), process_cpu_seconds());
        rt.block_on(async {
            for _ in 0..n {
                (case.call)().await;
            }
        });
        (
            started.elapsed().as_secs_f64() * 1e6 / n as f64,
            (process_cpu_seconds() - cpu) * 1e6 / n as f64,
        )
    };
    // Warm up connections, pools and caches.
    for (case, _) in cases.iter().zip(&selected).filter(|(_, s)| **s) {
        run(case, calls / 4 + 1);
    }
    let mut latency: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); cases.len()];
    let mut cpu: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); cases.len()];
    for round in 0..rounds {
        for offset in 0..cases.len() {
            let i = (round + offset) % cases.len();
            if selected[i] {
                let (wall, cpu_time) = run(&cases[i], calls);
                latency[i].push(wall);
                cpu[i].push(cpu_time);
            }
        }
    }

    println!("{rounds} interleaved rounds of {calls} calls per case\n");
    println!("| call | latency (median) | ratio to its baseline (median) | interquartile range | CPU per call, client + server (median) |");
    println!("|---|---:|---:|---:|---:|");
    for (i, case) in cases.iter().enumerate().filter(|(i, _)| selected[*i]) {
        let mut own = latency[i].clone();
        let per_call = median(&mut own);
        let cpu_per_call = median(&mut cpu[i].clone());
        match case.baseline {
            None => println!(
                "| {} | {per_call:.1} µs | — | — | {cpu_per_call:.1} µs |",
                case.name
            ),
            Some(b) => {
                let mut ratios: Vec<f64> = latency[i]
                    .iter()
                    .zip(&latency[b])
                    .map(|(ours, base)| ours / base)
                    .collect();
                let ratio = median(&mut ratios);
                let (low, high) = quartiles(&mut ratios);
                println!(
                    "| {} | {per_call:.1} µs | {ratio:.2}x | {low:.2}–{high:.2}x | {cpu_per_call:.1} µs |",
                    case.name
                );
            }
        }
    }
}
