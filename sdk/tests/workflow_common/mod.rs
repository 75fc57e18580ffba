//! Shared by the workflow tests and the workflow benchmark: the order saga
//! against the reference server, fast client settings, and PostgreSQL access.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use oncely::store::{Journal, PgConfig, PgStore};
use oncely::workflow::{Engine, StepContext, StepError, Workflow};
use oncely::{BreakerConfig, Client, PollConfig, RetryPolicy, Store};
use orders_server::{spawn, RunningServer, ServerConfig, SideEffect};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The input of one order saga.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OrderInput {
    pub customer_id: String,
    pub sku: String,
    pub quantity: i64,
    pub amount: i64,
    pub payment_method: String,
}

impl OrderInput {
    pub fn new(n: usize, declined: bool) -> Self {
        OrderInput {
            customer_id: format!("cus_{n}"),
            sku: format!("sku-{}", n % 7),
            quantity: 1 + (n % 3) as i64,
            amount: 1000 + n as i64,
            payment_method: if declined {
                "pm_card_declined"
            } else {
                "pm_card_visa"
            }
            .into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Resource {
    pub id: String,
}

/// create order → reserve inventory → authorize payment → request shipment
/// (202, waited for); compensations: cancel order, release reservation, void payment.
pub fn order_saga() -> Workflow {
    Workflow::builder("order")
        .step("create_order", |ctx: StepContext| async move {
            let input: OrderInput = ctx.input()?;
            let body = json!({
                "customer_id": input.customer_id,
                "items": [{"sku": input.sku, "quantity": input.quantity}],
                "currency": "EUR",
            });
            Ok(ctx.post("/orders").json(&body).send_json::<Resource>().await?)
        })
        .compensate(|ctx: StepContext| async move {
            let order: Resource = ctx.own_output()?;
            ctx.post("/orders/{order_id}/cancel")
                .path_param("order_id", &order.id)
                .json(&json!({"reason": "saga compensation"}))
                .send_empty()
                .await?;
            Ok(())
        })
        .step("reserve_inventory", |ctx: StepContext| async move {
            let order: Resource = ctx.output("create_order")?;
            Ok(ctx.post("/orders/{order_id}/reservations").path_param("order_id", &order.id).json(&json!({})).send_json::<Resource>().await?)
        })
        .compensate(|ctx: StepContext| async move {
            let order: Resource = ctx.output("create_order")?;
            let reservation: Resource = ctx.own_output()?;
            ctx.delete("/orders/{order_id}/reservations/{reservation_id}")
                .path_param("order_id", &order.id)
                .path_param("reservation_id", &reservation.id)
                .send_empty()
                .await?;
            Ok(())
        })
        .step("authorize_payment", |ctx: StepContext| async move {
            let order: Resource = ctx.output("create_order")?;
            let input: OrderInput = ctx.input()?;
            let body = json!({"amount": input.amount, "currency": "EUR", "payment_method": input.payment_method});
            Ok(ctx.post("/orders/{order_id}/payments").path_param("order_id", &order.id).json(&body).send_json::<Resource>().await?)
        })
        .compensate(|ctx: StepContext| async move {
            let order: Resource = ctx.output("create_order")?;
            let payment: Resource = ctx.own_output()?;
            ctx.post("/orders/{order_id}/payments/{payment_id}/void")
                .path_param("order_id", &order.id)
                .path_param("payment_id", &payment.id)
                .json(&json!({}))
                .send_empty()
                .await?;
            Ok(())
        })
        .operation_step("request_shipment", |ctx: StepContext| async move {
            let order: Resource = ctx.output("create_order")?;
            Ok::<_, StepError>(
                ctx.post("/orders/{order_id}/shipments")
                    .path_param("order_id", &order.id)
                    .json(&json!({"carrier": "oncely-post"}))
                    .send_operation::<Value>()
                    .await?,
            )
        })
        .action_retry(RetryPolicy::default().max_attempts(3).base_delay(Duration::from_millis(5)).max_delay(Duration::from_millis(20)))
        .compensation_retry(RetryPolicy::default().max_attempts(3).base_delay(Duration::from_millis(5)).max_delay(Duration::from_millis(20)))
        .build()
        .expect("order saga")
}

/// A reference server with fast operations and polling hints.
pub async fn server() -> RunningServer {
    spawn(ServerConfig {
        operation_duration: Duration::from_millis(60),
        retry_after_ms: Some(5),
        ..ServerConfig::default()
    })
    .await
    .expect("server")
}

/// A client with short retry delays, fast polling and a lenient breaker.
pub fn client(base: &str, store: Arc<dyn Store>) -> Client {
    Client::builder(base)
        .shared_store(store)
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(4)
                .base_delay(Duration::from_millis(2))
                .max_delay(Duration::from_millis(20)),
        )
        .circuit_breaker(BreakerConfig {
            failure_threshold: 1000,
            open_for: Duration::from_millis(10),
        })
        .retry_budget(None)
        .attempt_timeout(Duration::from_secs(5))
        .poll_config(PollConfig {
            default_interval: Duration::from_millis(5),
            max_interval: Duration::from_millis(20),
            timeout: Some(Duration::from_secs(20)),
        })
        .build()
        .expect("client")
}

/// An engine on `store` (idempotency records and journal together).
pub fn engine(base: &str, store: Arc<dyn Store>, owner: &str) -> Engine {
    let journal: Arc<dyn Journal> = store.clone().as_journal().expect("journal");
    Engine::new(client(base, store), journal)
        .owner(owner)
        .register(order_saga())
}

/// Ledger entries of one kind for one order.
pub fn count(server: &RunningServer, kind: SideEffect, order_id: &str) -> usize {
    server
        .ledger()
        .iter()
        .filter(|e| e.kind == kind && e.order_id.to_string() == order_id)
        .count()
}

/// Requests the server received for a concrete path and method.
pub fn requests_to(
    server: &RunningServer,
    method: &str,
    path: &str,
) -> Vec<orders_server::RequestRecord> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.method == method && r.path == path)
        .collect()
}

/// The PostgreSQL test URL: unset is a failure under CI=true, a loud skip otherwise.
pub fn pg_url(test: &str) -> Option<String> {
    match std::env::var("ONCELY_TEST_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") => {
            panic!("ONCELY_TEST_DATABASE_URL is not set under CI: start one with scripts/pg-test-server.sh start")
        }
        _ => {
            eprintln!("SKIPPED {test}: ONCELY_TEST_DATABASE_URL is not set (eval \"$(scripts/pg-test-server.sh start)\")");
            None
        }
    }
}

/// A fresh schema name per test.
pub fn pg_schema(test: &str) -> String {
    format!(
        "w_{test}_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..10]
    )
}

/// A PostgreSQL store on `schema`.
pub async fn pg_store(url: &str, schema: &str) -> Arc<dyn Store> {
    Arc::new(
        PgStore::connect(PgConfig::new(url).schema(schema))
            .await
            .expect("connect to the test database"),
    )
}
