//! Statement helpers: every statement goes through the connection's statement
//! cache, so it is parsed and planned once per connection.

use tokio_postgres::Row;

pub(super) type PgParams<'a> = &'a [&'a (dyn tokio_postgres::types::ToSql + Sync)];

/// Executes `sql` through the connection's statement cache (one round trip
/// instead of two once the statement is known).
pub(super) async fn pg_execute<C: deadpool_postgres::GenericClient + Sync>(
    c: &C,
    sql: &str,
    params: PgParams<'_>,
) -> Result<u64, tokio_postgres::Error> {
    let statement = c.prepare_cached(sql).await?;
    c.execute(&statement, params).await
}

pub(super) async fn pg_query<C: deadpool_postgres::GenericClient + Sync>(
    c: &C,
    sql: &str,
    params: PgParams<'_>,
) -> Result<Vec<Row>, tokio_postgres::Error> {
    let statement = c.prepare_cached(sql).await?;
    c.query(&statement, params).await
}

pub(super) async fn pg_query_one<C: deadpool_postgres::GenericClient + Sync>(
    c: &C,
    sql: &str,
    params: PgParams<'_>,
) -> Result<Row, tokio_postgres::Error> {
    let statement = c.prepare_cached(sql).await?;
    c.query_one(&statement, params).await
}

pub(super) async fn pg_query_opt<C: deadpool_postgres::GenericClient + Sync>(
    c: &C,
    sql: &str,
    params: PgParams<'_>,
) -> Result<Option<Row>, tokio_postgres::Error> {
    let statement = c.prepare_cached(sql).await?;
    c.query_opt(&statement, params).await
}
