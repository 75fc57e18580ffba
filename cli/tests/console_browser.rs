//! `oncely console` in a real browser: headless Chromium driven through
//! WebDriver (`/usr/bin/chromedriver`, Debian's `chromium-driver`). A saga
//! against the reference server parks because its compensation keeps
//! failing (an injected fault); the browser logs in, sees the parked run,
//! opens it and clicks retry; the test clears the fault and runs a worker;
//! the page shows the run compensated through its live update, without a
//! reload. Screenshots are saved under `target/console-screenshots/`; with
//! `ONCELY_UPDATE_DOCS_SCREENSHOT=1` the run page is also copied to
//! `docs/console.png` (the README's picture).

mod console_common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use console_common::*;
use fantoccini::{ClientBuilder, Locator};
use oncely::store::{Journal, RunState};
use oncely::workflow::{Engine, StepContext, Workflow};
use oncely::{BreakerConfig, Client, RetryPolicy, Store};
use orders_server::{Fault, FaultRule, SideEffect};
use serde_json::{json, Value};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// The order saga's short form: create an order (compensation: cancel it),
/// then authorize a payment that is declined — so the order is cancelled.
fn saga() -> Workflow {
    let fast = || {
        RetryPolicy::default()
            .max_attempts(2)
            .base_delay(Duration::from_millis(5))
            .max_delay(Duration::from_millis(20))
    };
    Workflow::builder("order")
        .step("create_order", |ctx: StepContext| async move {
            let body = json!({
                "customer_id": "cus_console",
                "items": [{"sku": "sku-1", "quantity": 1}],
                "currency": "EUR",
            });
            Ok(ctx.post("/orders").json(&body).send_json::<Value>().await?)
        })
        .compensate(|ctx: StepContext| async move {
            let order: Value = ctx.own_output()?;
            let id = order["id"].as_str().unwrap_or_default().to_string();
            ctx.post("/orders/{order_id}/cancel")
                .path_param("order_id", &id)
                .json(&json!({"reason": "saga compensation"}))
                .send_empty()
                .await?;
            Ok(())
        })
        .step("authorize_payment", |ctx: StepContext| async move {
            let order: Value = ctx.output("create_order")?;
            let id = order["id"].as_str().unwrap_or_default().to_string();
            let body =
                json!({"amount": 1200, "currency": "EUR", "payment_method": "pm_card_declined"});
            Ok(ctx
                .post("/orders/{order_id}/payments")
                .path_param("order_id", &id)
                .json(&body)
                .send_json::<Value>()
                .await?)
        })
        .action_retry(fast())
        .compensation_retry(fast())
        .build()
        .expect("saga")
}

fn engine(base: &str, store: Arc<dyn Store>) -> Engine {
    let journal: Arc<dyn Journal> = store.clone().as_journal().expect("journal");
    let client = Client::builder(base)
        .shared_store(store)
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(2)
                .base_delay(Duration::from_millis(2))
                .max_delay(Duration::from_millis(10)),
        )
        .circuit_breaker(BreakerConfig {
            failure_threshold: 1000,
            open_for: Duration::from_millis(10),
        })
        .retry_budget(None)
        .build()
        .expect("client");
    Engine::new(client, journal)
        .owner("console-test-worker")
        .register(saga())
}

/// chromedriver on a free loopback port, killed when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn chromedriver() -> Driver {
    assert!(
        Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists(),
        "{CHROMEDRIVER} or {CHROMIUM} is missing: install Debian's `chromium` and \
         `chromium-driver` packages (apt-get install -y chromium chromium-driver; \
         `make browser-deps` does it)"
    );
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(CHROMEDRIVER)
        .args([format!("--port={port}"), "--allowed-ips=127.0.0.1".into()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    // Ready when its status endpoint answers (bounded: 200 × 50 ms).
    let http = http();
    for _ in 0..200 {
        if let Ok(r) = http.get(format!("{}/status", driver.url)).send().await {
            if r.status().is_success() {
                return driver;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("chromedriver did not answer on {}", driver.url);
}

fn screenshots_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory")
        .join("console-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot directory");
    dir
}

async fn screenshot(browser: &fantoccini::Client, name: &str) -> PathBuf {
    let png = browser.screenshot().await.expect("screenshot");
    let path = screenshots_dir().join(name);
    std::fs::write(&path, png).expect("writes the screenshot");
    eprintln!("console screenshot: {}", path.display());
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parked_run_is_retried_in_the_browser_and_seen_compensated_live() {
    let driver = chromedriver().await;
    let server = orders_server::spawn(orders_server::ServerConfig::default())
        .await
        .expect("server");
    server.add_fault(
        FaultRule::new("POST /orders/{order_id}/cancel", Fault::internal_error()).every(),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oncely.db");
    let store: Arc<dyn Store> = Arc::new(oncely::SqliteStore::open(&path).unwrap());
    let worker = engine(&server.base_url(), store.clone());
    let outcome = worker
        .start(&saga(), Some("order-1"), &json!({}))
        .await
        .expect("runs");
    assert_eq!(outcome.state, RunState::NeedsAttention, "{outcome:?}");

    let console = start_with_token(path.to_str().unwrap());
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--window-size=1280,1000",
                format!("--user-data-dir={}", dir.path().join("chromium").display()),
            ],
        }),
    );
    let browser = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a WebDriver session");
    let result = drive(&browser, &console, &server, &worker).await;
    let _ = browser.close().await;
    result.expect("the browser scenario");
    let cancelled = server
        .ledger()
        .iter()
        .filter(|e| e.kind == SideEffect::OrderCancelled)
        .count();
    assert_eq!(
        cancelled, 1,
        "the retried compensation cancelled the order once"
    );
}

async fn drive(
    browser: &fantoccini::Client,
    console: &Console,
    server: &orders_server::RunningServer,
    worker: &Engine,
) -> Result<(), fantoccini::error::CmdError> {
    let wait = Duration::from_secs(20);
    browser
        .goto(&format!("{}/login?token={TOKEN}", console.base))
        .await?;
    let row = browser
        .wait()
        .at_most(wait)
        .for_element(Locator::Css("tr[data-run='order-1']"))
        .await?;
    let text = row.text().await?;
    assert!(text.contains("needs_attention"), "{text}");
    screenshot(browser, "1-runs.png").await;

    row.find(Locator::Css("a")).await?.click().await?;
    browser
        .wait()
        .at_most(wait)
        .for_element(Locator::Css("main#live[data-state='needs_attention']"))
        .await?;
    screenshot(browser, "2-parked-run.png").await;
    browser
        .find(Locator::Css("button.retry"))
        .await?
        .click()
        .await?;
    let notice = browser
        .wait()
        .at_most(wait)
        .for_element(Locator::Css("p.notice"))
        .await?;
    assert!(notice.text().await?.contains("Sent back to compensating"));
    browser
        .find(Locator::Css("main#live[data-state='compensating']"))
        .await?;
    // Marks this document: a reload would lose the mark.
    browser
        .execute(
            "window.oncelyTestMark = 'same document'; return true;",
            vec![],
        )
        .await?;
    browser
        .wait()
        .at_most(wait)
        .for_element(Locator::XPath("//span[@id='live-status'][text()='live']"))
        .await?;

    server.clear_faults();
    let outcome = worker
        .work_once()
        .await
        .expect("the worker runs")
        .expect("the retried run is claimed");
    assert_eq!(outcome.state, RunState::Compensated, "{outcome:?}");

    let done = browser
        .wait()
        .at_most(wait)
        .for_element(Locator::Css("main#live[data-state='compensated']"))
        .await?;
    let mark = browser
        .execute("return window.oncelyTestMark || null;", vec![])
        .await?;
    assert_eq!(mark, json!("same document"), "updated live, not reloaded");
    let text = done.text().await?;
    assert!(
        text.contains("compensated") && text.contains("retry_requested"),
        "{text}"
    );
    assert!(
        browser.find(Locator::Css("button.retry")).await.is_err(),
        "no retry for a compensated run"
    );
    let shot = screenshot(browser, "3-compensated-live.png").await;
    if std::env::var("ONCELY_UPDATE_DOCS_SCREENSHOT").is_ok_and(|v| v == "1") {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/console.png");
        std::fs::copy(&shot, &docs).expect("copies the screenshot to docs/");
        eprintln!("console screenshot copied to {}", docs.display());
    }
    Ok(())
}
