//! An outbox delivery exported over OTLP: the dispatcher's
//! `oncely.outbox.deliver` span (row, attempt, intent id, template) is the
//! parent of the call it makes, whose attempts carry the delivery's trace on
//! the wire; no credential is exported.

mod telemetry_common;

use oncely::outbox::sqlite::{self, rusqlite};
use oncely::outbox::{Dispatcher, Outbox, OutboxCall};
use oncely::telemetry::Protocol;
use orders_server::{Fault, FaultRule, ServerConfig};
use serde_json::json;
use telemetry_common::*;

#[tokio::test]
async fn a_delivery_is_a_span_around_its_call_and_attempts() {
    let sink = sink(Protocol::HttpProtobuf);
    let server = orders_server::spawn(ServerConfig::default())
        .await
        .expect("server");
    server.add_fault(FaultRule::new("POST /orders", Fault::status(503)).times(1));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let outbox = Outbox::sqlite(&path).expect("outbox");
    let conn = rusqlite::Connection::open(&path).unwrap();
    let call = OutboxCall::post("/orders")
        .json(&json!({"customer_id": "c_1", "items": [{"sku": "A-1", "quantity": 1}], "currency": "EUR"}))
        .unwrap()
        .intent_id("telemetry-outbox-1");
    let row = sqlite::enqueue(&conn, &call).unwrap();

    let report = Dispatcher::new(outbox, client(&server.base_url()))
        .drain()
        .await
        .expect("drained");
    assert_eq!(report.delivered, 1, "{report:?}");

    oncely::telemetry::flush().expect("flushed");
    let delivery = sink
        .spans()
        .into_iter()
        .find(|s| {
            s.name == "oncely.outbox.deliver"
                && attr(s, "oncely.intent_id") == Some(&json!("telemetry-outbox-1"))
        })
        .expect("a delivery span for the row's intent");
    assert_eq!(attr(&delivery, "outbox.row"), Some(&json!(row)));
    assert_eq!(attr(&delivery, "url.template"), Some(&json!("/orders")));
    assert_eq!(attr(&delivery, "http.request.method"), Some(&json!("POST")));

    let spans = spans_of(sink, &delivery.trace_id);
    let call = one(&spans, "oncely.call");
    assert_eq!(call.parent_span_id, delivery.span_id);
    let attempts: Vec<_> = spans
        .iter()
        .filter(|s| s.parent_span_id == call.span_id && s.kind == "client")
        .collect();
    assert_eq!(attempts.len(), 2, "{:#?}", names(&spans));
    // The attempts went out in the delivery's trace, each naming its span.
    let sent: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == "/orders")
        .map(|r| r.traceparent.expect("a traceparent per attempt"))
        .collect();
    assert_eq!(sent.len(), 2);
    for traceparent in &sent {
        let parts: Vec<&str> = traceparent.split('-').collect();
        assert_eq!(parts[1], delivery.trace_id);
        assert!(
            attempts.iter().any(|a| a.span_id == parts[2]),
            "{traceparent} names no attempt span"
        );
    }
    assert_no_secrets(&spans);
}
