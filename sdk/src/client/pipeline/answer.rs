//! Answer mapping: the final answer of a call becomes its result — a
//! [`Response`] for a 2xx, otherwise the typed [`Error`] for what the server
//! said (a problem document, a precondition failure, an idempotency conflict
//! the server detected, or the raw status and body).

use super::{Ctx, Raw};
use crate::client::Response;
use crate::error::Error;
use crate::problem::{is_problem_content_type, Problem};

/// Maps a final answer to the call's result.
pub(super) fn finish(
    raw: Raw,
    ctx: &Ctx<'_>,
    attempts: u32,
    from_store: bool,
) -> Result<Response, Error> {
    let call = ctx.call;
    if (200..300).contains(&raw.status) {
        Ok(Response {
            status: raw.status,
            headers: raw.headers,
            body: raw.body,
            url: ctx.url.clone(),
            method: call.method.clone(),
            attempts,
            from_store,
            idempotency_key: ctx.key.map(|k| k.value.clone()),
        })
    } else {
        Err(response_error(&raw, ctx))
    }
}

/// The typed error for a non-2xx answer. Nothing the server sent is dropped: a
/// body that is not a valid problem document is kept raw in [`Error::Status`].
pub(super) fn response_error(raw: &Raw, ctx: &Ctx<'_>) -> Error {
    let (call, key) = (ctx.call, ctx.key);
    let problem = raw
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|ct| is_problem_content_type(ct))
        .and_then(|_| match Problem::from_json(&raw.body) {
            Ok(p) => Some(Box::new(p)),
            Err(e) => {
                tracing::warn!(path = %call.template, error = %e, "problem+json body is not a problem document; kept raw");
                None
            }
        });
    if raw.status == 412 {
        return Error::PreconditionFailed {
            problem,
            body: raw.body.clone(),
        };
    }
    if let (422, Some(key), Some(p)) = (raw.status, key, &problem) {
        let text = format!("{} {}", p.problem_type(), p.title.as_deref().unwrap_or(""))
            .to_ascii_lowercase();
        if text.contains("idempotency") {
            return Error::IdempotencyConflict {
                key: key.value.clone(),
                detail: format!("the server refused it: {}", p.summary()),
                problem,
            };
        }
    }
    match problem {
        Some(problem) => Error::Problem {
            status: raw.status,
            problem,
            headers: Box::new(raw.headers.clone()),
        },
        None => Error::Status {
            status: raw.status,
            headers: Box::new(raw.headers.clone()),
            body: raw.body.clone(),
        },
    }
}
