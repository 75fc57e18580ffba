//! The business logic of the orders contract, in memory and synchronous: every
//! method runs under one lock, changes state and appends to the ledger
//! atomically. Handlers in `routes` translate HTTP to these calls.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use uuid::Uuid;

use crate::clock;
use crate::ledger::{Ledger, LedgerEntry, SideEffect};
use crate::model::{
    AuthorizePayment, CancelOrder, CreateOrder, CreateReservation, OperationStatus, OperationView,
    Order, OrderStatus, Payment, PaymentStatus, RequestShipment, Reservation, ReservationStatus,
    Shipment, Simulate, UpdateOrder, DECLINED_PAYMENT_METHOD,
};
use crate::problem::Problem;

/// A shipment operation started by `requestShipment`.
#[derive(Debug, Clone)]
struct OperationRecord {
    id: Uuid,
    order_id: Uuid,
    shipment_id: Uuid,
    carrier: String,
    fail: bool,
    started: Instant,
    started_wall: SystemTime,
    duration: Duration,
    canceled: Option<(Instant, SystemTime)>,
}

impl OperationRecord {
    fn finishes_at(&self) -> Instant {
        self.started + self.duration
    }

    fn percent_at(&self, at: Instant) -> u8 {
        if self.duration.is_zero() {
            return 100;
        }
        let elapsed = at.saturating_duration_since(self.started).as_secs_f64();
        let percent = (elapsed / self.duration.as_secs_f64() * 100.0).floor();
        percent.clamp(0.0, 99.0) as u8
    }

    fn is_running(&self, now: Instant) -> bool {
        self.canceled.is_none() && now < self.finishes_at()
    }

    /// The status resource as of `now`.
    fn view(&self, now: Instant) -> OperationView {
        let created_at = clock::rfc3339(self.started_wall);
        let mut view = OperationView {
            id: self.id,
            kind: "shipment",
            order_id: self.order_id,
            status: OperationStatus::Running,
            percent_complete: self.percent_at(now),
            created_at,
            updated_at: clock::now_rfc3339(),
            result: None,
            error: None,
        };
        if let Some((at, wall)) = self.canceled {
            view.status = OperationStatus::Canceled;
            view.percent_complete = self.percent_at(at);
            view.updated_at = clock::rfc3339(wall);
        } else if now >= self.finishes_at() {
            let finished_wall = self.started_wall + self.duration;
            view.percent_complete = 100;
            view.updated_at = clock::rfc3339(finished_wall);
            if self.fail {
                view.status = OperationStatus::Failed;
                view.error = Some(
                    Problem::new(
                        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                        "shipment-failed",
                        "Shipment failed",
                    )
                    .detail("the carrier rejected the shipment (simulated failure)")
                    .with("order_id", self.order_id.to_string())
                    .or_instance(&format!("/operations/{}", self.id))
                    .to_json(),
                );
            } else {
                view.status = OperationStatus::Succeeded;
                view.result = Some(Shipment {
                    id: self.shipment_id,
                    order_id: self.order_id,
                    status: "dispatched",
                    carrier: self.carrier.clone(),
                    tracking_number: format!(
                        "TRK{}",
                        &self.shipment_id.simple().to_string()[..12].to_ascii_uppercase()
                    ),
                    created_at: clock::rfc3339(finished_wall),
                });
            }
        }
        view
    }
}

/// All resources and the ledger.
#[derive(Debug, Default)]
pub(crate) struct Domain {
    orders: HashMap<Uuid, Order>,
    /// Order ids in creation order: the stable order of every list.
    created: Vec<Uuid>,
    reservations: HashMap<Uuid, Reservation>,
    payments: HashMap<Uuid, Payment>,
    operations: HashMap<Uuid, OperationRecord>,
    ledger: Ledger,
}

impl Domain {
    pub(crate) fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    pub(crate) fn create_order(&mut self, input: CreateOrder, key: Option<&str>) -> Order {
        let now = clock::now_rfc3339();
        let order = Order {
            id: Uuid::new_v4(),
            customer_id: input.customer_id,
            items: input.items,
            currency: input.currency,
            status: OrderStatus::Pending,
            note: input.note,
            metadata: input.metadata,
            version: 1,
            created_at: now.clone(),
            updated_at: now,
            cancelled_at: None,
            cancellation_reason: None,
        };
        self.ledger
            .record(SideEffect::OrderCreated, key, order.id, order.id);
        self.orders.insert(order.id, order.clone());
        self.created.push(order.id);
        order
    }

    /// Every order, oldest first (the order every list endpoint pages through).
    pub(crate) fn orders_by_creation(&self) -> Vec<&Order> {
        self.created
            .iter()
            .filter_map(|id| self.orders.get(id))
            .collect()
    }

    pub(crate) fn order(&self, order_id: Uuid) -> Result<&Order, Problem> {
        self.orders
            .get(&order_id)
            .ok_or_else(|| Problem::not_found(&format!("order {order_id} does not exist")))
    }

    /// The changes of an order after ledger entry `after`: its ledger entries,
    /// each with the order's status once it happened, and whether the order
    /// is cancelled (no change makes it pending again).
    pub(crate) fn changes_of(
        &self,
        order_id: Uuid,
        after: u64,
    ) -> Result<(Vec<(LedgerEntry, OrderStatus)>, bool), Problem> {
        let order = self.order(order_id)?;
        let mut status = OrderStatus::Pending;
        let mut changes = Vec::new();
        for entry in self.ledger.entries() {
            if entry.order_id != order_id {
                continue;
            }
            if entry.kind == SideEffect::OrderCancelled {
                status = OrderStatus::Cancelled;
            }
            if entry.seq > after {
                changes.push((entry.clone(), status));
            }
        }
        Ok((changes, order.status == OrderStatus::Cancelled))
    }

    fn pending_order(&self, order_id: Uuid) -> Result<&Order, Problem> {
        let order = self.order(order_id)?;
        if order.status == OrderStatus::Cancelled {
            return Err(Problem::conflict(
                "order-cancelled",
                "Order is cancelled",
                format!("order {order_id} is cancelled and cannot be changed"),
            ));
        }
        Ok(order)
    }

    /// Applies a conditional update. `if_match` is the raw `If-Match` value.
    pub(crate) fn update_order(
        &mut self,
        order_id: Uuid,
        if_match: Option<&str>,
        patch: UpdateOrder,
        key: Option<&str>,
    ) -> Result<Order, Problem> {
        let current = self.order(order_id)?;
        let if_match = if_match.ok_or_else(Problem::precondition_required)?;
        let etag = current.etag();
        if !etag_matches(if_match, &etag) {
            return Err(Problem::precondition_failed(&etag));
        }
        self.pending_order(order_id)?;
        let Some(order) = self.orders.get_mut(&order_id) else {
            return Err(Problem::not_found("order vanished"));
        };
        if let Some(items) = patch.items {
            order.items = items;
        }
        if let Some(currency) = patch.currency {
            order.currency = currency;
        }
        if let Some(note) = patch.note {
            order.note = note;
        }
        if let Some(metadata) = patch.metadata {
            order.metadata = metadata;
        }
        order.version += 1;
        order.updated_at = clock::now_rfc3339();
        let order = order.clone();
        self.ledger
            .record(SideEffect::OrderUpdated, key, order_id, order_id);
        Ok(order)
    }

    /// Cancels an order (a second cancel is a no-op success) and cancels its
    /// running shipment operations.
    pub(crate) fn cancel_order(
        &mut self,
        order_id: Uuid,
        input: CancelOrder,
        key: Option<&str>,
    ) -> Result<Order, Problem> {
        let Some(order) = self.orders.get_mut(&order_id) else {
            return Err(Problem::not_found(&format!(
                "order {order_id} does not exist"
            )));
        };
        if order.status == OrderStatus::Cancelled {
            return Ok(order.clone());
        }
        let now = clock::now_rfc3339();
        order.status = OrderStatus::Cancelled;
        order.cancelled_at = Some(now.clone());
        order.cancellation_reason = input.reason;
        order.version += 1;
        order.updated_at = now;
        let order = order.clone();
        let (instant, wall) = (Instant::now(), SystemTime::now());
        for operation in self.operations.values_mut() {
            if operation.order_id == order_id && operation.is_running(instant) {
                operation.canceled = Some((instant, wall));
            }
        }
        self.ledger
            .record(SideEffect::OrderCancelled, key, order_id, order_id);
        Ok(order)
    }

    pub(crate) fn reserve(
        &mut self,
        order_id: Uuid,
        input: CreateReservation,
        key: Option<&str>,
    ) -> Result<Reservation, Problem> {
        let order = self.pending_order(order_id)?;
        let reservation = Reservation {
            id: Uuid::new_v4(),
            order_id,
            status: ReservationStatus::Reserved,
            items: input.items.unwrap_or_else(|| order.items.clone()),
            created_at: clock::now_rfc3339(),
            released_at: None,
        };
        self.ledger
            .record(SideEffect::InventoryReserved, key, order_id, reservation.id);
        self.reservations
            .insert(reservation.id, reservation.clone());
        Ok(reservation)
    }

    /// Releases a reservation; releasing a released one changes nothing.
    pub(crate) fn release(
        &mut self,
        order_id: Uuid,
        reservation_id: Uuid,
        key: Option<&str>,
    ) -> Result<Reservation, Problem> {
        self.order(order_id)?;
        let reservation = self
            .reservations
            .get_mut(&reservation_id)
            .filter(|r| r.order_id == order_id)
            .ok_or_else(|| {
                Problem::not_found(&format!(
                    "reservation {reservation_id} of order {order_id} does not exist"
                ))
            })?;
        if reservation.status == ReservationStatus::Released {
            return Ok(reservation.clone());
        }
        reservation.status = ReservationStatus::Released;
        reservation.released_at = Some(clock::now_rfc3339());
        let reservation = reservation.clone();
        self.ledger.record(
            SideEffect::ReservationReleased,
            key,
            order_id,
            reservation_id,
        );
        Ok(reservation)
    }

    /// Authorizes a payment; `pm_card_declined` is declined with `402`.
    pub(crate) fn authorize(
        &mut self,
        order_id: Uuid,
        input: AuthorizePayment,
        key: Option<&str>,
    ) -> Result<Payment, Problem> {
        let order = self.pending_order(order_id)?;
        if input.currency != order.currency {
            return Err(Problem::validation(format!(
                "payment currency {} does not match the order currency {}",
                input.currency, order.currency
            ))
            .with("field", "currency"));
        }
        if input.payment_method == DECLINED_PAYMENT_METHOD {
            return Err(Problem::payment_declined("insufficient_funds"));
        }
        let payment = Payment {
            id: Uuid::new_v4(),
            order_id,
            amount: input.amount,
            currency: input.currency,
            payment_method: input.payment_method,
            status: PaymentStatus::Authorized,
            created_at: clock::now_rfc3339(),
            voided_at: None,
        };
        self.ledger
            .record(SideEffect::PaymentAuthorized, key, order_id, payment.id);
        self.payments.insert(payment.id, payment.clone());
        Ok(payment)
    }

    /// Voids a payment; voiding a voided one changes nothing.
    pub(crate) fn void(
        &mut self,
        order_id: Uuid,
        payment_id: Uuid,
        key: Option<&str>,
    ) -> Result<Payment, Problem> {
        self.order(order_id)?;
        let payment = self
            .payments
            .get_mut(&payment_id)
            .filter(|p| p.order_id == order_id)
            .ok_or_else(|| {
                Problem::not_found(&format!(
                    "payment {payment_id} of order {order_id} does not exist"
                ))
            })?;
        if payment.status == PaymentStatus::Voided {
            return Ok(payment.clone());
        }
        payment.status = PaymentStatus::Voided;
        payment.voided_at = Some(clock::now_rfc3339());
        let payment = payment.clone();
        self.ledger
            .record(SideEffect::PaymentVoided, key, order_id, payment_id);
        Ok(payment)
    }

    /// Starts a shipment operation that finishes after `duration`.
    pub(crate) fn request_shipment(
        &mut self,
        order_id: Uuid,
        input: RequestShipment,
        duration: Duration,
        key: Option<&str>,
    ) -> Result<OperationView, Problem> {
        self.pending_order(order_id)?;
        let record = OperationRecord {
            id: Uuid::new_v4(),
            order_id,
            shipment_id: Uuid::new_v4(),
            carrier: input.carrier.unwrap_or_else(|| "oncely-post".to_owned()),
            fail: input.simulate == Some(Simulate::Fail),
            started: Instant::now(),
            started_wall: SystemTime::now(),
            duration,
            canceled: None,
        };
        self.ledger
            .record(SideEffect::ShipmentRequested, key, order_id, record.id);
        let mut view = record.view(record.started);
        // The 202 body always says "running", even for a zero duration.
        view.status = OperationStatus::Running;
        view.percent_complete = 0;
        view.result = None;
        view.error = None;
        self.operations.insert(record.id, record);
        Ok(view)
    }

    pub(crate) fn operation(&self, operation_id: Uuid) -> Result<OperationView, Problem> {
        self.operations
            .get(&operation_id)
            .map(|op| op.view(Instant::now()))
            .ok_or_else(|| Problem::not_found(&format!("operation {operation_id} does not exist")))
    }
}

/// Strong comparison of an `If-Match` value (`*` or a list of entity tags)
/// against the current tag.
fn etag_matches(if_match: &str, current: &str) -> bool {
    if_match
        .split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate == current)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LineItem;

    fn domain_with_order() -> (Domain, Uuid) {
        let mut domain = Domain::default();
        let order = domain.create_order(
            CreateOrder {
                customer_id: "c".into(),
                items: vec![LineItem {
                    sku: "s".into(),
                    quantity: 1,
                }],
                currency: "EUR".into(),
                note: None,
                metadata: Default::default(),
            },
            Some("k1"),
        );
        (domain, order.id)
    }

    #[test]
    fn if_match_lists_and_star() {
        assert!(etag_matches("\"v1\"", "\"v1\""));
        assert!(etag_matches("\"v0\", \"v1\"", "\"v1\""));
        assert!(etag_matches("*", "\"v1\""));
        assert!(!etag_matches("W/\"v1\"", "\"v1\""));
    }

    #[test]
    fn second_release_and_void_are_no_ops() {
        let (mut domain, order_id) = domain_with_order();
        let r = domain
            .reserve(order_id, CreateReservation::default(), None)
            .unwrap();
        domain.release(order_id, r.id, None).unwrap();
        domain.release(order_id, r.id, None).unwrap();
        let payment = AuthorizePayment {
            amount: 100,
            currency: "EUR".into(),
            payment_method: "pm_card_visa".into(),
        };
        let p = domain.authorize(order_id, payment, None).unwrap();
        domain.void(order_id, p.id, None).unwrap();
        let again = domain.void(order_id, p.id, None).unwrap();
        assert_eq!(again.status, PaymentStatus::Voided);
        let kinds: Vec<_> = domain.ledger().entries().iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                SideEffect::OrderCreated,
                SideEffect::InventoryReserved,
                SideEffect::ReservationReleased,
                SideEffect::PaymentAuthorized,
                SideEffect::PaymentVoided
            ]
        );
    }

    #[test]
    fn operations_progress_and_finish() {
        let (mut domain, order_id) = domain_with_order();
        let view = domain
            .request_shipment(
                order_id,
                RequestShipment::default(),
                Duration::from_secs(10),
                None,
            )
            .unwrap();
        let record = domain.operations.get(&view.id).unwrap().clone();
        let half = record.view(record.started + Duration::from_secs(5));
        assert_eq!(half.status, OperationStatus::Running);
        assert_eq!(half.percent_complete, 50);
        let done = record.view(record.started + Duration::from_secs(10));
        assert_eq!(done.status, OperationStatus::Succeeded);
        assert!(done.result.is_some());
        domain
            .cancel_order(order_id, CancelOrder::default(), None)
            .unwrap();
        assert_eq!(
            domain.operation(view.id).unwrap().status,
            OperationStatus::Canceled
        );
    }
}
