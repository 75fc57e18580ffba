//! Long-running operations: a `202 Accepted` answer becomes an [`Operation`]
//! that polls the server's status resource to the end.
//!
//! The status URL comes from `Operation-Location`, `Azure-AsyncOperation`,
//! `Location`, a status link in the body, or `Content-Location`, in that order
//! (a `200`/`201` is an operation too when it carries one of the first two).
//! Once an operation status resource says it succeeded, the result is its
//! `result` member, the resource its `resourceLocation` names, the resource a
//! PUT or PATCH was sent to, or the `Location` a POST's `202` gave — in that
//! order, as Azure's APIs define it — and otherwise the status body itself.
//! Polling honours the server's `Retry-After`; a status resource reporting
//! `succeeded`/`completed` ends it with the result (the `result` member, a
//! `resourceLocation`, or the final resource itself), `failed`/`canceled` with
//! an [`Error::OperationFailed`] carrying the problem. An operation can be turned
//! into a token and resumed by another process.

use std::marker::PhantomData;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use bytes::Bytes;
use http::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::time::Instant;
use url::Url;

pub use crate::client::PollConfig;
use crate::client::{Client, RequestBuilder, Response};
use crate::error::{Error, TimeoutKind};
use crate::problem::Problem;
use crate::retry::server_delay;

/// Where the status URL came from; decides how the final result is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum MonitorKind {
    OperationLocation,
    AzureAsyncOperation,
    Location,
    BodyLink,
    ContentLocation,
}

/// Everything needed to continue polling, also in another process.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct State {
    /// Token format version.
    v: u8,
    /// The status URL (absent when the operation completed at once).
    monitor: Option<String>,
    kind: Option<MonitorKind>,
    /// The URL of the request that started the operation.
    request_url: String,
    /// Its method (tokens made before it was recorded have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    method: Option<String>,
    /// The `Location` of the `202`, when it came with an operation status link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    location: Option<String>,
    /// The final answer's body (base64url), once known.
    done: Option<String>,
    /// The wait the server asked for before the next poll (its last
    /// `Retry-After`), in milliseconds, so a resumed operation keeps the
    /// server's pace instead of polling at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pace_ms: Option<u64>,
}

/// The progress of an operation still running, as the status resource reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// The status string (`running`, `notStarted`, …; `accepted` when unknown).
    pub status: String,
    /// Percent complete (0–100), when reported.
    pub percent: Option<f64>,
    /// How many polls have been made.
    pub polls: u32,
}

/// The outcome of one poll.
#[derive(Debug)]
pub enum Poll<T> {
    /// Still running.
    Pending(Progress),
    /// Finished with this result.
    Done(T),
}

/// A long-running operation started by a `202 Accepted` answer.
///
/// ```no_run
/// # #[derive(serde::Deserialize)] struct Shipment { id: String }
/// # async fn run(client: oncely::Client) -> Result<(), oncely::Error> {
/// let op = client
///     .post("/orders/{id}/shipments")
///     .path_param("id", "o_1")
///     .json(&serde_json::json!({"carrier": "dhl"}))
///     .send_operation::<Shipment>()
///     .await?;
/// let token = op.resume_token(); // survive a restart…
/// let op = oncely::Operation::<Shipment>::resume(&client, &token)?;
/// let shipment = op.wait_with_progress(|p| println!("{}: {:?}%", p.status, p.percent)).await?;
/// # Ok(()) }
/// ```
pub struct Operation<T> {
    client: Client,
    state: State,
    next_delay: Option<Duration>,
    polls: u32,
    _result: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Operation<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operation")
            .field("monitor", &self.state.monitor)
            .field("kind", &self.state.kind)
            .field("done", &self.state.done.is_some())
            .field("polls", &self.polls)
            .finish()
    }
}

impl RequestBuilder {
    /// Sends a call that may answer `202 Accepted` and returns the
    /// [`Operation`] to wait on. A `200`/`201` answer gives an operation that is
    /// already complete.
    pub async fn send_operation<T: DeserializeOwned>(self) -> Result<Operation<T>, Error> {
        let client = self.client().clone();
        let response = self.send().await?;
        Operation::from_response(client, response)
    }
}

const BODY_LINKS: &[&str] = &[
    "operation_location",
    "operationLocation",
    "status_url",
    "statusUrl",
    "monitor",
    "href",
];

impl<T: DeserializeOwned> Operation<T> {
    /// Builds the operation from the answer to the request that started it: a
    /// `202` gives an operation to poll, any other success one that is already
    /// complete. [`RequestBuilder::send_operation`](crate::RequestBuilder::send_operation)
    /// does this for you; use it directly when you also want the first answer.
    pub fn from_response(client: Client, response: Response) -> Result<Self, Error> {
        let request_url = response.url().to_string();
        // A 202 is always an operation; a 200 or 201 is one only when it names
        // an operation status resource (Azure's PUTs answer `201` with
        // `Azure-AsyncOperation`). A plain `Location` on a 201 is the new resource.
        let names_operation = ["operation-location", "azure-asyncoperation"]
            .iter()
            .any(|h| response.header(h).is_some_and(|v| !v.trim().is_empty()));
        if response.status() != 202 && !names_operation {
            return Ok(Self::new(
                client,
                State {
                    v: 1,
                    monitor: None,
                    kind: None,
                    request_url,
                    method: Some(response.method().to_string()),
                    location: None,
                    done: Some(URL_SAFE_NO_PAD.encode(response.bytes())),
                    pace_ms: None,
                },
            ));
        }
        let (kind, link) = find_monitor(&response).ok_or_else(|| Error::Protocol {
            what: format!("202 answer from {}", response.url().path()),
            why: "no Operation-Location, Azure-AsyncOperation, Location or status link to poll"
                .into(),
        })?;
        let monitor = link_url(
            response.url(),
            &link,
            || format!("202 answer from {}", response.url().path()),
            "status link",
        )?;
        // Beside an operation status link, `Location` names where a POST's
        // result will be (Azure's final-state-via location).
        let location = match kind {
            MonitorKind::OperationLocation | MonitorKind::AzureAsyncOperation => response
                .header("location")
                .and_then(|l| link_url(response.url(), l.trim(), String::new, "Location").ok())
                .map(|u| u.to_string()),
            _ => None,
        };
        let mut op = Self::new(
            client,
            State {
                v: 1,
                monitor: Some(monitor.to_string()),
                kind: Some(kind),
                request_url,
                method: Some(response.method().to_string()),
                location,
                done: None,
                pace_ms: None,
            },
        );
        op.next_delay = server_delay(response.headers());
        Ok(op)
    }

    fn new(client: Client, state: State) -> Self {
        Operation {
            client,
            state,
            next_delay: None,
            polls: 0,
            _result: PhantomData,
        }
    }

    /// A token holding everything needed to continue this operation elsewhere:
    /// URLs and state, never credentials.
    pub fn resume_token(&self) -> String {
        let state = State {
            pace_ms: self
                .next_delay
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            ..self.state.clone()
        };
        let json = serde_json::to_vec(&state).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    /// Continues an operation from a [`resume_token`](Self::resume_token), on
    /// any client (credentials come from that client).
    pub fn resume(client: &Client, token: &str) -> Result<Self, Error> {
        let bad = |why: String| Error::InvalidResumeToken { why };
        let json = URL_SAFE_NO_PAD
            .decode(token.trim())
            .map_err(|e| bad(format!("not base64url: {e}")))?;
        let state: State = serde_json::from_slice(&json)
            .map_err(|e| bad(format!("not an operation token: {e}")))?;
        if state.v != 1 {
            return Err(bad(format!(
                "token version {} is not supported (expected 1)",
                state.v
            )));
        }
        for url in state
            .monitor
            .iter()
            .chain(state.location.iter())
            .chain(std::iter::once(&state.request_url))
        {
            let parsed =
                Url::parse(url).map_err(|e| bad(format!("URL {url:?} is invalid: {e}")))?;
            if !is_http(&parsed) {
                return Err(bad(format!("URL {url:?} is not http or https")));
            }
        }
        if state.monitor.is_none() && state.done.is_none() {
            return Err(bad("it has neither a status URL nor a result".into()));
        }
        let pace = state.pace_ms.map(Duration::from_millis);
        let mut op = Self::new(client.clone(), state);
        op.next_delay = pace;
        Ok(op)
    }

    /// True once the final answer is known.
    pub fn is_done(&self) -> bool {
        self.state.done.is_some()
    }

    /// Polls the status resource once.
    pub async fn poll_once(&mut self) -> Result<Poll<T>, Error> {
        if let Some(done) = &self.state.done {
            let body = URL_SAFE_NO_PAD
                .decode(done)
                .map_err(|e| Error::InvalidResumeToken { why: e.to_string() })?;
            return decode(&body, "operation result").map(Poll::Done);
        }
        let monitor = self.state.monitor.clone().unwrap_or_default();
        let monitor_url = Url::parse(&monitor).map_err(|e| Error::InvalidResumeToken {
            why: format!("status URL {monitor:?} is invalid: {e}"),
        })?;
        self.polls += 1;
        crate::telemetry::metrics::poll(&monitor_url);
        let span = tracing::debug_span!(
            "oncely.poll",
            "oncely.poll.count" = i64::from(self.polls),
            "url.template" = monitor_url.path(),
        );
        let answer = tracing::Instrument::instrument(
            self.client
                .request_url(Method::GET, monitor_url.clone())
                .send(),
            span,
        )
        .await;
        let response = match answer {
            Ok(response) => response,
            // 303 See Other points at the final resource.
            Err(Error::Status {
                status: 303,
                headers,
                ..
            }) => {
                let target = headers
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| Error::Protocol {
                        what: format!("303 answer from {monitor}"),
                        why: "no Location header".into(),
                    })?;
                let url = link_url(
                    &monitor_url,
                    target,
                    || format!("303 answer from {}", monitor_url.path()),
                    "Location",
                )?;
                return self.fetch_result(url).await;
            }
            Err(e) => return Err(e),
        };
        self.next_delay = server_delay(response.headers());
        let body = response.bytes();
        let status_resource: Option<Value> = serde_json::from_slice(body).ok();
        if response.status() == 202 {
            return Ok(Poll::Pending(self.progress(status_resource.as_ref())));
        }
        let status = status_resource.as_ref().and_then(status_of);
        match status.as_deref().map(classify) {
            Some(Phase::Running) => Ok(Poll::Pending(self.progress(status_resource.as_ref()))),
            Some(Phase::Failed) => Err(failure(
                status.unwrap_or_default(),
                status_resource.as_ref(),
                body,
            )),
            Some(Phase::Succeeded) => {
                self.succeeded(status_resource.unwrap_or(Value::Null), body.clone())
                    .await
            }
            // No recognisable status member: this is the final resource.
            None => {
                let result = decode(body, "operation result")?;
                self.state.done = Some(URL_SAFE_NO_PAD.encode(body));
                Ok(Poll::Done(result))
            }
        }
    }

    /// Polls until the operation ends; returns its result or its failure.
    pub async fn wait(self) -> Result<T, Error> {
        self.wait_with_progress(|_| {}).await
    }

    /// Like [`wait`](Self::wait), calling `on_progress` after every poll that
    /// finds the operation still running.
    pub async fn wait_with_progress(
        mut self,
        mut on_progress: impl FnMut(&Progress),
    ) -> Result<T, Error> {
        let poll = self.client.poll_config().clone();
        let started = Instant::now();
        let mut first = true;
        loop {
            // The server's pace comes first, also before the first poll (the
            // `Retry-After` of the 202); without one, poll at once, then at the
            // default interval.
            let delay = match self.next_delay.take() {
                Some(delay) => delay,
                None if first || self.is_done() => Duration::ZERO,
                None => poll.default_interval,
            }
            .min(poll.max_interval);
            first = false;
            if !self.is_done() {
                if let Some(limit) = poll.timeout {
                    if started.elapsed().saturating_add(delay) > limit {
                        return Err(Error::Timeout {
                            method: "GET".into(),
                            path: self.state.monitor.clone().unwrap_or_default(),
                            kind: TimeoutKind::Operation,
                            elapsed: started.elapsed(),
                        });
                    }
                }
                tokio::time::sleep(delay).await;
            }
            match self.poll_once().await? {
                Poll::Done(result) => return Ok(result),
                Poll::Pending(progress) => on_progress(&progress),
            }
        }
    }

    fn progress(&self, resource: Option<&Value>) -> Progress {
        let percent = resource.and_then(|r| {
            [
                "percent_complete",
                "percentComplete",
                "progress",
                "percentage",
            ]
            .iter()
            .find_map(|k| r.get(*k)?.as_f64())
        });
        Progress {
            status: resource
                .and_then(status_of)
                .unwrap_or_else(|| "accepted".into()),
            percent,
            polls: self.polls,
        }
    }

    async fn succeeded(&mut self, resource: Value, body: Bytes) -> Result<Poll<T>, Error> {
        if let Some(result) = resource.get("result").filter(|r| !r.is_null()) {
            let bytes = serde_json::to_vec(result).unwrap_or_default();
            let decoded = decode(&bytes, "operation result")?;
            self.state.done = Some(URL_SAFE_NO_PAD.encode(&bytes));
            return Ok(Poll::Done(decoded));
        }
        let location = ["resourceLocation", "resource_location"]
            .iter()
            .find_map(|k| resource.get(*k)?.as_str().map(str::to_string));
        if let Some(location) = location {
            let base = self.state.monitor.as_deref().unwrap_or_default();
            let base = Url::parse(base).map_err(|e| Error::InvalidResumeToken {
                why: format!("status URL {base:?} is invalid: {e}"),
            })?;
            let url = link_url(
                &base,
                &location,
                || "operation status resource".into(),
                "resourceLocation",
            )?;
            return self.fetch_result(url).await;
        }
        if let Some(url) = self.final_resource()? {
            return self.fetch_result(url).await;
        }
        let decoded = decode(&body, "operation result")?;
        self.state.done = Some(URL_SAFE_NO_PAD.encode(&body));
        Ok(Poll::Done(decoded))
    }

    /// Where the result of a succeeded operation lives when its status resource
    /// neither holds it nor names it, by the rules Azure's APIs follow for an
    /// operation status link: a PUT or PATCH changed the resource it was sent
    /// to; a POST's result is at the `Location` of its `202`, if it gave one.
    /// Otherwise (and for a plain `Location` poll) the status body is the result.
    fn final_resource(&self) -> Result<Option<Url>, Error> {
        if !matches!(
            self.state.kind,
            Some(MonitorKind::OperationLocation | MonitorKind::AzureAsyncOperation)
        ) {
            return Ok(None);
        }
        let target = match self.state.method.as_deref() {
            Some("PUT" | "PATCH") => Some(&self.state.request_url),
            Some("POST") => self.state.location.as_ref(),
            _ => None,
        };
        target
            .map(|url| {
                Url::parse(url).map_err(|e| Error::InvalidResumeToken {
                    why: format!("URL {url:?} is invalid: {e}"),
                })
            })
            .transpose()
    }

    async fn fetch_result(&mut self, url: Url) -> Result<Poll<T>, Error> {
        let response = self.client.request_url(Method::GET, url).send().await?;
        let result = response.json()?;
        self.state.done = Some(URL_SAFE_NO_PAD.encode(response.bytes()));
        Ok(Poll::Done(result))
    }
}

/// Resolves a link the server gave against `base`. Only `http(s)` links are
/// followed: anything else is a protocol error, never a request.
fn link_url(base: &Url, link: &str, what: impl Fn() -> String, name: &str) -> Result<Url, Error> {
    let url = base.join(link).map_err(|e| Error::Protocol {
        what: what(),
        why: format!("{name} {link:?} is not a URL: {e}"),
    })?;
    if !is_http(&url) {
        return Err(Error::Protocol {
            what: what(),
            why: format!("{name} {link:?} is not an http or https URL"),
        });
    }
    Ok(url)
}

fn is_http(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https") && url.has_host()
}

fn find_monitor(response: &Response) -> Option<(MonitorKind, String)> {
    let header = |name: &str| {
        response
            .header(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    if let Some(v) = header("operation-location") {
        return Some((MonitorKind::OperationLocation, v));
    }
    if let Some(v) = header("azure-asyncoperation") {
        return Some((MonitorKind::AzureAsyncOperation, v));
    }
    if let Some(v) = header("location") {
        return Some((MonitorKind::Location, v));
    }
    let body: Option<Value> = serde_json::from_slice(response.bytes()).ok();
    if let Some(body) = &body {
        let links = [body.get("links"), body.get("_links")];
        let nested = links.iter().flatten().find_map(|l| {
            let status = l.get("status")?;
            status
                .as_str()
                .or_else(|| status.get("href")?.as_str())
                .map(str::to_string)
        });
        let direct = BODY_LINKS
            .iter()
            .find_map(|k| body.get(*k)?.as_str().map(str::to_string));
        if let Some(link) = nested.or(direct) {
            return Some((MonitorKind::BodyLink, link));
        }
    }
    header("content-location").map(|v| (MonitorKind::ContentLocation, v))
}

enum Phase {
    Running,
    Succeeded,
    Failed,
}

fn status_of(resource: &Value) -> Option<String> {
    ["status", "Status", "state"]
        .iter()
        .find_map(|k| resource.get(*k)?.as_str().map(str::to_string))
        .filter(|s| known_status(s))
}

fn normalise(status: &str) -> String {
    status.to_ascii_lowercase().replace(['_', '-', ' '], "")
}

fn known_status(status: &str) -> bool {
    let s = normalise(status);
    TERMINAL_OK.contains(&s.as_str())
        || TERMINAL_FAILED.contains(&s.as_str())
        || RUNNING.contains(&s.as_str())
}

const TERMINAL_OK: &[&str] = &[
    "succeeded",
    "success",
    "completed",
    "complete",
    "done",
    "finished",
];
const TERMINAL_FAILED: &[&str] = &[
    "failed",
    "failure",
    "error",
    "canceled",
    "cancelled",
    "aborted",
];
const RUNNING: &[&str] = &[
    "running",
    "inprogress",
    "notstarted",
    "pending",
    "accepted",
    "queued",
    "started",
    "processing",
    "creating",
    "updating",
    "deleting",
    "waiting",
    "provisioning",
];

fn classify(status: &str) -> Phase {
    let s = normalise(status);
    if TERMINAL_OK.contains(&s.as_str()) {
        Phase::Succeeded
    } else if TERMINAL_FAILED.contains(&s.as_str()) {
        Phase::Failed
    } else {
        Phase::Running
    }
}

/// The failure of an operation, with its error as a problem document. Azure-style
/// `{"code","message"}` errors map to `type`/`detail`.
fn failure(status: String, resource: Option<&Value>, body: &Bytes) -> Error {
    let problem = resource.and_then(|r| r.get("error")).and_then(|e| {
        let bytes = serde_json::to_vec(e).ok()?;
        let mut p = Problem::from_json(&bytes).ok()?;
        if p.type_.is_none() {
            p.type_ = p
                .extensions
                .get("code")
                .and_then(Value::as_str)
                .map(str::to_string);
        }
        if p.detail.is_none() {
            p.detail = p
                .extensions
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_string);
        }
        Some(Box::new(p))
    });
    Error::OperationFailed {
        status,
        problem,
        body: body.clone(),
    }
}

fn decode<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T, Error> {
    Error::decode_json(|| what.to_string(), body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_vocabulary() {
        assert!(matches!(classify("Succeeded"), Phase::Succeeded));
        assert!(matches!(classify("cancelled"), Phase::Failed));
        assert!(matches!(classify("NotStarted"), Phase::Running));
        assert!(matches!(classify("in_progress"), Phase::Running));
        assert!(!known_status("pending_payment"));
    }

    #[test]
    fn bad_tokens_are_typed_errors() {
        let client = Client::builder("http://127.0.0.1:1").build().unwrap();
        for token in [
            "%%%",
            "bm90IGpzb24",
            &URL_SAFE_NO_PAD.encode(br#"{"v":9,"request_url":"http://x"}"#),
        ] {
            let err = Operation::<Value>::resume(&client, token).unwrap_err();
            assert!(matches!(err, Error::InvalidResumeToken { .. }), "{err}");
        }
    }

    #[test]
    fn failures_carry_a_problem() {
        let resource = serde_json::json!({"status": "failed", "error": {"code": "Conflict", "message": "no stock"}});
        let err = failure("failed".into(), Some(&resource), &Bytes::new());
        let p = err.problem().unwrap();
        assert_eq!(p.type_.as_deref(), Some("Conflict"));
        assert_eq!(p.detail.as_deref(), Some("no stock"));
    }
}
