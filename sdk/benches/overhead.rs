//! Per-call overhead of oncely against raw `reqwest`, in the same run, against
//! a minimal axum echo server on loopback (so server work does not hide client
//! cost). `make bench` prints the ratios from criterion's estimates.
//!
//! Cases: GET; POST with an idempotency key and the memory store; POST with a
//! key and the SQLite store (a generated key: its intent and answer are written
//! by the store's background writer); POST with an intent id and the SQLite
//! store (the intent committed before the first attempt); and POST with the
//! key switched off, which isolates the cost of the key and the store. The raw baselines send the same requests (the POST
//! baseline with a fresh UUID key header, as a careful hand-written client would).

mod common;

use std::time::Duration;

use common::payload;
use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::Value;

fn overhead(c: &mut Criterion) {
    let common::Setup {
        rt,
        base,
        raw,
        memory,
        sqlite,
        ..
    } = &common::setup();
    let body = payload();

    let mut group = c.benchmark_group("call");
    group
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    group.bench_function("get/reqwest", |b| {
        b.to_async(rt).iter(|| async {
            let r = raw
                .get(format!("{base}/orders/o_1"))
                .send()
                .await
                .expect("send");
            r.json::<Value>().await.expect("json")
        })
    });
    group.bench_function("get/oncely", |b| {
        b.to_async(rt).iter(|| async {
            memory
                .get("/orders/{id}")
                .path_param("id", "o_1")
                .send_json::<Value>()
                .await
                .expect("oncely")
        })
    });
    group.bench_function("post/reqwest", |b| {
        b.to_async(rt).iter(|| async {
            let r = raw
                .post(format!("{base}/orders"))
                .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
                .json(&body)
                .send()
                .await
                .expect("send");
            r.json::<Value>().await.expect("json")
        })
    });
    group.bench_function("post/oncely-memory", |b| {
        b.to_async(rt).iter(|| async {
            memory
                .post("/orders")
                .json(&body)
                .send_json::<Value>()
                .await
                .expect("oncely")
        })
    });
    group.bench_function("post/oncely-nokey", |b| {
        b.to_async(rt).iter(|| async {
            memory
                .post("/orders")
                .idempotent(false)
                .json(&body)
                .send_json::<Value>()
                .await
                .expect("oncely")
        })
    });
    group.bench_function("post/oncely-sqlite", |b| {
        b.to_async(rt).iter(|| async {
            sqlite
                .post("/orders")
                .json(&body)
                .send_json::<Value>()
                .await
                .expect("oncely")
        })
    });
    // An intent id: the intent is committed before the first attempt.
    let intents = std::sync::atomic::AtomicU64::new(0);
    group.bench_function("post/oncely-sqlite-intent", |b| {
        b.to_async(rt).iter(|| async {
            let n = intents.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            sqlite
                .post("/orders")
                .intent_id(format!("bench-{n}"))
                .json(&body)
                .send_json::<Value>()
                .await
                .expect("oncely")
        })
    });
    group.finish();
}

criterion_group!(benches, overhead);
criterion_main!(benches);
