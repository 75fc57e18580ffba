//! The outbox campaign at 400 rows with real application and dispatcher
//! processes and real SIGKILLs: on a SQLite file, and on PostgreSQL
//! (ONCELY_TEST_DATABASE_URL; unset fails under CI=true and is a loud skip
//! otherwise).

use std::process::Command;

use chaos::outbox::OutboxReport;

fn campaign(store: Option<&str>) -> OutboxReport {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let db = dir.path().join("app.db");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chaos"));
    cmd.args([
        "outbox",
        "--rows",
        "400",
        "--dispatchers",
        "3",
        "--seed",
        "5",
    ])
    .args(["--kill-every-ms", "80", "--kill-app-every-ms", "120"])
    .args(["--fault-rate", "0.15", "--timeout-secs", "120"])
    .arg("--store")
    .arg(store.map_or_else(|| db.display().to_string(), str::to_owned))
    .arg("--json")
    .arg(&json);
    let out = cmd.output().expect("running the chaos binary");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "campaign failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{stdout}");
    serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap()
}

fn check(report: &OutboxReport) {
    assert!(report.failures().is_empty(), "{}", report.render());
    // Rows 12, 25, … (every 13th) are rolled back; rows 5, 102, … (every
    // 97th) are refused for good and must be the only dead ones.
    assert_eq!(report.rolled_back, 30, "{}", report.render());
    assert_eq!(report.committed, 370, "{}", report.render());
    assert_eq!(report.dead, 5, "{}", report.render());
    assert_eq!(report.delivered, 365, "{}", report.render());
    assert!(report.dispatcher_kills >= 1, "{}", report.render());
}

#[test]
fn outbox_campaign_on_sqlite_with_sigkilled_application_and_dispatchers() {
    check(&campaign(None));
}

#[test]
fn outbox_campaign_on_postgres_with_sigkilled_application_and_dispatchers() {
    match std::env::var("ONCELY_TEST_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => check(&campaign(Some(&url))),
        _ if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") => {
            panic!("ONCELY_TEST_DATABASE_URL is not set under CI")
        }
        _ => eprintln!("SKIPPED outbox_campaign_on_postgres: ONCELY_TEST_DATABASE_URL is not set"),
    }
}
