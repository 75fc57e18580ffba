//! Which headers are secrets, and URLs with passwords in them. Their values
//! never reach a log, a span or a `Debug` string.

use http::HeaderName;
use url::Url;

/// True for headers whose values are credentials or session state
/// (`Authorization`, `Proxy-Authorization`, `Cookie`, `Set-Cookie`, and names
/// containing `api-key`, `apikey`, `token`, `secret` or `password`): the one
/// rule for what logs, spans, `Debug` strings and operators' views never show.
///
/// ```
/// use oncely::client::is_sensitive_header;
/// use http::HeaderName;
/// assert!(is_sensitive_header(&HeaderName::from_static("x-api-key")));
/// assert!(!is_sensitive_header(&HeaderName::from_static("content-type")));
/// ```
pub fn is_sensitive_header(name: &HeaderName) -> bool {
    let n = name.as_str();
    match n {
        "authorization" | "proxy-authorization" | "cookie" | "set-cookie" => return true,
        // The headers nearly every answer carries: decided without a search.
        "content-type"
        | "content-length"
        | "date"
        | "server"
        | "connection"
        | "etag"
        | "location"
        | "cache-control"
        | "vary"
        | "transfer-encoding"
        | "keep-alive"
        | "idempotent-replayed"
        | "retry-after"
        | "x-request-id"
        | "request-id" => return false,
        _ => {}
    }
    is_secret_word(n)
}

/// True when a lowercase name (a header's, a query parameter's with `_`
/// read as `-`) contains a word that marks a credential: `api-key`,
/// `apikey`, `token`, `secret`, `password`. Shared by the header rule above
/// and the `url.full` redaction of [`crate::telemetry::attributes`].
pub(crate) fn is_secret_word(n: &str) -> bool {
    n.contains("api-key")
        || n.contains("apikey")
        || n.contains("token")
        || n.contains("secret")
        || n.contains("password")
}

/// A URL for messages: a password in it is replaced by `***`.
pub(super) fn redact_user_info(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        _ => raw.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_recognised() {
        for h in [
            "authorization",
            "cookie",
            "x-api-key",
            "x-auth-token",
            "x-client-secret",
        ] {
            assert!(is_sensitive_header(&HeaderName::from_static(h)), "{h}");
        }
        assert!(!is_sensitive_header(&HeaderName::from_static(
            "idempotency-key"
        )));
        assert!(!is_sensitive_header(&HeaderName::from_static(
            "content-type"
        )));
    }
}
