//! The transport stage: one attempt — the request sent, the whole answer read
//! (within the size limit) before the attempt's time limit. A streamed call's
//! successful answer is returned with its body unread.

use std::time::Duration;

use bytes::Bytes;
use http::HeaderMap;
use http_body_util::BodyExt;
use hyper::body::Body as _;
use tokio::time::Instant;

use super::{Ctx, Raw, Read};
use crate::client::redact::is_sensitive_header;
use crate::client::transport::SendError;
use crate::error::{Error, TimeoutKind, TransportKind};
use crate::telemetry::TraceHeaders;

/// The transport stage: one request — the call's headers plus this
/// attempt's trace headers — its whole answer read within `limit`.
pub(super) async fn attempt_once(
    ctx: &Ctx<'_>,
    headers: &HeaderMap,
    trace: Option<TraceHeaders>,
    limit: Duration,
    limit_kind: TimeoutKind,
    started: Instant,
) -> Result<Raw, Error> {
    let (inner, call) = (ctx.inner, ctx.call);
    let url_without_query = || {
        format!(
            "{}{}",
            ctx.url.origin().ascii_serialization(),
            ctx.url.path()
        )
    };
    let limit_bytes = inner.max_response_bytes;
    let too_large = || Error::ResponseTooLarge {
        method: call.method.to_string(),
        url: url_without_query(),
        limit: limit_bytes,
    };
    let transport = |kind: TransportKind, failure: SendError| Error::Transport {
        method: call.method.to_string(),
        url: url_without_query(),
        kind: if failure.is_connect {
            TransportKind::Connect
        } else {
            kind
        },
        source: failure.source,
    };
    let mut headers = headers.clone();
    if let Some(trace) = trace {
        trace.apply(&mut headers);
    }
    let exchange = async {
        let response = inner
            .http
            .send(
                call.method.clone(),
                ctx.url,
                headers,
                call.body.as_ref().map(|b| b.bytes.clone()),
            )
            .await
            .map_err(|e| transport(TransportKind::Request, e))?;
        let (head, mut incoming) = response.into_parts();
        let status = head.status.as_u16();
        let mut headers = head.headers;
        // `Set-Cookie` and friends stay readable but print as `Sensitive` in every
        // `Debug` of a response or an error that carries these headers.
        for (name, value) in headers.iter_mut() {
            if is_sensitive_header(name) {
                value.set_sensitive(true);
            }
        }
        // A stream's body is its reader's to read, as it pulls, within the
        // stream's own limits.
        if ctx.read == Read::Streamed && (200..300).contains(&status) {
            return Ok(Raw {
                status,
                headers,
                body: Bytes::new(),
                stream: Some(incoming),
            });
        }
        if incoming
            .size_hint()
            .exact()
            .is_some_and(|n| n > limit_bytes as u64)
        {
            return Err(too_large());
        }
        // Read frame by frame, so a body longer than the limit is never held
        // whole; the usual single-frame answer is kept without a copy.
        let mut chunks: Vec<Bytes> = Vec::new();
        let mut length = 0usize;
        while let Some(frame) = incoming.frame().await {
            let frame = frame.map_err(|e| {
                transport(
                    TransportKind::Body,
                    SendError {
                        is_connect: false,
                        source: Box::new(e),
                    },
                )
            })?;
            let Ok(chunk) = frame.into_data() else {
                continue; // trailers
            };
            length += chunk.len();
            if length > limit_bytes {
                return Err(too_large());
            }
            chunks.push(chunk);
        }
        let body = match chunks.len() {
            0 => Bytes::new(),
            1 => chunks.swap_remove(0),
            _ => Bytes::from(chunks.concat()),
        };
        Ok(Raw {
            status,
            headers,
            body,
            stream: None,
        })
    };
    match tokio::time::timeout(limit, exchange).await {
        Ok(result) => result,
        Err(_) => Err(Error::Timeout {
            method: call.method.to_string(),
            path: call.template.clone(),
            kind: limit_kind,
            elapsed: started.elapsed(),
        }),
    }
}
