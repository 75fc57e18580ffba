use std::time::{Duration, SystemTime};

use http::HeaderMap;

/// What a response said about retrying it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServerHint {
    /// The wait the server asked for (`retry-after-ms` wins over `Retry-After`).
    pub delay: Option<Duration>,
    /// The server's explicit verdict from `x-should-retry`, if present.
    pub should_retry: Option<bool>,
}

/// Reads `retry-after-ms` and `Retry-After` (delta-seconds or an HTTP date,
/// RFC 9110 §10.2.3). A date in the past means "now". Unparseable values are
/// ignored rather than guessed at.
///
/// ```
/// let mut headers = http::HeaderMap::new();
/// headers.insert("retry-after", "3".parse().unwrap());
/// assert_eq!(oncely::retry::server_delay(&headers), Some(std::time::Duration::from_secs(3)));
/// ```
pub fn server_delay(headers: &HeaderMap) -> Option<Duration> {
    server_delay_at(headers, SystemTime::now())
}

fn server_delay_at(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = text("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        if let Some(delay) = seconds(ms / 1000.0) {
            return Some(delay);
        }
    }
    let value = text("retry-after")?;
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Some(delay) = value.parse::<f64>().ok().and_then(seconds) {
        return Some(delay);
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A non-negative number of seconds as a `Duration`; values too large for one
/// (a hostile `retry-after-ms: 1e300`) saturate instead of panicking.
fn seconds(secs: f64) -> Option<Duration> {
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    Some(Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX))
}

/// Reads `x-should-retry: true|false`.
pub fn should_retry_header(headers: &HeaderMap) -> Option<bool> {
    match headers.get("x-should-retry")?.to_str().ok()?.trim() {
        v if v.eq_ignore_ascii_case("true") => Some(true),
        v if v.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

impl ServerHint {
    /// Reads both hints from response headers.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        ServerHint {
            delay: server_delay(headers),
            should_retry: should_retry_header(headers),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn seconds_and_milliseconds() {
        assert_eq!(
            server_delay(&headers(&[("retry-after", "2")])),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            server_delay(&headers(&[("retry-after", "2"), ("retry-after-ms", "150")])),
            Some(Duration::from_millis(150))
        );
        assert_eq!(server_delay(&headers(&[("retry-after", "soon")])), None);
        assert_eq!(server_delay(&headers(&[("retry-after-ms", "-5")])), None);
        assert_eq!(server_delay(&HeaderMap::new()), None);
    }

    #[test]
    fn http_date() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        let h = headers(&[("retry-after", "Sun, 06 Nov 1994 08:49:47 GMT")]);
        assert_eq!(server_delay_at(&h, now), Some(Duration::from_secs(10)));
        let past = headers(&[("retry-after", "Sun, 06 Nov 1994 08:00:00 GMT")]);
        assert_eq!(server_delay_at(&past, now), Some(Duration::ZERO));
    }

    #[test]
    fn absurd_delays_are_huge_not_a_panic() {
        // A hostile or broken server must not crash the client: values too large
        // for a `Duration` saturate (and then exceed every configured limit).
        for (name, value) in [
            ("retry-after-ms", "1e300"),
            ("retry-after", "1e30"),
            ("retry-after", "18446744073709551616"),
        ] {
            let delay = server_delay(&headers(&[(name, value)])).unwrap();
            assert!(
                delay > Duration::from_secs(365 * 24 * 3600),
                "{name}: {value}"
            );
        }
    }

    #[test]
    fn should_retry() {
        assert_eq!(
            should_retry_header(&headers(&[("x-should-retry", "false")])),
            Some(false)
        );
        assert_eq!(
            should_retry_header(&headers(&[("x-should-retry", "TRUE")])),
            Some(true)
        );
        assert_eq!(
            should_retry_header(&headers(&[("x-should-retry", "maybe")])),
            None
        );
    }
}
