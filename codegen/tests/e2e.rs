//! End to end: the client generated from `openapi/orders.yaml` runs a whole
//! order workflow against the reference server (`orders-server`), in a
//! separate process built with cargo.

mod common;

use oncely_codegen::{build_ir, emit_rust, load_spec, IrOptions, OncelyDep, RustOptions};

const MAIN: &str = r#"//! Drives the generated orders client through a whole workflow.
use orders_client::models::{
    AuthorizePaymentRequest, CancelOrderRequest, CreateOrderRequest, LineItem, ShipmentRequest,
    ShipmentRequestSimulate, UpdateOrderRequest,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = std::env::args().nth(1).ok_or("usage: orders-e2e BASE_URL")?;
    let api = orders_client::OrdersClient::new(oncely::Client::builder(base).build()?);

    let new_order = CreateOrderRequest {
        customer_id: "c_42".into(),
        items: vec![LineItem { sku: "sku-1".into(), quantity: 2 }],
        currency: "EUR".into(),
        ..Default::default()
    };
    let (order, etag) = api.create_order_with_etag(&new_order, Some("e2e-order")).await?;
    // The same intent again is the same order (the server replays it).
    let again = api.create_order(&new_order, Some("e2e-order")).await?;
    assert_eq!(order.id, again.id, "same intent, same order");
    let fetched = api.get_order(&order.id).await?;
    assert_eq!(fetched.customer_id, "c_42");

    let update = UpdateOrderRequest { note: Some("gift wrap".into()), ..Default::default() };
    let (updated, _) = api
        .update_order_with_etag(&order.id, &update, etag.as_deref(), Some("e2e-update"))
        .await?;
    assert_eq!(updated.note.as_deref(), Some("gift wrap"));
    // The old tag is stale now.
    let stale = api
        .update_order(&order.id, &update, etag.as_deref(), Some("e2e-update-stale"))
        .await;
    assert!(matches!(stale, Err(oncely::Error::PreconditionFailed { .. })), "{stale:?}");

    let reservation = api.reserve_inventory(&order.id, None, Some("e2e-reserve")).await?;
    let pay = AuthorizePaymentRequest {
        amount: 1999,
        currency: "EUR".into(),
        payment_method: "pm_card_visa".into(),
    };
    let payment = api.authorize_payment(&order.id, &pay, Some("e2e-pay")).await?;
    let declined = AuthorizePaymentRequest { payment_method: "pm_card_declined".into(), ..pay };
    match api.authorize_payment(&order.id, &declined, Some("e2e-declined")).await {
        Err(oncely::Error::Problem { .. }) => {}
        other => panic!("expected a payment-declined problem, got {other:?}"),
    }

    let shipment = api
        .request_shipment(
            &order.id,
            Some(&ShipmentRequest { carrier: Some("dhl".into()), simulate: Some(ShipmentRequestSimulate::Succeed) }),
            Some("e2e-ship"),
        )
        .await?
        .wait()
        .await?;
    assert_eq!(shipment.order_id, order.id);

    let voided = api.void_payment(&order.id, &payment.id, Some("e2e-void")).await?;
    assert_eq!(voided.id, payment.id);
    let released = api
        .release_reservation(&order.id, &reservation.id, Some("e2e-release"))
        .await?;
    assert!(released.is_none_or(|r| r.id == reservation.id));
    let cancelled = api
        .cancel_order(&order.id, Some(&CancelOrderRequest { reason: Some("done".into()) }), Some("e2e-cancel"))
        .await?;
    assert_eq!(cancelled.status.as_str(), "cancelled");
    println!("orders e2e ok: order {} shipment {}", order.id, shipment.tracking_number);
    Ok(())
}
"#;

#[test]
fn generated_orders_client_runs_a_workflow_against_the_reference_server() {
    let spec = load_spec(common::repo().join("openapi/orders.yaml")).expect("orders.yaml");
    let api = build_ir(&spec, &IrOptions::default()).expect("IR");
    let client = emit_rust(
        &api,
        &RustOptions {
            // Not `orders`: the compile test builds a crate of that name in
            // the same target directory, and equal names would share artifacts.
            crate_name: Some("orders-client".into()),
            oncely: OncelyDep::Path(common::repo().join("sdk")),
        },
    )
    .expect("emits");
    let manifest = format!(
        "[package]\nname = \"orders-e2e\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\norders-client = {{ path = \"../orders-client\" }}\noncely = {{ path = {:?} }}\ntokio = {{ version = \"1\", features = [\"rt-multi-thread\", \"macros\"] }}\n",
        common::repo().join("sdk").display().to_string()
    );
    let files: &[(&str, &str)] = &[("Cargo.toml", &manifest), ("src/main.rs", MAIN)];
    let (ok, output) = common::cargo_in_workspace(
        "e2e",
        &[("orders-client", &client)],
        &[("orders-e2e", files)],
        &["build", "-p", "orders-e2e", "--message-format", "short"],
    );
    assert!(ok, "the e2e program does not build:\n{output}");
    let ours: Vec<&str> = output
        .lines()
        .filter(|l| l.contains(": warning") && !l.starts_with('/'))
        .collect();
    assert!(ours.is_empty(), "warnings:\n{}", ours.join("\n"));

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let server = rt
        .block_on(orders_server::spawn(orders_server::ServerConfig {
            operation_duration: std::time::Duration::from_millis(200),
            retry_after_ms: Some(20),
            ..Default::default()
        }))
        .expect("server starts");
    let exe = common::e2e_target().join("debug").join("orders-e2e");
    let out = std::process::Command::new(exe)
        .arg(server.base_url())
        .output()
        .expect("e2e program runs");
    rt.block_on(server.shutdown());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "workflow failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("orders e2e ok"), "{stdout}");
}

const STREAMS_MAIN: &str = r#"//! Reads the reference server's streamed answers through the generated client.
use oncely::stream::StreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = std::env::args().nth(1).ok_or("usage: streams-e2e BASE_URL")?;
    let raw = oncely::Client::builder(base).build()?;
    let order: serde_json::Value = raw
        .post("/orders")
        .json(&serde_json::json!({"customer_id": "c_s", "currency": "EUR", "items": [{"sku": "sku-1", "quantity": 1}]}))
        .send_json()
        .await?;
    let id = order["id"].as_str().ok_or("order id")?.to_string();
    raw.post(format!("/orders/{id}/cancel")).json(&serde_json::json!({})).send_empty().await?;
    let api = streams_client::StreamsClient::new(raw);

    let mut events = api.stream_order_events(&id, None).await?;
    let mut seen = Vec::new();
    while let Some(event) = events.next().await {
        let event = event?;
        assert_eq!(event.data.order_id, id);
        seen.push(event.data.order_status);
    }
    assert_eq!(seen.last(), Some(&streams_client::models::OrderStatus::Cancelled), "{seen:?}");

    let mut lines = api.export_orders().await?;
    let mut ids = Vec::new();
    while let Some(order) = lines.next().await {
        ids.push(order?.id);
    }
    assert!(ids.contains(&id), "{ids:?}");
    println!("streams e2e ok: {} events, {} orders", seen.len(), ids.len());
    Ok(())
}
"#;

#[test]
fn generated_streaming_client_reads_typed_events_and_lines() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let server = rt
        .block_on(orders_server::spawn(orders_server::ServerConfig::default()))
        .expect("server starts");
    let stdout = run_against(
        "openapi/streaming.yaml",
        "streams-client",
        STREAMS_MAIN,
        &server,
    );
    rt.block_on(server.shutdown());
    assert!(stdout.contains("streams e2e ok"), "{stdout}");
}

const LISTS_MAIN: &str = r#"//! Pages through the reference server's lists, one style each, with the generated client.
use oncely::stream::StreamExt;

async fn all<S: futures::Stream<Item = Result<lists_client::models::Order, oncely::Error>>>(
    items: S,
) -> Result<Vec<String>, oncely::Error> {
    let mut ids = Vec::new();
    futures::pin_mut!(items);
    while let Some(order) = items.next().await {
        ids.push(order?.id);
    }
    Ok(ids)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = std::env::args().nth(1).ok_or("usage: lists-e2e BASE_URL")?;
    let raw = oncely::Client::builder(base).build()?;
    let mut created = Vec::new();
    for i in 0..23 {
        let order: serde_json::Value = raw
            .post("/orders")
            .json(&serde_json::json!({"customer_id": format!("c_{i}"), "currency": "EUR", "items": [{"sku": "sku-1", "quantity": 1}]}))
            .send_json()
            .await?;
        created.push(order["id"].as_str().ok_or("id")?.to_string());
    }
    let api = lists_client::ListsClient::new(raw);
    let stripe = lists_client::operations::ListOrdersParams { limit: Some(5), ..Default::default() };
    assert_eq!(all(api.list_orders_items(&stripe)).await?, created, "last item");
    assert_eq!(all(api.list_orders_by_link_items(Some(4), None)).await?, created, "Link");
    assert_eq!(all(api.list_orders_by_offset_items(Some(6), None)).await?, created, "next URL");
    assert_eq!(all(api.list_orders_by_page_items(None, Some(7))).await?, created, "x-pagination");
    assert_eq!(all(api.list_orders_by_token_items(Some(5), None)).await?, created, "token");

    // A reader that stops after two pages resumes from its cursor.
    let mut pages = api.list_orders_by_token_pages(Some(5), None);
    let mut seen = Vec::new();
    for _ in 0..2 {
        let page = pages.next_page().await?.ok_or("a page")?;
        seen.extend(page.items.into_iter().map(|o| o.id));
    }
    let token = pages.cursor().ok_or("a cursor")?.to_token();
    let cursor = oncely::paginate::PageCursor::from_token(&token)?;
    let rest = api.list_orders_by_token_pages(Some(5), None).resume_from(cursor).into_items();
    seen.extend(all(rest).await?);
    assert_eq!(seen, created, "resumed");
    println!("lists e2e ok: {} orders, five styles", created.len());
    Ok(())
}
"#;

#[test]
fn generated_list_methods_page_through_every_style() {
    let spec = load_spec(common::repo().join("openapi/lists.yaml")).expect("lists.yaml");
    let api = build_ir(&spec, &IrOptions::default()).expect("IR");
    assert_eq!(
        api.operations
            .iter()
            .filter(|o| o.pagination.is_some())
            .count(),
        5,
        "every list of lists.yaml is detected as paginated"
    );
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let server = rt
        .block_on(orders_server::spawn(orders_server::ServerConfig::default()))
        .expect("server starts");
    let stdout = run_against("openapi/lists.yaml", "lists-client", LISTS_MAIN, &server);
    rt.block_on(server.shutdown());
    assert!(stdout.contains("lists e2e ok"), "{stdout}");
}

const WEBHOOKS_MAIN: &str = r##"//! Verifies and decodes the webhook events the reference server emitted with the generated receiver.
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = std::env::args().nth(1).ok_or("usage: webhooks-e2e BASE_URL")?;
    let raw = oncely::Client::builder(base).build()?;
    let log: serde_json::Value = raw.get("/_admin/webhooks").send_json().await?;
    let events = log["events"].as_array().ok_or("events")?;
    let verifier = oncely::webhook::StandardWebhooks::new(SECRET)?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() as i64;
    let mut names = Vec::new();
    for event in events {
        let body = serde_json::to_vec(event)?;
        let id = event["id"].as_str().ok_or("event id")?;
        let headers: std::collections::HashMap<String, String> = verifier
            .headers(id, now, &body)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        let (verified, decoded) = webhooks_client::webhooks::WebhookEvent::handle(&verifier, &headers, &body)?;
        assert_eq!(verified.id, id);
        names.push(decoded.name());
        let mut tampered = body.clone();
        tampered.push(b' ');
        assert!(webhooks_client::webhooks::WebhookEvent::handle(&verifier, &headers, &tampered).is_err());
    }
    assert_eq!(names.first(), Some(&"order.created"), "{names:?}");
    assert_eq!(names.last(), Some(&"order.canceled"), "{names:?}");
    let unknown = webhooks_client::webhooks::WebhookEvent::decode(br#"{"id": "evt_1", "type": "order.exploded", "data": {}}"#);
    assert!(matches!(unknown, Err(oncely::Error::Decode { .. })), "{unknown:?}");
    println!("webhooks e2e ok: {}", names.join(", "));
    Ok(())
}
"##;

#[test]
fn generated_webhook_receiver_decodes_the_servers_events() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    // Events are emitted whether or not the receiver takes them: one nobody
    // listens on, one attempt each.
    let mut hooks = orders_server::WebhookConfig::new(
        "http://127.0.0.1:9/hooks",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    )
    .expect("webhook config");
    hooks.max_attempts = 1;
    let server = rt
        .block_on(orders_server::spawn(orders_server::ServerConfig {
            webhooks: Some(hooks),
            ..Default::default()
        }))
        .expect("server starts");
    let base = server.base_url().to_string();
    rt.block_on(async {
        let c = oncely::Client::builder(&base).build().expect("client");
        let order: serde_json::Value = c
            .post("/orders")
            .json(&serde_json::json!({"customer_id": "c_w", "currency": "EUR", "items": [{"sku": "sku-1", "quantity": 1}]}))
            .send_json()
            .await
            .expect("order");
        let id = order["id"].as_str().expect("id").to_string();
        c.post(format!("/orders/{id}/cancel"))
            .json(&serde_json::json!({}))
            .send_empty()
            .await
            .expect("cancel");
    });
    let stdout = run_against(
        "openapi/webhooks.yaml",
        "webhooks-client",
        WEBHOOKS_MAIN,
        &server,
    );
    rt.block_on(server.shutdown());
    assert!(stdout.contains("webhooks e2e ok"), "{stdout}");
}

/// Generates the Rust client of `spec` as crate `client_crate`, builds
/// `main` (a program depending on it, `oncely`, `serde_json`, `futures` and
/// tokio) in its own scratch workspace, runs it with `server`'s base URL and
/// returns its standard output; panics with the output when a step fails.
fn run_against(
    spec: &str,
    client_crate: &str,
    main: &str,
    server: &orders_server::RunningServer,
) -> String {
    let spec = load_spec(common::repo().join(spec)).expect("spec loads");
    let api = build_ir(&spec, &IrOptions::default()).expect("IR");
    let client = emit_rust(
        &api,
        &RustOptions {
            crate_name: Some(client_crate.into()),
            oncely: OncelyDep::Path(common::repo().join("sdk")),
        },
    )
    .expect("emits");
    let program = format!("{client_crate}-e2e");
    let manifest = format!(
        "[package]\nname = {program:?}\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\n{client_crate} = {{ path = \"../{client_crate}\" }}\noncely = {{ path = {:?} }}\nfutures = \"0.3\"\nserde_json = \"1\"\ntokio = {{ version = \"1\", features = [\"rt-multi-thread\", \"macros\"] }}\n",
        common::repo().join("sdk").display().to_string()
    );
    let files: &[(&str, &str)] = &[("Cargo.toml", &manifest), ("src/main.rs", main)];
    let (ok, output) = common::cargo_in_workspace(
        &format!("e2e-{client_crate}"),
        &[(client_crate, &client)],
        &[(program.as_str(), files)],
        &["build", "-p", &program, "--message-format", "short"],
    );
    assert!(ok, "{program} does not build:\n{output}");
    let out = std::process::Command::new(common::e2e_target().join("debug").join(&program))
        .arg(server.base_url())
        .output()
        .expect("the program runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{program} failed:\n{stdout}\n{stderr}"
    );
    stdout
}
