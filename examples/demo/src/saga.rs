//! One order as a sequence of idempotent calls with compensations: create →
//! reserve → authorize payment → request shipment and wait for it. A declined
//! payment releases the reservation and cancels the order.

use oncely::{Client, Error, Operation, Response};
use serde_json::{json, Value};

/// How one order ended, and what it cost on the client side.
#[derive(Debug, Default)]
pub struct OrderOutcome {
    /// Shipped.
    pub completed: bool,
    /// Payment declined; reservation released and order cancelled.
    pub compensated: bool,
    /// Ended with an error that is not a business decline.
    pub error: Option<String>,
    /// Problem types met on the way (declines included).
    pub problems: Vec<String>,
    /// Calls made (each may take several attempts).
    pub calls: u32,
    /// Attempts made in all.
    pub attempts: u32,
}

/// Runs order sagas on one client.
pub struct OrderSaga {
    client: Client,
}

impl OrderSaga {
    pub fn new(client: Client) -> Self {
        OrderSaga { client }
    }

    /// Runs the order named `order_key` to its end. Every call's intent id is
    /// derived from the order key, so running it again (after a crash, say)
    /// replays instead of repeating.
    pub async fn run(&self, order_key: &str, declined: bool) -> OrderOutcome {
        let mut outcome = OrderOutcome::default();
        match self.steps(order_key, declined, &mut outcome).await {
            Ok(()) => {}
            Err(e) => {
                if let Some(p) = e.problem() {
                    outcome.problems.push(p.problem_type().to_string());
                }
                outcome.error = Some(e.to_string());
            }
        }
        outcome
    }

    async fn steps(&self, key: &str, declined: bool, out: &mut OrderOutcome) -> Result<(), Error> {
        let order = self
            .call(out, self.client.post("/orders").intent_id(format!("{key}:create")).json(&json!({
                "customer_id": "cus_demo",
                "currency": "EUR",
                "items": [{"sku": "sku-espresso", "quantity": 2}],
                "metadata": {"order_key": key},
            })))
            .await?
            .json::<Value>()?;
        let order_id = order["id"].as_str().unwrap_or_default().to_string();

        let reservation = self
            .call(out, self.client.post("/orders/{order_id}/reservations").path_param("order_id", &order_id).intent_id(format!("{key}:reserve")).json(&json!({})))
            .await?
            .json::<Value>()?;

        let payment_method = if declined { orders_server::DECLINED_PAYMENT_METHOD } else { "pm_card_visa" };
        let payment = self
            .call(out, self.client.post("/orders/{order_id}/payments").path_param("order_id", &order_id).intent_id(format!("{key}:pay")).json(&json!({
                "amount": 1998, "currency": "EUR", "payment_method": payment_method,
            })))
            .await;
        match payment {
            Ok(_) => {}
            Err(e) if e.problem().is_some_and(|p| p.status == Some(402)) => {
                out.problems.push(e.problem().map(|p| p.problem_type().to_string()).unwrap_or_default());
                return self.compensate(key, &order_id, &reservation, out).await;
            }
            Err(e) => return Err(e),
        }

        let accepted = self
            .call(out, self.client.post("/orders/{order_id}/shipments").path_param("order_id", &order_id).intent_id(format!("{key}:ship")).json(&json!({"carrier": "dhl"})))
            .await?;
        let shipment: Value = Operation::from_response(self.client.clone(), accepted)?.wait().await?;
        out.completed = shipment["carrier"] == "dhl";
        Ok(())
    }

    /// Undoes a reserved order in reverse: release the stock, cancel the order.
    async fn compensate(&self, key: &str, order_id: &str, reservation: &Value, out: &mut OrderOutcome) -> Result<(), Error> {
        let reservation_id = reservation["id"].as_str().unwrap_or_default();
        self.call(out, self.client.delete("/orders/{order_id}/reservations/{reservation_id}").path_param("order_id", order_id).path_param("reservation_id", reservation_id).intent_id(format!("{key}:release")))
            .await?;
        self.call(out, self.client.post("/orders/{order_id}/cancel").path_param("order_id", order_id).intent_id(format!("{key}:cancel")).json(&json!({"reason": "payment declined"})))
            .await?;
        out.compensated = true;
        Ok(())
    }

    async fn call(&self, out: &mut OrderOutcome, request: oncely::RequestBuilder) -> Result<Response, Error> {
        out.calls += 1;
        let result = request.send().await;
        out.attempts += match &result {
            Ok(r) => r.attempts(),
            Err(e) => e.attempts().unwrap_or(1),
        };
        result
    }
}
