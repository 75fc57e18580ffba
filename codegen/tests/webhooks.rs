//! Webhooks and callbacks: into the IR with their payload types and how a
//! delivery is told apart, and out as typed receivers in every language.

mod common;

use common::{emit, ir};
use oncely_codegen::ir::{Method, Type};
use oncely_codegen::{emit as emit_lang, Language, RustOptions};

const DOC: &str = r##"{"openapi": "3.1.0", "info": {"title": "Hooks", "version": "1"}, "paths": {},
  "webhooks": {
    "order.created": {"post": {"summary": "An order was created",
      "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/OrderEvent"}}}},
      "responses": {"204": {"description": "ok"}}}},
    "order.changed": {"post": {
      "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ChangeEvent"}}}},
      "responses": {"204": {"description": "ok"}}}},
    "ping": {"$ref": "#/components/pathItems/Ping"}
  },
  "components": {
    "pathItems": {"Ping": {"post": {"responses": {"200": {"description": "ok"}}}}},
    "schemas": {
      "Order": {"type": "object", "properties": {"id": {"type": "string"}}},
      "OrderEvent": {"type": "object", "required": ["id", "type", "data"], "properties": {
        "id": {"type": "string"}, "type": {"type": "string"}, "data": {"$ref": "#/components/schemas/Order"}}},
      "ChangeEvent": {"type": "object", "required": ["event"], "properties": {
        "event": {"type": "string", "enum": ["order.updated", "order.canceled"]},
        "data": {"$ref": "#/components/schemas/Order"}}}
    }}}"##;

#[test]
fn webhooks_are_typed_and_selected_by_name_or_event_type() {
    let api = ir(DOC);
    let names: Vec<&str> = api.webhooks.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(names, ["order.changed", "order.created", "ping"]);
    let created = &api.webhooks[1];
    assert_eq!(created.method, Method::Post);
    assert!(matches!(created.payload, Type::Ref(_)));
    assert_eq!(created.selector.as_deref(), Some("type"));
    assert!(
        created.selector_values.is_empty(),
        "a free-text `type`: the name is the value"
    );
    assert_eq!(
        created.docs.summary.as_deref(),
        Some("An order was created")
    );
    let changed = &api.webhooks[0];
    assert_eq!(changed.selector.as_deref(), Some("event"));
    assert_eq!(changed.selector_values, ["order.updated", "order.canceled"]);
    // A `$ref`'d path item without a body: an untyped payload, not an error.
    assert!(matches!(api.webhooks[2].payload, Type::Any { .. }));
    assert!(
        !api.diagnostics
            .iter()
            .any(|d| d.message.contains("webhook")),
        "webhooks are no longer ignored: {:?}",
        api.diagnostics
    );
}

#[test]
fn callbacks_of_operations_are_webhooks_too() {
    let doc = r##"{"openapi": "3.0.3", "info": {"title": "C", "version": "1"},
      "paths": {"/subscriptions": {"post": {"operationId": "subscribe",
        "responses": {"201": {"description": "ok"}},
        "callbacks": {"onEvent": {"{$request.body#/callbackUrl}": {"post": {
          "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"message": {"type": "string"}}}}}},
          "responses": {"200": {"description": "ok"}}}}}}}}}}"##;
    let api = ir(doc);
    assert_eq!(api.webhooks.len(), 1);
    assert_eq!(api.webhooks[0].name, "subscribe onEvent");
    assert!(matches!(api.webhooks[0].payload, Type::Ref(_)));
}

#[test]
fn every_language_gets_a_typed_receiver() {
    let api = ir(DOC);
    let rust = emit(&api, "hooks");
    common::assert_parses(&rust);
    let w = rust.file("src/webhooks.rs").expect("webhooks.rs");
    assert!(w.contains("pub enum WebhookEvent"));
    assert!(w.contains("OrderCreated(crate::models::OrderEvent)"));
    assert!(w.contains(r#"if field("type") == Some("order.created")"#));
    assert!(
        w.contains(r#"matches!(field("event"), Some("order.updated") | Some("order.canceled"))"#)
    );
    assert!(rust
        .file("src/lib.rs")
        .expect("lib")
        .contains("pub mod webhooks;"));

    let py = emit_lang(&api, Language::Python, &RustOptions::default()).expect("python");
    let text = &py
        .files
        .iter()
        .find(|f| f.path.ends_with("webhooks.py"))
        .expect("webhooks.py")
        .contents;
    assert!(text.contains("def decode_webhook(body: bytes | str) -> WebhookEvent:"));
    assert!(text.contains("WebhookEvent = OrderChanged | OrderCreated | Ping"));

    let ts = emit_lang(&api, Language::TypeScript, &RustOptions::default()).expect("typescript");
    let text = &ts
        .files
        .iter()
        .find(|f| f.path.ends_with("src/webhooks.ts"))
        .expect("webhooks.ts")
        .contents;
    assert!(text.contains("export function decodeWebhook(body: string | Uint8Array): WebhookEvent"));
    assert!(text.contains(r#"readonly name: "order.changed""#));

    // An API without webhooks gets no module.
    let plain = ir(r#"{"openapi": "3.1.0", "info": {"title": "P", "version": "1"}, "paths": {}}"#);
    assert!(emit(&plain, "p").file("src/webhooks.rs").is_none());
}
