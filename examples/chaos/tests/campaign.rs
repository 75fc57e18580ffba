//! The chaos campaign at 100 orders with real worker processes and real
//! SIGKILLs: on a SQLite file, and on PostgreSQL (ONCELY_TEST_DATABASE_URL;
//! unset fails under CI=true and is a loud skip otherwise) — each with the
//! hand-written saga and with the Arazzo checkout run by the interpreter.

use std::process::Command;

use chaos::report::Report;

fn campaign(store: Option<&str>, arazzo: bool) -> Report {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chaos"));
    cmd.args([
        "run",
        "--orders",
        "100",
        "--workers",
        "3",
        "--concurrency",
        "6",
        "--kill-every-ms",
        "150",
        "--seed",
        "11",
    ])
    .args(["--fault-rate", "0.15", "--timeout-secs", "100"])
    .arg("--json")
    .arg(&json);
    if arazzo {
        cmd.arg("--arazzo");
    }
    match store {
        Some(store) => {
            cmd.args(["--store", store]);
        }
        None => {
            cmd.arg("--store").arg(dir.path().join("chaos.db"));
        }
    }
    let out = cmd.output().expect("running the chaos binary");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "campaign failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    let report: Report = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    println!("{stdout}");
    report
}

fn check(report: &Report) {
    assert!(report.failures().is_empty(), "{}", report.render());
    assert_eq!(
        report.completed + report.compensated + report.parked,
        100,
        "{}",
        report.render()
    );
    assert_eq!(
        report.compensated,
        10,
        "every 10th order is declined and compensated: {}",
        report.render()
    );
    assert!(
        report.kills >= 1,
        "workers were SIGKILLed: {}",
        report.render()
    );
    assert!(
        report.faults.values().sum::<u64>() > 0,
        "faults were injected"
    );
    assert!(
        report.resends > 0 && report.replays > 0,
        "keys were re-sent and replayed: {}",
        report.render()
    );
}

#[test]
fn campaign_on_sqlite_with_sigkilled_workers() {
    check(&campaign(None, false));
}

#[test]
fn arazzo_campaign_on_sqlite_with_sigkilled_workers() {
    let report = campaign(None, true);
    assert_eq!(report.workflow, "arazzo checkout");
    check(&report);
}

#[test]
fn campaign_on_postgres_with_sigkilled_workers() {
    if let Some(url) = postgres_url("campaign_on_postgres_with_sigkilled_workers") {
        check(&campaign(Some(&url), false));
    }
}

#[test]
fn arazzo_campaign_on_postgres_with_sigkilled_workers() {
    if let Some(url) = postgres_url("arazzo_campaign_on_postgres_with_sigkilled_workers") {
        check(&campaign(Some(&url), true));
    }
}

/// The test database, or `None` (a loud skip) when it is not set outside CI.
fn postgres_url(test: &str) -> Option<String> {
    match std::env::var("ONCELY_TEST_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") => {
            panic!("ONCELY_TEST_DATABASE_URL is not set under CI: start one with scripts/pg-test-server.sh start")
        }
        _ => {
            eprintln!("SKIPPED {test}: ONCELY_TEST_DATABASE_URL is not set");
            None
        }
    }
}
