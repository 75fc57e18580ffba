//! Running an Arazzo workflow on oncely's engine and journal.
//!
//! [`ArazzoWorkflow::compile`] turns one workflow of a checked document
//! (and every workflow it can enter: steps that call workflows, `dependsOn`,
//! `goto` and `retry` into workflows) into a driven engine [`Workflow`]
//! ([`Workflow::driven`]): each time an operation step runs is one journaled
//! engine step, a *visit*, whose key is UUIDv5(run id, visit name) — so a run
//! killed mid-step and resumed sends the same `Idempotency-Key` and gets the
//! server's replay, and each pass of a `goto` loop or `retry` gets a key of
//! its own. [`flow`](super::flow) has the control flow and how visits are
//! named; a visit:
//!
//! 1. waits, when a `retry` asked for it;
//! 2. evaluates the parameters (workflow-level ones, overridden by the
//!    step's), the payload and its replacements against the workflow's
//!    inputs and the outputs of its steps that ran;
//! 3. sends the call through the engine's client (its retries, backoff,
//!    `Retry-After`, budget and breaker apply; a failure that is not an
//!    answer stays the engine's: retried, then settled and compensated);
//! 4. checks the `successCriteria` (none: a `2xx`/`3xx` answer succeeds);
//! 5. on success evaluates the step's `outputs`, polls a long-running
//!    operation (a `202` in its OpenAPI responses) to its end, and takes the
//!    first success action whose criteria hold (`end`, `goto`);
//! 6. on failure takes the first failure action whose criteria hold
//!    (`goto`, `retry` within its `retryLimit`); with none, or `end`, the
//!    step fails: the run compensates (in a called workflow the failure
//!    goes to the calling step's `onFailure` first);
//! 7. journals the step's `outputs` with its decision.
//!
//! Calls go to the engine client's base URL, or, for a source description
//! named in [`CompileOptions::servers`] ([`ArazzoWorkflow::compile_with`]), to
//! that source's base URL (the client sends it as an absolute URL, with the
//! same keys, retries and polling).
//!
//! `x-oncely-compensate` becomes the visit's compensation, run in reverse
//! order of the visits when the run fails for good; a visit whose step
//! failed (and was handled) is not compensated. [`PlanError::Unsupported`]
//! names what is not run, before anything is sent: `xpath` criteria, a
//! workflow of another Arazzo source description, a compensation that calls
//! a workflow.

use super::call::expression;
use super::check::component;
use super::criterion::{CompiledCriterion, CriterionError};
use super::document::{
    Action, ConditionLanguage, Criterion, Document, FailureAction, FailureActionType, OrReusable,
    Parameter, SuccessAction, SuccessActionType,
};
use super::flow::{
    step_outputs, FailureRule, FailureThen, FlowError, FlowPlan, FlowStep, FlowWorkflow, Jump,
    Machine, SuccessRule, Target, Visit,
};
use super::operation::ResolveError;
use super::pointer::JsonPointer;
use super::source::Sources;
use super::template::{ValueExpr, ValueExprError};
use super::visit;
use crate::workflow::{
    DrivenStep, RunOutcome, StepCursor, StepDriver, StepError, Workflow, WorkflowError,
};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

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
    step_ids: Vec<String>,
    plan: Arc<FlowPlan>,
}

impl std::fmt::Debug for ArazzoWorkflow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArazzoWorkflow")
            .field("workflow", &self.workflow.name())
            .field("steps", &self.step_ids)
            .finish_non_exhaustive()
    }
}

/// Why a workflow cannot be compiled.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// No workflow with this id.
    #[error("no workflow {0:?}")]
    UnknownWorkflow(String),
    /// A construct the interpreter does not run.
    #[error("at #{pointer}: {what} is not supported by the interpreter")]
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
    /// A `workflowId` (of a step, an action, `dependsOn`) naming no
    /// workflow of the document.
    #[error("at #{pointer}: no workflow {workflow_id:?} in the document")]
    UnknownWorkflowRef {
        /// Where.
        pointer: JsonPointer,
        /// The id.
        workflow_id: String,
    },
    /// A `stepId` of an action naming no step of its workflow.
    #[error("at #{pointer}: no step {step_id:?} in this workflow")]
    UnknownStep {
        /// Where.
        pointer: JsonPointer,
        /// The id.
        step_id: String,
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
        let root = document
            .workflows
            .iter()
            .position(|w| w.workflow_id == workflow_id)
            .ok_or_else(|| PlanError::UnknownWorkflow(workflow_id.to_owned()))?;
        let compiler = Compiler {
            document,
            sources,
            servers: &options.servers,
        };
        // Every workflow the run may enter, compiled once, indexed as in the document.
        let mut compiled: BTreeMap<usize, FlowWorkflow> = BTreeMap::new();
        let mut queue = vec![root];
        while let Some(index) = queue.pop() {
            if compiled.contains_key(&index) {
                continue;
            }
            let (workflow, entered) = compiler.workflow(index)?;
            queue.extend(entered);
            compiled.insert(index, workflow);
        }
        // Dense indices: position in `workflows` by document index.
        let dense: BTreeMap<usize, usize> = compiled
            .keys()
            .enumerate()
            .map(|(dense, index)| (*index, dense))
            .collect();
        let mut workflows: Vec<FlowWorkflow> = compiled.into_values().collect();
        for workflow in &mut workflows {
            for dependency in &mut workflow.depends_on {
                *dependency = dense[dependency];
            }
            for step in &mut workflow.steps {
                if let Target::Workflow { workflow, .. } = &mut step.target {
                    *workflow = dense[workflow];
                }
            }
        }
        let plan = Arc::new(FlowPlan {
            workflows,
            root: dense[&root],
            components: Arc::new(
                document
                    .components
                    .as_ref()
                    .and_then(|c| serde_json::to_value(c).ok())
                    .unwrap_or(Value::Null),
            ),
            source_descriptions: document
                .source_descriptions
                .iter()
                .map(|s| (s.name.clone(), s.url.clone()))
                .collect::<BTreeMap<_, _>>()
                .into(),
        });
        let step_ids: Vec<String> = document.workflows[root]
            .steps
            .iter()
            .map(|s| s.step_id.clone())
            .collect();
        let workflow =
            Workflow::driven(workflow_id, step_ids.clone(), Driver { plan: plan.clone() })
                .map_err(|e: WorkflowError| PlanError::Engine(e.to_string()))?;
        Ok(Self {
            workflow_id: workflow_id.to_owned(),
            workflow,
            step_ids,
            plan,
        })
    }

    /// The `workflowId` this was compiled from.
    pub fn workflow_id(&self) -> &str {
        &self.workflow_id
    }

    /// The Arazzo steps' `stepId`s, in document order.
    pub fn step_ids(&self) -> &[String] {
        &self.step_ids
    }

    /// The engine workflow, to register with an
    /// [`Engine`](crate::workflow::Engine) and start or resume.
    pub fn workflow(&self) -> &Workflow {
        &self.workflow
    }

    /// The Arazzo workflow's `outputs`, evaluated by replaying a finished
    /// run's visits.
    pub fn outputs(
        &self,
        outcome: &RunOutcome,
        inputs: &Value,
    ) -> Result<Map<String, Value>, FlowError> {
        let (machine, next) =
            Machine::replay(&self.plan, inputs.clone(), |name| outcome.outputs.get(name))?;
        if let Some(visit) = next {
            return Err(FlowError::Unfinished(visit.name));
        }
        Ok(machine.outputs().cloned().unwrap_or_default())
    }

    /// The Arazzo outputs of a visit's journaled output (its step's
    /// `outputs`, without the decision oncely journals with them).
    pub fn step_outputs(output: &Value) -> Map<String, Value> {
        step_outputs(output)
    }
}

/// Decides each visit of a run by replaying the ones before it.
struct Driver {
    plan: Arc<FlowPlan>,
}

impl StepDriver for Driver {
    fn next(
        &self,
        input: &Value,
        done: &[(String, Value)],
    ) -> Result<Option<DrivenStep>, StepError> {
        let mut used = 0;
        let (_, next) = Machine::replay(&self.plan, input.clone(), |name| {
            let (journaled, output) = done.get(used)?;
            if journaled != name {
                return None;
            }
            used += 1;
            Some(output)
        })
        .map_err(|e| StepError::permanent(e.to_string()))?;
        if let Some((journaled, _)) = done.get(used) {
            return Err(unfit(journaled, next.as_ref()));
        }
        Ok(next.map(|visit| visit::driven_step(&self.plan, Arc::new(visit))))
    }

    fn cursor(&self, input: &Value) -> Option<Box<dyn StepCursor>> {
        Some(Box::new(Cursor {
            plan: self.plan.clone(),
            machine: Machine::new(self.plan.clone(), input.clone()),
            applied: 0,
            pending: None,
        }))
    }
}

/// The error of a journaled visit the document does not lead to.
fn unfit(journaled: &str, next: Option<&Visit>) -> StepError {
    StepError::permanent(format!(
        "the journal does not fit the workflow: visit {journaled:?} is not where the document leads ({})",
        next.map_or("the run ends there".to_owned(), |v| format!("to {:?}", v.name))
    ))
}

/// One run's machine, kept between visits: each finished visit is folded in
/// once, instead of replaying the run from its start at every step.
struct Cursor {
    plan: Arc<FlowPlan>,
    machine: Machine,
    /// How many finished visits are folded in.
    applied: usize,
    /// The visit decided last, not finished yet.
    pending: Option<Arc<Visit>>,
}

impl StepCursor for Cursor {
    fn next(&mut self, done: &[(String, Value)]) -> Result<Option<DrivenStep>, StepError> {
        let flow = |e: super::flow::FlowError| StepError::permanent(e.to_string());
        for (name, output) in done.iter().skip(self.applied) {
            let visit = match self.pending.take() {
                Some(visit) => visit,
                None => match self.machine.current().map_err(flow)? {
                    Some(visit) => Arc::new(visit),
                    None => return Err(unfit(name, None)),
                },
            };
            if visit.name != *name {
                return Err(unfit(name, Some(&visit)));
            }
            self.machine.apply(&visit, output).map_err(flow)?;
            self.applied += 1;
        }
        if self.pending.is_none() {
            self.pending = self.machine.current().map_err(flow)?.map(Arc::new);
        }
        Ok(self
            .pending
            .clone()
            .map(|visit| visit::driven_step(&self.plan, visit)))
    }
}

/// Compiles workflows of one document.
pub(crate) struct Compiler<'a> {
    pub(crate) document: &'a Document,
    pub(crate) sources: &'a Sources,
    pub(crate) servers: &'a BTreeMap<String, String>,
}

impl Compiler<'_> {
    /// The document's workflow `index`, and the workflows (document
    /// indices) it may enter.
    fn workflow(&self, index: usize) -> Result<(FlowWorkflow, Vec<usize>), PlanError> {
        let workflow = &self.document.workflows[index];
        let at = JsonPointer::root()
            .child("workflows")
            .child(index.to_string());
        let mut entered = Vec::new();
        let mut depends_on = Vec::new();
        for (i, id) in workflow.depends_on.iter().enumerate() {
            let w = self.workflow_ref(&at.child("dependsOn").child(i.to_string()), id)?;
            depends_on.push(w);
            entered.push(w);
        }
        let workflow_success =
            self.success_rules(&at.child("successActions"), &workflow.success_actions)?;
        let workflow_failure =
            self.failure_rules(&at.child("failureActions"), &workflow.failure_actions)?;
        let mut steps = Vec::new();
        for (i, step) in workflow.steps.iter().enumerate() {
            let step_at = at.child("steps").child(i.to_string());
            let target = step.target().ok_or_else(|| PlanError::Unsupported {
                pointer: step_at.clone(),
                what: "a step without exactly one target",
            })?;
            let parameters: Vec<&OrReusable<Parameter>> =
                workflow.parameters.iter().chain(&step.parameters).collect();
            let target = match target {
                super::document::StepTarget::WorkflowId(id) => {
                    let w = self.workflow_ref(&step_at.child("workflowId"), id)?;
                    entered.push(w);
                    let mut inputs: Vec<(String, ValueExpr)> = Vec::new();
                    for (p, item) in parameters.iter().enumerate() {
                        let pointer = step_at.child("parameters").child(p.to_string());
                        let (parameter, value) = self.parameter(&pointer, item)?;
                        inputs.retain(|(name, _)| name != &parameter.name);
                        inputs.push((parameter.name.clone(), expression(pointer, value)?));
                    }
                    Target::Workflow {
                        workflow: w,
                        inputs,
                    }
                }
                target => Target::Call(Arc::new(self.call(
                    &step_at,
                    &step.step_id,
                    target,
                    &parameters,
                    step.request_body.as_ref(),
                )?)),
            };
            let mut on_success =
                self.success_rules(&step_at.child("onSuccess"), &step.on_success)?;
            on_success.extend(workflow_success.iter().cloned());
            let mut on_failure =
                self.failure_rules(&step_at.child("onFailure"), &step.on_failure)?;
            on_failure.extend(workflow_failure.iter().cloned());
            for jump in on_success
                .iter()
                .map(|r| Some(&r.then))
                .chain(on_failure.iter().map(|r| match &r.then {
                    FailureThen::Goto(j) => Some(j),
                    FailureThen::Retry { first, .. } => first.as_ref(),
                    FailureThen::End => None,
                }))
                .flatten()
            {
                if let Jump::Workflow(id) = jump {
                    entered.push(self.workflow_ref(&step_at, id)?);
                }
            }
            let compensate = match &step.compensate {
                None => None,
                Some(compensate) => {
                    let comp_at = step_at.child("x-oncely-compensate");
                    let target = compensate.target().ok_or_else(|| PlanError::Unsupported {
                        pointer: comp_at.clone(),
                        what: "a compensation without exactly one target",
                    })?;
                    if let super::document::StepTarget::WorkflowId(_) = target {
                        return Err(PlanError::Unsupported {
                            pointer: comp_at.child("workflowId"),
                            what: "a compensation that calls a workflow",
                        });
                    }
                    let parameters: Vec<&OrReusable<Parameter>> =
                        compensate.parameters.iter().collect();
                    let call = self.call(
                        &comp_at,
                        &step.step_id,
                        target,
                        &parameters,
                        compensate.request_body.as_ref(),
                    )?;
                    let criteria = self.criteria(&comp_at, &compensate.success_criteria)?;
                    Some((Arc::new(call), criteria))
                }
            };
            steps.push(FlowStep {
                step_id: step.step_id.clone(),
                target,
                criteria: self.criteria(&step_at, &step.success_criteria)?,
                outputs: self.outputs(&step_at.child("outputs"), &step.outputs)?,
                on_success,
                on_failure,
                compensate,
            });
        }
        // Every goto/retry target step exists in this workflow.
        for (i, step) in steps.iter().enumerate() {
            let targets =
                step.on_success
                    .iter()
                    .map(|r| &r.then)
                    .chain(step.on_failure.iter().filter_map(|r| match &r.then {
                        FailureThen::Goto(j) => Some(j),
                        FailureThen::Retry { first, .. } => first.as_ref(),
                        FailureThen::End => None,
                    }));
            for jump in targets {
                if let Jump::Step(id) = jump {
                    if !workflow.steps.iter().any(|s| &s.step_id == id) {
                        return Err(PlanError::UnknownStep {
                            pointer: at.child("steps").child(i.to_string()),
                            step_id: id.clone(),
                        });
                    }
                }
            }
        }
        Ok((
            FlowWorkflow {
                id: workflow.workflow_id.clone(),
                depends_on,
                steps,
                outputs: self.outputs(&at.child("outputs"), &workflow.outputs)?,
            },
            entered,
        ))
    }

    /// The document index of the workflow `id` names (a `workflowId` of
    /// this document, or `$sourceDescriptions.NAME.ID` naming this one).
    fn workflow_ref(&self, at: &JsonPointer, id: &str) -> Result<usize, PlanError> {
        let plain = match id.strip_prefix("$sourceDescriptions.") {
            None => id,
            Some(rest) => {
                return Err(PlanError::Unsupported {
                    pointer: at.clone(),
                    what: if rest.contains('.') {
                        "a workflow of another Arazzo source description"
                    } else {
                        "a malformed workflow reference"
                    },
                })
            }
        };
        self.document
            .workflows
            .iter()
            .position(|w| w.workflow_id == plain)
            .ok_or_else(|| PlanError::UnknownWorkflowRef {
                pointer: at.clone(),
                workflow_id: plain.to_owned(),
            })
    }

    /// A parameter (inline, or a reusable one with its value override).
    pub(crate) fn parameter<'d>(
        &'d self,
        pointer: &JsonPointer,
        item: &'d OrReusable<Parameter>,
    ) -> Result<(&'d Parameter, &'d Value), PlanError> {
        match item {
            OrReusable::Inline(p) => Ok((p, &p.value)),
            OrReusable::Reusable(r) => {
                let parameter = r
                    .reference
                    .strip_prefix("$components.parameters.")
                    .and_then(|name| self.document.components.as_ref()?.parameters.get(name))
                    .ok_or_else(|| PlanError::Reference {
                        pointer: pointer.clone(),
                        reference: r.reference.clone(),
                    })?;
                Ok((parameter, r.value.as_ref().unwrap_or(&parameter.value)))
            }
        }
    }

    fn criteria(
        &self,
        at: &JsonPointer,
        criteria: &[Criterion],
    ) -> Result<Vec<CompiledCriterion>, PlanError> {
        criteria
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let pointer = at.child("successCriteria").child(i.to_string());
                self.criterion(pointer, c)
            })
            .collect()
    }

    fn criterion(
        &self,
        pointer: JsonPointer,
        criterion: &Criterion,
    ) -> Result<CompiledCriterion, PlanError> {
        if criterion.language() == ConditionLanguage::Xpath {
            return Err(PlanError::Unsupported {
                pointer,
                what: "an `xpath` criterion",
            });
        }
        CompiledCriterion::compile(criterion).map_err(|error| PlanError::Criterion {
            pointer,
            error: Box::new(error),
        })
    }

    fn outputs(
        &self,
        at: &JsonPointer,
        outputs: &BTreeMap<String, String>,
    ) -> Result<Vec<(String, ValueExpr)>, PlanError> {
        outputs
            .iter()
            .map(|(name, text)| {
                Ok((
                    name.clone(),
                    expression(at.child(name), &Value::String(text.clone()))?,
                ))
            })
            .collect()
    }

    /// Resolves the actions of a list (inline or `$components` references).
    fn resolved<'d, A: Action>(
        &'d self,
        at: &JsonPointer,
        actions: &'d [OrReusable<A>],
    ) -> Result<Vec<(JsonPointer, &'d A)>, PlanError> {
        actions
            .iter()
            .enumerate()
            .map(|(i, item)| {
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
                Ok((pointer, action))
            })
            .collect()
    }

    fn action_criteria(
        &self,
        at: &JsonPointer,
        criteria: &[Criterion],
    ) -> Result<Vec<CompiledCriterion>, PlanError> {
        criteria
            .iter()
            .enumerate()
            .map(|(i, c)| self.criterion(at.child("criteria").child(i.to_string()), c))
            .collect()
    }

    fn jump(
        &self,
        at: &JsonPointer,
        step_id: Option<&str>,
        workflow_id: Option<&str>,
    ) -> Result<Option<Jump>, PlanError> {
        match (step_id, workflow_id) {
            (Some(s), None) => Ok(Some(Jump::Step(s.to_owned()))),
            (None, Some(w)) => {
                let index = self.workflow_ref(at, w)?;
                Ok(Some(Jump::Workflow(
                    self.document.workflows[index].workflow_id.clone(),
                )))
            }
            (None, None) => Ok(None),
            (Some(_), Some(_)) => Err(PlanError::Unsupported {
                pointer: at.clone(),
                what: "an action with both `stepId` and `workflowId`",
            }),
        }
    }

    fn success_rules(
        &self,
        at: &JsonPointer,
        actions: &[OrReusable<SuccessAction>],
    ) -> Result<Vec<SuccessRule>, PlanError> {
        self.resolved(at, actions)?
            .into_iter()
            .map(|(pointer, action)| {
                let then = match action.kind {
                    SuccessActionType::End => Jump::End,
                    SuccessActionType::Goto => self
                        .jump(
                            &pointer,
                            action.step_id.as_deref(),
                            action.workflow_id.as_deref(),
                        )?
                        .ok_or(PlanError::Unsupported {
                            pointer: pointer.clone(),
                            what: "a `goto` without `stepId` or `workflowId`",
                        })?,
                };
                Ok(SuccessRule {
                    criteria: self.action_criteria(&pointer, &action.criteria)?,
                    then,
                })
            })
            .collect()
    }

    fn failure_rules(
        &self,
        at: &JsonPointer,
        actions: &[OrReusable<FailureAction>],
    ) -> Result<Vec<FailureRule>, PlanError> {
        self.resolved(at, actions)?
            .into_iter()
            .map(|(pointer, action)| {
                let jump = self.jump(
                    &pointer,
                    action.step_id.as_deref(),
                    action.workflow_id.as_deref(),
                )?;
                let then = match action.kind {
                    FailureActionType::End => FailureThen::End,
                    FailureActionType::Goto => {
                        FailureThen::Goto(jump.ok_or(PlanError::Unsupported {
                            pointer: pointer.clone(),
                            what: "a `goto` without `stepId` or `workflowId`",
                        })?)
                    }
                    FailureActionType::Retry => FailureThen::Retry {
                        first: jump,
                        after: action
                            .retry_after
                            .filter(|s| s.is_finite() && *s >= 0.0)
                            .map(|s| Duration::from_secs_f64(s.min(86_400.0))),
                        // Without a limit, one retry (the specification's default is unstated).
                        limit: action.retry_limit.unwrap_or(1),
                    },
                };
                Ok(FailureRule {
                    criteria: self.action_criteria(&pointer, &action.criteria)?,
                    then,
                })
            })
            .collect()
    }
}
