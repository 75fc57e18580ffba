//! What the overhead benchmarks share: the echo server and the request body.

use axum::routing::{get, post};
use axum::{Json, Router};
use oncely::{Client, MemoryStore, SqliteStore};
use serde_json::{json, Value};

/// Everything a benchmark calls: the runtime, the echo server's URL, a raw
/// `reqwest` client and oncely clients with a memory and a SQLite store.
pub struct Setup {
    pub rt: tokio::runtime::Runtime,
    pub base: String,
    pub raw: reqwest::Client,
    pub memory: Client,
    pub sqlite: Client,
    /// Holds the SQLite file.
    _dir: tempfile::TempDir,
}

/// Starts the echo server on a two-worker runtime and builds the clients.
pub fn setup() -> Setup {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let base = rt.block_on(echo_server());
    let raw = reqwest::Client::builder()
        .tcp_nodelay(true)
        .build()
        .expect("reqwest");
    let dir = tempfile::tempdir().expect("tempdir");
    let memory = Client::builder(&base)
        .store(MemoryStore::new())
        .build()
        .expect("client");
    let sqlite = Client::builder(&base)
        .store(SqliteStore::open(dir.path().join("bench.db")).expect("sqlite"))
        .build()
        .expect("client");
    Setup {
        rt,
        base,
        raw,
        memory,
        sqlite,
        _dir: dir,
    }
}

/// A ~300-byte order, the body of every POST.
pub fn payload() -> Value {
    json!({"customer_id": "cus_bench", "currency": "EUR",
           "items": [{"sku": "sku-1", "quantity": 2}, {"sku": "sku-2", "quantity": 1}],
           "note": "x".repeat(120)})
}

/// A minimal axum server on loopback (so server work does not hide client
/// cost): `GET /orders/{id}` answers a small order, `POST /orders` echoes.
/// Returns its base URL.
pub async fn echo_server() -> String {
    let app =
        Router::new()
            .route(
                "/orders/{id}",
                get(|| async { Json(json!({"id": "o_1", "status": "created"})) }),
            )
            .route(
                "/orders",
                post(|Json(body): Json<Value>| async move {
                    (axum::http::StatusCode::CREATED, Json(body))
                }),
            );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    format!("http://{addr}")
}
