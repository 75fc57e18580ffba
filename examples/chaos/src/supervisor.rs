//! The supervisor: serves the reference server with seeded faults, enqueues
//! the sagas, runs worker processes, SIGKILLs random workers mid-run and
//! restarts them, and reports from the server's ledger.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use oncely::store::{Journal, RunFilter, RunState, StepPhase, StepStatus};
use oncely::workflow::Engine;
use orders_server::{ChaosConfig, LedgerEntry, RequestRecord, ServerConfig, Stats};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;
use tokio::process::{Child, Command};

use crate::report::{analyse, Report, RunView};
use crate::saga::{arazzo_checkout, order_saga, OrderInput, Resource};

/// Campaign settings.
#[derive(Debug, Clone, clap::Args)]
pub struct CampaignArgs {
    /// Sagas to run.
    #[arg(long, default_value_t = 1000)]
    pub orders: usize,
    /// Worker processes sharing the store.
    #[arg(long, default_value_t = 4)]
    pub workers: usize,
    /// Runs each worker drives at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// The shared store: a SQLite file (default: a temp file) or a
    /// `postgres://` URL (a fresh schema is used unless `?oncely_schema=` is given).
    #[arg(long)]
    pub store: Option<String>,
    /// Seed of the server's faults and of the kills.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Probability that a request gets a fault (drop after commit, 503, 429, slow, 500).
    #[arg(long, default_value_t = 0.1)]
    pub fault_rate: f64,
    /// Every n-th order pays with `pm_card_declined` (402) and compensates.
    #[arg(long, default_value_t = 10)]
    pub decline_every: usize,
    /// Mean time between SIGKILLs of a random worker (0: no kills).
    #[arg(long, default_value_t = 150)]
    pub kill_every_ms: u64,
    /// Lease length given to workers.
    #[arg(long, default_value_t = 2000)]
    pub lease_ms: u64,
    /// Run the Arazzo checkout (`openapi/orders.arazzo.yaml`, through the
    /// interpreter) instead of the hand-written saga.
    #[arg(long)]
    pub arazzo: bool,
    /// How long a shipment operation takes on the server.
    #[arg(long, default_value_t = 50)]
    pub operation_ms: u64,
    /// Give up after this long.
    #[arg(long, default_value_t = 600)]
    pub timeout_secs: u64,
    /// Also write the report as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Where worker logs go (default: discarded).
    #[arg(long)]
    pub worker_log: Option<PathBuf>,
}

/// A worker process and its id.
struct Worker {
    owner: String,
    child: Child,
}

/// Runs the campaign and returns its report.
pub async fn run(args: CampaignArgs) -> anyhow::Result<Report> {
    let started = Instant::now();
    let server = orders_server::spawn(ServerConfig {
        operation_duration: Duration::from_millis(args.operation_ms),
        retry_after_ms: Some(10),
        chaos: Some(ChaosConfig {
            seed: args.seed,
            rate: args.fault_rate,
            retry_after_ms: 10,
            slow_ms: 30,
            ..ChaosConfig::default()
        }),
        ..ServerConfig::default()
    })
    .await
    .context("starting the reference server")?;
    let base = server.base_url();

    let _tempdir;
    let (store_location, backend) = match &args.store {
        Some(s) if s.starts_with("postgres://") || s.starts_with("postgresql://") => {
            let location = if s.contains("oncely_schema=") {
                s.clone()
            } else {
                let sep = if s.contains('?') { '&' } else { '?' };
                format!(
                    "{s}{sep}oncely_schema=chaos_{}",
                    &uuid::Uuid::new_v4().simple().to_string()[..10]
                )
            };
            (location, "postgres")
        }
        Some(path) => (path.clone(), "sqlite"),
        None => {
            let dir = tempfile_dir()?;
            let path = dir.join("chaos.db");
            _tempdir = TempDir(dir);
            (path.to_string_lossy().into_owned(), "sqlite")
        }
    };
    let opened = oncely::store::open(&store_location)
        .await
        .with_context(|| format!("opening store {store_location}"))?;
    let journal = opened.journal.clone();
    let arazzo = if args.arazzo {
        Some(arazzo_checkout()?)
    } else {
        None
    };
    let saga = match &arazzo {
        Some(checkout) => checkout.workflow().clone(),
        None => order_saga(),
    };
    let engine = Engine::new(
        crate::worker::client(&base, opened.store.clone())?,
        journal.clone(),
    )
    .owner("supervisor");
    let declined =
        |n: usize| args.decline_every > 0 && n % args.decline_every == args.decline_every - 1;
    let run_id = |n: usize| format!("order-{n:05}");
    for n in 0..args.orders {
        let order = OrderInput::new(n, declined(n));
        if arazzo.is_some() {
            engine
                .enqueue(&saga, Some(&run_id(n)), &order.arazzo_inputs())
                .await?;
        } else {
            engine.enqueue(&saga, Some(&run_id(n)), &order).await?;
        }
    }
    eprintln!(
        "chaos: {} sagas enqueued in {store_location}; server {base}; starting {} workers",
        args.orders, args.workers
    );

    let exe = std::env::current_exe().context("finding the chaos binary")?;
    let spawn = |owner: &str| -> anyhow::Result<Child> {
        let log = match &args.worker_log {
            Some(path) => Stdio::from(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)?,
            ),
            None => Stdio::null(),
        };
        let child = Command::new(&exe)
            .arg("worker")
            .args([
                "--server",
                &base,
                "--store",
                &store_location,
                "--owner",
                owner,
            ])
            .args([
                "--concurrency",
                &args.concurrency.to_string(),
                "--lease-ms",
                &args.lease_ms.to_string(),
            ])
            .args(args.arazzo.then_some("--arazzo"))
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .context("spawning a worker")?;
        Ok(child)
    };
    let mut workers = Vec::new();
    for i in 0..args.workers.max(1) {
        let owner = format!("worker-{i}");
        workers.push(Worker {
            child: spawn(&owner)?,
            owner,
        });
    }

    let mut rng = StdRng::seed_from_u64(args.seed ^ 0x5eed);
    let mut kills = 0u64;
    let deadline = started + Duration::from_secs(args.timeout_secs);
    let mut next_kill = Instant::now() + jitter(&mut rng, args.kill_every_ms);
    let mut last_progress = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(25)).await;
        let counts = journal.count_runs().await?;
        let active: u64 = counts
            .iter()
            .filter(|(s, _)| s.is_active())
            .map(|(_, n)| *n)
            .sum();
        if active == 0 {
            break;
        }
        if Instant::now() > deadline {
            bail!("timed out with {active} runs still active");
        }
        if last_progress.elapsed() > Duration::from_secs(2) {
            let done: u64 = counts
                .iter()
                .filter(|(s, _)| !s.is_active())
                .map(|(_, n)| *n)
                .sum();
            eprintln!("chaos: {done}/{} runs finished, {kills} kills", args.orders);
            last_progress = Instant::now();
        }
        if args.kill_every_ms > 0 && Instant::now() >= next_kill {
            let victim = rng.random_range(0..workers.len());
            let w = &mut workers[victim];
            if w.child.id().is_some() {
                // Child::kill sends SIGKILL and reaps the process.
                w.child.kill().await.context("SIGKILL")?;
                kills += 1;
            }
            w.child = spawn(&w.owner)?;
            next_kill = Instant::now() + jitter(&mut rng, args.kill_every_ms);
        }
        // A worker that exited on its own (idle) while runs are still active
        // (e.g. held by a killed worker's lease) is restarted.
        for w in &mut workers {
            if let Ok(Some(_status)) = w.child.try_wait() {
                w.child = spawn(&w.owner)?;
            }
        }
    }
    for w in &mut workers {
        match tokio::time::timeout(Duration::from_secs(10), w.child.wait()).await {
            Ok(_) => {}
            Err(_) => {
                let _ = w.child.kill().await;
            }
        }
    }

    let http = reqwest::Client::new();
    #[derive(Deserialize)]
    struct Ledger {
        entries: Vec<LedgerEntry>,
    }
    #[derive(Deserialize)]
    struct Requests {
        requests: Vec<RequestRecord>,
    }
    let ledger: Ledger = http
        .get(format!("{base}/_admin/ledger"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let requests: Requests = http
        .get(format!("{base}/_admin/requests"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let stats: Stats = http
        .get(format!("{base}/_admin/stats"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;

    let mut runs = Vec::with_capacity(args.orders);
    let journaled = journal.list_runs(&RunFilter::default()).await?;
    let states: std::collections::HashMap<&str, RunState> = journaled
        .iter()
        .map(|r| (r.run_id.as_str(), r.state))
        .collect();
    for n in 0..args.orders {
        let id = run_id(n);
        let (order_id, restarted_steps) = order_of(&*journal, &id).await?;
        runs.push(RunView {
            order_id,
            restarted_steps,
            state: states.get(id.as_str()).copied(),
            declined: declined(n),
            run_id: id,
        });
    }
    let report = Report {
        store: backend.into(),
        workflow: if args.arazzo {
            "arazzo checkout"
        } else {
            "hand-written saga"
        }
        .into(),
        orders: args.orders,
        workers: args.workers,
        kills,
        seconds: started.elapsed().as_secs_f64(),
        ..Report::default()
    };
    let report = analyse(report, &runs, &ledger.entries, &requests.requests, &stats);
    server.shutdown().await;
    Ok(report)
}

/// The order id a run's `create_order` step journaled, and how many of its
/// actions were started more than once.
pub async fn order_of(
    journal: &dyn Journal,
    run_id: &str,
) -> anyhow::Result<(Option<String>, u64)> {
    let steps = journal.steps(run_id).await?;
    let order = steps
        .iter()
        .find(|s| s.index == 0 && s.phase == StepPhase::Action && s.status == StepStatus::Succeeded)
        .and_then(|s| s.output.clone())
        .and_then(|o| {
            // A hand-written saga journals the order itself; the Arazzo
            // checkout journals its step outputs (`orderId`).
            o.get("orderId")
                .and_then(|id| id.as_str())
                .map(str::to_owned)
                .or_else(|| serde_json::from_value::<Resource>(o).ok().map(|r| r.id))
        });
    let restarted = steps
        .iter()
        .filter(|s| s.phase == StepPhase::Action && s.attempts > 1)
        .count() as u64;
    Ok((order, restarted))
}

fn jitter(rng: &mut StdRng, mean_ms: u64) -> Duration {
    if mean_ms == 0 {
        return Duration::from_secs(3600);
    }
    Duration::from_millis(rng.random_range(mean_ms / 2..=mean_ms + mean_ms / 2))
}

/// A temp dir removed on drop.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("oncely-chaos-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
