//! The request pipeline every API request passes through, in order:
//!
//! 1. log the request and decide its fault (scripted rules, then chaos);
//! 2. apply faults that replace processing (`drop_before_commit`, `status`);
//! 3. buffer the body and enforce the idempotency key (400 / 409 / 422 /
//!    replay), reserving the key while the request runs;
//! 4. apply `delay`, run the handler, store the outcome for replay;
//! 5. apply `drop_after_commit`, record the outcome in the log;
//! 6. apply the faults that change the answer (`cut_stream`, `content_type`).

use std::io;
use std::time::{Duration, Instant};

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::clock;
use crate::conn::ConnectionHandle;
use crate::faults::{self, Fault};
use crate::idempotency::{self, Begin, KeyPolicy, Scope, StoredResponse};
use crate::problem::{Problem, RenderedProblem, StoreOutcome};
use crate::requests::{LogTicket, Outcome, RequestRecord};
use crate::routes::{self, RouteSpec};
use crate::state::{lock, ServerState};

/// What handlers learn from the pipeline (request extension).
#[derive(Debug, Clone)]
pub(crate) struct RequestCtx {
    /// The validated idempotency key, for operations that take one.
    pub(crate) key: Option<String>,
}

/// The middleware function (see the module docs).
pub(crate) async fn run(State(state): State<ServerState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let spec = req
        .extensions()
        .get::<MatchedPath>()
        .and_then(|matched| routes::lookup(req.method(), matched.as_str()));
    let conn = req
        .extensions()
        .get::<ConnectInfo<ConnectionHandle>>()
        .map(|info| info.0.clone());
    let (ticket, fault) = state.admit(record_of(&req, spec));
    let mut log = LogGuard {
        state: state.clone(),
        ticket,
        done: false,
    };

    match &fault {
        Some(Fault::DropBeforeCommit) => {
            log.finish(Outcome::Dropped, false);
            return abort(conn);
        }
        Some(status @ Fault::Status { .. }) => {
            let response = faults::status_response(status, &path)
                .unwrap_or_else(|| StatusCode::INTERNAL_SERVER_ERROR.into_response());
            log.finish(Outcome::Status(response.status().as_u16()), false);
            return response;
        }
        _ => {}
    }

    let delay = faults::delay_of(fault.as_ref());
    let (response, replayed) = serve(&state, spec, req, next, delay).await;
    if fault == Some(Fault::DropAfterCommit) {
        log.finish(Outcome::Dropped, replayed);
        return abort(conn);
    }
    log.finish(Outcome::Status(response.status().as_u16()), replayed);
    faults::reshape(fault.as_ref(), response)
}

/// Steps 3 and 4: body, idempotency, handler. Returns the response and
/// whether it is a replay.
async fn serve(
    state: &ServerState,
    spec: Option<&RouteSpec>,
    req: Request,
    next: Next,
    delay: Option<Duration>,
) -> (Response, bool) {
    let (mut parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    let limit = state.config().max_body_bytes;
    let bytes = match read_body(&parts.headers, body, limit).await {
        Ok(bytes) => bytes,
        Err(problem) => return reject(problem, &path, delay).await,
    };

    let policy = spec.map_or(KeyPolicy::Ignored, |spec| spec.key);
    let key = match policy {
        KeyPolicy::Ignored => None,
        KeyPolicy::Optional | KeyPolicy::Required => match idempotency::parse_key(&parts.headers) {
            Ok(key) => key,
            Err(problem) => return reject(problem, &path, delay).await,
        },
    };
    if policy == KeyPolicy::Required && key.is_none() {
        return reject(Problem::idempotency_key_missing(), &path, delay).await;
    }
    parts.extensions.insert(RequestCtx { key: key.clone() });
    let method = parts.method.to_string();
    let target = parts
        .uri
        .path_and_query()
        .map_or_else(|| path.clone(), |pq| pq.as_str().to_owned());
    let req = Request::from_parts(parts, Body::from(bytes.clone()));

    let Some(key) = key else {
        sleep(delay).await;
        return (finalize(next.run(req).await, &path), false);
    };

    let scope = Scope {
        method: method.clone(),
        path: target.clone(),
        key,
    };
    let fingerprint = idempotency::fingerprint(&method, &target, &bytes);
    let begin = lock(&state.shared().idempotency).begin(&scope, fingerprint, Instant::now());
    match begin {
        Begin::Replay(stored) => {
            sleep(delay).await;
            (stored.replay(), true)
        }
        Begin::InFlight => reject(Problem::idempotency_key_in_flight(), &path, delay).await,
        Begin::Mismatch => reject(Problem::idempotency_key_reused(), &path, delay).await,
        Begin::Proceed(token) => {
            let mut guard = KeyGuard {
                state: state.clone(),
                scope,
                token,
                armed: true,
            };
            sleep(delay).await;
            let response = finalize(next.run(req).await, &path);
            let (parts, body) = response.into_parts();
            let body = to_bytes(body, usize::MAX).await.unwrap_or_default();
            let keep =
                parts.status.is_success() || parts.extensions.get::<StoreOutcome>().is_some();
            if keep {
                let stored = StoredResponse::capture(parts.status, &parts.headers, body.clone());
                guard.complete(stored);
            }
            (Response::from_parts(parts, Body::from(body)), false)
        }
    }
}

/// Answers with a problem (after the fault's delay, if any).
async fn reject(problem: Problem, path: &str, delay: Option<Duration>) -> (Response, bool) {
    sleep(delay).await;
    (finalize(problem.into_response(), path), false)
}

fn record_of(req: &Request, spec: Option<&RouteSpec>) -> RequestRecord {
    let headers = req.headers();
    RequestRecord {
        seq: 0,
        method: req.method().to_string(),
        path: req.uri().path().to_owned(),
        query: req.uri().query().map(str::to_owned),
        route: spec.map(RouteSpec::label),
        idempotency_key: headers
            .get(idempotency::IDEMPOTENCY_KEY)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned()),
        has_authorization: headers.contains_key(header::AUTHORIZATION),
        has_api_key: headers.contains_key("x-api-key"),
        has_cookie: headers.contains_key(header::COOKIE),
        last_event_id: headers
            .get("last-event-id")
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned()),
        traceparent: headers
            .get("traceparent")
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned()),
        tracestate: headers
            .get("tracestate")
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned()),
        status: Outcome::Pending,
        fault: None,
        replayed: false,
        received_at: clock::now_rfc3339(),
    }
}

async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, Problem> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(Problem::payload_too_large(limit));
    }
    to_bytes(body, limit).await.map_err(|err| {
        if format!("{err:?}").contains("LengthLimit") {
            Problem::payload_too_large(limit)
        } else {
            Problem::malformed_body(format!("could not read the request body: {err}"))
        }
    })
}

/// Fills a handler's problem `instance` with the request path.
fn finalize(mut response: Response, path: &str) -> Response {
    if let Some(RenderedProblem(problem)) = response.extensions_mut().remove::<RenderedProblem>() {
        let body = serde_json::to_vec(&problem.or_instance(path).to_json()).unwrap_or_default();
        response.headers_mut().remove(header::CONTENT_LENGTH);
        *response.body_mut() = Body::from(body);
    }
    response
}

async fn sleep(delay: Option<Duration>) {
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
}

/// A response that never reaches the client: the connection is cut.
fn abort(conn: Option<ConnectionHandle>) -> Response {
    match conn {
        Some(conn) => {
            conn.abort();
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        // Served without `spawn` (no abortable connection): fail the body
        // stream, which makes hyper close the connection mid-response.
        None => Response::new(Body::from_stream(futures::stream::once(async {
            Err::<Bytes, io::Error>(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "connection dropped by fault injection",
            ))
        }))),
    }
}

/// Records the outcome of a request in the log; if the request future is
/// dropped first (the client went away), records it as dropped.
struct LogGuard {
    state: ServerState,
    ticket: LogTicket,
    done: bool,
}

impl LogGuard {
    fn finish(&mut self, outcome: Outcome, replayed: bool) {
        self.done = true;
        self.state.finish(self.ticket, outcome, replayed);
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        if !self.done {
            self.state.finish(self.ticket, Outcome::Dropped, false);
        }
    }
}

/// Holds an in-flight idempotency key; frees it unless completed.
struct KeyGuard {
    state: ServerState,
    scope: Scope,
    token: u64,
    armed: bool,
}

impl KeyGuard {
    fn complete(&mut self, response: StoredResponse) {
        let expires = idempotency::expiry(Instant::now(), self.state.config().idempotency_ttl);
        lock(&self.state.shared().idempotency).complete(&self.scope, self.token, response, expires);
        self.armed = false;
    }
}

impl Drop for KeyGuard {
    fn drop(&mut self) {
        if self.armed {
            lock(&self.state.shared().idempotency).abandon(&self.scope, self.token);
        }
    }
}
