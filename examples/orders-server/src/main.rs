//! `orders-server`: run the reference server from the command line.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Parser;
use orders_server::{spawn_at, ChaosConfig, FaultRule, ServerConfig, ServerState, WebhookConfig};
use serde::Deserialize;

/// Reference server for the oncely orders contract, with fault injection.
#[derive(Debug, Parser)]
#[command(name = "orders-server", version)]
struct Args {
    /// Port to listen on (0 picks a free one; the URL is printed).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Seed for random fault injection (enables chaos; rate defaults to 0.1).
    #[arg(long)]
    seed: Option<u64>,
    /// Probability in [0, 1] that an eligible request gets a random fault
    /// (enables chaos; seed defaults to 0).
    #[arg(long)]
    fault_rate: Option<f64>,
    /// Duration of 202 shipment operations in milliseconds.
    #[arg(long, default_value_t = 2000)]
    operation_ms: u64,
    /// `Retry-After` seconds on 202 and running-operation responses.
    #[arg(long, default_value_t = 1)]
    retry_after_secs: u64,
    /// Also send `retry-after-ms` with this value.
    #[arg(long)]
    retry_after_ms: Option<u64>,
    /// The reconnection time event streams announce in `retry:`, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    stream_retry_ms: u64,
    /// Make 202 `Location` headers absolute, pointing at this base URL.
    #[arg(long)]
    operation_location_base: Option<String>,
    /// Make the next-page links of the list endpoints point at this base URL.
    #[arg(long)]
    list_link_base: Option<String>,
    /// JSON file `{"rules": [...]}` of scripted fault rules to install.
    #[arg(long)]
    faults: Option<PathBuf>,
    /// Also serve the same data on a second origin (another free port), and
    /// point 202 `Location` headers at it; prints `secondary origin on URL`
    /// after the `listening on` line. For cross-origin client tests.
    #[arg(long)]
    secondary_origin: bool,
    /// POST signed webhooks (Standard Webhooks) for order changes to this URL.
    #[arg(long)]
    webhook_url: Option<String>,
    /// The webhooks' signing secret, `whsec_<base64>`.
    #[arg(long)]
    webhook_secret: Option<String>,
    /// Fault: deliver every Nth webhook event twice (1: every event).
    #[arg(long, default_value_t = 0)]
    webhook_duplicate_every: u32,
    /// Delay before the first webhook retry in milliseconds (doubling).
    #[arg(long, default_value_t = 100)]
    webhook_retry_ms: u64,
    /// Attempts per webhook delivery before giving up.
    #[arg(long, default_value_t = 8)]
    webhook_max_attempts: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultFile {
    rules: Vec<FaultRule>,
}

fn config_from(args: &Args) -> anyhow::Result<ServerConfig> {
    let chaos = match (args.seed, args.fault_rate) {
        (None, None) => None,
        (seed, rate) => {
            let rate = rate.unwrap_or(0.1);
            if !(0.0..=1.0).contains(&rate) {
                bail!("--fault-rate must be between 0 and 1, got {rate}");
            }
            Some(ChaosConfig::new(seed.unwrap_or(0), rate))
        }
    };
    let webhooks = match (&args.webhook_url, &args.webhook_secret) {
        (Some(url), Some(secret)) => {
            let mut config = WebhookConfig::new(url, secret).map_err(anyhow::Error::msg)?;
            config.duplicate_every = args.webhook_duplicate_every;
            config.retry_delay = Duration::from_millis(args.webhook_retry_ms);
            config.max_attempts = args.webhook_max_attempts;
            Some(config)
        }
        (Some(_), None) => bail!("--webhook-url needs --webhook-secret"),
        _ => None,
    };
    Ok(ServerConfig {
        webhooks,
        operation_duration: Duration::from_millis(args.operation_ms),
        retry_after_secs: args.retry_after_secs,
        retry_after_ms: args.retry_after_ms,
        stream_retry_ms: args.stream_retry_ms,
        chaos,
        operation_location_base: args.operation_location_base.clone(),
        list_link_base: args.list_link_base.clone(),
        ..ServerConfig::default()
    })
}

fn load_faults(path: &PathBuf) -> anyhow::Result<Vec<FaultRule>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read fault file {}", path.display()))?;
    let file: FaultFile = serde_json::from_str(&text)
        .with_context(|| format!("invalid fault file {}", path.display()))?;
    for (index, rule) in file.rules.iter().enumerate() {
        if let Err(why) = rule.validate() {
            bail!(
                "invalid fault file {}: rules[{index}]: {why}",
                path.display()
            );
        }
    }
    Ok(file.rules)
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let config = config_from(&args)?;
    let rules = match &args.faults {
        Some(path) => load_faults(path)?,
        None => Vec::new(),
    };
    let (state, secondary) = if args.secondary_origin {
        let secondary = spawn_at(
            ServerState::new(config.clone()),
            SocketAddr::new(args.host, 0),
        )
        .await
        .with_context(|| format!("cannot listen on {}:0", args.host))?;
        let primary = secondary.state().sibling(ServerConfig {
            operation_location_base: Some(secondary.base_url()),
            ..config
        });
        (primary, Some(secondary))
    } else {
        (ServerState::new(config), None)
    };
    for rule in rules {
        state.add_fault(rule);
    }
    let server = spawn_at(state, SocketAddr::new(args.host, args.port))
        .await
        .with_context(|| format!("cannot listen on {}:{}", args.host, args.port))?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "listening on {}", server.base_url())?;
    if let Some(secondary) = &secondary {
        writeln!(stdout, "secondary origin on {}", secondary.base_url())?;
    }
    stdout.flush()?;
    shutdown_signal().await;
    server.shutdown().await;
    if let Some(secondary) = secondary {
        secondary.shutdown().await;
    }
    Ok(())
}
