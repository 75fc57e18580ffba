//! Write counters: how many journal and idempotency records a store wrote, in
//! how many transactions, and (PostgreSQL) in how many round trips to the
//! server. A few relaxed atomic additions per commit, so they are always on;
//! benchmarks and tests read them to prove how writes are folded, grouped and
//! pipelined.

use std::sync::atomic::{AtomicU64, Ordering};

/// What a store has written since it was opened (shared by its clones).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use oncely::store::{IntentRecord, Store};
/// let dir = tempfile::tempdir().unwrap();
/// let store = oncely::SqliteStore::open(dir.path().join("s.db")).unwrap();
/// let before = store.write_counts().unwrap();
/// let record = IntentRecord::in_flight(
///     "key-1".into(), None, "POST".into(), "/orders".into(), "fp".into(),
///     std::time::Duration::from_secs(60),
/// );
/// store.begin(record).await.unwrap();
/// let after = store.write_counts().unwrap() - before;
/// assert_eq!((after.intent_writes, after.commits), (1, 1));
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteCounts {
    /// Journal changes: each [`JournalWrite`](super::JournalWrite) applied, each
    /// run created (a run created with its lease counts once), each lease
    /// taken, renewed or given up.
    pub journal_writes: u64,
    /// Idempotency records written: an intent, or its answer (an intent written
    /// together with its answer counts once).
    pub intent_writes: u64,
    /// Transactions committed (a group commit is one, however many it carries).
    pub commits: u64,
    /// Round trips to a database server (PostgreSQL; zero for the embedded
    /// stores): every exchange the store waited for, reads included —
    /// statements sent together in one pipeline count once, a statement's
    /// first preparation on a connection is not counted.
    pub round_trips: u64,
}

impl std::ops::Sub for WriteCounts {
    type Output = WriteCounts;

    fn sub(self, earlier: WriteCounts) -> WriteCounts {
        WriteCounts {
            journal_writes: self.journal_writes.saturating_sub(earlier.journal_writes),
            intent_writes: self.intent_writes.saturating_sub(earlier.intent_writes),
            commits: self.commits.saturating_sub(earlier.commits),
            round_trips: self.round_trips.saturating_sub(earlier.round_trips),
        }
    }
}

/// The live counters behind [`WriteCounts`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    journal_writes: AtomicU64,
    intent_writes: AtomicU64,
    commits: AtomicU64,
    round_trips: AtomicU64,
}

impl Counters {
    /// Notes one committed transaction carrying `journal` journal changes and
    /// `intents` idempotency records.
    pub fn committed(&self, journal: u64, intents: u64) {
        self.journal_writes.fetch_add(journal, Ordering::Relaxed);
        self.intent_writes.fetch_add(intents, Ordering::Relaxed);
        self.commits.fetch_add(1, Ordering::Relaxed);
    }

    /// Notes `n` round trips to the database server.
    pub fn round_trips(&self, n: u64) {
        self.round_trips.fetch_add(n, Ordering::Relaxed);
    }

    /// The counts so far.
    pub fn snapshot(&self) -> WriteCounts {
        WriteCounts {
            journal_writes: self.journal_writes.load(Ordering::Relaxed),
            intent_writes: self.intent_writes.load(Ordering::Relaxed),
            commits: self.commits.load(Ordering::Relaxed),
            round_trips: self.round_trips.load(Ordering::Relaxed),
        }
    }
}
