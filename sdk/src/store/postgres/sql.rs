//! Statement helpers: every statement goes through the connection's statement
//! cache, so it is parsed and planned once per connection, and every exchange
//! with the server is counted ([`WriteCounts::round_trips`](crate::store::WriteCounts::round_trips)).

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use crate::store::counters::Counters;

pub(super) type PgParams<'a> = &'a [&'a (dyn tokio_postgres::types::ToSql + Sync)];

/// Executes `sql` through the connection's statement cache (one round trip
/// instead of two once the statement is known).
pub(super) async fn pg_execute<C: GenericClient + Sync>(
    counted: &Counters,
    c: &C,
    sql: &str,
    params: PgParams<'_>,
) -> Result<u64, tokio_postgres::Error> {
    let statement = c.prepare_cached(sql).await?;
    counted.round_trips(1);
    c.execute(&statement, params).await
}

/// All rows of a query, like [`pg_execute`].
pub(super) async fn pg_query<C: GenericClient + Sync>(
    counted: &Counters,
    c: &C,
    sql: &str,
    params: PgParams<'_>,
) -> Result<Vec<Row>, tokio_postgres::Error> {
    let statement = c.prepare_cached(sql).await?;
    counted.round_trips(1);
    c.query(&statement, params).await
}

/// The one row of a query, like [`pg_execute`].
pub(super) async fn pg_query_one<C: GenericClient + Sync>(
    counted: &Counters,
    c: &C,
    sql: &str,
    params: PgParams<'_>,
) -> Result<Row, tokio_postgres::Error> {
    let statement = c.prepare_cached(sql).await?;
    counted.round_trips(1);
    c.query_one(&statement, params).await
}

/// The row of a query, if any, like [`pg_execute`].
pub(super) async fn pg_query_opt<C: GenericClient + Sync>(
    counted: &Counters,
    c: &C,
    sql: &str,
    params: PgParams<'_>,
) -> Result<Option<Row>, tokio_postgres::Error> {
    let statement = c.prepare_cached(sql).await?;
    counted.round_trips(1);
    c.query_opt(&statement, params).await
}

/// Opens a transaction on `c` (one round trip).
pub(super) async fn pg_begin<'a>(
    counted: &Counters,
    c: &'a mut deadpool_postgres::Object,
) -> Result<deadpool_postgres::Transaction<'a>, tokio_postgres::Error> {
    counted.round_trips(1);
    c.transaction().await
}

/// Commits `tx` (one round trip).
pub(super) async fn pg_commit(
    counted: &Counters,
    tx: deadpool_postgres::Transaction<'_>,
) -> Result<(), tokio_postgres::Error> {
    counted.round_trips(1);
    tx.commit().await
}
