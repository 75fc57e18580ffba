//! Defining a workflow: an ordered list of named steps, each an async action
//! and an optional compensation.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::context::StepContext;
use super::driven::{DrivenStep, StepCursor, StepDriver};
use super::error::{StepError, WorkflowError};
use crate::client::Client;
use crate::operation::Operation;
use crate::retry::RetryPolicy;

pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
type ActionFn = Arc<dyn Fn(StepContext) -> BoxFuture<Result<Value, StepError>> + Send + Sync>;
type SubmitFn = Arc<dyn Fn(StepContext) -> BoxFuture<Result<String, StepError>> + Send + Sync>;
type WaitFn = Arc<dyn Fn(Client, String) -> BoxFuture<Result<Value, StepError>> + Send + Sync>;
pub(crate) type CompensationFn =
    Arc<dyn Fn(StepContext) -> BoxFuture<Result<(), StepError>> + Send + Sync>;

/// What a step does when it runs forward.
#[derive(Clone)]
pub(crate) enum Action {
    /// A plain async action whose output is journaled.
    Call(ActionFn),
    /// Submits a long-running operation (its resume token is journaled), then
    /// waits for it; a resumed run continues polling instead of submitting again.
    Operation { submit: SubmitFn, wait: WaitFn },
}

/// One step of a workflow.
#[derive(Clone)]
pub(crate) struct Step {
    pub name: String,
    pub action: Action,
    pub compensation: Option<CompensationFn>,
}

/// A workflow: a name and an ordered list of steps. Build it with
/// [`Workflow::builder`]; run it with an [`Engine`](super::Engine).
///
/// ```
/// use oncely::workflow::{StepContext, StepError, Workflow};
/// use serde_json::{json, Value};
///
/// let saga = Workflow::builder("checkout")
///     .step("create_order", |ctx: StepContext| async move {
///         let order: Value = ctx.post("/orders").json(&json!({"customer_id": "c_1"})).send_json().await?;
///         Ok(order)
///     })
///     .compensate(|ctx: StepContext| async move {
///         let order: Value = ctx.own_output()?;
///         let id = order["id"].as_str().unwrap_or_default().to_string();
///         ctx.post("/orders/{id}/cancel").path_param("id", id).send_empty().await?;
///         Ok(())
///     })
///     .step("charge", |ctx: StepContext| async move {
///         let order: Value = ctx.output("create_order")?;
///         Ok::<_, StepError>(order["id"].clone())
///     })
///     .build()
///     .expect("a valid workflow");
/// assert_eq!(saga.step_names(), vec!["create_order", "charge"]);
/// ```
#[derive(Clone)]
pub struct Workflow {
    name: String,
    plan: Plan,
    fingerprint: String,
    action_retry: RetryPolicy,
    compensation_retry: RetryPolicy,
}

impl std::fmt::Debug for Workflow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workflow")
            .field("name", &self.name)
            .field("steps", &self.step_names())
            .field("fingerprint", &self.fingerprint)
            .finish()
    }
}

/// Where a workflow's steps come from.
#[derive(Clone)]
pub(crate) enum Plan {
    /// A fixed list, in order.
    Fixed(Vec<Step>),
    /// Decided as the run goes; `names` are the step names it may use (the
    /// fingerprint's).
    Driven {
        names: Vec<String>,
        driver: Arc<dyn StepDriver>,
    },
}

impl Plan {
    /// The step at `index` of a run of `input`, after the steps `done`
    /// (names and outputs of the steps before it, in order; a fixed plan
    /// ignores both), or `None` after the last.
    pub(crate) fn step_at(
        &self,
        index: usize,
        input: &Value,
        done: &[(String, Value)],
    ) -> Result<Option<Cow<'_, Step>>, StepError> {
        match self {
            Plan::Fixed(steps) => Ok(steps.get(index).map(Cow::Borrowed)),
            Plan::Driven { driver, .. } => checked(driver.next(input, done)?, done),
        }
    }

    /// A cursor over the steps of one run's forward pass.
    pub(crate) fn cursor<'p>(&'p self, input: &'p Value) -> PlanCursor<'p> {
        let own = match self {
            Plan::Driven { driver, .. } => driver.cursor(input),
            Plan::Fixed(_) => None,
        };
        PlanCursor {
            plan: self,
            input,
            own,
        }
    }

    /// Whether the steps depend on the outputs before them.
    pub(crate) fn is_driven(&self) -> bool {
        matches!(self, Plan::Driven { .. })
    }
}

/// A driven step as the engine takes it: named validly and once per run.
fn checked(
    step: Option<DrivenStep>,
    done: &[(String, Value)],
) -> Result<Option<Cow<'static, Step>>, StepError> {
    match step.map(|s| s.0) {
        Some(s) if s.name.trim().is_empty() || s.name.contains('\n') => {
            Err(StepError::permanent(format!(
                "the driver named a step {:?}; names must be non-empty and on one line",
                s.name
            )))
        }
        Some(s) if done.iter().any(|(name, _)| name == &s.name) => Err(StepError::permanent(
            format!("the driver named step {:?} twice in one run", s.name),
        )),
        step => Ok(step.map(Cow::Owned)),
    }
}

/// The steps of one run's forward pass, asked for in order
/// ([`Plan::cursor`]): a driver's own cursor when it has one.
pub(crate) struct PlanCursor<'p> {
    plan: &'p Plan,
    input: &'p Value,
    own: Option<Box<dyn StepCursor>>,
}

impl<'p> PlanCursor<'p> {
    /// The step at `index`, after `done` (see [`Plan::step_at`]).
    pub(crate) fn step_at(
        &mut self,
        index: usize,
        done: &[(String, Value)],
    ) -> Result<Option<Cow<'p, Step>>, StepError> {
        match &mut self.own {
            Some(cursor) => checked(cursor.next(done)?, done),
            None => self.plan.step_at(index, self.input, done),
        }
    }
}

impl Workflow {
    /// Starts defining a workflow called `name` (the name is journaled with
    /// every run, and a worker finds the definition of a run by it).
    pub fn builder(name: impl Into<String>) -> WorkflowBuilder {
        WorkflowBuilder {
            name: name.into(),
            steps: Vec::new(),
            error: None,
            action_retry: RetryPolicy::default()
                .max_attempts(3)
                .base_delay(Duration::from_millis(200))
                .max_delay(Duration::from_secs(10)),
            compensation_retry: RetryPolicy::default()
                .max_attempts(5)
                .base_delay(Duration::from_millis(200))
                .max_delay(Duration::from_secs(10)),
        }
    }

    /// The workflow's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A workflow whose steps `driver` decides as the run goes (see
    /// [`StepDriver`]). `step_names` are the names its steps are drawn from
    /// (for a step visited twice, the name of its first visit): they make
    /// the fingerprint, so a run journaled under another set is refused on
    /// resume. Retries and compensation work as for a fixed workflow.
    pub fn driven(
        name: impl Into<String>,
        step_names: Vec<String>,
        driver: impl StepDriver,
    ) -> Result<Workflow, WorkflowError> {
        let name = name.into();
        if name.trim().is_empty() {
            return Err(WorkflowError::InvalidDefinition {
                workflow: name,
                why: "the workflow name is empty".into(),
            });
        }
        let defaults = Workflow::builder(name.clone());
        Ok(Workflow {
            fingerprint: fingerprint_of(step_names.iter().map(String::as_str)),
            name,
            plan: Plan::Driven {
                names: step_names,
                driver: Arc::new(driver),
            },
            action_retry: defaults.action_retry,
            compensation_retry: defaults.compensation_retry,
        })
    }

    /// The step names, in order (of a driven workflow: the names given to
    /// [`Workflow::driven`]).
    pub fn step_names(&self) -> Vec<&str> {
        match &self.plan {
            Plan::Fixed(steps) => steps.iter().map(|s| s.name.as_str()).collect(),
            Plan::Driven { names, .. } => names.iter().map(String::as_str).collect(),
        }
    }

    /// The same workflow with `policy` for retrying a step's action (see
    /// [`WorkflowBuilder::action_retry`]).
    pub fn with_action_retry(mut self, policy: RetryPolicy) -> Self {
        self.action_retry = policy;
        self
    }

    /// SHA-256 over the step names in order: stored with each run, so a run
    /// journaled under another step list is refused on resume
    /// ([`WorkflowError::DefinitionChanged`]).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    pub(crate) fn plan(&self) -> &Plan {
        &self.plan
    }

    pub(crate) fn action_retry(&self) -> &RetryPolicy {
        &self.action_retry
    }

    pub(crate) fn compensation_retry(&self) -> &RetryPolicy {
        &self.compensation_retry
    }
}

/// The fingerprint of a step list (names and order).
pub(crate) fn fingerprint_of<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let mut hasher = Sha256::new();
    for name in names {
        hasher.update(name.as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}

/// An action whose output is serialised to JSON for the journal.
pub(crate) fn action_fn<T, F, Fut>(action: F) -> ActionFn
where
    T: Serialize + Send + 'static,
    F: Fn(StepContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, StepError>> + Send + 'static,
{
    Arc::new(move |ctx| {
        let fut = action(ctx);
        Box::pin(async move {
            let output = fut.await?;
            serde_json::to_value(output)
                .map_err(|e| StepError::permanent(format!("step output is not serialisable: {e}")))
        })
    })
}

/// Builds a [`Workflow`]; see there for an example. Mistakes (a duplicate step
/// name, a compensation before any step) are reported by [`build`](Self::build).
#[must_use = "a workflow builder does nothing until built"]
pub struct WorkflowBuilder {
    name: String,
    steps: Vec<Step>,
    error: Option<String>,
    action_retry: RetryPolicy,
    compensation_retry: RetryPolicy,
}

impl std::fmt::Debug for WorkflowBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkflowBuilder")
            .field("name", &self.name)
            .field(
                "steps",
                &self
                    .steps
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl WorkflowBuilder {
    /// Appends a step. The action gets a [`StepContext`] (client, run, step
    /// key, earlier outputs) and returns an output that is serialised to JSON
    /// and journaled; later steps read it with [`StepContext::output`].
    pub fn step<T, F, Fut>(mut self, name: impl Into<String>, action: F) -> Self
    where
        T: Serialize + Send + 'static,
        F: Fn(StepContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, StepError>> + Send + 'static,
    {
        self.push(name.into(), Action::Call(action_fn(action)));
        self
    }

    /// Appends a step that submits a long-running operation (`202 Accepted`)
    /// and waits for it. The operation's resume token is journaled as soon as
    /// the submission answers, so a run resumed after a crash continues polling
    /// the same operation instead of submitting again. The step's output is the
    /// operation's result.
    ///
    /// ```
    /// use oncely::workflow::{StepContext, Workflow};
    /// # #[derive(serde::Serialize, serde::Deserialize)] struct Shipment { id: String }
    /// let wf = Workflow::builder("ship")
    ///     .operation_step("request_shipment", |ctx: StepContext| async move {
    ///         Ok(ctx.post("/orders/o_1/shipments").send_operation::<Shipment>().await?)
    ///     })
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(wf.step_names(), vec!["request_shipment"]);
    /// ```
    pub fn operation_step<T, F, Fut>(mut self, name: impl Into<String>, submit: F) -> Self
    where
        T: Serialize + DeserializeOwned + Send + 'static,
        F: Fn(StepContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Operation<T>, StepError>> + Send + 'static,
    {
        let submit: SubmitFn = Arc::new(move |ctx| {
            let fut = submit(ctx);
            Box::pin(async move { Ok(fut.await?.resume_token()) })
        });
        let wait: WaitFn = Arc::new(|client: Client, token: String| {
            Box::pin(async move {
                let op = Operation::<T>::resume(&client, &token)?;
                let result = op.wait().await?;
                serde_json::to_value(result).map_err(|e| {
                    StepError::permanent(format!("operation result is not serialisable: {e}"))
                })
            })
        });
        self.push(name.into(), Action::Operation { submit, wait });
        self
    }

    /// Sets the compensation of the step added last: it undoes the step when a
    /// later step fails for good. It gets its own idempotency key
    /// ([`StepContext::key`]) and is retried with backoff; one that keeps
    /// failing parks the run as `needs_attention`.
    pub fn compensate<F, Fut>(mut self, compensation: F) -> Self
    where
        F: Fn(StepContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), StepError>> + Send + 'static,
    {
        let compensation: CompensationFn = Arc::new(move |ctx| Box::pin(compensation(ctx)));
        match self.steps.last_mut() {
            Some(step) if step.compensation.is_none() => step.compensation = Some(compensation),
            Some(step) => {
                let why = format!("step {:?} has two compensations", step.name);
                self.error.get_or_insert(why);
            }
            None => {
                self.error
                    .get_or_insert("a compensation comes before any step".into());
            }
        }
        self
    }

    /// How a step's action is retried on a retryable failure, on top of the
    /// client's own per-call retries (default: 3 attempts, 200 ms base, 10 s cap).
    /// When they are spent the failure is permanent and the run compensates.
    pub fn action_retry(mut self, policy: RetryPolicy) -> Self {
        self.action_retry = policy;
        self
    }

    /// How a compensation is retried on any failure (default: 5 attempts,
    /// 200 ms base, 10 s cap). When they are spent the run is parked as `needs_attention`.
    pub fn compensation_retry(mut self, policy: RetryPolicy) -> Self {
        self.compensation_retry = policy;
        self
    }

    fn push(&mut self, name: String, action: Action) {
        if name.trim().is_empty() || name.contains('\n') {
            self.error.get_or_insert(format!(
                "step name {name:?} must be non-empty and on one line"
            ));
        } else if self.steps.iter().any(|s| s.name == name) {
            self.error
                .get_or_insert(format!("step name {name:?} is used twice"));
        }
        self.steps.push(Step {
            name,
            action,
            compensation: None,
        });
    }

    /// Checks the definition and builds the workflow.
    pub fn build(self) -> Result<Workflow, WorkflowError> {
        let invalid = |why: String| WorkflowError::InvalidDefinition {
            workflow: self.name.clone(),
            why,
        };
        if self.name.trim().is_empty() {
            return Err(invalid("the workflow name is empty".into()));
        }
        if let Some(why) = self.error.clone() {
            return Err(invalid(why));
        }
        if self.steps.is_empty() {
            return Err(invalid("it has no steps".into()));
        }
        let fingerprint = fingerprint_of(self.steps.iter().map(|s| s.name.as_str()));
        Ok(Workflow {
            name: self.name,
            plan: Plan::Fixed(self.steps),
            fingerprint,
            action_retry: self.action_retry,
            compensation_retry: self.compensation_retry,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn noop(_ctx: StepContext) -> Result<(), StepError> {
        Ok(())
    }

    #[test]
    fn mistakes_are_reported_at_build() {
        let e = Workflow::builder("w")
            .step("a", noop)
            .step("a", noop)
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("used twice"), "{e}");
        let e = Workflow::builder("w")
            .compensate(noop)
            .step("a", noop)
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("before any step"), "{e}");
        let e = Workflow::builder("w")
            .step("a", noop)
            .compensate(noop)
            .compensate(noop)
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("two compensations"), "{e}");
        let e = Workflow::builder("w").build().unwrap_err();
        assert!(e.to_string().contains("no steps"), "{e}");
        let e = Workflow::builder("w").step("", noop).build().unwrap_err();
        assert!(e.to_string().contains("non-empty"), "{e}");
        let e = Workflow::builder(" ").step("a", noop).build().unwrap_err();
        assert!(e.to_string().contains("name is empty"), "{e}");
    }

    #[test]
    fn fingerprint_depends_on_names_and_order() {
        let ab = Workflow::builder("w")
            .step("a", noop)
            .step("b", noop)
            .build()
            .unwrap();
        let ba = Workflow::builder("w")
            .step("b", noop)
            .step("a", noop)
            .build()
            .unwrap();
        let ab2 = Workflow::builder("other")
            .step("a", noop)
            .compensate(noop)
            .step("b", noop)
            .build()
            .unwrap();
        assert_ne!(ab.fingerprint(), ba.fingerprint());
        assert_eq!(ab.fingerprint(), ab2.fingerprint(), "names and order only");
        assert_eq!(ab.fingerprint().len(), 64);
    }
}
