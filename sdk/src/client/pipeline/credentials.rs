//! The credentials stage: the headers every attempt of a call carries — the
//! client's default headers and credentials (only to trusted origins), the
//! call's own headers, content type, `Accept`, `User-Agent` and the
//! idempotency key. Built once per call, not per attempt.

use http::{HeaderMap, HeaderValue};

use super::Ctx;

/// The credentials stage and the call's own headers. Credentials and default
/// headers go only to trusted origins.
pub(super) fn request_headers(ctx: &Ctx<'_>) -> HeaderMap {
    let (client, inner, call, key) = (ctx.client, ctx.inner, ctx.call, ctx.key);
    let mut headers = if client.is_trusted(ctx.url) {
        inner.trusted_headers.clone()
    } else {
        tracing::debug!(url = %ctx.url.origin().ascii_serialization(), "untrusted origin: credentials withheld");
        HeaderMap::new()
    };
    // Room for what follows (content type, accept, user agent, key), so the
    // map grows once.
    headers.reserve(call.headers.len() + 4);
    headers.extend(call.headers.clone());
    if let Some(body) = &call.body {
        if !headers.contains_key(http::header::CONTENT_TYPE) {
            if let Ok(v) = HeaderValue::try_from(body.content_type.as_str()) {
                headers.insert(http::header::CONTENT_TYPE, v);
            }
        }
    }
    if !headers.contains_key(http::header::ACCEPT) {
        headers.insert(
            http::header::ACCEPT,
            HeaderValue::from_static("application/json, application/problem+json"),
        );
    }
    if !headers.contains_key(http::header::USER_AGENT) {
        headers.insert(http::header::USER_AGENT, inner.user_agent.clone());
    }
    if let Some(key) = key {
        if let Ok(v) = HeaderValue::try_from(key.value.as_str()) {
            headers.insert(inner.key_header.clone(), v);
        }
    }
    headers
}
