//! Running an Arazzo workflow on oncely's engine and journal.
//!
//! [`ArazzoWorkflow::compile`] turns one workflow of a checked document into
//! an engine [`Workflow`]: one journaled engine
//! step per Arazzo step, named by its `stepId`, so every write carries the
//! step's UUIDv5 key (run id, step id) and a run resumed after a crash sends
//! the same `Idempotency-Key` and gets the server's replay. Each engine step:
//!
//! 1. evaluates the parameters (workflow-level ones, overridden by the
//!    step's), the payload and its replacements against the run's inputs and
//!    the outputs of the steps that finished;
//! 2. sends the call through the engine's client (its retries, backoff and
//!    `Retry-After` handling apply; an error answer fails the step, retryable
//!    or permanent as the core decides);
//! 3. checks every `successCriteria` entry (a criterion that does not hold
//!    fails the step for good);
//! 4. for a long-running operation (a `202` in its OpenAPI responses), polls
//!    the operation to its end; a failed operation fails the step;
//! 5. journals the step's Arazzo `outputs` as its output.
//!
//! Calls go to the engine client's base URL, or, for a source description
//! named in [`CompileOptions::servers`] ([`ArazzoWorkflow::compile_with`]), to
//! that source's base URL (the client sends it as an absolute URL, with the
//! same keys, retries and polling).
//!
//! `x-oncely-compensate` becomes the engine step's compensation, run in
//! reverse order when a later step fails for good.
//!
//! This is the linear part of Arazzo: a workflow whose control flow is the
//! step order. [`PlanError::Unsupported`] names what is not run yet, before
//! anything is sent: `goto` actions, `retry` actions that run another step
//! or workflow first, an `end` success action before the last step, steps
//! that call a workflow, `dependsOn`, and `xpath` criteria. A `retry`
//! failure action on the current step is served by the core's retries (which
//! honour `Retry-After`), a failure `end` fails the run (and compensates).
//! A step polling a `202` that crashes mid-poll sends its call again with
//! the same key on resume and polls the replayed operation.

use super::check::component;
use super::context::{EvalContext, HttpMessage};
use super::criterion::{CompiledCriterion, CriterionError};
use super::document::{
    Action, ConditionLanguage, Criterion, Document, FailureAction, FailureActionType, OrReusable,
    Parameter, ParameterLocation, RequestBody, StepTarget, SuccessAction, SuccessActionType,
};
use super::operation::{resolve, ResolveError};
use super::pointer::JsonPointer;
use super::source::Sources;
use super::template::{ValueExpr, ValueExprError};
use crate::workflow::{RunOutcome, StepContext, StepError, Workflow, WorkflowError};
use crate::{Method, Operation};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// How to compile a workflow: where each source description's operations
/// are served.
#[derive(Debug, Clone, Default)]
pub struct CompileOptions {
    /// Source-description name → base URL (`https://host/prefix`) for that
    /// source's operations. A source without an entry is called through the
    /// engine client's base URL.
    pub servers: BTreeMap<String, String>,
}

/// An Arazzo workflow compiled for the engine.
#[derive(Clone)]
pub struct ArazzoWorkflow {
    workflow_id: String,
    workflow: Workflow,
    outputs: Arc<Vec<(String, ValueExpr)>>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for ArazzoWorkflow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArazzoWorkflow")
            .field("workflow", &self.workflow.name())
            .field("steps", &self.workflow.step_names())
            .finish_non_exhaustive()
    }
}

/// Why a workflow cannot be compiled.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// No workflow with this id.
    #[error("no workflow {0:?}")]
    UnknownWorkflow(String),
    /// A construct the interpreter does not run yet.
    #[error("at #{pointer}: {what} is not supported by the interpreter yet")]
    Unsupported {
        /// Where.
        pointer: JsonPointer,
        /// What.
        what: &'static str,
    },
    /// A step's operation cannot be resolved.
    #[error("at #{pointer}: {error}")]
    Operation {
        /// Where.
        pointer: JsonPointer,
        /// Why.
        error: ResolveError,
    },
    /// A malformed expression.
    #[error("at #{pointer}: {error}")]
    Expression {
        /// Where.
        pointer: JsonPointer,
        /// Why.
        error: Box<ValueExprError>,
    },
    /// A criterion that does not compile.
    #[error("at #{pointer}: {error}")]
    Criterion {
        /// Where.
        pointer: JsonPointer,
        /// Why.
        error: Box<CriterionError>,
    },
    /// A Reusable Object that resolves to nothing.
    #[error("at #{pointer}: reference {reference:?} does not resolve")]
    Reference {
        /// Where.
        pointer: JsonPointer,
        /// The reference.
        reference: String,
    },
    /// A [`CompileOptions::servers`] entry naming no source description.
    #[error("`servers` names {0:?}, which is not a source description of the document")]
    UnknownSource(String),
    /// A [`CompileOptions::servers`] entry whose URL is not an absolute
    /// `http(s)://` URL.
    #[error("the server {url:?} given for source {source_name:?} is not an absolute http(s) URL")]
    InvalidServer {
        /// The source description.
        source_name: String,
        /// The URL given.
        url: String,
    },
    /// The engine refused the definition.
    #[error("{0}")]
    Engine(String),
}

/// What every step of a run needs besides its own call.
struct Shared {
    step_ids: Vec<String>,
    components: Value,
    source_descriptions: std::collections::BTreeMap<String, String>,
}

/// One HTTP call, compiled: a step's or a compensation's.
struct Call {
    step_id: String,
    method: Method,
    path: String,
    long_running: bool,
    parameters: Vec<(String, ParameterLocation, ValueExpr)>,
    body: Option<Body>,
    criteria: Vec<CompiledCriterion>,
    outputs: Vec<(String, ValueExpr)>,
}

struct Body {
    content_type: String,
    payload: ValueExpr,
    replacements: Vec<(JsonPointer, ValueExpr)>,
}

impl ArazzoWorkflow {
    /// Compiles the workflow `workflow_id` of `document`, resolving its
    /// operations in `sources`, every call sent to the engine client's base
    /// URL. The engine workflow is named after the `workflowId`; register
    /// [`Self::workflow`] with the [`Engine`](crate::workflow::Engine) to run
    /// and resume it.
    pub fn compile(
        document: &Document,
        sources: &Sources,
        workflow_id: &str,
    ) -> Result<Self, PlanError> {
        Self::compile_with(document, sources, workflow_id, &CompileOptions::default())
    }

    /// [`Self::compile`] with options: the operations of a source named in
    /// [`CompileOptions::servers`] are sent to that base URL.
    pub fn compile_with(
        document: &Document,
        sources: &Sources,
        workflow_id: &str,
        options: &CompileOptions,
    ) -> Result<Self, PlanError> {
        for (name, url) in &options.servers {
            if !document.source_descriptions.iter().any(|s| &s.name == name) {
                return Err(PlanError::UnknownSource(name.clone()));
            }
            let absolute = url::Url::parse(url)
                .map(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
                .unwrap_or(false);
            if !absolute {
                return Err(PlanError::InvalidServer {
                    source_name: name.clone(),
                    url: url.clone(),
                });
            }
        }
        let index = document
            .workflows
            .iter()
            .position(|w| w.workflow_id == workflow_id)
            .ok_or_else(|| PlanError::UnknownWorkflow(workflow_id.to_owned()))?;
        let workflow = &document.workflows[index];
        let at = JsonPointer::root()
            .child("workflows")
            .child(index.to_string());
        let unsupported = |pointer: JsonPointer, what| PlanError::Unsupported { pointer, what };
        if !workflow.depends_on.is_empty() {
            return Err(unsupported(at.child("dependsOn"), "`dependsOn`"));
        }
        let compiler = Compiler {
            document,
            sources,
            servers: &options.servers,
        };
        compiler.success_actions(&at.child("successActions"), &workflow.success_actions, true)?;
        compiler.failure_actions(&at.child("failureActions"), &workflow.failure_actions)?;
        let shared = Arc::new(Shared {
            step_ids: workflow.steps.iter().map(|s| s.step_id.clone()).collect(),
            components: document
                .components
                .as_ref()
                .and_then(|c| serde_json::to_value(c).ok())
                .unwrap_or(Value::Null),
            source_descriptions: document
                .source_descriptions
                .iter()
                .map(|s| (s.name.clone(), s.url.clone()))
                .collect(),
        });
        let mut builder = Workflow::builder(workflow_id);
        let last = workflow.steps.len().saturating_sub(1);
        for (i, step) in workflow.steps.iter().enumerate() {
            let step_at = at.child("steps").child(i.to_string());
            compiler.success_actions(&step_at.child("onSuccess"), &step.on_success, i == last)?;
            compiler.failure_actions(&step_at.child("onFailure"), &step.on_failure)?;
            let target = step
                .target()
                .ok_or_else(|| unsupported(step_at.clone(), "a step without exactly one target"))?;
            let parameters: Vec<&OrReusable<Parameter>> =
                workflow.parameters.iter().chain(&step.parameters).collect();
            let call = Arc::new(compiler.call(
                &step_at,
                &step.step_id,
                target,
                &parameters,
                step.request_body.as_ref(),
                &step.success_criteria,
                &step.outputs,
            )?);
            let shared_for_step = shared.clone();
            builder = builder.step(step.step_id.clone(), move |ctx: StepContext| {
                let call = call.clone();
                let shared = shared_for_step.clone();
                async move { execute(&ctx, &call, &shared).await.map(Value::Object) }
            });
            if let Some(compensate) = &step.compensate {
                let comp_at = step_at.child("x-oncely-compensate");
                let target = compensate.target().ok_or_else(|| {
                    unsupported(comp_at.clone(), "a compensation without exactly one target")
                })?;
                let parameters: Vec<&OrReusable<Parameter>> =
                    compensate.parameters.iter().collect();
                let call = Arc::new(compiler.call(
                    &comp_at,
                    &step.step_id,
                    target,
                    &parameters,
                    compensate.request_body.as_ref(),
                    &compensate.success_criteria,
                    &Default::default(),
                )?);
                let shared_for_step = shared.clone();
                builder = builder.compensate(move |ctx: StepContext| {
                    let call = call.clone();
                    let shared = shared_for_step.clone();
                    async move { execute(&ctx, &call, &shared).await.map(|_| ()) }
                });
            }
        }
        let outputs = workflow
            .outputs
            .iter()
            .map(|(name, text)| {
                ValueExpr::parse(&Value::String(text.clone()))
                    .map(|e| (name.clone(), e))
                    .map_err(|error| PlanError::Expression {
                        pointer: at.child("outputs").child(name),
                        error: Box::new(error),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let engine_workflow = builder
            .build()
            .map_err(|e: WorkflowError| PlanError::Engine(e.to_string()))?;
        Ok(Self {
            workflow_id: workflow_id.to_owned(),
            workflow: engine_workflow,
            outputs: Arc::new(outputs),
            shared,
        })
    }

    /// The `workflowId` this was compiled from.
    pub fn workflow_id(&self) -> &str {
        &self.workflow_id
    }

    /// The Arazzo steps' `stepId`s, in document order.
    pub fn step_ids(&self) -> &[String] {
        &self.shared.step_ids
    }

    /// The engine workflow, to register with an
    /// [`Engine`](crate::workflow::Engine) and start or resume.
    pub fn workflow(&self) -> &Workflow {
        &self.workflow
    }

    /// The Arazzo workflow's `outputs`, evaluated against a finished run's
    /// step outputs.
    pub fn outputs(
        &self,
        outcome: &RunOutcome,
        inputs: &Value,
    ) -> Result<Map<String, Value>, super::context::EvalError> {
        let mut context = self.shared.context(inputs.clone());
        for (step, output) in &outcome.outputs {
            if let Value::Object(map) = output {
                context.steps.insert(step.clone(), map.clone());
            }
        }
        let mut out = Map::new();
        for (name, expression) in self.outputs.iter() {
            out.insert(name.clone(), expression.evaluate(&context)?);
        }
        Ok(out)
    }
}

impl Shared {
    fn context(&self, inputs: Value) -> EvalContext {
        EvalContext {
            inputs,
            components: self.components.clone(),
            source_descriptions: self.source_descriptions.clone(),
            ..EvalContext::default()
        }
    }
}

struct Compiler<'a> {
    document: &'a Document,
    sources: &'a Sources,
    servers: &'a BTreeMap<String, String>,
}

impl Compiler<'_> {
    /// Refuses actions that resolve to nothing or that `unsupported` names.
    fn actions<A: Action>(
        &self,
        at: &JsonPointer,
        actions: &[OrReusable<A>],
        unsupported: impl Fn(&A) -> Option<&'static str>,
    ) -> Result<(), PlanError> {
        for (i, item) in actions.iter().enumerate() {
            let pointer = at.child(i.to_string());
            let action = match item {
                OrReusable::Inline(action) => action,
                OrReusable::Reusable(r) => {
                    component::<A>(self.document, r).ok_or_else(|| PlanError::Reference {
                        pointer: pointer.clone(),
                        reference: r.reference.clone(),
                    })?
                }
            };
            if let Some(what) = unsupported(action) {
                return Err(PlanError::Unsupported { pointer, what });
            }
        }
        Ok(())
    }

    fn success_actions(
        &self,
        at: &JsonPointer,
        actions: &[OrReusable<SuccessAction>],
        last_step: bool,
    ) -> Result<(), PlanError> {
        self.actions(at, actions, |a| match a.kind {
            SuccessActionType::Goto => Some("a `goto` action"),
            SuccessActionType::End if !last_step => {
                Some("an `end` success action before the last step")
            }
            SuccessActionType::End => None,
        })
    }

    fn failure_actions(
        &self,
        at: &JsonPointer,
        actions: &[OrReusable<FailureAction>],
    ) -> Result<(), PlanError> {
        self.actions(at, actions, |a| match a.kind {
            FailureActionType::Goto => Some("a `goto` action"),
            _ if a.step_id.is_some() || a.workflow_id.is_some() => {
                Some("a `retry` that runs another step or workflow first")
            }
            _ => None,
        })
    }

    fn component_name<'r>(
        &self,
        reusable: &'r super::document::Reusable,
        prefix: &str,
    ) -> Option<&'r str> {
        reusable.reference.strip_prefix(prefix)
    }

    #[allow(clippy::too_many_arguments)]
    fn call(
        &self,
        at: &JsonPointer,
        step_id: &str,
        target: StepTarget<'_>,
        parameters: &[&OrReusable<Parameter>],
        body: Option<&RequestBody>,
        criteria: &[Criterion],
        outputs: &std::collections::BTreeMap<String, String>,
    ) -> Result<Call, PlanError> {
        if let StepTarget::WorkflowId(_) = target {
            return Err(PlanError::Unsupported {
                pointer: at.child("workflowId"),
                what: "a step that calls a workflow",
            });
        }
        let operation =
            resolve(target, self.document, self.sources).map_err(|error| PlanError::Operation {
                pointer: at.clone(),
                error,
            })?;
        let expression = |pointer: JsonPointer, value: &Value| {
            ValueExpr::parse(value).map_err(|error| PlanError::Expression {
                pointer,
                error: Box::new(error),
            })
        };
        // Later definitions (the step's) override earlier ones (the workflow's).
        let mut compiled: Vec<(String, ParameterLocation, ValueExpr)> = Vec::new();
        for (i, item) in parameters.iter().enumerate() {
            let pointer = at.child("parameters").child(i.to_string());
            let (parameter, value) = match item {
                OrReusable::Inline(p) => (p, &p.value),
                OrReusable::Reusable(r) => {
                    let parameter = self
                        .component_name(r, "$components.parameters.")
                        .and_then(|name| self.document.components.as_ref()?.parameters.get(name))
                        .ok_or_else(|| PlanError::Reference {
                            pointer: pointer.clone(),
                            reference: r.reference.clone(),
                        })?;
                    (parameter, r.value.as_ref().unwrap_or(&parameter.value))
                }
            };
            let location = parameter.location.ok_or(PlanError::Unsupported {
                pointer: pointer.clone(),
                what: "a parameter without `in` on an operation call",
            })?;
            compiled.retain(|(name, loc, _)| !(name == &parameter.name && *loc == location));
            compiled.push((
                parameter.name.clone(),
                location,
                expression(pointer, value)?,
            ));
        }
        let body = match body {
            None => None,
            Some(body) => {
                let body_at = at.child("requestBody");
                let replacements = body
                    .replacements
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let pointer = body_at.child("replacements").child(i.to_string());
                        let target =
                            JsonPointer::parse(&r.target).map_err(|_| PlanError::Unsupported {
                                pointer: pointer.child("target"),
                                what: "a replacement target that is not a JSON pointer",
                            })?;
                        Ok((target, expression(pointer.child("value"), &r.value)?))
                    })
                    .collect::<Result<Vec<_>, PlanError>>()?;
                Some(Body {
                    content_type: body
                        .content_type
                        .clone()
                        .unwrap_or_else(|| "application/json".into()),
                    payload: expression(
                        body_at.child("payload"),
                        body.payload.as_ref().unwrap_or(&Value::Null),
                    )?,
                    replacements,
                })
            }
        };
        let criteria = criteria
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let pointer = at.child("successCriteria").child(i.to_string());
                if c.language() == ConditionLanguage::Xpath {
                    return Err(PlanError::Unsupported {
                        pointer,
                        what: "an `xpath` criterion",
                    });
                }
                CompiledCriterion::compile(c).map_err(|error| PlanError::Criterion {
                    pointer,
                    error: Box::new(error),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let outputs = outputs
            .iter()
            .map(|(name, text)| {
                Ok((
                    name.clone(),
                    expression(
                        at.child("outputs").child(name),
                        &Value::String(text.clone()),
                    )?,
                ))
            })
            .collect::<Result<Vec<_>, PlanError>>()?;
        let method = Method::from_bytes(operation.method.as_bytes()).map_err(|_| {
            PlanError::Unsupported {
                pointer: at.clone(),
                what: "an unknown HTTP method",
            }
        })?;
        // A source with its own server gets absolute URLs; the client sends
        // those as given (path parameters still filled in).
        let path = match self.servers.get(&operation.source) {
            Some(base) => format!(
                "{}/{}",
                base.trim_end_matches('/'),
                operation.path.trim_start_matches('/')
            ),
            None => operation.path,
        };
        Ok(Call {
            step_id: step_id.to_owned(),
            method,
            path,
            long_running: operation.long_running,
            parameters: compiled,
            body,
            criteria,
            outputs,
        })
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Runs one compiled call inside an engine step (or compensation).
async fn execute(
    ctx: &StepContext,
    call: &Call,
    shared: &Shared,
) -> Result<Map<String, Value>, StepError> {
    let failed = |what: String| StepError::permanent(format!("step {:?}: {what}", call.step_id));
    let mut context = shared.context(ctx.input::<Value>()?);
    for step in &shared.step_ids {
        if let Ok(Value::Object(outputs)) = ctx.output::<Value>(step) {
            context.steps.insert(step.clone(), outputs);
        }
    }
    let mut request = HttpMessage::default();
    let mut builder = ctx.request(call.method.clone(), call.path.clone());
    for (name, location, value) in &call.parameters {
        let value = text(
            &value
                .evaluate(&context)
                .map_err(|e| failed(e.to_string()))?,
        );
        builder = match location {
            ParameterLocation::Path => {
                request.path.insert(name.clone(), value.clone());
                builder.path_param(name, value)
            }
            ParameterLocation::Query => {
                request.query.push((name.clone(), value.clone()));
                builder.query(name, value)
            }
            ParameterLocation::Header => {
                request.headers.push((name.clone(), value.clone()));
                builder.header(name, value)
            }
            ParameterLocation::Cookie => builder.cookie(name, value),
        };
    }
    if let Some(body) = &call.body {
        let mut payload = body
            .payload
            .evaluate(&context)
            .map_err(|e| failed(e.to_string()))?;
        let json = body.content_type.to_ascii_lowercase().contains("json");
        if json {
            if let Value::String(s) = &payload {
                if let Ok(parsed) = serde_json::from_str::<Value>(s) {
                    payload = parsed;
                }
            }
        }
        for (target, value) in &body.replacements {
            let value = value
                .evaluate(&context)
                .map_err(|e| failed(e.to_string()))?;
            replace(&mut payload, target, value).ok_or_else(|| {
                failed(format!("replacement target {target} is not in the payload"))
            })?;
        }
        request.body = Some(payload.clone());
        builder = if json {
            builder.json(&payload)
        } else if body
            .content_type
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            && payload.is_object()
        {
            builder.form(&payload)
        } else {
            builder.body(text(&payload), &body.content_type)
        };
    }
    let response = builder.send().await?;
    context.url = Some(response.url().to_string());
    context.method = Some(call.method.to_string());
    context.status_code = Some(response.status());
    let bytes = response.bytes();
    let body = if bytes.is_empty() {
        None
    } else {
        Some(
            serde_json::from_slice(bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned())),
        )
    };
    context.response = Some(HttpMessage {
        headers: response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
        ..HttpMessage::default()
    });
    context.request = Some(request);
    for (i, criterion) in call.criteria.iter().enumerate() {
        let holds = criterion
            .evaluate(&context)
            .map_err(|e| failed(e.to_string()))?;
        if !holds {
            return Err(failed(format!("successCriteria {i} does not hold")));
        }
    }
    let mut outputs = Map::new();
    for (name, expression) in &call.outputs {
        outputs.insert(
            name.clone(),
            expression
                .evaluate(&context)
                .map_err(|e| failed(e.to_string()))?,
        );
    }
    if call.long_running {
        Operation::<Value>::from_response(ctx.client().clone(), response)?
            .wait()
            .await?;
    }
    Ok(outputs)
}

/// Sets `value` at `target`: replaces what is there, or adds a member to an
/// existing object (or appends to an array with `-`).
fn replace(payload: &mut Value, target: &JsonPointer, value: Value) -> Option<()> {
    if let Some(slot) = target.resolve_mut(payload) {
        *slot = value;
        return Some(());
    }
    let mut parent = target.clone();
    let last = parent.pop()?;
    match parent.resolve_mut(payload)? {
        Value::Object(map) => {
            map.insert(last, value);
            Some(())
        }
        Value::Array(items) if last == "-" => {
            items.push(value);
            Some(())
        }
        _ => None,
    }
}
