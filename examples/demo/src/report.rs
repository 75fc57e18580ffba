//! The demo's closing summary: what the runs ended as, what the server saw,
//! and the ledger checks (shared with the chaos campaign) that prove nothing
//! happened twice.

use std::fmt;
use std::time::Duration;

use chaos::report::{analyse, Report, RunView};
use oncely::store::Journal;
use oncely::workflow::RunOutcome;
use orders_server::{LedgerEntry, RequestRecord, Stats};
use serde::Deserialize;

/// Everything the demo prints.
pub struct Summary {
    report: Report,
    polls: u64,
    statuses: Vec<(String, u64)>,
    errors: Vec<String>,
    elapsed: Duration,
}

#[derive(Deserialize)]
struct Entries {
    entries: Vec<LedgerEntry>,
}

#[derive(Deserialize)]
struct Requests {
    requests: Vec<RequestRecord>,
}

impl Summary {
    /// Reads the server's ledger, request log and stats over HTTP (so it works
    /// with `--server` too) and checks them against the runs.
    pub async fn collect(
        base_url: &str,
        journal: &dyn Journal,
        runs: &[(String, bool, Result<RunOutcome, String>)],
        elapsed: Duration,
        started: usize,
    ) -> anyhow::Result<Self> {
        let http = reqwest::Client::new();
        let get = |path: &str| http.get(format!("{base_url}{path}")).send();
        let ledger: Entries = get("/_admin/ledger")
            .await?
            .error_for_status()?
            .json()
            .await?;
        let requests: Requests = get("/_admin/requests")
            .await?
            .error_for_status()?
            .json()
            .await?;
        let stats: Stats = get("/_admin/stats")
            .await?
            .error_for_status()?
            .json()
            .await?;

        let mut views = Vec::with_capacity(runs.len());
        let mut errors = Vec::new();
        for (run_id, declined, outcome) in runs {
            let state = match outcome {
                Ok(o) => Some(o.state),
                Err(e) => {
                    errors.push(format!("{run_id}: {e}"));
                    None
                }
            };
            let (order_id, restarted_steps) = chaos::supervisor::order_of(journal, run_id).await?;
            views.push(RunView {
                run_id: run_id.clone(),
                state,
                declined: *declined,
                order_id,
                restarted_steps,
            });
        }
        let base = Report {
            store: "sqlite".into(),
            orders: started,
            workers: 1,
            seconds: elapsed.as_secs_f64(),
            ..Report::default()
        };
        let report = analyse(base, &views, &ledger.entries, &requests.requests, &stats);
        let polls = requests
            .requests
            .iter()
            .filter(|r| r.route.as_deref() == Some("GET /operations/{operation_id}"))
            .count() as u64;
        let statuses = stats
            .statuses
            .iter()
            .filter(|(s, _)| !s.starts_with('2'))
            .map(|(s, n)| (s.clone(), *n))
            .collect();
        Ok(Summary {
            report,
            polls,
            statuses,
            errors,
            elapsed,
        })
    }

    /// The checks that must all be 0, named, when they are not.
    pub fn failures(&self) -> Vec<String> {
        let mut out = self.report.failures();
        if !self.errors.is_empty() {
            out.push(format!("{} runs ended in an error", self.errors.len()));
        }
        out
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.report;
        let row = |f: &mut fmt::Formatter<'_>, k: &str, v: String| writeln!(f, "  {k:<40} {v:>8}");
        writeln!(
            f,
            "order workflows (sagas and Arazzo checkouts on the SQLite journal)"
        )?;
        row(f, "started", r.orders.to_string())?;
        row(f, "completed (shipped)", r.completed.to_string())?;
        row(
            f,
            "compensated (payment declined)",
            r.compensated.to_string(),
        )?;
        row(f, "parked (needs_attention)", r.parked.to_string())?;
        writeln!(f, "on the wire")?;
        row(f, "requests received (incl. polls)", r.requests.to_string())?;
        row(
            f,
            "retries (re-sends with the same key)",
            r.resends.to_string(),
        )?;
        row(
            f,
            "replays served (Idempotent-Replayed)",
            r.replays.to_string(),
        )?;
        row(f, "202 status polls", self.polls.to_string())?;
        for (fault, n) in &r.faults {
            row(f, &format!("faults injected: {fault}"), n.to_string())?;
        }
        for (status, n) in &self.statuses {
            let what = match status.as_str() {
                "402" => "problems: 402 payment declined",
                "409" => "problems: 409 key in flight",
                "429" => "problems: 429 too many requests",
                "500" => "problems: 500 internal error",
                "503" => "problems: 503 unavailable",
                "dropped" => "connections dropped after commit",
                other => other,
            };
            row(f, what, n.to_string())?;
        }
        writeln!(f, "ledger")?;
        row(f, "side effects", r.side_effects.to_string())?;
        row(
            f,
            "duplicate side effects",
            r.duplicate_side_effects.to_string(),
        )?;
        row(f, "lost runs", r.lost_runs.to_string())?;
        row(
            f,
            "compensations that left side effects",
            r.compensations_left_side_effects.to_string(),
        )?;
        row(f, "time", format!("{:.1?}", self.elapsed))?;
        for e in self.errors.iter().take(5) {
            writeln!(f, "  error: {e}")?;
        }
        Ok(())
    }
}
