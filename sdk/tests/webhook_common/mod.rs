//! What the webhook inbox tests share: signed deliveries on a manual clock,
//! and the scenarios every inbox store must pass (run on SQLite and
//! PostgreSQL by `webhook_inbox.rs` and `webhook_postgres.rs`).

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use oncely::webhook::{
    EventState, ManualClock, Receipt, StandardWebhooks, WebhookError, WebhookInbox,
};
use serde_json::json;
use tokio::sync::{oneshot, Notify};

/// The secret every test delivery is signed with.
pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// The manual clock's start (Unix seconds).
pub const T0: i64 = 1_800_000_000;

/// A verifier for [`SECRET`].
pub fn verifier() -> StandardWebhooks {
    StandardWebhooks::new(SECRET).unwrap()
}

/// A delivery of event `id`: its signed headers (at [`T0`]) and body.
pub fn delivery(id: &str) -> (Vec<(String, String)>, Vec<u8>) {
    let body = serde_json::to_vec(&json!({"id": id, "type": "order.created"})).unwrap();
    let headers = verifier()
        .headers(id, T0, &body)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    (headers, body)
}

/// A handler that counts its runs and answers a small summary.
pub fn counting(
    runs: &Arc<AtomicUsize>,
) -> impl FnOnce(oncely::webhook::VerifiedWebhook) -> std::future::Ready<Result<serde_json::Value, String>>
{
    let runs = runs.clone();
    move |event| {
        let n = runs.fetch_add(1, Ordering::SeqCst) + 1;
        std::future::ready(Ok(json!({"event": event.id, "run": n})))
    }
}

/// Opens inboxes on one store, all on `clock`.
pub type Open<'a> = &'a dyn Fn(&ManualClock) -> futures::future::BoxFuture<'static, WebhookInbox>;

/// A redelivery after success is a duplicate carrying the first result;
/// the handler does not run again.
pub async fn redelivery_after_success_is_a_duplicate(open: Open<'_>) {
    let clock = ManualClock::at(T0);
    let inbox = open(&clock).await;
    let runs = Arc::new(AtomicUsize::new(0));
    let (headers, body) = delivery("evt_ok");
    let first = inbox
        .receive(&verifier(), &headers, &body, counting(&runs))
        .await
        .unwrap();
    let summary = json!({"event": "evt_ok", "run": 1});
    assert_eq!(
        first,
        Receipt::Processed {
            event_id: "evt_ok".into(),
            result: Some(summary.clone())
        }
    );
    for _ in 0..3 {
        clock.advance(Duration::from_secs(30));
        let again = inbox
            .receive(&verifier(), &headers, &body, counting(&runs))
            .await
            .unwrap();
        assert_eq!(
            again,
            Receipt::Duplicate {
                event_id: "evt_ok".into(),
                result: Some(summary.clone())
            }
        );
        assert_eq!(again.http_status(), 200);
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    let record = inbox.get("evt_ok").await.unwrap().unwrap();
    assert_eq!(record.state, EventState::Done);
    assert_eq!(record.attempts, 1);
    assert_eq!(record.result, Some(summary));
    assert_eq!(record.received_ms, T0 * 1000);
    // A delivery failing verification records nothing.
    let mut forged = headers.clone();
    forged[0].1 = "evt_forged".into();
    let refused = inbox
        .receive(&verifier(), &forged, &body, counting(&runs))
        .await
        .unwrap_err();
    assert!(
        matches!(refused, WebhookError::NoValidSignature),
        "{refused}"
    );
    assert_eq!(refused.http_status(), 400);
    assert!(inbox.get("evt_forged").await.unwrap().is_none());
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

/// A failed handler is recorded; the redelivery runs it again.
pub async fn redelivery_after_failure_runs_again(open: Open<'_>) {
    let clock = ManualClock::at(T0);
    let inbox = open(&clock).await;
    let (headers, body) = delivery("evt_flaky");
    let failed = inbox
        .receive(&verifier(), &headers, &body, |_| async {
            Err::<(), _>("upstream said 503")
        })
        .await
        .unwrap_err();
    match &failed {
        WebhookError::HandlerFailed { event_id, message } => {
            assert_eq!(event_id, "evt_flaky");
            assert_eq!(message, "upstream said 503");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(failed.http_status(), 500);
    let record = inbox.get("evt_flaky").await.unwrap().unwrap();
    assert_eq!(record.state, EventState::Failed);
    assert_eq!(record.last_error.as_deref(), Some("upstream said 503"));
    let runs = Arc::new(AtomicUsize::new(0));
    let again = inbox
        .receive(&verifier(), &headers, &body, counting(&runs))
        .await
        .unwrap();
    assert!(matches!(again, Receipt::Processed { .. }), "{again:?}");
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    let record = inbox.get("evt_flaky").await.unwrap().unwrap();
    assert_eq!((record.state, record.attempts), (EventState::Done, 2));
    // `()` keeps no result.
    let (headers, body) = delivery("evt_unit");
    let unit = inbox
        .receive(&verifier(), &headers, &body, |_| async {
            Ok::<_, String>(())
        })
        .await
        .unwrap();
    assert_eq!(
        unit,
        Receipt::Processed {
            event_id: "evt_unit".into(),
            result: None
        }
    );
}

/// Deliveries of one event at once, through two inboxes on one store: the
/// handler runs once; the others are told it is in progress, then that it
/// is a duplicate.
pub async fn concurrent_deliveries_run_the_handler_once(open: Open<'_>) {
    let clock = ManualClock::at(T0);
    let (a, b) = (open(&clock).await, open(&clock).await);
    let runs = Arc::new(AtomicUsize::new(0));
    let release = Arc::new(Notify::new());
    let (started_tx, started_rx) = oneshot::channel();
    let (headers, body) = delivery("evt_race");
    let first = {
        let (a, runs, release, headers, body) = (
            a.clone(),
            runs.clone(),
            release.clone(),
            headers.clone(),
            body.clone(),
        );
        tokio::spawn(async move {
            a.receive(&verifier(), &headers, &body, move |_| async move {
                runs.fetch_add(1, Ordering::SeqCst);
                started_tx.send(()).ok();
                release.notified().await;
                Ok::<_, String>("sent")
            })
            .await
        })
    };
    started_rx.await.unwrap();
    // While the first holds the lease, every other delivery is turned away.
    let others = futures::future::join_all((0..4).map(|i| {
        let inbox = if i % 2 == 0 { &a } else { &b };
        let (runs, headers, body) = (runs.clone(), headers.clone(), body.clone());
        async move {
            inbox
                .receive(&verifier(), &headers, &body, counting(&runs))
                .await
                .unwrap()
        }
    }))
    .await;
    for receipt in &others {
        assert!(matches!(receipt, Receipt::InProgress { .. }), "{receipt:?}");
        assert_eq!(receipt.http_status(), 409);
    }
    release.notify_one();
    let first = first.await.unwrap().unwrap();
    assert!(matches!(first, Receipt::Processed { .. }), "{first:?}");
    let later = b
        .receive(&verifier(), &headers, &body, counting(&runs))
        .await
        .unwrap();
    assert_eq!(
        later,
        Receipt::Duplicate {
            event_id: "evt_race".into(),
            result: Some(json!("sent"))
        }
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

/// A receiver that dies while its handler runs (its future dropped) leaves
/// the event leased: a redelivery meanwhile is in progress, one after the
/// lease ran out takes it over. A claimant that wakes after being taken
/// over records nothing.
pub async fn a_crashed_delivery_is_taken_over_after_its_lease(open: Open<'_>) {
    let clock = ManualClock::at(T0);
    let lease = Duration::from_secs(30);
    let inbox = open(&clock).await.lease(lease);
    let (headers, body) = delivery("evt_crash");
    let (started_tx, started_rx) = oneshot::channel();
    {
        let dying = inbox.receive(&verifier(), &headers, &body, move |_| async move {
            started_tx.send(()).ok();
            std::future::pending::<Result<(), String>>().await
        });
        tokio::select! {
            _ = dying => unreachable!("the handler never finishes"),
            _ = started_rx => {}
        }
        // The receive future is dropped here: the process "died".
    }
    let record = inbox.get("evt_crash").await.unwrap().unwrap();
    assert_eq!(record.state, EventState::Processing);
    assert_eq!(record.lease_until_ms, Some(T0 * 1000 + 30_000));
    let runs = Arc::new(AtomicUsize::new(0));
    clock.advance(Duration::from_secs(29));
    let early = inbox
        .receive(&verifier(), &headers, &body, counting(&runs))
        .await
        .unwrap();
    assert!(
        matches!(early, Receipt::InProgress { lease_until_ms, .. } if lease_until_ms == T0 * 1000 + 30_000),
        "{early:?}"
    );
    clock.advance(Duration::from_secs(1));
    let taken = inbox
        .receive(&verifier(), &headers, &body, counting(&runs))
        .await
        .unwrap();
    assert!(matches!(taken, Receipt::Processed { .. }), "{taken:?}");
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(inbox.get("evt_crash").await.unwrap().unwrap().attempts, 2);

    // A slow claimant whose lease ran out and was taken over.
    let (headers, body) = delivery("evt_slow");
    let release = Arc::new(Notify::new());
    let (started_tx, started_rx) = oneshot::channel();
    let slow = {
        let (inbox, release, headers, body) = (
            inbox.clone(),
            release.clone(),
            headers.clone(),
            body.clone(),
        );
        tokio::spawn(async move {
            inbox
                .receive(&verifier(), &headers, &body, move |_| async move {
                    started_tx.send(()).ok();
                    release.notified().await;
                    Ok::<_, String>("late")
                })
                .await
        })
    };
    started_rx.await.unwrap();
    clock.advance(lease);
    let other = open(&clock).await.lease(lease);
    let taken = other
        .receive(&verifier(), &headers, &body, counting(&runs))
        .await
        .unwrap();
    assert!(matches!(taken, Receipt::Processed { .. }), "{taken:?}");
    release.notify_one();
    let late = slow.await.unwrap().unwrap_err();
    assert!(
        matches!(late, WebhookError::LeaseLost { ref event_id } if event_id == "evt_slow"),
        "{late}"
    );
    let record = other.get("evt_slow").await.unwrap().unwrap();
    assert_eq!(record.state, EventState::Done);
    assert_eq!(record.result, Some(json!({"event": "evt_slow", "run": 2})));
}

/// Sources keep ids of different senders apart.
pub async fn sources_keep_senders_apart(open: Open<'_>) {
    let clock = ManualClock::at(T0);
    let orders = open(&clock).await.source("orders");
    let billing = open(&clock).await.source("billing");
    let runs = Arc::new(AtomicUsize::new(0));
    let (headers, body) = delivery("evt_1");
    for inbox in [&orders, &billing] {
        let receipt = inbox
            .receive(&verifier(), &headers, &body, counting(&runs))
            .await
            .unwrap();
        assert!(matches!(receipt, Receipt::Processed { .. }), "{receipt:?}");
    }
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    assert_eq!(orders.list(10).await.unwrap().len(), 1);
    assert_eq!(orders.list(10).await.unwrap()[0].source, "orders");
}
