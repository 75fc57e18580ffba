//! `oncely console` on the wire (reqwest against the served console): a
//! session is needed for every page and opened only by the login token; the
//! cookie is `HttpOnly` and `SameSite=Strict`; actions need the session's
//! CSRF token and this console's `Origin`, and then change the store; hostile
//! step outputs are escaped; credentials in outbox rows and recorded answers
//! are never rendered; it listens on loopback unless told otherwise; a SQLite
//! and a PostgreSQL store.

mod common;
mod console_common;

use std::path::Path;
use std::sync::Arc;

use console_common::*;
use oncely::outbox::sqlite::rusqlite;
use oncely::outbox::{Outbox, OutboxCall, OutboxState};
use oncely::store::{Journal, RunState, Store};

fn runtime_store(path: &Path) -> Arc<oncely::SqliteStore> {
    Arc::new(oncely::SqliteStore::open(path).expect("opens the store"))
}

/// A SQLite store with the seeded runs and intents, and (when `with_outbox`)
/// an outbox with a dead row whose stored headers include credentials (as a
/// row written by another tool could) — its id.
async fn sqlite_store(dir: &tempfile::TempDir, with_outbox: bool) -> (String, Option<i64>) {
    let path = dir.path().join("oncely.db");
    let store = runtime_store(&path);
    seed_runs(&*store).await;
    seed_intents(&*store).await;
    Store::flush(&*store).await.expect("flushes");
    drop(store);
    let mut row = None;
    if with_outbox {
        let outbox = Outbox::sqlite(&path).expect("outbox");
        let id = outbox
            .enqueue(
                &OutboxCall::post("/orders/{order_id}/payments")
                    .path_param("order_id", "o-1")
                    .header("Accept", "application/json")
                    .json(&serde_json::json!({"amount": 100}))
                    .expect("JSON"),
            )
            .await
            .expect("enqueues");
        let conn = rusqlite::Connection::open(&path).expect("opens");
        conn.execute(
            "UPDATE oncely_outbox SET state = 'dead', attempts = 3, \
             headers = '[[\"Authorization\",\"Bearer s3cret-never-shown\"],[\"X-Session-Token\",\"tok-never-shown\"],[\"Accept\",\"application/json\"]]', \
             last_error = '{\"status\":422,\"problem\":{\"title\":\"<script>alert(5)</script>\"}}' \
             WHERE id = ?1",
            [id],
        )
        .expect("kills the row");
        row = Some(id);
    }
    (path.to_str().expect("UTF-8 path").to_string(), row)
}

async fn get(console: &Console, session: Option<&Session>, path: &str) -> reqwest::Response {
    let mut request = http().get(format!("{}{path}", console.base));
    if let Some(session) = session {
        request = request.header("cookie", &session.cookie);
    }
    request.send().await.expect("answers")
}

/// The body of the page at `path`, as the session sees it.
async fn page_text(console: &Console, session: &Session, path: &str) -> String {
    get(console, Some(session), path)
        .await
        .text()
        .await
        .expect("a page body")
}

/// POSTs an action form with `csrf` (when given) and `origin` (when given).
async fn post(
    console: &Console,
    session: &Session,
    path: &str,
    csrf: Option<&str>,
    origin: Option<&str>,
) -> reqwest::Response {
    let mut request = http()
        .post(format!("{}{path}", console.base))
        .header("cookie", &session.cookie);
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    let form: Vec<(&str, &str)> = csrf.map(|c| vec![("csrf", c)]).unwrap_or_default();
    request.form(&form).send().await.expect("answers")
}

async fn run_state(path: &str, id: &str) -> RunState {
    let store = runtime_store(Path::new(path));
    store.run(id).await.expect("reads").expect("exists").state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_needs_a_session_opened_by_the_login_token() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = sqlite_store(&dir, false).await;
    let console = start_with_token(&store);
    assert!(
        console.login_line.contains("ONCELY_CONSOLE_TOKEN") && !console.login_line.contains(TOKEN),
        "a configured token is never printed: {}",
        console.login_line
    );
    for path in [
        "/",
        "/runs/r-parked",
        "/intents",
        "/outbox",
        "/events",
        "/outbox/1",
    ] {
        let response = get(&console, None, path).await;
        assert_eq!(response.status(), 401, "{path}");
        let body = response.text().await.unwrap();
        assert!(
            body.contains("Log in") && !body.contains("r-parked"),
            "{path}: {body}"
        );
    }
    let forged = Session {
        cookie: "oncely_console=0000".into(),
        csrf: String::new(),
    };
    assert_eq!(get(&console, Some(&forged), "/").await.status(), 401);
    let wrong = get(&console, None, "/login?token=not-the-token").await;
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().get("set-cookie").is_none());

    let response = get(&console, None, &format!("/login?token={TOKEN}")).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/");
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Path=/"),
        "{cookie}"
    );
    let session = log_in(&console, TOKEN).await;
    let runs = get(&console, Some(&session), "/").await;
    assert_eq!(runs.status(), 200);
    let csp = runs.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(runs.headers()["x-frame-options"], "DENY");
    let body = runs.text().await.unwrap();
    assert!(
        body.contains("r-parked") && body.contains("r-active"),
        "{body}"
    );
    // Filters: state, workflow, age.
    let parked = page_text(&console, &session, "/?state=needs_attention").await;
    assert!(
        parked.contains("r-parked") && !parked.contains("href=\"/runs/r-active\""),
        "{parked}"
    );
    let other = page_text(&console, &session, "/?workflow=other").await;
    assert!(other.contains("No runs match"), "{other}");
    let recent = page_text(&console, &session, "/?age=1h").await;
    assert!(recent.contains("r-parked"), "{recent}");
    assert_eq!(
        get(&console, Some(&session), "/?state=bogus")
            .await
            .status(),
        400
    );
    assert_eq!(
        get(&console, Some(&session), "/?age=soon").await.status(),
        400
    );
    // Intents and their recorded answers.
    let intents = page_text(&console, &session, "/intents").await;
    assert!(
        intents.contains("k-open") && intents.contains("k-done") && intents.contains("201"),
        "{intents}"
    );
    let open = page_text(&console, &session, "/intents?state=in_flight").await;
    assert!(
        open.contains("k-open") && !open.contains("k-done"),
        "{open}"
    );
    // A store without an outbox shows it absent, not an error.
    let outbox = get(&console, Some(&session), "/outbox").await;
    assert_eq!(outbox.status(), 200);
    assert!(outbox.text().await.unwrap().contains("no outbox table"));
    assert_eq!(
        get(&console, Some(&session), "/runs/nope").await.status(),
        404
    );
    // A page of another site that resolved its name to this address.
    let port = console.base.rsplit(':').next().unwrap();
    let rebound = http()
        .get(format!("{}/", console.base))
        .header("host", format!("evil.example:{port}"))
        .header("cookie", &session.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 421);
    // Logging out ends the session.
    let out = post(
        &console,
        &session,
        "/logout",
        Some(&session.csrf),
        Some(&console.base),
    )
    .await;
    assert_eq!(out.status(), 303);
    assert_eq!(get(&console, Some(&session), "/").await.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_token_is_printed_in_the_login_url() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = sqlite_store(&dir, false).await;
    let console = start(&store, &[], &[]);
    let token = console
        .login_line
        .split("token=")
        .nth(1)
        .unwrap_or_else(|| panic!("{}", console.login_line))
        .trim()
        .to_string();
    assert_eq!(token.len(), 64, "{token}");
    assert!(token.chars().all(|c| c.is_ascii_hexdigit()));
    let session = log_in(&console, &token).await;
    assert_eq!(get(&console, Some(&session), "/").await.status(), 200);
    let again = start(&store, &[], &[]);
    assert!(!again.login_line.contains(&token), "a new token per start");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_need_the_csrf_token_and_this_origin_and_then_change_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let (store, row) = sqlite_store(&dir, true).await;
    let row = row.unwrap();
    let console = start_with_token(&store);
    let session = log_in(&console, TOKEN).await;
    let page = page_text(&console, &session, "/runs/r-parked").await;
    assert!(page.contains("action=\"/runs/r-parked/retry\""), "{page}");
    // The run's recorded trace, to look it up in a tracing backend.
    assert!(page.contains("4bf92f3577b34da6a3ce929d0e0e4736"), "{page}");
    assert!(
        !page.contains("/runs/r-parked/resume"),
        "a parked run cannot be resumed"
    );
    assert_eq!(csrf_of(&page), session.csrf);
    let own = console.base.clone();

    let refused = [
        (None, Some(own.as_str())),
        (Some("0".repeat(64)), Some(own.as_str())),
        (Some(session.csrf.clone()), Some("http://evil.example")),
        (Some(session.csrf.clone()), Some("null")),
        (Some(session.csrf.clone()), None),
    ];
    for (csrf, origin) in refused {
        let response = post(
            &console,
            &session,
            "/runs/r-parked/retry",
            csrf.as_deref(),
            origin,
        )
        .await;
        assert_eq!(response.status(), 403, "csrf {csrf:?}, origin {origin:?}");
        assert_eq!(
            run_state(&store, "r-parked").await,
            RunState::NeedsAttention
        );
    }
    // Another session's CSRF token is not this one's.
    let other = log_in(&console, TOKEN).await;
    let response = post(
        &console,
        &session,
        "/runs/r-parked/retry",
        Some(&other.csrf),
        Some(&own),
    )
    .await;
    assert_eq!(response.status(), 403);
    assert_eq!(
        run_state(&store, "r-parked").await,
        RunState::NeedsAttention
    );

    let done = post(
        &console,
        &session,
        "/runs/r-parked/retry",
        Some(&session.csrf),
        Some(&own),
    )
    .await;
    assert_eq!(done.status(), 303);
    assert_eq!(done.headers()["location"], "/runs/r-parked?done=retried");
    assert_eq!(run_state(&store, "r-parked").await, RunState::Compensating);
    let shown = page_text(&console, &session, "/runs/r-parked?done=retried").await;
    assert!(
        shown.contains("Sent back to compensating") && shown.contains("retry_requested"),
        "{shown}"
    );
    // Retrying again is refused: it is no longer parked.
    let again = post(
        &console,
        &session,
        "/runs/r-parked/retry",
        Some(&session.csrf),
        Some(&own),
    )
    .await;
    assert_eq!(again.status(), 409);
    // Resume clears the lease of an unfinished run.
    let resumed = post(
        &console,
        &session,
        "/runs/r-active/resume",
        Some(&session.csrf),
        Some(&own),
    )
    .await;
    assert_eq!(resumed.status(), 303);
    let events = runtime_store(Path::new(&store))
        .events("r-active")
        .await
        .unwrap();
    assert!(
        events.iter().any(|e| e.kind == "resume_requested"),
        "{events:?}"
    );
    // A Referer of this console serves when no Origin is sent.
    let by_referer = http()
        .post(format!("{}/runs/r-active/resume", console.base))
        .header("cookie", &session.cookie)
        .header("referer", format!("{}/runs/r-active", console.base))
        .form(&[("csrf", session.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(by_referer.status(), 303);

    // The dead row: discard, then retry.
    let outbox = page_text(&console, &session, "/outbox").await;
    assert!(
        outbox.contains(&format!("action=\"/outbox/{row}/retry\"")),
        "{outbox}"
    );
    let path = |action: &str| format!("/outbox/{row}/{action}");
    let refused = post(&console, &session, &path("discard"), None, Some(&own)).await;
    assert_eq!(refused.status(), 403);
    let outbox_of = Outbox::sqlite(&store).unwrap();
    assert_eq!(outbox_of.get(row).await.unwrap().state, OutboxState::Dead);
    let discarded = post(
        &console,
        &session,
        &path("discard"),
        Some(&session.csrf),
        Some(&own),
    )
    .await;
    assert_eq!(discarded.status(), 303);
    assert_eq!(
        outbox_of.get(row).await.unwrap().state,
        OutboxState::Discarded
    );
    let retried = post(
        &console,
        &session,
        &path("retry"),
        Some(&session.csrf),
        Some(&own),
    )
    .await;
    assert_eq!(retried.status(), 303);
    let pending = outbox_of.get(row).await.unwrap();
    assert_eq!((pending.state, pending.attempts), (OutboxState::Pending, 0));
    let twice = post(
        &console,
        &session,
        &path("retry"),
        Some(&session.csrf),
        Some(&own),
    )
    .await;
    assert_eq!(twice.status(), 409);
    assert_eq!(
        get(&console, Some(&session), "/outbox/999").await.status(),
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_outputs_are_escaped_and_credentials_never_rendered() {
    let dir = tempfile::tempdir().unwrap();
    let (store, row) = sqlite_store(&dir, true).await;
    let row = row.unwrap();
    let console = start_with_token(&store);
    let session = log_in(&console, TOKEN).await;
    let list = page_text(&console, &session, "/").await;
    assert!(!list.contains("<b>hostile</b>"), "{list}");
    assert!(
        list.contains("r-&lt;b&gt;hostile&lt;/b&gt;&quot;'"),
        "{list}"
    );
    assert!(
        list.contains("href=\"/runs/r-%3Cb%3Ehostile%3C%2Fb%3E%22%27\""),
        "{list}"
    );
    let run = get(
        &console,
        Some(&session),
        "/runs/r-%3Cb%3Ehostile%3C%2Fb%3E%22%27",
    )
    .await;
    assert_eq!(run.status(), 200);
    let run = run.text().await.unwrap();
    assert!(!run.contains("<script>alert(1)"), "{run}");
    assert!(
        run.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{run}"
    );
    assert!(!run.contains("\" onmouseover=\""), "{run}");
    assert!(run.contains("onmouseover="), "the text is shown, escaped");
    assert!(
        !run.contains("t0k3n-never-shown") && run.contains("[redacted]"),
        "{run}"
    );
    assert!(!run.contains("<b>hostile</b>"), "{run}");

    let detail = page_text(&console, &session, &format!("/outbox/{row}")).await;
    assert!(
        detail.contains("Authorization") && detail.contains("X-Session-Token"),
        "{detail}"
    );
    assert!(
        !detail.contains("s3cret-never-shown") && !detail.contains("tok-never-shown"),
        "{detail}"
    );
    assert!(
        detail.contains("application/json"),
        "other headers are shown"
    );
    let listing = page_text(&console, &session, "/outbox").await;
    assert!(!listing.contains("<script>alert(5)"), "{listing}");
    assert!(listing.contains("&lt;script&gt;alert(5)"), "{listing}");

    let intents = page_text(&console, &session, "/intents").await;
    assert!(!intents.contains("cookie-never-shown"), "{intents}");
    assert!(!intents.contains("<script>alert(4)"), "{intents}");
    assert!(
        intents.contains("set-cookie") && intents.contains("[redacted]"),
        "{intents}"
    );
}

#[test]
fn it_listens_on_loopback_unless_told_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oncely.db");
    drop(oncely::SqliteStore::open(&path).unwrap());
    let store = path.to_str().unwrap();
    let help = common::oncely(["console", "--help"]);
    assert!(
        help.stdout.contains("[default: 127.0.0.1:7700]"),
        "{}",
        help.stdout
    );
    for addr in ["0.0.0.0:0", "[::]:0"] {
        let run = common::oncely(["console", "--store", store, "--listen", addr]);
        assert_eq!(run.code, Some(1), "{addr}: {}", run.stderr);
        assert!(
            run.stderr.contains("not a loopback address") && run.stderr.contains("--allow-remote"),
            "{}",
            run.stderr
        );
    }
    let short = std::process::Command::new(env!("CARGO_BIN_EXE_oncely"))
        .args([
            "console",
            "--store",
            store,
            "--listen",
            "127.0.0.1:0",
            "--token-env",
            "CONSOLE_T",
        ])
        .env("CONSOLE_T", "short")
        .output()
        .unwrap();
    assert_eq!(short.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 16"));
    let unset = std::process::Command::new(env!("CARGO_BIN_EXE_oncely"))
        .args([
            "console",
            "--store",
            store,
            "--listen",
            "127.0.0.1:0",
            "--token-env",
            "CONSOLE_UNSET_VAR",
        ])
        .env_remove("CONSOLE_UNSET_VAR")
        .output()
        .unwrap();
    assert_eq!(unset.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unset.stderr).contains("CONSOLE_UNSET_VAR"));
    let missing = common::oncely([
        "console",
        "--store",
        "/nonexistent/x.db",
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(missing.code, Some(1));
    assert!(
        missing.stderr.contains("no store at /nonexistent/x.db"),
        "{}",
        missing.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgresql_store_is_served_and_steered() {
    let Some(url) = pg_url("a_postgresql_store_is_served_and_steered") else {
        return;
    };
    let schema = format!(
        "console_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..10]
    );
    let location = format!("{url}?oncely_schema={schema}");
    let store = oncely::store::open(&location).await.expect("connects");
    seed_runs(&*store.journal).await;
    seed_intents(&*store.store).await;
    let console = start_with_token(&location);
    let session = log_in(&console, TOKEN).await;
    let list = page_text(&console, &session, "/").await;
    assert!(
        list.contains("r-parked") && list.contains("r-active"),
        "{list}"
    );
    let intents = page_text(&console, &session, "/intents").await;
    assert!(
        intents.contains("k-done") && !intents.contains("cookie-never-shown"),
        "{intents}"
    );
    let outbox = page_text(&console, &session, "/outbox").await;
    assert!(outbox.contains("no outbox table"), "{outbox}");
    let run = get(
        &console,
        Some(&session),
        "/runs/r-%3Cb%3Ehostile%3C%2Fb%3E%22%27",
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        !run.contains("<script>alert(1)") && run.contains("&lt;script&gt;"),
        "{run}"
    );
    let refused = post(
        &console,
        &session,
        "/runs/r-parked/retry",
        None,
        Some(&console.base),
    )
    .await;
    assert_eq!(refused.status(), 403);
    let done = post(
        &console,
        &session,
        "/runs/r-parked/retry",
        Some(&session.csrf),
        Some(&console.base),
    )
    .await;
    assert_eq!(done.status(), 303);
    let run = store.journal.run("r-parked").await.unwrap().unwrap();
    assert_eq!(run.state, RunState::Compensating);
    // An outbox installed after start appears.
    Outbox::open(&location).await.expect("installs");
    let outbox = page_text(&console, &session, "/outbox").await;
    assert!(
        outbox.contains("pending") && !outbox.contains("no outbox table"),
        "{outbox}"
    );
}
