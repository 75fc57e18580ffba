//! Reference server for the oncely orders contract (`openapi/orders.yaml`).
//!
//! It serves the contract in memory with real idempotency-key semantics (the
//! IETF draft "The Idempotency-Key HTTP Header Field", Stripe style), `202`
//! operations that really finish, `ETag` / `If-Match`, RFC 9457 problem
//! details for every error, and **fault injection** — scripted
//! ([`FaultRule`]) or seeded ([`ChaosConfig`]) — plus a **ledger** of side
//! effects and a **request log**, so that tests can prove that nothing
//! happened twice.
//!
//! ```no_run
//! use orders_server::{spawn, Fault, FaultRule, ServerConfig};
//!
//! # async fn demo() -> std::io::Result<()> {
//! let server = spawn(ServerConfig::default()).await?;
//! // The first order is committed, but its response never arrives.
//! server.add_fault(FaultRule::new("POST /orders", Fault::DropAfterCommit));
//! println!("serving on {}", server.base_url());
//! // ... drive a client against server.base_url() ...
//! assert!(server.ledger().len() <= 1);
//! server.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Admin endpoints (not part of the contract, never faulted or logged):
//! `GET /_admin/ledger` → `{"entries": [...]}`, `GET /_admin/requests` →
//! `{"requests": [...]}`, `GET /_admin/stats`, `POST /_admin/reset`,
//! `GET|POST|DELETE /_admin/faults` (`POST` appends `{"rules": [...]}`),
//! `GET /_admin/streams` → `{"open": n}` (`?until_open=N` waits, at most
//! 10 s, until `N` streamed answers are open).
//!
//! Besides the operations of `openapi/orders.yaml` it streams
//! (`openapi/streaming.yaml`): `GET /orders/{order_id}/events`, the order's
//! changes as server-sent events that resume after `Last-Event-ID`, and
//! `GET /orders/export`, every order as NDJSON.
//!
//! `GET /_admin/webhooks` → `{"events": [...], "deliveries": [...],
//! "unsettled": n}` when [`ServerConfig::webhooks`] is set.
//!
//! With [`ServerConfig::webhooks`] the server also POSTs signed webhooks for
//! order changes ([`WebhookConfig`]), at least once.

#![warn(missing_docs)]

mod body;
mod clock;
mod config;
mod conn;
mod domain;
mod faults;
mod idempotency;
mod ledger;
mod model;
mod pipeline;
mod problem;
mod requests;
mod routes;
mod state;
mod streams;
mod webhooks;

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{ChaosConfig, ChaosMix, ServerConfig};
pub use faults::{Fault, FaultRule};
pub use idempotency::{IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED};
pub use ledger::{LedgerEntry, SideEffect};
pub use model::DECLINED_PAYMENT_METHOD;
pub use problem::{PROBLEM_JSON, PROBLEM_TYPE_BASE};
pub use requests::{Outcome, RequestRecord, Stats};
pub use state::ServerState;
pub use webhooks::{WebhookConfig, WebhookDelivery, WebhookEvent};

use conn::{AbortableListener, ConnectionHandle};

/// How long [`RunningServer::shutdown`] waits for open connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// The axum application for `state`: the contract's routes behind the
/// idempotency / fault / logging pipeline, plus the admin API.
///
/// Served with plain `axum::serve`, everything works except that dropped
/// connections are emulated by a failing response body (the status line may
/// reach the client). [`spawn`] serves it on connections that can be cut
/// before any byte of the response is sent.
pub fn router(state: ServerState) -> Router {
    routes::build(state)
}

/// Starts a server with fresh state on `127.0.0.1` and an ephemeral port.
pub async fn spawn(config: ServerConfig) -> io::Result<RunningServer> {
    spawn_with_state(ServerState::new(config)).await
}

/// Starts a server over existing state on `127.0.0.1` and an ephemeral port.
///
/// Pass a [`ServerState::sibling`] to serve the same data from a second
/// origin:
///
/// ```no_run
/// use orders_server::{spawn, spawn_with_state, ServerConfig};
///
/// # async fn demo() -> std::io::Result<()> {
/// let other = spawn(ServerConfig::default()).await?;
/// let main = spawn_with_state(other.state().sibling(ServerConfig {
///     operation_location_base: Some(other.base_url()),
///     ..ServerConfig::default()
/// }))
/// .await?;
/// // 202 responses of `main` point at `other`, which can serve the status.
/// # main.shutdown().await; other.shutdown().await; Ok(()) }
/// ```
pub async fn spawn_with_state(state: ServerState) -> io::Result<RunningServer> {
    spawn_at(state, SocketAddr::from(([127, 0, 0, 1], 0))).await
}

/// Starts a server over `state` on `addr` (port 0 picks a free port).
pub async fn spawn_at(state: ServerState, addr: SocketAddr) -> io::Result<RunningServer> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let app = router(state.clone()).into_make_service_with_connect_info::<ConnectionHandle>();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let served = axum::serve(AbortableListener::new(listener), app)
            .with_graceful_shutdown(async {
                let _ = stop_rx.await;
            })
            .await;
        if let Err(err) = served {
            tracing::error!("orders-server stopped: {err}");
        }
    });
    Ok(RunningServer {
        addr,
        state,
        stop: Some(stop_tx),
        task: Some(task),
    })
}

/// A server running in the background. Dropping it starts a graceful
/// shutdown; [`shutdown`](Self::shutdown) also waits for it.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    state: ServerState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl RunningServer {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A handle on the server's state (shared, not a copy).
    pub fn state(&self) -> ServerState {
        self.state.clone()
    }

    /// Appends a scripted fault rule.
    pub fn add_fault(&self, rule: FaultRule) {
        self.state.add_fault(rule);
    }

    /// Removes all scripted fault rules.
    pub fn clear_faults(&self) {
        self.state.clear_faults();
    }

    /// A copy of the ledger of side effects.
    pub fn ledger(&self) -> Vec<LedgerEntry> {
        self.state.ledger()
    }

    /// A copy of the request log.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.state.requests()
    }

    /// Counters over the request log and the ledger.
    pub fn stats(&self) -> Stats {
        self.state.stats()
    }

    /// How many streamed answers (event streams, exports) are open now.
    pub fn open_streams(&self) -> usize {
        self.state.open_streams()
    }

    /// Waits until exactly `n` streamed answers are open: a client that
    /// closed its stream is seen here once its connection closed.
    pub async fn until_open_streams(&self, n: usize) {
        self.state.until_open_streams(n).await;
    }

    /// Clears data, ledger, request log and faults (see [`ServerState::reset`]).
    pub fn reset(&self) {
        self.state.reset();
    }

    /// Stops accepting connections, lets open ones finish (at most 2 s), and
    /// returns when the server has stopped.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(SHUTDOWN_GRACE, task).await.is_err() {
                abort.abort();
            }
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
