//! The demo's closing summary, computed from the client's outcomes and the
//! server's own ledger and request log.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use orders_server::{LedgerEntry, RequestRecord, Stats};
use serde::Deserialize;

use crate::saga::OrderOutcome;

/// What the server recorded.
pub struct Ledger {
    pub entries: Vec<LedgerEntry>,
    pub requests: Vec<RequestRecord>,
    pub stats: Stats,
}

#[derive(Deserialize)]
struct Entries {
    entries: Vec<LedgerEntry>,
}

#[derive(Deserialize)]
struct Requests {
    requests: Vec<RequestRecord>,
}

impl Ledger {
    /// Reads `/_admin/ledger`, `/_admin/requests` and `/_admin/stats`.
    pub async fn fetch(base_url: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::new();
        let get = |path: &str| http.get(format!("{base_url}{path}")).send();
        let entries: Entries = get("/_admin/ledger").await?.error_for_status()?.json().await?;
        let requests: Requests = get("/_admin/requests").await?.error_for_status()?.json().await?;
        let stats: Stats = get("/_admin/stats").await?.error_for_status()?.json().await?;
        Ok(Ledger { entries: entries.entries, requests: requests.requests, stats })
    }
}

/// The numbers the demo prints.
pub struct Report {
    pub orders: usize,
    pub completed: usize,
    pub compensated: usize,
    pub failed: usize,
    pub calls: u64,
    pub attempts: u64,
    pub server_requests: u64,
    pub replays: u64,
    pub polls: u64,
    pub faults: BTreeMap<String, u64>,
    pub problems: BTreeMap<String, u64>,
    pub side_effects: u64,
    pub duplicates: u64,
    pub errors: Vec<String>,
    pub elapsed: Duration,
}

impl Report {
    pub fn new(outcomes: &[OrderOutcome], ledger: &Ledger, elapsed: Duration) -> Self {
        let mut problems = BTreeMap::new();
        for p in outcomes.iter().flat_map(|o| &o.problems) {
            *problems.entry(p.clone()).or_insert(0) += 1;
        }
        // Each order has at most one side effect of each kind: a second one of
        // the same kind for the same order is a duplicate.
        let mut per_order: BTreeMap<(String, String), u64> = BTreeMap::new();
        for e in &ledger.entries {
            *per_order.entry((e.order_id.to_string(), e.kind.as_str().to_string())).or_insert(0) += 1;
        }
        let duplicates = per_order.values().map(|n| n.saturating_sub(1)).sum();
        Report {
            orders: outcomes.len(),
            completed: outcomes.iter().filter(|o| o.completed).count(),
            compensated: outcomes.iter().filter(|o| o.compensated).count(),
            failed: outcomes.iter().filter(|o| o.error.is_some()).count(),
            calls: outcomes.iter().map(|o| u64::from(o.calls)).sum(),
            attempts: outcomes.iter().map(|o| u64::from(o.attempts)).sum(),
            server_requests: ledger.stats.requests,
            replays: ledger.stats.replays,
            polls: ledger.requests.iter().filter(|r| r.route.as_deref() == Some("GET /operations/{operation_id}")).count() as u64,
            faults: ledger.stats.faults.clone(),
            problems,
            side_effects: ledger.entries.len() as u64,
            duplicates,
            errors: outcomes.iter().filter_map(|o| o.error.clone()).take(5).collect(),
            elapsed,
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let row = |f: &mut fmt::Formatter<'_>, k: &str, v: String| writeln!(f, "  {k:<34} {v:>10}");
        writeln!(f, "orders")?;
        row(f, "placed", self.orders.to_string())?;
        row(f, "shipped", self.completed.to_string())?;
        row(f, "compensated (payment declined)", self.compensated.to_string())?;
        row(f, "failed", self.failed.to_string())?;
        writeln!(f, "client")?;
        row(f, "calls", self.calls.to_string())?;
        row(f, "attempts (requests sent)", self.attempts.to_string())?;
        row(f, "retries", self.attempts.saturating_sub(self.calls).to_string())?;
        writeln!(f, "server")?;
        row(f, "requests received (incl. polls)", self.server_requests.to_string())?;
        row(f, "replays served (Idempotent-Replayed)", self.replays.to_string())?;
        row(f, "202 status polls", self.polls.to_string())?;
        for (fault, n) in &self.faults {
            row(f, &format!("faults injected: {fault}"), n.to_string())?;
        }
        for (problem, n) in &self.problems {
            let short = problem.rsplit('/').next().unwrap_or(problem);
            row(f, &format!("problems: {short}"), n.to_string())?;
        }
        writeln!(f, "ledger")?;
        row(f, "side effects", self.side_effects.to_string())?;
        row(f, "duplicate side effects", self.duplicates.to_string())?;
        row(f, "time", format!("{:.1?}", self.elapsed))?;
        for e in &self.errors {
            writeln!(f, "  error: {e}")?;
        }
        Ok(())
    }
}
