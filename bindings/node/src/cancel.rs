//! Cancellation and the boundary guard every asynchronous call runs through.
//!
//! The JS layer turns an `AbortSignal` into a [`CancelToken`]: when the signal
//! fires it calls `cancel()`, and the Rust future of the call is dropped (which
//! closes its connection). A panic inside the future becomes an error, never a
//! crash.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures::FutureExt;
use napi_derive::napi;
use tokio::sync::Notify;

use crate::errors;

#[derive(Debug, Default)]
struct Inner {
    cancelled: AtomicBool,
    notify: Notify,
}

/// A one-shot cancellation switch shared between JavaScript and a running call.
#[napi]
#[derive(Debug, Default)]
pub struct CancelToken {
    inner: Arc<Inner>,
}

#[napi]
impl CancelToken {
    /// A token that has not fired.
    #[napi(constructor)]
    pub fn new() -> Self {
        Self::default()
    }

    /// Fires the token: every call watching it stops and rejects.
    #[napi(catch_unwind)]
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::SeqCst);
        self.inner.notify.notify_waiters();
    }

    /// True once [`cancel`](Self::cancel) was called.
    #[napi(getter, catch_unwind)]
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::SeqCst)
    }
}

/// The Rust side of a [`CancelToken`], owned by a running call.
#[derive(Debug, Clone)]
pub struct Cancel(Arc<Inner>);

impl CancelToken {
    /// A handle the call's future can wait on.
    pub fn handle(&self) -> Cancel {
        Cancel(self.inner.clone())
    }
}

impl Cancel {
    /// Resolves once the token fires.
    pub async fn cancelled(&self) {
        loop {
            let notified = self.0.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.0.cancelled.load(Ordering::SeqCst) {
                return;
            }
            notified.await;
        }
    }
}

/// Runs `fut` at the boundary: stops it when `cancel` fires, turns a panic
/// into an error and a core error into its JS payload.
pub async fn guard<T, F>(fut: F, cancel: Option<Cancel>) -> napi::Result<T>
where
    F: Future<Output = Result<T, napi::Error>>,
{
    let fut = AssertUnwindSafe(fut).catch_unwind();
    let outcome = match cancel {
        Some(cancel) => {
            tokio::select! {
                biased;
                _ = cancel.cancelled() => return Err(errors::aborted()),
                outcome = fut => outcome,
            }
        }
        None => fut.await,
    };
    outcome.unwrap_or_else(|panic| Err(errors::panicked(panic)))
}
