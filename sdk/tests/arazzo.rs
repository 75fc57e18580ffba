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

#[test]
fn a_document_with_every_construct_checks_clean() {
    let findings = findings_of(&fixture("every-construct.arazzo.yaml"));
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
fn every_construct_is_kept_in_the_model() {
    let document = load_file(fixture("every-construct.arazzo.yaml")).unwrap();
    assert_eq!(document.extensions["x-generated-by"], "hand");
    assert_eq!(document.info.extensions["x-owner"], "pets-team");
    let buy = document.workflow("buyPet").unwrap();
    assert_eq!(buy.extensions["x-tier"], "gold");
    assert_eq!(buy.depends_on.len(), 2);
    let place = &buy.steps[buy.step_index("placeOrder").unwrap()];
    let compensate = place.compensate.as_ref().unwrap();
    assert_eq!(
        compensate.target(),
        Some(StepTarget::OperationId("deleteOrder"))
    );
    assert_eq!(compensate.success_criteria.len(), 1);
    let body = place.request_body.as_ref().unwrap();
    assert_eq!(body.replacements[1].extensions["x-reason"], "one is enough");
    let find = &buy.steps[1];
    assert_eq!(find.success_criteria.len(), 4);
    assert_eq!(find.on_failure.len(), 2);
    let components = document.components.as_ref().unwrap();
    assert_eq!(components.extensions["x-components-note"], "kept");
    // Serialising and loading again gives the same document.
    let json = serde_json::to_value(&document).unwrap();
    let again = oncely::arazzo::load_value(json, "round-trip").unwrap();
    assert_eq!(again, document);
}

#[test]
fn json_documents_load_too() {
    let path = fixture("minimal.arazzo.json");
    let document = load_file(&path).unwrap();
    assert_eq!(document.arazzo, "1.0.0");
    assert!(findings_of(&path).is_empty());
}

#[test]
fn invalid_documents_fail_with_a_pointer() {
    type Kind = fn(&LoadErrorKind) -> bool;
    let cases: &[(&str, &str, Kind)] = &[
        (
            "version-2",
            "/arazzo",
            |k| matches!(k, LoadErrorKind::UnsupportedVersion(v) if v == "2.0.0"),
        ),
        ("version-number", "/arazzo", |k| {
            matches!(k, LoadErrorKind::MissingVersion)
        }),
        (
            "missing-info-title",
            "/info",
            |k| matches!(k, LoadErrorKind::Shape(m) if m.contains("title")),
        ),
        ("no-workflows", "/workflows", |k| {
            matches!(k, LoadErrorKind::Empty)
        }),
        ("two-targets", "/workflows/0/steps/0", |k| {
            matches!(k, LoadErrorKind::StepTarget(2))
        }),
        ("no-target", "/workflows/0/steps/0", |k| {
            matches!(k, LoadErrorKind::StepTarget(0))
        }),
        ("bad-step-id", "/workflows/0/steps/0/stepId", |k| {
            matches!(k, LoadErrorKind::Pattern { what: "stepId", .. })
        }),
        ("duplicate-step", "/workflows/0/steps/1/stepId", |k| {
            matches!(k, LoadErrorKind::Duplicate { what: "stepId", .. })
        }),
        ("duplicate-workflow", "/workflows/1/workflowId", |k| {
            matches!(
                k,
                LoadErrorKind::Duplicate {
                    what: "workflowId",
                    ..
                }
            )
        }),
        (
            "unknown-field",
            "/workflows/0/steps/0/operation",
            |k| matches!(k, LoadErrorKind::UnknownField(f) if f == "operation"),
        ),
        (
            "missing-in",
            "/workflows/0/steps/0/parameters/0",
            |k| matches!(k, LoadErrorKind::MissingLocation(n) if n == "username"),
        ),
        (
            "goto-without-target",
            "/workflows/0/steps/0/onSuccess/0",
            |k| matches!(k, LoadErrorKind::ActionTarget(_)),
        ),
        (
            "negative-retry-after",
            "/workflows/0/steps/0/onFailure/0/retryAfter",
            |k| matches!(k, LoadErrorKind::RetryAfter),
        ),
        (
            "type-without-context",
            "/workflows/0/steps/0/successCriteria/0",
            |k| matches!(k, LoadErrorKind::MissingContext),
        ),
        (
            "bad-expression-type-version",
            "/workflows/0/steps/0/successCriteria/0/type/version",
            |k| matches!(k, LoadErrorKind::ExpressionType(_)),
        ),
        (
            "bad-output-name",
            "/workflows/0/steps/0/outputs/my output",
            |k| {
                matches!(
                    k,
                    LoadErrorKind::Pattern {
                        what: "output name",
                        ..
                    }
                )
            },
        ),
        (
            "bad-parameter-in",
            "/workflows/0/steps/0/parameters/0",
            |k| matches!(k, LoadErrorKind::Shape(m) if m.contains("body")),
        ),
        (
            "bad-action-type",
            "/workflows/0/steps/0/onFailure/0",
            |k| matches!(k, LoadErrorKind::Shape(m) if m.contains("jump")),
        ),
        ("bad-source-name", "/sourceDescriptions/0/name", |k| {
            matches!(k, LoadErrorKind::Pattern { .. })
        }),
        ("not-yaml", "", |k| matches!(k, LoadErrorKind::Syntax(_))),
    ];
    let dir = fixture("invalid");
    let on_disk = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(on_disk, cases.len(), "every invalid fixture has a case");
    for (name, pointer, kind) in cases {
        let path = dir.join(format!("{name}.arazzo.yaml"));
        let error = load_file(&path).expect_err(name);
        assert_eq!(error.pointer.to_string(), *pointer, "{name}: {error}");
        assert!(kind(&error.kind), "{name}: {error}");
        assert!(
            error.source_name.ends_with(&format!("{name}.arazzo.yaml")),
            "{error}"
        );
    }
}

#[test]
fn checks_find_what_cannot_work() {
    use Severity::{Error, Warning};
    type Kind = fn(&FindingKind) -> bool;
    type Expected = (Severity, &'static str, Kind);
    let cases: &[(&str, &[Expected])] = &[
        (
            "goto-unknown-step",
            &[(
                Error,
                "/workflows/0/steps/0/onSuccess/0/stepId",
                |k| matches!(k, FindingKind::UnknownStep(s) if s == "nowhere"),
            )],
        ),
        (
            "goto-unknown-workflow",
            &[(Error, "/workflows/0/steps/0/onFailure/0/workflowId", |k| {
                matches!(k, FindingKind::UnknownWorkflow(_))
            })],
        ),
        (
            "depends-on-unknown-workflow",
            &[(
                Error,
                "/workflows/0/dependsOn/1",
                |k| matches!(k, FindingKind::UnknownWorkflow(w) if w == "elsewhere"),
            )],
        ),
        (
            "step-not-yet-run",
            &[(
                Error,
                "/workflows/0/steps/0/parameters/0/value",
                |k| matches!(k, FindingKind::StepNotYetRun(s) if s == "place"),
            )],
        ),
        (
            "goto-makes-step-available",
            &[(Warning, "/workflows/0/steps/0/onFailure/0", |k| {
                matches!(
                    k,
                    FindingKind::UnboundedGotoCycle {
                        conditional: true,
                        ..
                    }
                )
            })],
        ),
        (
            "unbounded-goto-cycle",
            &[(
                Error,
                "/workflows/0/steps/1/onSuccess/0",
                |k| matches!(k, FindingKind::UnboundedGotoCycle { conditional: false, steps } if steps == &["place", "check"]),
            )],
        ),
        ("retry-loop-is-bounded", &[]),
        (
            "xpath-unsupported",
            &[(
                Warning,
                "/workflows/0/steps/0/successCriteria/0/type",
                |k| matches!(k, FindingKind::XPathUnsupported),
            )],
        ),
        (
            "unresolved-reference",
            &[(Error, "/workflows/0/steps/0/parameters/0/reference", |k| {
                matches!(k, FindingKind::UnresolvedReference(_))
            })],
        ),
        (
            "wrong-component-kind",
            &[(Error, "/workflows/0/steps/0/onSuccess/0/reference", |k| {
                matches!(
                    k,
                    FindingKind::WrongComponentKind {
                        expected: "successActions",
                        ..
                    }
                )
            })],
        ),
        (
            "bad-expression",
            &[(Error, "/workflows/0/steps/0/parameters/0/value", |k| {
                matches!(k, FindingKind::Expression(_))
            })],
        ),
        (
            "bad-condition",
            &[(
                Error,
                "/workflows/0/steps/0/successCriteria/0/condition",
                |k| matches!(k, FindingKind::Criterion(_)),
            )],
        ),
        (
            "bad-regex",
            &[(
                Error,
                "/workflows/0/steps/0/successCriteria/0/condition",
                |k| matches!(k, FindingKind::Criterion(_)),
            )],
        ),
        (
            "unknown-operation-id",
            &[(Error, "/workflows/0/steps/0/operationId", |k| {
                matches!(k, FindingKind::Operation(_))
            })],
        ),
        (
            "bad-operation-path",
            &[(Error, "/workflows/0/steps/0/operationPath", |k| {
                matches!(k, FindingKind::Operation(_))
            })],
        ),
        (
            "unknown-step-output",
            &[(
                Error,
                "/workflows/0/steps/1/parameters/0/value",
                |k| matches!(k, FindingKind::UnknownStepOutput { output, .. } if output == "id"),
            )],
        ),
        (
            "unknown-and-missing-parameters",
            &[
                (
                    Warning,
                    "/workflows/0/steps/0/parameters/0",
                    |k| matches!(k, FindingKind::UnknownParameter { name, .. } if name == "order_id"),
                ),
                (
                    Error,
                    "/workflows/0/steps/0",
                    |k| matches!(k, FindingKind::MissingParameter { name, location: "path" } if name == "orderId"),
                ),
            ],
        ),
        (
            "duplicate-parameter",
            &[(Error, "/workflows/0/steps/0/parameters/2", |k| {
                matches!(k, FindingKind::DuplicateParameter { .. })
            })],
        ),
        (
            "duplicate-action",
            &[(
                Error,
                "/workflows/0/steps/0/onSuccess/1",
                |k| matches!(k, FindingKind::DuplicateAction(n) if n == "stop"),
            )],
        ),
        (
            "response-in-workflow-outputs",
            &[(Error, "/workflows/0/outputs/status", |k| {
                matches!(k, FindingKind::ExchangeOutsideStep(_))
            })],
        ),
        (
            "unknown-input",
            &[(
                Warning,
                "/workflows/0/steps/0/parameters/0/value",
                |k| matches!(k, FindingKind::UnknownInput(i) if i == "user"),
            )],
        ),
        (
            "bad-replacement-target",
            &[(
                Error,
                "/workflows/0/steps/0/requestBody/replacements/0/target",
                |k| matches!(k, FindingKind::BadReplacementTarget(_)),
            )],
        ),
        (
            "unresolved-input-ref",
            &[(
                Error,
                "/workflows/0/inputs/properties/buyer/$ref",
                |k| matches!(k, FindingKind::UnresolvedReference(r) if r == "#/components/inputs/buyer"),
            )],
        ),
        (
            "type-mismatch",
            &[
                (
                    Warning,
                    "/workflows/0/steps/1/requestBody/payload/petId",
                    |k| matches!(k, FindingKind::TypeMismatch { found, expected, .. } if found == "string" && expected == "integer or number"),
                ),
                (
                    Warning,
                    "/workflows/0/steps/1/requestBody/replacements/0/value",
                    |k| matches!(k, FindingKind::TypeMismatch { expected, .. } if expected == "string"),
                ),
                (
                    Warning,
                    "/workflows/0/steps/2/parameters/0/value",
                    |k| matches!(k, FindingKind::TypeMismatch { output, found, .. } if output == "$steps.find.outputs.id" && found == "integer or number"),
                ),
            ],
        ),
        (
            "missing-request-body",
            &[(Error, "/workflows/0/steps/0", |k| {
                matches!(k, FindingKind::MissingRequestBody)
            })],
        ),
    ];
    let dir = fixture("findings");
    let on_disk = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(on_disk, cases.len(), "every findings fixture has a case");
    for (name, expected) in cases {
        let findings = findings_of(&dir.join(format!("{name}.arazzo.yaml")));
        let shown: Vec<String> = findings.iter().map(ToString::to_string).collect();
        assert_eq!(findings.len(), expected.len(), "{name}: {shown:#?}");
        for (finding, (severity, pointer, kind)) in findings.iter().zip(expected.iter()) {
            assert_eq!(finding.severity, *severity, "{name}: {finding}");
            assert_eq!(finding.pointer.to_string(), *pointer, "{name}: {finding}");
            assert!(kind(&finding.kind), "{name}: {finding}");
        }
    }
}
