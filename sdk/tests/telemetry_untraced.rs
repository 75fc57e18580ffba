//! Without an exporter: no `traceparent` unless the caller has a trace; a
//! caller's remote context is still forwarded — its trace id, a fresh span id
//! per attempt, its `tracestate` — as W3C asks of a participant that does not
//! record; a caller's own `traceparent` header goes out unchanged.

use std::time::Duration;

use oncely::telemetry::{Telemetry, TraceContext};
use oncely::{Client, RetryPolicy};
use orders_server::{Fault, FaultRule, RunningServer, ServerConfig};
use serde_json::json;

async fn server() -> RunningServer {
    orders_server::spawn(ServerConfig::default())
        .await
        .expect("server")
}

fn client(base: &str) -> Client {
    Client::builder(base)
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(4)
                .base_delay(Duration::from_millis(1))
                .max_delay(Duration::from_millis(5)),
        )
        .build()
        .expect("client")
}

fn order() -> serde_json::Value {
    json!({"customer_id": "c_1", "items": [{"sku": "A-1", "quantity": 1}], "currency": "EUR"})
}

const PARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

#[tokio::test]
async fn nothing_configured_sends_no_trace_headers() {
    assert!(
        std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_some()
            || Telemetry::from_env().is_none(),
        "no OTLP variable, no telemetry"
    );
    assert!(oncely::telemetry::install_from_env()
        .expect("nothing to install")
        .is_none());
    let server = server().await;
    server.add_fault(FaultRule::new("POST /orders", Fault::status(503)));
    client(&server.base_url())
        .post("/orders")
        .json(&order())
        .send()
        .await
        .expect("created");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for r in requests {
        assert_eq!(r.traceparent, None);
        assert_eq!(r.tracestate, None);
    }
}

#[tokio::test]
async fn a_callers_context_is_forwarded_without_an_exporter() {
    let server = server().await;
    server.add_fault(FaultRule::new("POST /orders", Fault::status(503)).times(2));
    client(&server.base_url())
        .post("/orders")
        .json(&order())
        .trace_context(PARENT, Some("vendor=abc,other=1"))
        .send()
        .await
        .expect("created after two 503s");
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let mut span_ids = Vec::new();
    for r in &requests {
        let sent = r
            .traceparent
            .as_deref()
            .expect("forwarded on every attempt");
        let cx = TraceContext::parse(sent, None).expect("valid");
        assert_eq!(cx.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_ne!(cx.span_id(), "00f067aa0ba902b7", "a span id of its own");
        assert!(cx.is_sampled(), "the caller's flags");
        assert_eq!(r.tracestate.as_deref(), Some("vendor=abc,other=1"));
        span_ids.push(cx.span_id());
    }
    span_ids.sort();
    span_ids.dedup();
    assert_eq!(span_ids.len(), 3, "a new span id per attempt");
}

#[tokio::test]
async fn a_callers_own_traceparent_header_wins() {
    let server = server().await;
    client(&server.base_url())
        .post("/orders")
        .json(&order())
        .header("traceparent", PARENT)
        .trace_context(
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            None,
        )
        .send()
        .await
        .expect("created");
    let requests = server.requests();
    assert_eq!(requests[0].traceparent.as_deref(), Some(PARENT));
}

#[tokio::test]
async fn an_invalid_context_sends_nothing() {
    let server = server().await;
    client(&server.base_url())
        .post("/orders")
        .json(&order())
        .trace_context("00-zz-01", Some("vendor=abc"))
        .send()
        .await
        .expect("created");
    assert_eq!(server.requests()[0].traceparent, None);
    assert_eq!(server.requests()[0].tracestate, None);
}
