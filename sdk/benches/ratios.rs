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

    let run = |case: &Case<'_>, n: usize| -> f64 {
        let started = Instant::now();
        rt.block_on(async {
            for _ in 0..n {
                (case.call)().await;
            }
        });
        started.elapsed().as_secs_f64() * 1e6 / n as f64
    };
    // Warm up connections, pools and caches.
    for case in &cases {
        run(case, calls / 4 + 1);
    }
    let mut latency: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); cases.len()];
    for round in 0..rounds {
        for offset in 0..cases.len() {
            let i = (round + offset) % cases.len();
            latency[i].push(run(&cases[i], calls));
        }
    }

    println!("{rounds} interleaved rounds of {calls} calls per case\n");
    println!("| call | latency (median) | ratio to its baseline (median) | interquartile range |");
    println!("|---|---:|---:|---:|");
    for (i, case) in cases.iter().enumerate() {
        let mut own = latency[i].clone();
        let per_call = median(&mut own);
        match case.baseline {
            None => println!("| {} | {per_call:.1} µs | — | — |", case.name),
            Some(b) => {
                let mut ratios: Vec<f64> = latency[i]
                    .iter()
                    .zip(&latency[b])
                    .map(|(ours, base)| ours / base)
                    .collect();
                let ratio = median(&mut ratios);
                let (low, high) = quartiles(&mut ratios);
                println!(
                    "| {} | {per_call:.1} µs | {ratio:.2}x | {low:.2}–{high:.2}x |",
                    case.name
                );
            }
        }
    }
}
