//! `requestShipment` (202 Accepted + `Location`) and `getOperation`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Extension;

use super::{json, with_retry_after, PathIds};
use crate::body;
use crate::model::RequestShipment;
use crate::pipeline::RequestCtx;
use crate::problem::Problem;
use crate::state::{lock, ServerState};

pub(super) async fn request(
    State(state): State<ServerState>,
    Extension(ctx): Extension<RequestCtx>,
    ids: PathIds,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let order_id = ids.uuid("order_id", "order")?;
    let input: RequestShipment = body::optional_json(&headers, &body)?;
    input.validate()?;
    let duration = state.config().operation_duration;
    let view = lock(&state.shared().domain).request_shipment(
        order_id,
        input,
        duration,
        ctx.key.as_deref(),
    )?;
    let location = match &state.config().operation_location_base {
        Some(base) => format!("{}/operations/{}", base.trim_end_matches('/'), view.id),
        None => format!("/operations/{}", view.id),
    };
    let body = serde_json::json!({
        "id": view.id,
        "status": view.status,
        "percent_complete": view.percent_complete,
    });
    let mut response = with_retry_after(json(StatusCode::ACCEPTED, &body), &state);
    let location = HeaderValue::from_str(&location).map_err(|_| {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server-misconfigured",
            "Invalid operation_location_base",
        )
    })?;
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}

pub(super) async fn operation(
    State(state): State<ServerState>,
    ids: PathIds,
) -> Result<Response, Problem> {
    let operation_id = ids.uuid("operation_id", "operation")?;
    let view = lock(&state.shared().domain).operation(operation_id)?;
    let response = json(StatusCode::OK, &view);
    Ok(if view.status.is_terminal() {
        response
    } else {
        with_retry_after(response, &state)
    })
}
