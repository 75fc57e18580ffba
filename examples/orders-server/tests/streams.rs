//! The streamed routes (`openapi/streaming.yaml`): an order's changes as
//! server-sent events that resume after `Last-Event-ID`, the NDJSON export,
//! the `cut_stream` and `content_type` faults, and the open-stream count.

mod common;

use std::time::Duration;

use common::{client, create_order, post, server};
use orders_server::{Fault, FaultRule, Outcome};
use serde_json::{json, Value};

/// Reads a whole body, or the part that arrived before the connection broke
/// (and whether it broke).
async fn read_all(mut response: reqwest::Response) -> (String, bool) {
    let mut text = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => text.extend_from_slice(&chunk),
            Ok(None) => return (String::from_utf8(text).unwrap(), false),
            Err(_) => return (String::from_utf8(text).unwrap(), true),
        }
    }
}

/// The `(id, event)` pairs of an event-stream text.
fn ids_and_kinds(text: &str) -> Vec<(String, String)> {
    text.split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let field = |name: &str| {
                block
                    .lines()
                    .find_map(|line| line.strip_prefix(&format!("{name}: ")))
                    .unwrap_or_default()
                    .to_owned()
            };
            (field("id"), field("event"))
        })
        .collect()
}

/// An order with three changes: created, reserved, cancelled.
async fn order_with_history(
    http: &reqwest::Client,
    server: &orders_server::RunningServer,
    name: &str,
) -> String {
    let order = create_order(http, server, &format!("{name}-create")).await;
    let id = order["id"].as_str().unwrap().to_owned();
    let base = server.base_url();
    let reserve = format!("{base}/orders/{id}/reservations");
    let r = post(http, reserve, Some(&format!("{name}-reserve")), &json!({})).await;
    assert_eq!(r.status(), 201);
    let cancel = format!("{base}/orders/{id}/cancel");
    let r = post(http, cancel, Some(&format!("{name}-cancel")), &json!({})).await;
    assert_eq!(r.status(), 200);
    id
}

#[tokio::test]
async fn events_of_a_cancelled_order_are_sent_in_order_then_the_stream_ends() {
    let server = server().await;
    let http = client();
    let id = order_with_history(&http, &server, "sse-all").await;
    let response = http
        .get(format!("{}/orders/{id}/events", server.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let (text, broke) = read_all(response).await;
    assert!(!broke, "{text}");
    let events = ids_and_kinds(&text);
    let kinds: Vec<&str> = events.iter().map(|(_, kind)| kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["order_created", "inventory_reserved", "order_cancelled"]
    );
    assert!(text.starts_with("id: "), "{text}");
    assert_eq!(text.matches("retry: 1000\n").count(), 1, "{text}");
    let data: Value = serde_json::from_str(
        text.lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .next_back()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(data["order_status"], "cancelled");
    assert_eq!(data["order_id"], id.as_str());
}

#[tokio::test]
async fn last_event_id_resumes_after_that_event_and_is_logged() {
    let server = server().await;
    let http = client();
    let id = order_with_history(&http, &server, "sse-resume").await;
    let url = format!("{}/orders/{id}/events", server.base_url());
    let (all, _) = read_all(http.get(&url).send().await.unwrap()).await;
    let all = ids_and_kinds(&all);
    let (first_id, _) = &all[0];
    let response = http
        .get(&url)
        .header("Last-Event-ID", first_id)
        .send()
        .await
        .unwrap();
    let (rest, _) = read_all(response).await;
    assert_eq!(ids_and_kinds(&rest), all[1..]);
    let logged = server.requests();
    assert_eq!(
        logged.last().unwrap().last_event_id.as_deref(),
        Some(first_id.as_str())
    );
    assert_eq!(logged[logged.len() - 2].last_event_id, None);

    let bad = http
        .get(&url)
        .header("Last-Event-ID", "x")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
}

#[tokio::test]
async fn a_cut_stream_breaks_off_after_n_events() {
    let server = server().await;
    let http = client();
    let id = order_with_history(&http, &server, "sse-cut").await;
    server.add_fault(FaultRule::new(
        "GET /orders/{order_id}/events",
        Fault::CutStream { after: 2 },
    ));
    let url = format!("{}/orders/{id}/events", server.base_url());
    let (text, broke) = read_all(http.get(&url).send().await.unwrap()).await;
    assert!(broke, "the body must fail, not end: {text:?}");
    assert_eq!(ids_and_kinds(&text).len(), 2, "{text}");
    let record = server.requests().pop().unwrap();
    assert_eq!(record.fault, Some(Fault::CutStream { after: 2 }));
    assert_eq!(record.status, Outcome::Status(200));
    // The rule fired once: the next stream is whole.
    let (text, broke) = read_all(http.get(&url).send().await.unwrap()).await;
    assert!(!broke);
    assert_eq!(ids_and_kinds(&text).len(), 3);
}

#[tokio::test]
async fn a_content_type_fault_relabels_the_answer() {
    let server = server().await;
    let http = client();
    let id = order_with_history(&http, &server, "sse-type").await;
    server.add_fault(FaultRule::new(
        "GET /orders/{order_id}/events",
        Fault::ContentType {
            content_type: "application/json".into(),
        },
    ));
    let url = format!("{}/orders/{id}/events", server.base_url());
    let response = http.get(&url).send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "application/json");
    let rule: FaultRule = serde_json::from_value(json!({
        "route": "GET /orders/export",
        "fault": {"kind": "cut_stream", "after": 1}
    }))
    .unwrap();
    assert_eq!(rule.fault.label(), "cut_stream");
    let bad: Result<FaultRule, _> = serde_json::from_value(json!({
        "route": "*", "fault": {"kind": "content_type", "content_type": "a\nb"}
    }));
    assert!(bad.unwrap().validate().is_err());
}

#[tokio::test]
async fn the_export_is_one_json_line_per_order_in_creation_order() {
    let server = server().await;
    let http = client();
    let mut ids = Vec::new();
    for n in 0..3 {
        let order = create_order(&http, &server, &format!("export-{n}")).await;
        ids.push(order["id"].as_str().unwrap().to_owned());
    }
    let url = format!("{}/orders/export", server.base_url());
    let response = http.get(&url).send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    let (text, broke) = read_all(response).await;
    assert!(!broke);
    let exported: Vec<String> = text
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(exported, ids);
    assert!(text.ends_with('\n'));

    server.add_fault(FaultRule::new(
        "GET /orders/export",
        Fault::CutStream { after: 1 },
    ));
    let (text, broke) = read_all(http.get(&url).send().await.unwrap()).await;
    assert!(broke);
    assert_eq!(text.lines().count(), 1);
}

#[tokio::test]
async fn a_client_closing_a_live_stream_closes_it_on_the_server() {
    let server = server().await;
    let http = client();
    let order = create_order(&http, &server, "sse-live").await;
    let id = order["id"].as_str().unwrap();
    let url = format!("{}/orders/{id}/events", server.base_url());
    let mut response = http.get(&url).send().await.unwrap();
    let first = response.chunk().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("event: order_created"));
    assert_eq!(server.open_streams(), 1);

    // A change made while the stream is open arrives on it.
    let reserve = format!("{}/orders/{id}/reservations", server.base_url());
    post(&http, reserve, Some("sse-live-reserve"), &json!({})).await;
    let next = response.chunk().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&next).contains("event: inventory_reserved"));

    drop(response);
    tokio::time::timeout(Duration::from_secs(10), server.until_open_streams(0))
        .await
        .expect("the server sees the stream closed");
    let stats: Value = http
        .get(format!("{}/_admin/streams?until_open=0", server.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats, json!({"open": 0}));
}

/// Follows a `$ref` into `streaming.yaml` or `./orders.yaml`.
fn resolve<'a>(reference: &str, streaming: &'a Value, orders: &'a Value) -> Option<&'a Value> {
    let (file, pointer) = reference.split_once('#')?;
    let document = match file {
        "" => streaming,
        "./orders.yaml" => orders,
        _ => return None,
    };
    document.pointer(pointer)
}

fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_streaming_spec_describes_the_served_streams() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/");
    let load = |name: &str| -> Value {
        let text = std::fs::read_to_string(format!("{dir}{name}")).unwrap();
        serde_yaml::from_str(&text).unwrap()
    };
    let (streaming, orders) = (load("streaming.yaml"), load("orders.yaml"));
    assert_eq!(streaming["openapi"], "3.1.0");
    let mut all = Vec::new();
    refs(&streaming, &mut all);
    for reference in &all {
        assert!(
            resolve(reference, &streaming, &orders).is_some(),
            "{reference} does not resolve"
        );
    }
    let events = &streaming["paths"]["/orders/{order_id}/events"]["get"]["responses"]["200"]
        ["content"]["text/event-stream"];
    assert!(events["itemSchema"].is_object() && events["schema"].is_object());
    let export = &streaming["paths"]["/orders/export"]["get"]["responses"]["200"]["content"]
        ["application/x-ndjson"];
    assert!(export["itemSchema"].is_object() && export["schema"].is_object());

    // Every kind the spec names is one the server sends, and every path is served.
    let server = server().await;
    let http = client();
    let id = order_with_history(&http, &server, "spec").await;
    let (text, _) = read_all(
        http.get(format!("{}/orders/{id}/events", server.base_url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let kinds = streaming["components"]["schemas"]["ChangeKind"]["enum"]
        .as_array()
        .unwrap();
    for (_, kind) in ids_and_kinds(&text) {
        assert!(kinds.contains(&Value::from(kind.as_str())), "{kind}");
    }
    let export = http
        .get(format!("{}/orders/export", server.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), 200);
}
