//! Opening a store from one string: a file path (SQLite), `memory:`, or a
//! `postgres://` URL — what command-line tools and workers take as `--store`.

use std::sync::Arc;

use super::{Journal, MemoryStore, SqliteStore, Store, StoreError};

/// A store opened by [`open`]: the same backend seen as idempotency store and
/// as workflow journal.
#[derive(Debug, Clone)]
pub struct OpenedStore {
    /// The idempotency store (give it to [`crate::ClientBuilder::shared_store`]).
    pub store: Arc<dyn Store>,
    /// The workflow journal in the same backend.
    pub journal: Arc<dyn Journal>,
}

/// Opens a store from a location:
///
/// - `postgres://…` or `postgresql://…` — [`PgStore`](super::PgStore) (feature
///   `postgres`), schema from a `?oncely_schema=NAME` query parameter or `oncely`;
/// - `memory:` — a fresh [`MemoryStore`];
/// - anything else — a [`SqliteStore`] file path (`sqlite:` prefix optional).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), oncely::store::StoreError> {
/// let dir = tempfile::tempdir().unwrap();
/// let opened = oncely::store::open(dir.path().join("oncely.db").to_str().unwrap()).await?;
/// assert!(opened.journal.list_runs(&Default::default()).await?.is_empty());
/// # Ok(()) }
/// ```
pub async fn open(location: &str) -> Result<OpenedStore, StoreError> {
    if location.starts_with("postgres://") || location.starts_with("postgresql://") {
        return open_postgres(location).await;
    }
    if location == "memory:" {
        let store = Arc::new(MemoryStore::new());
        return Ok(OpenedStore {
            store: store.clone(),
            journal: store,
        });
    }
    let path = location.strip_prefix("sqlite:").unwrap_or(location);
    let store = Arc::new(SqliteStore::open(path)?);
    Ok(OpenedStore {
        store: store.clone(),
        journal: store,
    })
}

#[cfg(feature = "postgres")]
async fn open_postgres(location: &str) -> Result<OpenedStore, StoreError> {
    use super::{PgConfig, PgStore};
    let (url, schema) = split_schema(location);
    let mut config = PgConfig::new(url);
    if let Some(schema) = schema {
        config = config.schema(schema);
    }
    let store = Arc::new(PgStore::connect(config).await?);
    Ok(OpenedStore {
        store: store.clone(),
        journal: store,
    })
}

#[cfg(not(feature = "postgres"))]
async fn open_postgres(location: &str) -> Result<OpenedStore, StoreError> {
    Err(StoreError::Open {
        path: std::path::PathBuf::from(location.split('@').next_back().unwrap_or("postgres")),
        reason: "this build of oncely has no PostgreSQL support (enable the `postgres` feature)"
            .into(),
    })
}

/// Takes an `oncely_schema=NAME` parameter out of a URL's query.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
fn split_schema(location: &str) -> (String, Option<String>) {
    let Some((base, query)) = location.split_once('?') else {
        return (location.to_string(), None);
    };
    let mut schema = None;
    let rest: Vec<&str> = query
        .split('&')
        .filter(|pair| match pair.strip_prefix("oncely_schema=") {
            Some(name) => {
                schema = Some(name.to_string());
                false
            }
            None => !pair.is_empty(),
        })
        .collect();
    let url = if rest.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    (url, schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_parameter_is_taken_out() {
        assert_eq!(
            split_schema("postgres://h/db"),
            ("postgres://h/db".into(), None)
        );
        assert_eq!(
            split_schema("postgres://h/db?oncely_schema=s1"),
            ("postgres://h/db".into(), Some("s1".into()))
        );
        assert_eq!(
            split_schema("postgres://h/db?sslmode=disable&oncely_schema=s1"),
            ("postgres://h/db?sslmode=disable".into(), Some("s1".into()))
        );
    }

    #[tokio::test]
    async fn memory_and_sqlite_locations() {
        let m = open("memory:").await.unwrap();
        assert!(m.journal.count_runs().await.unwrap().is_empty());
        let err = open("/nonexistent-dir/for/sure/x.db").await.unwrap_err();
        assert!(matches!(err, StoreError::Open { .. }), "{err}");
    }
}
