//! Static checks of a loaded document against its source descriptions:
//! everything that would make a run fail, found before it starts, each with
//! a JSON pointer into the Arazzo document.
//!
//! - every runtime expression, template and `simple` condition parses;
//!   regexes and JSONPath queries compile; `xpath` criteria are reported as
//!   unsupported;
//! - `goto` and `retry` name existing steps and workflows; steps calling a
//!   workflow and `dependsOn` name existing workflows (local, or
//!   `$sourceDescriptions.NAME.ID` of a loaded Arazzo source);
//! - `$steps.X.outputs.Y` names a step that can have run before (earlier in
//!   the order, or reaching this step through `goto`/`retry`) and an output
//!   it declares; `$workflows.W`, `$sourceDescriptions.N` and
//!   `$components.…` name things that exist; `$inputs.X` is a property of the
//!   workflow's `inputs` schema when it lists properties;
//! - a cycle of `goto`s that nothing bounds (a `retry` is bounded by its
//!   `retryLimit`);
//! - Reusable Objects resolve, to a component of the right kind; no duplicate
//!   parameters or action names in one list;
//! - `operationId` / `operationPath` resolve in the OpenAPI sources; the
//!   step's parameters exist on the operation and its required ones are given
//!   (except `Idempotency-Key`, which oncely sends itself); a `requestBody`
//!   goes to an operation that takes one;
//! - a step output (`$response.body#/…` of an operation) fed to a parameter
//!   or payload field whose OpenAPI schema takes another type.

use super::criterion::{CompiledCriterion, CriterionError};
use super::document::{
    Action, Components, Criterion, Document, FailureAction, FailureActionType, OrReusable,
    Parameter, ParameterLocation, RequestBody, Reusable, Step, StepTarget, SuccessAction,
    SuccessActionType, Workflow,
};
use super::expression::{
    looks_like_expression, ComponentKind, Expression, ExpressionError, MessagePart, NamedValue,
};
use super::operation::{resolve, ResolveError, ResolvedOperation};
use super::pointer::JsonPointer;
use super::source::{Source, Sources};
use super::template::ValueExpr;
use super::types::{compatible, schema_at, types_of};
use serde_json::Value;
use std::collections::{BTreeSet, HashSet};
use std::fmt;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The document runs, but probably not as meant.
    Warning,
    /// The document cannot run as written.
    Error,
}

/// One problem found by [`check`].
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// How bad.
    pub severity: Severity,
    /// Where in the Arazzo document.
    pub pointer: JsonPointer,
    /// What.
    pub kind: FindingKind,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, "{severity} at #{}: {}", self.pointer, self.kind)
    }
}

/// What a [`Finding`] is about.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FindingKind {
    /// A malformed runtime expression or template.
    #[error("{0}")]
    Expression(ExpressionError),
    /// A criterion that does not compile.
    #[error("{0}")]
    Criterion(CriterionError),
    /// An `xpath` criterion, which oncely cannot evaluate.
    #[error("xpath criteria are not supported; this criterion fails at run time")]
    XPathUnsupported,
    /// A `stepId` that is not in the workflow.
    #[error("no step {0:?} in this workflow")]
    UnknownStep(String),
    /// A workflow that does not exist.
    #[error("no workflow {0:?}")]
    UnknownWorkflow(String),
    /// `$steps.X` where X cannot have run yet.
    #[error("step {0:?} cannot have run before this point")]
    StepNotYetRun(String),
    /// `$steps.X.outputs.Y` where X declares no output Y.
    #[error("step {step:?} has no output {output:?}")]
    UnknownStepOutput {
        /// The step.
        step: String,
        /// The output.
        output: String,
    },
    /// `$inputs.X` where the inputs schema lists other properties.
    #[error("input {0:?} is not a property of the workflow's inputs schema")]
    UnknownInput(String),
    /// `$sourceDescriptions.N` naming no source description.
    #[error("no source description {0:?}")]
    UnknownSourceDescription(String),
    /// A request / response expression where no HTTP exchange exists.
    #[error("{0} has no value outside a step's call")]
    ExchangeOutsideStep(String),
    /// A cycle of `goto`s that no retry limit bounds.
    #[error("the steps {steps:?} form a goto cycle that no retryLimit bounds{}", if *.conditional { " (some goto in it has criteria, so it may end)" } else { "" })]
    UnboundedGotoCycle {
        /// The steps in the cycle, in order.
        steps: Vec<String>,
        /// Whether some `goto` in the cycle has criteria (so the loop may end).
        conditional: bool,
    },
    /// A Reusable Object's `reference` that resolves to nothing.
    #[error("reference {0:?} does not resolve to a component")]
    UnresolvedReference(String),
    /// A Reusable Object pointing at the wrong kind of component.
    #[error("reference {reference:?} must point into components.{expected}")]
    WrongComponentKind {
        /// The reference.
        reference: String,
        /// The map it must point into.
        expected: &'static str,
    },
    /// The same parameter twice in one list.
    #[error("duplicate parameter {name:?} in {location}")]
    DuplicateParameter {
        /// Its name.
        name: String,
        /// Its `in` (or `inputs`).
        location: &'static str,
    },
    /// Two actions with the same name in one list.
    #[error("duplicate action name {0:?}")]
    DuplicateAction(String),
    /// The step's operation cannot be resolved.
    #[error("{0}")]
    Operation(ResolveError),
    /// A parameter the operation does not declare.
    #[error("the operation declares no {location} parameter {name:?}")]
    UnknownParameter {
        /// Its name.
        name: String,
        /// Its location.
        location: &'static str,
    },
    /// A required parameter of the operation that the step does not give.
    #[error("required {location} parameter {name:?} of the operation is not given")]
    MissingParameter {
        /// Its name.
        name: String,
        /// Its location.
        location: &'static str,
    },
    /// A request body for an operation that takes none.
    #[error("the operation takes no request body")]
    UnexpectedRequestBody,
    /// A required request body that the step does not give.
    #[error("the operation requires a request body")]
    MissingRequestBody,
    /// A step output whose OpenAPI schema type differs from the one the
    /// parameter or payload field it feeds declares.
    #[error("{output} is {found} but this place takes {expected}")]
    TypeMismatch {
        /// The expression of the step output.
        output: String,
        /// The types the output's schema gives.
        found: String,
        /// The types the receiving schema allows.
        expected: String,
    },
    /// A payload replacement target that is not a JSON Pointer.
    #[error("replacement target {0:?} is not a JSON pointer")]
    BadReplacementTarget(String),
}

/// The header oncely sets itself on unsafe requests.
const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// Checks `document` against its loaded `sources`; findings in document order.
pub fn check(document: &Document, sources: &Sources) -> Vec<Finding> {
    let mut checker = Checker {
        document,
        sources,
        findings: Vec::new(),
    };
    checker.run();
    checker.findings
}

struct Checker<'a> {
    document: &'a Document,
    sources: &'a Sources,
    findings: Vec<Finding>,
}

/// Which steps expressions at some place may read.
#[derive(Clone, Copy)]
enum Scope<'a> {
    /// No workflow (components).
    Outside,
    /// Any step of the workflow: its outputs (`false`), or the lists that
    /// apply to each of its steps (`true`, where the step's request and
    /// response exist).
    Workflow(&'a Workflow, bool),
    /// Inside a step: the steps that can have run before it (and itself,
    /// when `own` is true).
    Step(&'a Workflow, &'a Flow, usize, bool),
}

/// An edge of a workflow's control flow.
#[derive(Debug, Clone)]
struct Edge {
    to: usize,
    kind: EdgeKind,
}

/// How control moves along an [`Edge`].
#[derive(Debug, Clone)]
enum EdgeKind {
    /// To the next step in order.
    Next,
    /// A `goto` action (its place, and whether it has criteria).
    Goto(JsonPointer, bool),
    /// Into and back from the step a `retry` runs first; bounded by `retryLimit`.
    Retry,
}

/// The control-flow graph of one workflow.
#[derive(Debug)]
struct Flow {
    edges: Vec<Vec<Edge>>,
    /// `before[s]`: the steps that can have run before step `s` starts.
    before: Vec<BTreeSet<usize>>,
}

impl Checker<'_> {
    fn report(&mut self, severity: Severity, pointer: &JsonPointer, kind: FindingKind) {
        self.findings.push(Finding {
            severity,
            pointer: pointer.clone(),
            kind,
        });
    }

    fn error(&mut self, pointer: &JsonPointer, kind: FindingKind) {
        self.report(Severity::Error, pointer, kind);
    }

    fn run(&mut self) {
        let workflows = JsonPointer::root().child("workflows");
        for (index, workflow) in self.document.workflows.iter().enumerate() {
            self.workflow(&workflows.child(index.to_string()), workflow);
        }
        if let Some(components) = &self.document.components {
            self.components(&JsonPointer::root().child("components"), components);
        }
    }

    fn components(&mut self, at: &JsonPointer, components: &Components) {
        for (name, parameter) in &components.parameters {
            self.value(
                &at.child("parameters").child(name).child("value"),
                &parameter.value,
                Scope::Outside,
            );
        }
        for (name, action) in &components.success_actions {
            let at = at.child("successActions").child(name);
            self.criteria(&at.child("criteria"), &action.criteria, Scope::Outside);
            if let Some(workflow_id) = &action.workflow_id {
                self.workflow_reference(&at.child("workflowId"), workflow_id);
            }
        }
        for (name, action) in &components.failure_actions {
            let at = at.child("failureActions").child(name);
            self.criteria(&at.child("criteria"), &action.criteria, Scope::Outside);
            if let Some(workflow_id) = &action.workflow_id {
                self.workflow_reference(&at.child("workflowId"), workflow_id);
            }
        }
    }

    fn workflow(&mut self, at: &JsonPointer, workflow: &Workflow) {
        for (index, dependency) in workflow.depends_on.iter().enumerate() {
            self.workflow_reference(&at.child("dependsOn").child(index.to_string()), dependency);
        }
        if let Some(inputs) = &workflow.inputs {
            let root = serde_json::to_value(self.document).unwrap_or(Value::Null);
            self.input_refs(&at.child("inputs"), inputs, &root);
        }
        let flow = self.flow(at, workflow);
        for (index, step) in workflow.steps.iter().enumerate() {
            self.step(
                &at.child("steps").child(index.to_string()),
                workflow,
                &flow,
                index,
                step,
            );
        }
        let scope = Scope::Workflow(workflow, false);
        self.parameters(&at.child("parameters"), &workflow.parameters, scope, None);
        self.actions(
            &at.child("successActions"),
            &workflow.success_actions,
            workflow,
            Scope::Workflow(workflow, true),
        );
        self.actions(
            &at.child("failureActions"),
            &workflow.failure_actions,
            workflow,
            Scope::Workflow(workflow, true),
        );
        for (name, expression) in &workflow.outputs {
            self.value(
                &at.child("outputs").child(name),
                &Value::String(expression.clone()),
                scope,
            );
        }
        self.cycles(workflow, &flow);
    }

    fn step(
        &mut self,
        at: &JsonPointer,
        workflow: &Workflow,
        flow: &Flow,
        index: usize,
        step: &Step,
    ) {
        let before = Scope::Step(workflow, flow, index, false);
        let after = Scope::Step(workflow, flow, index, true);
        let operation = step.target().and_then(|target| self.target(at, target));
        self.parameters(
            &at.child("parameters"),
            &step.parameters,
            before,
            operation.as_ref(),
        );
        if let Some(operation) = &operation {
            self.required_parameters(at, workflow, step, operation);
            self.body_expected(at, step.request_body.as_ref(), operation);
            self.types(at, workflow, step, operation);
        }
        if let Some(StepTarget::WorkflowId(id)) = step.target() {
            self.workflow_inputs(&at.child("parameters"), id, &step.parameters);
        }
        if let Some(body) = &step.request_body {
            self.request_body(&at.child("requestBody"), body, before);
        }
        self.criteria(&at.child("successCriteria"), &step.success_criteria, after);
        self.actions(&at.child("onSuccess"), &step.on_success, workflow, after);
        self.actions(&at.child("onFailure"), &step.on_failure, workflow, after);
        for (name, expression) in &step.outputs {
            self.value(
                &at.child("outputs").child(name),
                &Value::String(expression.clone()),
                before,
            );
        }
        if let Some(compensate) = &step.compensate {
            let at = at.child("x-oncely-compensate");
            let operation = compensate
                .target()
                .and_then(|target| self.target(&at, target));
            self.parameters(
                &at.child("parameters"),
                &compensate.parameters,
                after,
                operation.as_ref(),
            );
            if let Some(body) = &compensate.request_body {
                self.request_body(&at.child("requestBody"), body, after);
            }
            if let Some(operation) = &operation {
                self.body_expected(&at, compensate.request_body.as_ref(), operation);
            }
            self.criteria(
                &at.child("successCriteria"),
                &compensate.success_criteria,
                after,
            );
        }
    }

    /// Step outputs fed to parameters and payload fields whose schemas give
    /// another type than the output's.
    fn types(
        &mut self,
        at: &JsonPointer,
        workflow: &Workflow,
        step: &Step,
        operation: &ResolvedOperation,
    ) {
        let Some(Source::OpenApi(document)) = self.sources.get(&operation.source) else {
            return;
        };
        for (index, item) in step.parameters.iter().enumerate() {
            let Some(parameter) = parameter_of(self.document, item) else {
                continue;
            };
            let value = match item {
                OrReusable::Reusable(r) => r.value.as_ref().unwrap_or(&parameter.value),
                OrReusable::Inline(p) => &p.value,
            };
            let (Value::String(text), Some(location)) = (value, parameter.location) else {
                continue;
            };
            let expected = operation
                .parameter(&parameter.name, location)
                .and_then(|declared| declared.schema.as_ref())
                .and_then(|schema| types_of(document, schema));
            if let Some(expected) = expected {
                let at = at
                    .child("parameters")
                    .child(index.to_string())
                    .child("value");
                self.compare_output(&at, workflow, text, &expected);
            }
        }
        let (Some(body), Some(declared)) = (&step.request_body, &operation.request_body) else {
            return;
        };
        let Some(schema) = json_schema(&declared.content) else {
            return;
        };
        let mut fields = Vec::new();
        if let Some(payload) = &body.payload {
            whole_expressions(payload, &mut JsonPointer::root(), &mut fields);
        }
        let body_at = at.child("requestBody");
        let mut places: Vec<(JsonPointer, JsonPointer, &str)> = fields
            .into_iter()
            .map(|(inner, text)| {
                let mut place = body_at.child("payload");
                inner.tokens().iter().for_each(|t| place.push(t.clone()));
                (place, inner, text)
            })
            .collect();
        for (index, replacement) in body.replacements.iter().enumerate() {
            if let (Ok(target), Value::String(text)) =
                (JsonPointer::parse(&replacement.target), &replacement.value)
            {
                let place = body_at
                    .child("replacements")
                    .child(index.to_string())
                    .child("value");
                places.push((place, target, text));
            }
        }
        for (place, inner, text) in places {
            let expected = schema_at(document, schema, &inner).and_then(|s| types_of(document, s));
            if let Some(expected) = expected {
                self.compare_output(&place, workflow, text, &expected);
            }
        }
    }

    fn compare_output(
        &mut self,
        at: &JsonPointer,
        workflow: &Workflow,
        text: &str,
        expected: &BTreeSet<String>,
    ) {
        let Ok(Expression::StepOutput { step_id, output }) = Expression::parse(text) else {
            return;
        };
        let Some(found) = self.output_types(workflow, &step_id, &output) else {
            return;
        };
        if !compatible(&found, expected) {
            let join =
                |set: &BTreeSet<String>| set.iter().cloned().collect::<Vec<_>>().join(" or ");
            self.report(
                Severity::Warning,
                at,
                FindingKind::TypeMismatch {
                    output: text.to_owned(),
                    found: join(&found),
                    expected: join(expected),
                },
            );
        }
    }

    /// The types of `$steps.STEP.outputs.NAME` when NAME is
    /// `$response.body#/…` of an operation whose 2xx JSON schema says.
    fn output_types(
        &self,
        workflow: &Workflow,
        step_id: &str,
        output: &NamedValue,
    ) -> Option<BTreeSet<String>> {
        let step = &workflow.steps[workflow.step_index(step_id)?];
        let Ok(Expression::Response(MessagePart::Body(pointer))) =
            Expression::parse(step.outputs.get(&output.name)?)
        else {
            return None;
        };
        let operation = resolve(step.target()?, self.document, self.sources).ok()?;
        let Some(Source::OpenApi(document)) = self.sources.get(&operation.source) else {
            return None;
        };
        let schema = operation
            .responses
            .iter()
            .filter(|(status, _)| status.starts_with('2'))
            .find_map(|(_, response)| json_schema(&response.content))?;
        let mut pointer = pointer.unwrap_or_default();
        for token in output.pointer.iter().flat_map(|p| p.tokens()) {
            pointer.push(token.clone());
        }
        types_of(document, schema_at(document, schema, &pointer)?)
    }

    /// Every local `$ref` in an inputs schema must resolve in the document
    /// (`#/components/inputs/NAME` and the like).
    fn input_refs(&mut self, at: &JsonPointer, schema: &Value, root: &Value) {
        match schema {
            Value::Object(map) => {
                for (key, value) in map {
                    match (key.as_str(), value) {
                        ("$ref", Value::String(reference)) if reference.starts_with('#') => {
                            let resolves = JsonPointer::parse(&reference[1..])
                                .ok()
                                .is_some_and(|p| p.resolve(root).is_some());
                            if !resolves {
                                self.error(
                                    &at.child("$ref"),
                                    FindingKind::UnresolvedReference(reference.clone()),
                                );
                            }
                        }
                        _ => self.input_refs(&at.child(key), value, root),
                    }
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    self.input_refs(&at.child(index.to_string()), item, root);
                }
            }
            _ => {}
        }
    }

    /// Resolves the operation of a step target; reports workflows that do
    /// not exist and operations that cannot be resolved.
    fn target(&mut self, at: &JsonPointer, target: StepTarget<'_>) -> Option<ResolvedOperation> {
        match target {
            StepTarget::WorkflowId(id) => {
                self.workflow_reference(&at.child("workflowId"), id);
                None
            }
            StepTarget::OperationId(_) | StepTarget::OperationPath(_) => {
                let field = if matches!(target, StepTarget::OperationId(_)) {
                    "operationId"
                } else {
                    "operationPath"
                };
                match resolve(target, self.document, self.sources) {
                    Ok(operation) => Some(operation),
                    Err(e) => {
                        self.error(&at.child(field), FindingKind::Operation(e));
                        None
                    }
                }
            }
        }
    }

    /// A workflow named by a step, an action or `dependsOn`.
    fn workflow_reference(&mut self, at: &JsonPointer, id: &str) {
        let exists = match Expression::parse(id) {
            Ok(Expression::SourceDescription { name, member }) => match self.sources.get(&name) {
                Some(Source::Arazzo(other)) => other.workflow(&member).is_some(),
                _ => false,
            },
            _ => self.document.workflow(id).is_some(),
        };
        if !exists {
            self.error(at, FindingKind::UnknownWorkflow(id.to_owned()));
        }
    }

    fn workflow_inputs(
        &mut self,
        at: &JsonPointer,
        id: &str,
        parameters: &[OrReusable<Parameter>],
    ) {
        let Some(target) = self.document.workflow(id) else {
            return;
        };
        let Some(names) = self.input_names(target) else {
            return;
        };
        for (index, item) in parameters.iter().enumerate() {
            if let Some(parameter) = parameter_of(self.document, item) {
                if !names.contains(&parameter.name) {
                    self.report(
                        Severity::Warning,
                        &at.child(index.to_string()),
                        FindingKind::UnknownInput(parameter.name.clone()),
                    );
                }
            }
        }
    }

    /// The property names of a workflow's inputs schema, when it lists them.
    fn input_names(&self, workflow: &Workflow) -> Option<BTreeSet<String>> {
        let mut schema = workflow.inputs.as_ref()?;
        for _ in 0..8 {
            let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
                break;
            };
            let name = reference.strip_prefix("#/components/inputs/")?;
            schema = self.document.components.as_ref()?.inputs.get(name)?;
        }
        let properties = schema.get("properties")?.as_object()?;
        Some(properties.keys().cloned().collect())
    }

    fn reusable(&mut self, at: &JsonPointer, reusable: &Reusable, expected: ComponentKind) -> bool {
        let components = self.document.components.as_ref();
        match Expression::parse(&reusable.reference) {
            Ok(Expression::Component { kind, name }) if kind == expected => {
                let exists = components.is_some_and(|c| match kind {
                    ComponentKind::Parameters => c.parameters.contains_key(&name),
                    ComponentKind::SuccessActions => c.success_actions.contains_key(&name),
                    ComponentKind::FailureActions => c.failure_actions.contains_key(&name),
                    ComponentKind::Inputs => c.inputs.contains_key(&name),
                });
                if !exists {
                    self.error(
                        &at.child("reference"),
                        FindingKind::UnresolvedReference(reusable.reference.clone()),
                    );
                }
                exists
            }
            Ok(_) => {
                self.error(
                    &at.child("reference"),
                    FindingKind::WrongComponentKind {
                        reference: reusable.reference.clone(),
                        expected: expected.as_str(),
                    },
                );
                false
            }
            Err(e) => {
                self.error(&at.child("reference"), FindingKind::Expression(e));
                false
            }
        }
    }

    fn parameters(
        &mut self,
        at: &JsonPointer,
        parameters: &[OrReusable<Parameter>],
        scope: Scope<'_>,
        operation: Option<&ResolvedOperation>,
    ) {
        let mut seen = HashSet::new();
        for (index, item) in parameters.iter().enumerate() {
            let at = at.child(index.to_string());
            let parameter = match item {
                OrReusable::Inline(parameter) => {
                    self.value(&at.child("value"), &parameter.value, scope);
                    parameter
                }
                OrReusable::Reusable(reusable) => {
                    if !self.reusable(&at, reusable, ComponentKind::Parameters) {
                        continue;
                    }
                    let Some(parameter) = parameter_of(self.document, item) else {
                        continue;
                    };
                    // The value is evaluated where the reference is used.
                    match &reusable.value {
                        Some(value) => self.value(&at.child("value"), value, scope),
                        None => self.value(&at.child("reference"), &parameter.value, scope),
                    }
                    parameter
                }
            };
            let location = parameter
                .location
                .map_or("inputs", ParameterLocation::as_str);
            let key = match parameter.location {
                Some(ParameterLocation::Header) => parameter.name.to_ascii_lowercase(),
                _ => parameter.name.clone(),
            };
            if !seen.insert((key, location)) {
                self.error(
                    &at,
                    FindingKind::DuplicateParameter {
                        name: parameter.name.clone(),
                        location,
                    },
                );
            }
            if let (Some(operation), Some(location)) = (operation, parameter.location) {
                if operation.parameter(&parameter.name, location).is_none() {
                    self.report(
                        Severity::Warning,
                        &at,
                        FindingKind::UnknownParameter {
                            name: parameter.name.clone(),
                            location: location.as_str(),
                        },
                    );
                }
            }
        }
    }

    fn required_parameters(
        &mut self,
        at: &JsonPointer,
        workflow: &Workflow,
        step: &Step,
        operation: &ResolvedOperation,
    ) {
        let given: Vec<&Parameter> = workflow
            .parameters
            .iter()
            .chain(&step.parameters)
            .filter_map(|item| parameter_of(self.document, item))
            .collect();
        for declared in operation.parameters.iter().filter(|p| p.required) {
            let is_given = given.iter().any(|p| {
                p.location == Some(declared.location)
                    && if declared.location == ParameterLocation::Header {
                        p.name.eq_ignore_ascii_case(&declared.name)
                    } else {
                        p.name == declared.name
                    }
            });
            let oncely_sets_it = declared.location == ParameterLocation::Header
                && declared.name.eq_ignore_ascii_case(IDEMPOTENCY_HEADER);
            if !is_given && !oncely_sets_it {
                let severity = if declared.location == ParameterLocation::Path {
                    Severity::Error
                } else {
                    Severity::Warning
                };
                self.report(
                    severity,
                    at,
                    FindingKind::MissingParameter {
                        name: declared.name.clone(),
                        location: declared.location.as_str(),
                    },
                );
            }
        }
    }

    fn body_expected(
        &mut self,
        at: &JsonPointer,
        body: Option<&RequestBody>,
        operation: &ResolvedOperation,
    ) {
        match (&operation.request_body, body) {
            (None, Some(_)) => self.report(
                Severity::Warning,
                &at.child("requestBody"),
                FindingKind::UnexpectedRequestBody,
            ),
            (Some(declared), None) if declared.required => {
                self.error(at, FindingKind::MissingRequestBody)
            }
            _ => {}
        }
    }

    fn request_body(&mut self, at: &JsonPointer, body: &RequestBody, scope: Scope<'_>) {
        if let Some(payload) = &body.payload {
            self.value(&at.child("payload"), payload, scope);
        }
        let xml = body
            .content_type
            .as_deref()
            .is_some_and(|c| c.to_ascii_lowercase().contains("xml"));
        for (index, replacement) in body.replacements.iter().enumerate() {
            let at = at.child("replacements").child(index.to_string());
            if !xml && JsonPointer::parse(&replacement.target).is_err() {
                self.error(
                    &at.child("target"),
                    FindingKind::BadReplacementTarget(replacement.target.clone()),
                );
            }
            self.value(&at.child("value"), &replacement.value, scope);
        }
    }

    fn criteria(&mut self, at: &JsonPointer, criteria: &[Criterion], scope: Scope<'_>) {
        for (index, criterion) in criteria.iter().enumerate() {
            let at = at.child(index.to_string());
            match CompiledCriterion::compile(criterion) {
                Ok(compiled) => {
                    if !compiled.is_supported() {
                        self.report(
                            Severity::Warning,
                            &at.child("type"),
                            FindingKind::XPathUnsupported,
                        );
                    }
                    for expression in compiled.expressions() {
                        self.expression(&at, expression, scope);
                    }
                }
                Err(CriterionError::Context(e)) => {
                    self.error(&at.child("context"), FindingKind::Expression(e))
                }
                Err(e) => self.error(&at.child("condition"), FindingKind::Criterion(e)),
            }
        }
    }

    fn actions<A: Action>(
        &mut self,
        at: &JsonPointer,
        actions: &[OrReusable<A>],
        workflow: &Workflow,
        scope: Scope<'_>,
    ) {
        let mut names = HashSet::new();
        for (index, item) in actions.iter().enumerate() {
            let at = at.child(index.to_string());
            let action = match item {
                OrReusable::Inline(action) => action,
                OrReusable::Reusable(reusable) => {
                    if !self.reusable(&at, reusable, A::COMPONENT) {
                        continue;
                    }
                    match component::<A>(self.document, reusable) {
                        Some(action) => action,
                        None => continue,
                    }
                }
            };
            if !names.insert(action.name().to_owned()) {
                self.error(&at, FindingKind::DuplicateAction(action.name().to_owned()));
            }
            self.criteria(&at.child("criteria"), action.criteria(), scope);
            self.jump(&at, workflow, action.step_id(), action.workflow_id());
        }
    }

    fn jump(
        &mut self,
        at: &JsonPointer,
        workflow: &Workflow,
        step_id: Option<&str>,
        workflow_id: Option<&str>,
    ) {
        if let Some(step_id) = step_id {
            if workflow.step_index(step_id).is_none() {
                self.error(
                    &at.child("stepId"),
                    FindingKind::UnknownStep(step_id.to_owned()),
                );
            }
        }
        if let Some(workflow_id) = workflow_id {
            self.workflow_reference(&at.child("workflowId"), workflow_id);
        }
    }

    /// Parses every expression in a value and checks what it names.
    fn value(&mut self, at: &JsonPointer, value: &Value, scope: Scope<'_>) {
        match ValueExpr::parse(value) {
            Ok(parsed) => {
                for (inner, expression) in parsed.expressions() {
                    let mut pointer = at.clone();
                    for token in inner.tokens() {
                        pointer.push(token.clone());
                    }
                    self.expression(&pointer, expression, scope);
                }
            }
            Err(e) => {
                let mut pointer = at.clone();
                for token in e.pointer.tokens() {
                    pointer.push(token.clone());
                }
                self.error(&pointer, FindingKind::Expression(e.error));
            }
        }
    }

    fn expression(&mut self, at: &JsonPointer, expression: &Expression, scope: Scope<'_>) {
        match expression {
            Expression::StepOutput { step_id, output } => {
                self.step_output(at, step_id, &output.name, scope)
            }
            Expression::Inputs(named) => {
                let workflow = match scope {
                    Scope::Workflow(w, _) | Scope::Step(w, _, _, _) => w,
                    Scope::Outside => return,
                };
                if let Some(names) = self.input_names(workflow) {
                    let first = named.name.split('.').next().unwrap_or_default();
                    if !names.contains(&named.name) && !names.contains(first) {
                        self.report(
                            Severity::Warning,
                            at,
                            FindingKind::UnknownInput(named.name.clone()),
                        );
                    }
                }
            }
            Expression::Workflow { workflow_id, .. }
                if self.document.workflow(workflow_id).is_none() =>
            {
                self.error(at, FindingKind::UnknownWorkflow(workflow_id.clone()));
            }
            Expression::SourceDescription { name, .. }
                if self.document.source_description(name).is_none() =>
            {
                self.error(at, FindingKind::UnknownSourceDescription(name.clone()));
            }
            Expression::Component { kind, name } => {
                let exists = self
                    .document
                    .components
                    .as_ref()
                    .is_some_and(|c| match kind {
                        ComponentKind::Inputs => c.inputs.contains_key(name),
                        ComponentKind::Parameters => c.parameters.contains_key(name),
                        ComponentKind::SuccessActions => c.success_actions.contains_key(name),
                        ComponentKind::FailureActions => c.failure_actions.contains_key(name),
                    });
                if !exists {
                    self.error(at, FindingKind::UnresolvedReference(expression.to_string()));
                }
            }
            e if e.reads_exchange() => {
                if let Scope::Workflow(_, false) = scope {
                    self.error(at, FindingKind::ExchangeOutsideStep(e.to_string()));
                }
            }
            _ => {}
        }
    }

    fn step_output(&mut self, at: &JsonPointer, step_id: &str, output: &str, scope: Scope<'_>) {
        let (workflow, allowed) = match scope {
            Scope::Outside => return,
            Scope::Workflow(workflow, _) => (workflow, None),
            Scope::Step(workflow, flow, index, own) => {
                let mut allowed = flow.before[index].clone();
                if own {
                    allowed.insert(index);
                }
                (workflow, Some(allowed))
            }
        };
        let Some(target) = workflow.step_index(step_id) else {
            self.error(at, FindingKind::UnknownStep(step_id.to_owned()));
            return;
        };
        if allowed.is_some_and(|allowed| !allowed.contains(&target)) {
            self.error(at, FindingKind::StepNotYetRun(step_id.to_owned()));
        }
        let step = &workflow.steps[target];
        // A step that calls a workflow has that workflow's outputs too.
        let declared = step.outputs.contains_key(output)
            || step.target().is_some_and(|t| match t {
                StepTarget::WorkflowId(id) => self
                    .document
                    .workflow(id)
                    .is_some_and(|w| w.outputs.contains_key(output)),
                _ => false,
            });
        if !declared {
            self.error(
                at,
                FindingKind::UnknownStepOutput {
                    step: step_id.to_owned(),
                    output: output.to_owned(),
                },
            );
        }
    }

    /// The control flow of a workflow: the next step by default, plus every
    /// `goto` and `retry` of the step and of the workflow.
    fn flow(&self, at: &JsonPointer, workflow: &Workflow) -> Flow {
        let count = workflow.steps.len();
        let mut edges: Vec<Vec<Edge>> = vec![Vec::new(); count];
        for (index, step) in workflow.steps.iter().enumerate() {
            if index + 1 < count {
                edges[index].push(Edge {
                    to: index + 1,
                    kind: EdgeKind::Next,
                });
            }
            let step_at = at.child("steps").child(index.to_string());
            let mut jumps: Vec<(JsonPointer, Option<&str>, bool, bool)> = Vec::new();
            let success = step
                .on_success
                .iter()
                .enumerate()
                .map(|(i, a)| (step_at.child("onSuccess").child(i.to_string()), a))
                .chain(
                    workflow
                        .success_actions
                        .iter()
                        .enumerate()
                        .map(|(i, a)| (at.child("successActions").child(i.to_string()), a)),
                );
            for (pointer, item) in success {
                let action = match item {
                    OrReusable::Inline(action) => Some(action),
                    OrReusable::Reusable(r) => component::<SuccessAction>(self.document, r),
                };
                if let Some(action) = action.filter(|a| a.kind == SuccessActionType::Goto) {
                    jumps.push((
                        pointer,
                        action.step_id.as_deref(),
                        !action.criteria.is_empty(),
                        false,
                    ));
                }
            }
            let failure = step
                .on_failure
                .iter()
                .enumerate()
                .map(|(i, a)| (step_at.child("onFailure").child(i.to_string()), a))
                .chain(
                    workflow
                        .failure_actions
                        .iter()
                        .enumerate()
                        .map(|(i, a)| (at.child("failureActions").child(i.to_string()), a)),
                );
            for (pointer, item) in failure {
                let action = match item {
                    OrReusable::Inline(action) => Some(action),
                    OrReusable::Reusable(r) => component::<FailureAction>(self.document, r),
                };
                match action {
                    Some(a) if a.kind == FailureActionType::Goto => {
                        jumps.push((pointer, a.step_id.as_deref(), !a.criteria.is_empty(), false))
                    }
                    Some(a) if a.kind == FailureActionType::Retry => {
                        jumps.push((pointer, a.step_id.as_deref(), true, true))
                    }
                    _ => {}
                }
            }
            for (pointer, target, conditional, retry) in jumps {
                let Some(target) = target.and_then(|id| workflow.step_index(id)) else {
                    continue;
                };
                if retry {
                    // Run the target, then this step again: bounded by retryLimit.
                    edges[index].push(Edge {
                        to: target,
                        kind: EdgeKind::Retry,
                    });
                    edges[target].push(Edge {
                        to: index,
                        kind: EdgeKind::Retry,
                    });
                } else {
                    edges[index].push(Edge {
                        to: target,
                        kind: EdgeKind::Goto(pointer, conditional),
                    });
                }
            }
        }
        let reach: Vec<BTreeSet<usize>> = (0..count).map(|from| reachable(&edges, from)).collect();
        let mut from_entry = reach.first().cloned().unwrap_or_default();
        from_entry.insert(0);
        let before = (0..count)
            .map(|step| {
                from_entry
                    .iter()
                    .copied()
                    .filter(|&x| reach[x].contains(&step))
                    .collect()
            })
            .collect();
        Flow { edges, before }
    }

    /// Reports every set of steps that a `goto` loops through, unbounded by
    /// any retry limit.
    fn cycles(&mut self, workflow: &Workflow, flow: &Flow) {
        let unbounded: Vec<Vec<Edge>> = flow
            .edges
            .iter()
            .map(|edges| {
                edges
                    .iter()
                    .filter(|e| !matches!(e.kind, EdgeKind::Retry))
                    .cloned()
                    .collect()
            })
            .collect();
        let reach: Vec<BTreeSet<usize>> = (0..unbounded.len())
            .map(|from| reachable(&unbounded, from))
            .collect();
        let mut reported = vec![false; unbounded.len()];
        for start in 0..unbounded.len() {
            if reported[start] || !reach[start].contains(&start) {
                continue;
            }
            let members: BTreeSet<usize> = reach[start]
                .iter()
                .copied()
                .filter(|&x| reach[x].contains(&start))
                .collect();
            for &m in &members {
                reported[m] = true;
            }
            let gotos: Vec<(&JsonPointer, bool)> = members
                .iter()
                .flat_map(|&m| unbounded[m].iter())
                .filter(|e| members.contains(&e.to))
                .filter_map(|e| match &e.kind {
                    EdgeKind::Goto(pointer, conditional) => Some((pointer, *conditional)),
                    _ => None,
                })
                .collect();
            let Some((pointer, _)) = gotos.first() else {
                continue;
            };
            let pointer = (*pointer).clone();
            // A loop whose every goto is unconditional never ends; one with criteria
            // may (a polling loop), so it is a warning.
            let conditional = gotos.iter().any(|(_, conditional)| *conditional);
            let severity = if conditional {
                Severity::Warning
            } else {
                Severity::Error
            };
            self.report(
                severity,
                &pointer,
                FindingKind::UnboundedGotoCycle {
                    steps: members
                        .iter()
                        .map(|&m| workflow.steps[m].step_id.clone())
                        .collect(),
                    conditional,
                },
            );
        }
    }
}

fn parameter_of<'d>(
    document: &'d Document,
    item: &'d OrReusable<Parameter>,
) -> Option<&'d Parameter> {
    match item {
        OrReusable::Inline(parameter) => Some(parameter),
        OrReusable::Reusable(reusable) => match Expression::parse(&reusable.reference) {
            Ok(Expression::Component {
                kind: ComponentKind::Parameters,
                name,
            }) => document.components.as_ref()?.parameters.get(&name),
            _ => None,
        },
    }
}

fn component_name(reusable: &Reusable, expected: ComponentKind) -> Option<String> {
    match Expression::parse(&reusable.reference).ok()? {
        Expression::Component { kind, name } if kind == expected => Some(name),
        _ => None,
    }
}

/// The reusable action a Reusable Object names, if it resolves.
pub(crate) fn component<'d, A: Action>(
    document: &'d Document,
    reusable: &Reusable,
) -> Option<&'d A> {
    let name = component_name(reusable, A::COMPONENT)?;
    A::components(document.components.as_ref()?).get(&name)
}

/// The schema of the first JSON media type.
fn json_schema(content: &std::collections::BTreeMap<String, Option<Value>>) -> Option<&Value> {
    content
        .iter()
        .find(|(media, _)| media.contains("json"))
        .and_then(|(_, schema)| schema.as_ref())
}

/// The strings of `value` that are whole runtime expressions, with their places.
fn whole_expressions<'v>(
    value: &'v Value,
    at: &mut JsonPointer,
    out: &mut Vec<(JsonPointer, &'v str)>,
) {
    match value {
        Value::String(text) if looks_like_expression(text) => out.push((at.clone(), text)),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                at.push(index.to_string());
                whole_expressions(item, at, out);
                at.pop();
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                at.push(key.clone());
                whole_expressions(item, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn reachable(edges: &[Vec<Edge>], from: usize) -> BTreeSet<usize> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<usize> = edges[from].iter().map(|e| e.to).collect();
    while let Some(node) = stack.pop() {
        if seen.insert(node) {
            stack.extend(edges[node].iter().map(|e| e.to));
        }
    }
    seen
}
