//! Behaviour on the wire that the shared conformance scenarios do not cover:
//! concurrent calls with one intent, stored 202 replays, connect errors.

use std::time::Duration;

use oncely::{Client, Error, Operation, RetryPolicy, SqliteStore};
use orders_server::{spawn, Fault, FaultRule, ServerConfig, SideEffect};
use serde_json::{json, Value};

fn order() -> Value {
    json!({"customer_id": "cus_1", "currency": "EUR", "items": [{"sku": "sku-1", "quantity": 1}]})
}

fn fast_config() -> ServerConfig {
    ServerConfig {
        operation_duration: Duration::from_millis(50),
        retry_after_ms: Some(5),
        ..ServerConfig::default()
    }
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .base_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(20))
}

#[tokio::test]
async fn concurrent_calls_with_one_intent_make_one_side_effect() {
    let server = spawn(fast_config()).await.unwrap();
    // The first request is slow, so the second arrives while it is in flight
    // and gets 409 until the first has finished; then a replay.
    server.add_fault(FaultRule::new("POST /orders", Fault::delay_ms(150)));
    let client = Client::builder(server.base_url())
        .retry_policy(fast_retries().max_attempts(20))
        .build()
        .unwrap();
    let call = || {
        client
            .post("/orders")
            .json(&order())
            .intent_id("cart-1")
            .send_json::<Value>()
    };
    let (a, b) = tokio::join!(call(), call());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a["id"], b["id"]);
    let ledger = server.ledger();
    assert_eq!(
        ledger
            .iter()
            .filter(|e| e.kind == SideEffect::OrderCreated)
            .count(),
        1
    );
    let requests = server.requests();
    let keys: std::collections::HashSet<_> =
        requests.iter().map(|r| r.idempotency_key.clone()).collect();
    assert_eq!(keys.len(), 1, "one key for one intent: {requests:?}");
    assert!(
        requests
            .iter()
            .any(|r| r.status == orders_server::Outcome::Status(409)),
        "{requests:?}"
    );
}

#[tokio::test]
async fn a_stored_202_resumes_polling_after_a_restart_without_resubmitting() {
    let server = spawn(fast_config()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("oncely.db");
    let client = |db: &std::path::Path| {
        Client::builder(server.base_url())
            .store(SqliteStore::open(db).unwrap())
            .retry_policy(fast_retries())
            .poll_config(oncely::PollConfig {
                default_interval: Duration::from_millis(5),
                ..Default::default()
            })
            .build()
            .unwrap()
    };
    let first = client(&db);
    let order: Value = first
        .post("/orders")
        .json(&order())
        .send_json()
        .await
        .unwrap();
    let ship = |c: &Client| {
        c.post("/orders/{id}/shipments")
            .path_param("id", order["id"].as_str().unwrap())
            .json(&json!({"carrier": "dhl"}))
            .intent_id("ship-1")
            .send_operation::<Value>()
    };
    let op: Operation<Value> = ship(&first).await.unwrap();
    drop((op, first));
    // A new process: the 202 comes from the store, polling continues.
    let second = client(&db);
    let shipment = ship(&second).await.unwrap().wait().await.unwrap();
    assert_eq!(shipment["carrier"], "dhl");
    let shipments = server
        .requests()
        .iter()
        .filter(|r| r.route.as_deref() == Some("POST /orders/{order_id}/shipments"))
        .count();
    assert_eq!(shipments, 1, "the shipment was submitted once");
}

#[tokio::test]
async fn connect_errors_are_retried_and_typed() {
    // A port nobody listens on: bind, read the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = Client::builder(format!("http://127.0.0.1:{port}"))
        .retry_policy(fast_retries().max_attempts(3))
        .build()
        .unwrap();
    match client
        .post("/orders")
        .json(&order())
        .send()
        .await
        .unwrap_err()
    {
        Error::RetryExhausted { attempts: 3, last } => {
            assert!(
                matches!(
                    *last,
                    Error::Transport {
                        kind: oncely::TransportKind::Connect,
                        ..
                    }
                ),
                "{last}"
            )
        }
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn non_json_answer_to_a_json_call_names_the_media_type() {
    let server = spawn(fast_config()).await.unwrap();
    server.add_fault(FaultRule::new(
        "GET /orders/{order_id}",
        Fault::Status {
            code: 200,
            retry_after: None,
            retry_after_ms: None,
            should_retry: None,
            body: Some("<h1>down for maintenance</h1>".into()),
            content_type: Some("text/html".into()),
        },
    ));
    let client = Client::builder(server.base_url()).build().unwrap();
    let err = client
        .get("/orders/{id}")
        .path_param("id", "x")
        .send_json::<Value>()
        .await
        .unwrap_err();
    match err {
        Error::Decode {
            message, snippet, ..
        } => {
            assert!(message.contains("text/html"), "{message}");
            assert!(snippet.contains("maintenance"));
        }
        other => panic!("{other}"),
    }
}

/// A one-route server for answers the reference server never gives (hostile or
/// unusual headers). Returns its base URL.
async fn tiny_server(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn caller_keys_that_cannot_be_sent_are_refused_before_sending() {
    let server = spawn(fast_config()).await.unwrap();
    let client = Client::builder(server.base_url())
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    for key in ["line\nbreak", ""] {
        let err = client
            .post("/orders")
            .json(&order())
            .idempotency_key(key)
            .send()
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{key:?}: {err}");
    }
    assert!(
        server.requests().is_empty(),
        "nothing may be sent without the caller's key: {:?}",
        server.requests()
    );
}

#[tokio::test]
async fn turning_the_key_off_while_naming_one_is_refused_before_sending() {
    let server = spawn(fast_config()).await.unwrap();
    let client = Client::builder(server.base_url()).build().unwrap();
    let calls = [
        client.post("/orders").intent_id("cart-1"),
        client.post("/orders").idempotency_key("k-1"),
        client.post("/orders").header("Idempotency-Key", "k-2"),
    ];
    for call in calls {
        let err = call
            .idempotent(false)
            .json(&order())
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidInput { .. })
                && err.to_string().contains("idempotent(false)"),
            "{err}"
        );
    }
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[tokio::test]
async fn a_deadline_too_far_to_represent_means_no_deadline() {
    let server = spawn(fast_config()).await.unwrap();
    let client = Client::builder(server.base_url())
        .deadline(Some(Duration::MAX))
        .build()
        .unwrap();
    let order: Value = client
        .post("/orders")
        .json(&order())
        .send_json()
        .await
        .unwrap();
    let again = client
        .get("/orders/{id}")
        .path_param("id", order["id"].as_str().unwrap())
        .deadline(Some(Duration::MAX))
        .send();
    assert_eq!(again.await.unwrap().status(), 200);
}

#[tokio::test]
async fn an_absurd_retry_after_is_a_typed_error_not_a_panic() {
    let server = spawn(fast_config()).await.unwrap();
    server.add_fault(FaultRule::new(
        "POST /orders",
        Fault::Status {
            code: 503,
            retry_after: Some("1e300".into()),
            retry_after_ms: None,
            should_retry: None,
            body: None,
            content_type: None,
        },
    ));
    let client = Client::builder(server.base_url())
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    match client
        .post("/orders")
        .json(&order())
        .send()
        .await
        .unwrap_err()
    {
        Error::RetryAfterTooLong {
            requested, last, ..
        } => {
            assert!(requested > Duration::from_secs(3600));
            assert_eq!(last.status(), Some(503));
        }
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn a_call_that_runs_out_of_time_does_not_take_the_half_open_probe() {
    let server = spawn(fast_config()).await.unwrap();
    server.add_fault(FaultRule::new(
        "GET /orders/{order_id}",
        Fault::internal_error(),
    ));
    let client = Client::builder(server.base_url())
        .retry_policy(RetryPolicy::none())
        .circuit_breaker(oncely::BreakerConfig {
            failure_threshold: 1,
            open_for: Duration::from_millis(100),
        })
        .build()
        .unwrap();
    let get = || client.get("/orders/{id}").path_param("id", "o_1");
    assert_eq!(get().send().await.unwrap_err().status(), Some(500));
    assert!(matches!(
        get().send().await.unwrap_err(),
        Error::CircuitOpen { .. }
    ));
    tokio::time::sleep(Duration::from_millis(150)).await;
    // This call has no time left: it sends nothing, so it must not use up the
    // single probe the half-open circuit allows.
    let late = get()
        .deadline(Some(Duration::ZERO))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(late, Error::Timeout { .. }), "{late}");
    let probe = get().send().await.unwrap_err();
    assert_eq!(
        probe.status(),
        Some(404),
        "the probe reached the server: {probe}"
    );
}

#[tokio::test]
async fn a_circuit_opened_by_the_call_itself_keeps_its_last_error() {
    let server = spawn(fast_config()).await.unwrap();
    server.add_fault(FaultRule::new("GET /orders/{order_id}", Fault::internal_error()).every());
    let client = Client::builder(server.base_url())
        .retry_policy(fast_retries().max_attempts(5))
        .circuit_breaker(oncely::BreakerConfig {
            failure_threshold: 2,
            open_for: Duration::from_secs(60),
        })
        .build()
        .unwrap();
    match client
        .get("/orders/{id}")
        .path_param("id", "o_1")
        .send()
        .await
        .unwrap_err()
    {
        Error::RetryExhausted { attempts, last } => {
            assert_eq!(attempts, 2);
            assert_eq!(last.status(), Some(500), "{last}");
        }
        other => panic!("{other}"),
    }
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn status_urls_are_polled_verbatim_even_with_braces() {
    use axum::http::{header, StatusCode};
    use axum::routing::{get, post};
    let app = axum::Router::new()
        .route(
            "/jobs",
            post(|| async {
                (
                    StatusCode::ACCEPTED,
                    [(header::LOCATION, "/ops/1?filter={all}")],
                    "",
                )
            }),
        )
        .route(
            "/ops/1",
            get(|uri: axum::http::Uri| async move {
                assert_eq!(uri.query(), Some("filter={all}"));
                axum::Json(json!({"status": "succeeded", "result": {"ok": true}}))
            }),
        );
    let base = tiny_server(app).await;
    let client = Client::builder(base).build().unwrap();
    let result: Value = client
        .post("/jobs")
        .send_operation()
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_eq!(result, json!({"ok": true}));
}

#[tokio::test]
async fn a_status_link_that_is_not_http_is_a_protocol_error() {
    use axum::http::{header, StatusCode};
    use axum::routing::post;
    let app = axum::Router::new().route(
        "/jobs",
        post(|| async {
            (
                StatusCode::ACCEPTED,
                [(header::LOCATION, "file:///etc/passwd")],
                "",
            )
        }),
    );
    let base = tiny_server(app).await;
    let client = Client::builder(base).build().unwrap();
    let err = client
        .post("/jobs")
        .send_operation::<Value>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err}");
}

#[tokio::test]
async fn the_first_poll_waits_for_the_retry_after_of_the_202() {
    first_poll_keeps_the_servers_pace(false).await;
}

#[tokio::test]
async fn a_resumed_operation_keeps_the_retry_after_of_the_202() {
    // The pace travels in the resume token: a workflow's operation step (which
    // journals the token, then waits on it) must not poll early either.
    first_poll_keeps_the_servers_pace(true).await;
}

async fn first_poll_keeps_the_servers_pace(through_token: bool) {
    // The operation is done after 50 ms and the 202 asks for 200 ms: a client
    // that honours the server's pace finds it done on its first poll.
    let server = spawn(ServerConfig {
        operation_duration: Duration::from_millis(50),
        retry_after_ms: Some(200),
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let client = Client::builder(server.base_url()).build().unwrap();
    let order: Value = client
        .post("/orders")
        .json(&order())
        .send_json()
        .await
        .unwrap();
    let mut operation = client
        .post("/orders/{id}/shipments")
        .path_param("id", order["id"].as_str().unwrap())
        .json(&json!({"carrier": "dhl"}))
        .send_operation::<Value>()
        .await
        .unwrap();
    if through_token {
        operation = Operation::resume(&client, &operation.resume_token()).unwrap();
    }
    let shipment = operation.wait().await.unwrap();
    assert_eq!(shipment["carrier"], "dhl");
    let polls: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| {
            r.route
                .as_deref()
                .is_some_and(|r| r.starts_with("GET /operations"))
        })
        .collect();
    assert_eq!(polls.len(), 1, "{polls:?}");
}

#[tokio::test]
async fn a_failed_precondition_does_not_end_the_intent() {
    // A 412 says the update was not applied, and it depends on `If-Match`, which
    // the request fingerprint does not cover: the same intent retried with the
    // current ETag must reach the server, not get the stored 412 back.
    let server = spawn(fast_config()).await.unwrap();
    let client = Client::builder(server.base_url())
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let created: Value = client
        .post("/orders")
        .json(&order())
        .send_json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let etag = |c: &Client| {
        let c = c.clone();
        async move {
            let r = c
                .get("/orders/{id}")
                .path_param("id", id)
                .send()
                .await
                .unwrap();
            r.etag().unwrap().to_string()
        }
    };
    let stale = etag(&client).await;
    client
        .patch("/orders/{id}")
        .path_param("id", id)
        .json(&json!({"note": "someone else"}))
        .if_match(&stale)
        .send()
        .await
        .unwrap();
    let update = |tag: String| {
        client
            .patch("/orders/{id}")
            .path_param("id", id)
            .json(&json!({"note": "mine"}))
            .if_match(&tag)
            .intent_id("note-1")
            .send()
    };
    let err = update(stale).await.unwrap_err();
    assert!(matches!(err, Error::PreconditionFailed { .. }), "{err}");
    let fresh = etag(&client).await;
    let done = update(fresh).await.unwrap();
    assert!(!done.from_store());
    assert_eq!(done.json::<Value>().unwrap()["note"], "mine");
    let updates = server
        .ledger()
        .iter()
        .filter(|e| e.kind == SideEffect::OrderUpdated)
        .count();
    assert_eq!(updates, 2);
}

/// A server with Azure-style long-running operations: a PUT answered `201` with
/// `Azure-AsyncOperation`, a POST answered `202` with `Operation-Location` and
/// `Location`. Counts the GETs of each final resource.
async fn azure_style_server() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use axum::http::{header, StatusCode, Uri};
    use axum::routing::{get, post, put};
    let gets = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let log = |gets: std::sync::Arc<std::sync::Mutex<Vec<String>>>, body: serde_json::Value| {
        move |uri: Uri| {
            let gets = gets.clone();
            let body = body.clone();
            async move {
                gets.lock().unwrap().push(uri.path().to_string());
                axum::Json(body)
            }
        }
    };
    let app = axum::Router::new()
        .route(
            "/widgets/w1",
            put(|| async {
                (
                    StatusCode::CREATED,
                    [("azure-asyncoperation", "/ops/put")],
                    axum::Json(json!({"name": "w1", "state": "creating"})),
                )
            })
            .get(log(gets.clone(), json!({"name": "w1", "state": "ready"}))),
        )
        .route(
            "/widgets/w1/restart",
            post(|| async {
                (
                    StatusCode::ACCEPTED,
                    [
                        ("operation-location", "/ops/post"),
                        (header::LOCATION.as_str(), "/results/restart"),
                    ],
                )
            }),
        )
        .route(
            "/widgets/w1/ping",
            post(|| async { (StatusCode::ACCEPTED, [("operation-location", "/ops/ping")]) }),
        )
        .route(
            "/ops/{id}",
            get(|uri: Uri| async move {
                let mut body = json!({"status": "Succeeded"});
                if uri.path() == "/ops/ping" {
                    body["pong"] = json!(true);
                }
                axum::Json(body)
            }),
        )
        .route(
            "/results/restart",
            get(log(gets.clone(), json!({"restarted": true}))),
        );
    (tiny_server(app).await, gets)
}

#[tokio::test]
async fn azure_operations_end_on_the_resource_their_method_names() {
    let (base, gets) = azure_style_server().await;
    let client = Client::builder(&base).build().unwrap();

    // PUT: the status says only "Succeeded"; the result is the resource itself.
    let widget: serde_json::Value = client
        .put("/widgets/w1")
        .json(&json!({"name": "w1"}))
        .send_operation()
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_eq!(widget, json!({"name": "w1", "state": "ready"}));

    // POST: the result is at the Location the 202 gave.
    let restarted: serde_json::Value = client
        .post("/widgets/w1/restart")
        .send_operation()
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_eq!(restarted, json!({"restarted": true}));

    // POST without a Location: the status body is all there is.
    let pong: serde_json::Value = client
        .post("/widgets/w1/ping")
        .send_operation()
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_eq!(pong["pong"], json!(true));

    assert_eq!(
        *gets.lock().unwrap(),
        vec!["/widgets/w1".to_string(), "/results/restart".to_string()],
        "each final resource fetched once"
    );
}

#[tokio::test]
async fn a_201_with_a_plain_location_is_the_created_resource_not_an_operation() {
    use axum::http::{header, StatusCode};
    use axum::routing::post;
    let app = axum::Router::new().route(
        "/things",
        post(|| async {
            (
                StatusCode::CREATED,
                [(header::LOCATION, "/things/t1")],
                axum::Json(json!({"id": "t1"})),
            )
        }),
    );
    let client = Client::builder(tiny_server(app).await).build().unwrap();
    let op = client
        .post("/things")
        .send_operation::<serde_json::Value>()
        .await
        .unwrap();
    assert!(op.is_done());
    assert_eq!(op.wait().await.unwrap(), json!({"id": "t1"}));
}

#[tokio::test]
async fn an_answer_longer_than_the_limit_is_a_typed_error_and_not_retried() {
    use axum::body::Body;
    use axum::routing::get;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let hits = std::sync::Arc::new(AtomicUsize::new(0));
    let counted = |hits: std::sync::Arc<AtomicUsize>, chunked: bool| {
        move || {
            let hits = hits.clone();
            async move {
                hits.fetch_add(1, Ordering::SeqCst);
                let chunk = || Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b'x'; 700]));
                if chunked {
                    // No Content-Length: the limit is found while reading.
                    Body::from_stream(futures::stream::iter([chunk(), chunk()]))
                } else {
                    Body::from(vec![b'x'; 1400])
                }
            }
        }
    };
    let app = axum::Router::new()
        .route("/announced", get(counted(hits.clone(), false)))
        .route("/streamed", get(counted(hits.clone(), true)))
        .route("/small", get(|| async { "ok" }));
    let client = Client::builder(tiny_server(app).await)
        .max_response_bytes(1024)
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    for path in ["/announced", "/streamed"] {
        let err = client.get(path).send().await.unwrap_err();
        assert!(
            matches!(err, Error::ResponseTooLarge { limit: 1024, .. }),
            "{path}: {err}"
        );
        assert!(err.to_string().contains(path), "{err}");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 2, "neither call was retried");
    let small = client.get("/small").send().await.unwrap();
    assert_eq!(small.text().unwrap(), "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_key_is_recorded_with_its_answer_by_the_time_the_call_returns() {
    let server = spawn(fast_config()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let stores: [std::sync::Arc<dyn oncely::Store>; 2] = [
        std::sync::Arc::new(oncely::MemoryStore::new()),
        std::sync::Arc::new(oncely::SqliteStore::open(dir.path().join("s.db")).unwrap()),
    ];
    for store in stores {
        let client = Client::builder(server.base_url())
            .shared_store(store.clone())
            .build()
            .unwrap();
        let response = client.post("/orders").json(&order()).send().await.unwrap();
        let key = response.idempotency_key().unwrap();
        let record = store.get(key).await.unwrap().expect("recorded");
        assert_eq!(
            record.state,
            oncely::store::IntentState::Completed,
            "{store:?}"
        );
        assert_eq!(record.path_template, "/orders");
        assert_eq!(record.fingerprint.len(), 64);
        assert_eq!(record.outcome.unwrap().status, 201);
    }
}
