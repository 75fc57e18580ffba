//! `authorizePayment`, `voidPayment`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Extension;

use super::{json, PathIds};
use crate::body;
use crate::model::AuthorizePayment;
use crate::pipeline::RequestCtx;
use crate::problem::Problem;
use crate::state::{lock, ServerState};

pub(super) async fn authorize(
    State(state): State<ServerState>,
    Extension(ctx): Extension<RequestCtx>,
    ids: PathIds,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let order_id = ids.uuid("order_id", "order")?;
    let input: AuthorizePayment = body::json(&headers, &body)?;
    input.validate()?;
    let payment = lock(&state.shared().domain).authorize(order_id, input, ctx.key.as_deref())?;
    Ok(json(StatusCode::CREATED, &payment))
}

pub(super) async fn void(
    State(state): State<ServerState>,
    Extension(ctx): Extension<RequestCtx>,
    ids: PathIds,
) -> Result<Response, Problem> {
    let order_id = ids.uuid("order_id", "order")?;
    let payment_id = ids.uuid("payment_id", "payment")?;
    let payment = lock(&state.shared().domain).void(order_id, payment_id, ctx.key.as_deref())?;
    Ok(json(StatusCode::OK, &payment))
}
