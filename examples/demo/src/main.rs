//! `make demo`: the reference server with seeded random faults, and a few
//! hundred order sagas (create → reserve → pay → ship and wait for the 202)
//! run as durable workflows on the embedded SQLite store, then the same
//! checkout as an Arazzo contract (`openapi/orders.arazzo.yaml`) run by the
//! interpreter on the same engine. At the end the server's ledger shows
//! whether anything happened twice.

mod report;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use chaos::saga::{arazzo_checkout, order_saga, OrderInput};
use clap::Parser;
use futures::stream::{self, StreamExt};
use indicatif::{ProgressBar, ProgressStyle};
use oncely::workflow::Engine;
use oncely::{BudgetConfig, Client, PollConfig, RetryPolicy, SqliteStore};
use orders_server::{ChaosConfig, ServerConfig};

use report::Summary;

/// Places orders against the reference server under injected faults and
/// proves from the server's ledger that no side effect happened twice.
#[derive(Debug, Parser)]
#[command(name = "demo", version)]
struct Args {
    /// How many orders to place.
    #[arg(long, default_value_t = 200)]
    orders: usize,
    /// Share of requests that get a fault (drop after commit, 503, 429, slow, 500).
    #[arg(long, default_value_t = 0.2)]
    fault_rate: f64,
    /// Seed of the server's fault generator.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// The SQLite store file (default: a new file in a temporary directory).
    #[arg(long)]
    store: Option<PathBuf>,
    /// Orders in flight at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Use a reference server that is already running (its ledger is read from
    /// URL/_admin/ledger) instead of starting one in-process.
    #[arg(long)]
    server: Option<String>,
    /// Every Nth order pays with a card that is declined, so the saga
    /// compensates: the reservation is released and the order cancelled (0: none).
    #[arg(long, default_value_t = 10)]
    decline_every: usize,
    /// Orders placed through the Arazzo checkout (`openapi/orders.arazzo.yaml`,
    /// run by the interpreter on the same engine and store) after the
    /// hand-written sagas.
    #[arg(long, default_value_t = 50)]
    arazzo_orders: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if !(0.0..=1.0).contains(&args.fault_rate) {
        bail!(
            "--fault-rate must be between 0 and 1, got {}",
            args.fault_rate
        );
    }
    if args.concurrency == 0 {
        bail!("--concurrency must be at least 1");
    }

    let (base_url, _server) = match &args.server {
        Some(url) => (url.trim_end_matches('/').to_string(), None),
        None => {
            let server = orders_server::spawn(ServerConfig {
                operation_duration: Duration::from_millis(150),
                retry_after_ms: Some(25),
                chaos: Some(ChaosConfig::new(args.seed, args.fault_rate)),
                ..ServerConfig::default()
            })
            .await
            .context("starting the reference server")?;
            (server.base_url(), Some(server))
        }
    };

    let temp = tempfile::tempdir().context("creating a temporary directory")?;
    let store_path = args
        .store
        .clone()
        .unwrap_or_else(|| temp.path().join("oncely.db"));
    let store = SqliteStore::open(&store_path)
        .with_context(|| format!("opening {}", store_path.display()))?;
    let client = Client::builder(&base_url)
        .bearer_token("sk_demo_secret")
        .store(store)
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(8)
                .base_delay(Duration::from_millis(20))
                .max_delay(Duration::from_secs(1)),
        )
        // One request in five failing is an outage by production standards; the
        // budget is sized so the demo shows retries at work rather than the
        // budget refusing them (see `cargo bench --bench amplification`).
        .retry_budget(Some(BudgetConfig {
            capacity: 1000.0,
            deposit_per_success: 0.5,
        }))
        .poll_config(PollConfig {
            default_interval: Duration::from_millis(25),
            ..PollConfig::default()
        })
        .build()?;
    let saga = order_saga();
    let checkout = arazzo_checkout()?;
    let engine = Engine::for_client(client)?
        .register(saga.clone())
        .register(checkout.workflow().clone());

    println!(
        "oncely demo: {} order sagas and {} Arazzo checkouts, {:.0}% of requests faulted (seed {}), SQLite store at {}",
        args.orders,
        args.arazzo_orders,
        args.fault_rate * 100.0,
        args.seed,
        store_path.display()
    );
    println!("server: {base_url}\n");

    let bar = ProgressBar::new((args.orders + args.arazzo_orders) as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} orders {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let mut runs: Vec<(String, bool, Result<oncely::workflow::RunOutcome, String>)> =
        stream::iter(0..args.orders)
            .map(|i| {
                let (engine, saga, bar) = (&engine, &saga, bar.clone());
                let declined = args.decline_every > 0 && (i + 1) % args.decline_every == 0;
                let run_id = format!("demo-{}-order-{i}", args.seed);
                async move {
                    let outcome = engine
                        .start(saga, Some(&run_id), &OrderInput::new(i, declined))
                        .await;
                    bar.inc(1);
                    (run_id, declined, outcome.map_err(|e| e.to_string()))
                }
            })
            .buffer_unordered(args.concurrency)
            .collect()
            .await;
    let sagas_done = started.elapsed();
    // The same checkout as an Arazzo contract, run by the interpreter.
    let arazzo: Vec<(String, bool, Result<oncely::workflow::RunOutcome, String>)> =
        stream::iter(0..args.arazzo_orders)
            .map(|i| {
                let (engine, checkout, bar) = (&engine, &checkout, bar.clone());
                let n = args.orders + i;
                let declined = args.decline_every > 0 && (i + 1) % args.decline_every == 0;
                let run_id = format!("demo-{}-arazzo-{i}", args.seed);
                async move {
                    let outcome = checkout
                        .start(
                            engine,
                            Some(&run_id),
                            &OrderInput::new(n, declined).arazzo_inputs(),
                        )
                        .await;
                    bar.inc(1);
                    (
                        run_id,
                        declined,
                        outcome.map(|o| o.run).map_err(|e| e.to_string()),
                    )
                }
            })
            .buffer_unordered(args.concurrency)
            .collect()
            .await;
    bar.finish_and_clear();
    let arazzo_line = arazzo_summary(&arazzo, started.elapsed() - sagas_done);
    runs.extend(arazzo);

    let summary = Summary::collect(
        &base_url,
        engine.journal().as_ref(),
        &runs,
        started.elapsed(),
        runs.len(),
    )
    .await?;
    println!("{summary}");
    println!("{arazzo_line}");
    let failures = summary.failures();
    if !failures.is_empty() {
        bail!("{}", failures.join("; "));
    }
    Ok(())
}

/// One line on the Arazzo checkouts: how they ended (they are in the ledger
/// checks above with the hand-written sagas).
fn arazzo_summary(
    runs: &[(String, bool, Result<oncely::workflow::RunOutcome, String>)],
    elapsed: Duration,
) -> String {
    let ended = |state| {
        runs.iter()
            .filter(|(_, _, o)| o.as_ref().is_ok_and(|o| o.state == state))
            .count()
    };
    format!(
        "Arazzo checkouts (openapi/orders.arazzo.yaml, interpreter on the same journal): {} run, {} completed, {} compensated, {} parked, {} errors, {:.1?}",
        runs.len(),
        ended(oncely::store::RunState::Completed),
        ended(oncely::store::RunState::Compensated),
        ended(oncely::store::RunState::NeedsAttention),
        runs.iter().filter(|(_, _, o)| o.is_err()).count(),
        elapsed
    )
}
