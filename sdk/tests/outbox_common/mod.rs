//! What the outbox tests share: a dispatcher with short delays, order calls,
//! and the server's ledger seen per idempotency key.

#![allow(dead_code)]

use std::collections::HashMap;
use std::time::Duration;

use oncely::outbox::{Dispatcher, Outbox, OutboxCall};
use oncely::{BreakerConfig, Client, PollConfig, RetryPolicy};
use orders_server::{RunningServer, SideEffect};
use serde_json::json;

/// A client with short retries and no budget or breaker in the way; it
/// keeps no idempotency records (the outbox rows are the record).
pub fn client(base: &str, attempts: u32) -> Client {
    Client::builder(base)
        .store(oncely::store::NullStore)
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(attempts)
                .base_delay(Duration::from_millis(1))
                .max_delay(Duration::from_millis(5)),
        )
        .circuit_breaker(BreakerConfig {
            failure_threshold: 10_000,
            open_for: Duration::from_millis(1),
        })
        .retry_budget(None)
        .poll_config(PollConfig {
            default_interval: Duration::from_millis(5),
            max_interval: Duration::from_millis(20),
            timeout: Some(Duration::from_secs(20)),
        })
        .build()
        .expect("client")
}

/// A dispatcher whose retried rows are due again at once.
pub fn dispatcher(outbox: &Outbox, client: Client) -> Dispatcher {
    Dispatcher::new(outbox.clone(), client)
        .owner("test-dispatcher")
        .max_attempts(3)
        .idle_poll(Duration::from_millis(5))
        .backoff(
            RetryPolicy::default()
                .base_delay(Duration::ZERO)
                .max_delay(Duration::ZERO),
        )
}

/// A call creating an order for `customer`.
pub fn create_order(customer: &str) -> OutboxCall {
    OutboxCall::post("/orders")
        .json(&json!({
            "customer_id": customer,
            "items": [{"sku": "sku-1", "quantity": 1}],
            "currency": "EUR",
        }))
        .expect("a JSON body")
}

/// How many side effects of `kind` each idempotency key caused.
pub fn effects_by_key(server: &RunningServer, kind: SideEffect) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for entry in server.ledger().into_iter().filter(|e| e.kind == kind) {
        *counts
            .entry(entry.idempotency_key.unwrap_or_default())
            .or_insert(0) += 1;
    }
    counts
}
