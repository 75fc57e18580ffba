//! Driven workflows: the next step is decided while the run goes, from the
//! journaled outputs of the steps before it.
//!
//! A [`Workflow::builder`] workflow is a fixed list of steps. Some workflows
//! are not: an interpreter (oncely's Arazzo runner) jumps back with `goto`,
//! repeats a step after a failure, or runs another workflow's steps inline.
//! [`Workflow::driven`] takes a [`StepDriver`] instead of a list. The engine
//! asks it for the step at each position, handing it the steps of the run
//! that finished before (their names and journaled outputs, in order), and
//! journals each step exactly as it journals a fixed one: the same commits,
//! keys (UUIDv5 of run id and step name), crash points, settling and
//! compensation in reverse order.
//!
//! Replay is what makes it durable. A resumed run asks the driver again with
//! the journaled outputs, so a driver must be a **pure function of them**:
//! whatever decides the next step (a response's status, a criterion) belongs
//! in the output of the step that saw it, not in the driver. Each step a
//! driver returns needs a name of its own within the run (a step visited
//! twice is two names, e.g. `charge` and `charge#2`), since its key and its
//! journal row are the name's.

use std::future::Future;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use super::context::StepContext;
use super::definition::{Action, CompensationFn, Step};
use super::error::StepError;

/// Decides the steps of a driven workflow ([`Workflow::driven`](super::Workflow::driven)).
pub trait StepDriver: Send + Sync + 'static {
    /// The step to run after `done` — the run's finished steps so far, in
    /// order, as (name, journaled output) — in a run of `input`, or `None`
    /// when the run is complete. Called again with the same `done` on
    /// resume, it must return a step of the same name. An error fails the
    /// run (it compensates).
    fn next(
        &self,
        input: &Value,
        done: &[(String, Value)],
    ) -> Result<Option<DrivenStep>, StepError>;

    /// A cursor for the forward pass of one run of `input`, when the driver
    /// can decide incrementally; `None` (the default) has the engine call
    /// [`next`](Self::next) with the whole `done` at every position.
    fn cursor(&self, input: &Value) -> Option<Box<dyn StepCursor>> {
        let _ = input;
        None
    }
}

/// A driver's position in one run ([`StepDriver::cursor`]): the engine asks
/// it for the next step after each step finishes, in order, with `done`
/// growing by the steps finished since the last call. It must answer as
/// [`StepDriver::next`] would for the same `done`; what it saves is
/// deciding again from the run's start.
pub trait StepCursor: Send {
    /// The step after `done`, or `None` when the run is complete.
    fn next(&mut self, done: &[(String, Value)]) -> Result<Option<DrivenStep>, StepError>;
}

/// One step a [`StepDriver`] decided to run: a name, an action and an
/// optional compensation, as [`WorkflowBuilder::step`](super::WorkflowBuilder::step)
/// and [`WorkflowBuilder::compensate`](super::WorkflowBuilder::compensate) take them.
#[derive(Clone)]
pub struct DrivenStep(pub(crate) Step);

impl std::fmt::Debug for DrivenStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DrivenStep")
            .field("name", &self.0.name)
            .field("compensated", &self.0.compensation.is_some())
            .finish()
    }
}

impl DrivenStep {
    /// A step called `name` whose action's output is journaled.
    pub fn new<T, F, Fut>(name: impl Into<String>, action: F) -> Self
    where
        T: Serialize + Send + 'static,
        F: Fn(StepContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, StepError>> + Send + 'static,
    {
        DrivenStep(Step {
            name: name.into(),
            action: Action::Call(super::definition::action_fn(action)),
            compensation: None,
        })
    }

    /// The step's compensation, run when a later step fails for good.
    pub fn compensate<F, Fut>(mut self, compensation: F) -> Self
    where
        F: Fn(StepContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), StepError>> + Send + 'static,
    {
        let compensation: CompensationFn = Arc::new(move |ctx| Box::pin(compensation(ctx)));
        self.0.compensation = Some(compensation);
        self
    }

    /// The step's name.
    pub fn name(&self) -> &str {
        &self.0.name
    }
}
