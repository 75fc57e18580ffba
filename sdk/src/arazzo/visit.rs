//! One visit of an Arazzo step: the engine step the [flow](super::flow)
//! decided to run next. It sends the step's call, checks the criteria,
//! evaluates the outputs, and journals them with the action it takes
//! (see [`run`](super::run) for the order of things); its compensation sends
//! the step's `x-oncely-compensate` call.

use super::criterion::CompiledCriterion;
use super::flow::{step_outputs, Decision, FlowPlan, FlowStep, Target, Visit, DECISION, FAILED};
use crate::workflow::{DrivenStep, StepContext, StepError};
use crate::{Operation, RetryPolicy};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Duration;

/// The engine step of `visit`, with its compensation when the step has one.
pub(crate) fn driven_step(plan: &Arc<FlowPlan>, visit: Arc<Visit>) -> DrivenStep {
    let (for_action, visit_for_action) = (plan.clone(), visit.clone());
    let step = DrivenStep::new(visit.name.clone(), move |ctx: StepContext| {
        let (plan, visit) = (for_action.clone(), visit_for_action.clone());
        async move { run(&ctx, step_of(&plan, &visit), &visit).await }
    });
    if step_of(plan, &visit).compensate.is_none() {
        return step;
    }
    let plan = plan.clone();
    step.compensate(move |ctx: StepContext| {
        let (plan, visit) = (plan.clone(), visit.clone());
        async move { compensate(&ctx, step_of(&plan, &visit), &visit).await }
    })
}

fn step_of<'p>(plan: &'p FlowPlan, visit: &Visit) -> &'p FlowStep {
    &plan.workflows[visit.workflow].steps[visit.step]
}

/// Whether every criterion holds in `context`.
fn holds(
    criteria: &[CompiledCriterion],
    context: &super::context::EvalContext,
    failed: impl Fn(String) -> StepError,
) -> Result<bool, StepError> {
    for criterion in criteria {
        if !criterion
            .evaluate(context)
            .map_err(|e| failed(e.to_string()))?
        {
            return Ok(false);
        }
    }
    Ok(true)
}

async fn run(ctx: &StepContext, step: &FlowStep, visit: &Visit) -> Result<Value, StepError> {
    let Target::Call(call) = &step.target else {
        return Err(StepError::permanent(format!(
            "step {:?} calls a workflow; it is not a visit",
            step.step_id
        )));
    };
    if !visit.delay.is_zero() {
        tokio::time::sleep(visit.delay).await;
    }
    let exchange = call.send(ctx, visit.context.clone()).await?;
    let context = &exchange.context;
    let failed = |what: String| call.failed(what);
    let success = if step.criteria.is_empty() {
        exchange.error.is_none()
    } else {
        holds(&step.criteria, context, failed)?
    };
    if success {
        let mut output = Map::new();
        for (name, expression) in &step.outputs {
            let value = expression.evaluate(context).map_err(|e| call.failed(e))?;
            output.insert(name.clone(), value);
        }
        if call.long_running {
            if let Some(response) = exchange.response {
                Operation::<Value>::from_response(ctx.client().clone(), response)?
                    .wait()
                    .await?;
            }
        }
        for rule in &step.on_success {
            if holds(&rule.criteria, context, failed)? {
                let decision = Decision::of_success(&rule.then);
                output.insert(DECISION.into(), serde_json::to_value(decision)?);
                break;
            }
        }
        return Ok(Value::Object(output));
    }
    for rule in &step.on_failure {
        if holds(&rule.criteria, context, failed)? {
            let delay = |after: Option<Duration>| {
                let retry = u32::try_from(visit.retries).unwrap_or(u32::MAX);
                after
                    .unwrap_or_else(|| RetryPolicy::default().backoff(retry))
                    .max(exchange.retry_after.unwrap_or_default())
            };
            match Decision::of_failure(&rule.then, visit.retries, delay) {
                Some(decision) => return handled(decision),
                None => break,
            }
        }
    }
    let error = exchange
        .error
        .unwrap_or_else(|| call.failed("a successCriteria does not hold"));
    if visit.nested {
        // The calling workflow's step decides what this failure means.
        return handled(Decision::Fail {
            error: error.message().to_owned(),
        });
    }
    Err(error)
}

/// The output of a visit whose step failed and whose failure is handled.
fn handled(decision: Decision) -> Result<Value, StepError> {
    Ok(serde_json::json!({ FAILED: true, DECISION: decision }))
}

/// Sends the step's `x-oncely-compensate` call, with the step's own outputs
/// in the context. A visit whose step failed has nothing to undo.
async fn compensate(ctx: &StepContext, step: &FlowStep, visit: &Visit) -> Result<(), StepError> {
    let own: Value = ctx.own_output()?;
    if own.get(FAILED).and_then(Value::as_bool) == Some(true) {
        return Ok(());
    }
    let Some((call, criteria)) = &step.compensate else {
        return Ok(());
    };
    let mut context = visit.context.clone();
    Arc::make_mut(&mut context.steps).insert(step.step_id.clone(), step_outputs(&own));
    let exchange = call.send(ctx, context).await?;
    if criteria.is_empty() {
        return exchange.error.map_or(Ok(()), Err);
    }
    if holds(criteria, &exchange.context, |what| call.failed(what))? {
        Ok(())
    } else {
        Err(call.failed("a successCriteria of its compensation does not hold"))
    }
}
