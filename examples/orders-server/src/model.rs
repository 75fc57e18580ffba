//! Resources and request bodies of the orders contract (`openapi/orders.yaml`),
//! with the validation the contract promises.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::problem::Problem;

/// `payment_method` token that is always declined.
pub const DECLINED_PAYMENT_METHOD: &str = "pm_card_declined";

/// One line of an order or reservation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LineItem {
    pub(crate) sku: String,
    pub(crate) quantity: i64,
}

/// Lifecycle state of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum OrderStatus {
    Pending,
    Cancelled,
}

/// An order.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Order {
    pub(crate) id: Uuid,
    pub(crate) customer_id: String,
    pub(crate) items: Vec<LineItem>,
    pub(crate) currency: String,
    pub(crate) status: OrderStatus,
    pub(crate) note: Option<String>,
    pub(crate) metadata: BTreeMap<String, String>,
    pub(crate) version: u64,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
    pub(crate) cancelled_at: Option<String>,
    pub(crate) cancellation_reason: Option<String>,
}

impl Order {
    /// The strong entity tag of the current version.
    pub(crate) fn etag(&self) -> String {
        format!("\"v{}\"", self.version)
    }
}

/// State of a reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ReservationStatus {
    Reserved,
    Released,
}

/// Stock held for an order.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Reservation {
    pub(crate) id: Uuid,
    pub(crate) order_id: Uuid,
    pub(crate) status: ReservationStatus,
    pub(crate) items: Vec<LineItem>,
    pub(crate) created_at: String,
    pub(crate) released_at: Option<String>,
}

/// State of a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PaymentStatus {
    Authorized,
    Voided,
}

/// An authorized (or voided) payment.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Payment {
    pub(crate) id: Uuid,
    pub(crate) order_id: Uuid,
    pub(crate) amount: i64,
    pub(crate) currency: String,
    pub(crate) payment_method: String,
    pub(crate) status: PaymentStatus,
    pub(crate) created_at: String,
    pub(crate) voided_at: Option<String>,
}

/// The result of a successful shipment operation.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Shipment {
    pub(crate) id: Uuid,
    pub(crate) order_id: Uuid,
    pub(crate) status: &'static str,
    pub(crate) carrier: String,
    pub(crate) tracking_number: String,
    pub(crate) created_at: String,
}

/// State of a long-running operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum OperationStatus {
    Running,
    Succeeded,
    Failed,
    Canceled,
}

impl OperationStatus {
    pub(crate) fn is_terminal(self) -> bool {
        self != OperationStatus::Running
    }
}

/// The status resource at `/operations/{operation_id}`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct OperationView {
    pub(crate) id: Uuid,
    pub(crate) kind: &'static str,
    pub(crate) order_id: Uuid,
    pub(crate) status: OperationStatus,
    pub(crate) percent_complete: u8,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) result: Option<Shipment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<Value>,
}

// ---- request bodies ---------------------------------------------------

/// Body of `createOrder`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct CreateOrder {
    pub(crate) customer_id: String,
    pub(crate) items: Vec<LineItem>,
    pub(crate) currency: String,
    #[serde(default)]
    pub(crate) note: Option<String>,
    #[serde(default)]
    pub(crate) metadata: BTreeMap<String, String>,
}

impl CreateOrder {
    pub(crate) fn validate(&self) -> Result<(), Problem> {
        check_text("customer_id", &self.customer_id, 200)?;
        check_items(&self.items)?;
        check_currency(&self.currency)?;
        if let Some(note) = &self.note {
            check_len("note", note, 2000)?;
        }
        check_metadata(&self.metadata)
    }
}

/// Body of `updateOrder` (merge-patch semantics: absent fields are kept,
/// `note: null` clears the note).
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct UpdateOrder {
    #[serde(default)]
    pub(crate) items: Option<Vec<LineItem>>,
    #[serde(default)]
    pub(crate) currency: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub(crate) note: Option<Option<String>>,
    #[serde(default)]
    pub(crate) metadata: Option<BTreeMap<String, String>>,
}

impl UpdateOrder {
    pub(crate) fn validate(&self) -> Result<(), Problem> {
        if let Some(items) = &self.items {
            check_items(items)?;
        }
        if let Some(currency) = &self.currency {
            check_currency(currency)?;
        }
        if let Some(Some(note)) = &self.note {
            check_len("note", note, 2000)?;
        }
        if let Some(metadata) = &self.metadata {
            check_metadata(metadata)?;
        }
        Ok(())
    }
}

/// Body of `cancelOrder` (optional).
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct CancelOrder {
    #[serde(default)]
    pub(crate) reason: Option<String>,
}

impl CancelOrder {
    pub(crate) fn validate(&self) -> Result<(), Problem> {
        match &self.reason {
            Some(reason) => check_len("reason", reason, 500),
            None => Ok(()),
        }
    }
}

/// Body of `reserveInventory` (optional; default: the order's items).
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct CreateReservation {
    #[serde(default)]
    pub(crate) items: Option<Vec<LineItem>>,
}

impl CreateReservation {
    pub(crate) fn validate(&self) -> Result<(), Problem> {
        match &self.items {
            Some(items) => check_items(items),
            None => Ok(()),
        }
    }
}

/// Body of `authorizePayment`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct AuthorizePayment {
    pub(crate) amount: i64,
    pub(crate) currency: String,
    pub(crate) payment_method: String,
}

impl AuthorizePayment {
    pub(crate) fn validate(&self) -> Result<(), Problem> {
        if self.amount < 1 {
            return Err(Problem::validation(
                "amount must be a positive integer in minor units",
            ));
        }
        check_currency(&self.currency)?;
        check_text("payment_method", &self.payment_method, 200)
    }
}

/// Simulation switch of `requestShipment`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Simulate {
    /// The operation ends `failed`.
    Fail,
    /// The operation ends `succeeded` (the default).
    Succeed,
}

/// Body of `requestShipment` (optional).
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct RequestShipment {
    #[serde(default)]
    pub(crate) carrier: Option<String>,
    #[serde(default)]
    pub(crate) simulate: Option<Simulate>,
}

impl RequestShipment {
    pub(crate) fn validate(&self) -> Result<(), Problem> {
        match &self.carrier {
            Some(carrier) => check_text("carrier", carrier, 100),
            None => Ok(()),
        }
    }
}

/// Deserializes a field that is present (possibly `null`) as `Some(..)`.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

// ---- validation helpers -------------------------------------------------

fn check_len(field: &str, value: &str, max: usize) -> Result<(), Problem> {
    if value.chars().count() > max {
        return Err(
            Problem::validation(format!("{field} must be at most {max} characters"))
                .with("field", field),
        );
    }
    Ok(())
}

fn check_text(field: &str, value: &str, max: usize) -> Result<(), Problem> {
    if value.trim().is_empty() {
        return Err(Problem::validation(format!("{field} must not be empty")).with("field", field));
    }
    check_len(field, value, max)
}

fn check_currency(currency: &str) -> Result<(), Problem> {
    if currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(Problem::validation(format!(
            "currency must be an ISO 4217 code of three upper-case letters, got {currency:?}"
        ))
        .with("field", "currency"))
    }
}

fn check_items(items: &[LineItem]) -> Result<(), Problem> {
    if items.is_empty() || items.len() > 100 {
        return Err(
            Problem::validation("items must have between 1 and 100 entries").with("field", "items"),
        );
    }
    for (index, item) in items.iter().enumerate() {
        check_text(&format!("items[{index}].sku"), &item.sku, 100)?;
        if !(1..=10_000).contains(&item.quantity) {
            return Err(Problem::validation(format!(
                "items[{index}].quantity must be between 1 and 10000, got {}",
                item.quantity
            ))
            .with("field", format!("items[{index}].quantity")));
        }
    }
    Ok(())
}

fn check_metadata(metadata: &BTreeMap<String, String>) -> Result<(), Problem> {
    if metadata.len() > 50 {
        return Err(
            Problem::validation("metadata may have at most 50 keys").with("field", "metadata")
        );
    }
    for (key, value) in metadata {
        check_text(&format!("metadata key {key:?}"), key, 40)?;
        check_len(&format!("metadata[{key:?}]"), value, 500)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> CreateOrder {
        CreateOrder {
            customer_id: "cus_1".into(),
            items: vec![LineItem {
                sku: "sku-1".into(),
                quantity: 2,
            }],
            currency: "EUR".into(),
            note: None,
            metadata: BTreeMap::new(),
        }
    }

    #[test]
    fn validates_orders() {
        assert!(order().validate().is_ok());
        let mut bad = order();
        bad.currency = "eur".into();
        assert!(bad.validate().is_err());
        let mut bad = order();
        bad.items[0].quantity = 0;
        let detail = bad.validate().unwrap_err().to_json()["detail"].clone();
        assert!(detail.as_str().unwrap().contains("items[0].quantity"));
        let mut bad = order();
        bad.items.clear();
        assert!(bad.validate().is_err());
    }

    #[test]
    fn update_distinguishes_null_from_absent() {
        let absent: UpdateOrder = serde_json::from_str("{}").unwrap();
        assert_eq!(absent.note, None);
        let null: UpdateOrder = serde_json::from_str(r#"{"note": null}"#).unwrap();
        assert_eq!(null.note, Some(None));
    }
}
