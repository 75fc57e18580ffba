//! Loading, checking and compiling Arazzo workflows through the shared layer:
//! every failure names its document and JSON pointer.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use oncely::arazzo::PlanError;
use oncely_bindings_common::arazzo::{compile, ArazzoError, WorkflowSource};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

fn text(path: &str) -> String {
    std::fs::read_to_string(repo(path)).unwrap()
}

fn openapi() -> BTreeMap<String, String> {
    BTreeMap::from([("orders".to_owned(), text("openapi/orders.yaml"))])
}

fn from_text(document: &str, sources: &BTreeMap<String, String>) -> Result<(), ArazzoError> {
    let source = WorkflowSource::Text {
        document,
        name: "t.arazzo.yaml",
        sources,
    };
    compile(source, "checkout", &BTreeMap::new()).map(drop)
}

#[test]
fn the_checkout_compiles_from_a_file_and_from_text() {
    let path = repo("openapi/orders.arazzo.yaml");
    let flow = compile(WorkflowSource::Path(&path), "checkout", &BTreeMap::new()).unwrap();
    assert_eq!(flow.workflow().name(), "checkout");
    from_text(&text("openapi/orders.arazzo.yaml"), &openapi()).unwrap();
}

#[test]
fn every_source_description_needs_a_text_and_every_text_a_source() {
    let document = text("openapi/orders.arazzo.yaml");
    let error = from_text(&document, &BTreeMap::new()).unwrap_err();
    assert!(
        matches!(&error, ArazzoError::Sources { problems, .. } if problems[0].starts_with("#/sourceDescriptions/0: ")),
        "{error}"
    );
    let mut extra = openapi();
    extra.insert("billing".into(), "{}".into());
    let message = from_text(&document, &extra).unwrap_err().to_string();
    assert!(
        message.contains("\"billing\", which names no source description"),
        "{message}"
    );
}

#[test]
fn error_findings_are_listed_with_their_pointers() {
    let document = text("openapi/orders.arazzo.yaml")
        .replace("operationId: requestShipment", "operationId: nope")
        .replace(
            "      orderId: $steps.createOrder.outputs.orderId",
            "      orderId: $steps.gone.outputs.orderId",
        );
    let error = from_text(&document, &openapi()).unwrap_err();
    let ArazzoError::Findings { document, findings } = &error else {
        panic!("{error}");
    };
    assert_eq!(document, "t.arazzo.yaml");
    let pointers: Vec<String> = findings.iter().map(|f| f.pointer.to_string()).collect();
    assert!(
        pointers.contains(&"/workflows/0/steps/3/operationId".to_owned()),
        "{pointers:?}"
    );
    assert!(
        pointers.contains(&"/workflows/0/outputs/orderId".to_owned()),
        "{pointers:?}"
    );
    let core = error.into_error();
    assert!(
        matches!(&core, oncely::Error::InvalidInput { .. }),
        "{core}"
    );
    assert!(
        core.to_string().contains("#/workflows/0/outputs/orderId"),
        "{core}"
    );
}

#[test]
fn load_and_plan_errors_name_the_pointer() {
    let error = from_text("arazzo: 2.0.0\n", &BTreeMap::new()).unwrap_err();
    assert!(
        error.to_string().starts_with("t.arazzo.yaml#/arazzo: "),
        "{error}"
    );
    let path = repo("openapi/orders.arazzo.yaml");
    let error = compile(WorkflowSource::Path(&path), "nope", &BTreeMap::new()).unwrap_err();
    assert!(
        error.to_string().ends_with("no workflow \"nope\""),
        "{error}"
    );
}

#[test]
fn servers_must_name_sources_with_absolute_urls() {
    let path = repo("openapi/orders.arazzo.yaml");
    let servers = |name: &str, url: &str| BTreeMap::from([(name.to_owned(), url.to_owned())]);
    compile(
        WorkflowSource::Path(&path),
        "checkout",
        &servers("orders", "http://127.0.0.1:1"),
    )
    .unwrap();
    let error = compile(
        WorkflowSource::Path(&path),
        "checkout",
        &servers("billing", "http://127.0.0.1:1"),
    )
    .unwrap_err();
    assert!(
        matches!(&error, ArazzoError::Plan { error: PlanError::UnknownSource(name), .. } if name == "billing"),
        "{error}"
    );
}
