//! [`EventStream`]: a `text/event-stream` answer as a stream of
//! [`ServerEvent`]s that reconnects where it was cut.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::Stream;
use http::{HeaderMap, HeaderName};
use tracing::field;

use super::event::ServerEvent;
use super::source::{Source, StreamBody};
use super::sse::EventParser;
use super::{Reconnect, DEFAULT_MAX_ITEM_BYTES};
use crate::client::Opened;
use crate::error::Error;

/// The media type of an event stream.
const EVENT_STREAM: &str = "text/event-stream";

/// The request header that resumes a stream after an event.
const LAST_EVENT_ID: HeaderName = HeaderName::from_static("last-event-id");

/// A reopening under way: the wait, then the request.
type Reopening = Pin<Box<dyn Future<Output = Result<Opened, Error>> + Send>>;

/// A server-sent event stream (`text/event-stream`), from
/// [`RequestBuilder::send_events`](crate::RequestBuilder::send_events).
///
/// A [`Stream`] of [`ServerEvent`]s, parsed as the WHATWG HTML standard
/// says. The body is read as the stream is polled, so a slow reader holds
/// the server back instead of buffering. Dropping the stream, or
/// [`close`](Self::close), closes the connection.
///
/// **Reconnection.** When the connection is cut mid-stream (a transport
/// error while reading the body), the stream reopens the call with
/// `Last-Event-ID` set to the last event id it saw, after the server's
/// `retry` time or, without one, the call's backoff; the events continue
/// after the last one received. A clean end of the body ends the stream, as
/// API streams (a chat completion, a job's log) end; the standard's browser
/// behaviour, reconnecting then too, is [`Reconnect::OnCutOrEnd`]. Each
/// reconnection takes a token from the client's retry budget; reconnecting
/// gives up after [`RetryPolicy::attempts`](crate::RetryPolicy::attempts)
/// reconnections in a row with no event between them; a `retry` longer than
/// the policy's longest server delay is [`Error::RetryAfterTooLong`]. A
/// reopening answered `204 No Content` ends the stream, as the standard says.
/// Opening (and each reopening) is one call through the client's pipeline:
/// errors before the stream starts are retried like any call's, a problem
/// answer is [`Error::Problem`], and an answer that is not
/// `text/event-stream` is [`Error::Protocol`] naming what the server sent.
/// The attempt timeout and the deadline bound opening, not the stream's life.
///
/// **Limits.** One event (its data and the line being read) may hold at most
/// [`max_event_bytes`](Self::max_event_bytes) (16 MiB by default); a longer
/// one ends the stream with [`Error::Protocol`].
///
/// Each stream is traced with an `oncely.stream` span (its opening calls
/// inside it) that counts the events and reconnections.
///
/// ```no_run
/// use futures::StreamExt;
///
/// # async fn run(client: oncely::Client) -> Result<(), oncely::Error> {
/// let mut events = client
///     .get("/orders/{id}/events")
///     .path_param("id", "o_1")
///     .send_events()
///     .await?;
/// while let Some(event) = events.next().await {
///     let event = event?;
///     println!("{} {}: {}", event.event, event.id.as_deref().unwrap_or("-"), event.data);
/// }
/// # Ok(()) }
/// ```
#[must_use = "a stream does nothing unless polled"]
pub struct EventStream {
    source: Source,
    parser: EventParser,
    ready: VecDeque<ServerEvent>,
    state: State,
    reconnect: Reconnect,
    /// The answer being read (the last one opened).
    headers: HeaderMap,
    /// Reconnections since the last event received.
    in_a_row: u32,
    reconnects: u64,
    events: u64,
    /// The error that ends the stream once the events before it are read.
    failure: Option<Error>,
    span: tracing::Span,
}

enum State {
    Reading(StreamBody),
    Reopening(Reopening),
    Done,
}

impl std::fmt::Debug for EventStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("request", &self.source.name())
            .field("last_event_id", &self.last_event_id())
            .field("reconnect", &self.reconnect)
            .field("events", &self.events)
            .field("reconnects", &self.reconnects)
            .field(
                "state",
                &match self.state {
                    State::Reading(_) => "reading",
                    State::Reopening(_) => "reopening",
                    State::Done => "done",
                },
            )
            .finish_non_exhaustive()
    }
}

impl EventStream {
    /// Opens the stream: one call through the pipeline, then the media type
    /// checked.
    pub(crate) async fn open(source: Source) -> Result<Self, Error> {
        let span = tracing::info_span!(
            "oncely.stream",
            method = %source.method(),
            path = %source.template(),
            kind = "events",
            events = 0u64,
            reconnects = 0u64,
            last_event_id = field::Empty,
        );
        let resume = source.header("last-event-id").unwrap_or("").to_string();
        let opened = tracing::Instrument::instrument(source.open(), span.clone()).await?;
        let mut stream = EventStream {
            parser: EventParser::new(resume, DEFAULT_MAX_ITEM_BYTES),
            source,
            ready: VecDeque::new(),
            state: State::Done,
            reconnect: Reconnect::default(),
            headers: HeaderMap::new(),
            in_a_row: 0,
            reconnects: 0,
            events: 0,
            failure: None,
            span,
        };
        stream.start(opened)?;
        Ok(stream)
    }

    /// When to reconnect (default: [`Reconnect::OnCut`]).
    pub fn reconnect(mut self, reconnect: Reconnect) -> Self {
        self.reconnect = reconnect;
        self
    }

    /// The most bytes one event may hold (default 16 MiB).
    pub fn max_event_bytes(mut self, limit: usize) -> Self {
        self.parser.set_max_bytes(limit);
        self
    }

    /// The last event id received (`None` before any): sent as
    /// `Last-Event-ID` when the stream reconnects. Keep it to resume after a
    /// crash with [`RequestBuilder::last_event_id`](crate::RequestBuilder::last_event_id).
    pub fn last_event_id(&self) -> Option<&str> {
        Some(self.parser.last_event_id()).filter(|id| !id.is_empty())
    }

    /// The reconnection time the server set with `retry`, if it did.
    pub fn retry(&self) -> Option<Duration> {
        self.parser.retry()
    }

    /// The headers of the answer being read (the latest opening's).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Events received so far.
    pub fn events_received(&self) -> u64 {
        self.events
    }

    /// Reconnections made so far.
    pub fn reconnects(&self) -> u64 {
        self.reconnects
    }

    /// Closes the connection; the stream ends. Dropping it does the same.
    pub fn close(&mut self) {
        self.state = State::Done;
        self.ready.clear();
        self.failure = None;
    }

    /// Starts reading `opened`: a `204` ends the stream, another media type
    /// than `text/event-stream` is an error.
    fn start(&mut self, opened: Opened) -> Result<(), Error> {
        if opened.status == 204 {
            tracing::debug!("the server answered 204: the stream is over");
            self.state = State::Done;
            return Ok(());
        }
        self.source.media_type(&opened, &[EVENT_STREAM])?;
        self.headers = opened.headers.clone();
        self.state = State::Reading(StreamBody::new(opened));
        Ok(())
    }

    /// The connection was cut (`cut`: the error) or ended cleanly (`None`):
    /// reopens it, or says why not. `Ok(false)`: the stream is over.
    fn reopen(&mut self, cut: Option<Error>) -> Result<bool, Error> {
        self.parser.end_of_stream();
        let last = match (cut, self.reconnect) {
            (Some(cut), Reconnect::Never) => return Err(cut),
            (None, Reconnect::Never | Reconnect::OnCut) => return Ok(false),
            (Some(cut), _) => cut,
            (None, Reconnect::OnCutOrEnd) => Error::Protocol {
                what: format!("stream of {}", self.source.name()),
                why: "the server ended the stream".into(),
            },
        };
        let policy = self.source.retry_policy().clone();
        self.in_a_row += 1;
        if self.in_a_row > policy.attempts() {
            return Err(Error::RetryExhausted {
                attempts: self.in_a_row - 1,
                last: Box::new(last),
            });
        }
        let delay = match self.parser.retry() {
            Some(requested) if requested > policy.server_delay_limit() => {
                return Err(Error::RetryAfterTooLong {
                    requested,
                    limit: policy.server_delay_limit(),
                    last: Box::new(last),
                })
            }
            Some(requested) => requested,
            None => policy.backoff(self.in_a_row - 1),
        };
        if !self.source.client().retry_budget().try_withdraw() {
            tracing::warn!("retry budget spent; not reconnecting");
            return Err(Error::RetryExhausted {
                attempts: self.in_a_row - 1,
                last: Box::new(last),
            });
        }
        let last_event_id = self.last_event_id().map(str::to_string);
        tracing::info!(
            reconnect = self.in_a_row,
            delay_ms = delay.as_millis() as u64,
            last_event_id = last_event_id.as_deref(),
            error = %last,
            "event stream cut; reconnecting"
        );
        self.source
            .set_header(LAST_EVENT_ID, last_event_id.as_deref());
        self.reconnects += 1;
        self.span.record("reconnects", self.reconnects);
        let source = self.source.clone();
        self.state = State::Reopening(Box::pin(tracing::Instrument::instrument(
            async move {
                tokio::time::sleep(delay).await;
                source.open().await
            },
            self.span.clone(),
        )));
        Ok(true)
    }
}

impl Stream for EventStream {
    type Item = Result<ServerEvent, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let span = this.span.clone();
        let _entered = span.enter();
        loop {
            if let Some(event) = this.ready.pop_front() {
                this.events += 1;
                this.in_a_row = 0;
                span.record("events", this.events);
                if let Some(id) = &event.id {
                    span.record("last_event_id", id.as_str());
                }
                return Poll::Ready(Some(Ok(event)));
            }
            if let Some(failure) = this.failure.take() {
                return Poll::Ready(Some(Err(failure)));
            }
            let ended = match &mut this.state {
                State::Done => return Poll::Ready(None),
                State::Reading(body) => match body.poll_chunk(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Some(Ok(chunk))) => {
                        if let Err(e) = this.parser.feed(&chunk, &mut this.ready) {
                            // The events completed before the long one are
                            // delivered first; then the error ends the stream.
                            this.state = State::Done;
                            this.failure = Some(this.source.too_long(
                                "an event",
                                e.limit,
                                "EventStream::max_event_bytes",
                            ));
                        }
                        continue;
                    }
                    Poll::Ready(Some(Err(e))) => Some(this.source.cut(e)),
                    Poll::Ready(None) => None,
                },
                State::Reopening(opening) => match opening.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(opened) => {
                        if let Err(e) = opened.and_then(|opened| this.start(opened)) {
                            this.close();
                            return Poll::Ready(Some(Err(e)));
                        }
                        continue;
                    }
                },
            };
            this.state = State::Done;
            match this.reopen(ended) {
                Ok(true) => continue,
                Ok(false) => return Poll::Ready(None),
                Err(e) => {
                    this.close();
                    return Poll::Ready(Some(Err(e)));
                }
            }
        }
    }
}
