//! Every attempt of every call a step makes is traced inside the run's span
//! and the step's span, so the run id and step name are on every attempt.

mod workflow_common;

use std::sync::{Arc, Mutex};

use oncely::MemoryStore;
use orders_server::{Fault, FaultRule};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use workflow_common::*;

/// Fields recorded when a span is created.
#[derive(Default, Clone)]
struct Fields(Vec<(String, String)>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .push((field.name().to_string(), format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_string(), value.to_string()));
    }
}

/// A span's name and fields, innermost first.
type Chain = Vec<(String, Vec<(String, String)>)>;

/// For every `oncely.attempt` span: the names and fields of its ancestors.
#[derive(Clone, Default)]
struct Attempts(Arc<Mutex<Vec<Chain>>>);

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Attempts {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let Some(span) = ctx.span(id) else { return };
        span.extensions_mut().insert(fields);
        if span.name() != "oncely.attempt" {
            return;
        }
        let chain = span
            .scope()
            .map(|s| {
                let fields = s.extensions().get::<Fields>().cloned().unwrap_or_default();
                (s.name().to_string(), fields.0)
            })
            .collect();
        self.0.lock().unwrap().push(chain);
    }
}

fn field<'a>(
    chain: &'a [(String, Vec<(String, String)>)],
    span: &str,
    name: &str,
) -> Option<&'a str> {
    chain
        .iter()
        .find(|(n, _)| n == span)?
        .1
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test(flavor = "current_thread")]
async fn run_id_and_step_name_are_on_every_attempt() {
    let attempts = Attempts::default();
    let subscriber = tracing_subscriber::registry().with(attempts.clone());
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = server().await;
    // One retried call, so there are several attempts for one step.
    server.add_fault(FaultRule::new(
        "POST /orders/{order_id}/reservations",
        Fault::status(503),
    ));
    let engine = engine(&server.base_url(), Arc::new(MemoryStore::new()), "w1");
    let outcome = engine
        .start(&order_saga(), Some("traced-1"), &OrderInput::new(1, false))
        .await
        .unwrap();
    assert!(outcome.is_completed(), "{outcome:?}");

    let chains = attempts.0.lock().unwrap().clone();
    assert!(
        chains.len() >= 6,
        "every call's attempts were seen: {}",
        chains.len()
    );
    let mut steps = Vec::new();
    for chain in &chains {
        assert_eq!(
            field(chain, "oncely.workflow.run", "oncely.workflow.run_id"),
            Some("traced-1"),
            "{chain:?}"
        );
        assert_eq!(
            field(chain, "oncely.workflow.run", "oncely.workflow.name"),
            Some("order"),
            "{chain:?}"
        );
        let step = field(chain, "oncely.workflow.step", "oncely.workflow.step")
            .expect("inside a step span");
        assert!(
            field(chain, "oncely.call", "http.request.method").is_some(),
            "{chain:?}"
        );
        steps.push(step.to_string());
    }
    let reserve = steps.iter().filter(|s| *s == "reserve_inventory").count();
    assert_eq!(
        reserve, 2,
        "the retried reservation shows both attempts under its step: {steps:?}"
    );
    for step in ["create_order", "authorize_payment", "request_shipment"] {
        assert!(steps.iter().any(|s| s == step), "{step}: {steps:?}");
    }
}
