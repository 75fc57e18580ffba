//! A small OTLP receiver for tests: it accepts traces and metrics over
//! OTLP/HTTP (protobuf bodies on `POST /v1/traces` and `POST /v1/metrics`)
//! and OTLP/gRPC (the trace and metrics collector services), keeps what it
//! received, and lists it as JSON on `GET /spans` and `GET /metrics` of its
//! HTTP port.
//!
//! oncely's telemetry tests start one in-process ([`Sink::spawn`]); the
//! Python and Node tests start the `otlp-sink` binary, which prints
//! `otlp-sink http=127.0.0.1:PORT grpc=127.0.0.1:PORT` and serves until its
//! standard input closes.
//!
//! Ids are lowercase hex; attribute values are JSON (strings, numbers,
//! booleans, arrays).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{metric, number_data_point};
use prost::Message;
use serde::Serialize;
use serde_json::Value;
use tokio::net::TcpListener;

/// One span as received.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Span {
    /// The trace id (32 hex digits).
    pub trace_id: String,
    /// The span id (16 hex digits).
    pub span_id: String,
    /// The parent span id, empty for a root span.
    pub parent_span_id: String,
    /// The span's name.
    pub name: String,
    /// `internal`, `server`, `client`, `producer`, `consumer` or `unspecified`.
    pub kind: String,
    /// The span's attributes.
    pub attributes: BTreeMap<String, Value>,
    /// The spans it links to.
    pub links: Vec<Link>,
    /// `unset`, `ok` or `error`.
    pub status: String,
    /// The resource's attributes (`service.name`, …).
    pub resource: BTreeMap<String, Value>,
    /// How it arrived: `http` or `grpc`.
    pub via: String,
}

/// A link from one span to another.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Link {
    /// The linked trace.
    pub trace_id: String,
    /// The linked span.
    pub span_id: String,
}

/// One data point of one metric, as received (cumulative values arrive once
/// per export, so the same series appears again with larger values).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Point {
    /// The metric's name.
    pub name: String,
    /// The metric's unit.
    pub unit: String,
    /// `sum`, `gauge` or `histogram`.
    pub kind: String,
    /// The point's attributes.
    pub attributes: BTreeMap<String, Value>,
    /// The value of a sum or gauge point.
    pub value: Option<f64>,
    /// The count of a histogram point.
    pub count: Option<u64>,
    /// The sum of a histogram point.
    pub sum: Option<f64>,
    /// How it arrived: `http` or `grpc`.
    pub via: String,
}

/// What the sink has received.
#[derive(Debug, Default)]
struct Received {
    spans: Vec<Span>,
    points: Vec<Point>,
}

/// The received spans and metrics, shared by the servers and the reader.
#[derive(Debug, Clone, Default)]
pub struct Store(Arc<Mutex<Received>>);

impl Store {
    fn lock(&self) -> std::sync::MutexGuard<'_, Received> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every span received so far.
    pub fn spans(&self) -> Vec<Span> {
        self.lock().spans.clone()
    }

    /// Every metric point received so far.
    pub fn points(&self) -> Vec<Point> {
        self.lock().points.clone()
    }

    fn add_traces(&self, request: ExportTraceServiceRequest, via: &str) {
        let mut spans = Vec::new();
        for resource_spans in request.resource_spans {
            let resource = resource_spans
                .resource
                .map(|r| attributes(&r.attributes))
                .unwrap_or_default();
            for scope in resource_spans.scope_spans {
                for span in scope.spans {
                    spans.push(Span {
                        trace_id: hex::encode(&span.trace_id),
                        span_id: hex::encode(&span.span_id),
                        parent_span_id: hex::encode(&span.parent_span_id),
                        name: span.name.clone(),
                        kind: kind_name(span.kind).to_string(),
                        attributes: attributes(&span.attributes),
                        links: span
                            .links
                            .iter()
                            .map(|l| Link {
                                trace_id: hex::encode(&l.trace_id),
                                span_id: hex::encode(&l.span_id),
                            })
                            .collect(),
                        status: match span.status.as_ref().map(|s| s.code) {
                            Some(1) => "ok",
                            Some(2) => "error",
                            _ => "unset",
                        }
                        .to_string(),
                        resource: resource.clone(),
                        via: via.to_string(),
                    });
                }
            }
        }
        self.lock().spans.extend(spans);
    }

    fn add_metrics(&self, request: ExportMetricsServiceRequest, via: &str) {
        let mut points = Vec::new();
        for resource_metrics in request.resource_metrics {
            for scope in resource_metrics.scope_metrics {
                for m in scope.metrics {
                    let point = |kind: &str, attrs: &[KeyValue]| Point {
                        name: m.name.clone(),
                        unit: m.unit.clone(),
                        kind: kind.to_string(),
                        attributes: attributes(attrs),
                        value: None,
                        count: None,
                        sum: None,
                        via: via.to_string(),
                    };
                    let number = |v: &Option<number_data_point::Value>| match v {
                        Some(number_data_point::Value::AsDouble(d)) => Some(*d),
                        Some(number_data_point::Value::AsInt(i)) => Some(*i as f64),
                        None => None,
                    };
                    match &m.data {
                        Some(metric::Data::Sum(sum)) => {
                            for p in &sum.data_points {
                                points.push(Point {
                                    value: number(&p.value),
                                    ..point("sum", &p.attributes)
                                });
                            }
                        }
                        Some(metric::Data::Gauge(gauge)) => {
                            for p in &gauge.data_points {
                                points.push(Point {
                                    value: number(&p.value),
                                    ..point("gauge", &p.attributes)
                                });
                            }
                        }
                        Some(metric::Data::Histogram(h)) => {
                            for p in &h.data_points {
                                points.push(Point {
                                    count: Some(p.count),
                                    sum: p.sum,
                                    ..point("histogram", &p.attributes)
                                });
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        self.lock().points.extend(points);
    }
}

fn kind_name(kind: i32) -> &'static str {
    match kind {
        1 => "internal",
        2 => "server",
        3 => "client",
        4 => "producer",
        5 => "consumer",
        _ => "unspecified",
    }
}

fn attributes(kvs: &[KeyValue]) -> BTreeMap<String, Value> {
    kvs.iter()
        .map(|kv| (kv.key.clone(), kv.value.as_ref().map_or(Value::Null, json)))
        .collect()
}

fn json(value: &AnyValue) -> Value {
    match &value.value {
        Some(any_value::Value::StringValue(s)) => Value::from(s.as_str()),
        Some(any_value::Value::BoolValue(b)) => Value::from(*b),
        Some(any_value::Value::IntValue(i)) => Value::from(*i),
        Some(any_value::Value::DoubleValue(d)) => Value::from(*d),
        Some(any_value::Value::ArrayValue(a)) => Value::Array(a.values.iter().map(json).collect()),
        Some(any_value::Value::KvlistValue(l)) => Value::Object(
            l.values
                .iter()
                .map(|kv| (kv.key.clone(), kv.value.as_ref().map_or(Value::Null, json)))
                .collect(),
        ),
        Some(any_value::Value::BytesValue(b)) => Value::from(hex::encode(b)),
        _ => Value::Null,
    }
}

/// The gRPC collector services.
struct Grpc(Store);

#[tonic::async_trait]
impl TraceService for Grpc {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.0.add_traces(request.into_inner(), "grpc");
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for Grpc {
    async fn export(
        &self,
        request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        self.0.add_metrics(request.into_inner(), "grpc");
        Ok(tonic::Response::new(ExportMetricsServiceResponse::default()))
    }
}

/// The HTTP routes: OTLP/HTTP ingestion and the JSON listings.
fn http_routes(store: Store) -> Router {
    async fn traces(State(store): State<Store>, body: Bytes) -> impl IntoResponse {
        match ExportTraceServiceRequest::decode(body) {
            Ok(request) => {
                store.add_traces(request, "http");
                protobuf(ExportTraceServiceResponse::default().encode_to_vec())
            }
            Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
        }
    }
    async fn metrics(State(store): State<Store>, body: Bytes) -> impl IntoResponse {
        match ExportMetricsServiceRequest::decode(body) {
            Ok(request) => {
                store.add_metrics(request, "http");
                protobuf(ExportMetricsServiceResponse::default().encode_to_vec())
            }
            Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
        }
    }
    fn protobuf(body: Vec<u8>) -> axum::response::Response {
        ([(header::CONTENT_TYPE, "application/x-protobuf")], body).into_response()
    }
    Router::new()
        .route("/v1/traces", post(traces))
        .route("/v1/metrics", post(metrics))
        .route(
            "/spans",
            get(|State(store): State<Store>| async move { Json(store.spans()) }),
        )
        .route(
            "/metrics",
            get(|State(store): State<Store>| async move { Json(store.points()) }),
        )
        .with_state(store)
}

/// Serves both ports until the future is dropped.
pub async fn serve(http: TcpListener, grpc: TcpListener, store: Store) -> std::io::Result<()> {
    let grpc_server = tonic::transport::Server::builder()
        .add_service(TraceServiceServer::new(Grpc(store.clone())))
        .add_service(MetricsServiceServer::new(Grpc(store.clone())))
        .serve_with_incoming(tonic::transport::server::TcpIncoming::from(grpc));
    let http_server = axum::serve(http, http_routes(store));
    tokio::select! {
        r = http_server => r,
        r = grpc_server => r.map_err(std::io::Error::other),
    }
}

/// A sink running on a thread of its own, with its own runtime — so a test
/// that blocks its thread in a flush still gets its exports received.
#[derive(Debug)]
pub struct Sink {
    /// The OTLP/HTTP address (and the JSON listings').
    pub http: SocketAddr,
    /// The OTLP/gRPC address.
    pub grpc: SocketAddr,
    store: Store,
}

impl Sink {
    /// Starts a sink on two ephemeral ports of 127.0.0.1. It runs for the
    /// rest of the process.
    pub fn spawn() -> std::io::Result<Sink> {
        let http = std::net::TcpListener::bind("127.0.0.1:0")?;
        let grpc = std::net::TcpListener::bind("127.0.0.1:0")?;
        http.set_nonblocking(true)?;
        grpc.set_nonblocking(true)?;
        let (http_addr, grpc_addr) = (http.local_addr()?, grpc.local_addr()?);
        let store = Store::default();
        let served = store.clone();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("otlp-sink".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let http = TcpListener::from_std(http)?;
                    let grpc = TcpListener::from_std(grpc)?;
                    serve(http, grpc, served).await
                })
            })?;
        Ok(Sink {
            http: http_addr,
            grpc: grpc_addr,
            store,
        })
    }

    /// The base URL of the OTLP/HTTP endpoint.
    pub fn http_endpoint(&self) -> String {
        format!("http://{}", self.http)
    }

    /// The URL of the OTLP/gRPC endpoint.
    pub fn grpc_endpoint(&self) -> String {
        format!("http://{}", self.grpc)
    }

    /// Every span received so far.
    pub fn spans(&self) -> Vec<Span> {
        self.store.spans()
    }

    /// Every metric point received so far.
    pub fn points(&self) -> Vec<Point> {
        self.store.points()
    }
}
