//! The native client and store classes the JS `Client` wraps.
//!
//! Every call is built on the JS thread (cheap: no I/O), then sent on the
//! Rust tokio runtime; the promise settles back on the JS thread. The event
//! loop never waits for the network, the store or the retry delays.

use std::sync::Arc;

use napi::bindgen_prelude::{Object, PromiseRaw};
use napi::Env;
use napi_derive::napi;

use crate::cancel::{guard, CancelToken};
use crate::convert::{self, BodyArg, CallArgs, CallOptions, ClientOptions, NativeResponse};
use crate::errors::{invalid_arg, to_napi};
use crate::operation::NativeOperation;

/// An idempotency store, shareable between clients (and with workflows).
#[napi]
#[derive(Debug, Clone)]
pub struct NativeStore {
    pub(crate) inner: Arc<dyn oncely::Store>,
    description: String,
}

#[napi]
impl NativeStore {
    /// Opens a store from its description: `memory`, `sqlite:PATH` (or a path
    /// ending in `.db`/`.sqlite`), or `postgres://…`.
    #[napi(factory, catch_unwind)]
    pub fn open(spec: String) -> napi::Result<Self> {
        let inner: Arc<dyn oncely::Store> = if spec == "memory" {
            Arc::new(oncely::MemoryStore::new())
        } else if let Some(path) = spec.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(invalid_arg("store", "`sqlite:` needs a file path, e.g. sqlite:./oncely.db"));
            }
            Arc::new(oncely::SqliteStore::open(path).map_err(|e| to_napi(&e.into()))?)
        } else if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
            return Err(invalid_arg(
                "store",
                "PostgreSQL stores are not available in this build of oncely",
            ));
        } else {
            return Err(invalid_arg(
                "store",
                format!("{spec:?} is not `memory`, `sqlite:PATH` or `postgres://…`"),
            ));
        };
        let description = match spec.find("://") {
            // Never echo a connection string: it may hold a password.
            Some(_) => "postgres".to_string(),
            None => spec,
        };
        Ok(NativeStore { inner, description })
    }

    /// What the store is (`memory`, `sqlite:PATH`, `postgres`), without secrets.
    #[napi(getter, catch_unwind)]
    pub fn description(&self) -> String {
        self.description.clone()
    }
}

/// The native client: one connection pool, retry budget, circuit breaker and
/// store shared by every call made through it.
#[napi]
pub struct NativeClient {
    pub(crate) inner: oncely::Client,
}

#[napi]
impl NativeClient {
    /// Builds a client; invalid options are a `TypeError` naming the option.
    #[napi(constructor, catch_unwind)]
    pub fn new(options: ClientOptions, store: &NativeStore) -> napi::Result<Self> {
        let client = convert::client_builder(&options)?
            .shared_store(store.inner.clone())
            .build()
            .map_err(|e| to_napi(&e))?;
        Ok(NativeClient { inner: client })
    }

    /// Sends one call; resolves with `{status, headers, body, attempts,
    /// fromStore, idempotencyKey, url, jsonError}`, rejects with an error payload.
    #[allow(clippy::too_many_arguments)]
    #[napi(catch_unwind, ts_return_type = "Promise<NativeResponse>")]
    pub fn request<'env>(
        &self,
        env: &'env Env,
        method: String,
        path: String,
        body: Option<BodyArg>,
        content_type: Option<String>,
        headers: Option<Vec<String>>,
        query: Option<Vec<String>>,
        options: Option<CallOptions>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Object<'env>>> {
        let args = CallArgs { method, path, body, content_type, headers, query, options };
        let request = convert::request(&self.inner, args)?;
        let cancel = cancel.map(CancelToken::handle);
        let call = async move { request.send().await.map(NativeResponse::from_core).map_err(|e| to_napi(&e)) };
        env.spawn_future_with_callback(guard(call, cancel), |env, response| response.into_js(env))
    }

    /// Sends a call that may answer `202 Accepted`; resolves with the operation.
    #[allow(clippy::too_many_arguments)]
    #[napi(catch_unwind, ts_return_type = "Promise<NativeOperation>")]
    pub fn send_operation<'env>(
        &self,
        env: &'env Env,
        method: String,
        path: String,
        body: Option<BodyArg>,
        content_type: Option<String>,
        headers: Option<Vec<String>>,
        query: Option<Vec<String>>,
        options: Option<CallOptions>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, NativeOperation>> {
        let args = CallArgs { method, path, body, content_type, headers, query, options };
        let request = convert::request(&self.inner, args)?;
        let cancel = cancel.map(CancelToken::handle);
        let client = self.inner.clone();
        let call = async move {
            let operation = request.send_operation::<serde_json::Value>().await.map_err(|e| to_napi(&e))?;
            Ok(NativeOperation::new(client, operation))
        };
        env.spawn_future(guard(call, cancel))
    }

    /// Continues an operation from its resume token (no network call).
    #[napi(catch_unwind)]
    pub fn resume_operation(&self, token: String) -> napi::Result<NativeOperation> {
        let operation = oncely::Operation::resume(&self.inner, &token).map_err(|e| to_napi(&e))?;
        Ok(NativeOperation::new(self.inner.clone(), operation))
    }

    /// The base URL calls are resolved against.
    #[napi(getter, catch_unwind)]
    pub fn base_url(&self) -> String {
        self.inner.base_url().to_string()
    }
}
