//! Live updates: one task polls the store for a change stamp while some page
//! listens, and `/events` tells each listening page (Server-Sent Events,
//! event `change`) when the stamp moved; the page's script then refreshes its
//! `<main id="live">` from the same URL. Without JavaScript nothing of this
//! is needed: every page is complete as served.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use oncely::outbox::OutboxFilter;
use oncely::store::{RecordFilter, RunFilter};
use tokio::sync::watch;

use super::routes::Console;

/// How many of the newest runs, rows and records the stamp looks at: a
/// change among older ones is seen through the counts.
const STAMP_DEPTH: usize = 50;

/// A text that changes whenever what the pages show changes: run counts and
/// the newest runs' states and update times, outbox counts and the newest
/// rows' states and attempts, the newest intents' states.
pub async fn stamp(console: &Console) -> String {
    let mut out = String::new();
    let journal = &console.store.journal;
    if let Ok(counts) = journal.count_runs().await {
        out.push_str(&format!("{counts:?};"));
    }
    let newest = RunFilter {
        limit: Some(STAMP_DEPTH),
        ..Default::default()
    };
    if let Ok(runs) = journal.list_runs(&newest).await {
        for r in runs {
            out.push_str(&format!(
                "{}:{}:{}:{};",
                r.run_id, r.state, r.updated_ms, r.generation
            ));
        }
    }
    let records = RecordFilter {
        limit: Some(STAMP_DEPTH),
        ..Default::default()
    };
    if let Ok(records) = console.store.store.list_records(&records).await {
        for r in records {
            out.push_str(&format!("{}:{};", r.key, r.state.as_str()));
        }
    }
    if let Some(outbox) = console.outbox().await {
        if let Ok(stats) = outbox.stats().await {
            out.push_str(&format!("{stats:?};"));
        }
        let rows = OutboxFilter {
            limit: Some(STAMP_DEPTH as u32),
            ..Default::default()
        };
        if let Ok(rows) = outbox.list(&rows).await {
            for row in rows {
                out.push_str(&format!("{}:{}:{};", row.id, row.state, row.attempts));
            }
        }
    }
    out
}

/// Polls [`stamp`] every `every` while a page listens, and bumps the version
/// in `changes` when it moves. Runs until the console stops.
pub async fn watch_store(console: Arc<Console>, changes: watch::Sender<u64>, every: Duration) {
    let mut last = stamp(&console).await;
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if changes.receiver_count() == 0 {
            continue;
        }
        let now = stamp(&console).await;
        if now != last {
            last = now;
            changes.send_modify(|version| *version += 1);
        }
    }
}

/// `GET /events`: an SSE stream with a `change` event each time the store
/// changed (and a comment every 15 s so proxies keep it open).
pub async fn events(
    State(console): State<Arc<Console>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let changes = console.changes.subscribe();
    let stream = futures::stream::unfold(changes, |mut changes| async move {
        changes.changed().await.ok()?;
        let version = *changes.borrow_and_update();
        let event = Event::default().event("change").data(version.to_string());
        Some((Ok(event), changes))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
