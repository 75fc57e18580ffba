//! The options both bindings take, how each binding spells them, and the
//! error for an option that cannot work.

/// Which binding a message is for: the same rule, spelled in its language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    /// `oncely` for Python: keyword arguments in `snake_case`, seconds.
    Python,
    /// `oncely` for Node.js: option objects in `camelCase`, milliseconds.
    Node,
}

/// One option a binding validates through this crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opt {
    /// The per-attempt timeout (client or call).
    Timeout,
    /// The connect timeout.
    ConnectTimeout,
    /// The overall deadline of a call (client or call).
    Deadline,
    /// The largest answer body a call reads.
    MaxResponseBytes,
    /// Total attempts of the retry policy.
    RetryMaxAttempts,
    /// Base of the retry backoff.
    RetryBaseDelay,
    /// Cap of the retry backoff.
    RetryMaxDelay,
    /// The longest server-requested wait honoured.
    RetryMaxServerDelay,
    /// Tokens the retry budget holds.
    BudgetCapacity,
    /// Tokens each success puts back into the retry budget.
    BudgetDeposit,
    /// Consecutive failures that open the circuit breaker.
    BreakerThreshold,
    /// How long the circuit stays open.
    BreakerOpenFor,
    /// Lifetime of idempotency records.
    KeyTtl,
    /// Wait between operation polls.
    PollInterval,
    /// Longest wait between operation polls.
    PollMaxInterval,
    /// How long an operation is waited for in all.
    PollTimeout,
    /// How long a workflow engine holds a run it drives.
    Lease,
    /// An outbox call's delay before it is due.
    Delay,
    /// Wait between journal polls of an idle workflow worker.
    IdlePoll,
    /// The HTTP method of a call.
    Method,
    /// Request or default headers.
    Headers,
    /// Query parameters.
    Query,
    /// Path parameters.
    PathParams,
    /// A form body.
    Form,
    /// When an event stream reconnects.
    Reconnect,
    /// The most bytes one streamed event or line may hold.
    MaxItemBytes,
    /// The event id a stream resumes after.
    LastEventId,
    /// The most pages a listing fetches.
    MaxPages,
    /// The most items a listing yields.
    MaxItems,
}

impl Opt {
    /// The option's name as users of `binding` write it.
    pub fn name(self, binding: Binding) -> &'static str {
        let (python, node) = match self {
            Opt::Timeout => ("timeout", "timeoutMs"),
            Opt::ConnectTimeout => ("connect_timeout", "connectTimeoutMs"),
            Opt::Deadline => ("deadline", "deadlineMs"),
            Opt::MaxResponseBytes => ("max_response_bytes", "maxResponseBytes"),
            Opt::RetryMaxAttempts => ("max_attempts", "retry.maxAttempts"),
            Opt::RetryBaseDelay => ("base_delay", "retry.baseDelayMs"),
            Opt::RetryMaxDelay => ("max_delay", "retry.maxDelayMs"),
            Opt::RetryMaxServerDelay => ("max_server_delay", "retry.maxServerDelayMs"),
            Opt::BudgetCapacity => ("capacity", "budget.capacity"),
            Opt::BudgetDeposit => ("deposit_per_success", "budget.deposit"),
            Opt::BreakerThreshold => ("failure_threshold", "breaker.threshold"),
            Opt::BreakerOpenFor => ("open_for", "breaker.openMs"),
            Opt::KeyTtl => ("key_ttl", "keyTtlMs"),
            Opt::PollInterval => ("poll_interval", "poll.intervalMs"),
            Opt::PollMaxInterval => ("poll_max_interval", "poll.maxIntervalMs"),
            Opt::PollTimeout => ("poll_timeout", "poll.timeoutMs"),
            Opt::Lease => ("lease", "leaseMs"),
            Opt::Delay => ("delay", "delayMs"),
            Opt::IdlePoll => ("idle_poll", "idlePollMs"),
            Opt::Method => ("method", "method"),
            Opt::Headers => ("headers", "headers"),
            Opt::Query => ("params", "query"),
            Opt::PathParams => ("path_params", "pathParams"),
            Opt::Form => ("data", "form"),
            Opt::Reconnect => ("reconnect", "reconnect"),
            Opt::MaxItemBytes => ("max_item_bytes", "maxItemBytes"),
            Opt::LastEventId => ("last_event_id", "lastEventId"),
            Opt::MaxPages => ("max_pages", "maxPages"),
            Opt::MaxItems => ("max_items", "maxItems"),
        };
        match binding {
            Binding::Python => python,
            Binding::Node => node,
        }
    }
}

/// An option value that cannot work: which option, and why. Both bindings
/// raise it as the core's [`oncely::Error::InvalidInput`] (see
/// [`SpecError::into_error`]), so it reaches users like every other invalid
/// input: `oncely.InvalidInputError` (a `ValueError`) in Python, a
/// `TypeError` in Node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// The option.
    pub option: Opt,
    /// Why its value was refused, the same words in every binding.
    pub why: String,
}

impl SpecError {
    /// An error for `option`.
    pub fn new(option: Opt, why: impl Into<String>) -> Self {
        SpecError {
            option,
            why: why.into(),
        }
    }

    /// The core error for this refusal, naming the option as `binding` spells it.
    pub fn into_error(self, binding: Binding) -> oncely::Error {
        oncely::Error::InvalidInput {
            what: self.option.name(binding).to_string(),
            why: self.why,
        }
    }
}

impl std::fmt::Display for SpecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid {:?}: {}", self.option, self.why)
    }
}

impl std::error::Error for SpecError {}
