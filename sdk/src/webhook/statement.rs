//! The claim `INSERT` as text, for applications whose transaction runs on a
//! connection oncely cannot hold (Python's `sqlite3` or `psycopg`, Node's
//! `better-sqlite3` or `pg`). [`sqlite::claim_event`](super::sqlite::claim_event)
//! and [`postgres::claim_event`](super::postgres::claim_event) execute this
//! same statement. It is the contract (schema version 1):
//!
//! - parameters, in order: the source, the event id, now in Unix
//!   milliseconds, and now again;
//! - it returns one row when the event is claimed (new, or its last
//!   processing failed): run the handler in the same transaction; no row
//!   when the event was processed before (a duplicate).
//!
//! Use one way per source: an event a [`WebhookInbox`](super::WebhookInbox)
//! is processing (under its lease) also answers no row here.

use crate::outbox::Placeholders;

use super::WebhookError;

/// The claim statement for `table` (`oncely_webhook_events`, or
/// `schema.oncely_webhook_events` on PostgreSQL) with `style` placeholders.
///
/// ```
/// use oncely::outbox::Placeholders;
/// let sql = oncely::webhook::claim_statement(Placeholders::Dollar, "app.oncely_webhook_events").unwrap();
/// assert!(sql.starts_with("INSERT INTO app.oncely_webhook_events"));
/// assert!(sql.contains("$4"));
/// ```
pub fn claim_statement(style: Placeholders, table: &str) -> Result<String, WebhookError> {
    let valid = |part: &str| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    if table.split('.').count() > 2 || !table.split('.').all(valid) {
        return Err(WebhookError::InvalidConfig {
            what: format!("table name {table:?}"),
            why: "must be `oncely_webhook_events` or `schema.oncely_webhook_events` (lower-case letters, digits, `_`)".into(),
        });
    }
    let p = |n: usize| match style {
        Placeholders::QuestionMark => "?".to_owned(),
        Placeholders::Percent => "%s".to_owned(),
        Placeholders::Dollar => format!("${n}"),
    };
    Ok(format!(
        "INSERT INTO {table} AS e (source, event_id, state, attempts, received_ms, finished_ms) \
         VALUES ({}, {}, 'done', 1, {}, {}) \
         ON CONFLICT (source, event_id) DO UPDATE SET state = 'done', \
         attempts = e.attempts + 1, finished_ms = excluded.finished_ms, lease_owner = NULL, \
         lease_until_ms = NULL, last_error = NULL \
         WHERE e.state = 'failed' \
         RETURNING 1",
        p(1),
        p(2),
        p(3),
        p(4)
    ))
}
