//! `oncely console --store LOC [--listen ADDR] [--allow-remote] [--token-env NAME]`:
//! a web page over a store — workflow runs with their step timelines,
//! idempotency intents with their recorded answers, and the outbox's pending,
//! in-flight and dead rows — with the actions an operator takes (resume a
//! run, retry a parked run, retry or discard a dead row), updated live while
//! runs progress.
//!
//! One concept per file: this one has the arguments and serving; `auth` the
//! login token, sessions and CSRF; `routes` the pages and actions; `pages`
//! the HTML; `live` the change feed; `redact` what is never shown; `assets/`
//! the stylesheet and script, embedded in the binary (no network needed).
//!
//! Security: it listens on loopback unless `--allow-remote` is given for
//! another address; every page needs a session opened with the login token
//! (printed at start, or read from `--token-env NAME` /
//! `ONCELY_CONSOLE_TOKEN`); every action also needs the session's CSRF token
//! and an `Origin` matching the console; values are HTML-escaped and
//! credentials redacted.

mod auth;
mod live;
mod pages;
mod redact;
mod routes;

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use oncely::outbox::Outbox;

use crate::store::{open_store, StoreArg};
use auth::{Auth, TokenSource};
use routes::Console;

/// `oncely console …`
#[derive(Debug, Args)]
pub struct ConsoleArgs {
    #[command(flatten)]
    store: StoreArg,
    /// The address to serve on (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:7700")]
    listen: SocketAddr,
    /// Allow a --listen address other than loopback (anyone who can reach
    /// it and has the token can steer runs; put TLS in front).
    #[arg(long)]
    allow_remote: bool,
    /// Read the login token from this environment variable instead of
    /// generating one (default variable: ONCELY_CONSOLE_TOKEN, if set).
    #[arg(long, value_name = "NAME")]
    token_env: Option<String>,
    /// How often the store is looked at for live updates, in milliseconds.
    #[arg(long, default_value_t = 500)]
    poll_ms: u64,
}

/// Runs the console until interrupted; exit code 1 on an error.
pub fn main(args: ConsoleArgs) -> ExitCode {
    crate::workflow::on_runtime(serve(args))
}

/// The `Host` values a console listening on `addr` answers to: its address,
/// and `localhost` with its port when it is loopback.
fn own_hosts(addr: SocketAddr) -> Vec<String> {
    let port = addr.port();
    let mut hosts = vec![addr.to_string(), format!("localhost:{port}")];
    if addr.ip().is_loopback() {
        hosts.push(format!("127.0.0.1:{port}"));
        hosts.push(format!("[::1]:{port}"));
    }
    hosts.sort();
    hosts.dedup();
    hosts
}

/// Opens the store, binds, prints where to log in, and serves until Ctrl-C
/// or SIGTERM.
pub async fn serve(args: ConsoleArgs) -> anyhow::Result<ExitCode> {
    let loopback = args.listen.ip().is_loopback();
    if !loopback && !args.allow_remote {
        anyhow::bail!(
            "--listen {}: not a loopback address; the console steers runs, so it listens on \
             127.0.0.1 or ::1 unless --allow-remote is given",
            args.listen
        );
    }
    let (token, source) = auth::login_token(args.token_env.as_deref())?;
    let location = args.store.store;
    let store = open_store(&location).await?;
    let outbox = Outbox::open_existing(&location)
        .await
        .with_context(|| format!("looking for an outbox at {location}"))?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("--listen {}", args.listen))?;
    let addr = listener.local_addr().context("the bound address")?;
    let hosts = (!args.allow_remote).then(|| own_hosts(addr));
    let console = Arc::new(Console::new(
        store,
        location,
        outbox,
        Auth::new(token.clone()),
        hosts,
    ));
    if !loopback {
        eprintln!(
            "oncely console: warning: listening on {addr}, beyond this machine: anyone who \
             reaches it with the token can steer runs, and the connection is not encrypted"
        );
    }
    let base = format!("http://{addr}");
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "oncely console: {} on {base}",
        console.store.description
    )?;
    match &source {
        TokenSource::Generated => {
            writeln!(out, "oncely console: log in at {base}/login?token={token}")?
        }
        TokenSource::Env(name) => writeln!(
            out,
            "oncely console: log in at {base}/login with the token in ${name}"
        )?,
    }
    out.flush()?;
    drop(out);
    tokio::spawn(live::watch_store(
        console.clone(),
        console.changes.clone(),
        Duration::from_millis(args.poll_ms.max(50)),
    ));
    axum::serve(listener, routes::router(console))
        .with_graceful_shutdown(crate::outbox::shutdown_signal())
        .await
        .context("serving")?;
    Ok(ExitCode::SUCCESS)
}
