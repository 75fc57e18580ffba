//! [`WebhookHeaders`]: where a verifier reads a delivery's headers from —
//! an [`http::HeaderMap`], a map or a list of pairs, names compared without
//! regard to case.

use std::collections::{BTreeMap, HashMap};

/// A delivery's headers, looked up by name without regard to case.
pub trait WebhookHeaders {
    /// The first value of header `name` (given in lower case), as bytes.
    fn header(&self, name: &str) -> Option<&[u8]>;
}

impl WebhookHeaders for http::HeaderMap {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.get(name).map(|v| v.as_bytes())
    }
}

fn find<'a, K: AsRef<str> + 'a, V: AsRef<str> + 'a>(
    mut pairs: impl Iterator<Item = (&'a K, &'a V)>,
    name: &str,
) -> Option<&'a [u8]> {
    pairs
        .find(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_ref().as_bytes())
}

impl<K: AsRef<str>, V: AsRef<str>> WebhookHeaders for [(K, V)] {
    fn header(&self, name: &str) -> Option<&[u8]> {
        find(self.iter().map(|(k, v)| (k, v)), name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>> WebhookHeaders for Vec<(K, V)> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.as_slice().header(name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>, S> WebhookHeaders for HashMap<K, V, S> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        find(self.iter(), name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>> WebhookHeaders for BTreeMap<K, V> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        find(self.iter(), name)
    }
}

/// Header `name` as text: [`MissingHeader`](super::WebhookError::MissingHeader)
/// when absent, [`MalformedHeader`](super::WebhookError::MalformedHeader) when
/// not UTF-8 or empty.
pub(super) fn required<'a>(
    headers: &'a (impl WebhookHeaders + ?Sized),
    name: &'static str,
) -> Result<&'a str, super::WebhookError> {
    let raw = headers
        .header(name)
        .ok_or(super::WebhookError::MissingHeader { name })?;
    let text = std::str::from_utf8(raw)
        .map_err(|_| super::WebhookError::MalformedHeader {
            name,
            reason: "not UTF-8".into(),
        })?
        .trim();
    if text.is_empty() {
        return Err(super::WebhookError::MalformedHeader {
            name,
            reason: "empty".into(),
        });
    }
    Ok(text)
}

/// A signed Unix timestamp in seconds, as the schemes write it.
pub(super) fn timestamp(text: &str, name: &'static str) -> Result<i64, super::WebhookError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(super::WebhookError::MalformedHeader {
            name,
            reason: format!("timestamp {:?} is not Unix seconds", shorten(text)),
        });
    }
    text.parse()
        .map_err(|_| super::WebhookError::MalformedHeader {
            name,
            reason: format!("timestamp {:?} is out of range", shorten(text)),
        })
}

/// At most 64 characters of hostile text, for messages.
pub(super) fn shorten(text: &str) -> String {
    text.chars().take(64).collect()
}
