//! Retry amplification during an outage: a burst of 1,000 calls against a
//! server that answers 503 to everything for 5 s, with the retry budget on and
//! off. Prints requests received per call made (1.0 = no retries at all).
//!
//! Run: `cargo bench -p oncely --bench amplification`

use std::time::Duration;

use futures::future::join_all;
use oncely::{BudgetConfig, Client, RetryPolicy};
use orders_server::{spawn, Fault, FaultRule, ServerConfig};

const CALLS: usize = 1_000;
const OUTAGE: Duration = Duration::from_secs(5);

async fn burst(budget: Option<BudgetConfig>) -> (usize, usize, usize) {
    let server = spawn(ServerConfig::default()).await.expect("server");
    server.add_fault(FaultRule::new("GET /orders/{order_id}", Fault::status(503)).every());
    let state = server.state();
    tokio::spawn(async move {
        tokio::time::sleep(OUTAGE).await;
        state.clear_faults();
    });
    let client = Client::builder(server.base_url())
        .retry_budget(budget)
        .retry_policy(RetryPolicy::default())
        .circuit_breaker(oncely::BreakerConfig {
            failure_threshold: u32::MAX,
            ..Default::default()
        })
        .build()
        .expect("client");
    let calls = (0..CALLS).map(|i| {
        let client = client.clone();
        async move {
            client
                .get("/orders/{id}")
                .path_param("id", format!("o_{i}"))
                .send()
                .await
        }
    });
    let results = join_all(calls).await;
    let failed = results.iter().filter(|r| r.is_err()).count();
    let requests = server.requests().len();
    server.shutdown().await;
    (requests, failed, CALLS)
}

#[tokio::main]
async fn main() {
    println!("retry amplification: {CALLS} calls, server answers 503 to everything for {OUTAGE:?}");
    println!(
        "{:<28} {:>9} {:>9} {:>16}",
        "budget", "requests", "failed", "requests / call"
    );
    for (name, budget) in [
        ("on (default: 100, +0.1/ok)", Some(BudgetConfig::default())),
        ("off (unlimited)", None),
    ] {
        let (requests, failed, calls) = burst(budget).await;
        println!(
            "{name:<28} {requests:>9} {failed:>9} {:>16.2}",
            requests as f64 / calls as f64
        );
    }
}
