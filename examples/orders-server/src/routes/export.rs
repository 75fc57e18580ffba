//! `exportOrders` (`GET /orders/export`): every order, in the order they were
//! created, as newline-delimited JSON (`openapi/streaming.yaml`). Each order
//! is one line and one body frame, so `cut_stream` faults count lines.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::Response;
use futures::StreamExt;

use crate::state::{lock, ServerState};

pub(super) async fn export(State(state): State<ServerState>) -> Response {
    let orders: Vec<_> = lock(&state.shared().domain)
        .orders_by_creation()
        .into_iter()
        .cloned()
        .collect();
    let open = state.open_stream();
    let lines = futures::stream::iter(orders).map(move |order| {
        let _still_open = &open;
        let mut line = serde_json::to_vec(&order).unwrap_or_default();
        line.push(b'\n');
        Ok::<_, Infallible>(Bytes::from(line))
    });
    let mut response = Response::new(Body::from_stream(lines));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    response
}
