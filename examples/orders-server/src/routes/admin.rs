//! The admin API under `/_admin` (never logged, never faulted):
//! ledger, request log, stats, fault rules, reset, open streams, webhook
//! deliveries.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::json;
use crate::body;
use crate::faults::FaultRule;
use crate::problem::Problem;
use crate::state::ServerState;

pub(super) fn routes() -> Router<ServerState> {
    Router::new()
        .route("/_admin/ledger", get(ledger))
        .route("/_admin/requests", get(requests))
        .route("/_admin/stats", get(stats))
        .route("/_admin/reset", post(reset))
        .route("/_admin/streams", get(streams))
        .route(
            "/_admin/faults",
            get(list_faults).post(add_faults).delete(clear_faults),
        )
        .route("/_admin/webhooks", get(webhooks))
        .method_not_allowed_fallback(|| async { Problem::method_not_allowed() })
}

async fn ledger(State(state): State<ServerState>) -> Response {
    json(
        StatusCode::OK,
        &serde_json::json!({ "entries": state.ledger() }),
    )
}

async fn requests(State(state): State<ServerState>) -> Response {
    json(
        StatusCode::OK,
        &serde_json::json!({ "requests": state.requests() }),
    )
}

async fn webhooks(State(state): State<ServerState>) -> Response {
    json(
        StatusCode::OK,
        &serde_json::json!({
            "events": state.webhook_events(),
            "deliveries": state.webhook_deliveries(),
            "unsettled": state.webhooks_unsettled(),
        }),
    )
}

async fn stats(State(state): State<ServerState>) -> Response {
    json(StatusCode::OK, &state.stats())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StreamsQuery {
    until_open: Option<usize>,
}

/// How long `GET /_admin/streams?until_open=N` waits at most.
const STREAMS_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// `{"open": n}`: streamed answers open now; with `?until_open=N`, once `N`
/// are open (or after 10 s, with the count then).
async fn streams(State(state): State<ServerState>, Query(query): Query<StreamsQuery>) -> Response {
    if let Some(n) = query.until_open {
        let _ = tokio::time::timeout(STREAMS_WAIT, state.until_open_streams(n)).await;
    }
    json(
        StatusCode::OK,
        &serde_json::json!({ "open": state.open_streams() }),
    )
}

async fn reset(State(state): State<ServerState>) -> StatusCode {
    state.reset();
    StatusCode::NO_CONTENT
}

async fn list_faults(State(state): State<ServerState>) -> Response {
    json(
        StatusCode::OK,
        &serde_json::json!({ "rules": state.faults() }),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultRules {
    rules: Vec<FaultRule>,
}

async fn add_faults(State(state): State<ServerState>, headers: HeaderMap, body: Bytes) -> Response {
    let input: FaultRules = match body::json(&headers, &body) {
        Ok(input) => input,
        Err(problem) => return problem.or_instance("/_admin/faults").into_response(),
    };
    for (index, rule) in input.rules.iter().enumerate() {
        if let Err(why) = rule.validate() {
            return Problem::validation(format!("rules[{index}]: {why}"))
                .or_instance("/_admin/faults")
                .into_response();
        }
    }
    for rule in input.rules {
        state.add_fault(rule);
    }
    json(
        StatusCode::OK,
        &serde_json::json!({ "rules": state.faults() }),
    )
}

async fn clear_faults(State(state): State<ServerState>) -> StatusCode {
    state.clear_faults();
    StatusCode::NO_CONTENT
}
