//! The campaign's verdict, computed from the server's ledger and request log
//! and the journal: what happened, and the numbers that must be 0.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use oncely::store::RunState;
use orders_server::{LedgerEntry, RequestRecord, SideEffect, Stats};
use serde::{Deserialize, Serialize};

/// One run as the journal ended it, with the ids its steps produced.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunView {
    /// The run id.
    pub run_id: String,
    /// Its final state (`None`: the run is missing from the journal).
    pub state: Option<RunState>,
    /// Whether the order was meant to be declined.
    pub declined: bool,
    /// The order the run created, if its step finished.
    pub order_id: Option<String>,
    /// Step actions started more than once (the worker running them was
    /// killed, or the step was retried).
    pub restarted_steps: u64,
}

/// The campaign's numbers.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Report {
    /// Store backend (`sqlite` or `postgres`).
    pub store: String,
    /// What the runs were: the hand-written saga or the Arazzo checkout.
    pub workflow: String,
    /// Sagas started.
    pub orders: usize,
    /// Worker processes.
    pub workers: usize,
    /// Workers SIGKILLed (and restarted).
    pub kills: u64,
    /// Step actions started more than once: re-sent with the same key after
    /// their worker was killed (or after a retryable failure).
    pub restarted_steps: u64,
    /// Runs with at least one such step.
    pub resumed_runs: u64,
    /// Wall time of the campaign in seconds.
    pub seconds: f64,
    /// Runs completed.
    pub completed: u64,
    /// Runs compensated.
    pub compensated: u64,
    /// Runs parked as needs_attention.
    pub parked: u64,
    /// Runs whose outcome differs from the plan (a card that should have been
    /// accepted compensated, e.g. after retries were spent); informative.
    pub unexpected_outcomes: u64,
    /// API requests the server received.
    pub requests: u64,
    /// Requests that re-sent a key already seen (client retries and resumed steps).
    pub resends: u64,
    /// Responses that were idempotent replays.
    pub replays: u64,
    /// Injected faults by kind.
    pub faults: BTreeMap<String, u64>,
    /// Side effects in the ledger.
    pub side_effects: u64,
    /// MUST BE 0: two ledger entries of one kind for one order.
    pub duplicate_side_effects: u64,
    /// MUST BE 0: side effects on an order no run knows (a second order).
    pub orphan_side_effects: u64,
    /// MUST BE 0: runs missing, unfinished, or finished with a ledger that
    /// does not match their state.
    pub lost_runs: u64,
    /// MUST BE 0: compensated runs whose order still has a live reservation,
    /// an unvoided payment, or is not cancelled.
    pub compensations_left_side_effects: u64,
    /// Examples of what went wrong (at most 20).
    pub problems: Vec<String>,
}

impl Report {
    /// The must-be-0 numbers that are not 0.
    pub fn failures(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (name, n) in [
            ("duplicate side effects", self.duplicate_side_effects),
            ("orphan side effects", self.orphan_side_effects),
            ("lost runs", self.lost_runs),
            (
                "compensations that left side effects",
                self.compensations_left_side_effects,
            ),
        ] {
            if n != 0 {
                out.push(format!("{name}: {n}"));
            }
        }
        out
    }

    /// The report as text.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "chaos campaign: {} orders ({}), {} worker processes, {} store",
            self.orders, self.workflow, self.workers, self.store
        );
        let _ = writeln!(
            s,
            "  duration                         {:.1} s",
            self.seconds
        );
        let _ = writeln!(s, "  workers SIGKILLed and restarted  {}", self.kills);
        let _ = writeln!(
            s,
            "  runs resumed mid-step            {} ({} steps re-sent with their key)",
            self.resumed_runs, self.restarted_steps
        );
        let _ = writeln!(s, "runs");
        let _ = writeln!(s, "  completed                        {}", self.completed);
        let _ = writeln!(s, "  compensated                      {}", self.compensated);
        let _ = writeln!(s, "  parked (needs_attention)         {}", self.parked);
        let _ = writeln!(
            s,
            "  unexpected outcomes              {}",
            self.unexpected_outcomes
        );
        let _ = writeln!(s, "traffic");
        let _ = writeln!(s, "  requests                         {}", self.requests);
        let _ = writeln!(s, "  retries (same key re-sent)       {}", self.resends);
        let _ = writeln!(s, "  idempotent replays               {}", self.replays);
        let faults: Vec<String> = self
            .faults
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let _ = writeln!(s, "  injected faults                  {}", faults.join(" "));
        let _ = writeln!(
            s,
            "  side effects in the ledger       {}",
            self.side_effects
        );
        let _ = writeln!(s, "must be 0");
        let _ = writeln!(
            s,
            "  duplicate side effects           {}",
            self.duplicate_side_effects
        );
        let _ = writeln!(
            s,
            "  orphan side effects              {}",
            self.orphan_side_effects
        );
        let _ = writeln!(s, "  lost runs                        {}", self.lost_runs);
        let _ = writeln!(
            s,
            "  compensations left side effects  {}",
            self.compensations_left_side_effects
        );
        for p in &self.problems {
            let _ = writeln!(s, "  ! {p}");
        }
        let failures = self.failures();
        let _ = writeln!(
            s,
            "verdict: {}",
            if failures.is_empty() {
                "OK".to_string()
            } else {
                format!("FAILED ({})", failures.join(", "))
            }
        );
        s
    }

    fn problem(&mut self, p: String) {
        if self.problems.len() < 20 {
            self.problems.push(p);
        }
    }
}

/// Checks the ledger and the request log against the runs.
pub fn analyse(
    mut report: Report,
    runs: &[RunView],
    ledger: &[LedgerEntry],
    requests: &[RequestRecord],
    stats: &Stats,
) -> Report {
    report.requests = stats.requests;
    report.replays = stats.replays;
    report.faults = stats.faults.clone();
    report.side_effects = ledger.len() as u64;
    let mut seen_keys = HashSet::new();
    report.resends = requests
        .iter()
        .filter_map(|r| {
            r.idempotency_key
                .as_ref()
                .map(|k| (k.clone(), r.method.clone(), r.path.clone()))
        })
        .filter(|k| !seen_keys.insert(k.clone()))
        .count() as u64;

    let mut counts: HashMap<(SideEffect, String), u64> = HashMap::new();
    for e in ledger {
        *counts.entry((e.kind, e.order_id.to_string())).or_default() += 1;
    }
    for ((kind, order), n) in &counts {
        if *n > 1 {
            report.duplicate_side_effects += n - 1;
            report.problem(format!("{} × {} for order {order}", n, kind.as_str()));
        }
    }
    let known: HashSet<&str> = runs.iter().filter_map(|r| r.order_id.as_deref()).collect();
    for e in ledger {
        if !known.contains(e.order_id.to_string().as_str()) {
            report.orphan_side_effects += 1;
            report.problem(format!(
                "{} on order {} that no run created",
                e.kind.as_str(),
                e.order_id
            ));
        }
    }

    report.restarted_steps = runs.iter().map(|r| r.restarted_steps).sum();
    report.resumed_runs = runs.iter().filter(|r| r.restarted_steps > 0).count() as u64;
    let n = |kind: SideEffect, order: &str| {
        counts.get(&(kind, order.to_string())).copied().unwrap_or(0)
    };
    for run in runs {
        match run.state {
            Some(RunState::Completed) => {
                report.completed += 1;
                report.unexpected_outcomes += u64::from(run.declined);
                let ok = run.order_id.as_deref().is_some_and(|o| {
                    [
                        SideEffect::OrderCreated,
                        SideEffect::InventoryReserved,
                        SideEffect::PaymentAuthorized,
                        SideEffect::ShipmentRequested,
                    ]
                    .iter()
                    .all(|k| n(*k, o) == 1)
                        && [
                            SideEffect::OrderCancelled,
                            SideEffect::ReservationReleased,
                            SideEffect::PaymentVoided,
                        ]
                        .iter()
                        .all(|k| n(*k, o) == 0)
                });
                if !ok {
                    report.lost_runs += 1;
                    report.problem(format!(
                        "run {} is completed but its ledger does not show exactly one of each step",
                        run.run_id
                    ));
                }
            }
            Some(RunState::Compensated) => {
                report.compensated += 1;
                report.unexpected_outcomes += u64::from(!run.declined);
                if let Some(o) = run.order_id.as_deref() {
                    let left = n(SideEffect::OrderCancelled, o) != 1
                        || n(SideEffect::InventoryReserved, o)
                            != n(SideEffect::ReservationReleased, o)
                        || n(SideEffect::PaymentAuthorized, o) != n(SideEffect::PaymentVoided, o);
                    if left {
                        report.compensations_left_side_effects += 1;
                        report.problem(format!(
                            "run {} is compensated but order {o} still has side effects",
                            run.run_id
                        ));
                    }
                }
            }
            Some(RunState::NeedsAttention) => {
                report.parked += 1;
                report.problem(format!("run {} is parked (needs attention)", run.run_id));
            }
            Some(state) => {
                report.lost_runs += 1;
                report.problem(format!("run {} never finished: {state}", run.run_id));
            }
            None => {
                report.lost_runs += 1;
                report.problem(format!("run {} is missing from the journal", run.run_id));
            }
        }
    }
    report
}
