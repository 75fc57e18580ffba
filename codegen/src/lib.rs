//! `oncely-codegen`: OpenAPI 3.0/3.1 → typed clients on the `oncely` core.
//!
//! The pipeline has three stages, each usable on its own:
//!
//! 1. [`load_spec`] / [`parse_spec`] read JSON or YAML, detect the version
//!    (Swagger 2.0 and non-OpenAPI documents are rejected with a typed
//!    error) and normalise OpenAPI 3.1 schemas into the 3.0 shape.
//! 2. [`build_ir`] lowers the document into a language-neutral IR
//!    ([`ir::Api`]): named types, operations with their parameters, bodies,
//!    responses and workflow traits (idempotency key, long-running, precondition,
//!    problem responses). What it cannot type becomes an untyped JSON value
//!    with a [`Diagnostic`]; nothing is dropped.
//! 3. An emitter ([`mod@emit`]) writes a client in Rust, Python or TypeScript
//!    from the IR, with the options of its language ([`Target`]).
//!
//! ```no_run
//! use oncely_codegen::{build_ir, emit_rust, load_spec, IrOptions, RustOptions};
//!
//! # fn main() -> Result<(), oncely_codegen::CodegenError> {
//! let spec = load_spec("openapi/orders.yaml")?;
//! let api = build_ir(&spec, &IrOptions::default())?;
//! let crate_files = emit_rust(&api, &RustOptions::default())?;
//! crate_files.write_to(std::path::Path::new("target/orders-client"))?;
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

pub mod arazzo;
mod bundle;
pub mod check;
pub mod emit;
pub mod error;
pub mod graph;
pub mod ir;
pub mod load;
mod lower;
pub mod naming;

pub use arazzo::{build_workflows, is_arazzo, load_arazzo, ArazzoSpec, Workflows};
pub use check::{report, Report};
pub use emit::rust::{
    crate_name, default_sdk_path, emit_rust, emit_rust_workflows, OncelyDep, RustOptions,
};
pub use emit::{Generated, GeneratedFile, Language, PythonOptions, Target, TypeScriptOptions};
pub use error::{CodegenError, Diagnostic, DiagnosticKind, Severity, UnresolvedRef};
pub use load::{load_spec, parse_spec, spec_from_value, Format, OpenApiVersion, Spec};
pub use lower::{build_ir, IrOptions};

/// Emits a client in `lang`. For TypeScript `rust.crate_name` is the npm
/// package name, for Python the import package name.
///
/// Kept for callers that hold [`RustOptions`]; [`Target::emit`] takes the
/// options of each language.
pub fn emit(api: &ir::Api, lang: Language, rust: &RustOptions) -> Result<Generated, CodegenError> {
    Target::from_rust_options(lang, rust).emit(api)
}

/// Text → generated Rust crate, in one call (for tests and tools).
pub fn generate_rust(
    text: &str,
    origin: &str,
    ir: &IrOptions,
    rust: &RustOptions,
) -> Result<Generated, CodegenError> {
    let spec = parse_spec(text, origin)?;
    let api = build_ir(&spec, ir)?;
    emit_rust(&api, rust)
}
