//! Arazzo documents on disk: the reference checkout against
//! `openapi/orders.yaml`, a document using every construct, and invalid
//! documents that must fail to load or give findings, each with its pointer.

use oncely::arazzo::check::{check, Finding, FindingKind, Severity};
use oncely::arazzo::operation::resolve;
use oncely::arazzo::{load_file, LoadErrorKind, Sources, StepTarget};
use std::path::{Path, PathBuf};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/arazzo")
        .join(path)
}

fn findings_of(path: &Path) -> Vec<Finding> {
    let document = load_file(path).unwrap_or_else(|e| panic!("{e}"));
    let (sources, errors) = Sources::load(&document, path);
    assert!(errors.is_empty(), "{errors:?}");
    check(&document, &sources)
}

#[test]
fn the_reference_checkout_checks_clean_against_orders_yaml() {
    let path = repo("openapi/orders.arazzo.yaml");
    let findings = findings_of(&path);
    assert!(
        findings.is_empty(),
        "{}",
        findings
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_checkout_resolves_to_the_servers_operations() {
    let path = repo("openapi/orders.arazzo.yaml");
    let document = load_file(&path).unwrap();
    let (sources, _) = Sources::load(&document, &path);
    let checkout = document.workflow("checkout").unwrap();
    let resolved: Vec<(String, String, bool)> = checkout
        .steps
        .iter()
        .map(|step| {
            let op = resolve(step.target().unwrap(), &document, &sources).unwrap();
            (op.method, op.path, op.long_running)
        })
        .collect();
    assert_eq!(
        resolved,
        [
            ("POST".into(), "/orders".into(), false),
            (
                "POST".into(),
                "/orders/{order_id}/reservations".into(),
                false
            ),
            ("POST".into(), "/orders/{order_id}/payments".into(), false),
            ("POST".into(), "/orders/{order_id}/shipments".into(), true),
        ]
    );
    let reserve = resolve(checkout.steps[1].target().unwrap(), &document, &sources).unwrap();
    assert_eq!(reserve.operation_id.as_deref(), Some("reserveInventory"));
    let order_id = reserve
        .parameter(
            "order_id",
            oncely::arazzo::document::ParameterLocation::Path,
        )
        .unwrap();
    assert!(order_id.required);
    assert_eq!(order_id.schema.as_ref().unwrap()["format"], "uuid");
    assert!(reserve
        .parameter(
            "idempotency-key",
            oncely::arazzo::document::ParameterLocation::Header
        )
        .is_some());
    assert!(reserve.responses["201"]
        .content
        .contains_key("application/json"));
    assert!(reserve.unresolved_refs.is_empty());
    // Every step of the checkout has a compensation but the last.
    let compensated: Vec<bool> = checkout
        .steps
        .iter()
        .map(|s| s.compensate.is_some())
        .collect();
    assert_eq!(compensated, [true, true, true, false]);
    let cancel = checkout.steps[0].compensate.as_ref().unwrap();
    assert_eq!(
        cancel.target(),
        Some(StepTarget::OperationId("cancelOrder"))
    );
}
