//! `oncely generate SPEC --lang LANG --out DIR`: writes a client.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use oncely_codegen::{
    build_ir, emit, load_spec, CodegenError, DiagnosticKind, IrOptions, Language, OncelyDep,
    RustOptions,
};

use crate::timer::Timer;

/// `oncely generate …`
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The document (JSON or YAML), or `-` for standard input.
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
    let oncely = match (args.oncely_path, args.oncely_version) {
        (Some(p), _) => OncelyDep::Path(std::path::absolute(&p).unwrap_or(p)),
        (None, Some(v)) => OncelyDep::Version(v),
        (None, None) => OncelyDep::default(),
    };
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
