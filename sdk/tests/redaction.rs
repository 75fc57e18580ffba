//! Secrets never reach traces, logs or `Debug` output. In a test binary of its
//! own, so its global subscriber sees every span from the first call on.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use oncely::{Client, RetryPolicy};
use orders_server::{spawn, Fault, FaultRule, ServerConfig};
use serde_json::json;

/// A `tracing` writer that keeps everything in memory.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secrets_never_reach_traces_logs_or_debug_output() {
    let server = spawn(ServerConfig {
        retry_after_ms: Some(1),
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    server.add_fault(FaultRule::new(
        "POST /orders",
        Fault::service_unavailable(0),
    ));
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber)
        .expect("the only subscriber in this test binary");

    let client = Client::builder(server.base_url())
        .bearer_token("sk_live_BEARER_SECRET")
        .api_key("X-Api-Key", "APIKEY_SECRET")
        .retry_policy(RetryPolicy::default().base_delay(Duration::from_millis(1)))
        .build()
        .unwrap();
    let response = client
        .post("/orders")
        .json(&json!({"customer_id": "cus_1", "currency": "EUR", "items": [{"sku": "s", "quantity": 1}]}))
        .cookie("session", "COOKIE_SECRET")
        .header("X-Auth-Token", "TOKEN_SECRET")
        .send()
        .await
        .unwrap();
    let missing = client
        .get("/orders/{id}")
        .path_param("id", "nope")
        .send()
        .await
        .unwrap_err();

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("oncely.call"),
        "spans were not captured:\n{logs}"
    );
    assert!(
        logs.contains("retrying"),
        "the retry was not traced:\n{logs}"
    );
    let debug = format!("{client:?} {response:?} {missing:?}");
    for secret in [
        "BEARER_SECRET",
        "APIKEY_SECRET",
        "COOKIE_SECRET",
        "TOKEN_SECRET",
    ] {
        assert!(!logs.contains(secret), "{secret} leaked into traces");
        assert!(!debug.contains(secret), "{secret} leaked into Debug output");
    }
    // …while the server did receive them.
    let sent = server.requests();
    assert!(sent.iter().all(|r| r.has_authorization && r.has_api_key));
    assert!(sent.iter().any(|r| r.has_cookie));
}

#[tokio::test]
async fn cookies_the_server_sets_never_reach_debug_output() {
    use axum::http::{header, StatusCode};
    use axum::routing::get;
    let app = axum::Router::new()
        .route(
            "/ok",
            get(|| async {
                (
                    [(header::SET_COOKIE, "session=SETCOOKIE_SECRET; HttpOnly")],
                    "{}",
                )
            }),
        )
        .route(
            "/gone",
            get(|| async {
                (
                    StatusCode::NOT_FOUND,
                    [(header::SET_COOKIE, "session=SETCOOKIE_SECRET")],
                    "gone",
                )
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = Client::builder(format!("http://{addr}")).build().unwrap();

    let ok = client.get("/ok").send().await.unwrap();
    assert!(
        ok.header("set-cookie")
            .is_some_and(|v| v.contains("SETCOOKIE_SECRET")),
        "the caller can still read it"
    );
    let gone = client.get("/gone").send().await.unwrap_err();
    let pending = client.get("/ok").cookie("session", "REQUEST_COOKIE_SECRET");
    let debug = format!("{ok:?} {gone:?} {pending:?}");
    for secret in ["SETCOOKIE_SECRET", "REQUEST_COOKIE_SECRET"] {
        assert!(
            !debug.contains(secret),
            "{secret} leaked into Debug output: {debug}"
        );
    }
}
