//! Webhooks from Node: `verifyWebhook` / `signWebhook` (Standard Webhooks
//! and Stripe), `webhookClaimSql` (the claim statement for the
//! application's own `pg` client or `better-sqlite3` database), and
//! [`NativeWebhookInbox`], which verifies a delivery and runs its JS handler
//! once per event id through the core's inbox. Values cross as JSON;
//! `lib/webhooks.js` gives them their JS shape. The rules are the shared
//! layer's (`oncely_bindings_common::webhook`).

use napi::bindgen_prelude::{Buffer, Promise, PromiseRaw};
use napi::threadsafe_function::ThreadsafeFunction;
use napi::{Env, Status};
use napi_derive::napi;
use oncely::webhook::{Verifier, WebhookError, WebhookInbox};
use oncely_bindings_common::webhook::{self as shared, InboxSpec};
use serde_json::{json, Map, Value};
use std::sync::Arc;

use crate::cancel::guard;
use crate::errors::{invalid_arg, payload_error};

/// A handler: gets the event as JSON text, resolves with its outcome as
/// JSON text (`{"ok": value}` or `{"error": message}`); it never rejects.
pub type HandlerFn = ThreadsafeFunction<String, Promise<String>, String, Status, false, true>;

/// A webhook error as the payload of `WebhookError` in JavaScript.
fn webhook_error(error: &WebhookError) -> napi::Error {
    let mut payload = Map::new();
    payload.insert("kind".into(), json!("webhook"));
    payload.insert("message".into(), json!(error.to_string()));
    for (name, value) in shared::error_fields(error) {
        let name = match name {
            "kind" => "webhookErrorKind",
            "http_status" => "httpStatus",
            "event_id" => "eventId",
            other => other,
        };
        payload.insert(name.into(), value);
    }
    payload_error(Value::Object(payload))
}

fn text(value: &Value) -> napi::Result<String> {
    serde_json::to_string(value)
        .map_err(|e| napi::Error::new(Status::GenericFailure, e.to_string()))
}

/// `[name, value, …]` as pairs.
fn header_pairs(flat: Vec<String>) -> napi::Result<Vec<(String, String)>> {
    if !flat.len().is_multiple_of(2) {
        return Err(invalid_arg("headers", "expected name/value pairs"));
    }
    let mut out = Vec::with_capacity(flat.len() / 2);
    let mut items = flat.into_iter();
    while let (Some(name), Some(value)) = (items.next(), items.next()) {
        out.push((name, value));
    }
    Ok(out)
}

fn seconds_of(ms: Option<f64>) -> Option<f64> {
    ms.map(|ms| ms / 1000.0)
}

/// Verifies a delivery (`scheme`: `standard` or `stripe`) at `nowMs` (the
/// clock when absent); resolves nothing, returns `{"id", "timestamp"}` as
/// JSON text.
#[napi(catch_unwind)]
pub fn verify_webhook(
    scheme: String,
    secrets: Vec<String>,
    headers: Vec<String>,
    body: Buffer,
    tolerance_ms: Option<f64>,
    now_ms: Option<f64>,
) -> napi::Result<String> {
    let scheme = shared::scheme(&scheme).map_err(|e| webhook_error(&e))?;
    let headers = header_pairs(headers)?;
    let verifier = shared::verifier(scheme, &secrets, seconds_of(tolerance_ms))
        .map_err(|e| webhook_error(&e))?;
    let now = shared::now(seconds_of(now_ms)).map_err(|e| webhook_error(&e))?;
    let event = verifier
        .verify_at(&headers, &body, now)
        .map_err(|e| webhook_error(&e))?;
    text(&shared::verified_json(&event))
}

/// The signature header value for a delivery (`standard` needs `id`).
#[napi(catch_unwind)]
pub fn sign_webhook(
    scheme: String,
    secrets: Vec<String>,
    timestamp: i64,
    body: Buffer,
    id: Option<String>,
) -> napi::Result<String> {
    let scheme = shared::scheme(&scheme).map_err(|e| webhook_error(&e))?;
    shared::sign(scheme, &secrets, id.as_deref(), timestamp, &body).map_err(|e| webhook_error(&e))
}

/// The claim statement for the host's own connection.
#[napi(catch_unwind)]
pub fn webhook_claim_sql(style: String, table: String) -> napi::Result<String> {
    shared::claim_sql(&style, &table).map_err(|e| webhook_error(&e))
}

/// A table of received events and the verifier of its deliveries.
#[napi]
pub struct NativeWebhookInbox {
    inbox: WebhookInbox,
    verifier: Arc<dyn Verifier>,
}

/// Opens (creating or migrating) the inbox at `location`.
#[napi(catch_unwind, ts_return_type = "Promise<NativeWebhookInbox>")]
#[allow(clippy::too_many_arguments)]
pub fn open_webhook_inbox(
    env: &Env,
    location: String,
    scheme: String,
    secrets: Vec<String>,
    tolerance_ms: Option<f64>,
    source: Option<String>,
    lease_ms: Option<f64>,
) -> napi::Result<PromiseRaw<'_, NativeWebhookInbox>> {
    let spec = InboxSpec {
        location,
        scheme: shared::scheme(&scheme).map_err(|e| webhook_error(&e))?,
        secrets,
        tolerance: seconds_of(tolerance_ms),
        source,
        lease: seconds_of(lease_ms),
    };
    env.spawn_future(guard(
        async move {
            let (inbox, verifier) = spec.open().await.map_err(|e| webhook_error(&e))?;
            Ok(NativeWebhookInbox { inbox, verifier })
        },
        None,
    ))
}

/// Calls the JS handler and decodes what it resolved with.
async fn call_handler(handler: HandlerFn, event: Value) -> Result<Value, String> {
    let promise = handler
        .call_async(event.to_string())
        .await
        .map_err(|e| format!("the handler could not be called: {e}"))?;
    let text = promise
        .await
        .map_err(|e| format!("the handler failed: {e}"))?;
    let outcome: Value = serde_json::from_str(&text)
        .map_err(|e| format!("the handler's outcome is not JSON: {e}"))?;
    if let Some(error) = outcome.get("error") {
        return Err(error.as_str().unwrap_or("the handler failed").to_owned());
    }
    Ok(outcome.get("ok").cloned().unwrap_or(Value::Null))
}

#[napi]
impl NativeWebhookInbox {
    /// Where the inbox is, without secrets.
    #[napi(getter, catch_unwind)]
    pub fn location(&self) -> String {
        self.inbox.location().to_owned()
    }

    /// The source events are recorded under.
    #[napi(getter, catch_unwind)]
    pub fn source(&self) -> String {
        self.inbox.source_name().to_owned()
    }

    /// Verifies the delivery, then runs `handler` once per event id;
    /// resolves with the receipt as JSON text.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn receive<'env>(
        &self,
        env: &'env Env,
        headers: Vec<String>,
        body: Buffer,
        handler: HandlerFn,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let headers = header_pairs(headers)?;
        let body = body.to_vec();
        let (inbox, verifier) = (self.inbox.clone(), self.verifier.clone());
        env.spawn_future(guard(
            async move {
                let receipt = inbox
                    .receive(verifier.as_ref(), &headers, &body, move |event| {
                        call_handler(handler, shared::verified_json(&event))
                    })
                    .await
                    .map_err(|e| webhook_error(&e))?;
                text(&shared::receipt_json(&receipt))
            },
            None,
        ))
    }

    /// The record of `eventId` as JSON text (`null` when none).
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn get<'env>(
        &self,
        env: &'env Env,
        event_id: String,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let inbox = self.inbox.clone();
        env.spawn_future(guard(
            async move {
                let record = inbox.get(&event_id).await.map_err(|e| webhook_error(&e))?;
                text(&record.as_ref().map_or(Value::Null, shared::record_json))
            },
            None,
        ))
    }

    /// Up to `limit` records as JSON text, newest first.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn list<'env>(
        &self,
        env: &'env Env,
        limit: Option<u32>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let inbox = self.inbox.clone();
        env.spawn_future(guard(
            async move {
                let records = inbox
                    .list(limit.unwrap_or(100))
                    .await
                    .map_err(|e| webhook_error(&e))?;
                text(&Value::Array(
                    records.iter().map(shared::record_json).collect(),
                ))
            },
            None,
        ))
    }
}
