use std::fmt::Display;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use serde::de::DeserializeOwned;
use serde::Serialize;
use url::Url;

use super::body::{form_encode, Body, Multipart};
use super::pipeline::{self, Call};
use super::{Client, Response};
use crate::error::Error;
use crate::paginate::{PageSpec, Pages};
use crate::retry::RetryPolicy;
use crate::stream::{EventStream, JsonLines, Source, LINES_ACCEPT};

/// Characters escaped inside one path segment (RFC 3986 `pchar` complement).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'\\')
    .add(b'^')
    .add(b'|')
    .add(b'[')
    .add(b']');

/// One call being configured. Build it with [`Client::request`] (or `get`,
/// `post`, …), then finish it with [`send`](Self::send),
/// [`send_json`](Self::send_json), [`send_empty`](Self::send_empty),
/// [`send_operation`](Self::send_operation), or, for a streamed answer,
/// [`send_events`](Self::send_events) or [`send_lines`](Self::send_lines).
///
/// Mistakes made while building (an unserialisable body, an invalid header) are
/// kept and reported by the `send*` method, so the builder chains cleanly.
#[must_use = "a request does nothing until it is sent"]
pub struct RequestBuilder {
    client: Client,
    /// The call so far, or the first mistake made building it.
    call: Result<Call, Error>,
    /// What the URL is rendered from when the call is sent.
    target: Target,
}

/// What the URL of a call is rendered from: its template (in [`Call`]) filled
/// with path parameters, or a verbatim URL, plus the query string; and the
/// cookies, joined into one header at send.
#[derive(Debug, Default, Clone)]
struct Target {
    path_params: Vec<(String, String)>,
    query: Vec<(String, String)>,
    cookies: Vec<String>,
    /// A URL to use as is instead of rendering the template (status links).
    url: Option<Url>,
}

impl std::fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Cookie values are session secrets: only their names are shown. Header
        // values that are secrets are marked sensitive and print as such.
        let target = &self.target;
        let cookies: Vec<&str> = target
            .cookies
            .iter()
            .map(|c| c.split_once('=').map_or(c.as_str(), |(name, _)| name))
            .collect();
        let mut d = f.debug_struct("RequestBuilder");
        match &self.call {
            Ok(call) => d
                .field("method", &call.method)
                .field("template", &call.template)
                .field("path_params", &target.path_params)
                .field("query", &target.query)
                .field("headers", &call.headers)
                .field("cookies", &cookies)
                .field(
                    "body",
                    &call.body.as_ref().map(|b| (&b.content_type, b.bytes.len())),
                )
                .field("idempotent", &call.idempotent)
                .field("intent_id", &call.intent_id)
                .field("key", &call.key),
            Err(error) => d
                .field("path_params", &target.path_params)
                .field("query", &target.query)
                .field("cookies", &cookies)
                .field("error", error),
        }
        .finish_non_exhaustive()
    }
}

impl RequestBuilder {
    pub(crate) fn new(client: Client, method: Method, template: String) -> Self {
        RequestBuilder {
            client,
            call: Ok(Call {
                method,
                template,
                headers: HeaderMap::new(),
                body: None,
                idempotent: None,
                intent_id: None,
                key: None,
                first_use_key: false,
                retry: None,
                attempt_timeout: None,
                deadline: None,
                trace_context: None,
            }),
            target: Target::default(),
        }
    }

    /// A request to a URL the server gave (a status link): used verbatim, never
    /// read as a template, and named by its path alone in spans and errors, so a
    /// signed query string stays out of logs.
    pub(crate) fn to_url(client: Client, method: Method, url: Url) -> Self {
        let mut builder = RequestBuilder::new(client, method, url.path().to_string());
        builder.target.url = Some(url);
        builder
    }

    /// Applies `change` to the call, unless building it already failed.
    fn with(mut self, change: impl FnOnce(&mut Call)) -> Self {
        if let Ok(call) = &mut self.call {
            change(call);
        }
        self
    }

    /// Keeps the first mistake made building the call; `send` reports it.
    fn fail(&mut self, error: Error) {
        if self.call.is_ok() {
            self.call = Err(error);
        }
    }

    /// Fills `{name}` in the path template; the value is percent-encoded as one
    /// path segment.
    pub fn path_param(mut self, name: &str, value: impl Display) -> Self {
        self.target
            .path_params
            .push((name.to_string(), value.to_string()));
        self
    }

    /// Appends a query parameter. Call it once per value for repeated (exploded)
    /// parameters.
    pub fn query(mut self, name: &str, value: impl Display) -> Self {
        self.target
            .query
            .push((name.to_string(), value.to_string()));
        self
    }

    /// Sets a request header (replacing an earlier value of the same name).
    pub fn header(mut self, name: &str, value: impl Display) -> Self {
        match (
            HeaderName::try_from(name),
            HeaderValue::try_from(value.to_string()),
        ) {
            (Ok(n), Ok(mut v)) => {
                v.set_sensitive(super::redact::is_sensitive_header(&n));
                return self.with(|call| {
                    call.headers.insert(n, v);
                });
            }
            (Err(e), _) => self.fail(Error::invalid(
                format!("header name {name:?}"),
                e.to_string(),
            )),
            (_, Err(e)) => self.fail(Error::invalid(
                format!("value of header {name:?}"),
                e.to_string(),
            )),
        }
        self
    }

    /// Adds a cookie.
    pub fn cookie(mut self, name: &str, value: impl Display) -> Self {
        self.target.cookies.push(format!("{name}={value}"));
        self
    }

    /// Sets the `Accept` header.
    pub fn accept(self, media_type: &str) -> Self {
        self.header("accept", media_type)
    }

    /// Sets `If-Match` for a conditional update; a changed resource then fails
    /// with [`Error::PreconditionFailed`] and is never retried.
    pub fn if_match(self, etag: &str) -> Self {
        self.header("if-match", etag)
    }

    /// A JSON body (serialised canonically: object members sorted).
    pub fn json(mut self, body: &impl Serialize) -> Self {
        match crate::idempotency::to_canonical_json(body) {
            Ok(bytes) => self.with(|call| {
                call.body = Some(Body {
                    bytes: Bytes::from(bytes),
                    content_type: "application/json".into(),
                    is_json: true,
                    canonical: true,
                })
            }),
            Err(e) => {
                self.fail(Error::invalid("JSON request body", e.to_string()));
                self
            }
        }
    }

    /// An `application/x-www-form-urlencoded` body; nested objects and arrays use
    /// bracket notation (`a[b]=1&c[0]=x`).
    pub fn form(mut self, body: &impl Serialize) -> Self {
        match serde_json::to_value(body) {
            Ok(value) => self.with(|call| {
                call.body = Some(Body {
                    bytes: Bytes::from(form_encode(&value)),
                    content_type: "application/x-www-form-urlencoded".into(),
                    is_json: false,
                    canonical: false,
                })
            }),
            Err(e) => {
                self.fail(Error::invalid("form request body", e.to_string()));
                self
            }
        }
    }

    /// A `multipart/form-data` body.
    pub fn multipart(self, form: Multipart) -> Self {
        self.with(|call| call.body = Some(form.encode()))
    }

    /// A raw body with its media type.
    pub fn body(self, bytes: impl Into<Bytes>, content_type: &str) -> Self {
        self.with(|call| {
            call.body = Some(Body {
                bytes: bytes.into(),
                content_type: content_type.to_string(),
                is_json: crate::problem::is_json_content_type(content_type),
                canonical: false,
            })
        })
    }

    /// Forces an idempotency key on (`true`) or off (`false`). By default POST
    /// and PATCH get one. A call without a key is never retried once it may have
    /// reached the server. Turning the key off on a call that also names an
    /// intent id or a key is refused with [`Error::InvalidInput`].
    pub fn idempotent(self, on: bool) -> Self {
        self.with(|call| call.idempotent = Some(on))
    }

    /// Names the caller's intent (an order number, a message id). The key is
    /// derived from it, so the same intent always sends the same key, and the
    /// store returns a finished intent's answer without sending anything.
    pub fn intent_id(self, intent_id: impl Into<String>) -> Self {
        self.with(|call| call.intent_id = Some(intent_id.into()))
    }

    /// Uses this idempotency key verbatim on every attempt (setting the key
    /// header with [`header`](Self::header) does the same).
    pub fn idempotency_key(self, key: impl Into<String>) -> Self {
        self.with(|call| call.key = Some(key.into()))
    }

    /// Uses `key`, which has never been sent before (a workflow step's key on
    /// the step's first attempt, its start journaled): nothing can be known
    /// about it, so the call records it lazily, as it does a generated key.
    pub(crate) fn first_use_key(self, key: String) -> Self {
        self.with(|call| {
            call.key = Some(key);
            call.first_use_key = true;
        })
    }

    /// Overrides the client's retry policy for this call.
    pub fn retry_policy(self, policy: RetryPolicy) -> Self {
        self.with(|call| call.retry = Some(policy))
    }

    /// Overrides the per-attempt timeout for this call.
    pub fn attempt_timeout(self, timeout: Duration) -> Self {
        self.with(|call| call.attempt_timeout = Some(timeout))
    }

    /// Overrides the overall deadline for this call.
    pub fn deadline(self, deadline: Option<Duration>) -> Self {
        self.with(|call| call.deadline = Some(deadline))
    }

    /// Continues the caller's trace: the W3C `traceparent` (and `tracestate`)
    /// of the caller's current span — for callers whose OpenTelemetry context
    /// is not a Rust one (the Python and Node bindings). It becomes the
    /// parent of the call's span; every attempt sends the same trace id with
    /// its own span id, also when nothing exports spans here.
    ///
    /// An invalid `traceparent` is ignored, as W3C Trace Context asks (logged
    /// at debug); the call goes out as it would without it. A `traceparent`
    /// header set on the call itself is sent instead, unchanged.
    #[cfg(feature = "otel")]
    pub fn trace_context(self, traceparent: &str, tracestate: Option<&str>) -> Self {
        match crate::telemetry::TraceContext::parse(traceparent, tracestate) {
            Some(context) => self.parent_context(context),
            None => {
                tracing::debug!(traceparent, "not a valid W3C traceparent; ignored");
                self
            }
        }
    }

    /// Continues the trace of `context` (see
    /// [`trace_context`](Self::trace_context)).
    #[cfg(feature = "otel")]
    pub fn parent_context(self, context: crate::telemetry::TraceContext) -> Self {
        self.with(|call| call.trace_context = Some(context))
    }

    /// Sends the call; any non-2xx final answer is an [`Error`].
    pub async fn send(self) -> Result<Response, Error> {
        let (client, call, url) = self.into_call()?;
        pipeline::execute(&client, call, url).await
    }

    /// Sends the call and decodes a JSON answer into `T`. An empty body decodes
    /// as JSON `null`, so `()` and `Option<T>` work for bodiless answers.
    pub async fn send_json<T: DeserializeOwned>(self) -> Result<T, Error> {
        self.send().await?.json()
    }

    /// Sends the call and ignores the answer's body.
    pub async fn send_empty(self) -> Result<(), Error> {
        self.send().await.map(drop)
    }

    /// Resumes an event stream after the event with this id: the first
    /// request carries `Last-Event-ID` (see [`send_events`](Self::send_events)
    /// and [`EventStream::last_event_id`]).
    pub fn last_event_id(self, id: &str) -> Self {
        self.header("last-event-id", id)
    }

    /// Sends the call and reads its `text/event-stream` answer as a stream of
    /// [`ServerEvent`](crate::stream::ServerEvent)s, reconnecting with
    /// `Last-Event-ID` when the connection is cut. Opening is retried like
    /// any call; an error answer is its typed error, an answer of another
    /// media type an [`Error::Protocol`] naming it. See [`EventStream`].
    /// Sends `Accept: text/event-stream` unless the call sets `Accept`.
    pub async fn send_events(self) -> Result<EventStream, Error> {
        let (client, mut call, url) = self.into_call()?;
        call.headers
            .entry(http::header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
        EventStream::open(Source::new(client, call, url, "text/event-stream")).await
    }

    /// Sends the call and reads its JSON Lines answer (`application/x-ndjson`,
    /// `application/jsonl`, `application/json-lines`, or RFC 7464
    /// `application/json-seq`) as a stream of `T`, one per line. Opening is
    /// retried like any call; an error answer is its typed error, an answer
    /// of another media type an [`Error::Protocol`] naming it. See
    /// [`JsonLines`].
    pub async fn send_lines<T: DeserializeOwned>(self) -> Result<JsonLines<T>, Error> {
        let (client, call, url) = self.into_call()?;
        JsonLines::open(Source::new(client, call, url, LINES_ACCEPT)).await
    }

    /// Pages through a list operation, one ordinary call per page (retries,
    /// budget, breaker and problem errors apply to each), decoding the items
    /// into `T`. See [`crate::paginate`].
    pub fn pages<T: DeserializeOwned>(self, spec: PageSpec) -> Pages<T> {
        Pages::new(self, spec)
    }

    /// The client the call is sent with.
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// Splits off the first mistake made building the call, if any.
    pub(crate) fn checked(self) -> Result<Self, Error> {
        match self.call {
            Ok(call) => Ok(RequestBuilder {
                client: self.client,
                call: Ok(call),
                target: self.target,
            }),
            Err(error) => Err(error),
        }
    }

    /// A copy of a call built without mistakes (one with a mistake copies as
    /// an invalid-input error of the same words).
    pub(crate) fn duplicate(&self) -> Self {
        RequestBuilder {
            client: self.client.clone(),
            call: match &self.call {
                Ok(call) => Ok(call.clone()),
                Err(error) => Err(Error::invalid("request", error.to_string())),
            },
            target: self.target.clone(),
        }
    }

    /// The method and path template, naming the call in errors.
    pub(crate) fn label(&self) -> String {
        match &self.call {
            Ok(call) => format!("{} {}", call.method, call.template),
            Err(_) => "request".to_string(),
        }
    }

    /// True when the call names an intent id or a fixed idempotency key
    /// (which one call per page could not all share).
    pub(crate) fn has_fixed_key(&self) -> bool {
        self.call.as_ref().is_ok_and(|call| {
            call.intent_id.is_some()
                || call.key.is_some()
                || call.headers.contains_key(&self.client.inner.key_header)
        })
    }

    /// The last value the caller gave query parameter `name`.
    pub(crate) fn query_value(&self, name: &str) -> Option<&str> {
        self.target
            .query
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Replaces every value of query parameter `name` with `value`.
    pub(crate) fn replace_query(mut self, name: &str, value: &str) -> Self {
        self.target.query.retain(|(n, _)| n != name);
        self.target
            .query
            .push((name.to_string(), value.to_string()));
        self
    }

    /// Sends the call to `url` as given (a next-page link), query included:
    /// the caller's query parameters are not added again.
    pub(crate) fn follow_url(mut self, url: Url) -> Self {
        self.target.query.clear();
        self.target.url = Some(url);
        self
    }

    /// The finished call: the first mistake made building it, or the call
    /// with its URL rendered and its cookies in one header.
    fn into_call(self) -> Result<(Client, Call, Url), Error> {
        let mut call = self.call?;
        let target = self.target;
        let url = target.render_url(self.client.base_url(), &call.template)?;
        if !target.cookies.is_empty() {
            let mut value = HeaderValue::try_from(target.cookies.join("; "))
                .map_err(|e| Error::invalid("cookie header", e.to_string()))?;
            value.set_sensitive(true);
            call.headers.insert(http::header::COOKIE, value);
        }
        Ok((self.client, call, url))
    }
}

impl Target {
    /// The URL of the call: `template` rendered against `base` (or the
    /// verbatim URL), with the query string added.
    fn render_url(&self, base: &Url, template: &str) -> Result<Url, Error> {
        let mut url = match &self.url {
            Some(url) => url.clone(),
            None => self.render_template(base, template)?,
        };
        if !self.query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in &self.query {
                pairs.append_pair(k, v);
            }
        }
        Ok(url)
    }

    /// Joins the base URL and the template, filling path parameters.
    fn render_template(&self, base: &Url, template: &str) -> Result<Url, Error> {
        let mut path = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            let close = rest[open..].find('}').map(|c| open + c).ok_or_else(|| {
                Error::invalid(
                    format!("path template {template:?}"),
                    "a `{` is never closed",
                )
            })?;
            let name = &rest[open + 1..close];
            let value = self
                .path_params
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v)
                .ok_or_else(|| {
                    Error::invalid(
                        format!("path template {template:?}"),
                        format!("no value for `{{{name}}}`"),
                    )
                })?;
            if value.is_empty() {
                return Err(Error::invalid(
                    format!("path parameter `{name}`"),
                    "it is empty",
                ));
            }
            // URLs resolve `.` and `..` segments (even percent-encoded ones), so
            // such a value would silently address another resource.
            if value == "." || value == ".." {
                return Err(Error::invalid(
                    format!("path parameter `{name}`"),
                    format!("{value:?} would change the path instead of naming a resource"),
                ));
            }
            path.push_str(&rest[..open]);
            path.extend(utf8_percent_encode(value, SEGMENT));
            rest = &rest[close + 1..];
        }
        path.push_str(rest);

        if path.starts_with("http://") || path.starts_with("https://") {
            Url::parse(&path).map_err(|e| Error::invalid(format!("URL {path:?}"), e.to_string()))
        } else {
            let joined = format!(
                "{}/{}",
                base.as_str().trim_end_matches('/'),
                path.trim_start_matches('/')
            );
            Url::parse(&joined).map_err(|e| Error::invalid(format!("path {path:?}"), e.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl RequestBuilder {
        /// The URL the call would be sent to.
        fn render_url(self) -> Result<Url, Error> {
            self.into_call().map(|(_, _, url)| url)
        }
    }

    fn client(base: &str) -> Client {
        Client::builder(base).build().unwrap()
    }

    #[test]
    fn renders_templates_with_encoding_and_prefix() {
        let c = client("https://api.example.com/v1/");
        let url = c
            .get("/orders/{order_id}/items/{item}")
            .path_param("order_id", "a/b c")
            .path_param("item", 7)
            .query("expand[]", "customer")
            .query("q", "x&y")
            .render_url()
            .unwrap();
        assert_eq!(
            url.as_str(),
            "https://api.example.com/v1/orders/a%2Fb%20c/items/7?expand%5B%5D=customer&q=x%26y"
        );
    }

    #[test]
    fn template_mistakes_are_named() {
        let c = client("https://api.example.com");
        let e = c.get("/orders/{id}").render_url().unwrap_err().to_string();
        assert!(e.contains("no value for `{id}`"), "{e}");
        let e = c.get("/orders/{id").render_url().unwrap_err().to_string();
        assert!(e.contains("never closed"), "{e}");
        let e = c
            .get("/orders/{id}")
            .path_param("id", "")
            .render_url()
            .unwrap_err()
            .to_string();
        assert!(e.contains("empty"), "{e}");
    }

    #[test]
    fn dot_segments_cannot_escape_the_template() {
        // URL parsing resolves `.` and `..` segments, so `/users/../admin` would
        // silently become `/admin`: such values are refused, not encoded.
        let c = client("https://api.example.com/v1");
        for value in ["..", "."] {
            let e = c
                .get("/users/{id}/profile")
                .path_param("id", value)
                .render_url()
                .unwrap_err();
            assert!(matches!(e, Error::InvalidInput { .. }), "{value}: {e}");
        }
        let url = c
            .get("/users/{id}")
            .path_param("id", "a..b")
            .render_url()
            .unwrap();
        assert_eq!(url.path(), "/v1/users/a..b");
    }

    #[test]
    fn absolute_urls_are_used_as_given() {
        let c = client("https://api.example.com");
        let url = c
            .get("https://status.example.com/ops/1")
            .render_url()
            .unwrap();
        assert_eq!(url.as_str(), "https://status.example.com/ops/1");
    }

    #[test]
    fn builder_errors_surface_at_send() {
        let c = client("https://api.example.com");
        let e = c.get("/x").header("bad name", "v").into_call().unwrap_err();
        assert!(e.to_string().contains("bad name"), "{e}");
    }
}
