//! A worker process: opens the shared store, releases the leases its previous
//! incarnation held (it was SIGKILLed), then claims and drives saga runs until
//! no run is active any more.

use std::time::Duration;

use anyhow::Context as _;
use oncely::workflow::Engine;
use oncely::{BreakerConfig, BudgetConfig, Client, PollConfig, RetryPolicy};

use crate::saga::{arazzo_checkout, order_saga};

/// What a worker needs.
#[derive(Debug, Clone, clap::Args)]
pub struct WorkerArgs {
    /// The reference server's base URL.
    #[arg(long)]
    pub server: String,
    /// The shared store: a SQLite file path or a postgres:// URL.
    #[arg(long)]
    pub store: String,
    /// This worker's stable id (kept across restarts).
    #[arg(long)]
    pub owner: String,
    /// Runs driven at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Lease length in milliseconds.
    #[arg(long, default_value_t = 2000)]
    pub lease_ms: u64,
    /// Drive the Arazzo checkout (`openapi/orders.arazzo.yaml`) instead of
    /// the hand-written saga.
    #[arg(long)]
    pub arazzo: bool,
}

/// The client every worker uses: short retry delays, a generous retry budget
/// and fast polling, so a campaign finishes quickly under faults.
pub fn client(server: &str, store: std::sync::Arc<dyn oncely::Store>) -> anyhow::Result<Client> {
    Ok(Client::builder(server)
        .shared_store(store)
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(6)
                .base_delay(Duration::from_millis(10))
                .max_delay(Duration::from_millis(300)),
        )
        .retry_budget(Some(BudgetConfig {
            capacity: 1000.0,
            deposit_per_success: 0.2,
        }))
        .circuit_breaker(BreakerConfig {
            failure_threshold: 25,
            open_for: Duration::from_millis(100),
        })
        .attempt_timeout(Duration::from_secs(5))
        .poll_config(PollConfig {
            default_interval: Duration::from_millis(20),
            max_interval: Duration::from_millis(200),
            timeout: Some(Duration::from_secs(60)),
        })
        .build()?)
}

/// Runs the worker until no run is active.
pub async fn run(args: WorkerArgs) -> anyhow::Result<()> {
    let opened = oncely::store::open(&args.store)
        .await
        .with_context(|| format!("opening store {}", args.store))?;
    let workflow = if args.arazzo {
        arazzo_checkout()?.workflow().clone()
    } else {
        order_saga()
    };
    let engine = Engine::new(client(&args.server, opened.store)?, opened.journal)
        .owner(args.owner.clone())
        .lease(Duration::from_millis(args.lease_ms))
        .register(workflow);
    let released = engine.release_own_leases().await?;
    if released > 0 {
        tracing::info!(owner = %args.owner, released, "restarted: released the leases of my previous life");
    }
    let stats = engine
        .work(args.concurrency, Duration::from_millis(20), true)
        .await?;
    tracing::info!(owner = %args.owner, ?stats, "no active runs left; exiting");
    Ok(())
}
