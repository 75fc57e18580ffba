//! The transactional outbox: [`NativeOutboxCall`] (a call checked and
//! encoded when made, and the `INSERT` that enqueues it on the
//! application's own connection) and [`NativeOutbox`] (enqueue, inspect,
//! steer, dispatch through the core). Rows, stats and reports cross as JSON;
//! `lib/outbox.js` gives them their JS shape. The rules are the shared
//! layer's (`oncely_bindings_common::outbox`).

use napi::bindgen_prelude::PromiseRaw;
use napi::{Env, Status};
use napi_derive::napi;
use oncely::outbox::{Outbox, OutboxCall, OutboxError, SqlParam};
use oncely_bindings_common::outbox::{self as shared, DispatchSpec};
use oncely_bindings_common::Opt;
use serde_json::{json, Value};

use crate::cancel::guard;
use crate::client::NativeClient;
use crate::convert::{call_spec, millis, spec_error, BodyArg, CallOptions};
use crate::errors::payload_error;

/// An outbox error as the payload of `OutboxError` in JavaScript.
fn outbox_error(error: &OutboxError) -> napi::Error {
    let existing = match error {
        OutboxError::DuplicateIntent { existing, .. } => json!(existing),
        _ => Value::Null,
    };
    payload_error(json!({
        "kind": "outbox",
        "outboxErrorKind": shared::error_kind(error),
        "message": error.to_string(),
        "existing": existing,
    }))
}

fn text(value: &Value) -> napi::Result<String> {
    serde_json::to_string(value)
        .map_err(|e| napi::Error::new(Status::GenericFailure, e.to_string()))
}

/// One call to enqueue.
#[napi]
pub struct NativeOutboxCall {
    call: OutboxCall,
}

#[napi]
impl NativeOutboxCall {
    /// A call of `method path` with the arguments a request takes, ordered in
    /// `partition`, not sent before `delayMs`.
    #[napi(constructor, catch_unwind)]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        method: String,
        path: String,
        body: Option<BodyArg>,
        content_type: Option<String>,
        headers: Option<Vec<String>>,
        query: Option<Vec<String>>,
        options: Option<CallOptions>,
        partition: Option<String>,
        delay_ms: Option<f64>,
    ) -> napi::Result<Self> {
        let spec = call_spec(body, content_type, headers, query, options).map_err(spec_error)?;
        let delay = delay_ms
            .map(|ms| millis(ms, Opt::Delay))
            .transpose()
            .map_err(spec_error)?;
        let call =
            shared::call(&method, &path, spec, partition, delay).map_err(|e| outbox_error(&e))?;
        Ok(NativeOutboxCall { call })
    }

    /// The intent id, when named.
    #[napi(getter, catch_unwind)]
    pub fn intent_id(&self) -> Option<String> {
        self.call.intent().map(str::to_owned)
    }

    /// The `INSERT` for the application's own connection, as JSON
    /// `{sql, params}` (a blob is `{"base64": …}`).
    #[napi(catch_unwind)]
    pub fn insert_statement(&self, style: String, table: String) -> napi::Result<String> {
        use base64::Engine as _;
        let insert =
            shared::insert_statement(&self.call, &style, &table).map_err(|e| outbox_error(&e))?;
        let params: Vec<Value> = insert
            .params
            .into_iter()
            .map(|p| match p {
                SqlParam::Null => Value::Null,
                SqlParam::Integer(i) => json!(i),
                SqlParam::Text(t) => json!(t),
                SqlParam::Blob(b) => {
                    json!({"base64": base64::engine::general_purpose::STANDARD.encode(b)})
                }
            })
            .collect();
        text(&json!({"sql": insert.sql, "params": params}))
    }
}

/// An outbox table (a SQLite file or a PostgreSQL schema).
#[napi]
pub struct NativeOutbox {
    outbox: Outbox,
}

/// Opens (creating or migrating) the outbox at `location`.
#[napi(catch_unwind, ts_return_type = "Promise<NativeOutbox>")]
pub fn open_outbox(env: &Env, location: String) -> napi::Result<PromiseRaw<'_, NativeOutbox>> {
    env.spawn_future(guard(
        async move {
            let outbox = Outbox::open(&location)
                .await
                .map_err(|e| outbox_error(&e))?;
            Ok(NativeOutbox { outbox })
        },
        None,
    ))
}

#[napi]
impl NativeOutbox {
    /// Where the outbox is, without secrets.
    #[napi(getter, catch_unwind)]
    pub fn location(&self) -> String {
        self.outbox.location().to_owned()
    }

    /// Enqueues in a transaction of its own; resolves with the row id.
    #[napi(catch_unwind, ts_return_type = "Promise<number>")]
    pub fn enqueue<'env>(
        &self,
        env: &'env Env,
        call: &NativeOutboxCall,
    ) -> napi::Result<PromiseRaw<'env, i64>> {
        let (outbox, call) = (self.outbox.clone(), call.call.clone());
        env.spawn_future(guard(
            async move { outbox.enqueue(&call).await.map_err(|e| outbox_error(&e)) },
            None,
        ))
    }

    /// Row `id` as JSON.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn get<'env>(&self, env: &'env Env, id: i64) -> napi::Result<PromiseRaw<'env, String>> {
        let outbox = self.outbox.clone();
        env.spawn_future(guard(
            async move {
                let row = outbox.get(id).await.map_err(|e| outbox_error(&e))?;
                text(&shared::row_json(&row))
            },
            None,
        ))
    }

    /// Rows as JSON, newest first.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn list<'env>(
        &self,
        env: &'env Env,
        state: Option<String>,
        partition: Option<String>,
        limit: Option<u32>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let filter = shared::filter(state.as_deref(), partition, limit.or(Some(100)))
            .map_err(|e| outbox_error(&e))?;
        let outbox = self.outbox.clone();
        env.spawn_future(guard(
            async move {
                let rows = outbox.list(&filter).await.map_err(|e| outbox_error(&e))?;
                text(&Value::Array(rows.iter().map(shared::row_json).collect()))
            },
            None,
        ))
    }

    /// Sends a dead row again with its original key; resolves with the row.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn retry<'env>(&self, env: &'env Env, id: i64) -> napi::Result<PromiseRaw<'env, String>> {
        let outbox = self.outbox.clone();
        env.spawn_future(guard(
            async move {
                let row = outbox.retry(id).await.map_err(|e| outbox_error(&e))?;
                text(&shared::row_json(&row))
            },
            None,
        ))
    }

    /// Never sends a dead or pending row; resolves with the row.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn discard<'env>(&self, env: &'env Env, id: i64) -> napi::Result<PromiseRaw<'env, String>> {
        let outbox = self.outbox.clone();
        env.spawn_future(guard(
            async move {
                let row = outbox.discard(id).await.map_err(|e| outbox_error(&e))?;
                text(&shared::row_json(&row))
            },
            None,
        ))
    }

    /// Counts by state and the oldest pending row's age, as JSON.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn stats<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, String>> {
        let outbox = self.outbox.clone();
        env.spawn_future(guard(
            async move {
                let stats = outbox.stats().await.map_err(|e| outbox_error(&e))?;
                text(&serde_json::to_value(stats).unwrap_or(Value::Null))
            },
            None,
        ))
    }

    /// Delivers what is due through `client` until nothing is; resolves
    /// with the report as JSON.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    #[allow(clippy::too_many_arguments)]
    pub fn dispatch<'env>(
        &self,
        env: &'env Env,
        client: &NativeClient,
        concurrency: Option<u32>,
        max_attempts: Option<u32>,
        owner: Option<String>,
        lease_ms: Option<f64>,
        rate: Option<f64>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let spec = DispatchSpec {
            concurrency: concurrency.map(|n| n as usize),
            max_attempts,
            owner,
            lease: lease_ms
                .map(|ms| millis(ms, Opt::Lease))
                .transpose()
                .map_err(spec_error)?,
            rate,
        };
        let dispatcher = spec.dispatcher(self.outbox.clone(), client.inner.clone());
        env.spawn_future(guard(
            async move {
                let report = dispatcher.drain().await.map_err(|e| outbox_error(&e))?;
                text(&shared::report_json(&report))
            },
            None,
        ))
    }
}
