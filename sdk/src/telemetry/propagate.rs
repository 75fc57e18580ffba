//! W3C Trace Context in and out: the caller's context taken as a call's
//! parent, and `traceparent`/`tracestate` written on every attempt — the
//! call's trace, the attempt's own span id.
//!
//! Parsing and formatting are the OpenTelemetry SDK's
//! [`TraceContextPropagator`]; nothing here reads the W3C format by hand.
//!
//! Where an attempt's span id comes from:
//!
//! - the attempt's span is recorded by an OpenTelemetry layer
//!   ([`crate::telemetry::Telemetry`], or the application's own
//!   `tracing-opentelemetry` layer): its span id, so the server's spans
//!   parent the exported attempt span;
//! - nothing records it, but the call has a parent (given with
//!   [`RequestBuilder::trace_context`](crate::RequestBuilder::trace_context),
//!   or the current OpenTelemetry context): a fresh span id in the parent's
//!   trace, with the parent's flags and `tracestate`, so the trace is
//!   forwarded as W3C asks of a participant that does not record;
//! - neither: no header at all.

use std::collections::HashMap;

use http::{HeaderMap, HeaderName, HeaderValue};
use opentelemetry::propagation::{Injector, TextMapPropagator};
use opentelemetry::trace::{SpanContext, TraceContextExt};
use opentelemetry::Context;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{IdGenerator, RandomIdGenerator};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The `traceparent` header.
pub(crate) const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
/// The `tracestate` header.
pub(crate) const TRACESTATE: HeaderName = HeaderName::from_static("tracestate");

/// A remote W3C trace context: the span that a call (or a workflow run)
/// continues. Parsed from `traceparent` and `tracestate` by the OpenTelemetry
/// propagator; a context that does not parse is no context.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceContext {
    span: SpanContext,
}

impl TraceContext {
    /// Parses a `traceparent` header (and its `tracestate`, if any). `None`
    /// when it is not a valid W3C trace context — which W3C says to ignore,
    /// so callers drop it rather than fail.
    pub fn parse(traceparent: &str, tracestate: Option<&str>) -> Option<Self> {
        let mut carrier = HashMap::with_capacity(2);
        carrier.insert("traceparent".to_string(), traceparent.trim().to_string());
        if let Some(state) = tracestate {
            carrier.insert("tracestate".to_string(), state.trim().to_string());
        }
        Self::of(&TraceContextPropagator::new().extract(&carrier))
    }

    /// The context of the current `tracing` span as an OpenTelemetry layer
    /// records it, or else the current OpenTelemetry context; `None` when
    /// neither has a valid span.
    pub fn current() -> Option<Self> {
        let span = tracing::Span::current();
        let from_span = if span.is_disabled() {
            None
        } else {
            Self::of(&span.context())
        };
        from_span.or_else(|| Self::of(&Context::current()))
    }

    /// The span of an OpenTelemetry context, if valid.
    fn of(cx: &Context) -> Option<Self> {
        let span = cx.span().span_context().clone();
        span.is_valid().then_some(TraceContext { span })
    }

    /// The trace id, 32 lowercase hex digits.
    pub fn trace_id(&self) -> String {
        self.span.trace_id().to_string()
    }

    /// The parent span id, 16 lowercase hex digits.
    pub fn span_id(&self) -> String {
        self.span.span_id().to_string()
    }

    /// True when the caller sampled the trace (the `sampled` flag).
    pub fn is_sampled(&self) -> bool {
        self.span.is_sampled()
    }

    /// The context as a `traceparent` header value.
    pub fn traceparent(&self) -> String {
        let headers = self.headers();
        headers.0.to_str().unwrap_or_default().to_string()
    }

    /// The `tracestate` header value, if the context has one.
    pub fn tracestate(&self) -> Option<String> {
        let state = self.span.trace_state().header();
        (!state.is_empty()).then_some(state)
    }

    /// As an OpenTelemetry parent context.
    pub(crate) fn as_parent(&self) -> Context {
        Context::new().with_remote_span_context(self.span.clone())
    }

    /// A child of this context with a fresh span id: what an attempt that no
    /// layer records sends.
    fn child(&self) -> TraceContext {
        TraceContext {
            span: SpanContext::new(
                self.span.trace_id(),
                RandomIdGenerator::default().new_span_id(),
                self.span.trace_flags(),
                false,
                self.span.trace_state().clone(),
            ),
        }
    }

    /// The `traceparent` and `tracestate` values that carry this context.
    fn headers(&self) -> TraceHeaders {
        inject(&self.as_parent()).unwrap_or_else(|| {
            // The propagator writes every valid context; unreachable in practice.
            TraceHeaders(HeaderValue::from_static(""), None)
        })
    }
}

/// The trace headers one attempt sends: `traceparent`, then `tracestate`.
#[derive(Debug, Clone)]
pub(crate) struct TraceHeaders(HeaderValue, Option<HeaderValue>);

impl TraceHeaders {
    /// Adds the headers to an attempt's, unless the caller set them: a
    /// caller's header of the same name wins and is not duplicated.
    pub(crate) fn apply(self, headers: &mut HeaderMap) {
        headers.entry(TRACEPARENT).or_insert(self.0);
        if let Some(state) = self.1 {
            headers.entry(TRACESTATE).or_insert(state);
        }
    }
}

/// Writes `cx` as W3C headers with the SDK's propagator.
fn inject(cx: &Context) -> Option<TraceHeaders> {
    struct Headers(Option<HeaderValue>, Option<HeaderValue>);
    impl Injector for Headers {
        fn set(&mut self, key: &str, value: String) {
            let Ok(value) = HeaderValue::try_from(value) else {
                return;
            };
            match key {
                "traceparent" => self.0 = Some(value),
                "tracestate" if !value.is_empty() => self.1 = Some(value),
                _ => {}
            }
        }
    }
    let mut headers = Headers(None, None);
    TraceContextPropagator::new().inject_context(cx, &mut headers);
    headers.0.map(|parent| TraceHeaders(parent, headers.1))
}

/// The trace of one call: its parent when it has one, decided once when the
/// call starts, and whether attempts carry trace headers at all.
#[derive(Debug, Default)]
pub(crate) struct CallTrace {
    /// The parent attempts fall back on when no layer records them.
    parent: Option<TraceContext>,
    /// The caller set `traceparent` itself: nothing is added.
    caller_header: bool,
}

impl CallTrace {
    /// Starts the trace of a call whose span is `span`: an explicit caller
    /// context becomes the span's parent (a span no layer records keeps it
    /// for its attempts instead); without one, the current OpenTelemetry
    /// context is the fallback parent.
    pub(crate) fn start(
        span: &tracing::Span,
        explicit: Option<&TraceContext>,
        headers: &HeaderMap,
    ) -> CallTrace {
        let caller_header = headers.contains_key(TRACEPARENT);
        let parent = match explicit {
            Some(remote) => {
                if !span.is_disabled() {
                    // Fails only when no layer records the span: the fallback
                    // below forwards the trace then.
                    let _ = span.set_parent(remote.as_parent());
                }
                Some(remote.clone())
            }
            None => TraceContext::of(&Context::current()),
        };
        CallTrace {
            parent,
            caller_header,
        }
    }

    /// The trace headers of one attempt whose span is `span` (see the
    /// module docs), or `None` when the attempt carries none.
    pub(crate) fn attempt_headers(&self, span: &tracing::Span) -> Option<TraceHeaders> {
        if self.caller_header {
            return None;
        }
        if !span.is_disabled() {
            let cx = span.context();
            if cx.span().span_context().is_valid() {
                return inject(&cx);
            }
        }
        self.parent.as_ref().map(|parent| parent.child().headers())
    }
}

/// The `traceparent` a workflow run records when it is created: its own
/// span's context when a layer records `span`, else the caller's current
/// context; `None` when neither has a trace.
pub(crate) fn run_traceparent(span: Option<&tracing::Span>) -> Option<String> {
    span.filter(|s| !s.is_disabled())
        .and_then(|s| TraceContext::of(&s.context()))
        .or_else(TraceContext::current)
        .map(|cx| cx.traceparent())
}

/// Continues a run's trace in the span of a later drive of it (a resume,
/// perhaps in another process): the recorded context becomes the span's
/// parent — unless the caller has a trace of its own, which stays the
/// parent while the span links to the run's. A context that does not parse
/// is ignored.
pub(crate) fn continue_run(span: &tracing::Span, recorded: Option<&str>) {
    if span.is_disabled() {
        return;
    }
    let Some(recorded) = recorded.and_then(|r| TraceContext::parse(r, None)) else {
        return;
    };
    match TraceContext::current() {
        Some(current) if current.span.trace_id() == recorded.span.trace_id() => {}
        Some(_) => span.add_link(recorded.span),
        None => {
            let _ = span.set_parent(recorded.as_parent());
        }
    }
}

/// A `traceparent` value read from a [`HeaderMap`] with the propagator, as a
/// receiver would: what the tests check the attempts' headers with.
#[cfg(test)]
pub(crate) fn from_headers(headers: &HeaderMap) -> Option<TraceContext> {
    use opentelemetry::propagation::Extractor;
    struct Read<'a>(&'a HeaderMap);
    impl Extractor for Read<'_> {
        fn get(&self, key: &str) -> Option<&str> {
            self.0.get(key).and_then(|v| v.to_str().ok())
        }
        fn keys(&self) -> Vec<&str> {
            self.0.keys().map(HeaderName::as_str).collect()
        }
    }
    TraceContext::of(&TraceContextPropagator::new().extract(&Read(headers)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn a_valid_context_parses_and_round_trips() {
        let cx = TraceContext::parse(PARENT, Some("vendor=abc")).expect("valid");
        assert_eq!(cx.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(cx.span_id(), "00f067aa0ba902b7");
        assert!(cx.is_sampled());
        assert_eq!(cx.traceparent(), PARENT);
        assert_eq!(cx.tracestate().as_deref(), Some("vendor=abc"));
    }

    #[test]
    fn invalid_contexts_are_none() {
        for bad in [
            "",
            "garbage",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            assert!(TraceContext::parse(bad, None).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn an_unrecorded_attempt_forwards_the_parent_trace_with_a_new_span_id() {
        let parent = TraceContext::parse(PARENT, Some("vendor=abc")).unwrap();
        let trace = CallTrace::start(&tracing::Span::none(), Some(&parent), &HeaderMap::new());
        let mut ids = Vec::new();
        for _ in 0..2 {
            let mut headers = HeaderMap::new();
            trace
                .attempt_headers(&tracing::Span::none())
                .expect("forwarded")
                .apply(&mut headers);
            let sent = from_headers(&headers).expect("a valid traceparent");
            assert_eq!(sent.trace_id(), parent.trace_id());
            assert_ne!(sent.span_id(), parent.span_id());
            assert_eq!(headers["tracestate"], "vendor=abc");
            ids.push(sent.span_id());
        }
        assert_ne!(ids[0], ids[1], "a new span id per attempt");
    }

    #[test]
    fn the_callers_header_wins() {
        let parent = TraceContext::parse(PARENT, None).unwrap();
        let mut own = HeaderMap::new();
        own.insert(TRACEPARENT, HeaderValue::from_static(PARENT));
        let trace = CallTrace::start(&tracing::Span::none(), Some(&parent), &own);
        assert!(trace.attempt_headers(&tracing::Span::none()).is_none());
    }

    #[test]
    fn no_parent_no_header() {
        let trace = CallTrace::start(&tracing::Span::none(), None, &HeaderMap::new());
        assert!(trace.attempt_headers(&tracing::Span::none()).is_none());
    }
}
