//! The outbox campaign: an application process commits business rows, each
//! with its outbox call in the same transaction (and rolls some back on
//! purpose), while dispatcher processes deliver them; the supervisor
//! SIGKILLs random dispatchers *and* the application (often mid-transaction)
//! and restarts them. At the end the server's ledger and the business table
//! must agree: every committed row's call happened exactly once, in its
//! partition's order; no rolled-back row has a call; the only dead rows are
//! the injected permanent failures.
//!
//! ```text
//! cargo run --release -p chaos -- outbox --rows 5000                  # one SQLite file
//! cargo run --release -p chaos -- outbox --rows 5000 --store postgres://…/postgres
//! ```

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use oncely::idempotency::key_for_intent;
use oncely::outbox::{Dispatcher, Outbox, OutboxCall, OutboxFilter, OutboxState};
use oncely::{BreakerConfig, Client, RetryPolicy};
use orders_server::{ChaosConfig, ServerConfig, SideEffect};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use tokio::process::{Child, Command};

/// Partitions the rows are spread over (by customer).
const PARTITIONS: u64 = 40;

/// Campaign settings.
#[derive(Debug, Clone, clap::Args)]
pub struct OutboxCampaignArgs {
    /// Business rows the application writes (some rolled back on purpose).
    #[arg(long, default_value_t = 5000)]
    pub rows: u64,
    /// Dispatcher processes.
    #[arg(long, default_value_t = 4)]
    pub dispatchers: usize,
    /// The database: a SQLite file (default: a temp file) or a `postgres://`
    /// URL (a fresh schema is used).
    #[arg(long)]
    pub store: Option<String>,
    /// Seed of the server's faults and of the kills.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Probability that a request gets a transient fault.
    #[arg(long, default_value_t = 0.1)]
    pub fault_rate: f64,
    /// Mean time between SIGKILLs of a random dispatcher (0: none).
    #[arg(long, default_value_t = 150)]
    pub kill_every_ms: u64,
    /// Mean time between SIGKILLs of the application (0: none).
    #[arg(long, default_value_t = 400)]
    pub kill_app_every_ms: u64,
    /// Lease given to dispatchers.
    #[arg(long, default_value_t = 1000)]
    pub lease_ms: u64,
    /// Give up after this long.
    #[arg(long, default_value_t = 600)]
    pub timeout_secs: u64,
    /// Also write the report as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// The application process.
#[derive(Debug, Clone, clap::Args)]
pub struct AppArgs {
    /// The database.
    #[arg(long)]
    pub store: String,
    /// Rows to reach.
    #[arg(long)]
    pub rows: u64,
    /// How long each transaction stays open after its writes, so a kill
    /// lands inside one.
    #[arg(long, default_value_t = 1)]
    pub hold_ms: u64,
}

/// A dispatcher process.
#[derive(Debug, Clone, clap::Args)]
pub struct DispatcherArgs {
    /// The database.
    #[arg(long)]
    pub store: String,
    /// The reference server's base URL.
    #[arg(long)]
    pub server: String,
    /// The lease owner name.
    #[arg(long)]
    pub owner: String,
    /// Lease length in milliseconds.
    #[arg(long, default_value_t = 1000)]
    pub lease_ms: u64,
}

/// Whether row `n` is rolled back by the application on purpose.
fn rolled_back(n: u64) -> bool {
    n % 13 == 12
}

/// Whether row `n`'s call is refused for good by the server (an invalid
/// currency): it must end dead, and only it.
fn permanent_failure(n: u64) -> bool {
    n % 97 == 5
}

fn intent(n: u64) -> String {
    format!("biz-{n}")
}

fn partition(n: u64) -> String {
    format!("cust-{}", n % PARTITIONS)
}

/// Row `n`'s call.
fn call(n: u64) -> anyhow::Result<OutboxCall> {
    let currency = if permanent_failure(n) { "EURO" } else { "EUR" };
    Ok(OutboxCall::post("/orders")
        .json(&serde_json::json!({
            "customer_id": partition(n),
            "items": [{"sku": "sku-1", "quantity": 1}],
            "currency": currency,
            "metadata": {"row": n.to_string()},
        }))?
        .partition(partition(n))
        .intent_id(intent(n)))
}

/// The database of a location: SQLite path or PostgreSQL (URL, schema).
enum Db {
    Sqlite(PathBuf),
    Postgres { url: String, schema: String },
}

impl Db {
    fn parse(location: &str) -> Db {
        if !(location.starts_with("postgres://") || location.starts_with("postgresql://")) {
            return Db::Sqlite(PathBuf::from(
                location.strip_prefix("sqlite:").unwrap_or(location),
            ));
        }
        let (base, query) = location.split_once('?').unwrap_or((location, ""));
        let mut schema = "oncely".to_owned();
        let rest: Vec<&str> = query
            .split('&')
            .filter(|pair| match pair.strip_prefix("oncely_schema=") {
                Some(name) => {
                    schema = name.to_owned();
                    false
                }
                None => !pair.is_empty(),
            })
            .collect();
        let url = if rest.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", rest.join("&"))
        };
        Db::Postgres { url, schema }
    }
}

/// Runs the application until `rows` is reached: each row is its business
/// insert and its outbox call in one transaction.
pub async fn app(args: AppArgs) -> anyhow::Result<()> {
    let hold = Duration::from_millis(args.hold_ms);
    match Db::parse(&args.store) {
        Db::Sqlite(path) => {
            use oncely::outbox::sqlite::{self, rusqlite};
            let mut conn = rusqlite::Connection::open(&path)?;
            conn.busy_timeout(Duration::from_secs(30))?;
            conn.execute_batch(
                "PRAGMA journal_mode = WAL;
                 CREATE TABLE IF NOT EXISTS business (n INTEGER PRIMARY KEY, partition TEXT NOT NULL)",
            )?;
            sqlite::install(&conn)?;
            let start: i64 =
                conn.query_row("SELECT COALESCE(MAX(n), -1) + 1 FROM business", [], |r| {
                    r.get(0)
                })?;
            for n in u64::try_from(start)?..args.rows {
                let tx =
                    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                // A row the previous incarnation committed as it died is
                // there already (with its call): nothing to redo.
                let inserted = tx.execute(
                    "INSERT INTO business (n, partition) VALUES (?1, ?2) ON CONFLICT (n) DO NOTHING",
                    rusqlite::params![n as i64, partition(n)],
                )?;
                if inserted == 0 {
                    continue;
                }
                sqlite::enqueue(&tx, &call(n)?)?;
                std::thread::sleep(hold);
                if rolled_back(n) {
                    tx.rollback()?;
                } else {
                    tx.commit()?;
                }
            }
        }
        Db::Postgres { url, schema } => {
            use oncely::outbox::postgres::{self, tokio_postgres};
            let (mut client, connection) =
                tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
            tokio::spawn(connection);
            postgres::install(&mut client, &schema).await?;
            client
                .batch_execute(&format!(
                    "CREATE TABLE IF NOT EXISTS {schema}.business (n BIGINT PRIMARY KEY, partition TEXT NOT NULL)"
                ))
                .await?;
            let start: i64 = client
                .query_one(
                    &format!("SELECT COALESCE(MAX(n), -1) + 1 FROM {schema}.business"),
                    &[],
                )
                .await?
                .get(0);
            let insert = format!(
                "INSERT INTO {schema}.business (n, partition) VALUES ($1, $2) ON CONFLICT (n) DO NOTHING"
            );
            for n in u64::try_from(start)?..args.rows {
                let tx = client.transaction().await?;
                // The previous incarnation's COMMIT may land after this one
                // read where to start: that row is there with its call.
                if tx.execute(&insert, &[&(n as i64), &partition(n)]).await? == 0 {
                    continue;
                }
                postgres::enqueue(&tx, &schema, &call(n)?).await?;
                tokio::time::sleep(hold).await;
                if rolled_back(n) {
                    tx.rollback().await?;
                } else {
                    tx.commit().await?;
                }
            }
        }
    }
    Ok(())
}

/// Delivers rows until killed.
pub async fn dispatcher(args: DispatcherArgs) -> anyhow::Result<()> {
    let outbox = Outbox::open(&args.store).await?;
    let client = Client::builder(&args.server)
        .store(oncely::store::NullStore)
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(4)
                .base_delay(Duration::from_millis(10))
                .max_delay(Duration::from_millis(200)),
        )
        .retry_budget(None)
        .circuit_breaker(BreakerConfig {
            failure_threshold: 1000,
            open_for: Duration::from_millis(50),
        })
        .attempt_timeout(Duration::from_secs(5))
        .build()?;
    Dispatcher::new(outbox, client)
        .owner(args.owner)
        .concurrency(8)
        .lease(Duration::from_millis(args.lease_ms))
        .idle_poll(Duration::from_millis(20))
        .max_attempts(1000)
        .backoff(
            RetryPolicy::default()
                .base_delay(Duration::from_millis(20))
                .max_delay(Duration::from_millis(300)),
        )
        .run_until(std::future::pending())
        .await?;
    Ok(())
}

/// What the campaign found.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OutboxReport {
    /// `sqlite` or `postgres`.
    pub store: String,
    /// Rows the application went through.
    pub rows: u64,
    /// Business rows committed.
    pub committed: u64,
    /// Rows rolled back on purpose.
    pub rolled_back: u64,
    /// Outbox rows delivered.
    pub delivered: u64,
    /// Outbox rows dead (expected: the injected permanent failures).
    pub dead: u64,
    /// Dispatcher processes SIGKILLed.
    pub dispatcher_kills: u64,
    /// Application processes SIGKILLed.
    pub app_kills: u64,
    /// Rows whose claim was taken over after a kill (claimed more than once).
    pub reclaimed: u64,
    /// Side effects caused by a key more than once.
    pub duplicates: u64,
    /// Committed rows (not meant to die) whose call never happened.
    pub lost: u64,
    /// Calls for rows that were rolled back (or never committed).
    pub calls_without_commit: u64,
    /// Deliveries out of their partition's order.
    pub order_violations: u64,
    /// Dead rows that were not injected failures.
    pub unexpected_dead: u64,
    /// Injected failures that did not end dead.
    pub missing_dead: u64,
    /// Rows still pending or in flight at the end.
    pub unfinished: u64,
    /// Wall time.
    pub seconds: f64,
}

impl OutboxReport {
    /// The numbers that must be 0, with their names, that are not.
    pub fn failures(&self) -> Vec<(&'static str, u64)> {
        [
            ("duplicates", self.duplicates),
            ("lost", self.lost),
            ("calls_without_commit", self.calls_without_commit),
            ("order_violations", self.order_violations),
            ("unexpected_dead", self.unexpected_dead),
            ("missing_dead", self.missing_dead),
            ("unfinished", self.unfinished),
        ]
        .into_iter()
        .filter(|(_, n)| *n != 0)
        .collect()
    }

    /// The report as text.
    pub fn render(&self) -> String {
        format!(
            "outbox chaos campaign ({store}): {rows} rows in {seconds:.1} s\n\
             application: {committed} committed, {rolled_back} rolled back on purpose, {app_kills} SIGKILLs\n\
             dispatchers: {dispatcher_kills} SIGKILLs, {reclaimed} rows taken over after a kill\n\
             outbox: {delivered} delivered, {dead} dead (the injected permanent failures)\n\
             must be 0: duplicates {duplicates}, lost {lost}, calls without commit {calls}, \
             order violations {order}, unexpected dead {unexpected}, missing dead {missing}, unfinished {unfinished}\n",
            store = self.store,
            rows = self.rows,
            seconds = self.seconds,
            committed = self.committed,
            rolled_back = self.rolled_back,
            app_kills = self.app_kills,
            dispatcher_kills = self.dispatcher_kills,
            reclaimed = self.reclaimed,
            delivered = self.delivered,
            dead = self.dead,
            duplicates = self.duplicates,
            lost = self.lost,
            calls = self.calls_without_commit,
            order = self.order_violations,
            unexpected = self.unexpected_dead,
            missing = self.missing_dead,
            unfinished = self.unfinished,
        )
    }
}

/// Runs the campaign and returns its report.
pub async fn run(args: OutboxCampaignArgs) -> anyhow::Result<OutboxReport> {
    let started = Instant::now();
    let server = orders_server::spawn(ServerConfig {
        chaos: Some(ChaosConfig {
            seed: args.seed,
            rate: args.fault_rate,
            retry_after_ms: 10,
            slow_ms: 30,
            ..ChaosConfig::default()
        }),
        ..ServerConfig::default()
    })
    .await
    .context("starting the reference server")?;
    let base = server.base_url();
    let tempdir = std::env::temp_dir().join(format!(
        "oncely-outbox-chaos-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let (location, backend) = match &args.store {
        Some(s) if s.starts_with("postgres://") || s.starts_with("postgresql://") => (
            format!(
                "{s}{}oncely_schema=outbox_chaos_{}",
                if s.contains('?') { '&' } else { '?' },
                &uuid::Uuid::new_v4().simple().to_string()[..10]
            ),
            "postgres",
        ),
        Some(path) => (path.clone(), "sqlite"),
        None => {
            std::fs::create_dir_all(&tempdir)?;
            (tempdir.join("app.db").display().to_string(), "sqlite")
        }
    };
    let outbox = Outbox::open(&location)
        .await
        .with_context(|| format!("opening the outbox at {location}"))?;
    eprintln!(
        "chaos outbox: {} rows into {location}; server {base}",
        args.rows
    );

    let exe = std::env::current_exe().context("finding the chaos binary")?;
    let spawn_app = || -> anyhow::Result<Child> {
        Ok(Command::new(&exe)
            .args([
                "outbox-app",
                "--store",
                &location,
                "--rows",
                &args.rows.to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()?)
    };
    let spawn_dispatcher = |owner: &str| -> anyhow::Result<Child> {
        Ok(Command::new(&exe)
            .args([
                "outbox-dispatcher",
                "--store",
                &location,
                "--server",
                &base,
                "--owner",
                owner,
            ])
            .args(["--lease-ms", &args.lease_ms.to_string()])
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "error".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()?)
    };
    let mut app = Some(spawn_app()?);
    let mut dispatchers = (0..args.dispatchers.max(1))
        .map(|i| spawn_dispatcher(&format!("d{i}")).map(|c| (format!("d{i}"), c)))
        .collect::<anyhow::Result<Vec<_>>>()?;

    let mut rng = StdRng::seed_from_u64(args.seed ^ 0x0b0c);
    let mut report = OutboxReport {
        store: backend.into(),
        rows: args.rows,
        ..OutboxReport::default()
    };
    let deadline = started + Duration::from_secs(args.timeout_secs);
    let mut next_kill = Instant::now() + jitter(&mut rng, args.kill_every_ms);
    let mut next_app_kill = Instant::now() + jitter(&mut rng, args.kill_app_every_ms);
    let mut last_progress = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if Instant::now() > deadline {
            bail!("timed out");
        }
        // The application: restarted after a kill, done when it exits 0.
        if let Some(child) = &mut app {
            if let Some(status) = child.try_wait()? {
                if status.success() {
                    app = None;
                } else {
                    bail!("the application failed: {status}");
                }
            } else if args.kill_app_every_ms > 0 && Instant::now() >= next_app_kill {
                child.kill().await?;
                report.app_kills += 1;
                app = Some(spawn_app()?);
                next_app_kill = Instant::now() + jitter(&mut rng, args.kill_app_every_ms);
            }
        }
        let stats = outbox.stats().await?;
        if app.is_none() && stats.pending == 0 && stats.in_flight == 0 {
            break;
        }
        if last_progress.elapsed() > Duration::from_secs(2) {
            eprintln!(
                "chaos outbox: {} delivered, {} dead, {} pending, {} in flight; {} dispatcher kills, {} app kills",
                stats.delivered, stats.dead, stats.pending, stats.in_flight,
                report.dispatcher_kills, report.app_kills
            );
            last_progress = Instant::now();
        }
        if args.kill_every_ms > 0 && Instant::now() >= next_kill {
            let victim = rng.random_range(0..dispatchers.len());
            let (owner, child) = &mut dispatchers[victim];
            child.kill().await?;
            report.dispatcher_kills += 1;
            *child = spawn_dispatcher(owner)?;
            next_kill = Instant::now() + jitter(&mut rng, args.kill_every_ms);
        }
    }
    for (_, child) in &mut dispatchers {
        let _ = child.kill().await;
    }

    // What committed, what the outbox holds, what the server did.
    let committed: HashSet<u64> = committed_rows(&location).await?;
    let rows = outbox
        .list(&OutboxFilter {
            limit: Some(u32::try_from(args.rows * 2).unwrap_or(u32::MAX)),
            ..OutboxFilter::default()
        })
        .await?;
    let n_of: HashMap<String, u64> = (0..args.rows)
        .map(|n| (key_for_intent("POST", "/orders", &intent(n)), n))
        .collect();
    let mut effects: HashMap<u64, u64> = HashMap::new();
    let mut last_in_partition: BTreeMap<u64, u64> = BTreeMap::new();
    for entry in server.ledger() {
        if entry.kind != SideEffect::OrderCreated {
            continue;
        }
        let Some(&n) = entry.idempotency_key.as_ref().and_then(|k| n_of.get(k)) else {
            report.calls_without_commit += 1;
            continue;
        };
        *effects.entry(n).or_insert(0) += 1;
        let p = n % PARTITIONS;
        if last_in_partition.get(&p).is_some_and(|last| *last > n) {
            report.order_violations += 1;
        }
        last_in_partition.insert(p, n);
    }
    report.committed = committed.len() as u64;
    report.rolled_back = (0..args.rows).filter(|n| rolled_back(*n)).count() as u64;
    for n in 0..args.rows {
        let count = effects.get(&n).copied().unwrap_or(0);
        report.duplicates += count.saturating_sub(1);
        if !committed.contains(&n) {
            report.calls_without_commit += count;
        } else if !permanent_failure(n) && count == 0 {
            report.lost += 1;
        }
    }
    for row in &rows {
        let n = row
            .intent_id
            .strip_prefix("biz-")
            .and_then(|s| s.parse::<u64>().ok());
        let Some(n) = n else { continue };
        if !committed.contains(&n) {
            report.calls_without_commit += 1;
        }
        if row.attempts > 1 {
            report.reclaimed += 1;
        }
        match row.state {
            OutboxState::Delivered => report.delivered += 1,
            OutboxState::Dead => {
                report.dead += 1;
                if !permanent_failure(n) {
                    report.unexpected_dead += 1;
                }
            }
            OutboxState::Pending | OutboxState::InFlight => report.unfinished += 1,
            OutboxState::Discarded => {}
        }
        if permanent_failure(n) && row.state != OutboxState::Dead {
            report.missing_dead += 1;
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&tempdir);
    Ok(report)
}

async fn committed_rows(location: &str) -> anyhow::Result<HashSet<u64>> {
    match Db::parse(location) {
        Db::Sqlite(path) => {
            let conn = oncely::outbox::sqlite::rusqlite::Connection::open(path)?;
            let mut statement = conn.prepare("SELECT n FROM business")?;
            let rows = statement
                .query_map([], |r| r.get::<_, i64>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows.into_iter().map(|n| n as u64).collect())
        }
        Db::Postgres { url, schema } => {
            use oncely::outbox::postgres::tokio_postgres;
            let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
            tokio::spawn(connection);
            let rows = client
                .query(&format!("SELECT n FROM {schema}.business"), &[])
                .await?;
            Ok(rows.iter().map(|r| r.get::<_, i64>(0) as u64).collect())
        }
    }
}

fn jitter(rng: &mut StdRng, mean_ms: u64) -> Duration {
    if mean_ms == 0 {
        return Duration::from_secs(3600);
    }
    Duration::from_millis(rng.random_range(mean_ms / 2..=mean_ms + mean_ms / 2))
}
