//! `createOrder`, `getOrder`, `updateOrder`, `cancelOrder`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Extension;

use super::{json, PathIds};
use crate::body;
use crate::model::{CancelOrder, CreateOrder, Order, UpdateOrder};
use crate::pipeline::RequestCtx;
use crate::problem::Problem;
use crate::state::{lock, ServerState};

/// An order with its `ETag` (and `Location` when it was just created).
fn order_response(status: StatusCode, order: &Order) -> Response {
    let mut response = json(status, order);
    let headers = response.headers_mut();
    if let Ok(etag) = HeaderValue::from_str(&order.etag()) {
        headers.insert(header::ETAG, etag);
    }
    if status == StatusCode::CREATED {
        if let Ok(location) = HeaderValue::from_str(&format!("/orders/{}", order.id)) {
            headers.insert(header::LOCATION, location);
        }
    }
    response
}

pub(super) async fn create(
    State(state): State<ServerState>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let input: CreateOrder = body::json(&headers, &body)?;
    input.validate()?;
    let order = lock(&state.shared().domain).create_order(input, ctx.key.as_deref());
    state.emit_webhook("order.created", &order);
    Ok(order_response(StatusCode::CREATED, &order))
}

pub(super) async fn get(
    State(state): State<ServerState>,
    ids: PathIds,
) -> Result<Response, Problem> {
    let order_id = ids.uuid("order_id", "order")?;
    let order = lock(&state.shared().domain).order(order_id)?.clone();
    Ok(order_response(StatusCode::OK, &order))
}

pub(super) async fn update(
    State(state): State<ServerState>,
    Extension(ctx): Extension<RequestCtx>,
    ids: PathIds,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let order_id = ids.uuid("order_id", "order")?;
    let patch: UpdateOrder = body::json(&headers, &body)?;
    patch.validate()?;
    let if_match = match headers.get(header::IF_MATCH) {
        Some(value) => Some(
            value
                .to_str()
                .map_err(|_| Problem::malformed_body("If-Match must be visible ASCII"))?,
        ),
        None => None,
    };
    let order =
        lock(&state.shared().domain).update_order(order_id, if_match, patch, ctx.key.as_deref())?;
    state.emit_webhook("order.updated", &order);
    Ok(order_response(StatusCode::OK, &order))
}

pub(super) async fn cancel(
    State(state): State<ServerState>,
    Extension(ctx): Extension<RequestCtx>,
    ids: PathIds,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let order_id = ids.uuid("order_id", "order")?;
    let input: CancelOrder = body::optional_json(&headers, &body)?;
    input.validate()?;
    let (order, changed) = {
        let mut domain = lock(&state.shared().domain);
        let version = domain.order(order_id).map(|o| o.version).ok();
        let order = domain.cancel_order(order_id, input, ctx.key.as_deref())?;
        let changed = version != Some(order.version);
        (order, changed)
    };
    // A second cancel changes nothing and sends no event.
    if changed {
        state.emit_webhook("order.canceled", &order);
    }
    Ok(order_response(StatusCode::OK, &order))
}
