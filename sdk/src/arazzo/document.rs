//! The Arazzo 1.0 document model: one Rust type per object of the
//! specification, deserialized with serde from JSON or YAML.
//!
//! Field names follow the specification (`camelCase` on the wire). Every
//! object that the specification lets be extended keeps its `x-` fields in
//! [`Extensions`]; a field that is neither fixed nor `x-` is rejected by
//! [`load`](super::load) with a pointer to it. Values that may hold runtime
//! expressions (parameter values, payloads, outputs) are kept as written and
//! parsed by [`expression`](super::expression) and [`template`](super::template).

use super::expression::ComponentKind;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The `x-` fields of an object, in name order.
pub type Extensions = BTreeMap<String, Value>;

/// The root object of an Arazzo description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    /// The specification version the description uses (`1.0.0`, `1.0.1`).
    pub arazzo: String,
    /// Metadata about the workflows.
    pub info: Info,
    /// The API descriptions (OpenAPI or Arazzo) the workflows use.
    pub source_descriptions: Vec<SourceDescription>,
    /// The workflows, in document order.
    pub workflows: Vec<Workflow>,
    /// Reusable inputs, parameters and actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<Components>,
    /// `x-` fields.
    #[serde(flatten)]
    pub extensions: Extensions,
}

impl Document {
    /// The workflow with this `workflowId`.
    pub fn workflow(&self, workflow_id: &str) -> Option<&Workflow> {
        self.workflows.iter().find(|w| w.workflow_id == workflow_id)
    }

    /// The source description with this `name`.
    pub fn source_description(&self, name: &str) -> Option<&SourceDescription> {
        self.source_descriptions.iter().find(|s| s.name == name)
    }
}

/// Metadata of the description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Info {
    /// Human-readable title.
    pub title: String,
    /// Short summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Longer description (CommonMark).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Version of this document (not of the specification).
    pub version: String,
    /// `x-` fields.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// An API description the workflows call into.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceDescription {
    /// Unique name, used in `$sourceDescriptions.NAME` expressions.
    pub name: String,
    /// URI reference of the document, relative to the Arazzo document.
    pub url: String,
    /// `openapi` or `arazzo`; absent means "find out from the document".
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<SourceKind>,
    /// `x-` fields.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// The kind of a source description.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// An OpenAPI description: steps call its operations.
    Openapi,
    /// Another Arazzo description: steps call its workflows.
    Arazzo,
}

/// A workflow: ordered steps, inputs, outputs and the actions common to its steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Workflow {
    /// Unique id, case-sensitive.
    pub workflow_id: String,
    /// Summary of the objective.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Longer description (CommonMark).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON Schema 2020-12 of the inputs, kept as a JSON value (may `$ref`
    /// `#/components/inputs/NAME`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<Value>,
    /// Workflows that must complete before this one runs: local
    /// `workflowId`s or `$sourceDescriptions.NAME.WORKFLOW` expressions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// Success actions inherited by every step (a step may override them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub success_actions: Vec<OrReusable<SuccessAction>>,
    /// Failure actions inherited by every step (a step may override them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failure_actions: Vec<OrReusable<FailureAction>>,
    /// Output name → runtime expression.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub outputs: BTreeMap<String, String>,
    /// Parameters inherited by every step (a step may override them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<OrReusable<Parameter>>,
    /// `x-` fields.
    #[serde(flatten)]
    pub extensions: Extensions,
}

impl Workflow {
    /// The index of the step with this `stepId`.
    pub fn step_index(&self, step_id: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.step_id == step_id)
    }
}

/// One step: a call to an operation or to another workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// Unique id within its workflow, case-sensitive.
    pub step_id: String,
    /// Description (CommonMark).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The operation to call, by `operationId` (or
    /// `$sourceDescriptions.NAME.OPERATION_ID`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_id: Option<String>,
    /// The operation to call, by `{$sourceDescriptions.NAME.url}#/paths/…`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_path: Option<String>,
    /// The workflow to call (local id or `$sourceDescriptions.NAME.ID`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow_id: Option<String>,
    /// Parameters of the call (for a workflow call: its inputs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<OrReusable<Parameter>>,
    /// The request body of an operation call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_body: Option<RequestBody>,
    /// Assertions that must all hold for the step to succeed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub success_criteria: Vec<Criterion>,
    /// What to do on success (default: the next step).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_success: Vec<OrReusable<SuccessAction>>,
    /// What to do on failure (default: the workflow fails).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_failure: Vec<OrReusable<FailureAction>>,
    /// Output name → runtime expression.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub outputs: BTreeMap<String, String>,
    /// oncely's extension `x-oncely-compensate`: what undoes this step when
    /// the workflow fails later.
    #[serde(
        default,
        rename = "x-oncely-compensate",
        skip_serializing_if = "Option::is_none"
    )]
    pub compensate: Option<Compensation>,
    /// Other `x-` fields.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// What a step calls, once exactly one of its three target fields is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepTarget<'a> {
    /// `operationId`.
    OperationId(&'a str),
    /// `operationPath`.
    OperationPath(&'a str),
    /// `workflowId`.
    WorkflowId(&'a str),
}

impl Step {
    /// The target of this step, `None` unless exactly one of `operationId`,
    /// `operationPath` and `workflowId` is set (which [`load`](super::load)
    /// guarantees).
    pub fn target(&self) -> Option<StepTarget<'_>> {
        target_of(
            self.operation_id.as_deref(),
            self.operation_path.as_deref(),
            self.workflow_id.as_deref(),
        )
    }
}

pub(crate) fn target_of<'a>(
    operation_id: Option<&'a str>,
    operation_path: Option<&'a str>,
    workflow_id: Option<&'a str>,
) -> Option<StepTarget<'a>> {
    match (operation_id, operation_path, workflow_id) {
        (Some(id), None, None) => Some(StepTarget::OperationId(id)),
        (None, Some(path), None) => Some(StepTarget::OperationPath(path)),
        (None, None, Some(id)) => Some(StepTarget::WorkflowId(id)),
        _ => None,
    }
}

/// `x-oncely-compensate`: the call that undoes a completed step, run in
/// reverse order when the workflow later ends in failure. Its parameters and
/// body may use the step's outputs (`$steps.ID.outputs.NAME`) and the
/// workflow's inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Compensation {
    /// The undoing operation, by `operationId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_id: Option<String>,
    /// The undoing operation, by `operationPath`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_path: Option<String>,
    /// A workflow that undoes the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow_id: Option<String>,
    /// Parameters of the undoing call.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<OrReusable<Parameter>>,
    /// Request body of the undoing call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_body: Option<RequestBody>,
    /// Assertions that must hold for the compensation to count as done
    /// (default: a 2xx status).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub success_criteria: Vec<Criterion>,
}

impl Compensation {
    /// The target of the compensation, as for [`Step::target`].
    pub fn target(&self) -> Option<StepTarget<'_>> {
        target_of(
            self.operation_id.as_deref(),
            self.operation_path.as_deref(),
            self.workflow_id.as_deref(),
        )
    }
}

/// A parameter of a step (or of every step of a workflow).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Parameter {
    /// Name, case-sensitive (headers compare case-insensitively on the wire).
    pub name: String,
    /// Where it goes; required for operation calls, absent for workflow
    /// inputs.
    #[serde(default, rename = "in", skip_serializing_if = "Option::is_none")]
    pub location: Option<ParameterLocation>,
    /// A constant, a runtime expression or a string with `{$…}` templates.
    pub value: Value,
    /// `x-` fields.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// The `in` of a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParameterLocation {
    /// A path template variable.
    Path,
    /// A query string parameter.
    Query,
    /// A request header.
    Header,
    /// A cookie.
    Cookie,
}

impl ParameterLocation {
    /// The name the specification uses (`path`, `query`, `header`, `cookie`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Path => "path",
            Self::Query => "query",
            Self::Header => "header",
            Self::Cookie => "cookie",
        }
    }
}

/// A Reusable Object: a reference to a component, with an optional value
/// that overrides a referenced parameter's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reusable {
    /// `$components.parameters.NAME`, `$components.successActions.NAME` or
    /// `$components.failureActions.NAME`.
    pub reference: String,
    /// Replaces the value of a referenced parameter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

/// An inline object or a [`Reusable`] reference to one in `components`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum OrReusable<T> {
    /// A reference to a component.
    Reusable(Reusable),
    /// The object itself.
    Inline(T),
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for OrReusable<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // An object with `reference` is a Reusable Object; anything else is
        // the inline object, so its own errors (a missing `name`, an unknown
        // `type`) are reported instead of a vague "matched no variant".
        let value = Value::deserialize(deserializer)?;
        if value.get("reference").is_some() {
            Reusable::deserialize(value)
                .map(Self::Reusable)
                .map_err(D::Error::custom)
        } else {
            T::deserialize(value)
                .map(Self::Inline)
                .map_err(D::Error::custom)
        }
    }
}

/// The body of an operation call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestBody {
    /// The `Content-Type`; absent means the operation's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The payload: any value, whose strings may be runtime expressions or
    /// `{$…}` templates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Value>,
    /// Values set at locations of the payload after it is built.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replacements: Vec<PayloadReplacement>,
    /// `x-` fields.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// One location of a payload and the value to set there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayloadReplacement {
    /// A JSON Pointer (or, for XML bodies, an XPath) into the payload.
    pub target: String,
    /// A constant or a runtime expression.
    pub value: Value,
    /// `x-` fields.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// An assertion: a condition, optionally of a given type applied to a context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Criterion {
    /// A runtime expression giving the value `regex`, `jsonpath` and `xpath`
    /// conditions apply to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// The condition.
    pub condition: String,
    /// The condition's language; absent means `simple`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<CriterionType>,
    /// `x-` fields.
    #[serde(flatten)]
    pub extensions: Extensions,
}

impl Criterion {
    /// The language of the condition (`simple` when `type` is absent).
    pub fn language(&self) -> ConditionLanguage {
        match &self.kind {
            None => ConditionLanguage::Simple,
            Some(CriterionType::Name(language)) => *language,
            Some(CriterionType::Versioned(versioned)) => versioned.kind,
        }
    }
}

/// The `type` of a criterion: a name or a Criterion Expression Type Object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "one of `simple`, `regex`, `jsonpath`, `xpath`, or an object with `type` and `version`"
)]
pub enum CriterionType {
    /// `simple`, `regex`, `jsonpath` or `xpath`.
    Name(ConditionLanguage),
    /// `{type, version}` naming an older JSONPath or XPath.
    Versioned(ExpressionType),
}

/// The language of a condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConditionLanguage {
    /// Literals, runtime expressions and operators.
    Simple,
    /// A regular expression matched against the context.
    Regex,
    /// A JSONPath query (RFC 9535) on the context.
    Jsonpath,
    /// An XPath expression on the context.
    Xpath,
}

/// The Criterion Expression Type Object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpressionType {
    /// `jsonpath` or `xpath` (checked by [`load`](super::load)).
    #[serde(rename = "type")]
    pub kind: ConditionLanguage,
    /// `draft-goessner-dispatch-jsonpath-00`, `xpath-10`, `xpath-20` or `xpath-30`.
    pub version: String,
    /// `x-` fields.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// What to do after a step succeeded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SuccessAction {
    /// Name, case-sensitive.
    pub name: String,
    /// `end` or `goto`.
    #[serde(rename = "type")]
    pub kind: SuccessActionType,
    /// The workflow to go to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow_id: Option<String>,
    /// The step (of the current workflow) to go to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_id: Option<String>,
    /// Assertions that must all hold for this action to be taken.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub criteria: Vec<Criterion>,
    /// `x-` fields.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// The `type` of a success action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SuccessActionType {
    /// The workflow ends with its outputs.
    End,
    /// Control moves to a step or a workflow.
    Goto,
}

/// What to do after a step failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailureAction {
    /// Name, case-sensitive.
    pub name: String,
    /// `end`, `goto` or `retry`.
    #[serde(rename = "type")]
    pub kind: FailureActionType,
    /// The workflow to go to (or, for `retry`, to run before retrying).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow_id: Option<String>,
    /// The step to go to (or, for `retry`, to run before retrying).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_id: Option<String>,
    /// Seconds to wait before retrying (a `Retry-After` answer overrules it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<f64>,
    /// How many retries at most (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_limit: Option<u64>,
    /// Assertions that must all hold for this action to be taken.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub criteria: Vec<Criterion>,
    /// `x-` fields.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// The `type` of a failure action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailureActionType {
    /// The workflow ends (in failure).
    End,
    /// Control moves to a step or a workflow.
    Goto,
    /// The step runs again (after `retryAfter`, at most `retryLimit` times).
    Retry,
}

/// What success and failure actions have in common, so that code walking
/// either kind is written once.
pub trait Action: Sized {
    /// The map of the Components Object that holds reusable actions of this kind.
    const COMPONENT: ComponentKind;
    /// The action's `name`.
    fn name(&self) -> &str;
    /// The step it transfers to (or, for `retry`, runs first).
    fn step_id(&self) -> Option<&str>;
    /// The workflow it transfers to (or, for `retry`, runs first).
    fn workflow_id(&self) -> Option<&str>;
    /// Its `criteria`.
    fn criteria(&self) -> &[Criterion];
    /// The reusable actions of this kind in `components`.
    fn components(components: &Components) -> &BTreeMap<String, Self>;
}

impl Action for SuccessAction {
    const COMPONENT: ComponentKind = ComponentKind::SuccessActions;
    fn name(&self) -> &str {
        &self.name
    }
    fn step_id(&self) -> Option<&str> {
        self.step_id.as_deref()
    }
    fn workflow_id(&self) -> Option<&str> {
        self.workflow_id.as_deref()
    }
    fn criteria(&self) -> &[Criterion] {
        &self.criteria
    }
    fn components(components: &Components) -> &BTreeMap<String, Self> {
        &components.success_actions
    }
}

impl Action for FailureAction {
    const COMPONENT: ComponentKind = ComponentKind::FailureActions;
    fn name(&self) -> &str {
        &self.name
    }
    fn step_id(&self) -> Option<&str> {
        self.step_id.as_deref()
    }
    fn workflow_id(&self) -> Option<&str> {
        self.workflow_id.as_deref()
    }
    fn criteria(&self) -> &[Criterion] {
        &self.criteria
    }
    fn components(components: &Components) -> &BTreeMap<String, Self> {
        &components.failure_actions
    }
}

/// Reusable objects, referenced from the rest of the document.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Components {
    /// JSON Schemas referenced from workflow `inputs` by `$ref`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub inputs: BTreeMap<String, Value>,
    /// Parameters referenced by `$components.parameters.NAME`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, Parameter>,
    /// Success actions referenced by `$components.successActions.NAME`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub success_actions: BTreeMap<String, SuccessAction>,
    /// Failure actions referenced by `$components.failureActions.NAME`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub failure_actions: BTreeMap<String, FailureAction>,
    /// `x-` fields.
    #[serde(flatten)]
    pub extensions: Extensions,
}
