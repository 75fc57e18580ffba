//! `oncely outbox dispatch|list|show|retry|discard|stats --store LOC`: deliver
//! an application's outbox rows as a daemon, and inspect and steer them (a
//! SQLite file or a `postgres://` URL).
//!
//! - `dispatch` delivers rows to `--base-url` until interrupted (Ctrl-C or
//!   SIGTERM: deliveries under way finish and are recorded first), or with
//!   `--once` until nothing is due. Credentials are added at send time from
//!   the environment (`--bearer-env VAR`), never stored in rows. Any number
//!   of dispatchers may run on one PostgreSQL outbox.
//! - `retry ID` sends a dead row again with its original key; `discard ID`
//!   marks a dead or pending row never to be sent (it is kept).

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use oncely::outbox::{Dispatcher, OutboxFilter, OutboxRow, OutboxState};
use oncely::workflow::format_time;

use crate::store::{open_outbox as open, StoreArg};

/// `oncely outbox …`
#[derive(Debug, Args)]
pub struct OutboxArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: OutboxCommand,
}

/// The `outbox` subcommands.
#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Deliver rows until interrupted (or, with --once, until nothing is due).
    Dispatch {
        #[command(flatten)]
        store: StoreArg,
        /// The API the rows' paths are relative to.
        #[arg(long)]
        base_url: String,
        /// Deliveries at once.
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        /// Deliveries started per second at most.
        #[arg(long)]
        rate: Option<f64>,
        /// The name leases are taken under (default: dispatcher-PID-RANDOM).
        #[arg(long)]
        owner: Option<String>,
        /// Claims of a row before a retryable failure makes it dead.
        #[arg(long, default_value_t = 10)]
        max_attempts: u32,
        /// How long a claim lasts without being extended, in milliseconds.
        #[arg(long, default_value_t = 30_000)]
        lease_ms: u64,
        /// Send `Authorization: Bearer $VAR` (the variable's value).
        #[arg(long, value_name = "VAR")]
        bearer_env: Option<String>,
        /// Stop when nothing is due.
        #[arg(long)]
        once: bool,
    },
    /// List rows, newest first.
    List {
        #[command(flatten)]
        store: StoreArg,
        /// Only rows in this state: pending, in_flight, delivered, dead, discarded.
        #[arg(long)]
        state: Option<String>,
        /// Only rows of this partition.
        #[arg(long)]
        partition: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one row whole: the call, its attempts, its last error or answer.
    Show {
        /// The row id.
        id: i64,
        #[command(flatten)]
        store: StoreArg,
    },
    /// Send a dead row again, with its original idempotency key.
    Retry {
        /// The row id.
        id: i64,
        #[command(flatten)]
        store: StoreArg,
    },
    /// Never send a dead or pending row (it is kept, marked discarded).
    Discard {
        /// The row id.
        id: i64,
        #[command(flatten)]
        store: StoreArg,
    },
    /// Rows per state and the age of the oldest pending row.
    Stats {
        #[command(flatten)]
        store: StoreArg,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs the command and maps the result to an exit code (0 ok, 1 error).
pub fn main(args: OutboxArgs) -> ExitCode {
    crate::workflow::on_runtime(async move {
        print!("{}", execute(args).await?);
        Ok(ExitCode::SUCCESS)
    })
}

/// Runs the command and returns what it prints.
pub async fn execute(args: OutboxArgs) -> anyhow::Result<String> {
    match args.command {
        OutboxCommand::Dispatch {
            store,
            base_url,
            concurrency,
            rate,
            owner,
            max_attempts,
            lease_ms,
            bearer_env,
            once,
        } => {
            let outbox = open(&store.store).await?;
            // The rows are the record of every call: a local record of a final
            // answer would answer an operator's retry instead of the server.
            let mut client = oncely::Client::builder(&base_url).store(oncely::store::NullStore);
            if let Some(var) = bearer_env {
                let token = std::env::var(&var)
                    .with_context(|| format!("--bearer-env {var}: the variable is not set"))?;
                client = client.bearer_token(token);
            }
            let client = client
                .build()
                .with_context(|| format!("--base-url {base_url}"))?;
            let mut dispatcher = Dispatcher::new(outbox.clone(), client)
                .concurrency(concurrency)
                .max_attempts(max_attempts)
                .lease(Duration::from_millis(lease_ms));
            if let Some(owner) = owner {
                dispatcher = dispatcher.owner(owner);
            }
            if let Some(rate) = rate {
                dispatcher = dispatcher.rate_limit(rate);
            }
            eprintln!(
                "oncely outbox: dispatching {} to {base_url} as {} ({} at once)",
                outbox.location(),
                dispatcher.settings().owner,
                dispatcher.settings().concurrency
            );
            let report = if once {
                dispatcher.drain().await?
            } else {
                dispatcher.run_until(shutdown_signal()).await?
            };
            let stats = outbox.stats().await?;
            Ok(format!(
                "delivered {}, retried {}, dead {}, lease lost {}; now pending {}, dead {}\n",
                report.delivered,
                report.retried,
                report.dead,
                report.lease_lost,
                stats.pending,
                stats.dead
            ))
        }
        OutboxCommand::List {
            store,
            state,
            partition,
            limit,
            json,
        } => {
            let state = state
                .map(|s| {
                    OutboxState::parse(&s).with_context(|| {
                        format!(
                            "unknown state {s:?} (one of: pending, in_flight, delivered, dead, discarded)"
                        )
                    })
                })
                .transpose()?;
            let outbox = open(&store.store).await?;
            let rows = outbox
                .list(&OutboxFilter {
                    state,
                    partition,
                    limit: Some(limit),
                })
                .await?;
            if json {
                return Ok(format!("{}\n", serde_json::to_string_pretty(&rows)?));
            }
            let mut out = format!(
                "{:>8} {:<10} {:<7} {:<36} {:<16} {:>8} {:<24}  last error\n",
                "id", "state", "method", "path", "partition", "attempts", "created"
            );
            for row in &rows {
                out.push_str(&format!(
                    "{:>8} {:<10} {:<7} {:<36} {:<16} {:>8} {:<24}  {}\n",
                    row.id,
                    row.state.as_str(),
                    row.method,
                    row.path_template,
                    row.partition.as_deref().unwrap_or("-"),
                    row.attempts,
                    format_time(row.created_ms),
                    last_error(row)
                ));
            }
            out.push_str(&format!("{} row(s)\n", rows.len()));
            Ok(out)
        }
        OutboxCommand::Show { id, store } => {
            let outbox = open(&store.store).await?;
            let row = outbox.get(id).await?;
            let mut shown = serde_json::to_value(&row)?;
            shown["idempotency_key"] = row.idempotency_key().into();
            Ok(format!("{}\n", serde_json::to_string_pretty(&shown)?))
        }
        OutboxCommand::Retry { id, store } => {
            let row = open(&store.store).await?.retry(id).await?;
            Ok(format!(
                "row {} is pending again: it is sent with its original key {}\n",
                row.id,
                row.idempotency_key()
            ))
        }
        OutboxCommand::Discard { id, store } => {
            let row = open(&store.store).await?.discard(id).await?;
            Ok(format!(
                "row {} is discarded: it is kept and never sent\n",
                row.id
            ))
        }
        OutboxCommand::Stats { store, json } => {
            let stats = open(&store.store).await?.stats().await?;
            if json {
                return Ok(format!("{}\n", serde_json::to_string_pretty(&stats)?));
            }
            Ok(format!(
                "pending {}\nin_flight {}\ndelivered {}\ndead {}\ndiscarded {}\noldest pending {} ms\n",
                stats.pending,
                stats.in_flight,
                stats.delivered,
                stats.dead,
                stats.discarded,
                stats.oldest_pending_age_ms
            ))
        }
    }
}

/// A row's last error in one line.
fn last_error(row: &OutboxRow) -> String {
    let Some(error) = &row.last_error else {
        return String::new();
    };
    let status = error
        .get("status")
        .and_then(|s| s.as_u64())
        .map(|s| format!("{s} "))
        .unwrap_or_default();
    let message = error
        .pointer("/problem/title")
        .or_else(|| error.get("error"))
        .and_then(|m| m.as_str())
        .unwrap_or("");
    format!("{status}{message}")
}

/// Completes on Ctrl-C or SIGTERM.
pub(crate) async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
