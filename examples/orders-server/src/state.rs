//! Shared server state: the domain (orders, operations, ledger, idempotency
//! records) and the per-origin traffic state (config, request log, faults).

use std::sync::{Arc, Mutex, MutexGuard};

use crate::config::ServerConfig;
use crate::domain::Domain;
use crate::faults::{Chaos, Fault, FaultBook, FaultRule};
use crate::idempotency::IdempotencyStore;
use crate::ledger::LedgerEntry;
use crate::requests::{LogTicket, Outcome, RequestLog, RequestRecord, Stats};
use crate::streams::{OpenStreams, StreamGuard};
use crate::webhooks::{WebhookDelivery, WebhookEvent, WebhookSender};

/// Locks a mutex, recovering the data if a previous holder panicked (the
/// state is always left consistent between statements).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// State that every origin serving the same data shares.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub(crate) domain: Mutex<Domain>,
    pub(crate) idempotency: Mutex<IdempotencyStore>,
}

/// Traffic state of one origin.
#[derive(Debug)]
struct Traffic {
    log: RequestLog,
    faults: FaultBook,
    chaos: Option<Chaos>,
}

#[derive(Debug)]
struct Local {
    config: ServerConfig,
    traffic: Mutex<Traffic>,
    streams: OpenStreams,
    webhooks: Option<WebhookSender>,
}

/// A cheap-to-clone handle on a server's state.
///
/// Clones share everything. To serve the same data from a second origin (for
/// example to test that a client does not send credentials to the absolute
/// `Location` of a `202`), create a [`sibling`](Self::sibling): it shares the
/// orders, operations, idempotency records and ledger, but has its own
/// configuration, request log and faults.
///
/// ```
/// use orders_server::{ServerConfig, ServerState};
///
/// let a = ServerState::new(ServerConfig::default());
/// let b = a.sibling(ServerConfig::default());
/// assert!(a.ledger().is_empty() && b.requests().is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct ServerState {
    shared: Arc<Shared>,
    local: Arc<Local>,
}

impl ServerState {
    /// Fresh, empty state with this configuration.
    pub fn new(config: ServerConfig) -> Self {
        ServerState {
            shared: Arc::new(Shared::default()),
            local: Arc::new(Local::new(config)),
        }
    }

    /// State for another origin over the same data: shares the domain,
    /// idempotency records and ledger with `self`; has its own `config`,
    /// request log and fault rules.
    pub fn sibling(&self, config: ServerConfig) -> Self {
        ServerState {
            shared: Arc::clone(&self.shared),
            local: Arc::new(Local::new(config)),
        }
    }

    /// This origin's configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.local.config
    }

    /// Appends a scripted fault rule (counting starts now).
    pub fn add_fault(&self, rule: FaultRule) {
        lock(&self.local.traffic).faults.add(rule);
    }

    /// Removes all scripted fault rules.
    pub fn clear_faults(&self) {
        lock(&self.local.traffic).faults.clear();
    }

    /// The installed scripted fault rules.
    pub fn faults(&self) -> Vec<FaultRule> {
        lock(&self.local.traffic).faults.rules()
    }

    /// A copy of the ledger of side effects (shared between siblings).
    pub fn ledger(&self) -> Vec<LedgerEntry> {
        lock(&self.shared.domain).ledger().entries().to_vec()
    }

    /// A copy of this origin's request log.
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.local.traffic).log.records().to_vec()
    }

    /// Counters over this origin's request log and the shared ledger.
    pub fn stats(&self) -> Stats {
        let requests = self.requests();
        let ledger = self.ledger();
        Stats::compute(&requests, &ledger)
    }

    /// Clears the shared data (orders, operations, idempotency records,
    /// ledger) and this origin's request log and fault rules, and restarts
    /// the chaos sequence from its seed.
    pub fn reset(&self) {
        *lock(&self.shared.domain) = Domain::default();
        lock(&self.shared.idempotency).clear();
        let mut traffic = lock(&self.local.traffic);
        traffic.log.clear();
        traffic.faults.clear();
        if let Some(webhooks) = &self.local.webhooks {
            webhooks.clear();
        }
        if let Some(chaos) = &mut traffic.chaos {
            chaos.reseed();
        }
    }

    /// How many streamed answers (event streams, exports) this origin is
    /// sending right now.
    pub fn open_streams(&self) -> usize {
        self.local.streams.count()
    }

    /// Waits until this origin has exactly `n` streamed answers open (wrap it
    /// in a timeout).
    pub async fn until_open_streams(&self, n: usize) {
        self.local.streams.until(n).await;
    }

    /// Counts a streamed answer as open until the guard is dropped.
    pub(crate) fn open_stream(&self) -> StreamGuard {
        self.local.streams.open()
    }

    /// The webhook events this origin emitted, oldest first (empty without
    /// [`ServerConfig::webhooks`]).
    pub fn webhook_events(&self) -> Vec<WebhookEvent> {
        self.local
            .webhooks
            .as_ref()
            .map(WebhookSender::events)
            .unwrap_or_default()
    }

    /// Every attempt to deliver a webhook, in the order they were made.
    pub fn webhook_deliveries(&self) -> Vec<WebhookDelivery> {
        self.local
            .webhooks
            .as_ref()
            .map(WebhookSender::deliveries)
            .unwrap_or_default()
    }

    /// How many emitted events are not yet accepted by the receiver nor
    /// given up on.
    pub fn webhooks_unsettled(&self) -> usize {
        self.local
            .webhooks
            .as_ref()
            .map_or(0, WebhookSender::unsettled)
    }

    /// Waits until every emitted event was accepted (with its duplicate,
    /// when a fault sends one) or given up on.
    pub async fn webhooks_settled(&self) {
        if let Some(sender) = &self.local.webhooks {
            sender.settled().await;
        }
    }

    /// Queues webhook `event_type` about `order`, when webhooks are on.
    pub(crate) fn emit_webhook<T: serde::Serialize>(&self, event_type: &str, order: &T) {
        if let Some(sender) = &self.local.webhooks {
            sender.emit(
                event_type,
                serde_json::to_value(order).unwrap_or(serde_json::Value::Null),
            );
        }
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    /// Logs an arriving request and decides its fault, atomically so that
    /// chaos draws follow the log order.
    pub(crate) fn admit(&self, mut record: RequestRecord) -> (LogTicket, Option<Fault>) {
        let mut traffic = lock(&self.local.traffic);
        let route = record.route.clone();
        let concrete = format!("{} {}", record.method, record.path);
        let mut fault = traffic.faults.pick(route.as_deref(), &concrete);
        if fault.is_none() {
            if let Some(chaos) = &mut traffic.chaos {
                fault = chaos.pick(route.as_deref());
            }
        }
        record.fault = fault.clone();
        let ticket = traffic.log.push(record);
        (ticket, fault)
    }

    /// Records what the server finally did with a request.
    pub(crate) fn finish(&self, ticket: LogTicket, outcome: Outcome, replayed: bool) {
        lock(&self.local.traffic)
            .log
            .finish(ticket, outcome, replayed);
    }
}

impl Local {
    fn new(config: ServerConfig) -> Self {
        let chaos = config.chaos.clone().map(Chaos::new);
        Local {
            webhooks: config.webhooks.clone().map(WebhookSender::new),
            config,
            traffic: Mutex::new(Traffic {
                log: RequestLog::default(),
                faults: FaultBook::default(),
                chaos,
            }),
            streams: OpenStreams::default(),
        }
    }
}
