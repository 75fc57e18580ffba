//! A webhook receiver in a few lines of axum: every delivery is verified
//! (Standard Webhooks) and processed once per event id through oncely's
//! [`WebhookInbox`]. The "effect" here is an entry in an in-memory list
//! ([`Receiver::handled`]), so a test can count how often each event was
//! handled.
//!
//! Answers: `200` when processed (now or before), `409` while another
//! delivery of the event is processing it, `400` for a delivery that fails
//! verification, `500` when the handler failed (the sender delivers again).

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use oncely::webhook::{StandardWebhooks, WebhookInbox};
use serde_json::{json, Value};

/// One handled event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handled {
    /// The event id.
    pub id: String,
    /// Its type, e.g. `order.created`.
    pub event_type: String,
}

/// The receiver's state: the inbox, the verifier, and what was handled.
#[derive(Debug, Clone)]
pub struct Receiver {
    inbox: WebhookInbox,
    verifier: Arc<StandardWebhooks>,
    handled: Arc<Mutex<Vec<Handled>>>,
}

impl Receiver {
    /// A receiver recording events in `inbox`, verifying with `verifier`.
    pub fn new(inbox: WebhookInbox, verifier: StandardWebhooks) -> Self {
        Receiver {
            inbox,
            verifier: Arc::new(verifier),
            handled: Arc::default(),
        }
    }

    /// Every event the handler ran for, in order.
    pub fn handled(&self) -> Vec<Handled> {
        self.handled
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The inbox.
    pub fn inbox(&self) -> &WebhookInbox {
        &self.inbox
    }

    /// The routes: `POST /webhooks` and `GET /handled`.
    pub fn router(self) -> Router {
        Router::new()
            .route("/webhooks", post(receive))
            .route("/handled", get(handled))
            .with_state(self)
    }
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> Response {
    let (handled, payload) = (r.handled.clone(), body.clone());
    let outcome = r
        .inbox
        .receive(r.verifier.as_ref(), &headers, &body, |event| async move {
            let payload: Value = serde_json::from_slice(&payload).map_err(|e| e.to_string())?;
            let event_type = payload["type"].as_str().unwrap_or("unknown").to_owned();
            handled
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(Handled {
                    id: event.id,
                    event_type: event_type.clone(),
                });
            Ok::<_, String>(json!({ "type": event_type }))
        })
        .await;
    match outcome {
        Ok(receipt) => {
            let status = StatusCode::from_u16(receipt.http_status()).unwrap_or(StatusCode::OK);
            let body = json!({"status": receipt.kind(), "event_id": receipt.event_id()});
            (status, Json(body)).into_response()
        }
        Err(e) => {
            let status =
                StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let body = json!({"error": e.kind(), "detail": e.to_string()});
            (status, Json(body)).into_response()
        }
    }
}

async fn handled(State(r): State<Receiver>) -> Json<Value> {
    let list: Vec<Value> = r
        .handled()
        .into_iter()
        .map(|h| json!({"id": h.id, "type": h.event_type}))
        .collect();
    Json(json!({ "handled": list }))
}
