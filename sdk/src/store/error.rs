use std::path::PathBuf;

/// A failure of an idempotency store. Each variant names the file or operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store file could not be opened or created.
    #[error("cannot open store {path}: {reason}")]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The file exists but is not a readable oncely store. It is left untouched.
    #[error("store {path} is corrupt or not an oncely store (left untouched): {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// The file was written by a newer oncely with a schema this version does not know.
    #[error("store {path} has schema version {found}; this oncely supports up to {supported}")]
    SchemaTooNew {
        /// The file.
        path: PathBuf,
        /// The schema version found in the file.
        found: i64,
        /// The newest version this build understands.
        supported: i64,
    },
    /// A read or write failed.
    #[error("store {operation} failed: {reason}")]
    Backend {
        /// The operation, e.g. `begin`.
        operation: &'static str,
        /// The backend's message.
        reason: String,
    },
    /// A stored record could not be decoded.
    #[error("store record {key} is unreadable: {reason}")]
    BadRecord {
        /// The record's key.
        key: String,
        /// What was wrong.
        reason: String,
    },
}
