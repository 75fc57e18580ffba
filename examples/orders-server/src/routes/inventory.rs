//! `reserveInventory`, `releaseReservation`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Extension;

use super::{json, PathIds};
use crate::body;
use crate::model::CreateReservation;
use crate::pipeline::RequestCtx;
use crate::problem::Problem;
use crate::state::{lock, ServerState};

pub(super) async fn reserve(
    State(state): State<ServerState>,
    Extension(ctx): Extension<RequestCtx>,
    ids: PathIds,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let order_id = ids.uuid("order_id", "order")?;
    let input: CreateReservation = body::optional_json(&headers, &body)?;
    input.validate()?;
    let reservation = lock(&state.shared().domain).reserve(order_id, input, ctx.key.as_deref())?;
    Ok(json(StatusCode::CREATED, &reservation))
}

pub(super) async fn release(
    State(state): State<ServerState>,
    Extension(ctx): Extension<RequestCtx>,
    ids: PathIds,
) -> Result<Response, Problem> {
    let order_id = ids.uuid("order_id", "order")?;
    let reservation_id = ids.uuid("reservation_id", "reservation")?;
    let reservation =
        lock(&state.shared().domain).release(order_id, reservation_id, ctx.key.as_deref())?;
    Ok(json(StatusCode::OK, &reservation))
}
