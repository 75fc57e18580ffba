//! Shared by the telemetry tests: one OTLP sink per test process (on its own
//! thread, so a flush that blocks the test's thread still gets received),
//! oncely's telemetry installed once pointing at it, and readers of what
//! arrived.
#![allow(dead_code)]

use std::sync::OnceLock;
use std::time::Duration;

use oncely::telemetry::{Guard, Protocol, Telemetry};
use oncely::{BreakerConfig, Client, RetryPolicy};
use otlp_sink::{Point, Sink, Span};

/// The bearer token the tests' clients send: it must never be exported.
pub const TOKEN: &str = "sk_test_telemetry_secret_token";
/// The API key the tests put in the query: it must never be exported.
pub const QUERY_KEY: &str = "qk_telemetry_secret_key";

static SINK: OnceLock<Sink> = OnceLock::new();
static GUARD: OnceLock<Guard> = OnceLock::new();

/// The process's sink, with oncely's telemetry exporting to it over
/// `protocol` (the first caller decides).
pub fn sink(protocol: Protocol) -> &'static Sink {
    let sink = SINK.get_or_init(|| Sink::spawn().expect("sink"));
    GUARD.get_or_init(|| {
        let endpoint = match protocol {
            Protocol::HttpProtobuf => sink.http_endpoint(),
            _ => sink.grpc_endpoint(),
        };
        Telemetry::new()
            .endpoint(endpoint)
            .protocol(protocol)
            .service_name("oncely-telemetry-tests")
            .timeout(Duration::from_secs(10))
            .install()
            .expect("telemetry installed")
    });
    sink
}

/// A client with the secrets the tests look for, short retry delays and a
/// breaker that stays closed.
pub fn client(base: &str) -> Client {
    Client::builder(base)
        .bearer_token(TOKEN)
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(4)
                .base_delay(Duration::from_millis(1))
                .max_delay(Duration::from_millis(5)),
        )
        .circuit_breaker(BreakerConfig {
            failure_threshold: 1000,
            open_for: Duration::from_millis(10),
        })
        .build()
        .expect("client")
}

/// Exports what is pending and returns the spans of `trace_id`.
pub fn spans_of(sink: &Sink, trace_id: &str) -> Vec<Span> {
    oncely::telemetry::flush().expect("flushed");
    sink.spans()
        .into_iter()
        .filter(|s| s.trace_id == trace_id)
        .collect()
}

/// Exports what is pending and returns the metric points named `name`.
pub fn points(sink: &Sink, name: &str) -> Vec<Point> {
    oncely::telemetry::flush().expect("flushed");
    sink.points()
        .into_iter()
        .filter(|p| p.name == name)
        .collect()
}

/// The one span named `name` (panics naming what it saw otherwise).
pub fn one<'a>(spans: &'a [Span], name: &str) -> &'a Span {
    let found: Vec<&Span> = spans.iter().filter(|s| s.name == name).collect();
    assert_eq!(found.len(), 1, "one {name:?} span in {:#?}", names(spans));
    found[0]
}

/// The names of `spans`, for messages.
pub fn names(spans: &[Span]) -> Vec<&str> {
    spans.iter().map(|s| s.name.as_str()).collect()
}

/// The string attribute `key` of `span`.
pub fn attr<'a>(span: &'a Span, key: &str) -> Option<&'a serde_json::Value> {
    span.attributes.get(key)
}

/// Asserts that no secret appears in any attribute of any span.
pub fn assert_no_secrets(spans: &[Span]) {
    for span in spans {
        let text = serde_json::to_string(&span.attributes).unwrap();
        for secret in [TOKEN, QUERY_KEY] {
            assert!(
                !text.contains(secret),
                "{secret} exported in {}: {text}",
                span.name
            );
        }
    }
}
