//! The structural rules of Arazzo 1.0 that serde's shape checks do not cover:
//! what the JSON Schema says with `minItems`, `oneOf`, `pattern`,
//! `dependentRequired` and `unevaluatedProperties`, and the uniqueness of ids.
//!
//! Rules follow the specification's text where it and the JSON Schema
//! disagree: a `retry` failure action may omit `stepId`/`workflowId` (it then
//! retries the current step) and `retryAfter` (no delay), as the
//! specification's own example does.

use super::document::{
    Components, Criterion, CriterionType, Document, Extensions, FailureAction, FailureActionType,
    OrReusable, Parameter, RequestBody, Step, SuccessAction, SuccessActionType, Workflow,
};
use super::error::{LoadError, LoadErrorKind};
use super::pointer::JsonPointer;
use std::collections::{BTreeMap, HashSet};

const ID_PATTERN: &str = "^[A-Za-z0-9_\\-]+$";
const KEY_PATTERN: &str = "^[a-zA-Z0-9\\.\\-_]+$";

/// Every structural violation of `document`, in document order; empty when
/// it follows the rules.
pub fn validate(document: &Document, source_name: &str) -> Vec<LoadError> {
    let mut v = Validator {
        source_name,
        errors: Vec::new(),
    };
    v.document(document);
    v.errors
}

struct Validator<'a> {
    source_name: &'a str,
    errors: Vec<LoadError>,
}

fn is_id(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn is_key(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

impl Validator<'_> {
    fn report(&mut self, at: &JsonPointer, kind: LoadErrorKind) {
        self.errors
            .push(LoadError::new(self.source_name, at.clone(), kind));
    }

    fn extensions(&mut self, at: &JsonPointer, extensions: &Extensions) {
        for key in extensions.keys().filter(|k| !k.starts_with("x-")) {
            self.report(&at.child(key), LoadErrorKind::UnknownField(key.clone()));
        }
    }

    fn pattern(&mut self, at: &JsonPointer, what: &'static str, value: &str, id: bool) {
        let (ok, pattern) = if id {
            (is_id(value), ID_PATTERN)
        } else {
            (is_key(value), KEY_PATTERN)
        };
        if !ok {
            self.report(
                at,
                LoadErrorKind::Pattern {
                    what,
                    value: value.to_owned(),
                    pattern,
                },
            );
        }
    }

    fn unique<'v>(
        &mut self,
        what: &'static str,
        items: impl IntoIterator<Item = (JsonPointer, &'v str)>,
    ) {
        let mut seen = HashSet::new();
        for (at, value) in items {
            if !seen.insert(value) {
                self.report(
                    &at,
                    LoadErrorKind::Duplicate {
                        what,
                        value: value.to_owned(),
                    },
                );
            }
        }
    }

    fn not_empty<T>(&mut self, at: &JsonPointer, items: &[T]) {
        if items.is_empty() {
            self.report(at, LoadErrorKind::Empty);
        }
    }

    fn document(&mut self, document: &Document) {
        let root = JsonPointer::root();
        self.extensions(&root, &document.extensions);
        self.extensions(&root.child("info"), &document.info.extensions);
        let sources = root.child("sourceDescriptions");
        self.not_empty(&sources, &document.source_descriptions);
        for (index, source) in document.source_descriptions.iter().enumerate() {
            let at = sources.child(index.to_string());
            self.pattern(
                &at.child("name"),
                "source description name",
                &source.name,
                true,
            );
            self.extensions(&at, &source.extensions);
        }
        self.unique(
            "source description name",
            document
                .source_descriptions
                .iter()
                .enumerate()
                .map(|(i, s)| (sources.child(i.to_string()).child("name"), s.name.as_str())),
        );
        let workflows = root.child("workflows");
        self.not_empty(&workflows, &document.workflows);
        for (index, workflow) in document.workflows.iter().enumerate() {
            self.workflow(&workflows.child(index.to_string()), workflow);
        }
        self.unique(
            "workflowId",
            document.workflows.iter().enumerate().map(|(i, w)| {
                (
                    workflows.child(i.to_string()).child("workflowId"),
                    w.workflow_id.as_str(),
                )
            }),
        );
        if let Some(components) = &document.components {
            self.components(&root.child("components"), components);
        }
    }

    fn workflow(&mut self, at: &JsonPointer, workflow: &Workflow) {
        self.pattern(
            &at.child("workflowId"),
            "workflowId",
            &workflow.workflow_id,
            true,
        );
        self.extensions(at, &workflow.extensions);
        let steps = at.child("steps");
        self.not_empty(&steps, &workflow.steps);
        for (index, step) in workflow.steps.iter().enumerate() {
            self.step(&steps.child(index.to_string()), step);
        }
        self.unique(
            "stepId",
            workflow.steps.iter().enumerate().map(|(i, s)| {
                (
                    steps.child(i.to_string()).child("stepId"),
                    s.step_id.as_str(),
                )
            }),
        );
        self.success_actions(&at.child("successActions"), &workflow.success_actions);
        self.failure_actions(&at.child("failureActions"), &workflow.failure_actions);
        self.outputs(&at.child("outputs"), &workflow.outputs);
        // Workflow-level parameters apply to operation and workflow steps
        // alike, so `in` stays optional here.
        self.parameters(&at.child("parameters"), &workflow.parameters, false);
    }

    fn step(&mut self, at: &JsonPointer, step: &Step) {
        self.pattern(&at.child("stepId"), "stepId", &step.step_id, true);
        self.extensions(at, &step.extensions);
        let targets = [
            step.operation_id.is_some(),
            step.operation_path.is_some(),
            step.workflow_id.is_some(),
        ];
        let count = targets.iter().filter(|set| **set).count();
        if count != 1 {
            self.report(at, LoadErrorKind::StepTarget(count));
        }
        let calls_operation = step.workflow_id.is_none();
        self.parameters(&at.child("parameters"), &step.parameters, calls_operation);
        if let Some(body) = &step.request_body {
            self.request_body(&at.child("requestBody"), body);
        }
        self.criteria(&at.child("successCriteria"), &step.success_criteria);
        self.success_actions(&at.child("onSuccess"), &step.on_success);
        self.failure_actions(&at.child("onFailure"), &step.on_failure);
        self.outputs(&at.child("outputs"), &step.outputs);
        if let Some(compensate) = &step.compensate {
            let at = at.child("x-oncely-compensate");
            let count = [
                compensate.operation_id.is_some(),
                compensate.operation_path.is_some(),
                compensate.workflow_id.is_some(),
            ]
            .iter()
            .filter(|set| **set)
            .count();
            if count != 1 {
                self.report(&at, LoadErrorKind::StepTarget(count));
            }
            let calls_operation = compensate.workflow_id.is_none();
            self.parameters(
                &at.child("parameters"),
                &compensate.parameters,
                calls_operation,
            );
            if let Some(body) = &compensate.request_body {
                self.request_body(&at.child("requestBody"), body);
            }
            self.criteria(&at.child("successCriteria"), &compensate.success_criteria);
        }
    }

    fn parameters(
        &mut self,
        at: &JsonPointer,
        parameters: &[OrReusable<Parameter>],
        needs_location: bool,
    ) {
        for (index, item) in parameters.iter().enumerate() {
            if let OrReusable::Inline(parameter) = item {
                self.parameter(&at.child(index.to_string()), parameter, needs_location);
            }
        }
    }

    fn parameter(&mut self, at: &JsonPointer, parameter: &Parameter, needs_location: bool) {
        self.extensions(at, &parameter.extensions);
        if needs_location && parameter.location.is_none() {
            self.report(at, LoadErrorKind::MissingLocation(parameter.name.clone()));
        }
    }

    fn request_body(&mut self, at: &JsonPointer, body: &RequestBody) {
        self.extensions(at, &body.extensions);
        for (index, replacement) in body.replacements.iter().enumerate() {
            self.extensions(
                &at.child("replacements").child(index.to_string()),
                &replacement.extensions,
            );
        }
    }

    fn criteria(&mut self, at: &JsonPointer, criteria: &[Criterion]) {
        for (index, criterion) in criteria.iter().enumerate() {
            self.criterion(&at.child(index.to_string()), criterion);
        }
    }

    fn criterion(&mut self, at: &JsonPointer, criterion: &Criterion) {
        use super::document::ConditionLanguage as L;
        self.extensions(at, &criterion.extensions);
        if criterion.kind.is_some() && criterion.context.is_none() {
            self.report(at, LoadErrorKind::MissingContext);
        }
        if let Some(CriterionType::Versioned(versioned)) = &criterion.kind {
            let at = at.child("type");
            self.extensions(&at, &versioned.extensions);
            let allowed: &[&str] = match versioned.kind {
                L::Jsonpath => &["draft-goessner-dispatch-jsonpath-00"],
                L::Xpath => &["xpath-10", "xpath-20", "xpath-30"],
                L::Simple | L::Regex => {
                    self.report(
                        &at.child("type"),
                        LoadErrorKind::ExpressionType(
                            "a Criterion Expression Type Object's `type` is `jsonpath` or `xpath`"
                                .into(),
                        ),
                    );
                    return;
                }
            };
            if !allowed.contains(&versioned.version.as_str()) {
                self.report(
                    &at.child("version"),
                    LoadErrorKind::ExpressionType(format!(
                        "version {:?} is not one of {}",
                        versioned.version,
                        allowed.join(", ")
                    )),
                );
            }
        }
    }

    fn success_actions(&mut self, at: &JsonPointer, actions: &[OrReusable<SuccessAction>]) {
        for (index, item) in actions.iter().enumerate() {
            if let OrReusable::Inline(action) = item {
                self.success_action(&at.child(index.to_string()), action);
            }
        }
    }

    fn success_action(&mut self, at: &JsonPointer, action: &SuccessAction) {
        self.extensions(at, &action.extensions);
        let targets =
            usize::from(action.step_id.is_some()) + usize::from(action.workflow_id.is_some());
        match action.kind {
            SuccessActionType::Goto if targets != 1 => self.report(
                at,
                LoadErrorKind::ActionTarget(
                    "a `goto` action needs exactly one of `stepId` or `workflowId`",
                ),
            ),
            SuccessActionType::End if targets > 0 => self.report(
                at,
                LoadErrorKind::ActionTarget("an `end` action takes no `stepId` or `workflowId`"),
            ),
            _ => {}
        }
        self.criteria(&at.child("criteria"), &action.criteria);
    }

    fn failure_actions(&mut self, at: &JsonPointer, actions: &[OrReusable<FailureAction>]) {
        for (index, item) in actions.iter().enumerate() {
            if let OrReusable::Inline(action) = item {
                self.failure_action(&at.child(index.to_string()), action);
            }
        }
    }

    fn failure_action(&mut self, at: &JsonPointer, action: &FailureAction) {
        self.extensions(at, &action.extensions);
        let targets =
            usize::from(action.step_id.is_some()) + usize::from(action.workflow_id.is_some());
        match action.kind {
            FailureActionType::Goto if targets != 1 => self.report(
                at,
                LoadErrorKind::ActionTarget(
                    "a `goto` action needs exactly one of `stepId` or `workflowId`",
                ),
            ),
            FailureActionType::Retry if targets > 1 => self.report(
                at,
                LoadErrorKind::ActionTarget(
                    "a `retry` action takes at most one of `stepId` or `workflowId`",
                ),
            ),
            FailureActionType::End if targets > 0 => self.report(
                at,
                LoadErrorKind::ActionTarget("an `end` action takes no `stepId` or `workflowId`"),
            ),
            _ => {}
        }
        if action
            .retry_after
            .is_some_and(|seconds| !seconds.is_finite() || seconds < 0.0)
        {
            self.report(&at.child("retryAfter"), LoadErrorKind::RetryAfter);
        }
        self.criteria(&at.child("criteria"), &action.criteria);
    }

    fn outputs(&mut self, at: &JsonPointer, outputs: &BTreeMap<String, String>) {
        for name in outputs.keys() {
            self.pattern(&at.child(name), "output name", name, false);
        }
    }

    fn components(&mut self, at: &JsonPointer, components: &Components) {
        self.extensions(at, &components.extensions);
        let keys = |field: &str, names: Vec<&String>| {
            names
                .into_iter()
                .map(|n| (at.child(field).child(n), n.clone()))
                .collect::<Vec<_>>()
        };
        let all = [
            keys("inputs", components.inputs.keys().collect()),
            keys("parameters", components.parameters.keys().collect()),
            keys(
                "successActions",
                components.success_actions.keys().collect(),
            ),
            keys(
                "failureActions",
                components.failure_actions.keys().collect(),
            ),
        ];
        for (pointer, name) in all.iter().flatten() {
            self.pattern(pointer, "component name", name, false);
        }
        for (name, parameter) in &components.parameters {
            self.parameter(&at.child("parameters").child(name), parameter, false);
        }
        for (name, action) in &components.success_actions {
            self.success_action(&at.child("successActions").child(name), action);
        }
        for (name, action) in &components.failure_actions {
            self.failure_action(&at.child("failureActions").child(name), action);
        }
    }
}
