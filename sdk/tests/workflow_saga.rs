//! Workflows against the reference server, asserted on the wire (the server's
//! ledger of side effects and request log): happy path, compensation, crash
//! and resume, 202 operations resumed from the journal, parking and manual
//! retry, and every bad input as a typed error.

mod workflow_common;

use std::sync::Arc;
use std::time::Duration;

use oncely::store::{RunFilter, RunState, StepPhase, StepStatus};
use oncely::workflow::{
    compensation_key, mark_for_resume, mark_for_retry, show_run, step_key, Engine, StepContext,
    Workflow, WorkflowError,
};
use oncely::{MemoryStore, SqliteStore, Store};
use orders_server::{Fault, FaultRule, SideEffect};
use workflow_common::*;

fn sqlite(dir: &tempfile::TempDir) -> Arc<dyn Store> {
    Arc::new(SqliteStore::open(dir.path().join("oncely.db")).unwrap())
}

#[tokio::test]
async fn a_saga_completes_with_one_side_effect_per_step_and_step_keys_on_the_wire() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(&server.base_url(), sqlite(&dir), "w1");
    let saga = order_saga();
    let outcome = engine
        .start(&saga, Some("order-1"), &OrderInput::new(1, false))
        .await
        .unwrap();
    assert_eq!(outcome.state, RunState::Completed, "{outcome:?}");
    let order: Resource = outcome.output("create_order").unwrap();
    for kind in [
        SideEffect::OrderCreated,
        SideEffect::InventoryReserved,
        SideEffect::PaymentAuthorized,
        SideEffect::ShipmentRequested,
    ] {
        assert_eq!(count(&server, kind, &order.id), 1, "{kind:?}");
    }
    assert_eq!(server.ledger().len(), 4, "nothing else happened");
    // Each step's request carried UUIDv5(run id, step name).
    let create = requests_to(&server, "POST", "/orders");
    assert_eq!(create.len(), 1);
    assert_eq!(
        create[0].idempotency_key.as_deref(),
        Some(step_key("order-1", "create_order").as_str())
    );
    let pay = requests_to(&server, "POST", &format!("/orders/{}/payments", order.id));
    assert_eq!(
        pay[0].idempotency_key.as_deref(),
        Some(step_key("order-1", "authorize_payment").as_str())
    );
    // The journal shows every step succeeded once, with the shipment's result.
    let details = engine.show_run("order-1").await.unwrap();
    assert!(
        details
            .steps
            .iter()
            .all(|s| s.status == StepStatus::Succeeded && s.attempts == 1),
        "{}",
        details.render()
    );
    let shipment = details
        .steps
        .iter()
        .find(|s| s.name == "request_shipment")
        .unwrap();
    assert!(shipment.resume_token.is_some());
    assert_eq!(shipment.output.as_ref().unwrap()["status"], "dispatched");
    // Starting the same run id again runs nothing.
    let before = server.requests().len();
    let again = engine
        .start(&saga, Some("order-1"), &OrderInput::new(1, false))
        .await
        .unwrap();
    assert_eq!(again.state, RunState::Completed);
    assert_eq!(
        server.requests().len(),
        before,
        "a finished run sends nothing"
    );
}

#[tokio::test]
async fn a_declined_payment_compensates_in_reverse_with_their_own_keys() {
    let server = server().await;
    let engine = engine(&server.base_url(), Arc::new(MemoryStore::new()), "w1");
    let outcome = engine
        .start(&order_saga(), Some("order-2"), &OrderInput::new(2, true))
        .await
        .unwrap();
    assert_eq!(outcome.state, RunState::Compensated, "{outcome:?}");
    let error = outcome.error.clone().unwrap();
    assert_eq!(error["step"], "authorize_payment");
    assert_eq!(error["error"]["status"], 402);
    assert_eq!(error["error"]["kind"], "permanent");
    let order: Resource = outcome.output("create_order").unwrap();
    assert_eq!(count(&server, SideEffect::PaymentAuthorized, &order.id), 0);
    assert_eq!(
        count(&server, SideEffect::ReservationReleased, &order.id),
        1
    );
    assert_eq!(count(&server, SideEffect::OrderCancelled, &order.id), 1);
    // Reverse order: release before cancel.
    let kinds: Vec<_> = server.ledger().iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            SideEffect::OrderCreated,
            SideEffect::InventoryReserved,
            SideEffect::ReservationReleased,
            SideEffect::OrderCancelled
        ]
    );
    let cancel = requests_to(&server, "POST", &format!("/orders/{}/cancel", order.id));
    assert_eq!(
        cancel[0].idempotency_key.as_deref(),
        Some(compensation_key("order-2", "create_order", 0).as_str())
    );
    // 402 is final: the payment was sent once, not retried.
    assert_eq!(
        requests_to(&server, "POST", &format!("/orders/{}/payments", order.id)).len(),
        1
    );
}

#[tokio::test]
async fn a_crash_mid_step_resumes_without_repeating_finished_steps_and_resends_the_same_key() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    // The reservation is slow: the process "crashes" while it is in flight.
    server.add_fault(FaultRule::new(
        "POST /orders/{order_id}/reservations",
        Fault::delay_ms(300),
    ));
    let crashing = engine(&server.base_url(), sqlite(&dir), "w1");
    let saga = order_saga();
    let task = tokio::spawn({
        let saga = saga.clone();
        async move {
            crashing
                .start(&saga, Some("order-3"), &OrderInput::new(3, false))
                .await
        }
    });
    wait_until(|| {
        server
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/reservations"))
    })
    .await;
    task.abort();
    let _ = task.await;
    // The journal says: create_order succeeded, reserve_inventory in flight.
    let store = sqlite(&dir);
    let journal = store.clone().as_journal().unwrap();
    let details = show_run(&*journal, "order-3").await.unwrap();
    assert_eq!(details.run.state, RunState::Running);
    let reserve = details
        .steps
        .iter()
        .find(|s| s.name == "reserve_inventory")
        .unwrap();
    assert_eq!(reserve.status, StepStatus::Started, "{}", details.render());
    assert!(details.has_step_in_flight());

    // A restarted process (same worker id, fresh client and store handle) resumes.
    let restarted = engine(&server.base_url(), store, "w1");
    let outcome = restarted.resume("order-3").await.unwrap();
    assert_eq!(outcome.state, RunState::Completed, "{outcome:?}");
    let order: Resource = outcome.output("create_order").unwrap();
    assert_eq!(
        requests_to(&server, "POST", "/orders").len(),
        1,
        "create_order was not called again"
    );
    let reservations = requests_to(
        &server,
        "POST",
        &format!("/orders/{}/reservations", order.id),
    );
    assert!(
        reservations.len() >= 2,
        "re-sent after the crash: {reservations:?}"
    );
    let key = step_key("order-3", "reserve_inventory");
    assert!(
        reservations
            .iter()
            .all(|r| r.idempotency_key.as_deref() == Some(key.as_str())),
        "same key every time"
    );
    assert_eq!(
        count(&server, SideEffect::InventoryReserved, &order.id),
        1,
        "reserved once"
    );
    assert_eq!(server.ledger().len(), 4);
}

#[tokio::test]
async fn a_resumed_run_keeps_polling_its_journaled_operation_instead_of_submitting_again() {
    let server = orders_server::spawn(orders_server::ServerConfig {
        operation_duration: Duration::from_millis(400),
        retry_after_ms: Some(5),
        ..Default::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let crashing = engine(&server.base_url(), sqlite(&dir), "w1");
    let task = tokio::spawn(async move {
        crashing
            .start(&order_saga(), Some("order-4"), &OrderInput::new(4, false))
            .await
    });
    let journal = sqlite(&dir).as_journal().unwrap();
    let mut token = None;
    for _ in 0..400 {
        let steps = journal.steps("order-4").await.unwrap();
        token = steps
            .iter()
            .find(|s| s.name == "request_shipment")
            .and_then(|s| s.resume_token.clone());
        if token.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(token.is_some(), "the operation's token was journaled");
    task.abort();
    let _ = task.await;
    let restarted = engine(&server.base_url(), sqlite(&dir), "w1");
    let outcome = restarted.resume("order-4").await.unwrap();
    assert_eq!(outcome.state, RunState::Completed, "{outcome:?}");
    let order: Resource = outcome.output("create_order").unwrap();
    assert_eq!(
        requests_to(&server, "POST", &format!("/orders/{}/shipments", order.id)).len(),
        1,
        "submitted once"
    );
    assert_eq!(count(&server, SideEffect::ShipmentRequested, &order.id), 1);
    assert_eq!(outcome.outputs["request_shipment"]["status"], "dispatched");
}

#[tokio::test]
async fn a_compensation_that_keeps_failing_parks_the_run_and_a_manual_retry_finishes_it() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(&server.base_url(), sqlite(&dir), "w1");
    server.add_fault(
        FaultRule::new("POST /orders/{order_id}/cancel", Fault::internal_error()).every(),
    );
    let outcome = engine
        .start(&order_saga(), Some("order-5"), &OrderInput::new(5, true))
        .await
        .unwrap();
    assert_eq!(outcome.state, RunState::NeedsAttention, "{outcome:?}");
    let error = outcome.error.clone().unwrap();
    assert_eq!(error["step"], "create_order");
    assert_eq!(error["phase"], "compensation");
    assert_eq!(
        error["cause"]["step"], "authorize_payment",
        "the original failure is kept"
    );
    // Listed as parked, with the whole history.
    let parked = engine
        .list_runs(&RunFilter {
            states: vec![RunState::NeedsAttention],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        parked.iter().map(|r| r.run_id.as_str()).collect::<Vec<_>>(),
        ["order-5"]
    );
    let details = engine.show_run("order-5").await.unwrap();
    let kinds: Vec<&str> = details.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == "compensation_attempt_failed")
            .count(),
        2,
        "{kinds:?}"
    );
    assert_eq!(kinds.last(), Some(&"parked"));
    let order: Resource = outcome.output("create_order").unwrap();
    assert_eq!(
        count(&server, SideEffect::ReservationReleased, &order.id),
        1,
        "the other compensation ran"
    );
    assert_eq!(count(&server, SideEffect::OrderCancelled, &order.id), 0);
    // Resume does not touch a parked run; retry by hand does.
    let err = mark_for_resume(&**engine.journal(), "order-5")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            WorkflowError::WrongState {
                state: RunState::NeedsAttention,
                ..
            }
        ),
        "{err}"
    );
    server.clear_faults();
    let outcome = engine.retry("order-5").await.unwrap();
    assert_eq!(outcome.state, RunState::Compensated, "{outcome:?}");
    assert_eq!(count(&server, SideEffect::OrderCancelled, &order.id), 1);
    assert_eq!(
        count(&server, SideEffect::ReservationReleased, &order.id),
        1,
        "not released twice"
    );
    let cancels = requests_to(&server, "POST", &format!("/orders/{}/cancel", order.id));
    let last = cancels.last().unwrap();
    assert_eq!(
        last.idempotency_key.as_deref(),
        Some(compensation_key("order-5", "create_order", 1).as_str()),
        "next generation"
    );
    let err = mark_for_retry(&**engine.journal(), "order-5")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            WorkflowError::WrongState {
                state: RunState::Compensated,
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_changed_workflow_is_refused_before_anything_runs() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite(&dir);
    let engine = engine(&server.base_url(), store.clone(), "w1");
    engine
        .enqueue(&order_saga(), Some("order-6"), &OrderInput::new(6, false))
        .await
        .unwrap();
    let changed = Workflow::builder("order")
        .step("create_order", |_: StepContext| async { Ok(()) })
        .step("authorize_payment", |_: StepContext| async { Ok(()) })
        .step("reserve_inventory", |_: StepContext| async { Ok(()) })
        .build()
        .unwrap();
    let err = engine.resume_with(&changed, "order-6").await.unwrap_err();
    match &err {
        WorkflowError::DefinitionChanged {
            run_id,
            journaled,
            current,
            ..
        } => {
            assert_eq!(run_id, "order-6");
            assert_eq!(journaled.len(), 4);
            assert_eq!(
                current,
                &["create_order", "authorize_payment", "reserve_inventory"]
            );
        }
        other => panic!("expected DefinitionChanged, got {other}"),
    }
    assert!(err.to_string().contains("nothing was executed"), "{err}");
    assert!(server.requests().is_empty(), "nothing was sent");
    // A worker that has the changed definition registered refuses it too.
    let worker = Engine::new(
        client(&server.base_url(), store.clone()),
        store.as_journal().unwrap(),
    )
    .register(changed);
    assert!(matches!(
        worker.work_once().await,
        Err(WorkflowError::DefinitionChanged { .. })
    ));
    assert!(server.requests().is_empty());
    // The refusing worker keeps the lease until it expires, so other workers
    // move on; once it is released, the original definition finishes the run.
    let err = engine.resume("order-6").await.unwrap_err();
    assert!(matches!(err, WorkflowError::Leased { .. }), "{err}");
    worker.release_own_leases().await.unwrap();
    let outcome = engine.resume("order-6").await.unwrap();
    assert_eq!(outcome.state, RunState::Completed, "{outcome:?}");
}

#[tokio::test]
async fn bad_inputs_are_typed_errors() {
    let server = server().await;
    let engine = engine(&server.base_url(), Arc::new(MemoryStore::new()), "w1");
    let saga = order_saga();
    assert!(matches!(
        engine.resume("no-such-run").await,
        Err(WorkflowError::UnknownRun { .. })
    ));
    assert!(matches!(
        engine.show_run("no-such-run").await,
        Err(WorkflowError::UnknownRun { .. })
    ));
    assert!(matches!(
        mark_for_retry(&**engine.journal(), "no-such-run").await,
        Err(WorkflowError::UnknownRun { .. })
    ));
    assert!(matches!(
        engine
            .start(&saga, Some(""), &OrderInput::new(0, false))
            .await,
        Err(WorkflowError::InvalidInput { .. })
    ));
    assert!(matches!(
        engine
            .start(&saga, Some("a\u{0}b"), &OrderInput::new(0, false))
            .await,
        Err(WorkflowError::InvalidInput { .. })
    ));
    // The same run id with another input or workflow.
    engine
        .enqueue(&saga, Some("taken"), &OrderInput::new(1, false))
        .await
        .unwrap();
    assert!(matches!(
        engine
            .start(&saga, Some("taken"), &OrderInput::new(2, false))
            .await,
        Err(WorkflowError::RunIdTaken { .. })
    ));
    let other = Workflow::builder("other")
        .step("x", |_: StepContext| async { Ok(()) })
        .build()
        .unwrap();
    assert!(matches!(
        engine.start(&other, Some("taken"), &()).await,
        Err(WorkflowError::RunIdTaken { .. })
    ));
    // A run of a workflow this engine does not know.
    engine.enqueue(&other, Some("other-1"), &()).await.unwrap();
    assert!(matches!(
        engine.resume("other-1").await,
        Err(WorkflowError::UnknownWorkflow { .. })
    ));
    // A run held by a live worker.
    let journal = engine.journal().clone();
    journal
        .acquire("taken", "someone-else", Duration::from_secs(60))
        .await
        .unwrap();
    let err = engine.resume("taken").await.unwrap_err();
    assert!(
        matches!(err, WorkflowError::Leased { ref owner, .. } if owner == "someone-else"),
        "{err}"
    );
    // A store without a journal.
    #[derive(Debug)]
    struct NoJournal;
    #[async_trait::async_trait]
    impl Store for NoJournal {
        async fn begin(
            &self,
            _: oncely::store::IntentRecord,
        ) -> Result<oncely::store::Begin, oncely::store::StoreError> {
            Ok(oncely::store::Begin::Started)
        }
        async fn complete(
            &self,
            _: &str,
            _: oncely::store::StoredOutcome,
        ) -> Result<(), oncely::store::StoreError> {
            Ok(())
        }
        async fn get(
            &self,
            _: &str,
        ) -> Result<Option<oncely::store::IntentRecord>, oncely::store::StoreError> {
            Ok(None)
        }
        async fn purge_expired(&self, _: i64) -> Result<u64, oncely::store::StoreError> {
            Ok(0)
        }
    }
    let c = oncely::Client::builder(server.base_url())
        .store(NoJournal)
        .build()
        .unwrap();
    assert!(matches!(
        Engine::for_client(c),
        Err(WorkflowError::NoJournal { .. })
    ));
    assert!(server.requests().is_empty(), "no bad input sent anything");
}

#[tokio::test]
async fn a_step_that_decides_to_fail_compensates_and_a_retryable_one_is_retried_with_its_key() {
    let server = server().await;
    let engine = engine(&server.base_url(), Arc::new(MemoryStore::new()), "w1");
    // Every payment attempt gets 503: the client retries, the step retries,
    // then it fails; since it may have taken effect (an earlier attempt could
    // have been applied), settling it is tried, fails too, and the run parks.
    server
        .add_fault(FaultRule::new("POST /orders/{order_id}/payments", Fault::status(503)).every());
    let outcome = engine
        .start(&order_saga(), Some("order-7"), &OrderInput::new(7, false))
        .await
        .unwrap();
    assert_eq!(outcome.state, RunState::NeedsAttention, "{outcome:?}");
    assert!(outcome.error.as_ref().unwrap()["why"]
        .as_str()
        .unwrap()
        .contains("could not be settled"));
    let order: Resource = outcome.output("create_order").unwrap();
    let payments = requests_to(&server, "POST", &format!("/orders/{}/payments", order.id));
    assert_eq!(
        payments.len(),
        2 * 3 * 4,
        "(3 step attempts × 4 client attempts), then as many to settle"
    );
    let key = step_key("order-7", "authorize_payment");
    assert!(payments
        .iter()
        .all(|r| r.idempotency_key.as_deref() == Some(key.as_str())));
    let details = engine.show_run("order-7").await.unwrap();
    let pay = details
        .steps
        .iter()
        .find(|s| s.name == "authorize_payment" && s.phase == StepPhase::Action)
        .unwrap();
    assert_eq!((pay.status, pay.attempts), (StepStatus::Failed, 6));
    assert_eq!(
        count(&server, SideEffect::OrderCancelled, &order.id),
        0,
        "parked before compensating further"
    );
    // The provider recovers; a person retries the run: the payment is settled
    // with its key (applied now), voided, and the rest compensated.
    server.clear_faults();
    let outcome = engine.retry("order-7").await.unwrap();
    assert_eq!(outcome.state, RunState::Compensated, "{outcome:?}");
    assert_eq!(count(&server, SideEffect::PaymentAuthorized, &order.id), 1);
    assert_eq!(count(&server, SideEffect::PaymentVoided, &order.id), 1);
    assert_eq!(
        count(&server, SideEffect::ReservationReleased, &order.id),
        1
    );
    assert_eq!(count(&server, SideEffect::OrderCancelled, &order.id), 1);

    let refuse = Workflow::builder("refuse")
        .step("a", |_: StepContext| async { Ok(1) })
        .compensate(|_: StepContext| async { Ok(()) })
        .step("b", |_: StepContext| async {
            Err::<(), _>(oncely::StepError::permanent("out of stock"))
        })
        .build()
        .unwrap();
    let engine = engine.register(refuse.clone());
    let outcome = engine.start(&refuse, None, &()).await.unwrap();
    assert_eq!(outcome.state, RunState::Compensated);
    assert_eq!(outcome.error.unwrap()["error"]["message"], "out of stock");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_sharing_a_sqlite_file_execute_each_run_once() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let saga = order_saga();
    let first = engine(&server.base_url(), sqlite(&dir), "w1");
    for n in 0..12 {
        first
            .enqueue(
                &saga,
                Some(&format!("order-{n}")),
                &OrderInput::new(n, n % 4 == 0),
            )
            .await
            .unwrap();
    }
    let workers: Vec<_> = (0..3)
        .map(|w| {
            let engine = engine(&server.base_url(), sqlite(&dir), &format!("w{w}"));
            tokio::spawn(async move {
                engine
                    .work(3, Duration::from_millis(5), true)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut completed = 0;
    let mut compensated = 0;
    for w in workers {
        let stats = w.await.unwrap();
        completed += stats.completed;
        compensated += stats.compensated;
    }
    assert_eq!((completed, compensated), (9, 3));
    let ledger = server.ledger();
    let created = ledger
        .iter()
        .filter(|e| e.kind == SideEffect::OrderCreated)
        .count();
    assert_eq!(created, 12, "each run created its order once");
    let mut seen = std::collections::HashSet::new();
    for e in &ledger {
        assert!(
            seen.insert((e.kind, e.order_id)),
            "duplicate side effect {e:?}"
        );
    }
}

async fn wait_until(mut done: impl FnMut() -> bool) {
    for _ in 0..1000 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    panic!("condition not reached");
}

#[tokio::test]
async fn an_ambiguous_step_is_settled_with_its_key_then_compensated() {
    let server = server().await;
    let engine = engine(&server.base_url(), Arc::new(MemoryStore::new()), "w1");
    // The payment is applied but its answer is lost; every retry of the step
    // (3 step attempts × 4 client attempts) then meets a 503, so the step
    // fails although the server authorized the payment.
    server.add_fault(FaultRule::new(
        "POST /orders/{order_id}/payments",
        Fault::DropAfterCommit,
    ));
    server.add_fault(
        FaultRule::new("POST /orders/{order_id}/payments", Fault::status(503))
            .nth(2)
            .times(11),
    );
    let outcome = engine
        .start(&order_saga(), Some("order-8"), &OrderInput::new(8, false))
        .await
        .unwrap();
    assert_eq!(outcome.state, RunState::Compensated, "{outcome:?}");
    let error = outcome.error.clone().unwrap();
    assert_eq!(error["step"], "authorize_payment");
    assert_eq!(error["error"]["ambiguous"], true, "{error}");
    let order: Resource = outcome.output("create_order").unwrap();
    // Settling re-sent the payment with its key: the server replayed it, and
    // the payment was then voided like a finished step's.
    let payments = requests_to(&server, "POST", &format!("/orders/{}/payments", order.id));
    assert_eq!(payments.len(), 13, "12 failed tries, then the settling one");
    assert!(
        payments.last().unwrap().replayed,
        "the settling request was a replay"
    );
    assert!(payments
        .iter()
        .all(|r| r.idempotency_key.as_deref()
            == Some(step_key("order-8", "authorize_payment").as_str())));
    assert_eq!(count(&server, SideEffect::PaymentAuthorized, &order.id), 1);
    assert_eq!(
        count(&server, SideEffect::PaymentVoided, &order.id),
        1,
        "no side effect left behind"
    );
    assert_eq!(
        count(&server, SideEffect::ReservationReleased, &order.id),
        1
    );
    assert_eq!(count(&server, SideEffect::OrderCancelled, &order.id), 1);
    let details = engine.show_run("order-8").await.unwrap();
    assert!(
        details.events.iter().any(|e| e.kind == "step_settled"),
        "{}",
        details.render()
    );
}

#[tokio::test]
async fn an_ambiguous_step_the_server_never_applied_needs_no_compensation() {
    let server = server().await;
    let engine = engine(&server.base_url(), Arc::new(MemoryStore::new()), "w1");
    // 12 × 503 spend the step's tries; the settling request then reaches the
    // server, which declines the card (402): the payment never happened.
    server.add_fault(
        FaultRule::new("POST /orders/{order_id}/payments", Fault::status(503)).times(12),
    );
    let outcome = engine
        .start(&order_saga(), Some("order-9"), &OrderInput::new(9, true))
        .await
        .unwrap();
    assert_eq!(outcome.state, RunState::Compensated, "{outcome:?}");
    let order: Resource = outcome.output("create_order").unwrap();
    assert_eq!(count(&server, SideEffect::PaymentAuthorized, &order.id), 0);
    assert!(requests_to(
        &server,
        "POST",
        &format!("/orders/{}/payments/void", order.id)
    )
    .is_empty());
    assert_eq!(
        count(&server, SideEffect::ReservationReleased, &order.id),
        1
    );
    assert_eq!(count(&server, SideEffect::OrderCancelled, &order.id), 1);
    let details = engine.show_run("order-9").await.unwrap();
    assert!(
        details
            .events
            .iter()
            .any(|e| e.kind == "step_settled_not_applied"),
        "{}",
        details.render()
    );
    assert!(!details
        .steps
        .iter()
        .any(|s| s.name == "authorize_payment" && s.phase == StepPhase::Compensation));
}
