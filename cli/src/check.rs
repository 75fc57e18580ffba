//! `oncely check SPEC [--json]`: what the generator understands of a
//! document (an Arazzo document goes to [`crate::arazzo_check`]).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use oncely_codegen::{build_ir, load_spec, report, CodegenError, IrOptions};

use crate::timer::Timer;

/// `oncely check …`
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The document (JSON or YAML), or `-` for standard input.
    spec: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// Prints the report on stdout; exit status 1 when the document is not
/// usable. With `--json` a document that does not load is a JSON report too.
pub fn run(args: CheckArgs, verbose: bool) -> Result<ExitCode, CodegenError> {
    if args.spec.as_os_str() != "-" && oncely_codegen::arazzo::is_arazzo_file(&args.spec) {
        return Ok(crate::arazzo_check::run(&args.spec, args.json));
    }
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
