//! Streamed answers on the wire, against the reference server's streaming
//! routes (`openapi/streaming.yaml`): server-sent events with reconnection
//! after `Last-Event-ID`, NDJSON items, the faults that break them, and the
//! connection closed when a stream is dropped.

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use oncely::stream::Reconnect;
use oncely::{Client, Error, RetryPolicy, ServerEvent, TransportKind};
use orders_server::{spawn, Fault, FaultRule, Outcome, RunningServer, ServerConfig};
use serde::Deserialize;
use serde_json::{json, Value};

const EVENTS: &str = "GET /orders/{order_id}/events";
const EXPORT: &str = "GET /orders/export";

async fn server() -> RunningServer {
    spawn(ServerConfig {
        // Reconnections wait the server's `retry:`: 1 ms.
        stream_retry_ms: 1,
        ..ServerConfig::default()
    })
    .await
    .unwrap()
}

fn client(server: &RunningServer) -> Client {
    Client::builder(server.base_url())
        .retry_policy(
            RetryPolicy::default()
                .base_delay(Duration::from_millis(1))
                .max_delay(Duration::from_millis(5)),
        )
        .build()
        .unwrap()
}

async fn create_order(client: &Client) -> String {
    let order: Value = client
        .post("/orders")
        .json(&json!({"customer_id": "cus_1", "currency": "EUR", "items": [{"sku": "sku-1", "quantity": 1}]}))
        .send_json()
        .await
        .unwrap();
    order["id"].as_str().unwrap().to_string()
}

/// An order with three changes — created, reserved, cancelled — whose event
/// stream therefore ends after three events.
async fn order_with_history(client: &Client) -> String {
    let id = create_order(client).await;
    for step in ["reservations", "cancel"] {
        client
            .post(format!("/orders/{{id}}/{step}"))
            .path_param("id", &id)
            .json(&json!({}))
            .send_empty()
            .await
            .unwrap();
    }
    id
}

fn events_of(client: &Client, id: &str) -> oncely::RequestBuilder {
    client.get("/orders/{id}/events").path_param("id", id)
}

async fn collect(stream: oncely::EventStream) -> Vec<ServerEvent> {
    stream.try_collect().await.unwrap()
}

/// The requests the server received for a route, in order.
fn requests_to(server: &RunningServer, route: &str) -> Vec<orders_server::RequestRecord> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.route.as_deref() == Some(route))
        .collect()
}

/// What identifies an event: its id, type and data (the server announces
/// `retry:` on the first event of every connection).
fn content(events: &[ServerEvent]) -> Vec<(Option<&str>, &str, &str)> {
    events
        .iter()
        .map(|e| (e.id.as_deref(), e.event.as_str(), e.data.as_str()))
        .collect()
}

fn kinds(events: &[ServerEvent]) -> Vec<&str> {
    events.iter().map(|e| e.event.as_str()).collect()
}

#[tokio::test]
async fn every_event_arrives_in_order_and_the_stream_ends_with_the_body() {
    let server = server().await;
    let client = client(&server);
    let id = order_with_history(&client).await;
    let stream = events_of(&client, &id).send_events().await.unwrap();
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    let events = collect(stream).await;
    assert_eq!(
        kinds(&events),
        ["order_created", "inventory_reserved", "order_cancelled"]
    );
    let ids: Vec<u64> = events
        .iter()
        .map(|e| e.id.as_deref().unwrap().parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    assert_eq!(events[0].retry, Some(Duration::from_millis(1)));
    assert_eq!(events[1].retry, None);
    let last: Value = events[2].json().unwrap();
    assert_eq!(last["order_status"], "cancelled");
    assert_eq!(last["order_id"], id.as_str());
    // One request: the clean end of the body ended the stream.
    let requests = requests_to(&server, EVENTS);
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].last_event_id, None);
}

#[tokio::test]
async fn a_cut_stream_reconnects_after_the_last_event_id_and_loses_or_repeats_nothing() {
    let server = server().await;
    let client = client(&server);
    let id = order_with_history(&client).await;
    let expected = collect(events_of(&client, &id).send_events().await.unwrap()).await;
    let before = requests_to(&server, EVENTS).len();
    server.add_fault(FaultRule::new(EVENTS, Fault::CutStream { after: 1 }));

    let mut stream = events_of(&client, &id).send_events().await.unwrap();
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        events.push(event.unwrap());
    }
    assert_eq!(content(&events), content(&expected));
    assert_eq!(stream.reconnects(), 1);
    assert_eq!(stream.last_event_id(), expected[2].id.as_deref());
    let requests = &requests_to(&server, EVENTS)[before..];
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(requests[0].last_event_id, None);
    // The second request resumed after the one event that arrived.
    assert_eq!(requests[1].last_event_id, expected[0].id);
}

#[tokio::test]
async fn a_cut_without_reconnection_is_a_transport_error_after_the_events_before_it() {
    let server = server().await;
    let client = client(&server);
    let id = order_with_history(&client).await;
    server.add_fault(FaultRule::new(EVENTS, Fault::CutStream { after: 2 }));
    let mut stream = events_of(&client, &id)
        .send_events()
        .await
        .unwrap()
        .reconnect(Reconnect::Never);
    assert_eq!(stream.next().await.unwrap().unwrap().event, "order_created");
    assert_eq!(
        stream.next().await.unwrap().unwrap().event,
        "inventory_reserved"
    );
    match stream.next().await {
        Some(Err(Error::Transport {
            kind: TransportKind::Body,
            ..
        })) => {}
        other => panic!("{other:?}"),
    }
    assert!(stream.next().await.is_none());
    assert_eq!(requests_to(&server, EVENTS).len(), 1);
}

#[tokio::test]
async fn reconnecting_at_every_end_gives_up_after_the_policy_s_attempts() {
    let server = server().await;
    let client = client(&server);
    let id = order_with_history(&client).await;
    let mut stream = events_of(&client, &id)
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(2)
                .base_delay(Duration::ZERO),
        )
        .send_events()
        .await
        .unwrap()
        .reconnect(Reconnect::OnCutOrEnd);
    let mut events = Vec::new();
    let error = loop {
        match stream.next().await {
            Some(Ok(event)) => events.push(event),
            Some(Err(e)) => break e,
            None => panic!("the stream ended without its error"),
        }
    };
    assert_eq!(events.len(), 3);
    assert!(
        matches!(error, Error::RetryExhausted { attempts: 2, .. }),
        "{error}"
    );
    // Two reopenings, each resuming after the last event: nothing more came.
    let requests = requests_to(&server, EVENTS);
    assert_eq!(requests.len(), 3, "{requests:?}");
    for request in &requests[1..] {
        assert_eq!(request.last_event_id, events[2].id);
    }
}

#[tokio::test]
async fn a_reader_resumes_from_a_kept_last_event_id() {
    let server = server().await;
    let client = client(&server);
    let id = order_with_history(&client).await;
    let all = collect(events_of(&client, &id).send_events().await.unwrap()).await;
    let kept = all[0].id.clone().unwrap();
    let rest = collect(
        events_of(&client, &id)
            .last_event_id(&kept)
            .send_events()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(content(&rest), content(&all[1..]));
    assert_eq!(
        requests_to(&server, EVENTS).last().unwrap().last_event_id,
        Some(kept)
    );
}

#[tokio::test]
async fn another_content_type_is_a_typed_error_naming_it() {
    let server = server().await;
    let client = client(&server);
    let id = order_with_history(&client).await;
    server.add_fault(FaultRule::new(
        EVENTS,
        Fault::ContentType {
            content_type: "application/json".into(),
        },
    ));
    let error = events_of(&client, &id).send_events().await.unwrap_err();
    match &error {
        Error::Protocol { why, .. } => {
            assert!(why.contains("\"application/json\""), "{why}");
            assert!(why.contains("text/event-stream"), "{why}");
        }
        other => panic!("{other:?}"),
    }
    // Not retried: the server answered, with the wrong thing.
    assert_eq!(requests_to(&server, EVENTS).len(), 1);

    server.add_fault(FaultRule::new(
        EXPORT,
        Fault::ContentType {
            content_type: "text/html".into(),
        },
    ));
    let error = client
        .get("/orders/export")
        .send_lines::<Value>()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Protocol { why, .. } if why.contains("\"text/html\"")),
        "{error}"
    );
}

#[tokio::test]
async fn a_503_before_the_stream_starts_is_retried() {
    let server = server().await;
    let client = client(&server);
    let id = order_with_history(&client).await;
    server.add_fault(FaultRule::new(EVENTS, Fault::service_unavailable(0)));
    let events = collect(events_of(&client, &id).send_events().await.unwrap()).await;
    assert_eq!(events.len(), 3);
    let statuses: Vec<Outcome> = requests_to(&server, EVENTS)
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [Outcome::Status(503), Outcome::Status(200)]);
}

#[tokio::test]
async fn a_problem_answer_is_a_problem() {
    let server = server().await;
    let client = client(&server);
    let error = events_of(&client, "6b1c1ba5-4ae4-4a54-9a4b-3b1b1b1b1b1b")
        .send_events()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Problem { status: 404, .. }),
        "{error}"
    );
}

#[tokio::test]
async fn an_event_longer_than_the_limit_ends_the_stream_with_an_error() {
    let server = server().await;
    let client = client(&server);
    let id = order_with_history(&client).await;
    let mut stream = events_of(&client, &id)
        .send_events()
        .await
        .unwrap()
        .max_event_bytes(64);
    let error = stream.next().await.unwrap().unwrap_err();
    assert!(
        matches!(&error, Error::Protocol { why, .. } if why.contains("64-byte")),
        "{error}"
    );
    assert!(stream.next().await.is_none());
}

#[tokio::test]
async fn dropping_or_closing_an_event_stream_closes_the_connection() {
    let server = server().await;
    let client = client(&server);
    // An order that is not cancelled: its stream follows it live.
    let id = create_order(&client).await;
    let wait = |n| tokio::time::timeout(Duration::from_secs(10), server.until_open_streams(n));

    let mut stream = events_of(&client, &id).send_events().await.unwrap();
    assert_eq!(stream.next().await.unwrap().unwrap().event, "order_created");
    assert_eq!(server.open_streams(), 1);
    drop(stream);
    wait(0).await.expect("the server saw the connection close");

    let mut stream = events_of(&client, &id).send_events().await.unwrap();
    assert_eq!(stream.next().await.unwrap().unwrap().event, "order_created");
    wait(1).await.unwrap();
    stream.close();
    wait(0).await.expect("the server saw the connection close");
    assert!(stream.next().await.is_none());
}

#[derive(Debug, Deserialize, PartialEq)]
struct Order {
    id: String,
    status: String,
}

#[tokio::test]
async fn ndjson_lines_are_typed_items() {
    let server = server().await;
    let client = client(&server);
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(create_order(&client).await);
    }
    let stream = client
        .get("/orders/export")
        .send_lines::<Order>()
        .await
        .unwrap();
    assert_eq!(stream.headers()["content-type"], "application/x-ndjson");
    let orders: Vec<Order> = stream.try_collect().await.unwrap();
    let got: Vec<&str> = orders.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(got, ids);
    assert!(orders.iter().all(|o| o.status == "pending"));
}

#[tokio::test]
async fn a_bad_line_is_a_typed_error_with_its_line_number_and_the_stream_goes_on() {
    let server = server().await;
    let client = client(&server);
    server.add_fault(FaultRule::new(
        EXPORT,
        Fault::Status {
            code: 200,
            retry_after: None,
            retry_after_ms: None,
            should_retry: None,
            body: Some(
                "{\"id\":\"a\",\"status\":\"pending\"}\n\n{\"id\":\"b\",\"status\":\n{\"id\":\"c\",\"status\":\"pending\"}"
                    .into(),
            ),
            content_type: Some("application/x-ndjson".into()),
        },
    ));
    let items: Vec<Result<Order, Error>> = client
        .get("/orders/export")
        .send_lines::<Order>()
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(items.len(), 3, "{items:?}");
    assert_eq!(items[0].as_ref().unwrap().id, "a");
    match &items[1] {
        Err(Error::Decode { what, .. }) => {
            assert_eq!(what, "line 3 of GET /orders/export")
        }
        other => panic!("{other:?}"),
    }
    // The last line has no line feed, and the body ended cleanly: an item.
    assert_eq!(items[2].as_ref().unwrap().id, "c");
}

#[tokio::test]
async fn json_text_sequences_are_items_too() {
    let server = server().await;
    let client = client(&server);
    server.add_fault(FaultRule::new(
        EXPORT,
        Fault::Status {
            code: 200,
            retry_after: None,
            retry_after_ms: None,
            should_retry: None,
            body: Some("\u{1e}{\"n\":1}\n\u{1e}{\"n\":2}\n\u{1e}3".into()),
            content_type: Some("application/json-seq".into()),
        },
    ));
    let items: Vec<Result<Value, Error>> = client
        .get("/orders/export")
        .send_lines::<Value>()
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(items[0].as_ref().unwrap(), &json!({"n": 1}));
    assert_eq!(items[1].as_ref().unwrap(), &json!({"n": 2}));
    // A last record without its line feed may be a truncated number.
    assert!(
        matches!(&items[2], Err(Error::Decode { what, .. }) if what == "record 3 of GET /orders/export"),
        "{items:?}"
    );
}

#[tokio::test]
async fn a_cut_ndjson_stream_is_an_error_not_a_truncated_item() {
    let server = server().await;
    let client = client(&server);
    for _ in 0..3 {
        create_order(&client).await;
    }
    server.add_fault(FaultRule::new(EXPORT, Fault::CutStream { after: 1 }));
    let items: Vec<Result<Order, Error>> = client
        .get("/orders/export")
        .send_lines::<Order>()
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items[0].is_ok());
    assert!(
        matches!(
            &items[1],
            Err(Error::Transport {
                kind: TransportKind::Body,
                ..
            })
        ),
        "{items:?}"
    );
    // Lines cannot be resumed: no second request.
    assert_eq!(requests_to(&server, EXPORT).len(), 1);
}
