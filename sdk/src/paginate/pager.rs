//! [`Pages`]: a listing fetched one page at a time, each page an ordinary
//! oncely call.

use std::marker::PhantomData;

use futures::Stream;
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use super::cursor::{PageCursor, PagePosition};
use super::page::{decode_item, take_items, Next, Page, PageView};
use super::spec::{PageSpec, PageStyle};
use crate::client::RequestBuilder;
use crate::error::Error;

/// The pages of a list operation, fetched on demand: made by
/// [`RequestBuilder::pages`].
///
/// Each page is one ordinary call of the request it was made from (retries,
/// retry budget, circuit breaker, problem errors; a `GET` goes without an
/// idempotency key), with the page's position put in: the query parameter of
/// the [`PageStyle`] replaces any value the call set, and a followed URL
/// (next links, `Link` headers) is used as given. A followed URL must be on
/// the client's base URL's origin: another origin is an [`Error::Protocol`]
/// and is never requested, so credentials cannot leak to it.
///
/// A page that repeats the position it was asked with (a server that would
/// loop forever), or links to another origin, is returned; the call after it
/// is the error. A page whose items are missing, not an array or not a `T`
/// is an error itself; so is a failed call, after which `next_page` asks for
/// the same page again.
///
/// ```no_run
/// use futures::TryStreamExt;
/// use oncely::paginate::{PageSpec, PageStyle};
///
/// # async fn run(client: oncely::Client) -> Result<(), oncely::Error> {
/// let spec = PageSpec::new("data", PageStyle::LastItem {
///     param: "starting_after".into(), id_field: "id".into(), has_more: "has_more".into(),
/// });
/// let mut pages = client.get("/orders").query("limit", 50).pages::<serde_json::Value>(spec);
/// while let Some(page) = pages.next_page().await? {
///     println!("page {}: {} orders", page.number, page.items.len());
/// }
/// // or, item by item, at most 120 of them:
/// # let spec = PageSpec::new("", PageStyle::LinkHeader);
/// let ids: Vec<serde_json::Value> = client.get("/orders").pages(spec).max_items(120).into_items().try_collect().await?;
/// # Ok(()) }
/// ```
#[must_use = "pages are fetched only when asked for"]
pub struct Pages<T> {
    /// The call every page re-issues; `None` when it could not be built.
    request: Option<RequestBuilder>,
    spec: PageSpec,
    state: State,
    max_pages: Option<u64>,
    max_items: Option<u64>,
    /// Pages fetched by this value.
    pages: u64,
    /// Items yielded by this value.
    items: u64,
    _items: PhantomData<fn() -> T>,
}

/// Where the listing stands.
#[derive(Debug)]
enum State {
    /// No page fetched yet: the first is the call as built.
    Start,
    /// The next page starts here.
    At(PageCursor),
    /// The last page was fetched.
    End,
    /// The call or the spec cannot work; reported once.
    Failed(Option<Error>),
    /// The last page's answer cannot be continued from (it repeats its own
    /// position, or links to another origin); reported by every call.
    Stuck { what: String, why: String },
}

impl<T> std::fmt::Debug for Pages<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages")
            .field("request", &self.request)
            .field("spec", &self.spec)
            .field("state", &self.state)
            .field("max_pages", &self.max_pages)
            .field("max_items", &self.max_items)
            .field("pages", &self.pages)
            .field("items", &self.items)
            .finish()
    }
}

impl<T: DeserializeOwned> Pages<T> {
    /// The pages of `request`, paged as `spec` says. A mistake in either is
    /// the first page's error.
    pub(crate) fn new(request: RequestBuilder, spec: PageSpec) -> Self {
        let (request, state) = match setup(request, &spec) {
            Ok(request) => (Some(request), State::Start),
            Err(error) => (None, State::Failed(Some(error))),
        };
        Pages {
            request,
            spec,
            state,
            max_pages: None,
            max_items: None,
            pages: 0,
            items: 0,
            _items: PhantomData,
        }
    }

    /// Continues a listing at `cursor` (from [`cursor`](Self::cursor),
    /// [`Page::next`] or [`PageCursor::from_token`]) instead of its first
    /// page. A cursor of another kind of listing (another query parameter, a
    /// URL where the style sends parameters) is the next page's error.
    pub fn resume_from(mut self, cursor: PageCursor) -> Self {
        if matches!(self.state, State::Failed(_)) {
            return self;
        }
        self.state = match check_cursor(&self.spec, &cursor) {
            Ok(()) => State::At(cursor),
            Err(error) => State::Failed(Some(error)),
        };
        self
    }

    /// Fetches at most `n` pages (from here, counting those already fetched).
    pub fn max_pages(mut self, n: u64) -> Self {
        self.max_pages = Some(n);
        self
    }

    /// Yields at most `n` items; the page that reaches the limit is cut, and
    /// the [`cursor`](Self::cursor) then points at the rest of it.
    pub fn max_items(mut self, n: u64) -> Self {
        self.max_items = Some(n);
        self
    }

    /// Where the next page starts: `None` before the first page and after the
    /// last. After [`max_pages`](Self::max_pages) or
    /// [`max_items`](Self::max_items) stopped the listing, it is where a
    /// [`resume_from`](Self::resume_from) continues.
    pub fn cursor(&self) -> Option<&PageCursor> {
        match &self.state {
            State::At(cursor) => Some(cursor),
            _ => None,
        }
    }

    /// The spec the listing pages by.
    pub fn spec(&self) -> &PageSpec {
        &self.spec
    }

    /// Fetches the next page; `None` after the last page, or once a limit is
    /// reached (without a request).
    pub async fn next_page(&mut self) -> Result<Option<Page<T>>, Error> {
        let cursor = match &mut self.state {
            State::End => return Ok(None),
            State::Failed(error) => {
                let error = error.take();
                self.state = State::End;
                return error.map_or(Ok(None), Err);
            }
            State::Stuck { what, why } => {
                return Err(Error::Protocol {
                    what: what.clone(),
                    why: why.clone(),
                })
            }
            State::Start => PageCursor::start(),
            State::At(cursor) => cursor.clone(),
        };
        let reached = |limit: Option<u64>, count: u64| limit.is_some_and(|n| count >= n);
        if reached(self.max_pages, self.pages) || reached(self.max_items, self.items) {
            return Ok(None);
        }
        let Some(base) = &self.request else {
            return Ok(None);
        };
        let what = format!("page {} of {}", cursor.page_number(), base.label());
        let param = self.spec.style.param();
        let (request, current) = match cursor.position() {
            PagePosition::Start => (
                base.duplicate(),
                param.and_then(|p| base.query_value(p)).map(str::to_string),
            ),
            PagePosition::Query { param, value } => (
                base.duplicate().replace_query(param, value),
                Some(value.clone()),
            ),
            PagePosition::Url(url) => {
                let url = self.on_origin(&what, url)?;
                (base.duplicate().follow_url(url), None)
            }
        };
        let response = request.send().await?;
        let mut body: Value = response.json()?;
        let size_param = match &self.spec.style {
            PageStyle::PageNumber { size_param, .. } => size_param.as_deref(),
            PageStyle::Offset { limit_param, .. } => limit_param.as_deref(),
            _ => None,
        };
        let raw = take_items(&mut body, &self.spec.items, &what)?;
        let view = PageView {
            what: &what,
            response: &response,
            body: &body,
            items: &raw,
            current: current.as_deref(),
            size: size_param.and_then(|p| base.query_value(p)),
            items_before: cursor.items_before(),
        };
        let next = view.next(&self.spec.style)?;
        let next = match next {
            Next::End => Ok(None),
            Next::At(position) => self.continuable(&what, &response, current.as_deref(), position),
        };

        let received = raw.len() as u64;
        let remaining = self.max_items.map(|n| n.saturating_sub(self.items));
        let skip = usize::try_from(cursor.skip()).unwrap_or(usize::MAX);
        let mut items = Vec::with_capacity(raw.len().saturating_sub(skip));
        let mut cut = false;
        for (index, item) in raw.into_iter().enumerate().skip(skip) {
            if remaining.is_some_and(|r| items.len() as u64 >= r) {
                cut = true;
                break;
            }
            items.push(decode_item(item, index, &what)?);
        }

        let page_number = cursor.page_number();
        let taken = items.len() as u64;
        self.pages += 1;
        self.items += taken;
        let after = if cut {
            // The rest of this page is where the listing continues.
            let rest = PageCursor::new(
                cursor.position().clone(),
                page_number,
                cursor.items_before(),
                cursor.skip() + taken,
            );
            self.state = State::At(rest.clone());
            Some(rest)
        } else {
            match next {
                Ok(Some(position)) => {
                    let next = PageCursor::new(
                        position,
                        page_number + 1,
                        cursor.items_before() + received,
                        0,
                    );
                    self.state = State::At(next.clone());
                    Some(next)
                }
                Ok(None) => {
                    self.state = State::End;
                    None
                }
                Err((what, why)) => {
                    self.state = State::Stuck { what, why };
                    None
                }
            }
        };
        Ok(Some(Page {
            items,
            number: page_number,
            next: after,
            status: response.status(),
        }))
    }

    /// The pages as a stream; it ends after the last page or after the first
    /// error.
    pub fn into_stream(self) -> impl Stream<Item = Result<Page<T>, Error>> {
        futures::stream::unfold(Some(self), |pages| async move {
            let mut pages = pages?;
            match pages.next_page().await {
                Ok(Some(page)) => Some((Ok(page), Some(pages))),
                Ok(None) => None,
                Err(error) => Some((Err(error), None)),
            }
        })
    }

    /// The items of every page, in order, as a stream; it ends after the
    /// last item or after the first error.
    pub fn into_items(self) -> impl Stream<Item = Result<T, Error>> {
        use futures::StreamExt;
        self.into_stream().flat_map(|page| {
            futures::stream::iter(match page {
                Ok(page) => page.items.into_iter().map(Ok).collect::<Vec<_>>(),
                Err(error) => vec![Err(error)],
            })
        })
    }

    /// The next position, unless it repeats the page's own (a loop) or leaves
    /// the client's origin: then why not, to report on the next call.
    fn continuable(
        &self,
        what: &str,
        response: &crate::Response,
        current: Option<&str>,
        position: PagePosition,
    ) -> Result<Option<PagePosition>, (String, String)> {
        let repeated = match &position {
            PagePosition::Query { param, value } => {
                current
                    == Some(value.as_str())
                        .filter(|_| self.spec.style.param() == Some(param.as_str()))
            }
            PagePosition::Url(url) => url == response.url().as_str(),
            PagePosition::Start => false,
        };
        if repeated {
            return Err((
                what.to_string(),
                "it points at itself as the next page (the same cursor twice in a row); \
                 the listing would never end"
                    .to_string(),
            ));
        }
        if let PagePosition::Url(url) = &position {
            if let Err(Error::Protocol { what, why }) = self.on_origin(what, url) {
                return Err((what, why));
            }
        }
        Ok(Some(position))
    }

    /// `url`, if it is on the client's base URL's origin.
    fn on_origin(&self, what: &str, url: &str) -> Result<Url, Error> {
        let protocol = |why: String| Error::Protocol {
            what: what.to_string(),
            why,
        };
        let Some(base) = &self.request else {
            return Err(protocol("the listing has no call".into()));
        };
        let parsed =
            Url::parse(url).map_err(|e| protocol(format!("next page URL is not a URL: {e}")))?;
        let client = base.client();
        if !client.is_base_origin(&parsed) {
            return Err(protocol(format!(
                "the next page is on {}, another origin than the client's {}; it is not followed",
                parsed.origin().ascii_serialization(),
                client.base_url().origin().ascii_serialization(),
            )));
        }
        Ok(parsed)
    }
}

/// The call, if it can be paged: built without mistakes, with a valid spec,
/// and without one idempotency key for every page.
fn setup(request: RequestBuilder, spec: &PageSpec) -> Result<RequestBuilder, Error> {
    let request = request.checked()?;
    spec.check()?;
    if request.has_fixed_key() {
        return Err(Error::invalid(
            format!("paged call {}", request.label()),
            "it names an intent id or an idempotency key, but every page is a request of its own",
        ));
    }
    Ok(request)
}

/// A cursor of a listing paged like `spec`.
fn check_cursor(spec: &PageSpec, cursor: &PageCursor) -> Result<(), Error> {
    let bad = |why: String| Error::invalid("page cursor", why);
    match (cursor.position(), spec.style.param()) {
        (PagePosition::Start, _) => Ok(()),
        (PagePosition::Query { param, .. }, Some(expected)) if param == expected => Ok(()),
        (PagePosition::Query { param, .. }, Some(expected)) => Err(bad(format!(
            "it sets query parameter `{param}`, but this listing pages by `{expected}`"
        ))),
        (PagePosition::Query { param, .. }, None) => Err(bad(format!(
            "it sets query parameter `{param}`, but this listing ({}) follows URLs",
            spec.style.name()
        ))),
        (PagePosition::Url(_), Some(expected)) => Err(bad(format!(
            "it is a URL, but this listing pages by query parameter `{expected}`"
        ))),
        (PagePosition::Url(_), None) => Ok(()),
    }
}
