//! `oncely runs list|show|resume|retry` on a SQLite store written through the
//! `oncely` journal, and typed errors for stores that cannot be opened.

mod common;

use std::path::Path;
use std::time::Duration;

use common::oncely;
use oncely::store::{Journal, JournalWrite, NewEvent, NewRun, RunState};

/// A store with two runs of workflow `order`: `r-active` (pending) and
/// `r-parked` (needs_attention after step `a` failed to compensate).
fn seed(path: &Path) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let store = oncely::SqliteStore::open(path).expect("opens the store");
        let new = |id: &str| NewRun {
            run_id: id.into(),
            workflow: "order".into(),
            fingerprint: "fp".into(),
            steps: vec!["a".into()],
            input: serde_json::json!({}),
            trace_context: None,
        };
        store.create_run(&new("r-active")).await.expect("creates");
        store.create_run(&new("r-parked")).await.expect("creates");
        store
            .acquire("r-parked", "w", Duration::from_secs(60))
            .await
            .expect("acquires");
        let park = JournalWrite {
            step: None,
            state: Some(RunState::NeedsAttention),
            error: Some(serde_json::json!({"step": "a", "error": {"message": "void failed"}})),
            event: NewEvent {
                kind: "parked".into(),
                step: Some("a".into()),
                phase: None,
                attempt: None,
                detail: None,
            },
        };
        assert!(store
            .write("r-parked", "w", Duration::from_secs(60), &park)
            .await
            .expect("writes"));
    });
}

#[test]
fn list_show_resume_retry_on_a_sqlite_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.db");
    seed(&path);
    let p = path.to_str().expect("a UTF-8 path");

    let run = oncely(["runs", "list", "--store", p]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout.contains("r-active")
            && run.stdout.contains("r-parked")
            && run.stdout.contains("2 run(s)"),
        "{}",
        run.stdout
    );
    let run = oncely(["runs", "list", "--store", p, "--state", "needs_attention"]);
    assert!(
        run.stdout.contains("a: void failed") && !run.stdout.contains("r-active"),
        "{}",
        run.stdout
    );
    let run = oncely(["runs", "list", "--store", p, "--json"]);
    let runs: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(runs.as_array().map(Vec::len), Some(2), "{runs}");

    let run = oncely(["runs", "show", "r-parked", "--store", p]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout.contains("needs_attention") && run.stdout.contains("parked"),
        "{}",
        run.stdout
    );
    let run = oncely(["runs", "show", "r-parked", "--store", p, "--json"]);
    let shown: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(shown["run"]["state"], "needs_attention", "{shown}");

    let run = oncely(["runs", "retry", "r-parked", "--store", p]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout.contains("compensating") && run.stdout.contains("generation 1"),
        "{}",
        run.stdout
    );
    let run = oncely(["runs", "resume", "r-active", "--store", p]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.contains("marked for pickup"), "{}", run.stdout);
}

#[test]
fn refusals_exit_1_with_the_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.db");
    seed(&path);
    let p = path.to_str().expect("a UTF-8 path");
    for (args, needle) in [
        (vec!["retry", "r-active"], "pending"),
        (vec!["show", "nope"], "no workflow run \"nope\""),
        (vec!["list", "--state", "bogus"], "unknown state \"bogus\""),
    ] {
        let mut argv = vec!["runs"];
        argv.extend(&args);
        argv.extend(["--store", p]);
        let run = oncely(&argv);
        assert_eq!(run.code, Some(1), "{args:?}: {}", run.stdout);
        assert!(
            run.stderr.starts_with("error: "),
            "{args:?}: {}",
            run.stderr
        );
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
    }
}

#[test]
fn a_store_that_does_not_exist_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("x.db");
    let missing = missing.to_str().expect("a UTF-8 path");
    let run = oncely(["runs", "list", "--store", missing]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains(&format!("no store at {missing}")),
        "{}",
        run.stderr
    );
    // Nothing was created where the user pointed by mistake.
    assert!(!Path::new(missing).exists());
}

#[test]
fn a_malformed_postgres_url_is_named() {
    let url = "postgres://localhost:notaport/db";
    let run = oncely(["runs", "list", "--store", url]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr
            .starts_with(&format!("error: opening store {url}")),
        "{}",
        run.stderr
    );
}
