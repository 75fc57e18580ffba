//! Command-line interface: `oncely generate`, `oncely check` and `oncely runs`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};
use oncely_codegen::{
    build_ir, emit, load_spec, report, CodegenError, IrOptions, Language, OncelyDep, RustOptions,
};

/// Typed clients for APIs whose calls must happen exactly once.
#[derive(Debug, Parser)]
#[command(name = "oncely", version, about)]
struct Cli {
    /// Print progress and timings on stderr.
    #[arg(long, short, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate a client from an OpenAPI 3.0/3.1 document.
    Generate(GenerateArgs),
    /// Report what the generator understands of a document.
    Check(CheckArgs),
    /// Inspect and steer workflow runs in a store.
    Runs(crate::runs::RunsArgs),
}

#[derive(Debug, Args)]
struct GenerateArgs {
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

#[derive(Debug, Args)]
struct CheckArgs {
    /// The document (JSON or YAML), or `-` for standard input.
    spec: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

struct Timer {
    verbose: bool,
    start: Instant,
    last: Instant,
}

impl Timer {
    fn new(verbose: bool) -> Timer {
        let now = Instant::now();
        Timer {
            verbose,
            start: now,
            last: now,
        }
    }

    fn step(&mut self, what: &str) {
        let now = Instant::now();
        if self.verbose {
            eprintln!(
                "oncely: {what:<10} {:>8.1} ms",
                (now - self.last).as_secs_f64() * 1000.0
            );
        }
        self.last = now;
    }

    fn total(&self) {
        if self.verbose {
            eprintln!(
                "oncely: {:<10} {:>8.1} ms",
                "total",
                self.start.elapsed().as_secs_f64() * 1000.0
            );
        }
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Generate(args) => generate(args, cli.verbose),
        Command::Check(args) => check(args, cli.verbose),
        Command::Runs(args) => return crate::runs::main(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("oncely: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn generate(args: GenerateArgs, verbose: bool) -> Result<ExitCode, CodegenError> {
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
        .filter(|d| d.kind == oncely_codegen::DiagnosticKind::Untyped)
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

fn check(args: CheckArgs, verbose: bool) -> Result<ExitCode, CodegenError> {
    let mut t = Timer::new(verbose);
    let spec = match load_spec(&args.spec) {
        Ok(s) => s,
        Err(e) if args.json => {
            let out = serde_json::json!({
                "origin": args.spec.display().to_string(),
                "usable": false,
                "error": e.to_string(),
            });
            println!("{out:#}");
            return Ok(ExitCode::FAILURE);
        }
        Err(e) => return Err(e),
    };
    t.step("load");
    let api = build_ir(
        &spec,
        &IrOptions {
            allow_unresolved: true,
        },
    )?;
    t.step("ir");
    let r = report(&spec, &api);
    if args.json {
        match serde_json::to_string_pretty(&r) {
            Ok(s) => println!("{s}"),
            Err(e) => eprintln!("oncely: error: cannot print the report: {e}"),
        }
    } else {
        print!("{}", r.to_text(verbose));
    }
    t.total();
    Ok(if r.usable {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
