//! `layer_from_env`, as a language binding uses it: telemetry from the
//! standard variables, composed into the program's own subscriber; asked
//! again, it gives a layer over the same exporters.

use oncely::telemetry::{layer_from_env, TraceContext};
use orders_server::ServerConfig;
use otlp_sink::Sink;
use tracing::Instrument;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::Registry;

#[test]
fn the_environment_configures_a_layer_for_the_programs_own_subscriber() {
    let sink = Sink::spawn().expect("sink");
    // This test binary is its own process: setting variables here touches
    // no other test.
    std::env::set_var("OTEL_EXPORTER_OTLP_ENDPOINT", sink.http_endpoint());
    std::env::set_var("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
    std::env::set_var("OTEL_SERVICE_NAME", "oncely-layer-test");
    let (layer, _guard) = layer_from_env::<Registry>()
        .expect("built")
        .expect("the variables ask for telemetry");
    assert!(
        layer_from_env::<Registry>().expect("again").is_some(),
        "idempotent"
    );
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer))
        .expect("the program's own subscriber");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let trace = runtime.block_on(async {
        let server = orders_server::spawn(ServerConfig::default()).await.unwrap();
        let client = oncely::Client::builder(server.base_url()).build().unwrap();
        async {
            client
                .get("/orders/{order_id}")
                .path_param("order_id", "ord_none")
                .send()
                .await
                .expect_err("404");
            TraceContext::current().expect("recorded").trace_id()
        }
        .instrument(tracing::info_span!("binding.call"))
        .await
    });
    oncely::telemetry::flush().expect("flushed");
    let spans: Vec<_> = sink
        .spans()
        .into_iter()
        .filter(|s| s.trace_id == trace)
        .collect();
    let names: Vec<_> = spans.iter().map(|s| s.name.as_str()).collect();
    for name in ["binding.call", "oncely.call", "GET /orders/{order_id}"] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    assert!(spans
        .iter()
        .all(|s| s.resource.get("service.name") == Some(&serde_json::json!("oncely-layer-test"))));
}
