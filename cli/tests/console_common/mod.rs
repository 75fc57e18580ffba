//! Shared by the console's tests: the `oncely console` process on an
//! ephemeral loopback port, an HTTP client that follows no redirects, a
//! logged-in session, and stores seeded with runs (one with hostile step
//! output), intents and outbox rows.
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use oncely::store::{
    IntentRecord, Journal, JournalWrite, NewEvent, NewRun, RunState, StepPhase, StepStatus,
    StepUpdate, Store, StoredOutcome,
};
use serde_json::json;

/// The login token the tests configure through `ONCELY_CONSOLE_TOKEN`.
pub const TOKEN: &str = "test-token-0123456789abcdef";

/// A running `oncely console`, killed when dropped.
pub struct Console {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The login line it printed.
    pub login_line: String,
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `oncely console --store STORE --listen 127.0.0.1:0 EXTRA…` with
/// `env` set, and reads the two lines it prints (where it serves, where to
/// log in).
pub fn start(store: &str, env: &[(&str, &str)], extra: &[&str]) -> Console {
    let mut command = Command::new(env!("CARGO_BIN_EXE_oncely"));
    command
        .args([
            "console",
            "--store",
            store,
            "--listen",
            "127.0.0.1:0",
            "--poll-ms",
            "100",
        ])
        .args(extra)
        .env_remove("ONCELY_CONSOLE_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("oncely console starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let serving = lines
        .next()
        .expect("a line saying where it serves")
        .expect("UTF-8");
    let login_line = lines.next().expect("a login line").expect("UTF-8");
    let base = serving
        .rsplit_once(" on ")
        .map(|(_, url)| url.to_string())
        .unwrap_or_else(|| panic!("no address in {serving:?}"));
    assert!(base.starts_with("http://127.0.0.1:"), "{serving}");
    // Keep draining stdout so the process never blocks on it.
    std::thread::spawn(move || for _ in lines {});
    Console {
        child,
        base,
        login_line,
    }
}

/// A console with the test token configured.
pub fn start_with_token(store: &str) -> Console {
    start(store, &[("ONCELY_CONSOLE_TOKEN", TOKEN)], &[])
}

/// An HTTP client that shows redirects instead of following them.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

/// A logged-in session: its cookie header value and its CSRF token.
pub struct Session {
    /// `oncely_console=…`.
    pub cookie: String,
    /// The token the session's forms carry.
    pub csrf: String,
}

/// Logs in with `token` and reads the CSRF token from the runs page.
pub async fn log_in(console: &Console, token: &str) -> Session {
    let client = http();
    let response = client
        .get(format!("{}/login", console.base))
        .query(&[("token", token)])
        .send()
        .await
        .expect("login answers");
    assert_eq!(response.status(), 303, "login redirects");
    let set_cookie = response
        .headers()
        .get("set-cookie")
        .expect("a session cookie")
        .to_str()
        .expect("ASCII")
        .to_string();
    let cookie = set_cookie
        .split(';')
        .next()
        .expect("name=value")
        .to_string();
    let page = client
        .get(format!("{}/", console.base))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("runs page")
        .text()
        .await
        .expect("body");
    Session {
        csrf: csrf_of(&page),
        cookie,
    }
}

/// The CSRF token in a page's forms.
pub fn csrf_of(page: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = page.find(marker).expect("a form with a CSRF token") + marker.len();
    let len = page[start..].find('"').expect("closing quote");
    page[start..start + len].to_string()
}

/// A step output meant to break out of HTML text and attributes, with a
/// secret-named member.
pub fn hostile_output() -> serde_json::Value {
    json!({
        "note": "<script>alert(1)</script>",
        "attr": "\" onmouseover=\"alert(2)\" x=\"",
        "api_token": "t0k3n-never-shown",
    })
}

/// The hostile run's id.
pub const HOSTILE_RUN: &str = "r-<b>hostile</b>\"'";

/// The trace context every seeded run records; its trace id is on the run's page.
pub const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// Seeds `journal` with workflow `order` runs: `r-active` (pending),
/// `r-parked` (needs_attention, step `a` succeeded and its compensation
/// failed) and [`HOSTILE_RUN`] (completed, step `a`'s output
/// [`hostile_output`]).
pub async fn seed_runs(journal: &dyn Journal) {
    let lease = Duration::from_secs(60);
    let new = |id: &str| NewRun {
        run_id: id.into(),
        workflow: "order".into(),
        fingerprint: "fp".into(),
        steps: vec!["a".into()],
        input: json!({"customer": "c-1"}),
        trace_context: Some(TRACEPARENT.into()),
    };
    journal.create_run(&new("r-active")).await.expect("creates");
    journal.create_run(&new("r-parked")).await.expect("creates");
    journal
        .acquire("r-parked", "w", lease)
        .await
        .expect("acquires");
    let ok = StepUpdate::new(0, StepPhase::Action, "a", "key-a", StepStatus::Succeeded)
        .with_output(json!({"id": "o-1"}));
    let failed = StepUpdate::new(
        0,
        StepPhase::Compensation,
        "a",
        "key-a-void",
        StepStatus::Failed,
    )
    .new_attempt()
    .with_error(json!({"message": "void failed", "status": 500}));
    let writes = [
        JournalWrite::step(ok, "step_succeeded", Some(1)),
        JournalWrite::step(failed, "compensation_failed", Some(1)),
        JournalWrite {
            step: None,
            state: Some(RunState::NeedsAttention),
            error: Some(
                json!({"step": "a", "phase": "compensation", "error": {"message": "void failed"}}),
            ),
            event: NewEvent::new("parked"),
        },
    ];
    assert!(journal
        .write_all("r-parked", "w", lease, &writes)
        .await
        .expect("writes"));
    journal
        .create_run(&new(HOSTILE_RUN))
        .await
        .expect("creates");
    journal
        .acquire(HOSTILE_RUN, "w", lease)
        .await
        .expect("acquires");
    let hostile = StepUpdate::new(0, StepPhase::Action, "a", "key-h", StepStatus::Succeeded)
        .with_output(hostile_output());
    let writes = [
        JournalWrite::step(hostile, "step_succeeded", Some(1)),
        JournalWrite::run_state(RunState::Completed, "completed"),
    ];
    assert!(journal
        .write_all(HOSTILE_RUN, "w", lease, &writes)
        .await
        .expect("writes"));
}

/// Seeds `store` with two intents: `k-open` in flight, `k-done` answered
/// 201 with a `Set-Cookie` header that must never be shown.
pub async fn seed_intents(store: &dyn Store) {
    let record = |key: &str| {
        IntentRecord::in_flight(
            key.into(),
            Some(format!("intent-{key}")),
            "POST".into(),
            "/orders".into(),
            "fp".into(),
            Duration::from_secs(3600),
        )
    };
    store.begin(record("k-open")).await.expect("begins");
    store.begin(record("k-done")).await.expect("begins");
    store
        .complete(
            "k-done",
            StoredOutcome {
                status: 201,
                headers: vec![
                    ("content-type".into(), "application/json".into()),
                    ("set-cookie".into(), "session=cookie-never-shown".into()),
                ],
                body: br#"{"id":"o-9","note":"<script>alert(4)</script>"}"#.to_vec(),
                completed_ms: oncely::store::now_millis(),
            },
        )
        .await
        .expect("completes");
}

/// The PostgreSQL test URL: unset is a failure under CI=true, a loud skip otherwise.
pub fn pg_url(test: &str) -> Option<String> {
    match std::env::var("ONCELY_TEST_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") => {
            panic!("ONCELY_TEST_DATABASE_URL is not set under CI: start one with scripts/pg-test-server.sh start")
        }
        _ => {
            eprintln!("SKIPPED {test}: ONCELY_TEST_DATABASE_URL is not set (eval \"$(scripts/pg-test-server.sh start)\")");
            None
        }
    }
}
