//! `chaos run …` (the supervisor) and `chaos worker …` (started by it).

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "chaos",
    about = "Chaos campaign for oncely workflows: SIGKILLed workers, seeded server faults, a ledger that must show everything exactly once"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a campaign and print its report; exits 1 if a must-be-0 number is not 0.
    Run(chaos::supervisor::CampaignArgs),
    /// A worker process (the supervisor starts these).
    Worker(chaos::worker::WorkerArgs),
    /// Run the outbox campaign and print its report; exits 1 if a must-be-0 number is not 0.
    Outbox(chaos::outbox::OutboxCampaignArgs),
    /// The outbox campaign's application process (started by it).
    OutboxApp(chaos::outbox::AppArgs),
    /// An outbox dispatcher process (started by the outbox campaign).
    OutboxDispatcher(chaos::outbox::DispatcherArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("chaos: cannot start the runtime: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let child = |result: anyhow::Result<()>, what: &str| match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chaos {what}: {e:#}");
            std::process::ExitCode::from(2)
        }
    };
    match cli.command {
        Cmd::OutboxApp(args) => child(runtime.block_on(chaos::outbox::app(args)), "outbox app"),
        Cmd::OutboxDispatcher(args) => child(
            runtime.block_on(chaos::outbox::dispatcher(args)),
            "outbox dispatcher",
        ),
        Cmd::Outbox(args) => {
            let json = args.json.clone();
            campaign(runtime.block_on(chaos::outbox::run(args)), json, |r| {
                (r.render(), r.failures().is_empty())
            })
        }
        Cmd::Worker(args) => child(runtime.block_on(chaos::worker::run(args)), "worker"),
        Cmd::Run(args) => {
            let json = args.json.clone();
            campaign(runtime.block_on(chaos::supervisor::run(args)), json, |r| {
                (r.render(), r.failures().is_empty())
            })
        }
    }
}

/// Prints a campaign's report (and writes it as JSON to `json`): exit 0 when
/// every must-be-0 number is 0, 1 when one is not, 2 when the campaign failed.
fn campaign<R: serde::Serialize>(
    result: anyhow::Result<R>,
    json: Option<std::path::PathBuf>,
    summary: impl Fn(&R) -> (String, bool),
) -> std::process::ExitCode {
    let report = match result {
        Ok(report) => report,
        Err(e) => {
            eprintln!("chaos: {e:#}");
            return std::process::ExitCode::from(2);
        }
    };
    let (text, clean) = summary(&report);
    print!("{text}");
    if let Some(path) = json {
        if let Err(e) = std::fs::write(
            &path,
            serde_json::to_vec_pretty(&report).unwrap_or_default(),
        ) {
            eprintln!("chaos: cannot write {}: {e}", path.display());
            return std::process::ExitCode::from(2);
        }
    }
    if clean {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::from(1)
    }
}
