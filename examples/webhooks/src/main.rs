//! `webhook-receiver --secret whsec_… [--store sqlite:hooks.db] [--port 0]`:
//! prints `listening on http://…/webhooks`, then receives until Ctrl-C.

use std::io::Write;

use anyhow::Context;
use clap::Parser;
use oncely::webhook::{StandardWebhooks, WebhookInbox};
use webhook_receiver::Receiver;

/// A webhook receiver processing each event once.
#[derive(Debug, Parser)]
struct Args {
    /// The signing secret, `whsec_<base64>`.
    #[arg(long)]
    secret: String,
    /// Where the inbox keeps its record (a SQLite file or postgres://…).
    #[arg(long, default_value = "sqlite:webhooks.db")]
    store: String,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let verifier = StandardWebhooks::new(&args.secret).context("--secret")?;
    let inbox = WebhookInbox::open(&args.store)
        .await
        .with_context(|| format!("opening {}", args.store))?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await?;
    let mut stdout = std::io::stdout();
    writeln!(
        stdout,
        "listening on http://{}/webhooks",
        listener.local_addr()?
    )?;
    stdout.flush()?;
    axum::serve(listener, Receiver::new(inbox, verifier).router())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
