//! # Arazzo 1.0 workflow descriptions
//!
//! [Arazzo](https://spec.openapis.org/arazzo/latest.html) describes
//! sequences of API calls — workflows of steps, each calling an OpenAPI
//! operation or another workflow — with the data passed between them as
//! *runtime expressions* (`$steps.createOrder.outputs.id`), assertions on the
//! answers (`successCriteria`), and what to do next (`onSuccess`,
//! `onFailure`: `end`, `goto`, `retry`).
//!
//! This module reads and checks such descriptions so that oncely can run
//! them on its workflow engine:
//!
//! | Arazzo                                   | here                                   |
//! |------------------------------------------|----------------------------------------|
//! | Arazzo Specification Object and children | [`document`] ([`Document`], [`Step`], …)|
//! | loading JSON / YAML, version 1.0.x        | [`load_file`], [`load_str`]            |
//! | structural rules of the JSON Schema       | [`validate`](validate::validate)       |
//! | runtime expressions (ABNF)               | [`expression`] ([`Expression`])        |
//! | `{$…}` embedded in strings               | [`template`] ([`Template`])            |
//! | evaluating expressions                   | [`context`] ([`EvalContext`])          |
//! | `simple` conditions                      | [`condition`] ([`Condition`])          |
//! | Criterion Object (`simple`, `regex`, `jsonpath`, `xpath`) | [`criterion`]         |
//! | source descriptions, `operationId` / `operationPath` | [`source`], [`operation`]  |
//! | static checks                            | [`check`](check::check)                |
//!
//! ## Extension: `x-oncely-compensate`
//!
//! Arazzo has no compensation. A step may carry `x-oncely-compensate`, a
//! call (an `operationId`, `operationPath` or `workflowId` with
//! `parameters` and a `requestBody`, like a step) that undoes it: when the
//! workflow later ends in failure, the compensations of the steps that
//! completed run in reverse order. See [`Compensation`].

pub mod check;
pub mod condition;
pub mod context;
pub mod criterion;
pub mod document;
pub mod error;
pub mod expression;
pub mod load;
pub mod operation;
pub mod pointer;
pub mod run;
pub mod source;
pub mod template;
pub mod validate;

pub use check::{check, Finding, FindingKind, Severity};
pub use condition::{Condition, ConditionError};
pub use context::{EvalContext, EvalError, HttpMessage};
pub use criterion::{CompiledCriterion, CriterionError};
pub use document::{
    Compensation, Components, Criterion, Document, FailureAction, Parameter, Step, StepTarget,
    SuccessAction, Workflow,
};
pub use error::{LoadError, LoadErrorKind};
pub use expression::{Expression, ExpressionError};
pub use load::{load_file, load_str, load_value};
pub use operation::{ResolveError, ResolvedOperation};
pub use pointer::JsonPointer;
pub use source::{Source, SourceError, Sources};
pub use template::{Template, ValueExpr};
