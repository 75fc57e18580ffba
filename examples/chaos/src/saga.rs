//! The order saga every worker runs: create order → reserve inventory →
//! authorize payment → request shipment (a `202` operation, waited for).
//! Compensations: cancel order, release reservation, void payment.
//!
//! The same checkout also exists as an Arazzo contract
//! (`openapi/orders.arazzo.yaml`); [`arazzo_checkout`] compiles it for the
//! engine, so a campaign can run it instead (`chaos run --arazzo`).

use std::time::Duration;

use anyhow::{bail, Context as _};
use oncely::arazzo::{check, load_file, ArazzoWorkflow, Severity, Sources};
use oncely::workflow::{StepContext, StepError, Workflow};
use oncely::RetryPolicy;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The workflow's name in the journal.
pub const WORKFLOW: &str = "order-saga";

/// The input of one saga.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OrderInput {
    /// Customer.
    pub customer_id: String,
    /// What is ordered.
    pub sku: String,
    /// How many.
    pub quantity: i64,
    /// Minor units.
    pub amount: i64,
    /// `pm_card_declined` makes the payment fail with `402`.
    pub payment_method: String,
}

impl OrderInput {
    /// The input of order number `n`; `declined` orders fail at payment.
    pub fn new(n: usize, declined: bool) -> Self {
        OrderInput {
            customer_id: format!("cus_{n}"),
            sku: format!("sku-{}", n % 13),
            quantity: 1 + (n % 4) as i64,
            amount: 500 + n as i64,
            payment_method: if declined {
                orders_server::DECLINED_PAYMENT_METHOD.to_string()
            } else {
                "pm_card_visa".to_string()
            },
        }
    }
}

/// The Arazzo checkout contract.
pub const ARAZZO_CHECKOUT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../openapi/orders.arazzo.yaml"
);

/// Loads, checks and compiles the Arazzo checkout (workflow `checkout`).
pub fn arazzo_checkout() -> anyhow::Result<ArazzoWorkflow> {
    let path = std::path::Path::new(ARAZZO_CHECKOUT);
    let document = load_file(path).with_context(|| format!("loading {ARAZZO_CHECKOUT}"))?;
    let (sources, errors) = Sources::load(&document, path);
    if let Some(e) = errors.first() {
        bail!("{ARAZZO_CHECKOUT}: {e}");
    }
    if let Some(f) = check(&document, &sources)
        .into_iter()
        .find(|f| f.severity == Severity::Error)
    {
        bail!("{ARAZZO_CHECKOUT}: {f}");
    }
    Ok(ArazzoWorkflow::compile(&document, &sources, "checkout")?)
}

impl OrderInput {
    /// This order as the Arazzo checkout's inputs.
    pub fn arazzo_inputs(&self) -> Value {
        json!({
            "customer_id": self.customer_id,
            "sku": self.sku,
            "quantity": self.quantity,
            "currency": "EUR",
            "amount": self.amount,
            "payment_method": self.payment_method,
            "carrier": "oncely-post",
        })
    }
}

/// A created resource (order, reservation, payment): only its id matters here.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Resource {
    /// The server's id.
    pub id: String,
}

/// The saga definition.
pub fn order_saga() -> Workflow {
    let quick = RetryPolicy::default()
        .max_attempts(4)
        .base_delay(Duration::from_millis(20))
        .max_delay(Duration::from_millis(500));
    Workflow::builder(WORKFLOW)
        .step("create_order", |ctx: StepContext| async move {
            let input: OrderInput = ctx.input()?;
            let body = json!({
                "customer_id": input.customer_id,
                "items": [{"sku": input.sku, "quantity": input.quantity}],
                "currency": "EUR",
                "metadata": {"run_id": ctx.run_id()},
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
        .action_retry(quick.clone())
        .compensation_retry(quick.max_attempts(8))
        .build()
        .expect("the order saga is a valid workflow")
}
