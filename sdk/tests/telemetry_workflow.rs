//! A workflow run's trace survives a crash: the run records its span's trace
//! context when it is created; a run killed mid-step and resumed by a
//! restarted engine continues that trace — the resumed run span is a child
//! of the original one, the steps of each drive parent its run span, every
//! call a step makes sits under its step — and the run's end is counted in
//! the workflow metrics.

mod telemetry_common;
mod workflow_common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use oncely::store::Journal;
use oncely::telemetry::{Protocol, TraceContext};
use oncely::workflow::{Engine, StepContext, Workflow};
use oncely::{Method, SqliteStore, Store};
use orders_server::ServerConfig;
use serde_json::{json, Value};
use telemetry_common::*;
use tokio::sync::Notify;
use tracing::Instrument;

/// While set, the `hold` step stops after its call, as if the process died.
static HOLD: AtomicBool = AtomicBool::new(true);
/// Notified when the `hold` step is stopped.
static HELD: Notify = Notify::const_new();

fn workflow() -> Workflow {
    Workflow::builder("traced")
        .step("create_order", |ctx: StepContext| async move {
            let body = json!({"customer_id": "c_1", "items": [{"sku": "A-1", "quantity": 1}], "currency": "EUR"});
            Ok(ctx.post("/orders").json(&body).send_json::<Value>().await?)
        })
        .step("hold", |ctx: StepContext| async move {
            let order: Value = ctx.output("create_order")?;
            let id = order["id"].as_str().unwrap_or_default().to_string();
            let read = ctx
                .request(Method::GET, "/orders/{order_id}")
                .path_param("order_id", &id)
                .send_json::<Value>()
                .await?;
            if HOLD.load(Ordering::SeqCst) {
                HELD.notify_one();
                std::future::pending::<()>().await;
            }
            Ok(read)
        })
        .build()
        .expect("workflow")
}

#[tokio::test]
async fn a_resumed_run_continues_the_trace_it_started() {
    let sink = sink(Protocol::HttpProtobuf);
    let server = orders_server::spawn(ServerConfig::default())
        .await
        .expect("server");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("runs.db");
    let engine = |store: Arc<dyn Store>| {
        let journal: Arc<dyn Journal> = store.clone().as_journal().expect("journal");
        Engine::new(client(&server.base_url()), journal)
            .owner("worker-1")
            .register(workflow())
    };

    // The first process: the run stops inside `hold` and is killed there.
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
    let first = engine(store);
    let running = tokio::spawn(async move {
        first
            .start(&workflow(), Some("traced-run-1"), &json!({}))
            .await
    });
    HELD.notified().await;
    running.abort();
    assert!(running.await.unwrap_err().is_cancelled());

    // The restarted process resumes it.
    HOLD.store(false, Ordering::SeqCst);
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
    let journal = store.clone().as_journal().unwrap();
    let restarted = engine(store);
    restarted.release_own_leases().await.unwrap();
    let outcome = restarted.resume("traced-run-1").await.expect("resumed");
    assert!(outcome.is_completed(), "{outcome:?}");

    let recorded = journal
        .run("traced-run-1")
        .await
        .unwrap()
        .unwrap()
        .trace_context
        .expect("the run recorded its trace context");
    let original = TraceContext::parse(&recorded, None).expect("a valid traceparent");
    let spans = spans_of(sink, &original.trace_id());

    let runs: Vec<_> = spans
        .iter()
        .filter(|s| s.name == "oncely.workflow.run")
        .collect();
    assert_eq!(
        runs.len(),
        2,
        "the first drive and the resumed one: {:?}",
        names(&spans)
    );
    let first_run = runs
        .iter()
        .find(|s| s.span_id == original.span_id())
        .expect("the recorded context is the first run span's");
    let resumed = runs
        .iter()
        .find(|s| s.span_id != original.span_id())
        .unwrap();
    assert_eq!(
        resumed.parent_span_id, first_run.span_id,
        "the resumed run continues the first"
    );
    for run in [first_run, resumed] {
        assert_eq!(
            attr(run, "oncely.workflow.run_id"),
            Some(&json!("traced-run-1"))
        );
    }
    assert_eq!(
        attr(resumed, "oncely.workflow.state"),
        Some(&json!("completed"))
    );

    let steps: Vec<_> = spans
        .iter()
        .filter(|s| s.name == "oncely.workflow.step")
        .collect();
    let step = |name: &str, run: &otlp_sink::Span| {
        steps
            .iter()
            .filter(|s| {
                attr(s, "oncely.workflow.step") == Some(&json!(name))
                    && s.parent_span_id == run.span_id
            })
            .count()
    };
    assert_eq!(step("create_order", first_run), 1, "{steps:#?}");
    assert_eq!(step("hold", first_run), 1, "the step the crash cut short");
    assert_eq!(
        step("hold", resumed),
        1,
        "the step sent again after the resume"
    );
    assert_eq!(
        step("create_order", resumed),
        0,
        "a finished step is not run again"
    );

    // Each step's calls sit under it: step → call → attempt.
    for step in &steps {
        let calls: Vec<_> = spans
            .iter()
            .filter(|s| s.name == "oncely.call" && s.parent_span_id == step.span_id)
            .collect();
        assert_eq!(calls.len(), 1, "one call per step drive: {step:?}");
        assert!(spans
            .iter()
            .any(|s| s.kind == "client" && s.parent_span_id == calls[0].span_id));
    }
    assert_no_secrets(&spans);

    let completed = points(sink, "oncely.workflow.runs")
        .into_iter()
        .filter(|p| p.attributes.get("oncely.workflow.state") == Some(&json!("completed")))
        .filter_map(|p| p.value)
        .fold(0.0, f64::max);
    assert!(completed >= 1.0, "runs counted by state: {completed}");
}

#[tokio::test]
async fn an_operation_step_polls_in_spans_of_its_own() {
    let sink = sink(Protocol::HttpProtobuf);
    let server = workflow_common::server().await;
    let engine = workflow_common::engine(
        &server.base_url(),
        Arc::new(oncely::MemoryStore::new()),
        "worker-poll",
    );
    let trace = async {
        let outcome = engine
            .start(
                &workflow_common::order_saga(),
                Some("traced-poll-1"),
                &workflow_common::OrderInput::new(1, false),
            )
            .await
            .expect("ran");
        assert!(outcome.is_completed(), "{outcome:?}");
        TraceContext::current().expect("recorded").trace_id()
    }
    .instrument(tracing::info_span!("test.saga"))
    .await;

    let spans = spans_of(sink, &trace);
    let shipment = spans
        .iter()
        .find(|s| {
            s.name == "oncely.workflow.step"
                && attr(s, "oncely.workflow.step") == Some(&json!("request_shipment"))
        })
        .expect("the shipment step");
    let polls: Vec<_> = spans.iter().filter(|s| s.name == "oncely.poll").collect();
    assert!(!polls.is_empty(), "{:?}", names(&spans));
    for poll in &polls {
        assert_eq!(
            poll.parent_span_id, shipment.span_id,
            "polls belong to their step"
        );
        let call = spans
            .iter()
            .find(|s| s.name == "oncely.call" && s.parent_span_id == poll.span_id)
            .expect("each poll is a call");
        assert_eq!(attr(call, "http.request.method"), Some(&json!("GET")));
    }
    let counted = points(sink, "oncely.client.polls")
        .into_iter()
        .filter_map(|p| p.value)
        .fold(0.0, f64::max);
    assert!(counted >= polls.len() as f64, "polls counted: {counted}");
}
