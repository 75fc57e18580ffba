//! `oncely runs list|show|resume|retry --store PATH`: inspect and steer
//! workflow runs in a store (a SQLite file or a `postgres://` URL).
//!
//! The command has no workflow definitions, so it never executes steps:
//!
//! - `list` and `show` read the journal.
//! - `resume RUN` clears the lease of an unfinished run (pending, running,
//!   compensating), so any worker that has its workflow registered picks it up
//!   at once instead of when the lease expires. Use it when the worker that
//!   held the run is known to be dead; a live holder is fenced out of the
//!   journal at its next write and its calls are idempotent anyway.
//! - `retry RUN` sends a parked (`needs_attention`) run back to compensating
//!   with the next generation of compensation keys; a worker then retries the
//!   compensations that failed.
//!
//! Both are state changes only: a worker (`Engine::work` / `Engine::work_once`
//! in the `oncely` crate) does the execution.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use oncely::store::{RunFilter, RunState};
use oncely::workflow::{format_time, list_runs, mark_for_resume, mark_for_retry, show_run};

use crate::store::{open_store as open, StoreArg};

/// `oncely runs …`
#[derive(Debug, Args)]
pub struct RunsArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: RunsCommand,
}

/// The `runs` subcommands.
#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// List runs, newest first.
    List {
        #[command(flatten)]
        store: StoreArg,
        /// Only runs in this state (repeatable): pending, running,
        /// compensating, completed, compensated, needs_attention.
        #[arg(long)]
        state: Vec<String>,
        /// Only runs of this workflow.
        #[arg(long)]
        workflow: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one run: its steps with timings, keys and errors, and its history.
    Show {
        /// The run id.
        run_id: String,
        #[command(flatten)]
        store: StoreArg,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Mark an unfinished run for pickup now (a worker resumes it); with
    /// `--arazzo FILE`, continue an Arazzo run here and now.
    Resume {
        /// The run id.
        run_id: String,
        #[command(flatten)]
        store: StoreArg,
        /// The Arazzo document the run was started from: resume the run in
        /// this process (same keys) instead of marking it for a worker.
        #[arg(long, value_name = "FILE")]
        arazzo: Option<std::path::PathBuf>,
        /// With `--arazzo`: a source description's base URL, `NAME=URL`.
        #[arg(long = "server", value_name = "NAME=URL", requires = "arazzo")]
        servers: Vec<String>,
        /// With `--arazzo`: the base URL for sources without a `--server`.
        #[arg(long, requires = "arazzo")]
        base_url: Option<String>,
    },
    /// Send a parked (needs_attention) run back to compensation (a worker retries it).
    Retry {
        /// The run id.
        run_id: String,
        #[command(flatten)]
        store: StoreArg,
    },
}

/// Runs the command on its own runtime and maps the result to an exit code
/// (0 ok, 1 error).
pub fn main(args: RunsArgs) -> ExitCode {
    if let RunsCommand::Resume {
        run_id,
        store,
        arazzo: Some(file),
        servers,
        base_url,
    } = &args.command
    {
        let target = crate::workflow::Target {
            servers: servers.clone(),
            base_url: base_url.clone(),
            store: store.store.clone(),
        };
        return crate::workflow::on_runtime(crate::workflow::resume(run_id, file, &target));
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the command, printing to stdout.
pub async fn run(args: RunsArgs) -> anyhow::Result<()> {
    print!("{}", execute(args).await?);
    Ok(())
}

/// Runs the command and returns what it prints.
pub async fn execute(args: RunsArgs) -> anyhow::Result<String> {
    match args.command {
        RunsCommand::List {
            store,
            state,
            workflow,
            limit,
            json,
        } => {
            let states = state
                .iter()
                .map(|s| {
                    RunState::parse(s).with_context(|| {
                        let known: Vec<&str> = RunState::ALL.iter().map(|s| s.as_str()).collect();
                        format!("unknown state {s:?} (one of: {})", known.join(", "))
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let opened = open(&store.store).await?;
            let runs = list_runs(
                &*opened.journal,
                &RunFilter {
                    states,
                    workflow,
                    limit: Some(limit),
                },
            )
            .await?;
            if json {
                return Ok(format!("{}\n", serde_json::to_string_pretty(&runs)?));
            }
            let mut out = format!(
                "{:<40} {:<20} {:<16} {:<24}  error\n",
                "run", "workflow", "state", "updated"
            );
            for r in &runs {
                let error = r
                    .error
                    .as_ref()
                    .map(|e| {
                        let step = e.get("step").and_then(|s| s.as_str()).unwrap_or("?");
                        let message = e
                            .pointer("/error/message")
                            .and_then(|m| m.as_str())
                            .unwrap_or("");
                        format!("{step}: {message}")
                    })
                    .unwrap_or_default();
                out.push_str(&format!(
                    "{:<40} {:<20} {:<16} {:<24}  {}\n",
                    r.run_id,
                    r.workflow,
                    r.state.as_str(),
                    format_time(r.updated_ms),
                    error
                ));
            }
            out.push_str(&format!("{} run(s)\n", runs.len()));
            Ok(out)
        }
        RunsCommand::Show {
            run_id,
            store,
            json,
        } => {
            let opened = open(&store.store).await?;
            let details = show_run(&*opened.journal, &run_id).await?;
            if json {
                return Ok(format!("{}\n", serde_json::to_string_pretty(&details)?));
            }
            Ok(details.render())
        }
        RunsCommand::Resume { run_id, store, .. } => {
            let opened = open(&store.store).await?;
            let run = mark_for_resume(&*opened.journal, &run_id).await?;
            Ok(format!(
                "run {} ({}) is {} and marked for pickup: a worker with workflow {:?} registered resumes it\n",
                run.run_id, run.workflow, run.state, run.workflow
            ))
        }
        RunsCommand::Retry { run_id, store } => {
            let opened = open(&store.store).await?;
            let run = mark_for_retry(&*opened.journal, &run_id).await?;
            Ok(format!(
                "run {} ({}) is {} again (compensation generation {}): a worker with workflow {:?} registered retries its compensations\n",
                run.run_id, run.workflow, run.state, run.generation, run.workflow
            ))
        }
    }
}
