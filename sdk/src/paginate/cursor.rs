//! [`PageCursor`]: where a listing continues, as a value and as a token.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The version of the token format [`PageCursor::to_token`] writes.
const TOKEN_VERSION: u32 = 1;

/// How the page a cursor points at is asked for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PagePosition {
    /// The call as it was built (the listing's first page).
    Start,
    /// The call again, with query parameter `param` set to `value` (a token,
    /// the last item's id, a page number, an offset).
    Query {
        /// The query parameter.
        param: String,
        /// Its value.
        value: String,
    },
    /// The absolute URL a page linked to (always on the client's origin).
    Url(String),
}

/// Where a listing continues: the next page's [position](PagePosition), its
/// number, how many items came before it, and how many of its own items were
/// already yielded (when [`max_items`](super::Pages::max_items) stopped in
/// the middle of a page, resuming re-fetches that page and skips them).
///
/// Serialisable ([`to_token`](Self::to_token) /
/// [`from_token`](Self::from_token)), so another process, or the Python and
/// Node bindings, can resume the listing with
/// [`Pages::resume_from`](super::Pages::resume_from).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageCursor {
    /// How the page is asked for.
    position: PagePosition,
    /// Its number, counting the listing's first page as 0.
    page: u64,
    /// Items the pages before it held.
    items_before: u64,
    /// Items of this page already yielded.
    #[serde(default)]
    skip: u64,
}

/// The token's JSON form: the cursor and the format version.
#[derive(Serialize, Deserialize)]
struct Token {
    v: u32,
    #[serde(flatten)]
    cursor: PageCursor,
}

impl PageCursor {
    pub(crate) fn new(position: PagePosition, page: u64, items_before: u64, skip: u64) -> Self {
        PageCursor {
            position,
            page,
            items_before,
            skip,
        }
    }

    /// The first page of a listing: the call as it was built.
    pub fn start() -> Self {
        PageCursor::new(PagePosition::Start, 0, 0, 0)
    }

    /// The same page, with `n` more of its items already yielded: where a
    /// listing continues after a consumer took `n` items of the page this
    /// cursor points at.
    pub fn skipping(&self, n: u64) -> Self {
        PageCursor {
            skip: self.skip.saturating_add(n),
            ..self.clone()
        }
    }

    /// How the page is asked for.
    pub fn position(&self) -> &PagePosition {
        &self.position
    }

    /// The page's number (the listing's first page is 0).
    pub fn page_number(&self) -> u64 {
        self.page
    }

    /// How many items the pages before it held.
    pub fn items_before(&self) -> u64 {
        self.items_before
    }

    /// How many of the page's items were already yielded (skipped on resume).
    pub fn skip(&self) -> u64 {
        self.skip
    }

    /// The cursor as a URL-safe token (base64url of its JSON form), to keep
    /// and hand to [`from_token`](Self::from_token) later.
    pub fn to_token(&self) -> String {
        let token = Token {
            v: TOKEN_VERSION,
            cursor: self.clone(),
        };
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&token).unwrap_or_default())
    }

    /// Reads a token made by [`to_token`](Self::to_token); anything else is
    /// an [`Error::InvalidInput`] saying what is wrong with it.
    pub fn from_token(token: &str) -> Result<Self, Error> {
        let bad = |why: String| Error::invalid("page cursor token", why);
        let bytes = URL_SAFE_NO_PAD
            .decode(token.trim())
            .map_err(|e| bad(format!("not base64url: {e}")))?;
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| bad(format!("not a page cursor: {e}")))?;
        match value.get("v").and_then(serde_json::Value::as_u64) {
            Some(v) if v == u64::from(TOKEN_VERSION) => {}
            Some(v) => {
                return Err(bad(format!(
                    "token version {v} is not supported (expected {TOKEN_VERSION})"
                )))
            }
            None => return Err(bad("not a page cursor: it has no version `v`".into())),
        }
        let token: Token =
            serde_json::from_value(value).map_err(|e| bad(format!("not a page cursor: {e}")))?;
        Ok(token.cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip() {
        for position in [
            PagePosition::Start,
            PagePosition::Query {
                param: "cursor".into(),
                value: "abc/=+".into(),
            },
            PagePosition::Url("http://127.0.0.1:1/orders?page=3".into()),
        ] {
            let cursor = PageCursor::new(position, 2, 10, 3);
            let token = cursor.to_token();
            assert!(token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            assert_eq!(PageCursor::from_token(&token).unwrap(), cursor);
        }
    }

    #[test]
    fn bad_tokens_are_typed_errors() {
        let other_version = URL_SAFE_NO_PAD
            .encode(br#"{"v":9,"position":{"url":"http://x/"},"page":1,"items_before":1}"#);
        let not_a_cursor = URL_SAFE_NO_PAD.encode(br#"{"v":1,"page":"x"}"#);
        for (token, words) in [
            ("%%%", "base64url"),
            (URL_SAFE_NO_PAD.encode(b"[1]").as_str(), "version"),
            (other_version.as_str(), "version 9"),
            (not_a_cursor.as_str(), "not a page cursor"),
        ] {
            let e = PageCursor::from_token(token).unwrap_err();
            assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
            assert!(e.to_string().contains(words), "{words}: {e}");
        }
    }
}
