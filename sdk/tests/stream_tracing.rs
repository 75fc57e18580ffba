//! An event stream is traced: an `oncely.stream` span counting its events
//! and reconnections, with the calls that open and reopen it inside. (Its
//! own test binary: a thread-local subscriber next to tests without one
//! would see callsites whose interest those tests cached.)

use std::time::Duration;

use futures::TryStreamExt;
use oncely::{Client, RetryPolicy, ServerEvent};
use orders_server::{spawn, Fault, FaultRule, ServerConfig};
use serde_json::json;

mod tracing_capture {
    use std::sync::{Arc, Mutex};

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::Subscriber;
    use tracing_subscriber::layer::{Context, Layer};
    use tracing_subscriber::registry::LookupSpan;

    /// The `u64` fields a span was created or recorded with.
    #[derive(Default)]
    struct Numbers(Vec<(String, u64)>);

    impl Visit for Numbers {
        fn record_u64(&mut self, field: &Field, value: u64) {
            self.0.push((field.name().to_string(), value));
        }
        fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
    }

    /// What the test reads: the last value of each number field of the
    /// `oncely.stream` span, and the parent of every `oncely.call` span.
    #[derive(Clone, Default)]
    pub struct Capture {
        pub stream_numbers: Arc<Mutex<Vec<(String, u64)>>>,
        pub call_parents: Arc<Mutex<Vec<Option<String>>>>,
    }

    impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
        fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
            let Some(span) = ctx.span(id) else { return };
            match span.name() {
                "oncely.call" => self
                    .call_parents
                    .lock()
                    .unwrap()
                    .push(span.parent().map(|p| p.name().to_string())),
                "oncely.stream" => {
                    let mut numbers = Numbers::default();
                    attrs.record(&mut numbers);
                    self.stream_numbers.lock().unwrap().extend(numbers.0);
                }
                _ => {}
            }
        }

        fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
            if ctx.span(id).is_some_and(|s| s.name() == "oncely.stream") {
                let mut numbers = Numbers::default();
                values.record(&mut numbers);
                self.stream_numbers.lock().unwrap().extend(numbers.0);
            }
        }
    }

    impl Capture {
        /// The last value recorded for `field` on the stream span.
        pub fn last(&self, field: &str) -> Option<u64> {
            let numbers = self.stream_numbers.lock().unwrap();
            numbers
                .iter()
                .rev()
                .find(|(name, _)| name == field)
                .map(|(_, v)| *v)
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_stream_is_traced_with_its_openings_inside_and_its_events_counted() {
    use tracing_subscriber::layer::SubscriberExt;
    let capture = tracing_capture::Capture::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));

    let server = spawn(ServerConfig {
        stream_retry_ms: 1,
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let client = Client::builder(server.base_url())
        .retry_policy(RetryPolicy::default().base_delay(Duration::from_millis(1)))
        .build()
        .unwrap();
    let order: serde_json::Value = client
        .post("/orders")
        .json(&json!({"customer_id": "cus_1", "currency": "EUR", "items": [{"sku": "sku-1", "quantity": 1}]}))
        .send_json()
        .await
        .unwrap();
    let id = order["id"].as_str().unwrap();
    for step in ["reservations", "cancel"] {
        client
            .post(format!("/orders/{{id}}/{step}"))
            .path_param("id", id)
            .json(&json!({}))
            .send_empty()
            .await
            .unwrap();
    }
    capture.call_parents.lock().unwrap().clear();
    server.add_fault(FaultRule::new(
        "GET /orders/{order_id}/events",
        Fault::CutStream { after: 1 },
    ));
    let events: Vec<ServerEvent> = client
        .get("/orders/{id}/events")
        .path_param("id", id)
        .send_events()
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(capture.last("events"), Some(3));
    assert_eq!(capture.last("reconnects"), Some(1));
    // The opening and the reopening are calls inside the stream's span.
    let parents = capture.call_parents.lock().unwrap().clone();
    assert_eq!(
        parents,
        [
            Some("oncely.stream".to_string()),
            Some("oncely.stream".to_string())
        ]
    );
}
