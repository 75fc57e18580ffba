//! [`Dispatcher`]: claims due outbox rows and delivers them through an
//! oncely [`Client`] — the row's intent id makes its idempotency key, so an
//! attempt repeated by any dispatcher after any crash is the same request to
//! the server; the client's retries, `Retry-After`, budget and breaker apply
//! to every attempt; a `202 Accepted` is polled to its end.
//!
//! What a failure means for the row:
//!
//! - an answer of success: `delivered`, with a summary of the answer;
//! - a failure the client calls retryable (connection, timeout, `5xx`, `429`,
//!   budget, open breaker) once its own retries are spent: `pending` again,
//!   not before the backoff of the row's attempts (at least the server's
//!   `Retry-After`), until `max_attempts` claims — then `dead`;
//! - anything else (a `4xx` problem, a key conflict, an operation that ended
//!   failed, a row that cannot be sent): `dead`, the problem kept whole.
//!
//! A claim is a lease: while a delivery runs the dispatcher extends it, and a
//! result is recorded only under the claim's fence, so a dispatcher that lost
//! its lease (paused, partitioned) cannot overwrite what the row's next claim
//! recorded.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::task::JoinSet;
use tracing::Instrument;

use super::backend::{Backend, Finish};
use super::{Outbox, OutboxError, OutboxRow};
use crate::retry::server_delay;
use crate::{Client, Error, Method, Operation, Response, RetryPolicy};

/// The largest answer body kept whole in a delivered row's summary.
const KEPT_BODY_BYTES: usize = 64 * 1024;

/// How a [`Dispatcher`] works.
#[derive(Debug, Clone)]
pub struct DispatcherConfig {
    /// The name leases are taken under (default `dispatcher-<pid>-<random>`).
    pub owner: String,
    /// Deliveries at once (default 8).
    pub concurrency: usize,
    /// Deliveries started per second at most (default: no limit).
    pub rate_per_second: Option<f64>,
    /// How long a claim lasts without being extended (default 30 s); a
    /// running delivery extends it every third of it.
    pub lease: Duration,
    /// How long to wait before looking again when nothing is due (default
    /// 200 ms).
    pub idle_poll: Duration,
    /// Claims of a row before a retryable failure makes it dead (default 10).
    pub max_attempts: u32,
    /// When a row that failed for now is due again (default 1 s doubling to
    /// 5 min, with jitter).
    pub backoff: RetryPolicy,
}

impl Default for DispatcherConfig {
    fn default() -> Self {
        DispatcherConfig {
            owner: format!(
                "dispatcher-{}-{}",
                std::process::id(),
                &uuid::Uuid::new_v4().simple().to_string()[..8]
            ),
            concurrency: 8,
            rate_per_second: None,
            lease: Duration::from_secs(30),
            idle_poll: Duration::from_millis(200),
            max_attempts: 10,
            backoff: RetryPolicy::default()
                .base_delay(Duration::from_secs(1))
                .max_delay(Duration::from_secs(300)),
        }
    }
}

/// What a dispatcher did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DispatchReport {
    /// Rows delivered.
    pub delivered: u64,
    /// Rows that failed for now and are pending again.
    pub retried: u64,
    /// Rows moved to the dead-letter queue.
    pub dead: u64,
    /// Results not recorded because the claim's lease was lost.
    pub lease_lost: u64,
}

impl DispatchReport {
    fn add(&mut self, other: DispatchReport) {
        self.delivered += other.delivered;
        self.retried += other.retried;
        self.dead += other.dead;
        self.lease_lost += other.lease_lost;
    }

    /// Rows finished (delivered, retried or dead) or lost.
    pub fn total(&self) -> u64 {
        self.delivered + self.retried + self.dead + self.lease_lost
    }
}

/// Delivers an outbox's rows.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use oncely::outbox::{Dispatcher, Outbox};
/// let outbox = Outbox::open("sqlite:app.db").await?;
/// let client = oncely::Client::builder("https://api.example.com").build()?;
/// let dispatcher = Dispatcher::new(outbox, client).concurrency(16);
/// dispatcher.run_until(async { tokio::signal::ctrl_c().await.ok(); }).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Dispatcher {
    backend: Arc<dyn Backend>,
    client: Client,
    config: DispatcherConfig,
}

impl Dispatcher {
    /// A dispatcher of `outbox`'s rows sending with `client` (its base URL,
    /// credentials, retries, budget and breaker). Give it a client that
    /// keeps no idempotency records ([`NullStore`](crate::store::NullStore)):
    /// the rows are the record, and a dead row an operator retries must go
    /// to the server, not be answered from the client's record of it.
    pub fn new(outbox: Outbox, client: Client) -> Self {
        Dispatcher {
            backend: outbox.backend,
            client,
            config: DispatcherConfig::default(),
        }
    }

    /// Replaces the whole configuration.
    pub fn config(mut self, config: DispatcherConfig) -> Self {
        self.config = config;
        self
    }

    /// Takes leases under `owner`.
    pub fn owner(mut self, owner: impl Into<String>) -> Self {
        self.config.owner = owner.into();
        self
    }

    /// Deliveries at once (at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.config.concurrency = n.max(1);
        self
    }

    /// Starts at most `per_second` deliveries per second.
    pub fn rate_limit(mut self, per_second: f64) -> Self {
        self.config.rate_per_second = (per_second > 0.0).then_some(per_second);
        self
    }

    /// How long a claim lasts without being extended.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.config.lease = lease.max(Duration::from_millis(10));
        self
    }

    /// How long to wait when nothing is due.
    pub fn idle_poll(mut self, wait: Duration) -> Self {
        self.config.idle_poll = wait;
        self
    }

    /// Claims of a row before a retryable failure makes it dead (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.config.max_attempts = attempts.max(1);
        self
    }

    /// When a row that failed for now is due again.
    pub fn backoff(mut self, policy: RetryPolicy) -> Self {
        self.config.backoff = policy;
        self
    }

    /// The configuration.
    pub fn settings(&self) -> &DispatcherConfig {
        &self.config
    }

    /// Claims what is due now (up to the concurrency), delivers it, and
    /// records the results.
    pub async fn run_once(&self) -> Result<DispatchReport, OutboxError> {
        let rows = self
            .backend
            .claim(
                &self.config.owner,
                self.config.concurrency,
                self.config.lease,
            )
            .await?;
        let mut deliveries = JoinSet::new();
        let mut limiter = self.limiter();
        for row in rows {
            self.start(&mut deliveries, &mut limiter, row).await;
        }
        let mut done = Vec::new();
        while let Some(finished) = deliveries.join_next().await {
            done.push(joined(finished)?);
        }
        self.record(done).await
    }

    /// Delivers until nothing is due and nothing is in flight here (rows due
    /// later, after a backoff, are left for later).
    pub async fn drain(&self) -> Result<DispatchReport, OutboxError> {
        self.pump(true, std::future::pending()).await
    }

    /// Delivers continuously, `concurrency` at a time, until `shutdown`
    /// completes; deliveries under way then finish and are recorded. A
    /// database that is briefly unreachable stops nothing: claims are tried
    /// again after the poll interval, and a result that could not be
    /// recorded leaves its row in flight until the lease runs out (its next
    /// claim sends the same key).
    pub async fn run_until(
        &self,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<DispatchReport, OutboxError> {
        self.pump(false, shutdown).await
    }

    /// Keeps `concurrency` deliveries going; records finished ones in
    /// batches (one transaction for all that finished meanwhile).
    async fn pump(
        &self,
        until_idle: bool,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<DispatchReport, OutboxError> {
        tokio::pin!(shutdown);
        let mut deliveries: Deliveries = JoinSet::new();
        let mut limiter = self.limiter();
        let mut report = DispatchReport::default();
        let mut stopping = false;
        // Claims and results are batched: rows are claimed once half the
        // slots are free (or none is busy), and results are recorded together
        // just before, so a busy dispatcher writes two transactions per half
        // a concurrency of rows instead of two per row.
        // A result waits at most `idle_poll` to be recorded.
        let refill = (self.config.concurrency / 2).max(1);
        let mut finished: Vec<Delivered> = Vec::new();
        let mut first_finished = tokio::time::Instant::now();
        loop {
            let free = self.config.concurrency.saturating_sub(deliveries.len());
            let mut claimed = 0;
            if !finished.is_empty() && first_finished.elapsed() >= self.config.idle_poll {
                self.record_into(&mut finished, &mut report, until_idle)
                    .await?;
            }
            if !stopping && (free >= refill || deliveries.is_empty()) {
                self.record_into(&mut finished, &mut report, until_idle)
                    .await?;
                match self
                    .backend
                    .claim(&self.config.owner, free, self.config.lease)
                    .await
                {
                    Ok(rows) => {
                        claimed = rows.len();
                        for row in rows {
                            self.start(&mut deliveries, &mut limiter, row).await;
                        }
                    }
                    Err(error) if !until_idle => {
                        tracing::warn!(%error, "outbox claim failed; trying again");
                    }
                    Err(error) => return Err(error),
                }
            }
            if deliveries.is_empty() && (stopping || (until_idle && claimed == 0)) {
                self.record_into(&mut finished, &mut report, until_idle)
                    .await?;
                return Ok(report);
            }
            // Slots were filled: wait for a delivery. Nothing was due: wait
            // for the poll interval too (or a delivery, or the shutdown).
            let idle = claimed < free;
            tokio::select! {
                Some(done) = deliveries.join_next(), if !deliveries.is_empty() => {
                    if finished.is_empty() {
                        first_finished = tokio::time::Instant::now();
                    }
                    finished.push(joined(done)?);
                    while let Some(more) = deliveries.try_join_next() {
                        finished.push(joined(more)?);
                    }
                }
                _ = tokio::time::sleep(self.config.idle_poll), if idle && !stopping => {}
                _ = tokio::time::sleep_until(first_finished + self.config.idle_poll), if !finished.is_empty() => {}
                _ = &mut shutdown, if !stopping => stopping = true,
            }
        }
    }

    /// Records `finished` (emptying it) into `report`; in a continuous run a
    /// failure to record is logged and the rows wait for their leases.
    async fn record_into(
        &self,
        finished: &mut Vec<Delivered>,
        report: &mut DispatchReport,
        until_idle: bool,
    ) -> Result<(), OutboxError> {
        match self.record(std::mem::take(finished)).await {
            Ok(recorded) => report.add(recorded),
            Err(error) if !until_idle => {
                tracing::warn!(%error, "recording deliveries failed; their rows wait for their leases to run out");
            }
            Err(error) => return Err(error),
        }
        Ok(())
    }

    fn limiter(&self) -> Option<tokio::time::Interval> {
        let rate = self.config.rate_per_second?;
        let mut interval = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Some(interval)
    }

    /// Starts delivering `row`, after the rate limit's next tick.
    async fn start(
        &self,
        deliveries: &mut Deliveries,
        limiter: &mut Option<tokio::time::Interval>,
        row: OutboxRow,
    ) {
        if let Some(limiter) = limiter {
            limiter.tick().await;
        }
        let me = self.clone();
        deliveries.spawn(async move { me.deliver(row).await });
    }

    /// Records finished deliveries under their claims' fences, in one batch.
    async fn record(&self, done: Vec<Delivered>) -> Result<DispatchReport, OutboxError> {
        let mut report = DispatchReport::default();
        if done.is_empty() {
            return Ok(report);
        }
        let recorded = self.backend.finish_all(done.clone()).await?;
        for ((id, _, outcome), recorded) in done.iter().zip(recorded) {
            match (recorded, outcome) {
                (false, _) => {
                    tracing::warn!(
                        row = id,
                        "lease lost before the result was recorded; the row's next claim decides"
                    );
                    report.lease_lost += 1;
                }
                (true, Finish::Delivered { .. }) => report.delivered += 1,
                (true, Finish::Retry { .. }) => report.retried += 1,
                (true, Finish::Dead { .. }) => report.dead += 1,
            }
        }
        Ok(report)
    }

    /// Delivers one claimed row, extending its lease meanwhile; the result
    /// is recorded by the caller.
    async fn deliver(&self, row: OutboxRow) -> Result<Delivered, OutboxError> {
        let span = tracing::info_span!(
            "oncely.outbox.deliver",
            outbox.row = row.id,
            outbox.attempt = i64::from(row.attempts),
            oncely.intent_id = %row.intent_id,
            http.request.method = %row.method,
            url.template = %row.path_template,
        );
        async move {
            let outcome = tokio::select! {
                outcome = self.attempt(&row) => outcome,
                lost = self.keep_lease(&row) => lost?,
            };
            Ok((row.id, row.fence, outcome))
        }
        .instrument(span)
        .await
    }

    /// Extends the claim's lease every third of it while the delivery runs;
    /// never returns while the lease holds (a lost lease lets the delivery
    /// finish: its result will not be recorded).
    async fn keep_lease(&self, row: &OutboxRow) -> Result<Finish, OutboxError> {
        let every = self.config.lease / 3;
        loop {
            tokio::time::sleep(every).await;
            if !self
                .backend
                .extend(row.id, row.fence, self.config.lease)
                .await?
            {
                tracing::warn!(row = row.id, "the lease of the row was taken over");
                std::future::pending::<()>().await;
            }
        }
    }

    /// Sends the row once (with the client's own retries) and says what
    /// became of it.
    async fn attempt(&self, row: &OutboxRow) -> Finish {
        if row.attempts > self.config.max_attempts {
            return Finish::Dead {
                error: json!({
                    "error": format!("attempts exhausted: claimed {} times", row.attempts),
                    "last_error": row.last_error,
                }),
            };
        }
        let Ok(method) = Method::from_bytes(row.method.as_bytes()) else {
            return Finish::Dead {
                error: json!({"error": format!("unknown method {:?}", row.method)}),
            };
        };
        let mut request = self
            .client
            .request(method, row.path_template.clone())
            .intent_id(row.intent_id.clone());
        for (name, value) in &row.path_params {
            request = request.path_param(name, value);
        }
        for (name, value) in &row.query {
            request = request.query(name, value);
        }
        for (name, value) in &row.headers {
            request = request.header(name, value);
        }
        if let Some(body) = &row.body {
            let content_type = row
                .content_type
                .as_deref()
                .unwrap_or("application/octet-stream");
            request = request.body(body.clone(), content_type);
        }
        match request.send().await {
            Ok(response) if is_operation(&response) => {
                let status = response.status();
                let location = response.header("location").map(str::to_owned);
                let waited = match Operation::<Value>::from_response(self.client.clone(), response)
                {
                    Ok(operation) => operation.wait().await,
                    Err(e) => Err(e),
                };
                match waited {
                    Ok(result) => Finish::Delivered {
                        response: json!({"status": status, "location": location, "operation": result}),
                    },
                    Err(e) => self.failed(row, &e),
                }
            }
            Ok(response) => Finish::Delivered {
                response: summary(&response),
            },
            Err(e) => self.failed(row, &e),
        }
    }

    fn failed(&self, row: &OutboxRow, error: &Error) -> Finish {
        let recorded = error_json(error);
        if error.is_retryable() && row.attempts < self.config.max_attempts {
            let backoff = self.config.backoff.backoff(row.attempts.saturating_sub(1));
            let server = error_headers(error)
                .and_then(server_delay)
                .unwrap_or_default();
            tracing::info!(row = row.id, error = %error, "delivery failed for now; pending again");
            return Finish::Retry {
                error: recorded,
                after: backoff.max(server),
            };
        }
        tracing::warn!(row = row.id, error = %error, "delivery failed for good; dead-lettered");
        Finish::Dead { error: recorded }
    }
}

/// A finished delivery: row id, claim fence, what became of it.
type Delivered = (i64, i64, Finish);

/// Deliveries under way.
type Deliveries = JoinSet<Result<Delivered, OutboxError>>;

fn joined(
    done: Result<Result<Delivered, OutboxError>, tokio::task::JoinError>,
) -> Result<Delivered, OutboxError> {
    done.map_err(|e| {
        OutboxError::Store(crate::store::StoreError::Backend {
            operation: "outbox delivery task",
            reason: e.to_string(),
        })
    })?
}

/// Whether an answer starts an operation to poll (a `202`, or a status link
/// of Azure's kind).
fn is_operation(response: &Response) -> bool {
    response.status() == 202
        || ["operation-location", "azure-asyncoperation"]
            .iter()
            .any(|h| response.header(h).is_some())
}

/// A delivered answer as the row keeps it: status, `Location`, and the body
/// (JSON when it is, text otherwise) when it is small enough.
fn summary(response: &Response) -> Value {
    let bytes = response.bytes();
    let body = if bytes.is_empty() || bytes.len() > KEPT_BODY_BYTES {
        Value::Null
    } else {
        serde_json::from_slice(bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
    };
    json!({
        "status": response.status(),
        "location": response.header("location"),
        "body": body,
        "body_bytes": bytes.len(),
    })
}

/// A failure as the row keeps it: the message, the status, the problem
/// document whole.
fn error_json(error: &Error) -> Value {
    json!({
        "error": error.to_string(),
        "status": error.status(),
        "retryable": error.is_retryable(),
        "problem": error.problem(),
    })
}

fn error_headers(error: &Error) -> Option<&http::HeaderMap> {
    match error {
        Error::Problem { headers, .. } | Error::Status { headers, .. } => Some(headers),
        _ => None,
    }
}
