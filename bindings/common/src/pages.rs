//! Listings for the bindings: a page spec from its JSON form (the core's
//! serde, checked once), the listing's options, and [`Listing`], one handle
//! both bindings iterate by page or by item.

use std::collections::VecDeque;
use std::sync::Mutex as StdMutex;

use futures::lock::Mutex;
use oncely::paginate::{PageCursor, PageSpec, Pages};
use oncely::RequestBuilder;
use serde_json::Value;

use crate::naming::{Opt, SpecError};

/// The page spec a generated client passes (the JSON form of
/// [`PageSpec`]), read by the core's serde and checked; a bad one is the
/// core's invalid-input error naming the member.
pub fn page_spec(value: Value) -> Result<PageSpec, oncely::Error> {
    let spec: PageSpec =
        serde_json::from_value(value).map_err(|e| oncely::Error::InvalidInput {
            what: "page spec".into(),
            why: e.to_string(),
        })?;
    spec.check()?;
    Ok(spec)
}

/// The options of a listing besides its call. `None`: no limit, the first
/// page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PagesSpec {
    /// Fetch at most this many pages.
    pub max_pages: Option<u64>,
    /// Yield at most this many items.
    pub max_items: Option<u64>,
    /// Continue from this cursor token (a `cursor` read earlier).
    pub cursor: Option<String>,
}

/// A limit of a listing ([`Opt::MaxPages`], [`Opt::MaxItems`]): a whole
/// number, 0 or more.
pub fn limit(n: f64, option: Opt) -> Result<u64, SpecError> {
    if !n.is_finite() || n < 0.0 || n.fract() != 0.0 || n > u64::MAX as f64 {
        return Err(SpecError::new(
            option,
            format!("it must be a whole number, 0 or more, not {n}"),
        ));
    }
    Ok(n as u64)
}

impl PagesSpec {
    /// The listing of `request` paged as `spec` says; a bad cursor token is
    /// refused here, before anything is sent.
    pub fn open(self, request: RequestBuilder, spec: PageSpec) -> Result<Listing, oncely::Error> {
        let mut pages = request.pages::<Value>(spec);
        if let Some(token) = &self.cursor {
            pages = pages.resume_from(PageCursor::from_token(token)?);
        }
        if let Some(n) = self.max_pages {
            pages = pages.max_pages(n);
        }
        if let Some(n) = self.max_items {
            pages = pages.max_items(n);
        }
        let cursor = self.cursor;
        Ok(Listing {
            inner: Mutex::new(Inner {
                pages,
                buffered: None,
            }),
            cursor: StdMutex::new(cursor),
        })
    }
}

/// One page in neutral form.
#[derive(Debug, Clone, PartialEq)]
pub struct PageView {
    /// The page's items.
    pub items: Vec<Value>,
    /// The page's number; the listing's first page is 0.
    pub number: u64,
    /// The token of where the listing continues after this page; `None`
    /// after the last.
    pub next_cursor: Option<String>,
    /// The HTTP status of the page's answer.
    pub status: u16,
}

/// A listing shared by a binding's page and item iterators. Taking items
/// one by one and pages in turn never loses or repeats one: a page asked
/// for after some of its items were taken is the rest of it, and the
/// [`cursor`](Self::cursor) points at the first item not yet taken.
pub struct Listing {
    inner: Mutex<Inner>,
    /// The latest cursor token, readable without waiting for a fetch.
    cursor: StdMutex<Option<String>>,
}

struct Inner {
    pages: Pages<Value>,
    /// The page items are being taken from: its own cursor, how many were
    /// taken, and the rest.
    buffered: Option<Buffered>,
}

struct Buffered {
    own: PageCursor,
    taken: u64,
    number: u64,
    next_cursor: Option<String>,
    status: u16,
    items: VecDeque<Value>,
}

impl Inner {
    /// Fetches the next page, with the cursor it was fetched from.
    async fn fetch(&mut self) -> Result<Option<(PageCursor, PageView)>, oncely::Error> {
        let own = self
            .pages
            .cursor()
            .cloned()
            .unwrap_or_else(PageCursor::start);
        Ok(self.pages.next_page().await?.map(|page| {
            let view = PageView {
                items: page.items,
                number: page.number,
                next_cursor: page.next.as_ref().map(PageCursor::to_token),
                status: page.status,
            };
            (own, view)
        }))
    }

    /// Where the listing continues now.
    fn cursor(&self) -> Option<String> {
        match &self.buffered {
            Some(b) if !b.items.is_empty() => Some(b.own.skipping(b.taken).to_token()),
            _ => self.pages.cursor().map(PageCursor::to_token),
        }
    }
}

impl Listing {
    /// The next page (the rest of it, when items of it were taken); `None`
    /// after the last page or once a limit is reached.
    pub async fn next_page(&self) -> Result<Option<PageView>, oncely::Error> {
        let mut inner = self.inner.lock().await;
        let page = match inner.buffered.take() {
            Some(b) if !b.items.is_empty() => Some(PageView {
                items: b.items.into(),
                number: b.number,
                next_cursor: b.next_cursor,
                status: b.status,
            }),
            _ => inner.fetch().await?.map(|(_, view)| view),
        };
        self.remember(&inner);
        Ok(page)
    }

    /// The next item, fetching pages as needed (empty ones are passed
    /// over); `None` after the last.
    pub async fn next_item(&self) -> Result<Option<Value>, oncely::Error> {
        let mut inner = self.inner.lock().await;
        let item = loop {
            if let Some(b) = inner.buffered.as_mut() {
                if let Some(item) = b.items.pop_front() {
                    b.taken += 1;
                    break Some(item);
                }
            }
            match inner.fetch().await {
                Ok(Some((own, page))) => {
                    inner.buffered = Some(Buffered {
                        taken: 0,
                        own,
                        number: page.number,
                        next_cursor: page.next_cursor,
                        status: page.status,
                        items: page.items.into(),
                    })
                }
                Ok(None) => break None,
                Err(error) => {
                    self.remember(&inner);
                    return Err(error);
                }
            }
        };
        self.remember(&inner);
        Ok(item)
    }

    /// The token to continue this listing from (`PagesSpec::cursor`), in this
    /// or another process: `None` before the first page and after the last.
    pub fn cursor(&self) -> Option<String> {
        self.cursor.lock().ok().and_then(|c| c.clone())
    }

    fn remember(&self, inner: &Inner) {
        if let Ok(mut cursor) = self.cursor.lock() {
            *cursor = inner.cursor();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_spec_is_read_by_the_cores_serde_and_checked() {
        let spec = page_spec(json!({"items": "data", "style": "body_cursor",
            "next": "next_cursor", "param": "cursor"}))
        .unwrap();
        assert_eq!(spec.style_name(), "body_cursor");
        let e = page_spec(json!({"style": "body_cursor", "next": "", "param": "c"})).unwrap_err();
        assert!(e.to_string().contains("`next`"), "{e}");
        let e = page_spec(json!({"style": "pages"})).unwrap_err();
        assert!(matches!(e, oncely::Error::InvalidInput { .. }), "{e}");
        assert!(e.to_string().contains("page spec"), "{e}");
    }

    #[test]
    fn limits_are_whole_numbers() {
        assert_eq!(limit(3.0, Opt::MaxPages).unwrap(), 3);
        assert_eq!(limit(0.0, Opt::MaxItems).unwrap(), 0);
        for bad in [-1.0, 1.5, f64::NAN] {
            let e = limit(bad, Opt::MaxItems).unwrap_err();
            assert_eq!(e.option, Opt::MaxItems);
        }
        let e = limit(-2.0, Opt::MaxPages)
            .unwrap_err()
            .into_error(crate::Binding::Node);
        assert_eq!(
            e.to_string(),
            "invalid maxPages: it must be a whole number, 0 or more, not -2"
        );
    }

    #[test]
    fn a_bad_cursor_is_refused_before_anything_is_sent() {
        let client = oncely::Client::builder("http://127.0.0.1:1")
            .build()
            .unwrap();
        let spec = page_spec(json!({"style": "link_header"})).unwrap();
        let options = PagesSpec {
            cursor: Some("not a token".into()),
            ..PagesSpec::default()
        };
        let e = options.open(client.get("/x"), spec).err().unwrap();
        assert!(e.to_string().contains("page cursor token"), "{e}");
    }
}
