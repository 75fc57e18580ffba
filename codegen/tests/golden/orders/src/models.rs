//! Data types of the API.

/// Body of `authorizePayment`.
///
/// Schema `#/components/schemas/AuthorizePaymentRequest`.
#[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
pub struct AuthorizePaymentRequest {
    /// Amount in minor units (e.g. cents).
    pub amount: i64,
    pub currency: Currency,
    /// Payment method token; `pm_card_declined` is always declined.
    pub payment_method: ::std::string::String,
}

/// Body of `cancelOrder` (optional).
///
/// Schema `#/components/schemas/CancelOrderRequest`.
#[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
pub struct CancelOrderRequest {
    /// Why the order is cancelled.
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub reason: ::std::option::Option<::std::string::String>,
}

/// Body of `createOrder`.
///
/// Schema `#/components/schemas/CreateOrderRequest`.
#[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
pub struct CreateOrderRequest {
    pub currency: Currency,
    /// The ordering customer.
    pub customer_id: ::std::string::String,
    /// What to order.
    pub items: ::std::vec::Vec<LineItem>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub metadata: ::std::option::Option<Metadata>,
    /// Free-text note.
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub note: ::std::option::Option<::std::string::String>,
}

/// Body of `reserveInventory` (optional).
///
/// Schema `#/components/schemas/CreateReservationRequest`.
#[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
pub struct CreateReservationRequest {
    /// What to reserve; default all items of the order.
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub items: ::std::option::Option<::std::vec::Vec<LineItem>>,
}

/// ISO 4217 currency code.
///
/// Schema `#/components/schemas/Currency`.
pub type Currency = ::std::string::String;

/// Up to 255 characters, optionally wrapped in double quotes.
///
/// Schema `#/components/schemas/IdempotencyKey`.
pub type IdempotencyKey = ::std::string::String;

/// A quantity of one stock-keeping unit.
///
/// Schema `#/components/schemas/LineItem`.
#[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
pub struct LineItem {
    /// Number of units.
    pub quantity: i64,
    /// Stock-keeping unit.
    pub sku: ::std::string::String,
}

/// Free-form string pairs (at most 50 keys of at most 40 characters).
///
/// Schema `#/components/schemas/Metadata`.
pub type Metadata = ::std::collections::BTreeMap<::std::string::String, ::std::string::String>;

/// Body of a `202 Accepted`.
///
/// Schema `#/components/schemas/OperationAccepted`.
#[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
pub struct OperationAccepted {
    /// Operation id.
    pub id: ::std::string::String,
    /// Progress, 0 at start.
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub percent_complete: ::std::option::Option<i32>,
    /// Always `running`.
    pub status: OperationAcceptedStatus,
}

/// State of a long-running operation; all but `running` are terminal.
///
/// Schema `#/components/schemas/OperationState`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
pub enum OperationState {
    /// `running`
    #[serde(rename = "running")]
    Running,
    /// `succeeded`
    #[serde(rename = "succeeded")]
    Succeeded,
    /// `failed`
    #[serde(rename = "failed")]
    Failed,
    /// `canceled`
    #[serde(rename = "canceled")]
    Canceled,
    /// A value this client does not know (added to the API later).
    #[serde(untagged)]
    Unknown(::std::string::String),
}

impl OperationState {
    /// The value on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
            Self::Unknown(v) => v.as_str(),
        }
    }
}

impl ::std::fmt::Display for OperationState {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Status of a long-running operation.
///
/// Schema `#/components/schemas/OperationStatus`.
#[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
pub struct OperationStatus {
    /// When the operation started.
    pub created_at: ::std::string::String,
    /// Why it failed; present only when `status` is `failed`.
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub error: ::std::option::Option<Problem>,
    /// Operation id.
    pub id: ::std::string::String,
    /// What the operation does (`shipment`).
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub kind: ::std::option::Option<::std::string::String>,
    /// The order concerned.
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub order_id: ::std::option::Option<::std::string::String>,
    /// Progress; 100 once succeeded or failed.
    pub percent_complete: i32,
    /// The shipment; present only when `status` is `succeeded`.
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub result: ::std::option::Option<Shipment>,
    pub status: OperationState,
    /// When the status last changed.
    pub updated_at: ::std::string::String,
}

/// An order.
///
/// Schema `#/components/schemas/Order`.
#[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
pub struct Order {
    /// Why the order was cancelled, if given.
    pub cancellation_reason: ::std::option::Option<::std::string::String>,
    /// When the order was cancelled, if it was.
    pub cancelled_at: ::std::option::Option<::std::string::String>,
    /// When the order was created.
    pub created_at: ::std::string::String,
    pub currency: Currency,
    /// The ordering customer.
    pub customer_id: ::std::string::String,
    /// Order id.
    pub id: ::std::string::String,
    /// What was ordered.
    pub items: ::std::vec::Vec<LineItem>,
    pub metadata: Metadata,
    /// Free-text note.
    pub note: ::std::option::Option<::std::string::String>,
    pub status: OrderStatus,
    /// When the order last changed.
    pub updated_at: ::std::string::String,
    /// Incremented on every change; the `ETag` is `"v{version}"`.
    pub version: i64,
}

/// Lifecycle state of an order.
///
/// Schema `#/components/schemas/OrderStatus`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
pub enum OrderStatus {
    /// `pending`
    #[serde(rename = "pending")]
    Pending,
    /// `cancelled`
    #[serde(rename = "cancelled")]
    Cancelled,
    /// A value this client does not know (added to the API later).
    #[serde(untagged)]
    Unknown(::std::string::String),
}

impl OrderStatus {
    /// The value on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Pending => "pending",
            Self::Cancelled => "cancelled",
            Self::Unknown(v) => v.as_str(),
        }
    }
}

impl ::std::fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A payment authorization.
///
/// Schema `#/components/schemas/Payment`.
#[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
pub struct Payment {
    /// Amount in minor units (e.g. cents).
    pub amount: i64,
    /// When the payment was authorized.
    pub created_at: ::std::string::String,
    pub currency: Currency,
    /// Payment id.
    pub id: ::std::string::String,
    /// The order it pays for.
    pub order_id: ::std::string::String,
    /// Payment method token.
    pub payment_method: ::std::string::String,
    pub status: PaymentStatus,
    /// When the payment was voided, if it was.
    pub voided_at: ::std::option::Option<::std::string::String>,
}

/// A declined payment.
///
/// Schema `#/components/schemas/PaymentDeclinedProblem`.
#[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
pub struct PaymentDeclinedProblem {
    /// Why the issuer declined.
    pub decline_code: ::std::string::String,
    /// Human-readable explanation of this occurrence.
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub detail: ::std::option::Option<::std::string::String>,
    /// URI reference of this occurrence (the request path).
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub instance: ::std::option::Option<::std::string::String>,
    /// The HTTP status code of this occurrence.
    pub status: i32,
    /// Short, human-readable summary of the problem type.
    pub title: ::std::string::String,
    /// URI identifying the problem type.
    pub r#type: ::std::string::String,
    /// Properties not listed above.
    #[serde(flatten)]
    pub additional_properties: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
}

/// State of a payment.
///
/// Schema `#/components/schemas/PaymentStatus`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
pub enum PaymentStatus {
    /// `authorized`
    #[serde(rename = "authorized")]
    Authorized,
    /// `voided`
    #[serde(rename = "voided")]
    Voided,
    /// A value this client does not know (added to the API later).
    #[serde(untagged)]
    Unknown(::std::string::String),
}

impl PaymentStatus {
    /// The value on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Authorized => "authorized",
            Self::Voided => "voided",
            Self::Unknown(v) => v.as_str(),
        }
    }
}

impl ::std::fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `412` problem carrying the current entity tag.
///
/// Schema `#/components/schemas/PreconditionFailedProblem`.
#[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
pub struct PreconditionFailedProblem {
    /// The order's current `ETag`.
    pub current_etag: ::std::string::String,
    /// Human-readable explanation of this occurrence.
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub detail: ::std::option::Option<::std::string::String>,
    /// URI reference of this occurrence (the request path).
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub instance: ::std::option::Option<::std::string::String>,
    /// The HTTP status code of this occurrence.
    pub status: i32,
    /// Short, human-readable summary of the problem type.
    pub title: ::std::string::String,
    /// URI identifying the problem type.
    pub r#type: ::std::string::String,
    /// Properties not listed above.
    #[serde(flatten)]
    pub additional_properties: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
}

/// RFC 9457 problem details. Extension members may appear.
///
/// Schema `#/components/schemas/Problem`.
#[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
pub struct Problem {
    /// Human-readable explanation of this occurrence.
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub detail: ::std::option::Option<::std::string::String>,
    /// URI reference of this occurrence (the request path).
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub instance: ::std::option::Option<::std::string::String>,
    /// The HTTP status code of this occurrence.
    pub status: i32,
    /// Short, human-readable summary of the problem type.
    pub title: ::std::string::String,
    /// URI identifying the problem type.
    pub r#type: ::std::string::String,
    /// Properties not listed above.
    #[serde(flatten)]
    pub additional_properties: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
}

/// Stock held for an order.
///
/// Schema `#/components/schemas/Reservation`.
#[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
pub struct Reservation {
    /// When the stock was reserved.
    pub created_at: ::std::string::String,
    /// Reservation id.
    pub id: ::std::string::String,
    /// What is reserved.
    pub items: ::std::vec::Vec<LineItem>,
    /// The order it belongs to.
    pub order_id: ::std::string::String,
    /// When the reservation was released, if it was.
    pub released_at: ::std::option::Option<::std::string::String>,
    pub status: ReservationStatus,
}

/// State of a reservation.
///
/// Schema `#/components/schemas/ReservationStatus`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
pub enum ReservationStatus {
    /// `reserved`
    #[serde(rename = "reserved")]
    Reserved,
    /// `released`
    #[serde(rename = "released")]
    Released,
    /// A value this client does not know (added to the API later).
    #[serde(untagged)]
    Unknown(::std::string::String),
}

impl ReservationStatus {
    /// The value on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Reserved => "reserved",
            Self::Released => "released",
            Self::Unknown(v) => v.as_str(),
        }
    }
}

impl ::std::fmt::Display for ReservationStatus {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A dispatched shipment, the result of a succeeded shipment operation.
///
/// Schema `#/components/schemas/Shipment`.
#[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
pub struct Shipment {
    /// The carrier.
    pub carrier: ::std::string::String,
    /// When the shipment was dispatched.
    pub created_at: ::std::string::String,
    /// Shipment id.
    pub id: ::std::string::String,
    /// The order shipped.
    pub order_id: ::std::string::String,
    /// State of the shipment.
    pub status: ShipmentStatus,
    /// Carrier tracking number.
    pub tracking_number: ::std::string::String,
}

/// Body of `requestShipment` (optional).
///
/// Schema `#/components/schemas/ShipmentRequest`.
#[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
pub struct ShipmentRequest {
    /// Preferred carrier (default `oncely-post`).
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub carrier: ::std::option::Option<::std::string::String>,
    /// Test switch; `fail` makes the operation end `failed`.
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub simulate: ::std::option::Option<ShipmentRequestSimulate>,
}

/// Body of `updateOrder`; absent fields are kept, `note` null clears it.
///
/// Schema `#/components/schemas/UpdateOrderRequest`.
#[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
pub struct UpdateOrderRequest {
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub currency: ::std::option::Option<Currency>,
    /// Replacement items.
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub items: ::std::option::Option<::std::vec::Vec<LineItem>>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub metadata: ::std::option::Option<Metadata>,
    /// New note, or null to clear it.
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub note: ::std::option::Option<::std::string::String>,
}

/// A problem that may name the offending request field.
///
/// Schema `#/components/schemas/ValidationProblem`.
#[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
pub struct ValidationProblem {
    /// Human-readable explanation of this occurrence.
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub detail: ::std::option::Option<::std::string::String>,
    /// The request field that failed validation, e.g. `items[0].quantity`.
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub field: ::std::option::Option<::std::string::String>,
    /// URI reference of this occurrence (the request path).
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub instance: ::std::option::Option<::std::string::String>,
    /// The HTTP status code of this occurrence.
    pub status: i32,
    /// Short, human-readable summary of the problem type.
    pub title: ::std::string::String,
    /// URI identifying the problem type.
    pub r#type: ::std::string::String,
    /// Properties not listed above.
    #[serde(flatten)]
    pub additional_properties: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
}

/// Always `running`.
///
/// Schema `#/components/schemas/OperationAccepted/properties/status`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
pub enum OperationAcceptedStatus {
    /// `running`
    #[serde(rename = "running")]
    Running,
    /// A value this client does not know (added to the API later).
    #[serde(untagged)]
    Unknown(::std::string::String),
}

impl OperationAcceptedStatus {
    /// The value on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Running => "running",
            Self::Unknown(v) => v.as_str(),
        }
    }
}

impl ::std::fmt::Display for OperationAcceptedStatus {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// State of the shipment.
///
/// Schema `#/components/schemas/Shipment/properties/status`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
pub enum ShipmentStatus {
    /// `dispatched`
    #[serde(rename = "dispatched")]
    Dispatched,
    /// A value this client does not know (added to the API later).
    #[serde(untagged)]
    Unknown(::std::string::String),
}

impl ShipmentStatus {
    /// The value on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Dispatched => "dispatched",
            Self::Unknown(v) => v.as_str(),
        }
    }
}

impl ::std::fmt::Display for ShipmentStatus {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Test switch; `fail` makes the operation end `failed`.
///
/// Schema `#/components/schemas/ShipmentRequest/properties/simulate`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
pub enum ShipmentRequestSimulate {
    /// `succeed`
    #[serde(rename = "succeed")]
    Succeed,
    /// `fail`
    #[serde(rename = "fail")]
    Fail,
    /// A value this client does not know (added to the API later).
    #[serde(untagged)]
    Unknown(::std::string::String),
}

impl ShipmentRequestSimulate {
    /// The value on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Succeed => "succeed",
            Self::Fail => "fail",
            Self::Unknown(v) => v.as_str(),
        }
    }
}

impl ::std::fmt::Display for ShipmentRequestSimulate {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        f.write_str(self.as_str())
    }
}

