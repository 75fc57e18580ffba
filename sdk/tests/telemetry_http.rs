//! Traces and metrics exported over OTLP/HTTP (protobuf) to a sink the test
//! starts: a retried call is one call span with an attempt span per try (the
//! semantic-convention attributes, resend counts, statuses, `error.type`),
//! backoff spans between them, the caller's span as parent, a `traceparent`
//! per attempt on the wire naming that attempt's exported span, no secret
//! in any attribute; and the metrics of the same calls.

mod telemetry_common;

use oncely::telemetry::{Protocol, TraceContext};
use orders_server::{Fault, FaultRule, RunningServer, ServerConfig};
use serde_json::{json, Value};
use telemetry_common::*;
use tracing::Instrument;

async fn server() -> RunningServer {
    orders_server::spawn(ServerConfig::default())
        .await
        .expect("server")
}

fn order() -> Value {
    json!({"customer_id": "c_1", "items": [{"sku": "A-1", "quantity": 1}], "currency": "EUR"})
}

/// The `traceparent`s the server received for `method path`, in order.
fn traceparents(server: &RunningServer, method: &str, path: &str) -> Vec<Option<String>> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.method == method && r.path == path)
        .map(|r| r.traceparent)
        .collect()
}

#[tokio::test]
async fn a_retried_call_is_a_call_span_with_an_attempt_span_per_try() {
    let sink = sink(Protocol::HttpProtobuf);
    let server = server().await;
    server.add_fault(FaultRule::new("POST /orders", Fault::status(503)).times(2));
    let client = client(&server.base_url());

    let root = tracing::info_span!("test.checkout");
    let (root_cx, response) = async {
        let cx = TraceContext::current().expect("the caller's span is recorded");
        let response = client
            .post("/orders")
            .query("api_key", QUERY_KEY)
            .json(&order())
            .intent_id("telemetry-retried-1")
            .send()
            .await;
        (cx, response)
    }
    .instrument(root)
    .await;
    let response = response.expect("created after two 503s");
    assert_eq!(response.attempts(), 3);

    let spans = spans_of(sink, &root_cx.trace_id());
    let root = one(&spans, "test.checkout");
    let call = one(&spans, "oncely.call");
    assert_eq!(
        call.parent_span_id, root.span_id,
        "the caller's span parents the call"
    );
    assert_eq!(attr(call, "http.request.method"), Some(&json!("POST")));
    assert_eq!(attr(call, "url.template"), Some(&json!("/orders")));
    assert_eq!(
        attr(call, "oncely.intent_id"),
        Some(&json!("telemetry-retried-1"))
    );
    assert_eq!(attr(call, "http.response.status_code"), Some(&json!(201)));
    assert!(attr(call, "oncely.idempotency_key").is_some(), "{call:?}");

    let mut attempts: Vec<_> = spans.iter().filter(|s| s.name == "POST /orders").collect();
    attempts.sort_by_key(|s| attr(s, "http.request.resend_count").and_then(Value::as_i64));
    assert_eq!(
        attempts.len(),
        3,
        "an attempt span per try: {:?}",
        names(&spans)
    );
    let port = server
        .base_url()
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .parse::<i64>()
        .unwrap();
    for (i, attempt) in attempts.iter().enumerate() {
        assert_eq!(attempt.kind, "client", "{attempt:?}");
        assert_eq!(
            attempt.parent_span_id, call.span_id,
            "attempts are children of the call"
        );
        assert_eq!(attr(attempt, "http.request.resend_count"), Some(&json!(i)));
        assert_eq!(attr(attempt, "http.request.method"), Some(&json!("POST")));
        assert_eq!(attr(attempt, "server.address"), Some(&json!("127.0.0.1")));
        assert_eq!(attr(attempt, "server.port"), Some(&json!(port)));
        let url = attr(attempt, "url.full")
            .and_then(Value::as_str)
            .expect("url.full");
        assert!(url.ends_with("/orders?api_key=REDACTED"), "{url}");
    }
    for failed in &attempts[..2] {
        assert_eq!(attr(failed, "http.response.status_code"), Some(&json!(503)));
        assert_eq!(attr(failed, "error.type"), Some(&json!("503")));
        assert_eq!(failed.status, "error");
        assert!(attr(failed, "oncely.retry.reason").is_some(), "{failed:?}");
    }
    assert_eq!(
        attr(attempts[2], "http.response.status_code"),
        Some(&json!(201))
    );
    assert_eq!(attr(attempts[2], "error.type"), None);
    assert_ne!(attempts[2].status, "error");

    let backoffs: Vec<_> = spans
        .iter()
        .filter(|s| s.name == "oncely.backoff")
        .collect();
    assert_eq!(
        backoffs.len(),
        2,
        "a backoff span per wait: {:?}",
        names(&spans)
    );
    for backoff in backoffs {
        assert_eq!(backoff.parent_span_id, call.span_id);
        let reason = attr(backoff, "oncely.retry.reason")
            .and_then(Value::as_str)
            .unwrap();
        assert!(reason.contains("503"), "{reason}");
        assert!(attr(backoff, "oncely.retry.delay_ms").is_some());
    }

    // On the wire: each attempt carried the call's trace and its own span id.
    let sent = traceparents(&server, "POST", "/orders");
    assert_eq!(sent.len(), 3);
    for (attempt, header) in attempts.iter().zip(&sent) {
        let header = header.as_deref().expect("a traceparent on every attempt");
        let cx = TraceContext::parse(header, None).expect("a valid traceparent");
        assert_eq!(cx.trace_id(), root_cx.trace_id());
        assert_eq!(
            cx.span_id(),
            attempt.span_id,
            "the attempt's exported span id"
        );
    }
    assert_eq!(
        root.resource.get("service.name"),
        Some(&json!("oncely-telemetry-tests"))
    );
    assert_no_secrets(&spans);
}

#[tokio::test]
async fn a_remote_trace_context_parents_the_call() {
    let sink = sink(Protocol::HttpProtobuf);
    let server = server().await;
    let client = client(&server.base_url());
    let parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    let created: Value = client
        .post("/orders")
        .json(&order())
        .trace_context(parent, Some("vendor=abc"))
        .send_json()
        .await
        .expect("created");
    assert!(created["id"].is_string());

    let spans = spans_of(sink, "0af7651916cd43dd8448eb211c80319c");
    let call = one(&spans, "oncely.call");
    assert_eq!(call.parent_span_id, "b7ad6b7169203331");
    let attempt = one(&spans, "POST /orders");
    assert_eq!(attempt.parent_span_id, call.span_id);
    let sent = traceparents(&server, "POST", "/orders");
    let cx = TraceContext::parse(sent[0].as_deref().expect("sent"), None).unwrap();
    assert_eq!(cx.trace_id(), "0af7651916cd43dd8448eb211c80319c");
    assert_eq!(cx.span_id(), attempt.span_id);
    let state: Vec<_> = server
        .requests()
        .into_iter()
        .map(|r| r.tracestate)
        .collect();
    assert_eq!(state, vec![Some("vendor=abc".to_string())]);
}

#[tokio::test]
async fn an_invalid_trace_context_is_ignored() {
    let sink = sink(Protocol::HttpProtobuf);
    let server = server().await;
    let client = client(&server.base_url());
    client
        .get("/orders/{order_id}")
        .path_param("order_id", "ord_missing")
        .trace_context("00-not-a-trace-01", None)
        .send()
        .await
        .expect_err("404");
    // A root call span of its own trace, sent with its own context.
    let sent = server.requests()[0]
        .traceparent
        .clone()
        .expect("a traceparent");
    let cx = TraceContext::parse(&sent, None).unwrap();
    let spans = spans_of(sink, &cx.trace_id());
    let call = one(&spans, "oncely.call");
    assert_eq!(call.parent_span_id, "");
    let attempt = one(&spans, "GET /orders/{order_id}");
    assert_eq!(attr(attempt, "error.type"), Some(&json!("404")));
}

#[tokio::test]
async fn metrics_count_attempts_retries_and_delays() {
    let sink = sink(Protocol::HttpProtobuf);
    let server = server().await;
    server.add_fault(FaultRule::new("POST /orders", Fault::status(503)).times(2));
    let client = client(&server.base_url());
    client
        .post("/orders")
        .json(&order())
        .send()
        .await
        .expect("created after two 503s");

    let total = |name: &str, filter: &dyn Fn(&otlp_sink::Point) -> bool| {
        points(sink, name)
            .iter()
            .filter(|p| filter(p))
            .map(|p| p.value.or(p.count.map(|c| c as f64)).unwrap_or(0.0))
            .fold(0.0, f64::max)
    };
    let failed = total("oncely.client.attempts", &|p| {
        p.attributes.get("oncely.outcome") == Some(&json!("5xx"))
            && p.attributes.get("http.request.method") == Some(&json!("POST"))
            && p.attributes.get("server.address") == Some(&json!("127.0.0.1"))
    });
    assert!(failed >= 2.0, "failed attempts counted: {failed}");
    let ok = total("oncely.client.attempts", &|p| {
        p.attributes.get("oncely.outcome") == Some(&json!("ok"))
    });
    assert!(ok >= 1.0, "{ok}");
    let retries = total("oncely.client.retries", &|p| {
        p.attributes
            .get("oncely.retry.reason")
            .and_then(Value::as_str)
            .is_some_and(|r| r.contains("503"))
    });
    assert!(retries >= 2.0, "retries by reason: {retries}");
    let delays = total("oncely.client.retry.delay", &|p| p.kind == "histogram");
    assert!(delays >= 2.0, "delay histogram count: {delays}");
    assert!(!points(sink, "oncely.client.operation.duration").is_empty());
    assert!(
        points(sink, "oncely.client.breaker.state")
            .iter()
            .any(|p| p.value == Some(0.0)),
        "the breaker gauge reports the closed circuit"
    );
    assert!(!points(sink, "oncely.client.budget.tokens").is_empty());
}
