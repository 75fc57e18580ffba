//! Long-running operations (`202 Accepted`) as a native class.
//!
//! The core's [`oncely::Operation`] does all the polling; this class only keeps
//! it between calls from JavaScript, forwards progress through a threadsafe
//! function and moves results across as JSON text (the JS layer parses it).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use napi::bindgen_prelude::PromiseRaw;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Status};
use napi_derive::napi;
use oncely::{Operation, Poll, Progress};
use serde_json::Value;
use tokio::sync::Mutex;

use crate::cancel::{guard, CancelToken};
use crate::errors::to_napi;

/// The progress of a running operation, as the status resource reports it.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct NativeProgress {
    /// The status string (`running`, `notStarted`, …; `accepted` when unknown).
    pub status: String,
    /// Percent complete (0–100), when reported.
    pub percent: Option<f64>,
    /// Polls made so far.
    pub polls: u32,
}

impl From<&Progress> for NativeProgress {
    fn from(p: &Progress) -> Self {
        NativeProgress {
            status: p.status.clone(),
            percent: p.percent,
            polls: p.polls,
        }
    }
}

/// One poll's outcome: `{done: true, result}` (result as JSON text) or
/// `{done: false, progress}`.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct NativePoll {
    /// True once the operation finished.
    pub done: bool,
    /// The result as JSON text, when done.
    pub result: Option<String>,
    /// The progress, while running.
    pub progress: Option<NativeProgress>,
}

/// A progress callback called from the tokio runtime (never throws: the JS
/// layer wraps the user's function).
pub type ProgressFn = ThreadsafeFunction<NativeProgress, (), NativeProgress, Status, false, true>;

struct State {
    /// The live operation (absent only while `wait` owns it).
    operation: Option<Operation<Value>>,
    /// The latest resume token (also kept in [`Shared::token`]).
    token: String,
    /// The result, once known.
    result: Option<Value>,
}

/// What the JS thread may read at any time without waiting for a running poll.
#[derive(Default)]
struct Shared {
    token: std::sync::Mutex<String>,
    done: AtomicBool,
}

impl Shared {
    fn set_token(&self, token: &str) {
        if let Ok(mut t) = self.token.lock() {
            token.clone_into(&mut t);
        }
    }
}

/// A long-running operation started by a `202 Accepted` answer.
#[napi]
pub struct NativeOperation {
    client: oncely::Client,
    state: Arc<Mutex<State>>,
    shared: Arc<Shared>,
}

impl NativeOperation {
    /// Wraps a core operation.
    pub fn new(client: oncely::Client, operation: Operation<Value>) -> Self {
        let token = operation.resume_token();
        let shared = Shared {
            token: std::sync::Mutex::new(token.clone()),
            done: AtomicBool::new(operation.is_done()),
        };
        let state = State {
            operation: Some(operation),
            token,
            result: None,
        };
        NativeOperation {
            client,
            state: Arc::new(Mutex::new(state)),
            shared: Arc::new(shared),
        }
    }
}

fn json_text(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// Puts a live operation back after `wait` gave it up (failure or cancel).
struct Restore<'a> {
    state: &'a mut State,
    client: &'a oncely::Client,
}

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        if self.state.operation.is_none() && self.state.result.is_none() {
            self.state.operation = Operation::resume(self.client, &self.state.token).ok();
        }
    }
}

#[napi]
impl NativeOperation {
    /// A token to continue this operation in another process (URLs and state,
    /// never credentials).
    #[napi(catch_unwind)]
    pub fn resume_token(&self) -> String {
        self.shared
            .token
            .lock()
            .map(|t| t.clone())
            .unwrap_or_default()
    }

    /// True once the result is known.
    #[napi(getter, catch_unwind)]
    pub fn is_done(&self) -> bool {
        self.shared.done.load(Ordering::SeqCst)
    }

    /// Polls the status resource once.
    #[napi(catch_unwind, ts_return_type = "Promise<NativePoll>")]
    pub fn poll_once<'env>(
        &self,
        env: &'env Env,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, NativePoll>> {
        let (state, shared) = (self.state.clone(), self.shared.clone());
        let client = self.client.clone();
        let call = async move {
            let mut state = state.lock().await;
            if let Some(result) = &state.result {
                return Ok(NativePoll {
                    done: true,
                    result: Some(json_text(result)),
                    progress: None,
                });
            }
            if state.operation.is_none() {
                state.operation =
                    Some(Operation::resume(&client, &state.token).map_err(|e| to_napi(&e))?);
            }
            let operation = state.operation.as_mut().expect("set above");
            let outcome = operation.poll_once().await;
            state.token = state
                .operation
                .as_ref()
                .map(Operation::resume_token)
                .unwrap_or_default();
            shared.set_token(&state.token);
            match outcome.map_err(|e| to_napi(&e))? {
                Poll::Done(value) => {
                    let text = json_text(&value);
                    state.result = Some(value);
                    shared.done.store(true, Ordering::SeqCst);
                    Ok(NativePoll {
                        done: true,
                        result: Some(text),
                        progress: None,
                    })
                }
                Poll::Pending(progress) => Ok(NativePoll {
                    done: false,
                    result: None,
                    progress: Some((&progress).into()),
                }),
            }
        };
        env.spawn_future(guard(call, cancel.map(CancelToken::handle)))
    }

    /// Polls until the operation ends; resolves with the result as JSON text.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn wait<'env>(
        &self,
        env: &'env Env,
        on_progress: Option<ProgressFn>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let (state, shared) = (self.state.clone(), self.shared.clone());
        let client = self.client.clone();
        let call = async move {
            let mut guard_state = state.lock().await;
            if let Some(result) = &guard_state.result {
                return Ok(json_text(result));
            }
            let restore = Restore {
                state: &mut guard_state,
                client: &client,
            };
            let operation = match restore.state.operation.take() {
                Some(op) => op,
                None => {
                    Operation::resume(&client, &restore.state.token).map_err(|e| to_napi(&e))?
                }
            };
            restore.state.token = operation.resume_token();
            let outcome = operation
                .wait_with_progress(|p| {
                    if let Some(callback) = &on_progress {
                        callback.call(p.into(), ThreadsafeFunctionCallMode::NonBlocking);
                    }
                })
                .await;
            let value = outcome.map_err(|e| to_napi(&e))?;
            let text = json_text(&value);
            restore.state.result = Some(value);
            shared.done.store(true, Ordering::SeqCst);
            drop(restore);
            Ok(text)
        };
        env.spawn_future(guard(call, cancel.map(CancelToken::handle)))
    }
}
