//! Where a stream comes from: its request, sent through the client's
//! pipeline (and sent again to reconnect), the media type its answer must
//! have, its body read as the reader pulls, and how errors name it.

use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use http::{HeaderName, HeaderValue};
use hyper::body::{Body as _, Incoming};
use url::Url;

use crate::client::{open_stream, Call, Client, Opened};
use crate::error::{Error, TransportKind};

/// A streamed call: what is sent to open (or reopen) the stream.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    client: Client,
    call: Call,
    url: Url,
}

impl Source {
    /// A streamed call, sending `accept` unless the caller chose an `Accept`.
    pub(crate) fn new(client: Client, mut call: Call, url: Url, accept: &'static str) -> Self {
        call.headers
            .entry(http::header::ACCEPT)
            .or_insert(HeaderValue::from_static(accept));
        Source { client, call, url }
    }

    /// The client the stream is read with.
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// The call's retry policy, or the client's.
    pub(crate) fn retry_policy(&self) -> &crate::RetryPolicy {
        self.call
            .retry
            .as_ref()
            .unwrap_or_else(|| self.client.retry_policy())
    }

    /// A request header the call carries, as text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.call.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Sets (`Some`) or removes (`None`) a request header of later openings.
    pub(crate) fn set_header(&mut self, name: HeaderName, value: Option<&str>) {
        match value.and_then(|v| HeaderValue::try_from(v).ok()) {
            Some(value) => {
                self.call.headers.insert(name, value);
            }
            None => {
                self.call.headers.remove(name);
            }
        }
    }

    /// Sends the call through the client's pipeline: retried like any call
    /// until an answer's head arrives; a non-2xx answer is its typed error.
    pub(crate) async fn open(&self) -> Result<Opened, Error> {
        open_stream(&self.client, &self.call, &self.url).await
    }

    /// `METHOD /path/template`, naming the stream in spans and errors.
    pub(crate) fn name(&self) -> String {
        format!("{} {}", self.call.method, self.call.template)
    }

    /// The method, for spans.
    pub(crate) fn method(&self) -> &http::Method {
        &self.call.method
    }

    /// The path template, for spans.
    pub(crate) fn template(&self) -> &str {
        &self.call.template
    }

    /// Checks that `opened` is of one of the `accepted` media types (without
    /// parameters, lowercase) and returns the one it is. Any other answer is
    /// an [`Error::Protocol`] naming what the server sent; its body is not
    /// read.
    pub(crate) fn media_type(
        &self,
        opened: &Opened,
        accepted: &[&'static str],
    ) -> Result<&'static str, Error> {
        let sent = opened
            .headers
            .get(http::header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let essence = sent.as_deref().map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
        if let Some(found) = accepted.iter().find(|a| essence.as_deref() == Some(**a)) {
            return Ok(found);
        }
        let expected = accepted.join(" or ");
        Err(Error::Protocol {
            what: format!("answer to {}", self.name()),
            why: match sent {
                Some(ct) => format!(
                    "expected Content-Type {expected}, the server sent {ct:?} (status {})",
                    opened.status
                ),
                None => format!(
                    "expected Content-Type {expected}, the server sent none (status {})",
                    opened.status
                ),
            },
        })
    }

    /// The error of a stream cut while its body was read.
    pub(crate) fn cut(&self, error: hyper::Error) -> Error {
        Error::Transport {
            method: self.call.method.to_string(),
            url: format!(
                "{}{}",
                self.url.origin().ascii_serialization(),
                self.url.path()
            ),
            kind: TransportKind::Body,
            source: Box::new(error),
        }
    }

    /// The error of an item (`event`, `line 3`) longer than `limit` bytes.
    pub(crate) fn too_long(&self, item: &str, limit: usize, setting: &str) -> Error {
        Error::Protocol {
            what: format!("stream of {}", self.name()),
            why: format!("{item} is longer than the {limit}-byte limit ({setting})"),
        }
    }
}

/// The body of an open stream, read as the reader pulls (the connection's
/// flow control holds the server back meanwhile). Dropping it closes the
/// connection.
#[derive(Debug)]
pub(crate) struct StreamBody {
    incoming: Incoming,
}

impl StreamBody {
    /// The body of `opened`.
    pub(crate) fn new(opened: Opened) -> Self {
        StreamBody {
            incoming: opened.body,
        }
    }

    /// The next bytes of the body; `None` at its clean end.
    pub(crate) fn poll_chunk(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, hyper::Error>>> {
        loop {
            match ready!(Pin::new(&mut self.incoming).poll_frame(cx)) {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) if !data.is_empty() => return Poll::Ready(Some(Ok(data))),
                    _ => continue, // empty data or trailers
                },
                Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                None => return Poll::Ready(None),
            }
        }
    }
}
