//! [`OutboxError`]: what can go wrong enqueuing, dispatching or steering
//! outbox rows, each naming what and where.

use crate::store::StoreError;

use super::OutboxState;

/// A failure of the outbox.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutboxError {
    /// The call cannot be sent as given (a header that is not a header, a
    /// credential, a missing path parameter, a body serde cannot write). It
    /// is refused before anything is written.
    #[error("outbox call refused: {what} {why}")]
    InvalidCall {
        /// Which part of the call.
        what: String,
        /// Why.
        why: String,
    },
    /// The intent id was enqueued before (an intent is one call). The
    /// application's transaction is still usable.
    #[error("intent {intent_id:?} is already in the outbox (row {existing})")]
    DuplicateIntent {
        /// The intent id.
        intent_id: String,
        /// The row that has it.
        existing: i64,
    },
    /// The database has no outbox table: `install` it first (the dispatcher
    /// and `oncely outbox` do at start).
    #[error("{location} has no outbox table (install it first: oncely::outbox::{{sqlite,postgres}}::install)")]
    NotInstalled {
        /// The database.
        location: String,
    },
    /// Opening, migrating or using the database failed; a corrupt table or
    /// a newer schema is refused and left untouched.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No row has this id.
    #[error("outbox row {id} does not exist")]
    NotFound {
        /// The id asked for.
        id: i64,
    },
    /// The row is not in a state the action applies to.
    #[error("outbox row {id} is {state}: only a {expected} row can be {action}")]
    WrongState {
        /// The row.
        id: i64,
        /// Its state.
        state: OutboxState,
        /// The state the action needs.
        expected: &'static str,
        /// The action, e.g. `retried`.
        action: &'static str,
    },
}
