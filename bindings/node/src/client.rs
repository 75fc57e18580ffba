//! The native client and store classes the JS `Client` wraps.
//!
//! Every call is built on the JS thread (cheap: no I/O), then sent on the
//! Rust tokio runtime; the promise settles back on the JS thread. The event
//! loop never waits for the network, the store or the retry delays.

use std::sync::Arc;

use napi::bindgen_prelude::{Function, PromiseRaw};
use napi::Env;
use napi_derive::napi;

use crate::cancel::{guard, CancelToken};
use oncely_bindings_common::store;

use crate::convert::{self, BodyArg, CallArgs, CallOptions, ClientOptions, NativeResponse};
use crate::errors::{invalid_arg, to_napi};
use crate::operation::NativeOperation;
use crate::pages::{self, NativePages, PagesOptions};
use crate::settle::{SettleArgs, Settler};
use crate::stream::{
    open_events, open_lines, stream_options, NativeEventStream, NativeLineStream, StreamOptions,
};

/// An idempotency store, shareable between clients (and with workflows).
#[napi]
#[derive(Debug, Clone)]
pub struct NativeStore {
    pub(crate) inner: Arc<dyn oncely::Store>,
    description: String,
}

#[napi]
impl NativeStore {
    /// Opens a store that needs no network: `memory`, or a SQLite file
    /// (`sqlite:PATH` or a plain path). PostgreSQL needs [`connect`](Self::connect).
    #[napi(factory, catch_unwind)]
    pub fn open(spec: String) -> napi::Result<Self> {
        match store::open_local(&spec) {
            Some(opened) => Ok(Self::from_opened(opened.map_err(|e| to_napi(&e))?)),
            None => Err(invalid_arg(
                "store",
                "a PostgreSQL store connects over the network: use `await Store.connect(url)`",
            )),
        }
    }

    /// Opens any store, PostgreSQL (`postgres://…`) included, without blocking.
    #[napi(catch_unwind, ts_return_type = "Promise<NativeStore>")]
    pub fn connect(env: &Env, spec: String) -> napi::Result<PromiseRaw<'_, NativeStore>> {
        if !store::needs_network(&spec) {
            let store = Self::open(spec);
            return env.spawn_future(async move { store });
        }
        let call = async move {
            let opened = store::open(&spec).await.map_err(|e| to_napi(&e))?;
            Ok(Self::from_opened(opened))
        };
        env.spawn_future(guard(call, None))
    }

    /// True when opening `spec` connects over the network (PostgreSQL), so
    /// it must go through [`connect`](Self::connect).
    #[napi(catch_unwind)]
    pub fn needs_network(spec: String) -> bool {
        store::needs_network(&spec)
    }

    /// What the store is (`memory`, `sqlite:PATH`, `postgres:HOST/DB`), without secrets.
    #[napi(getter, catch_unwind)]
    pub fn description(&self) -> String {
        self.description.clone()
    }
}

impl NativeStore {
    fn from_opened(opened: store::OpenedStore) -> Self {
        NativeStore {
            inner: opened.store,
            description: opened.description,
        }
    }
}

/// The native client: one connection pool, retry budget, circuit breaker and
/// store shared by every call made through it.
#[napi]
pub struct NativeClient {
    pub(crate) inner: oncely::Client,
    settler: Settler,
}

#[napi]
impl NativeClient {
    /// Builds a client; invalid options are a `TypeError` naming the option.
    /// `settle(id, error, response)` receives the outcome of every
    /// [`request`](Self::request) (see [`crate::settle`]).
    #[napi(constructor, catch_unwind)]
    pub fn new(
        options: ClientOptions,
        store: &NativeStore,
        #[napi(
            ts_arg_type = "(id: number, error: string | null, response: [number, number, number, string | null, string, string, Buffer, string | null] | null) => void"
        )]
        settle: Function<'_, SettleArgs, ()>,
    ) -> napi::Result<Self> {
        let client = convert::build_client(options, store.inner.clone())?;
        Ok(NativeClient {
            inner: client,
            settler: Settler::new(settle)?,
        })
    }

    /// Sends one call and returns at once; `settle(id, …)` receives the
    /// response as a [`crate::convert::JsResponse`] array, or the error
    /// payload's message.
    #[allow(clippy::too_many_arguments)]
    #[napi(catch_unwind)]
    pub fn request(
        &self,
        env: &Env,
        id: u32,
        method: String,
        path: String,
        body: Option<BodyArg>,
        content_type: Option<String>,
        headers: Option<Vec<String>>,
        query: Option<Vec<String>>,
        options: Option<CallOptions>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<()> {
        let args = CallArgs {
            method,
            path,
            body,
            content_type,
            headers,
            query,
            options,
        };
        let request = convert::prepare(&self.inner, args)?;
        let cancel = cancel.map(CancelToken::handle);
        let call = async move {
            request
                .send()
                .await
                .map(NativeResponse::from_core)
                .map_err(|e| to_napi(&e))
        };
        self.settler.spawn(env, id, guard(call, cancel))
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
        let args = CallArgs {
            method,
            path,
            body,
            content_type,
            headers,
            query,
            options,
        };
        let request = convert::prepare(&self.inner, args)?;
        let cancel = cancel.map(CancelToken::handle);
        let client = self.inner.clone();
        let call = async move {
            let operation = request
                .send_operation::<serde_json::Value>()
                .await
                .map_err(|e| to_napi(&e))?;
            Ok(NativeOperation::new(client, operation))
        };
        env.spawn_future(guard(call, cancel))
    }

    /// Sends a call and resolves with its `text/event-stream` answer, read
    /// event by event (see [`crate::stream`]).
    #[allow(clippy::too_many_arguments)]
    #[napi(catch_unwind, ts_return_type = "Promise<NativeEventStream>")]
    pub fn stream_events<'env>(
        &self,
        env: &'env Env,
        method: String,
        path: String,
        body: Option<BodyArg>,
        content_type: Option<String>,
        headers: Option<Vec<String>>,
        query: Option<Vec<String>>,
        options: Option<CallOptions>,
        stream: Option<StreamOptions>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, NativeEventStream>> {
        let args = CallArgs {
            method,
            path,
            body,
            content_type,
            headers,
            query,
            options,
        };
        let request = convert::prepare(&self.inner, args)?;
        let spec = stream_options(stream)?;
        let cancel = cancel.map(CancelToken::handle);
        env.spawn_future(guard(open_events(request, spec), cancel))
    }

    /// Sends a call and resolves with its JSON lines answer, read line by line.
    #[allow(clippy::too_many_arguments)]
    #[napi(catch_unwind, ts_return_type = "Promise<NativeLineStream>")]
    pub fn stream_lines<'env>(
        &self,
        env: &'env Env,
        method: String,
        path: String,
        body: Option<BodyArg>,
        content_type: Option<String>,
        headers: Option<Vec<String>>,
        query: Option<Vec<String>>,
        options: Option<CallOptions>,
        stream: Option<StreamOptions>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, NativeLineStream>> {
        let args = CallArgs {
            method,
            path,
            body,
            content_type,
            headers,
            query,
            options,
        };
        let request = convert::prepare(&self.inner, args)?;
        let spec = stream_options(stream)?;
        let cancel = cancel.map(CancelToken::handle);
        env.spawn_future(guard(open_lines(request, spec), cancel))
    }

    /// The pages of a list operation: `spec_json` is the JSON text of the
    /// core's `PageSpec`; each page is one call of the rest. Nothing is sent
    /// until a page or an item is asked for; bad input is thrown at once.
    #[allow(clippy::too_many_arguments)]
    #[napi(catch_unwind)]
    pub fn pages(
        &self,
        method: String,
        path: String,
        spec_json: String,
        body: Option<BodyArg>,
        content_type: Option<String>,
        headers: Option<Vec<String>>,
        query: Option<Vec<String>>,
        options: Option<CallOptions>,
        pages_options: Option<PagesOptions>,
    ) -> napi::Result<NativePages> {
        let args = CallArgs {
            method,
            path,
            body,
            content_type,
            headers,
            query,
            options,
        };
        pages::open(&self.inner, args, &spec_json, pages_options)
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
