//! The control flow of a compiled Arazzo workflow, replayed from the
//! journal.
//!
//! A run is a sequence of *visits*: each time an operation step runs, it is
//! one journaled engine step whose output holds the step's `outputs` and
//! what the step decided (`$decision`: go on, `end`, `goto`, `retry`, or a
//! failure passed up to a calling workflow). The machine folds those
//! outputs, in order, into where the run is: the stack of workflows running
//! (a step that calls a workflow, a workflow's `dependsOn`, a `goto` or
//! `retry` into a workflow), each one's inputs and step outputs so far,
//! retry counts and a pending `retryAfter`. Everything that needs no answer
//! — a called workflow's inputs and outputs, the criteria and actions of the
//! step that called it — is evaluated here, a pure function of the journal;
//! everything that needs an answer was decided by the visit and journaled
//! with it. So a resumed run replays to the same place and the same next
//! visit.
//!
//! Visits are named for the journal: an operation step's first visit by its
//! `stepId`, later ones `stepId#2`, `stepId#3`…; the steps of a workflow
//! entered from this one are prefixed with its `workflowId` (`refund/…`,
//! `refund#2/…` for its second entry). A visit's idempotency key is
//! UUIDv5(run id, visit name): the same on every resume, new for each
//! `goto` loop or `retry`.
//!
//! Semantics where Arazzo 1.0.1 leaves a choice:
//! - a step's own actions are tried before the workflow's
//!   `successActions`/`failureActions`, in order; the first whose criteria
//!   all hold is taken; none means "go on" after a success and "fail" after
//!   a failure;
//! - a step without `successCriteria` succeeds on a `2xx`/`3xx` answer;
//! - `retry` counts per step and resets when the step succeeds; when its
//!   `retryLimit` is spent the step fails; the delay is `retryAfter`
//!   seconds, at least the answer's `Retry-After`, and the core's backoff
//!   when neither is given; `retry` with `stepId` runs that step first and
//!   then the failed one again, with `workflowId` that workflow;
//! - a `goto` to a workflow runs it and then ends the current one;
//!   workflows entered by `goto`, `retry` or `dependsOn` get the inputs of
//!   the workflow that entered them;
//! - a failure that nothing handles in a called workflow fails the calling
//!   step (its `onFailure` applies); in the top workflow it fails the run,
//!   which compensates.

use super::context::{EvalContext, EvalError, WorkflowValues};
use super::criterion::{CompiledCriterion, CriterionError};
use super::template::ValueExpr;
use crate::arazzo::call::Call;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// The most visits one run may make: a `goto` loop that never ends fails
/// the run here instead of journaling forever.
pub(crate) const MAX_VISITS: usize = 10_000;

/// The journal key of a visit's decision in its output (not a valid output
/// name, so it cannot collide with one).
pub(crate) const DECISION: &str = "$decision";
/// The journal key marking a visit whose step failed (and was handled).
pub(crate) const FAILED: &str = "$failed";

/// Every workflow a run may enter, compiled.
pub(crate) struct FlowPlan {
    /// By index; `root` is the one the run starts.
    pub workflows: Vec<FlowWorkflow>,
    /// The workflow the run starts.
    pub root: usize,
    /// The document's components, for `$components`.
    pub components: Arc<Value>,
    /// Source description name → URL, for `$sourceDescriptions`.
    pub source_descriptions: Arc<BTreeMap<String, String>>,
}

/// One compiled workflow.
pub(crate) struct FlowWorkflow {
    /// Its `workflowId`.
    pub id: String,
    /// The workflows it `dependsOn`, run first.
    pub depends_on: Vec<usize>,
    /// Its steps, in order.
    pub steps: Vec<FlowStep>,
    /// Its `outputs`.
    pub outputs: Vec<(String, ValueExpr)>,
}

impl FlowWorkflow {
    fn step_index(&self, step_id: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.step_id == step_id)
    }
}

/// One compiled step.
pub(crate) struct FlowStep {
    /// Its `stepId`.
    pub step_id: String,
    /// What it does.
    pub target: Target,
    /// Its `successCriteria`.
    pub criteria: Vec<CompiledCriterion>,
    /// Its `outputs`.
    pub outputs: Vec<(String, ValueExpr)>,
    /// Its `onSuccess`, then the workflow's `successActions`.
    pub on_success: Vec<SuccessRule>,
    /// Its `onFailure`, then the workflow's `failureActions`.
    pub on_failure: Vec<FailureRule>,
    /// Its `x-oncely-compensate` call and that call's criteria.
    pub compensate: Option<(Arc<Call>, Vec<CompiledCriterion>)>,
}

/// What a step does.
pub(crate) enum Target {
    /// Calls an operation.
    Call(Arc<Call>),
    /// Runs a workflow with these inputs.
    Workflow {
        /// The workflow.
        workflow: usize,
        /// Input name → value.
        inputs: Vec<(String, ValueExpr)>,
    },
}

/// A success action, compiled.
#[derive(Clone)]
pub(crate) struct SuccessRule {
    /// When it applies.
    pub criteria: Vec<CompiledCriterion>,
    /// What it does.
    pub then: Jump,
}

/// A failure action, compiled.
#[derive(Clone)]
pub(crate) struct FailureRule {
    /// When it applies.
    pub criteria: Vec<CompiledCriterion>,
    /// What it does.
    pub then: FailureThen,
}

/// Where an action goes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Jump {
    /// End the current workflow.
    End,
    /// Go to a step of the current workflow.
    Step(String),
    /// Run a workflow (then end the current one).
    Workflow(String),
}

/// What a failure action does.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FailureThen {
    /// End the workflow, failed.
    End,
    /// Go somewhere else.
    Goto(Jump),
    /// Run the step again, after `first` (a step or workflow) if given.
    Retry {
        /// Run this first (a `Jump::Step` or `Jump::Workflow`).
        first: Option<Jump>,
        /// `retryAfter`.
        after: Option<Duration>,
        /// `retryLimit`.
        limit: u64,
    },
}

/// What a visit decided, journaled with its output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Decision {
    /// Go on with the next step.
    Next,
    /// End the current workflow (successfully).
    End,
    /// Go to a step or run a workflow.
    Goto {
        /// The step, or
        #[serde(skip_serializing_if = "Option::is_none", default)]
        step: Option<String>,
        /// the workflow.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        workflow: Option<String>,
    },
    /// Run the step again after `after_ms`, after `step` or `workflow`.
    Retry {
        /// The delay before the step runs again.
        after_ms: u64,
        /// Run this step first, or
        #[serde(skip_serializing_if = "Option::is_none", default)]
        step: Option<String>,
        /// this workflow.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        workflow: Option<String>,
    },
    /// The step failed and nothing in its workflow handles it: the calling
    /// workflow's step fails.
    Fail {
        /// Why.
        error: String,
    },
}

impl Decision {
    /// The decision of a success action.
    pub(crate) fn of_success(jump: &Jump) -> Decision {
        match jump {
            Jump::End => Decision::End,
            Jump::Step(s) => Decision::Goto {
                step: Some(s.clone()),
                workflow: None,
            },
            Jump::Workflow(w) => Decision::Goto {
                step: None,
                workflow: Some(w.clone()),
            },
        }
    }

    /// The decision of a failure action `then` taken after `retries`
    /// retries of the step; `None` when the step fails (an `end`, or a
    /// spent retry limit). `delay` gives a retry's wait.
    pub(crate) fn of_failure(
        then: &FailureThen,
        retries: u64,
        delay: impl FnOnce(Option<Duration>) -> Duration,
    ) -> Option<Decision> {
        match then {
            FailureThen::End => None,
            FailureThen::Goto(jump) => Some(Decision::of_success(jump)),
            FailureThen::Retry {
                first,
                after,
                limit,
            } => {
                if retries >= *limit {
                    return None;
                }
                let after_ms = u64::try_from(delay(*after).as_millis()).unwrap_or(u64::MAX);
                let (step, workflow) = match first {
                    Some(Jump::Step(s)) => (Some(s.clone()), None),
                    Some(Jump::Workflow(w)) => (None, Some(w.clone())),
                    _ => (None, None),
                };
                Some(Decision::Retry {
                    after_ms,
                    step,
                    workflow,
                })
            }
        }
    }
}

/// Why the flow cannot go on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FlowError {
    /// An expression has no value.
    #[error("{at}: {error}")]
    Eval {
        /// Where (a workflow, a step).
        at: String,
        /// Why.
        error: Box<EvalError>,
    },
    /// A criterion cannot be evaluated.
    #[error("{at}: {error}")]
    Criterion {
        /// Where.
        at: String,
        /// Why.
        error: Box<CriterionError>,
    },
    /// A step failed and nothing handled it.
    #[error("{0}")]
    Failed(String),
    /// The journal does not fit the document (a visit of another name, a
    /// decision naming nothing).
    #[error("the journal does not fit the workflow: {0}")]
    Replay(String),
    /// The run made too many visits.
    #[error("the run made {MAX_VISITS} step visits; a goto loop that never ends?")]
    TooManyVisits,
    /// The run has not finished: a visit is missing.
    #[error("the run has not finished: step {0:?} has no journaled output")]
    Unfinished(String),
}

/// The next visit of a run: which step, under which name, and what it sees.
pub(crate) struct Visit {
    /// The journal name.
    pub name: String,
    /// The workflow and the step.
    pub workflow: usize,
    /// The step's index in it.
    pub step: usize,
    /// What its expressions see: the workflow's inputs, its steps' outputs,
    /// the workflows that ran.
    pub context: EvalContext,
    /// How many times the step was retried since it last succeeded.
    pub retries: u64,
    /// How long to wait before sending (a `retry`'s delay).
    pub delay: Duration,
    /// Whether it runs in a workflow entered from another one (an
    /// unhandled failure is passed up instead of failing the run).
    pub nested: bool,
}

/// What a workflow entered from another returns to.
#[derive(Debug, Clone, Copy)]
enum Return {
    /// The run's own workflow: the run is complete.
    Root,
    /// A `dependsOn` of the parent: the parent goes on where it was.
    Dependency,
    /// The parent's step `0` called it: that step completes.
    Step(usize),
    /// A `goto` of the parent: the parent ends.
    Goto,
    /// A `retry` of the parent's step `0` ran it first: that step again.
    Retry(usize),
}

/// Where a workflow is.
#[derive(Debug, Clone, Copy)]
enum At {
    Step(usize),
    End,
}

/// One running workflow.
struct Frame {
    workflow: usize,
    prefix: String,
    inputs: Arc<Value>,
    steps: Arc<BTreeMap<String, Map<String, Value>>>,
    visits: BTreeMap<usize, u32>,
    retries: BTreeMap<usize, u64>,
    at: At,
    return_to: Option<usize>,
    delay: Duration,
    pending: Vec<usize>,
    returns: Return,
}

/// A run's position, folded from its visits.
pub(crate) struct Machine {
    plan: Arc<FlowPlan>,
    frames: Vec<Frame>,
    workflows: Arc<BTreeMap<String, WorkflowValues>>,
    entries: BTreeMap<usize, u32>,
    visits: usize,
    outputs: Option<Map<String, Value>>,
}

impl Machine {
    /// A run of `plan`'s root workflow with `inputs`, before any visit.
    pub(crate) fn new(plan: Arc<FlowPlan>, inputs: Value) -> Self {
        let mut machine = Machine {
            plan,
            frames: Vec::new(),
            workflows: Arc::default(),
            entries: BTreeMap::new(),
            visits: 0,
            outputs: None,
        };
        let root = machine.plan.root;
        machine.enter(root, Arc::new(inputs), Return::Root);
        machine
    }

    /// Replays `done` (visit name → output, in order) and returns the next
    /// visit, or `None` when the run is complete.
    pub(crate) fn replay<'d>(
        plan: &Arc<FlowPlan>,
        inputs: Value,
        mut done: impl FnMut(&str) -> Option<&'d Value>,
    ) -> Result<(Machine, Option<Visit>), FlowError> {
        let mut machine = Machine::new(plan.clone(), inputs);
        loop {
            let Some(visit) = machine.current()? else {
                return Ok((machine, None));
            };
            match done(&visit.name) {
                Some(output) => machine.apply(&visit, output)?,
                None => return Ok((machine, Some(visit))),
            }
        }
    }

    /// The root workflow's outputs, once the run is complete.
    pub(crate) fn outputs(&self) -> Option<&Map<String, Value>> {
        self.outputs.as_ref()
    }

    fn enter(&mut self, workflow: usize, inputs: Arc<Value>, returns: Return) {
        let entry = self.entries.entry(workflow).or_insert(0);
        *entry += 1;
        let prefix = match returns {
            Return::Root => String::new(),
            _ if *entry == 1 => format!("{}/", self.plan.workflows[workflow].id),
            _ => format!("{}#{entry}/", self.plan.workflows[workflow].id),
        };
        let plan = &self.plan.workflows[workflow];
        let mut pending = plan.depends_on.clone();
        pending.reverse();
        self.frames.push(Frame {
            workflow,
            prefix,
            inputs,
            steps: Arc::default(),
            visits: BTreeMap::new(),
            retries: BTreeMap::new(),
            at: if plan.steps.is_empty() {
                At::End
            } else {
                At::Step(0)
            },
            return_to: None,
            delay: Duration::ZERO,
            pending,
            returns,
        });
    }

    fn context(&self, frame: &Frame) -> EvalContext {
        EvalContext {
            inputs: frame.inputs.clone(),
            steps: frame.steps.clone(),
            workflows: self.workflows.clone(),
            components: self.plan.components.clone(),
            source_descriptions: self.plan.source_descriptions.clone(),
            ..EvalContext::default()
        }
    }

    fn workflow_index(&self, id: &str) -> Result<usize, FlowError> {
        self.plan
            .workflows
            .iter()
            .position(|w| w.id == id)
            .ok_or_else(|| FlowError::Replay(format!("no workflow {id:?}")))
    }

    /// Moves on until the next visit (an operation step to run), or the end.
    /// Asked again before [`apply`](Self::apply), it returns the same visit.
    pub(crate) fn current(&mut self) -> Result<Option<Visit>, FlowError> {
        let plan = Arc::clone(&self.plan);
        loop {
            let Some(frame) = self.frames.last_mut() else {
                return Ok(None);
            };
            if let Some(dependency) = frame.pending.pop() {
                let inputs = frame.inputs.clone();
                self.enter(dependency, inputs, Return::Dependency);
                continue;
            }
            let frame = self.frames.last().expect("a frame");
            let workflow = &plan.workflows[frame.workflow];
            match frame.at {
                At::Step(k) => {
                    let step = &workflow.steps[k];
                    match &step.target {
                        Target::Call(_) => {
                            if self.visits >= MAX_VISITS {
                                return Err(FlowError::TooManyVisits);
                            }
                            let count = frame.visits.get(&k).copied().unwrap_or(0) + 1;
                            let name = if count == 1 {
                                format!("{}{}", frame.prefix, step.step_id)
                            } else {
                                format!("{}{}#{count}", frame.prefix, step.step_id)
                            };
                            return Ok(Some(Visit {
                                name,
                                workflow: frame.workflow,
                                step: k,
                                context: self.context(frame),
                                retries: frame.retries.get(&k).copied().unwrap_or(0),
                                delay: frame.delay,
                                nested: self.frames.len() > 1,
                            }));
                        }
                        Target::Workflow {
                            workflow: w,
                            inputs,
                        } => {
                            let context = self.context(frame);
                            let at = format!("step {:?}", step.step_id);
                            let mut values = Map::new();
                            for (name, value) in inputs {
                                let value =
                                    value.evaluate(&context).map_err(|error| FlowError::Eval {
                                        at: at.clone(),
                                        error: Box::new(error),
                                    })?;
                                values.insert(name.clone(), value);
                            }
                            let w = *w;
                            self.frames.last_mut().expect("a frame").delay = Duration::ZERO;
                            self.enter(w, Arc::new(Value::Object(values)), Return::Step(k));
                        }
                    }
                }
                At::End => self.leave()?,
            }
        }
    }

    /// The top workflow ended successfully: evaluates its outputs and
    /// returns to what entered it.
    fn leave(&mut self) -> Result<(), FlowError> {
        let frame = self.frames.pop().expect("a frame");
        let context = self.context(&frame);
        let plan = Arc::clone(&self.plan);
        let workflow: &FlowWorkflow = &plan.workflows[frame.workflow];
        let mut outputs = Map::new();
        for (name, expression) in &workflow.outputs {
            let value = expression
                .evaluate(&context)
                .map_err(|error| FlowError::Eval {
                    at: format!("workflow {:?} output {name:?}", workflow.id),
                    error: Box::new(error),
                })?;
            outputs.insert(name.clone(), value);
        }
        Arc::make_mut(&mut self.workflows).insert(
            workflow.id.clone(),
            WorkflowValues {
                inputs: Value::clone(&frame.inputs),
                outputs: outputs.clone(),
            },
        );
        match frame.returns {
            Return::Root => self.outputs = Some(outputs),
            Return::Dependency => {}
            Return::Goto => self.top().at = At::End,
            Return::Retry(k) => self.top().at = At::Step(k),
            Return::Step(k) => self.called_step_ended(k, Ok(outputs))?,
        }
        Ok(())
    }

    fn top(&mut self) -> &mut Frame {
        self.frames.last_mut().expect("a frame")
    }

    /// The top workflow's step `k`, which called a workflow, ended: with
    /// that workflow's outputs, or with its unhandled failure.
    fn called_step_ended(
        &mut self,
        k: usize,
        result: Result<Map<String, Value>, String>,
    ) -> Result<(), FlowError> {
        let plan = Arc::clone(&self.plan);
        let frame = self.frames.last().expect("a frame");
        let step = &plan.workflows[frame.workflow].steps[k];
        let at = format!("step {:?}", step.step_id);
        let retries = frame.retries.get(&k).copied().unwrap_or(0);
        let mut context = self.context(frame);
        let criteria = |context: &EvalContext, criteria: &[CompiledCriterion]| {
            criteria.iter().try_fold(true, |all, c| {
                Ok::<_, FlowError>(
                    all && c.evaluate(context).map_err(|error| FlowError::Criterion {
                        at: at.clone(),
                        error: Box::new(error),
                    })?,
                )
            })
        };
        let failure = match result {
            Ok(outputs) => {
                context.outputs = outputs;
                if criteria(&context, &step.criteria)? {
                    let mut values = Map::new();
                    for (name, expression) in &step.outputs {
                        let value =
                            expression
                                .evaluate(&context)
                                .map_err(|error| FlowError::Eval {
                                    at: at.clone(),
                                    error: Box::new(error),
                                })?;
                        values.insert(name.clone(), value);
                    }
                    let mut decision = Decision::Next;
                    for rule in &step.on_success {
                        if criteria(&context, &rule.criteria)? {
                            decision = Decision::of_success(&rule.then);
                            break;
                        }
                    }
                    return self.decide(k, Some(values), &decision);
                }
                format!("step {:?}: a successCriteria does not hold", step.step_id)
            }
            Err(error) => error,
        };
        for rule in &step.on_failure {
            if criteria(&context, &rule.criteria)? {
                return match Decision::of_failure(&rule.then, retries, |after| {
                    after.unwrap_or_default()
                }) {
                    Some(decision) => self.decide(k, None, &decision),
                    None => self.fail(failure),
                };
            }
        }
        self.fail(failure)
    }

    /// The top workflow failed with nothing handling it: it is passed up to
    /// the step that called it, or fails the run.
    fn fail(&mut self, error: String) -> Result<(), FlowError> {
        let frame = self.frames.pop().expect("a frame");
        match frame.returns {
            Return::Step(k) => self.called_step_ended(k, Err(error)),
            Return::Root => Err(FlowError::Failed(error)),
            Return::Dependency | Return::Goto | Return::Retry(_) => match self.frames.is_empty() {
                true => Err(FlowError::Failed(error)),
                false => self.fail(error),
            },
        }
    }

    /// Folds a visit's journaled output in.
    pub(crate) fn apply(&mut self, visit: &Visit, output: &Value) -> Result<(), FlowError> {
        self.visits += 1;
        let frame = self.top();
        *frame.visits.entry(visit.step).or_insert(0) += 1;
        frame.delay = Duration::ZERO;
        let decision = match output.get(DECISION) {
            None => Decision::Next,
            Some(d) => serde_json::from_value(d.clone()).map_err(|e| {
                FlowError::Replay(format!(
                    "visit {:?} has a decision oncely cannot read: {e}",
                    visit.name
                ))
            })?,
        };
        let failed = output.get(FAILED).and_then(Value::as_bool).unwrap_or(false);
        let outputs = (!failed).then(|| step_outputs(output));
        self.decide(visit.step, outputs, &decision)
    }

    /// Applies `decision` of step `k` of the top workflow; `outputs` when
    /// it succeeded.
    fn decide(
        &mut self,
        k: usize,
        outputs: Option<Map<String, Value>>,
        decision: &Decision,
    ) -> Result<(), FlowError> {
        let plan = Arc::clone(&self.plan);
        let frame = self.top();
        let workflow = &plan.workflows[frame.workflow];
        if let Some(outputs) = outputs {
            Arc::make_mut(&mut frame.steps).insert(workflow.steps[k].step_id.clone(), outputs);
            frame.retries.remove(&k);
        }
        let step_at = |id: &str| {
            workflow.step_index(id).map(At::Step).ok_or_else(|| {
                FlowError::Replay(format!("no step {id:?} in workflow {:?}", workflow.id))
            })
        };
        match decision {
            Decision::Next => {
                frame.at = match frame.return_to.take() {
                    Some(r) => At::Step(r),
                    None if k + 1 < workflow.steps.len() => At::Step(k + 1),
                    None => At::End,
                };
            }
            Decision::End => {
                frame.return_to = None;
                frame.at = At::End;
            }
            Decision::Goto { step: Some(s), .. } => {
                frame.return_to = None;
                frame.at = step_at(s)?;
            }
            Decision::Goto {
                workflow: Some(w), ..
            } => {
                frame.return_to = None;
                let inputs = frame.inputs.clone();
                let w = self.workflow_index(w)?;
                self.enter(w, inputs, Return::Goto);
            }
            Decision::Goto { .. } => {
                return Err(FlowError::Replay("a goto that names nothing".into()));
            }
            Decision::Retry {
                after_ms,
                step,
                workflow: first,
            } => {
                *frame.retries.entry(k).or_insert(0) += 1;
                frame.delay = Duration::from_millis(*after_ms);
                match (step, first) {
                    (Some(s), _) => {
                        frame.return_to = Some(k);
                        frame.at = step_at(s)?;
                    }
                    (None, Some(w)) => {
                        let inputs = frame.inputs.clone();
                        let w = self.workflow_index(w)?;
                        self.enter(w, inputs, Return::Retry(k));
                    }
                    (None, None) => frame.at = At::Step(k),
                }
            }
            Decision::Fail { error } => return self.fail(error.clone()),
        }
        Ok(())
    }
}

/// A visit's Arazzo outputs: its journaled output without oncely's own
/// members.
pub(crate) fn step_outputs(output: &Value) -> Map<String, Value> {
    match output {
        Value::Object(map) => map
            .iter()
            .filter(|(k, _)| !k.starts_with('$'))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        _ => Map::new(),
    }
}
