//! Typed workflow functions from Arazzo documents: the types follow the
//! workflows' input schemas and, through step outputs, the OpenAPI response
//! schemas; the generated Rust compiles and its `checkout` function runs
//! against the reference server; the generated Python and TypeScript
//! type-check strictly against the bindings' types.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use oncely_codegen::ir::{Api, Primitive, Type, TypeDef};
use oncely_codegen::{
    build_workflows, emit_rust_workflows, load_arazzo, IrOptions, Language, OncelyDep, RustOptions,
    Target, Workflows,
};
use orders_server::SideEffect;

fn arazzo(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/arazzo")
        .join(name)
}

fn workflows(path: &Path) -> Workflows {
    let spec = load_arazzo(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    build_workflows(&spec, &IrOptions::default()).expect("workflows build")
}

fn orders() -> Workflows {
    workflows(&common::repo().join("openapi/orders.arazzo.yaml"))
}

/// The type of field `name` of the object declaration `decl`.
fn field<'a>(api: &'a Api, decl: &str, name: &str) -> &'a Type {
    &common::object(api, decl)
        .fields
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("{decl} has no field {name}"))
        .ty
}

fn named(api: &Api, t: &Type) -> String {
    match t {
        Type::Ref(id) => api.decl(*id).name.clone(),
        other => panic!("not a named type: {other:?}"),
    }
}

#[test]
fn checkout_inputs_come_from_components_and_outputs_from_the_response_schemas() {
    let w = orders();
    assert_eq!(w.workflows.len(), 1);
    let checkout = &w.workflows[0];
    assert_eq!(checkout.workflow_id, "checkout");
    assert_eq!(w.api.decl(checkout.inputs).name, "checkout inputs");
    let inputs = common::object(&w.api, "checkout inputs");
    let required: Vec<&str> = inputs
        .fields
        .iter()
        .filter(|f| f.required)
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(
        required,
        [
            "amount",
            "currency",
            "customer_id",
            "payment_method",
            "quantity",
            "sku"
        ]
    );
    assert_eq!(
        field(&w.api, "checkout inputs", "quantity"),
        &Type::Primitive(Primitive::I64)
    );
    // `$steps.createOrder.outputs.orderId` → `$response.body#/id` → Order.id.
    for output in [
        "orderId",
        "reservationId",
        "paymentId",
        "shipmentOperationId",
    ] {
        let t = field(&w.api, "checkout outputs", output);
        assert!(
            matches!(
                t.non_null(),
                Type::Primitive(Primitive::String | Primitive::Uuid)
            ),
            "{output}: {t:?}"
        );
    }
    assert_eq!(
        checkout.step_ids,
        [
            "createOrder",
            "reserveStock",
            "authorizePayment",
            "requestShipment"
        ]
    );
    // The interpreter does not apply schema defaults: the functions do.
    assert_eq!(
        serde_json::Value::Object(checkout.input_defaults.clone()),
        serde_json::json!({"carrier": "oncely-post"})
    );
    assert_eq!(w.sources.len(), 1);
    assert_eq!(w.sources[0].0, "orders");
    assert_eq!(w.document_name, "orders.arazzo.yaml");
}

#[test]
fn each_kind_of_output_expression_gets_its_type() {
    let w = workflows(&arazzo("shop.arazzo.yaml"));
    let ids: Vec<&str> = w.workflows.iter().map(|f| f.workflow_id.as_str()).collect();
    assert_eq!(
        ids,
        ["create-order", "2fa", "untyped"],
        "no workflow dropped"
    );
    let api = &w.api;
    let out = "create-order outputs";
    // The whole body: the response's component schema.
    assert_eq!(named(api, field(api, out, "order")), "Order");
    assert_eq!(field(api, out, "created"), &Type::Primitive(Primitive::I64));
    assert_eq!(field(api, out, "etag"), &Type::Primitive(Primitive::String));
    assert_eq!(
        field(api, out, "label"),
        &Type::Primitive(Primitive::String)
    );
    assert_eq!(
        field(api, out, "customer"),
        &Type::Primitive(Primitive::String)
    );
    // Through an array index, and an array (operationPath step).
    assert_eq!(
        field(api, out, "firstSku"),
        &Type::Primitive(Primitive::String)
    );
    match field(api, out, "items") {
        Type::Array(item) => assert_eq!(named(api, item), "LineItem"),
        other => panic!("items: {other:?}"),
    }
    // A pointer the schema does not have: any JSON value.
    assert!(matches!(field(api, out, "unknown"), Type::Any { .. }));
    // `$ref` to components.inputs: the component resolved at the top, a
    // named type below.
    match field(api, "create-order inputs", "items") {
        Type::Array(item) => assert_eq!(named(api, item), "lineItem input"),
        other => panic!("inputs items: {other:?}"),
    }
    // A digit-leading id gets a word before it; no inputs is an empty object.
    assert!(common::object(api, "workflow 2fa inputs").fields.is_empty());
    assert_eq!(
        named(api, field(api, "workflow 2fa outputs", "page")),
        "Order"
    );
    // An input schema that cannot be typed: a JSON value, with the reason.
    match &common::decl(api, "untyped inputs").def {
        TypeDef::Alias(Type::Any { reason: Some(_) }) => {}
        other => panic!("untyped inputs: {other:?}"),
    }
}

#[test]
fn two_sources_merge_into_one_client_with_renamed_components() {
    let w = workflows(&arazzo("two-sources.arazzo.yaml"));
    let api = &w.api;
    let ops: Vec<&str> = api.operations.iter().map(|o| o.name.as_str()).collect();
    assert!(
        ops.contains(&"getStock") && ops.contains(&"createOrder"),
        "{ops:?}"
    );
    // Both sources name a schema `Order`: the second one is renamed and its
    // `$ref`s follow, so the output type is the inventory's.
    common::object(api, "inventory Order");
    let out = "stockThenOrder outputs";
    assert_eq!(
        field(api, out, "available"),
        &Type::Primitive(Primitive::I64)
    );
    assert_eq!(named(api, field(api, out, "page")), "Order");
    assert_eq!(
        w.sources.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(),
        ["orders", "inventory"]
    );
}

#[test]
fn workflow_function_names_are_sanitised_in_every_language() {
    let w = workflows(&arazzo("shop.arazzo.yaml"));
    let rust = emit_rust_workflows(&w, &rust_options("shop-flows")).expect("rust");
    common::assert_parses(&rust);
    let src = rust.file("src/workflows.rs").expect("workflows.rs");
    for item in [
        "pub async fn create_order(",
        "pub fn create_order_workflow()",
        "pub async fn resume_create_order(",
        "pub enum CreateOrderError",
        "pub async fn workflow_2fa(",
        "pub enum Workflow2faError",
        "pub const CREATE_ORDER_STEPS: &[&str] = &[\"create\", \"read\"];",
    ] {
        assert!(src.contains(item), "missing {item:?}");
    }
    assert!(src.contains("The input schema could not be typed"));
    let py = Target::from_rust_options(Language::Python, &RustOptions::default())
        .emit_workflows(&w)
        .expect("python");
    let src = py.file("shop_flows/workflows.py").expect("workflows.py");
    for item in [
        "def create_order(",
        "async def acreate_order(",
        "def workflow_2fa(",
        "class CreateOrderError(WorkflowFailedError):",
    ] {
        assert!(src.contains(item), "missing {item:?}");
    }
    let ts = Target::from_rust_options(Language::TypeScript, &RustOptions::default())
        .emit_workflows(&w)
        .expect("typescript");
    let src = ts.file("src/workflows.ts").expect("workflows.ts");
    for item in [
        "export async function createOrder(",
        "export async function workflow2fa(",
        "export class CreateOrderError extends WorkflowFailedError",
    ] {
        assert!(src.contains(item), "missing {item:?}");
    }
}

fn rust_options(name: &str) -> RustOptions {
    RustOptions {
        crate_name: Some(name.to_string()),
        oncely: OncelyDep::Path(common::repo().join("sdk")),
    }
}

/// Drives the generated `checkout` function: one run that completes, one
/// whose payment is declined; prints what the test checks in the ledger.
const MAIN: &str = r#"//! Runs the generated checkout workflow function.
use std::sync::Arc;

use orders_flows::models::CheckoutInputs;
use orders_flows::workflows::{self, CheckoutError};

fn inputs(payment_method: &str) -> CheckoutInputs {
    CheckoutInputs {
        customer_id: "cus_gen".into(),
        sku: "sku-1".into(),
        quantity: 2,
        currency: "EUR".into(),
        amount: 1250,
        payment_method: payment_method.into(),
        // Left out: the generated function fills in the schema default.
        carrier: None,
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = std::env::args().nth(1).ok_or("usage: flows-e2e BASE_URL")?;
    let store: Arc<dyn oncely::Store> = Arc::new(oncely::MemoryStore::new());
    let journal: Arc<dyn oncely::store::Journal> =
        store.clone().as_journal().ok_or("the memory store has a journal")?;
    let client = oncely::Client::builder(base.clone())
        .shared_store(store)
        .retry_policy(oncely::RetryPolicy::default().base_delay(std::time::Duration::from_millis(2)))
        .build()?;
    let engine = oncely::workflow::Engine::new(client, journal)
        .register(workflows::checkout_workflow()?.workflow().clone());

    let outputs = workflows::checkout(&engine, &inputs("pm_card_visa"), Some("gen-checkout-1")).await?;
    println!("completed {}", outputs.order_id);
    // The same run id again: the finished run, not a second checkout.
    let again = workflows::checkout(&engine, &inputs("pm_card_visa"), Some("gen-checkout-1")).await?;
    assert_eq!(again, outputs);

    match workflows::checkout(&engine, &inputs("pm_card_declined"), Some("gen-checkout-2")).await {
        Err(e @ CheckoutError::Failed { .. }) => {
            assert_eq!(e.failed_step(), Some("authorizePayment"), "{e}");
            let CheckoutError::Failed { state, .. } = &e else { unreachable!() };
            println!("declined {state} {}", e.failed_step().unwrap_or_default());
        }
        other => panic!("expected a failed run, got {other:?}"),
    }

    // The source served apart from the client's base URL (which answers nothing).
    let elsewhere = oncely::Client::builder("http://127.0.0.1:9")
        .shared_store(Arc::new(oncely::MemoryStore::new()))
        .build()?;
    let memory: Arc<dyn oncely::Store> = Arc::new(oncely::MemoryStore::new());
    let engine = oncely::workflow::Engine::new(elsewhere, memory.as_journal().ok_or("journal")?);
    let at = workflows::checkout_workflow_at(&[("orders", base.as_str())])?;
    let mut given = inputs("pm_card_visa");
    given.carrier = Some("oncely-post".into());
    let outcome = at.start(&engine, Some("gen-checkout-3"), &serde_json::to_value(&given)?).await?;
    let routed = workflows::checkout_outputs(outcome)?;
    println!("routed {}", routed.order_id);
    match workflows::checkout_workflow_at(&[("nowhere", base.as_str())]) {
        Err(e @ CheckoutError::Compile(_)) => assert!(e.to_string().contains("nowhere"), "{e}"),
        Err(other) => panic!("expected a compile error, got {other}"),
        Ok(_) => panic!("an unknown source description compiled"),
    }
    Ok(())
}
"#;

#[test]
fn generated_checkout_function_runs_against_the_reference_server() {
    let checkout = emit_rust_workflows(&orders(), &rust_options("orders-flows")).expect("emits");
    let shop = emit_rust_workflows(
        &workflows(&arazzo("shop.arazzo.yaml")),
        &rust_options("shop-flows"),
    )
    .expect("emits");
    let two = emit_rust_workflows(
        &workflows(&arazzo("two-sources.arazzo.yaml")),
        &rust_options("two-sources-flows"),
    )
    .expect("emits");
    let manifest = format!(
        "[package]\nname = \"flows-e2e\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\norders-flows = {{ path = \"../orders-flows\" }}\noncely = {{ path = {:?} }}\nserde_json = \"1\"\ntokio = {{ version = \"1\", features = [\"rt-multi-thread\", \"macros\"] }}\n",
        common::repo().join("sdk").display().to_string()
    );
    let files: &[(&str, &str)] = &[("Cargo.toml", &manifest), ("src/main.rs", MAIN)];
    let (ok, output) = common::cargo_in_workspace(
        "flows",
        &[
            ("orders-flows", &checkout),
            ("shop-flows", &shop),
            ("two-sources-flows", &two),
        ],
        &[("flows-e2e", files)],
        &["build", "--workspace", "--message-format", "short"],
    );
    assert!(ok, "the generated workflow crates do not build:\n{output}");
    let ours: Vec<&str> = output
        .lines()
        .filter(|l| l.contains(": warning") && !l.starts_with('/'))
        .collect();
    assert!(ours.is_empty(), "warnings:\n{}", ours.join("\n"));

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let server = rt
        .block_on(orders_server::spawn(orders_server::ServerConfig {
            operation_duration: std::time::Duration::from_millis(50),
            retry_after_ms: Some(5),
            ..Default::default()
        }))
        .expect("server starts");
    let exe = common::e2e_target().join("debug").join("flows-e2e");
    let out = Command::new(exe)
        .arg(server.base_url())
        .output()
        .expect("the program runs");
    let ledger = server.ledger();
    rt.block_on(server.shutdown());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");

    let completed = stdout
        .lines()
        .find_map(|l| l.strip_prefix("completed "))
        .unwrap_or_else(|| panic!("{stdout}"));
    let of = |kind: SideEffect, order: &str| {
        ledger
            .iter()
            .filter(|e| e.kind == kind && e.order_id.to_string() == order)
            .count()
    };
    for kind in [
        SideEffect::OrderCreated,
        SideEffect::InventoryReserved,
        SideEffect::PaymentAuthorized,
        SideEffect::ShipmentRequested,
    ] {
        assert_eq!(
            of(kind, completed),
            1,
            "{kind:?} once for the completed run"
        );
    }
    assert_eq!(of(SideEffect::OrderCancelled, completed), 0);
    assert!(
        stdout.contains("declined compensated authorizePayment"),
        "{stdout}"
    );
    // The declined run's order was created, then cancelled by compensation.
    let orders: Vec<String> = ledger
        .iter()
        .filter(|e| e.kind == SideEffect::OrderCreated)
        .map(|e| e.order_id.to_string())
        .collect();
    assert_eq!(orders.len(), 3, "three runs, three orders: {ledger:?}");
    let routed = stdout
        .lines()
        .find_map(|l| l.strip_prefix("routed "))
        .unwrap_or_else(|| panic!("{stdout}"));
    // The run compiled with a server for its source reached the server.
    assert_eq!(of(SideEffect::ShipmentRequested, routed), 1);
    let declined = orders
        .iter()
        .find(|o| *o != completed && *o != routed)
        .expect("the declined run's order");
    assert_eq!(of(SideEffect::OrderCancelled, declined), 1);
    assert_eq!(of(SideEffect::PaymentAuthorized, declined), 0);
}

/// `.venv/bin/python` of the repository (`make python-env`).
fn python() -> PathBuf {
    let venv = common::repo().join(".venv/bin/python");
    assert!(
        venv.exists(),
        "{} is missing: run `make python-env` (mypy type-checks the generated Python)",
        venv.display()
    );
    venv
}

#[test]
fn generated_python_workflows_pass_mypy_strict() {
    let dir = common::e2e_target().join("workflows-python");
    let _ = std::fs::remove_dir_all(&dir);
    for (doc, name) in [
        (
            common::repo().join("openapi/orders.arazzo.yaml"),
            "orders_flows",
        ),
        (arazzo("shop.arazzo.yaml"), "shop_flows"),
        (arazzo("two-sources.arazzo.yaml"), "two_flows"),
    ] {
        let g = Target::from_rust_options(
            Language::Python,
            &RustOptions {
                crate_name: Some(name.into()),
                ..Default::default()
            },
        )
        .emit_workflows(&workflows(&doc))
        .expect("python");
        g.write_to(&dir.join(name)).expect("written");
    }
    let out = Command::new(python())
        .args(["-m", "mypy", "--strict", "--no-incremental"])
        .args([
            "orders_flows/orders_flows",
            "shop_flows/shop_flows",
            "two_flows/two_flows",
        ])
        .env("MYPYPATH", common::repo().join("bindings/python/python"))
        .current_dir(&dir)
        .output()
        .expect("mypy runs");
    assert!(
        out.status.success(),
        "mypy --strict:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `tsc`: `ONCELY_TSC`, else the binding's (`make node-build`).
fn tsc() -> PathBuf {
    let path = std::env::var_os("ONCELY_TSC")
        .map(PathBuf::from)
        .unwrap_or_else(|| common::repo().join("bindings/node/node_modules/typescript/bin/tsc"));
    assert!(
        path.exists(),
        "{} is missing: run `make node-build` or set ONCELY_TSC (tsc type-checks the generated TypeScript)",
        path.display()
    );
    path
}

#[test]
fn generated_typescript_workflows_pass_tsc_strict() {
    let tsc = tsc();
    // …/node_modules/typescript/bin/tsc → …/node_modules/@types
    let types = tsc
        .ancestors()
        .nth(3)
        .map(|m| m.join("@types"))
        .expect("node_modules");
    let dir = common::e2e_target().join("workflows-typescript");
    let _ = std::fs::remove_dir_all(&dir);
    for (doc, name) in [
        (common::repo().join("openapi/orders.arazzo.yaml"), "orders"),
        (arazzo("shop.arazzo.yaml"), "shop"),
        (arazzo("two-sources.arazzo.yaml"), "two"),
    ] {
        let out = dir.join(name);
        let g = Target::from_rust_options(Language::TypeScript, &RustOptions::default())
            .emit_workflows(&workflows(&doc))
            .expect("typescript");
        g.write_to(&out).expect("written");
        std::fs::create_dir_all(out.join("node_modules")).expect("node_modules");
        #[cfg(unix)]
        std::os::unix::fs::symlink(
            common::repo().join("bindings/node"),
            out.join("node_modules/oncely"),
        )
        .expect("link the binding");
        let run = Command::new("node")
            .arg(&tsc)
            .args(["--strict", "--noEmit", "-p"])
            .arg(out.join("tsconfig.json"))
            .arg("--typeRoots")
            .arg(&types)
            .output()
            .expect("tsc runs");
        assert!(
            run.status.success(),
            "tsc --strict on {name}:\n{}{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        );
    }
}
