//! What the overhead benchmarks share: the echo server and the request body.

use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

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
