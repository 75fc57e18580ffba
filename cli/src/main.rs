//! The `oncely` command line.
//!
//! One module per command: [`generate`] and [`check`] drive the generator
//! library `oncely-codegen` (and [`arazzo_check`] the Arazzo interpreter's
//! checks); [`workflow`] runs an Arazzo workflow; [`runs`] inspects and steers workflow runs in a
//! store through the `oncely` runtime; [`outbox`] delivers and steers outbox rows; [`console`] serves a
//! web page over runs, intents and the outbox ([`store`] is the `--store` argument they share). A new
//! command gets its own module and a variant in [`Command`].

mod arazzo_check;
mod check;
mod console;
mod generate;
mod outbox;
mod runs;
mod store;
mod timer;
mod workflow;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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

/// The commands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Generate a client from an OpenAPI 3.0/3.1 document.
    Generate(generate::GenerateArgs),
    /// Report what the generator understands of a document.
    Check(check::CheckArgs),
    /// Inspect and steer workflow runs in a store.
    Runs(runs::RunsArgs),
    /// Run a workflow of an Arazzo document.
    Workflow(workflow::WorkflowArgs),
    /// Deliver, inspect and steer an application's outbox rows.
    Outbox(outbox::OutboxArgs),
    /// Serve a web console over a store's runs, intents and outbox.
    Console(console::ConsoleArgs),
}

/// Parses the command line and runs the command: exit status 0 on success, 1
/// on an error (printed on stderr) or an unusable document (`check`), 2 on a
/// usage error (clap).
fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Generate(args) => generate::run(args, cli.verbose),
        Command::Check(args) => check::run(args, cli.verbose),
        Command::Runs(args) => return runs::main(args),
        Command::Workflow(args) => return workflow::main(args),
        Command::Outbox(args) => return outbox::main(args),
        Command::Console(args) => return console::main(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("oncely: error: {e}");
            ExitCode::FAILURE
        }
    }
}
