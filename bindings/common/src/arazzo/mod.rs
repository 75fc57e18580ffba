//! Arazzo workflows for the bindings: one way to load, check and compile a
//! workflow, from a file or from document text, and one neutral view of a
//! run's outcome that both bindings render.
//!
//! - [`source`]: [`WorkflowSource`], where the document and its OpenAPI
//!   descriptions come from, and [`compile`], which loads, checks and
//!   compiles one workflow of it.
//! - [`error`]: [`ArazzoError`], every way that can fail, each naming the
//!   JSON pointer of the culprit.
//! - [`view`]: [`OutcomeView`], an `ArazzoOutcome` in plain fields.

pub mod error;
pub mod source;
pub mod view;

pub use error::ArazzoError;
pub use source::{compile, WorkflowSource};
pub use view::OutcomeView;
