//! Opening a store from a location string. The rules for the strings
//! (`memory`, `sqlite:PATH` or a plain path, `postgres://…`) are the core's
//! ([`oncely::store::open`]); the bindings only choose whether to wait.

pub use oncely::store::OpenedStore;

/// True when opening `location` connects over the network (PostgreSQL), so
/// it must be awaited on a runtime rather than opened in place.
pub fn needs_network(location: &str) -> bool {
    OpenedStore::needs_network(location)
}

/// Opens any store.
pub async fn open(location: &str) -> Result<OpenedStore, oncely::Error> {
    Ok(oncely::store::open(location).await?)
}

/// Opens a store that needs no network (memory or SQLite) on the calling
/// thread; `None` when `location` needs the network (see [`open`]).
pub fn open_local(location: &str) -> Option<Result<OpenedStore, oncely::Error>> {
    if needs_network(location) {
        return None;
    }
    // Memory and SQLite stores do not wait on anything while opening.
    Some(futures::executor::block_on(open(location)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_opens_with_or_without_a_colon() {
        for location in ["memory", "memory:"] {
            let opened = open_local(location).unwrap().unwrap();
            assert_eq!(opened.description, "memory");
        }
    }

    #[test]
    fn an_empty_sqlite_path_is_a_store_error() {
        for location in ["", "sqlite:"] {
            let err = open_local(location).unwrap().unwrap_err();
            assert!(matches!(err, oncely::Error::Store(_)), "{err}");
            assert!(err.to_string().contains("names no file"), "{err}");
        }
    }

    #[test]
    fn sqlite_files_open_locally() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let opened = open_local(&format!("sqlite:{}", path.display()))
            .unwrap()
            .unwrap();
        assert_eq!(opened.description, format!("sqlite:{}", path.display()));
    }

    #[test]
    fn postgres_is_not_opened_in_place() {
        assert!(open_local("postgres://u:secret@h/db").is_none());
        assert!(needs_network("postgresql://h/db"));
    }
}
