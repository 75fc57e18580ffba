//! Fault injection: scripted rules (deterministic) and seeded chaos (random
//! but reproducible).
//!
//! The JSON/YAML form of a rule is
//! `{route: "POST /orders", nth: 1, fault: {kind: status, code: 503, retry_after: "1"}}`.

use std::io;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::config::ChaosConfig;
use crate::problem::{PROBLEM_JSON, PROBLEM_TYPE_BASE};

/// What to do to a request instead of (or in addition to) serving it normally.
///
/// Serialized with an internal `kind` tag in snake_case:
///
/// ```
/// use orders_server::Fault;
///
/// let fault: Fault = serde_json::from_str(
///     r#"{"kind": "status", "code": 503, "retry_after": "1"}"#,
/// ).unwrap();
/// assert_eq!(fault, Fault::service_unavailable(1));
/// let drop: Fault = serde_json::from_str(r#"{"kind": "drop_after_commit"}"#).unwrap();
/// assert_eq!(drop, Fault::DropAfterCommit);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// Process the request fully (side effects and idempotency record are
    /// committed), then close the connection without sending a response.
    DropAfterCommit,
    /// Close the connection without processing the request.
    DropBeforeCommit,
    /// Answer with this status without processing the request.
    Status {
        /// HTTP status code (100..=999).
        code: u16,
        /// Raw `Retry-After` header value (delta seconds or an HTTP date).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<String>,
        /// `retry-after-ms` header value.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
        /// `x-should-retry` header value.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        should_retry: Option<bool>,
        /// Raw body. Default: a problem+json document describing the fault.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<String>,
        /// `Content-Type` of the body. Default: `application/problem+json`
        /// for the default body, `text/plain; charset=utf-8` for a given body.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content_type: Option<String>,
    },
    /// Sleep this long, then process the request normally (while the request
    /// is delayed its idempotency key is "in flight").
    Delay {
        /// Milliseconds to sleep.
        ms: u64,
    },
    /// Serve the request normally, then cut the connection once `after`
    /// events (of an event stream) or lines (of an NDJSON answer) were sent:
    /// the answer breaks off mid-body, as when a network path fails.
    CutStream {
        /// How many events or lines reach the client before the cut.
        after: u64,
    },
    /// Serve the request normally but label the answer with this
    /// `Content-Type` (a proxy or a misconfigured server answering with
    /// another media type than the contract says).
    ContentType {
        /// The `Content-Type` the answer carries.
        content_type: String,
    },
}

impl Fault {
    /// A bare status fault with the default problem body.
    pub fn status(code: u16) -> Self {
        Fault::Status {
            code,
            retry_after: None,
            retry_after_ms: None,
            should_retry: None,
            body: None,
            content_type: None,
        }
    }

    /// `503 Service Unavailable` with `Retry-After: <secs>`.
    pub fn service_unavailable(retry_after_secs: u64) -> Self {
        Fault::Status {
            code: 503,
            retry_after: Some(retry_after_secs.to_string()),
            retry_after_ms: None,
            should_retry: None,
            body: None,
            content_type: None,
        }
    }

    /// `429 Too Many Requests` with `retry-after-ms: <ms>`.
    pub fn too_many_requests_ms(ms: u64) -> Self {
        Fault::Status {
            code: 429,
            retry_after: None,
            retry_after_ms: Some(ms),
            should_retry: None,
            body: None,
            content_type: None,
        }
    }

    /// `500 Internal Server Error`.
    pub fn internal_error() -> Self {
        Fault::status(500)
    }

    /// A delay of `ms` milliseconds before normal processing.
    pub fn delay_ms(ms: u64) -> Self {
        Fault::Delay { ms }
    }

    /// A short label used in statistics: `drop_after_commit`,
    /// `drop_before_commit`, `status_503`, `delay`, `cut_stream`,
    /// `content_type`.
    pub fn label(&self) -> String {
        match self {
            Fault::DropAfterCommit => "drop_after_commit".to_owned(),
            Fault::DropBeforeCommit => "drop_before_commit".to_owned(),
            Fault::Status { code, .. } => format!("status_{code}"),
            Fault::Delay { .. } => "delay".to_owned(),
            Fault::CutStream { .. } => "cut_stream".to_owned(),
            Fault::ContentType { .. } => "content_type".to_owned(),
        }
    }

    /// Checks values that serde cannot: a valid status code and header values.
    pub fn validate(&self) -> Result<(), String> {
        if let Fault::ContentType { content_type } = self {
            HeaderValue::from_str(content_type).map_err(|_| {
                format!("content_type is not a valid header value: {content_type:?}")
            })?;
        }
        if let Fault::Status {
            code,
            retry_after,
            content_type,
            ..
        } = self
        {
            StatusCode::from_u16(*code).map_err(|_| format!("invalid status code {code}"))?;
            for (name, value) in [("retry_after", retry_after), ("content_type", content_type)] {
                if let Some(value) = value {
                    HeaderValue::from_str(value)
                        .map_err(|_| format!("{name} is not a valid header value: {value:?}"))?;
                }
            }
        }
        Ok(())
    }
}

/// A scripted fault: apply `fault` to requests matching `route`.
///
/// Which matching requests are hit: counting matching requests from 1 since
/// the rule was installed, the rule fires on request number `nth` (default 1)
/// and the `times - 1` after it (default `times` 1), or on every one from
/// `nth` on when `every` is true.
///
/// ```
/// use orders_server::{Fault, FaultRule};
///
/// let rule: FaultRule = serde_json::from_str(r#"{
///     "route": "POST /orders", "nth": 2,
///     "fault": {"kind": "drop_after_commit"}
/// }"#).unwrap();
/// assert_eq!(rule, FaultRule::new("POST /orders", Fault::DropAfterCommit).nth(2));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// `"METHOD /route/{template}"` as in the contract (e.g.
    /// `"POST /orders/{order_id}/payments"`), a concrete `"METHOD /path"`,
    /// or `"*"` for any non-admin request.
    pub route: String,
    /// 1-based index of the first matching request to fault. Default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nth: Option<u64>,
    /// Fault every matching request from `nth` on.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub every: bool,
    /// Fault this many consecutive matching requests from `nth` on. Default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
    /// The fault to apply.
    pub fault: Fault,
}

impl FaultRule {
    /// A rule that faults the first request matching `route`.
    pub fn new(route: impl Into<String>, fault: Fault) -> Self {
        FaultRule {
            route: route.into(),
            nth: None,
            every: false,
            times: None,
            fault,
        }
    }

    /// Fault the `n`th matching request (1-based) instead of the first.
    pub fn nth(mut self, n: u64) -> Self {
        self.nth = Some(n);
        self
    }

    /// Fault every matching request (from `nth` on).
    pub fn every(mut self) -> Self {
        self.every = true;
        self
    }

    /// Fault `n` consecutive matching requests (from `nth` on).
    pub fn times(mut self, n: u64) -> Self {
        self.times = Some(n);
        self
    }

    /// Checks the rule: non-empty route, `nth >= 1`, `times >= 1`, valid fault.
    pub fn validate(&self) -> Result<(), String> {
        if self.route.trim().is_empty() {
            return Err("route must not be empty".into());
        }
        if self.nth == Some(0) {
            return Err("nth is 1-based and must be at least 1".into());
        }
        if self.times == Some(0) {
            return Err("times must be at least 1".into());
        }
        self.fault.validate()
    }

    fn matches(&self, route: Option<&str>, concrete: &str) -> bool {
        let wanted = self.route.trim();
        wanted == "*"
            || route.is_some_and(|r| same_route(wanted, r))
            || same_route(wanted, concrete)
    }

    /// Whether the rule fires for the `seen`th matching request (1-based).
    fn fires_at(&self, seen: u64) -> bool {
        let first = self.nth.unwrap_or(1);
        if seen < first {
            return false;
        }
        self.every || seen - first < self.times.unwrap_or(1)
    }
}

/// Compares `"METHOD /path"` strings; the method case-insensitively.
fn same_route(a: &str, b: &str) -> bool {
    match (a.split_once(' '), b.split_once(' ')) {
        (Some((ma, pa)), Some((mb, pb))) => ma.eq_ignore_ascii_case(mb) && pa.trim() == pb,
        _ => false,
    }
}

/// Installed rules with their per-rule match counters.
#[derive(Debug, Default)]
pub(crate) struct FaultBook {
    rules: Vec<(FaultRule, u64)>,
}

impl FaultBook {
    pub(crate) fn add(&mut self, rule: FaultRule) {
        self.rules.push((rule, 0));
    }

    pub(crate) fn clear(&mut self) {
        self.rules.clear();
    }

    pub(crate) fn rules(&self) -> Vec<FaultRule> {
        self.rules.iter().map(|(rule, _)| rule.clone()).collect()
    }

    /// Counts this request against every matching rule and returns the fault
    /// of the first rule (in installation order) that fires.
    pub(crate) fn pick(&mut self, route: Option<&str>, concrete: &str) -> Option<Fault> {
        let mut chosen = None;
        for (rule, seen) in &mut self.rules {
            if rule.matches(route, concrete) {
                *seen += 1;
                if chosen.is_none() && rule.fires_at(*seen) {
                    chosen = Some(rule.fault.clone());
                }
            }
        }
        chosen
    }
}

/// Seeded random fault source.
#[derive(Debug)]
pub(crate) struct Chaos {
    config: ChaosConfig,
    rng: StdRng,
}

impl Chaos {
    pub(crate) fn new(config: ChaosConfig) -> Self {
        let rng = StdRng::seed_from_u64(config.seed);
        Chaos { config, rng }
    }

    /// Restarts the random sequence from the seed.
    pub(crate) fn reseed(&mut self) {
        self.rng = StdRng::seed_from_u64(self.config.seed);
    }

    /// Draws a fault for a request to `route` (`None` for unmatched paths,
    /// which are never faulted and draw nothing).
    pub(crate) fn pick(&mut self, route: Option<&str>) -> Option<Fault> {
        let route = route?;
        if self
            .config
            .exclude_routes
            .iter()
            .any(|excluded| same_route(excluded, route))
        {
            return None;
        }
        let draw: f64 = self.rng.random();
        if draw >= self.config.rate {
            return None;
        }
        let mix = &self.config.mix;
        let weights = [
            mix.drop_after_commit,
            mix.service_unavailable,
            mix.too_many_requests,
            mix.slow,
            mix.internal_error,
        ];
        let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
        if total == 0 {
            return None;
        }
        let mut ticket = self.rng.random_range(0..total);
        let mut kind = 0;
        for (index, weight) in weights.iter().enumerate() {
            let weight = u64::from(*weight);
            if ticket < weight {
                kind = index;
                break;
            }
            ticket -= weight;
        }
        Some(match kind {
            0 => Fault::DropAfterCommit,
            1 => Fault::Status {
                code: 503,
                retry_after: self.config.retry_after.clone(),
                retry_after_ms: Some(self.config.retry_after_ms),
                should_retry: None,
                body: None,
                content_type: None,
            },
            2 => Fault::too_many_requests_ms(self.config.retry_after_ms),
            3 => Fault::Delay {
                ms: self.config.slow_ms,
            },
            _ => Fault::internal_error(),
        })
    }
}

/// The delay a fault imposes before processing, if any.
pub(crate) fn delay_of(fault: Option<&Fault>) -> Option<Duration> {
    match fault {
        Some(Fault::Delay { ms }) => Some(Duration::from_millis(*ms)),
        _ => None,
    }
}

/// Applies the faults that change an answer the handler produced: a
/// [`Fault::CutStream`] cuts its body after so many frames (the streaming
/// routes send one event or line per frame), a [`Fault::ContentType`]
/// relabels it. Other faults leave it as it is.
pub(crate) fn reshape(fault: Option<&Fault>, response: Response) -> Response {
    match fault {
        Some(Fault::CutStream { after }) => cut_after(response, *after),
        Some(Fault::ContentType { content_type }) => {
            let mut response = response;
            set_header(response.headers_mut(), header::CONTENT_TYPE, content_type);
            response
        }
        _ => response,
    }
}

/// The answer with its body cut after `after` frames: the frames before the
/// cut are flushed to the client, then the body fails, which makes hyper
/// close the connection without ending the body.
fn cut_after(response: Response, after: u64) -> Response {
    let (mut parts, body) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let frames = Box::pin(body.into_data_stream());
    let cut = futures::stream::unfold(Some((frames, after)), |state| async move {
        let (mut frames, left) = state?;
        if left == 0 {
            // Pending once, so hyper flushes what it holds before the failure.
            tokio::task::yield_now().await;
            let cut = io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "stream cut by fault injection",
            );
            return Some((Err(cut), None));
        }
        match frames.next().await {
            Some(Ok(frame)) => Some((Ok(frame), Some((frames, left - 1)))),
            Some(Err(e)) => Some((Err(io::Error::other(e)), None)),
            None => None,
        }
    });
    Response::from_parts(parts, Body::from_stream(cut))
}

/// Builds the response of a [`Fault::Status`] fault. Values that cannot be
/// headers are skipped (rules installed through the admin API are validated
/// up front).
pub(crate) fn status_response(fault: &Fault, path: &str) -> Option<Response> {
    let Fault::Status {
        code,
        retry_after,
        retry_after_ms,
        should_retry,
        body,
        content_type,
    } = fault
    else {
        return None;
    };
    let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let (body, default_type) = match body {
        Some(body) => (body.clone(), "text/plain; charset=utf-8"),
        None => (default_body(status, path), PROBLEM_JSON),
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    let content_type = content_type.as_deref().unwrap_or(default_type);
    set_header(headers, header::CONTENT_TYPE, content_type);
    if let Some(value) = retry_after {
        set_header(headers, header::RETRY_AFTER, value);
    }
    if let Some(ms) = retry_after_ms {
        set_header(
            headers,
            HeaderName::from_static("retry-after-ms"),
            &ms.to_string(),
        );
    }
    if let Some(flag) = should_retry {
        set_header(
            headers,
            HeaderName::from_static("x-should-retry"),
            if *flag { "true" } else { "false" },
        );
    }
    Some(response)
}

fn set_header(headers: &mut axum::http::HeaderMap, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

fn default_body(status: StatusCode, path: &str) -> String {
    let title = status.canonical_reason().unwrap_or("Injected fault");
    serde_json::json!({
        "type": format!("{PROBLEM_TYPE_BASE}injected-fault"),
        "title": title,
        "status": status.as_u16(),
        "detail": "fault injected by the reference server; the request was not processed",
        "instance": path,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fire_pattern(rule: FaultRule, n: usize) -> Vec<bool> {
        let mut book = FaultBook::default();
        book.add(rule);
        (0..n)
            .map(|_| book.pick(Some("POST /orders"), "POST /orders").is_some())
            .collect()
    }

    #[test]
    fn nth_every_and_times() {
        let f = || FaultRule::new("POST /orders", Fault::DropAfterCommit);
        assert_eq!(fire_pattern(f(), 3), [true, false, false]);
        assert_eq!(fire_pattern(f().nth(2), 3), [false, true, false]);
        assert_eq!(
            fire_pattern(f().nth(2).every(), 4),
            [false, true, true, true]
        );
        assert_eq!(fire_pattern(f().times(2), 3), [true, true, false]);
    }

    #[test]
    fn routes_match_templates_concrete_paths_and_star() {
        let r = FaultRule::new("post /orders/{order_id}/cancel", Fault::DropBeforeCommit);
        assert!(r.matches(
            Some("POST /orders/{order_id}/cancel"),
            "POST /orders/x/cancel"
        ));
        assert!(!r.matches(Some("POST /orders"), "POST /orders"));
        let r = FaultRule::new("POST /orders/x/cancel", Fault::DropBeforeCommit);
        assert!(r.matches(
            Some("POST /orders/{order_id}/cancel"),
            "POST /orders/x/cancel"
        ));
        let r = FaultRule::new("*", Fault::DropBeforeCommit);
        assert!(r.matches(None, "GET /nowhere"));
    }

    #[test]
    fn fault_json_round_trips() {
        let rule: FaultRule = serde_json::from_str(
            r#"{"route":"POST /orders","nth":1,"fault":{"kind":"status","code":503,"retry_after":"1"}}"#,
        )
        .unwrap();
        assert_eq!(
            rule,
            FaultRule::new("POST /orders", Fault::service_unavailable(1)).nth(1)
        );
        let back: FaultRule = serde_json::from_value(serde_json::to_value(&rule).unwrap()).unwrap();
        assert_eq!(back, rule);
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let err = serde_json::from_str::<FaultRule>(
            r#"{"route":"*","fault":{"kind":"status","code":503,"retry_afer":"1"}}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("retry_afer"), "{err}");
        assert!(serde_json::from_str::<FaultRule>(
            r#"{"route":"*","nht":1,"fault":{"kind":"delay","ms":1}}"#
        )
        .is_err());
    }

    #[test]
    fn validation_catches_bad_values() {
        assert!(FaultRule::new("*", Fault::status(42)).validate().is_err());
        assert!(FaultRule::new("*", Fault::DropAfterCommit)
            .nth(0)
            .validate()
            .is_err());
        assert!(FaultRule::new(" ", Fault::DropAfterCommit)
            .validate()
            .is_err());
        assert!(FaultRule::new("*", Fault::internal_error())
            .validate()
            .is_ok());
    }

    #[test]
    fn chaos_is_deterministic_and_respects_exclusions() {
        let config = ChaosConfig::new(7, 0.5);
        let run = || {
            let mut chaos = Chaos::new(config.clone());
            (0..50)
                .map(|_| chaos.pick(Some("POST /orders")))
                .collect::<Vec<_>>()
        };
        let first = run();
        assert_eq!(first, run());
        assert!(first.iter().any(Option::is_some));
        assert!(first.iter().any(Option::is_none));
        let mut chaos = Chaos::new(ChaosConfig::new(7, 1.0));
        assert_eq!(chaos.pick(Some("GET /operations/{operation_id}")), None);
        assert_eq!(chaos.pick(None), None);
    }
}
