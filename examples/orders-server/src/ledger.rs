//! The ledger of side effects: one entry per real change of state, so a test
//! can prove that nothing happened twice.

use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use uuid::Uuid;

use crate::clock;

/// Kind of side effect recorded in the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SideEffect {
    /// `createOrder` created an order.
    OrderCreated,
    /// `updateOrder` changed an order.
    OrderUpdated,
    /// `cancelOrder` cancelled an order (only the first cancellation counts).
    OrderCancelled,
    /// `reserveInventory` reserved stock.
    InventoryReserved,
    /// `releaseReservation` released a reservation (only the first release counts).
    ReservationReleased,
    /// `authorizePayment` authorized a payment.
    PaymentAuthorized,
    /// `voidPayment` voided a payment (only the first void counts).
    PaymentVoided,
    /// `requestShipment` started a shipment operation.
    ShipmentRequested,
}

impl SideEffect {
    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            SideEffect::OrderCreated => "order_created",
            SideEffect::OrderUpdated => "order_updated",
            SideEffect::OrderCancelled => "order_cancelled",
            SideEffect::InventoryReserved => "inventory_reserved",
            SideEffect::ReservationReleased => "reservation_released",
            SideEffect::PaymentAuthorized => "payment_authorized",
            SideEffect::PaymentVoided => "payment_voided",
            SideEffect::ShipmentRequested => "shipment_requested",
        }
    }
}

/// One side effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// 1-based position in the ledger (restarts after a reset).
    pub seq: u64,
    /// What happened.
    pub kind: SideEffect,
    /// The `Idempotency-Key` of the request that caused it, if it had one.
    pub idempotency_key: Option<String>,
    /// The order concerned.
    pub order_id: Uuid,
    /// The resource created or changed: the order, reservation, payment, or
    /// (for shipments) the operation id.
    pub resource_id: Uuid,
    /// When it happened (RFC 3339, UTC).
    pub timestamp: String,
}

/// Append-only list of side effects. Its length is published on a watch
/// channel, so event streams wake when an entry is added.
#[derive(Debug)]
pub(crate) struct Ledger {
    entries: Vec<LedgerEntry>,
    length: watch::Sender<u64>,
}

impl Default for Ledger {
    fn default() -> Self {
        Ledger {
            entries: Vec::new(),
            length: watch::Sender::new(0),
        }
    }
}

impl Ledger {
    pub(crate) fn record(
        &mut self,
        kind: SideEffect,
        idempotency_key: Option<&str>,
        order_id: Uuid,
        resource_id: Uuid,
    ) {
        let seq = self.entries.len() as u64 + 1;
        self.entries.push(LedgerEntry {
            seq,
            kind,
            idempotency_key: idempotency_key.map(str::to_owned),
            order_id,
            resource_id,
            timestamp: clock::now_rfc3339(),
        });
        self.length.send_replace(seq);
    }

    /// A receiver that wakes whenever an entry is added; it sees an error
    /// once this ledger is replaced (a reset).
    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.length.subscribe()
    }

    pub(crate) fn entries(&self) -> &[LedgerEntry] {
        &self.entries
    }
}
