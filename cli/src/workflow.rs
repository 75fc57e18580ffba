//! `oncely workflow run FLOWS.arazzo.yaml WORKFLOW_ID`: runs one workflow of
//! an Arazzo document on the engine over a store, printing a line per step
//! as it finishes (its visit, status, attempts and `Idempotency-Key`).
//!
//! The run is journaled like a hand-written one: `oncely runs list|show`
//! inspect it, and `oncely runs resume RUN --arazzo FILE` continues it after
//! a crash with the same keys.
//!
//! Exit status: 0 completed, 3 compensated, 4 needs attention, 1 an error
//! (the document, the inputs, the store, the server URL).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context as _};
use clap::{Args, Subcommand};
use oncely::arazzo::{ArazzoOutcome, ArazzoWorkflow};
use oncely::store::{Journal, RunState, StepPhase, StepRecord, StepStatus};
use oncely::workflow::Engine;
use oncely::Client;
use oncely_bindings_common::arazzo::{compile, WorkflowSource};
use serde_json::{json, Value};

/// `oncely workflow …`
#[derive(Debug, Args)]
pub struct WorkflowArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: WorkflowCommand,
}

/// The `workflow` subcommands.
#[derive(Debug, Subcommand)]
pub enum WorkflowCommand {
    /// Run a workflow of an Arazzo document and show each step.
    Run(RunArgs),
}

/// Where an Arazzo workflow's calls go, and its store.
#[derive(Debug, Args, Clone)]
pub struct Target {
    /// A source description's base URL, `NAME=URL` (repeatable). A source
    /// without one is called at `--base-url`.
    #[arg(long = "server", value_name = "NAME=URL")]
    pub servers: Vec<String>,
    /// The base URL for sources without a `--server` (default: the first
    /// `--server` URL).
    #[arg(long)]
    pub base_url: Option<String>,
    /// The store of keys and the journal: a SQLite file (`sqlite:PATH` or a
    /// path), a `postgres://` URL, or `memory:` (nothing kept).
    #[arg(long, default_value = "memory:")]
    pub store: String,
}

/// `oncely workflow run …`
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The Arazzo document (JSON or YAML); its source descriptions are read
    /// relative to it.
    pub file: PathBuf,
    /// The `workflowId` to run.
    pub workflow_id: String,
    /// The workflow's inputs: a JSON file, or `-` for standard input.
    #[arg(long)]
    pub inputs: Option<PathBuf>,
    /// The run id (default: a new UUID). Running an existing id with the
    /// same inputs continues that run.
    #[arg(long)]
    pub run_id: Option<String>,
    /// Print the result as one JSON object on stdout (step lines go to
    /// stderr).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}

/// Runs the command on its own runtime.
pub fn main(args: WorkflowArgs) -> ExitCode {
    match args.command {
        WorkflowCommand::Run(args) => on_runtime(run(args)),
    }
}

/// Drives `future` on a fresh runtime, mapping errors to exit status 1.
pub fn on_runtime(future: impl std::future::Future<Output = anyhow::Result<ExitCode>>) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("oncely: error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(future) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("oncely: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let inputs = read_inputs(args.inputs.as_deref())?;
    let (workflow, engine) = prepare(&args.file, &args.workflow_id, &args.target).await?;
    let run_id = args
        .run_id
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let progress = Progress::spawn(engine.journal().clone(), run_id.clone(), args.json);
    let outcome = workflow.start(&engine, Some(&run_id), &inputs).await;
    let steps = progress.finish().await;
    finish(outcome.context("running the workflow")?, &steps, args.json)
}

/// Continues the Arazzo run `run_id` (after a crash) with the document at
/// `file`, showing its steps: `oncely runs resume RUN --arazzo FILE`.
pub async fn resume(run_id: &str, file: &Path, target: &Target) -> anyhow::Result<ExitCode> {
    let opened = oncely::store::open(&target.store)
        .await
        .with_context(|| format!("opening store {}", target.store))?;
    let record = opened
        .journal
        .run(run_id)
        .await
        .with_context(|| format!("reading run {run_id}"))?
        .with_context(|| format!("no run {run_id:?} in {}", opened.description))?;
    let (workflow, engine) = prepare(file, &record.workflow, target).await?;
    let progress = Progress::spawn(engine.journal().clone(), run_id.to_owned(), false);
    let outcome = workflow.resume(&engine, run_id).await;
    let steps = progress.finish().await;
    finish(outcome.context("resuming the run")?, &steps, false)
}

/// Compiles the workflow and builds an engine over the target's store.
async fn prepare(
    file: &Path,
    workflow_id: &str,
    target: &Target,
) -> anyhow::Result<(ArazzoWorkflow, Engine)> {
    let servers = parse_servers(&target.servers)?;
    let base_url = match (&target.base_url, target.servers.first()) {
        (Some(url), _) => url.clone(),
        (None, Some(_)) => servers.values().next().cloned().unwrap_or_default(),
        (None, None) => {
            bail!("give --server NAME=URL for the source descriptions (or --base-url URL)")
        }
    };
    let workflow = compile(WorkflowSource::Path(file), workflow_id, &servers)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let opened = oncely::store::open(&target.store)
        .await
        .with_context(|| format!("opening store {}", target.store))?;
    let client = Client::builder(base_url.clone())
        .shared_store(opened.store.clone())
        .build()
        .with_context(|| format!("the base URL {base_url:?}"))?;
    Ok((workflow, Engine::new(client, opened.journal)))
}

fn parse_servers(pairs: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    pairs
        .iter()
        .map(|pair| match pair.split_once('=') {
            Some((name, url)) if !name.is_empty() && !url.is_empty() => {
                Ok((name.to_owned(), url.to_owned()))
            }
            _ => bail!("--server {pair:?}: expected NAME=URL"),
        })
        .collect()
}

fn read_inputs(path: Option<&Path>) -> anyhow::Result<Value> {
    let Some(path) = path else {
        return Ok(json!({}));
    };
    let text = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).context("reading the inputs from stdin")?
    } else {
        std::fs::read_to_string(path)
            .with_context(|| format!("reading the inputs {}", path.display()))?
    };
    let value: Value = serde_json::from_str(&text)
        .with_context(|| format!("the inputs {} are not JSON", path.display()))?;
    if !value.is_object() {
        bail!("the inputs {} must be a JSON object", path.display());
    }
    Ok(value)
}

/// Prints each journaled step once it has finished, while the run goes on.
struct Progress {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<Vec<StepRecord>>,
}

impl Progress {
    fn spawn(journal: Arc<dyn Journal>, run_id: String, to_stderr: bool) -> Self {
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            let mut shown = HashSet::new();
            loop {
                let done = *stopped.borrow();
                let steps = journal.steps(&run_id).await.unwrap_or_default();
                for step in &steps {
                    if step.status != StepStatus::Started
                        && shown.insert((step.phase, step.index, step.attempts, step.status))
                    {
                        let line = step_line(step);
                        if to_stderr {
                            eprintln!("{line}");
                        } else {
                            println!("{line}");
                        }
                    }
                }
                if done {
                    return steps;
                }
                tokio::select! {
                    _ = stopped.changed() => {}
                    _ = tokio::time::sleep(Duration::from_millis(50)) => {}
                }
            }
        });
        Self { stop, task }
    }

    /// Shows what is left and returns the run's step records.
    async fn finish(self) -> Vec<StepRecord> {
        let _ = self.stop.send(true);
        self.task.await.unwrap_or_default()
    }
}

fn step_line(step: &StepRecord) -> String {
    let (id, visit) = visit_of(&step.name);
    let phase = match step.phase {
        StepPhase::Action => "step",
        StepPhase::Compensation => "undo",
    };
    let mut line = format!(
        "{phase} {id:<24} visit {visit} {:<9} attempts {} key {}",
        step.status.as_str(),
        step.attempts,
        step.key
    );
    if let Some(message) = step
        .error
        .as_ref()
        .and_then(|e| e.get("message").or_else(|| e.pointer("/error/message")))
        .and_then(Value::as_str)
    {
        line.push_str(&format!(" — {message}"));
    }
    line
}

/// `stepId#3` → (`stepId`, 3); `stepId` → (`stepId`, 1).
fn visit_of(name: &str) -> (&str, u32) {
    match name.rsplit_once('#') {
        Some((id, n)) => match n.parse() {
            Ok(visit) => (id, visit),
            Err(_) => (name, 1),
        },
        None => (name, 1),
    }
}

fn finish(outcome: ArazzoOutcome, steps: &[StepRecord], json: bool) -> anyhow::Result<ExitCode> {
    let state = outcome.state();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&summary(&outcome, steps))?
        );
    } else {
        println!(
            "run {} of {}: {}",
            outcome.run_id(),
            outcome.run.workflow,
            state.as_str()
        );
        for (name, value) in &outcome.outputs {
            println!("  output {name} = {value}");
        }
        if let Some(step) = &outcome.failed_step {
            println!("  failed at step {step}");
        }
    }
    Ok(match state {
        RunState::Completed => ExitCode::SUCCESS,
        RunState::Compensated => ExitCode::from(3),
        _ => ExitCode::from(4),
    })
}

/// The `--json` result: `run_id`, `workflow`, `state`, `steps` (action
/// steps: `step_id`, `visit`, `status`, `key`, `attempts`, `outputs`),
/// `compensations` (in the order they ran), `outputs`, `failed_step`, `error`.
fn summary(outcome: &ArazzoOutcome, steps: &[StepRecord]) -> Value {
    let rows = |phase: StepPhase| -> Vec<Value> {
        let mut rows: Vec<&StepRecord> = steps.iter().filter(|s| s.phase == phase).collect();
        if phase == StepPhase::Compensation {
            // Compensations run from the last completed step back.
            rows.reverse();
        }
        rows.into_iter()
            .map(|s| {
                let (id, visit) = visit_of(&s.name);
                json!({
                    "step_id": id,
                    "visit": visit,
                    "status": s.status.as_str(),
                    "key": s.key,
                    "attempts": s.attempts,
                    "outputs": s.output.clone().unwrap_or(Value::Null),
                })
            })
            .collect()
    };
    json!({
        "run_id": outcome.run_id(),
        "workflow": outcome.run.workflow,
        "state": outcome.state().as_str(),
        "steps": rows(StepPhase::Action),
        "compensations": rows(StepPhase::Compensation),
        "outputs": outcome.outputs,
        "failed_step": outcome.failed_step,
        "error": outcome.error(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visits_are_read_from_step_names() {
        assert_eq!(visit_of("pay"), ("pay", 1));
        assert_eq!(visit_of("pay#3"), ("pay", 3));
        assert_eq!(visit_of("a#b"), ("a#b", 1));
    }

    #[test]
    fn servers_are_name_equals_url() {
        let servers = parse_servers(&["orders=http://127.0.0.1:1".to_owned()]).unwrap();
        assert_eq!(servers["orders"], "http://127.0.0.1:1");
        assert!(parse_servers(&["orders".to_owned()]).is_err());
        assert!(parse_servers(&["=http://x".to_owned()]).is_err());
    }
}
