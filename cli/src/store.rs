//! The `--store LOCATION` argument shared by `oncely runs`, `oncely outbox`
//! and `oncely console`, and opening what it names. The location strings
//! themselves (a SQLite file, `sqlite:PATH`, a `postgres://` URL with
//! `?oncely_schema=NAME`) are read by `oncely::store::open`; this module adds
//! only what a command line needs on top.

use std::path::Path;

use anyhow::{bail, Context as _};
use clap::Args;
use oncely::outbox::Outbox;
use oncely::store::OpenedStore;

/// The store a command works on.
#[derive(Debug, Clone, Args)]
pub struct StoreArg {
    /// The store: a SQLite file path or a postgres:// URL (add
    /// `?oncely_schema=NAME` for a schema other than `oncely`).
    #[arg(long)]
    pub store: String,
}

/// Opens the store of workflow runs and idempotency records at `location`.
/// A SQLite file must exist already: an inspecting command that created an
/// empty store at a mistyped path would show nothing instead of the mistake.
pub async fn open_store(location: &str) -> anyhow::Result<OpenedStore> {
    let is_url = location.starts_with("postgres://")
        || location.starts_with("postgresql://")
        || location == "memory:";
    if !is_url {
        let path = location.strip_prefix("sqlite:").unwrap_or(location);
        if !Path::new(path).exists() {
            bail!(
                "no store at {path} (give the SQLite file your workers use, or a postgres:// URL)"
            );
        }
    }
    oncely::store::open(location)
        .await
        .with_context(|| format!("opening store {location}"))
}

/// Opens (installing or migrating) the outbox at `location`.
pub async fn open_outbox(location: &str) -> anyhow::Result<Outbox> {
    Outbox::open(location)
        .await
        .with_context(|| format!("opening the outbox at {location}"))
}
