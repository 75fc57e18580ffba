//! `oncely generate SPEC --lang LANG --out DIR`: writes a client. For an
//! Arazzo document, the client of its OpenAPI source descriptions and one
//! typed function per workflow.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use oncely_codegen::{
    build_ir, build_workflows, emit, load_arazzo, load_spec, CodegenError, DiagnosticKind,
    IrOptions, Language, OncelyDep, RustOptions, Target,
};

use crate::timer::Timer;

/// `oncely generate …`
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The document (JSON or YAML): an OpenAPI 3.0/3.1 document (or `-` for
    /// standard input), or an Arazzo 1.0 document (typed workflow functions
    /// on the client of its source descriptions).
    spec: PathBuf,
    /// Target language: rust, python or typescript.
    #[arg(long, default_value = "rust")]
    lang: String,
    /// Output directory (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Crate/package name (default: from the API title).
    #[arg(long)]
    name: Option<String>,
    /// Depend on `oncely` at this path (default: this repository's `sdk/`).
    #[arg(long, conflicts_with = "oncely_version")]
    oncely_path: Option<PathBuf>,
    /// Depend on this version of `oncely` from the registry.
    #[arg(long)]
    oncely_version: Option<String>,
    /// Type dangling `$ref`s as untyped values instead of failing.
    #[arg(long)]
    allow_unresolved: bool,
}

/// Loads, lowers and emits; prints a one-line summary on stderr.
pub fn run(args: GenerateArgs, verbose: bool) -> Result<ExitCode, CodegenError> {
    let lang: Language = args.lang.parse()?;
    if args.spec.as_os_str() != "-" && oncely_codegen::arazzo::is_arazzo_file(&args.spec) {
        return run_arazzo(args, lang, verbose);
    }
    let mut t = Timer::new(verbose);
    if verbose {
        eprintln!("oncely: reading {}", args.spec.display());
    }
    let spec = load_spec(&args.spec)?;
    t.step("load");
    let api = build_ir(
        &spec,
        &IrOptions {
            allow_unresolved: args.allow_unresolved,
        },
    )?;
    t.step("ir");
    let oncely = oncely_dep(args.oncely_path, args.oncely_version);
    let files = emit(
        &api,
        lang,
        &RustOptions {
            crate_name: args.name,
            oncely,
        },
    )?;
    t.step("emit");
    files.write_to(&args.out)?;
    t.step("write");
    let untyped = api
        .diagnostics
        .iter()
        .filter(|d| d.kind == DiagnosticKind::Untyped)
        .count();
    eprintln!(
        "oncely: wrote {} ({} operations, {} types, {} untyped{})",
        args.out.display(),
        api.operations.len(),
        api.types.len(),
        untyped,
        if untyped > 0 {
            "; `oncely check` lists them"
        } else {
            ""
        }
    );
    t.total();
    Ok(ExitCode::SUCCESS)
}

fn oncely_dep(path: Option<PathBuf>, version: Option<String>) -> OncelyDep {
    match (path, version) {
        (Some(p), _) => OncelyDep::Path(std::path::absolute(&p).unwrap_or(p)),
        (None, Some(v)) => OncelyDep::Version(v),
        (None, None) => OncelyDep::default(),
    }
}

/// An Arazzo document: checks it with the interpreter's own loader (a
/// document it cannot load is an error; findings of `check` and workflows it
/// cannot run yet are printed), then writes the client and the workflow
/// functions.
fn run_arazzo(args: GenerateArgs, lang: Language, verbose: bool) -> Result<ExitCode, CodegenError> {
    let mut t = Timer::new(verbose);
    if verbose {
        eprintln!("oncely: reading Arazzo document {}", args.spec.display());
    }
    let spec = load_arazzo(&args.spec)?;
    t.step("load");
    interpreter_check(&args.spec)?;
    t.step("check");
    let workflows = build_workflows(
        &spec,
        &IrOptions {
            allow_unresolved: args.allow_unresolved,
        },
    )?;
    t.step("ir");
    let rust = RustOptions {
        crate_name: args.name,
        oncely: oncely_dep(args.oncely_path, args.oncely_version),
    };
    let files = Target::from_rust_options(lang, &rust).emit_workflows(&workflows)?;
    t.step("emit");
    files.write_to(&args.out)?;
    t.step("write");
    eprintln!(
        "oncely: wrote {} ({} workflows, {} operations, {} types)",
        args.out.display(),
        workflows.workflows.len(),
        workflows.api.operations.len(),
        workflows.api.types.len(),
    );
    t.total();
    Ok(ExitCode::SUCCESS)
}

/// Loads the document as `oncely` will at run time: a load error fails the
/// generation; `check` findings and workflows the interpreter refuses are
/// warnings (their functions are generated and report it when called).
fn interpreter_check(path: &Path) -> Result<(), CodegenError> {
    use oncely::arazzo::{check, load_file, ArazzoWorkflow, Sources};
    let document = load_file(path).map_err(|e| CodegenError::InvalidArazzo {
        origin: e.source_name.clone(),
        pointer: e.pointer.to_string(),
        reason: e.kind.to_string(),
    })?;
    let (sources, _) = Sources::load(&document, path);
    for finding in check(&document, &sources) {
        eprintln!("oncely: {}: {finding}", path.display());
    }
    for workflow in &document.workflows {
        if let Err(e) = ArazzoWorkflow::compile(&document, &sources, &workflow.workflow_id) {
            eprintln!(
                "oncely: {}: warning: workflow {:?} cannot run yet: {e}",
                path.display(),
                workflow.workflow_id
            );
        }
    }
    Ok(())
}
