//! Opening a store from one string: a file path (SQLite), `memory:`, or a
//! `postgres://` URL — what command-line tools, workers and the Python and
//! Node bindings take as a store location. The rules for these strings live
//! here only.

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
    /// What the store is, without secrets: `memory`, `sqlite:PATH` or
    /// `postgres:HOST[/DB]` (never the user or password of a URL).
    pub description: String,
}

impl OpenedStore {
    /// True when opening `location` connects over the network (PostgreSQL):
    /// [`open`] then needs a tokio runtime and may wait. Memory and SQLite
    /// stores open without waiting on anything.
    pub fn needs_network(location: &str) -> bool {
        is_postgres(location)
    }
}

fn is_postgres(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// The SQLite file of a location: `sqlite:` and then `//` are optional
/// (`sqlite:///abs/path` is `/abs/path`); an empty path, and a URL of another
/// scheme (`redis://…`), are refused.
fn sqlite_path(location: &str) -> Result<&str, StoreError> {
    if let Some((scheme, _)) = location.split_once("://") {
        if scheme != "sqlite"
            && !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            return Err(StoreError::Open {
                path: std::path::PathBuf::from(format!("{scheme}://…")),
                reason: format!(
                    "unknown store scheme `{scheme}` \
                     (expected `memory`, `sqlite:PATH` or `postgres://…`)"
                ),
            });
        }
    }
    let path = match location.strip_prefix("sqlite:") {
        Some(rest) => rest.strip_prefix("//").unwrap_or(rest),
        None => location,
    };
    if path.is_empty() {
        return Err(StoreError::Open {
            path: std::path::PathBuf::from(location),
            reason: "the location names no file \
                     (expected `memory`, `sqlite:PATH` or `postgres://…`, e.g. `sqlite:oncely.db`)"
                .into(),
        });
    }
    Ok(path)
}

/// Opens a store from a location:
///
/// - `postgres://…` or `postgresql://…` — [`PgStore`](super::PgStore) (feature
///   `postgres`), schema from a `?oncely_schema=NAME` query parameter or `oncely`;
/// - `memory:` or `memory` — a fresh [`MemoryStore`];
/// - anything else — a [`SqliteStore`] file path (`sqlite:` prefix optional);
///   an empty path is a [`StoreError::Open`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), oncely::store::StoreError> {
/// let dir = tempfile::tempdir().unwrap();
/// let opened = oncely::store::open(dir.path().join("oncely.db").to_str().unwrap()).await?;
/// assert!(opened.journal.list_runs(&Default::default()).await?.is_empty());
/// # Ok(()) }
/// ```
pub async fn open(location: &str) -> Result<OpenedStore, StoreError> {
    match location_kind(location)? {
        #[cfg(feature = "postgres")]
        LocationKind::Postgres(config) => {
            let store = Arc::new(super::PgStore::connect(config).await?);
            Ok(OpenedStore {
                store: store.clone(),
                journal: store,
                description: postgres_description(location),
            })
        }
        LocationKind::Memory => {
            let store = Arc::new(MemoryStore::new());
            Ok(OpenedStore {
                store: store.clone(),
                journal: store,
                description: "memory".into(),
            })
        }
        LocationKind::Sqlite(path) => {
            let store = Arc::new(SqliteStore::open(path)?);
            Ok(OpenedStore {
                store: store.clone(),
                journal: store,
                description: format!("sqlite:{path}"),
            })
        }
    }
}

/// What a location names (the one place these strings are read; the outbox
/// takes the same ones).
pub(crate) enum LocationKind<'a> {
    /// PostgreSQL, with the schema of `?oncely_schema=`.
    #[cfg(feature = "postgres")]
    Postgres(super::PgConfig),
    /// A fresh in-memory store.
    Memory,
    /// A SQLite file.
    Sqlite(&'a str),
}

/// Reads a location (see [`open`]).
pub(crate) fn location_kind(location: &str) -> Result<LocationKind<'_>, StoreError> {
    if is_postgres(location) {
        return postgres_kind(location);
    }
    if location == "memory:" || location == "memory" {
        return Ok(LocationKind::Memory);
    }
    Ok(LocationKind::Sqlite(sqlite_path(location)?))
}

#[cfg(feature = "postgres")]
fn postgres_kind(location: &str) -> Result<LocationKind<'_>, StoreError> {
    let (url, schema) = split_schema(location);
    let mut config = super::PgConfig::new(url);
    if let Some(schema) = schema {
        config = config.schema(schema);
    }
    Ok(LocationKind::Postgres(config))
}

#[cfg(not(feature = "postgres"))]
fn postgres_kind(location: &str) -> Result<LocationKind<'_>, StoreError> {
    Err(StoreError::Open {
        path: std::path::PathBuf::from(location.split('@').next_back().unwrap_or("postgres")),
        reason: "this build of oncely has no PostgreSQL support (enable the `postgres` feature)"
            .into(),
    })
}

/// `postgres:HOST[:PORT]/DB` of a URL: no scheme, user, password or query.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
fn postgres_description(location: &str) -> String {
    let rest = location
        .split_once("://")
        .map_or(location, |(_, rest)| rest);
    let rest = rest.split('?').next().unwrap_or(rest);
    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    format!("postgres:{host}")
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

    #[test]
    fn postgres_descriptions_hold_no_secrets() {
        assert_eq!(
            postgres_description("postgres://u:secret@h:5432/db?sslmode=disable"),
            "postgres:h:5432/db"
        );
        assert_eq!(postgres_description("postgresql://h/db"), "postgres:h/db");
        assert!(OpenedStore::needs_network("postgresql://h/db"));
        assert!(!OpenedStore::needs_network("sqlite:x.db"));
    }

    #[tokio::test]
    async fn memory_and_sqlite_locations() {
        let m = open("memory:").await.unwrap();
        assert!(m.journal.count_runs().await.unwrap().is_empty());
        assert_eq!(open("memory").await.unwrap().description, "memory");
        for empty in ["", "sqlite:", "sqlite://"] {
            let err = open(empty).await.unwrap_err();
            assert!(
                matches!(&err, StoreError::Open { reason, .. } if reason.contains("names no file")),
                "{empty:?}: {err}"
            );
        }
        let err = open("redis://u:secret@h/0").await.unwrap_err();
        assert!(
            err.to_string().contains("unknown store scheme `redis`"),
            "{err}"
        );
        assert!(!err.to_string().contains("secret"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x.db");
        let opened = open(&format!("sqlite:{}", file.display())).await.unwrap();
        assert_eq!(opened.description, format!("sqlite:{}", file.display()));
        let err = open("/nonexistent-dir/for/sure/x.db").await.unwrap_err();
        assert!(matches!(err, StoreError::Open { .. }), "{err}");
    }
}
