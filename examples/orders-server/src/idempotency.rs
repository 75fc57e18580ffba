//! Server-side idempotency keys as the IETF draft "The Idempotency-Key HTTP
//! Header Field" and Stripe describe them.
//!
//! A key is scoped to (method, path, key). The first request with a key
//! reserves it ("in flight"); its response is stored when it finishes and
//! replayed, with `Idempotent-Replayed: true`, to every later request with the
//! same key and the same fingerprint (SHA-256 over method, path and the
//! canonical JSON body). A different fingerprint gets `422`, a request while
//! the first is still running gets `409`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::problem::Problem;

/// Request header carrying the key.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Response header set on replays.
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";

const MAX_KEY_LEN: usize = 255;

/// Response headers that are stored and replayed with the body.
const REPLAYED_HEADERS: [&str; 5] = [
    "content-type",
    "etag",
    "location",
    "retry-after",
    "retry-after-ms",
];

/// Whether an operation takes an `Idempotency-Key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyPolicy {
    /// The header is ignored (safe methods).
    Ignored,
    /// Used when present.
    Optional,
    /// Missing header → `400`.
    Required,
}

/// Reads the key from the headers. Accepts a bare token (Stripe style) or an
/// RFC 8941 sf-string in double quotes (the draft's syntax).
pub(crate) fn parse_key(headers: &HeaderMap) -> Result<Option<String>, Problem> {
    let Some(raw) = headers.get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let text = raw
        .to_str()
        .map_err(|_| Problem::idempotency_key_invalid("the key must be visible ASCII"))?
        .trim();
    let key = match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) => inner,
        None => text,
    };
    if key.is_empty() {
        return Err(Problem::idempotency_key_invalid(
            "the key must not be empty",
        ));
    }
    if key.len() > MAX_KEY_LEN {
        return Err(Problem::idempotency_key_invalid(&format!(
            "the key must be at most {MAX_KEY_LEN} characters"
        )));
    }
    Ok(Some(key.to_owned()))
}

/// SHA-256 over method, path and the canonical form of the body (JSON with
/// sorted keys and no insignificant whitespace; other bodies byte for byte).
pub(crate) fn fingerprint(method: &str, path: &str, body: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update(b"\n");
    hasher.update(path.as_bytes());
    hasher.update(b"\n");
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => {
            let mut canonical = String::new();
            write_canonical(&value, &mut canonical);
            hasher.update(canonical.as_bytes());
        }
        Err(_) => hasher.update(body),
    }
    hasher.finalize().into()
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (index, (key, value)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// A response kept for replay.
#[derive(Debug, Clone)]
pub(crate) struct StoredResponse {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
}

impl StoredResponse {
    /// Keeps the status, body and the replayable headers of a response.
    pub(crate) fn capture(status: StatusCode, headers: &HeaderMap, body: Bytes) -> Self {
        let headers = REPLAYED_HEADERS
            .iter()
            .flat_map(|name| {
                headers
                    .get_all(*name)
                    .iter()
                    .map(|value| (HeaderName::from_static(name), value.clone()))
            })
            .collect();
        StoredResponse {
            status,
            headers,
            body,
        }
    }

    /// The stored response with `Idempotent-Replayed: true`.
    pub(crate) fn replay(&self) -> Response {
        let mut response = Response::new(Body::from(self.body.clone()));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        for (name, value) in &self.headers {
            headers.append(name.clone(), value.clone());
        }
        headers.insert(
            HeaderName::from_static(IDEMPOTENT_REPLAYED),
            HeaderValue::from_static("true"),
        );
        response
    }
}

/// Where a key lives: keys are scoped per method and path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Scope {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) key: String,
}

#[derive(Debug)]
enum Slot {
    InFlight {
        fingerprint: [u8; 32],
        token: u64,
    },
    Done {
        fingerprint: [u8; 32],
        response: StoredResponse,
        expires: Instant,
    },
}

/// What to do with a keyed request.
#[derive(Debug)]
pub(crate) enum Begin {
    /// First use: process it, then [`IdempotencyStore::complete`] or
    /// [`IdempotencyStore::abandon`] with this token.
    Proceed(u64),
    /// Already answered: send this.
    Replay(StoredResponse),
    /// The first request with this key is still running (`409`).
    InFlight,
    /// The key was used for a different request (`422`).
    Mismatch,
}

/// All keys and their state.
#[derive(Debug, Default)]
pub(crate) struct IdempotencyStore {
    slots: HashMap<Scope, Slot>,
    next_token: u64,
}

impl IdempotencyStore {
    pub(crate) fn begin(&mut self, scope: &Scope, fingerprint: [u8; 32], now: Instant) -> Begin {
        match self.slots.get(scope) {
            Some(Slot::Done { expires, .. }) if *expires <= now => {}
            Some(Slot::Done {
                fingerprint: stored,
                response,
                ..
            }) => {
                return if *stored == fingerprint {
                    Begin::Replay(response.clone())
                } else {
                    Begin::Mismatch
                };
            }
            Some(Slot::InFlight {
                fingerprint: stored,
                ..
            }) => {
                return if *stored == fingerprint {
                    Begin::InFlight
                } else {
                    Begin::Mismatch
                };
            }
            None => {}
        }
        self.next_token += 1;
        let token = self.next_token;
        self.slots
            .insert(scope.clone(), Slot::InFlight { fingerprint, token });
        Begin::Proceed(token)
    }

    /// Stores the final response of the request holding `token`.
    pub(crate) fn complete(
        &mut self,
        scope: &Scope,
        token: u64,
        response: StoredResponse,
        expires: Instant,
    ) {
        if let Some(slot) = self.slots.get_mut(scope) {
            if let Slot::InFlight {
                fingerprint,
                token: held,
            } = slot
            {
                if *held == token {
                    *slot = Slot::Done {
                        fingerprint: *fingerprint,
                        response,
                        expires,
                    };
                }
            }
        }
    }

    /// Frees the key: the request holding `token` ended without an outcome
    /// worth keeping (validation error, client went away), so the key may be
    /// used again.
    pub(crate) fn abandon(&mut self, scope: &Scope, token: u64) {
        if matches!(self.slots.get(scope), Some(Slot::InFlight { token: held, .. }) if *held == token)
        {
            self.slots.remove(scope);
        }
    }

    pub(crate) fn clear(&mut self) {
        self.slots.clear();
    }
}

/// Time a completed response stays replayable, as an `Instant`.
pub(crate) fn expiry(now: Instant, ttl: Duration) -> Instant {
    now.checked_add(ttl)
        .unwrap_or_else(|| now + Duration::from_secs(365 * 24 * 3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope {
            method: "POST".into(),
            path: "/orders".into(),
            key: "k".into(),
        }
    }

    #[test]
    fn fingerprint_ignores_key_order_and_whitespace() {
        let a = fingerprint("POST", "/orders", br#"{"a":1,"b":{"y":[1,2],"x":"s"}}"#);
        let b = fingerprint(
            "POST",
            "/orders",
            b"{ \"b\": {\"x\": \"s\", \"y\": [1, 2]}, \"a\": 1 }",
        );
        assert_eq!(a, b);
        assert_ne!(a, fingerprint("POST", "/orders", br#"{"a":2}"#));
        assert_ne!(
            a,
            fingerprint("POST", "/other", br#"{"a":1,"b":{"y":[1,2],"x":"s"}}"#)
        );
    }

    #[test]
    fn lifecycle() {
        let mut store = IdempotencyStore::default();
        let now = Instant::now();
        let fp = [1; 32];
        let Begin::Proceed(token) = store.begin(&scope(), fp, now) else {
            panic!("first use must proceed")
        };
        assert!(matches!(store.begin(&scope(), fp, now), Begin::InFlight));
        assert!(matches!(
            store.begin(&scope(), [2; 32], now),
            Begin::Mismatch
        ));
        let stored = StoredResponse::capture(StatusCode::CREATED, &HeaderMap::new(), Bytes::new());
        store.complete(
            &scope(),
            token,
            stored,
            expiry(now, Duration::from_secs(60)),
        );
        assert!(matches!(store.begin(&scope(), fp, now), Begin::Replay(_)));
        assert!(matches!(
            store.begin(&scope(), [2; 32], now),
            Begin::Mismatch
        ));
        let later = now + Duration::from_secs(61);
        assert!(matches!(
            store.begin(&scope(), [2; 32], later),
            Begin::Proceed(_)
        ));
    }

    #[test]
    fn abandon_frees_the_key_only_for_its_holder() {
        let mut store = IdempotencyStore::default();
        let now = Instant::now();
        let Begin::Proceed(token) = store.begin(&scope(), [1; 32], now) else {
            panic!()
        };
        store.abandon(&scope(), token + 1);
        assert!(matches!(
            store.begin(&scope(), [1; 32], now),
            Begin::InFlight
        ));
        store.abandon(&scope(), token);
        assert!(matches!(
            store.begin(&scope(), [1; 32], now),
            Begin::Proceed(_)
        ));
    }

    #[test]
    fn parses_bare_and_quoted_keys() {
        let mut headers = HeaderMap::new();
        assert_eq!(parse_key(&headers).unwrap(), None);
        headers.insert(IDEMPOTENCY_KEY, HeaderValue::from_static("\"abc\""));
        assert_eq!(parse_key(&headers).unwrap().as_deref(), Some("abc"));
        headers.insert(IDEMPOTENCY_KEY, HeaderValue::from_static("abc"));
        assert_eq!(parse_key(&headers).unwrap().as_deref(), Some("abc"));
        headers.insert(IDEMPOTENCY_KEY, HeaderValue::from_static("\"\""));
        assert!(parse_key(&headers).is_err());
    }
}
