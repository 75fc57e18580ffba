//! # Arazzo 1.0 workflow descriptions
//!
//! [Arazzo](https://spec.openapis.org/arazzo/latest.html) describes
//! sequences of API calls — workflows of steps, each calling an OpenAPI
//! operation or another workflow — with the data passed between them as
//! *runtime expressions* (`$steps.createOrder.outputs.id`), assertions on the
//! answers (`successCriteria`), and what to do next (`onSuccess`,
//! `onFailure`: `end`, `goto`, `retry`).
//!
//! This module reads and checks such descriptions and runs them on oncely's
//! workflow engine, so that every step is journaled, every write keyed and a
//! crashed run resumable:
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
//! | running a workflow on the [`Engine`](crate::workflow::Engine) | [`run`] ([`ArazzoWorkflow`]) |
//! | control flow: `goto`, `retry`, `end`, called workflows, `dependsOn` | [`flow`] |
//! | starting / resuming a run, its outputs     | [`outcome`] ([`ArazzoOutcome`])        |
//!
//! ```
//! use oncely::arazzo::{check, load_str, Sources};
//!
//! let document = load_str(r#"
//! arazzo: 1.0.1
//! info: {title: Ping, version: 1.0.0}
//! sourceDescriptions: [{name: api, url: ./api.yaml}]
//! workflows:
//!   - workflowId: ping
//!     steps:
//!       - stepId: ping
//!         operationId: ping
//!         successCriteria: [{condition: $statusCode == 200}]
//! "#, "ping.arazzo.yaml")?;
//! let mut sources = Sources::new();
//! sources.insert_openapi("api", serde_json::json!({
//!     "openapi": "3.1.0",
//!     "paths": {"/ping": {"get": {"operationId": "ping", "responses": {"200": {"description": "pong"}}}}}
//! }));
//! assert!(check(&document, &sources).is_empty());
//! # Ok::<(), oncely::arazzo::LoadError>(())
//! ```
//!
//! The whole control flow runs: `goto` to steps and workflows, `retry` with
//! `retryAfter`/`retryLimit` (and a step or workflow run first), `end`,
//! steps that call workflows, `dependsOn`, workflow-level actions
//! ([`flow`] has the semantics). Not covered: `xpath` criteria are reported
//! by `check` and refused by the interpreter ([`run::PlanError::Unsupported`]);
//! XPath payload replacement targets are not applied; workflows of other
//! Arazzo source descriptions and remote (`http:`) source descriptions are
//! not loaded.
//!
//! ## Extension: `x-oncely-compensate`
//!
//! Arazzo has no compensation. A step may carry `x-oncely-compensate`, a
//! call (an `operationId`, `operationPath` or `workflowId` with
//! `parameters` and a `requestBody`, like a step) that undoes it: when the
//! workflow later ends in failure, the compensations of the steps that
//! completed run in reverse order. See [`Compensation`].

mod call;
pub mod check;
pub mod condition;
pub mod context;
pub mod criterion;
pub mod document;
pub mod error;
pub mod expression;
pub mod flow;
pub mod load;
pub mod operation;
pub mod outcome;
pub mod pointer;
pub mod run;
pub mod source;
pub mod template;
mod types;
pub mod validate;
mod visit;

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
pub use flow::FlowError;
pub use load::{load_file, load_str, load_value};
pub use operation::{ResolveError, ResolvedOperation};
pub use outcome::{ArazzoOutcome, ArazzoRunError};
pub use pointer::JsonPointer;
pub use run::{ArazzoWorkflow, CompileOptions, PlanError};
pub use source::{Source, SourceError, Sources};
pub use template::{Template, ValueExpr};
