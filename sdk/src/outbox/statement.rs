//! The enqueue `INSERT` as data: for applications whose transaction runs on
//! a connection oncely cannot hold (Python's `sqlite3` or `psycopg`, Node's
//! `better-sqlite3` or `pg`). [`OutboxCall::insert_statement`] checks and
//! encodes the call exactly as [`sqlite::enqueue`](super::sqlite::enqueue)
//! and [`postgres::enqueue`](super::postgres::enqueue) do and returns the
//! statement and its parameters; the application executes it on its own
//! connection, inside its transaction. This statement is the contract: its
//! columns are the table's (schema version 1).

use std::time::SystemTime;

use serde::Serialize;

use super::call::unix_ms;
use super::{OutboxCall, OutboxError};

/// How the host's driver marks parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholders {
    /// `?` (SQLite drivers: Python `sqlite3`, `better-sqlite3`, rusqlite).
    QuestionMark,
    /// `$1`, `$2`, … (PostgreSQL: node-postgres, tokio-postgres).
    Dollar,
    /// `%s` (Python's DB-API `format` style: psycopg).
    Percent,
}

/// One parameter of the statement.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum SqlParam {
    /// SQL `NULL`.
    Null,
    /// An integer (`BIGINT`).
    Integer(i64),
    /// Text.
    Text(String),
    /// Bytes (`BLOB` / `BYTEA`).
    Blob(Vec<u8>),
}

/// The `INSERT` of one call: execute `sql` with `params`; it returns the
/// row's id, or no row when the intent id is already in the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct InsertStatement {
    /// The statement.
    pub sql: String,
    /// Its parameters, in order.
    pub params: Vec<SqlParam>,
}

impl OutboxCall {
    /// The `INSERT` that enqueues this call into `table` (`oncely_outbox`,
    /// or `schema.oncely_outbox` on PostgreSQL), with `style` placeholders.
    ///
    /// ```
    /// use oncely::outbox::{OutboxCall, Placeholders};
    /// let call = OutboxCall::post("/orders").intent_id("order-7");
    /// let insert = call.insert_statement(Placeholders::QuestionMark, "oncely_outbox").unwrap();
    /// assert!(insert.sql.starts_with("INSERT INTO oncely_outbox"));
    /// assert_eq!(insert.params.len(), 11);
    /// ```
    pub fn insert_statement(
        &self,
        style: Placeholders,
        table: &str,
    ) -> Result<InsertStatement, OutboxError> {
        let valid = |part: &str| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        };
        if !table.split('.').all(valid) || table.split('.').count() > 2 {
            return Err(OutboxError::InvalidCall {
                what: format!("table name {table:?}"),
                why: "must be `oncely_outbox` or `schema.oncely_outbox` (lower-case letters, digits, `_`)".into(),
            });
        }
        let row = self.encode()?;
        let marks: Vec<String> = (1..=11)
            .map(|i| match style {
                Placeholders::QuestionMark => "?".to_owned(),
                Placeholders::Dollar => format!("${i}"),
                Placeholders::Percent => "%s".to_owned(),
            })
            .collect();
        let text = |v: Option<String>| v.map_or(SqlParam::Null, SqlParam::Text);
        Ok(InsertStatement {
            sql: format!(
                "INSERT INTO {table} (partition_key, method, path_template, path_params, query, \
                 headers, body, content_type, intent_id, not_before_ms, created_ms) \
                 VALUES ({}) ON CONFLICT (intent_id) DO NOTHING RETURNING id",
                marks.join(", ")
            ),
            params: vec![
                text(row.partition),
                SqlParam::Text(row.method),
                SqlParam::Text(row.path_template),
                SqlParam::Text(row.path_params),
                SqlParam::Text(row.query),
                SqlParam::Text(row.headers),
                row.body.map_or(SqlParam::Null, SqlParam::Blob),
                text(row.content_type),
                SqlParam::Text(row.intent_id),
                SqlParam::Integer(row.not_before_ms),
                SqlParam::Integer(unix_ms(SystemTime::now())),
            ],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::sqlite;

    #[test]
    fn the_statement_enqueues_what_enqueue_would() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        sqlite::install(&conn).unwrap();
        let call = OutboxCall::post("/orders/{id}/pay")
            .path_param("id", "o_1")
            .header("X-Trace", "t")
            .body("{}", "application/json")
            .partition("p")
            .intent_id("pay-o_1");
        let insert = call
            .insert_statement(Placeholders::QuestionMark, "oncely_outbox")
            .unwrap();
        let params: Vec<rusqlite::types::Value> = insert
            .params
            .iter()
            .map(|p| match p {
                SqlParam::Null => rusqlite::types::Value::Null,
                SqlParam::Integer(i) => rusqlite::types::Value::Integer(*i),
                SqlParam::Text(t) => rusqlite::types::Value::Text(t.clone()),
                SqlParam::Blob(b) => rusqlite::types::Value::Blob(b.clone()),
            })
            .collect();
        let id: i64 = conn
            .query_row(
                &insert.sql,
                rusqlite::params_from_iter(params.iter()),
                |r| r.get(0),
            )
            .unwrap();
        let again = sqlite::enqueue(&conn, &call).unwrap_err();
        assert!(
            matches!(again, OutboxError::DuplicateIntent { existing, .. } if existing == id),
            "{again}"
        );
        let dollar = call
            .insert_statement(Placeholders::Dollar, "oncely.oncely_outbox")
            .unwrap();
        assert!(dollar.sql.contains("$11)"), "{}", dollar.sql);
        let percent = call
            .insert_statement(Placeholders::Percent, "oncely_outbox")
            .unwrap();
        assert_eq!(percent.sql.matches("%s").count(), 11);
        assert!(call
            .insert_statement(Placeholders::Dollar, "x; DROP TABLE y")
            .is_err());
    }
}
