//! [`JsonLines`]: a JSON Lines / NDJSON (or JSON text sequence) answer as a
//! stream of typed items.

use std::collections::VecDeque;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;
use http::HeaderMap;
use serde::de::DeserializeOwned;

use super::lines::{Framing, Item, LineSplitter};
use super::source::{Source, StreamBody};
use super::DEFAULT_MAX_ITEM_BYTES;
use crate::error::Error;

/// Media types read one JSON text per line.
const LINE_TYPES: [&str; 3] = [
    "application/x-ndjson",
    "application/jsonl",
    "application/json-lines",
];

/// The media type of RFC 7464 JSON text sequences.
const SEQUENCE_TYPE: &str = "application/json-seq";

/// The `Accept` header of a call for JSON items.
pub(crate) const ACCEPT: &str =
    "application/x-ndjson, application/jsonl, application/json-lines, application/json-seq";

/// A stream of JSON items, from
/// [`RequestBuilder::send_lines`](crate::RequestBuilder::send_lines):
/// `application/x-ndjson`, `application/jsonl` or `application/json-lines`
/// (one JSON text per line, blank lines skipped), or `application/json-seq`
/// (RFC 7464 records).
///
/// A [`Stream`] of `T`, one per line, read as it is polled (the server is
/// held back meanwhile, nothing is buffered beyond one line). A line that is
/// not a `T` is an [`Error::Decode`] naming its line number, and the stream
/// goes on with the next line. A cut connection ends the stream with
/// [`Error::Transport`] — a line it cut short is never an item; the last
/// line of a body that ends cleanly is an item even without its line feed.
/// A line longer than [`max_line_bytes`](Self::max_line_bytes) (16 MiB by
/// default) ends the stream with [`Error::Protocol`]. Lines cannot be
/// resumed, so a cut stream is not reopened. Dropping the stream, or
/// [`close`](Self::close), closes the connection.
///
/// ```no_run
/// use futures::TryStreamExt;
///
/// #[derive(serde::Deserialize)]
/// struct Order { id: String }
///
/// # async fn run(client: oncely::Client) -> Result<(), oncely::Error> {
/// let mut orders = client.get("/orders/export").send_lines::<Order>().await?;
/// while let Some(order) = orders.try_next().await? {
///     println!("{}", order.id);
/// }
/// # Ok(()) }
/// ```
#[must_use = "a stream does nothing unless polled"]
pub struct JsonLines<T> {
    source: Source,
    body: Option<StreamBody>,
    splitter: LineSplitter,
    ready: VecDeque<Item>,
    headers: HeaderMap,
    /// The error that ends the stream once the items before it are read.
    failure: Option<Error>,
    items: u64,
    span: tracing::Span,
    _item: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for JsonLines<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonLines")
            .field("request", &self.source.name())
            .field("items", &self.items)
            .field("open", &self.body.is_some())
            .finish_non_exhaustive()
    }
}

impl<T> JsonLines<T> {
    /// Opens the stream: one call through the pipeline, then the media type
    /// checked.
    pub(crate) async fn open(source: Source) -> Result<Self, Error> {
        let span = tracing::info_span!(
            "oncely.stream",
            method = %source.method(),
            path = %source.template(),
            kind = "lines",
            events = 0u64,
        );
        let opened = tracing::Instrument::instrument(source.open(), span.clone()).await?;
        let mut accepted: Vec<&'static str> = LINE_TYPES.to_vec();
        accepted.push(SEQUENCE_TYPE);
        let media_type = source.media_type(&opened, &accepted)?;
        let framing = if media_type == SEQUENCE_TYPE {
            Framing::Sequence
        } else {
            Framing::Lines
        };
        Ok(JsonLines {
            headers: opened.headers.clone(),
            body: Some(StreamBody::new(opened)),
            splitter: LineSplitter::new(framing, DEFAULT_MAX_ITEM_BYTES),
            source,
            ready: VecDeque::new(),
            failure: None,
            items: 0,
            span,
            _item: PhantomData,
        })
    }

    /// The most bytes one line may hold (default 16 MiB).
    pub fn max_line_bytes(mut self, limit: usize) -> Self {
        self.splitter.set_max_bytes(limit);
        self
    }

    /// The headers of the answer.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Items handed out so far (bad lines included).
    pub fn items_received(&self) -> u64 {
        self.items
    }

    /// Closes the connection; the stream ends. Dropping it does the same.
    pub fn close(&mut self) {
        self.body = None;
        self.ready.clear();
        self.failure = None;
    }

    /// Decodes one item.
    fn decode(&self, item: Item) -> Result<T, Error>
    where
        T: DeserializeOwned,
    {
        let what = |number: u64| {
            format!(
                "{} {number} of {}",
                self.splitter.framing_item(),
                self.source.name()
            )
        };
        match item {
            Item::Json { number, bytes } => Error::decode_json(|| what(number), &bytes),
            Item::Malformed { number, why } => Err(Error::Decode {
                what: what(number),
                path: ".".into(),
                message: why.into(),
                snippet: String::new(),
            }),
        }
    }
}

impl<T: DeserializeOwned> Stream for JsonLines<T> {
    type Item = Result<T, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let span = this.span.clone();
        let _entered = span.enter();
        loop {
            if let Some(item) = this.ready.pop_front() {
                this.items += 1;
                span.record("events", this.items);
                return Poll::Ready(Some(this.decode(item)));
            }
            if let Some(failure) = this.failure.take() {
                return Poll::Ready(Some(Err(failure)));
            }
            let Some(body) = &mut this.body else {
                return Poll::Ready(None);
            };
            match body.poll_chunk(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => {
                    if let Err(e) = this.splitter.feed(&chunk, &mut this.ready) {
                        this.body = None;
                        let item = format!(
                            "{} {}",
                            this.splitter.framing_item(),
                            this.splitter.position()
                        );
                        this.failure = Some(this.source.too_long(
                            &item,
                            e.limit,
                            "JsonLines::max_line_bytes",
                        ));
                    }
                }
                Poll::Ready(Some(Err(cut))) => {
                    this.body = None;
                    tracing::warn!(
                        at = %format!("{} {}", this.splitter.framing_item(), this.splitter.position()),
                        "stream cut; the item being read is dropped"
                    );
                    this.failure = Some(this.source.cut(cut));
                }
                Poll::Ready(None) => {
                    this.body = None;
                    this.splitter.finish(&mut this.ready);
                }
            }
        }
    }
}
