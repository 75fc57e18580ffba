//! The same traces and metrics exported over OTLP/gRPC. The exporter runs on
//! oncely's own runtime: telemetry is installed here from plain synchronous
//! code (no runtime), the calls then run — and flush — inside a
//! current-thread runtime, whose blocked thread must not stall the export.

mod telemetry_common;

use oncely::telemetry::{Protocol, TraceContext};
use orders_server::{Fault, FaultRule, ServerConfig};
use serde_json::{json, Value};
use telemetry_common::*;
use tracing::Instrument;

#[test]
fn a_retried_call_arrives_over_grpc() {
    // Installed outside any runtime, as a synchronous `main` would.
    let sink = sink(Protocol::Grpc);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(retried_call(sink));
}

async fn retried_call(sink: &'static otlp_sink::Sink) {
    let server = orders_server::spawn(ServerConfig::default())
        .await
        .expect("server");
    server.add_fault(FaultRule::new("POST /orders", Fault::status(503)));
    let client = client(&server.base_url());
    let root = tracing::info_span!("test.grpc");
    let trace = async {
        client
            .post("/orders")
            .query("api_key", QUERY_KEY)
            .json(&json!({"customer_id": "c_1", "items": [{"sku": "A-1", "quantity": 1}], "currency": "EUR"}))
            .send()
            .await
            .expect("created after a 503");
        TraceContext::current().expect("recorded").trace_id()
    }
    .instrument(root)
    .await;

    let spans = spans_of(sink, &trace);
    assert!(spans.iter().all(|s| s.via == "grpc"), "{spans:?}");
    let root = one(&spans, "test.grpc");
    let call = one(&spans, "oncely.call");
    assert_eq!(call.parent_span_id, root.span_id);
    let attempts: Vec<_> = spans.iter().filter(|s| s.name == "POST /orders").collect();
    assert_eq!(attempts.len(), 2, "{:?}", names(&spans));
    assert!(attempts
        .iter()
        .all(|a| a.parent_span_id == call.span_id && a.kind == "client"));
    let mut resends: Vec<_> = attempts
        .iter()
        .filter_map(|a| attr(a, "http.request.resend_count").and_then(Value::as_i64))
        .collect();
    resends.sort();
    assert_eq!(resends, vec![0, 1]);
    let backoff = one(&spans, "oncely.backoff");
    assert_eq!(backoff.parent_span_id, call.span_id);
    assert_no_secrets(&spans);

    let attempts_counted = points(sink, "oncely.client.attempts");
    assert!(
        attempts_counted
            .iter()
            .any(|p| p.via == "grpc" && p.attributes.get("oncely.outcome") == Some(&json!("5xx"))),
        "{attempts_counted:?}"
    );
}
