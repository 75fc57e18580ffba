//! [`WebhookInbox`]: verify a delivery, then run its handler once per event
//! id, recording the outcome in the inbox's own table.

use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::backend::{Backend, Held, Outcome, Taken};
use super::{
    Clock, InboxRecord, Receipt, SystemClock, VerifiedWebhook, Verifier, WebhookError,
    WebhookHeaders,
};

/// How long a delivery holds an event unless set otherwise; it is extended
/// while the handler runs.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);
/// The source events are recorded under unless set otherwise.
pub const DEFAULT_SOURCE: &str = "default";

/// A table of received events, for handlers whose effect is not in the
/// application's database (a remote call, an e-mail): each event id runs
/// its handler once to success.
///
/// [`receive`](WebhookInbox::receive) verifies the delivery, then takes the
/// event under a lease (state `processing`), runs the handler while
/// extending the lease, and records `done` with the handler's result, or
/// `failed` with its error (the next delivery runs it again). A delivery of
/// a `done` event is a [`Receipt::Duplicate`]; one that finds a live lease
/// is [`Receipt::InProgress`]; a lease that ran out (its receiver died) is
/// taken over.
#[derive(Debug, Clone)]
pub struct WebhookInbox {
    backend: Arc<dyn Backend>,
    source: String,
    lease: Duration,
    clock: Arc<dyn Clock>,
    owner: String,
}

impl WebhookInbox {
    fn with_backend(backend: Arc<dyn Backend>) -> Self {
        WebhookInbox {
            backend,
            source: DEFAULT_SOURCE.to_owned(),
            lease: DEFAULT_LEASE,
            clock: Arc::new(SystemClock),
            owner: format!("inbox-{}", uuid::Uuid::new_v4().simple()),
        }
    }

    /// The inbox in a SQLite file (created, or its table migrated).
    pub fn sqlite(path: impl AsRef<std::path::Path>) -> Result<Self, WebhookError> {
        Ok(Self::with_backend(Arc::new(
            super::sqlite::SqliteInbox::open(path)?,
        )))
    }

    /// The inbox in a PostgreSQL schema (created, or its table migrated).
    #[cfg(feature = "postgres")]
    pub async fn postgres(config: crate::store::PgConfig) -> Result<Self, WebhookError> {
        Ok(Self::with_backend(Arc::new(
            super::postgres::PgInbox::connect(config).await?,
        )))
    }

    /// The inbox at a store location: `postgres://…` (schema from
    /// `?oncely_schema=NAME`, default `oncely`) or a SQLite file (`sqlite:`
    /// prefix optional), the strings the other stores take.
    pub async fn open(location: &str) -> Result<Self, WebhookError> {
        match crate::store::open::location_kind(location)? {
            #[cfg(feature = "postgres")]
            crate::store::open::LocationKind::Postgres(config) => Self::postgres(config).await,
            crate::store::open::LocationKind::Sqlite(path) => Self::sqlite(path),
            crate::store::open::LocationKind::Memory => Err(WebhookError::InvalidConfig {
                what: format!("store location {location:?}"),
                why: "an inbox must outlive the process: use a SQLite file or PostgreSQL".into(),
            }),
        }
    }

    /// Records events under `source` (default `default`): ids of different
    /// senders never collide.
    pub fn source(mut self, source: impl Into<String>) -> Self {
        self.source = source.into();
        self
    }

    /// How long a delivery holds an event before another may take it over
    /// (default 60 s); extended every third of it while the handler runs.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(3));
        self
    }

    /// The clock for timestamps and leases (the system's by default).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Where the inbox is, without secrets.
    pub fn location(&self) -> &str {
        self.backend.location()
    }

    /// The source events are recorded under.
    pub fn source_name(&self) -> &str {
        &self.source
    }

    /// Verifies the delivery with `verifier` (at the inbox's clock), then
    /// runs `handler` once per event id as [`process`](WebhookInbox::process)
    /// does. A delivery that fails verification records nothing.
    pub fn receive<'a, F, Fut, T, E>(
        &'a self,
        verifier: &dyn Verifier,
        headers: &dyn WebhookHeaders,
        body: &[u8],
        handler: F,
    ) -> impl Future<Output = Result<Receipt, WebhookError>> + 'a
    where
        F: FnOnce(VerifiedWebhook) -> Fut + 'a,
        Fut: Future<Output = Result<T, E>> + 'a,
        T: Serialize + 'a,
        E: Display + 'a,
    {
        // Verified before the future is made, so the future holds neither
        // the headers nor the body (and is `Send` when the handler is).
        let now = system_time(self.clock.now_ms());
        let verified = verifier.verify_at(headers, body, now);
        async move {
            let verified = verified?;
            let id = verified.id.clone();
            self.process(&id, move || handler(verified)).await
        }
    }

    /// Runs `handler` for event `event_id` unless it was processed before
    /// or another delivery is processing it. A handler error is recorded
    /// (`failed`) and returned as [`WebhookError::HandlerFailed`]; the next
    /// delivery runs the handler again. The handler's `Ok` value is kept as
    /// the event's result summary (`()` keeps none): keep it small.
    pub async fn process<F, Fut, T, E>(
        &self,
        event_id: &str,
        handler: F,
    ) -> Result<Receipt, WebhookError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        T: Serialize,
        E: Display,
    {
        let now = self.clock.now_ms();
        let lease = millis(self.lease);
        let fence = match self
            .backend
            .take(
                &self.source,
                event_id,
                &self.owner,
                now,
                now.saturating_add(lease),
            )
            .await?
        {
            Taken::Claimed { fence } => fence,
            Taken::Done { result } => {
                return Ok(Receipt::Duplicate {
                    event_id: event_id.to_owned(),
                    result,
                })
            }
            Taken::Busy { lease_until_ms } => {
                return Ok(Receipt::InProgress {
                    event_id: event_id.to_owned(),
                    lease_until_ms,
                })
            }
        };
        let held = Held {
            source: &self.source,
            event_id,
            fence,
        };
        let outcome = self.run_holding(held, handler()).await;
        let lost = || WebhookError::LeaseLost {
            event_id: event_id.to_owned(),
        };
        match outcome {
            Ok(value) => {
                let result = match serde_json::to_value(value) {
                    Ok(serde_json::Value::Null) => None,
                    Ok(value) => Some(value),
                    Err(e) => Some(serde_json::Value::String(format!(
                        "result not serialisable: {e}"
                    ))),
                };
                let recorded = self
                    .backend
                    .finish(held, Outcome::Done(result.clone()), self.clock.now_ms())
                    .await?;
                if !recorded {
                    return Err(lost());
                }
                Ok(Receipt::Processed {
                    event_id: event_id.to_owned(),
                    result,
                })
            }
            Err(e) => {
                let message = e.to_string();
                let recorded = self
                    .backend
                    .finish(held, Outcome::Failed(message.clone()), self.clock.now_ms())
                    .await?;
                if !recorded {
                    return Err(lost());
                }
                Err(WebhookError::HandlerFailed {
                    event_id: event_id.to_owned(),
                    message,
                })
            }
        }
    }

    /// Drives `run` to its end, extending the lease every third of it. A
    /// failed extension is logged, not fatal: the handler is not abandoned
    /// halfway, and a claim that lost its lease records nothing.
    async fn run_holding<O>(&self, held: Held<'_>, run: impl Future<Output = O>) -> O {
        let mut run = std::pin::pin!(run);
        let every = self.lease / 3;
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                out = &mut run => return out,
                _ = tick.tick() => {
                    let until = self.clock.now_ms().saturating_add(millis(self.lease));
                    match self.backend.extend(held, until).await {
                        Ok(true) => {}
                        Ok(false) => tracing::warn!(event_id = held.event_id, "webhook lease taken over while the handler runs"),
                        Err(e) => tracing::warn!(event_id = held.event_id, error = %e, "webhook lease not extended"),
                    }
                }
            }
        }
    }

    /// The record of event `event_id` under this inbox's source.
    pub async fn get(&self, event_id: &str) -> Result<Option<InboxRecord>, WebhookError> {
        self.backend.get(&self.source, event_id).await
    }

    /// Up to `limit` records of this inbox's source, newest first.
    pub async fn list(&self, limit: u32) -> Result<Vec<InboxRecord>, WebhookError> {
        self.backend.list(Some(&self.source), limit).await
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The time `ms` milliseconds after the Unix epoch.
pub(super) fn system_time(ms: i64) -> SystemTime {
    let magnitude = Duration::from_millis(ms.unsigned_abs());
    if ms >= 0 {
        UNIX_EPOCH + magnitude
    } else {
        UNIX_EPOCH - magnitude
    }
}
