//! The pages of a list operation as a native class.
//!
//! The core pages (one ordinary call per page; the spec, JSON text from the
//! JS layer, read by its serde); the shared `Listing` keeps page and item
//! iteration in step. Items cross the boundary as JSON text (the JS layer
//! parses it); `lib/pages.js` adds the async iterators.

use std::sync::Arc;

use napi::bindgen_prelude::PromiseRaw;
use napi::Env;
use napi_derive::napi;
use oncely_bindings_common::pages::limit;
use oncely_bindings_common::{page_spec, Binding, Listing, Opt, PageView, PagesSpec};

use crate::cancel::{guard, CancelToken};
use crate::convert::{self, CallArgs};
use crate::errors::to_napi;

/// A listing's own options (besides its call's).
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct PagesOptions {
    /// Fetch at most this many pages.
    pub max_pages: Option<f64>,
    /// Yield at most this many items.
    pub max_items: Option<f64>,
    /// Continue from this cursor token.
    pub cursor: Option<String>,
}

/// One page: its items as JSON text (an array), its number, the cursor after
/// it, its status.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct NativePage {
    /// The items, as the JSON text of an array.
    pub items: String,
    /// The page's number; the listing's first page is 0.
    pub number: f64,
    /// Where the listing continues after this page; absent after the last.
    pub next_cursor: Option<String>,
    /// The HTTP status of the page's answer.
    pub status: u32,
}

impl From<PageView> for NativePage {
    fn from(page: PageView) -> Self {
        NativePage {
            items: serde_json::to_string(&page.items).unwrap_or_else(|_| "[]".into()),
            number: page.number as f64,
            next_cursor: page.next_cursor,
            status: u32::from(page.status),
        }
    }
}

/// The listing behind `client.pages(…)`.
#[napi]
pub struct NativePages {
    listing: Arc<Listing>,
}

/// Opens the listing of `args` paged by `spec_json`; bad input is thrown at once.
pub fn open(
    client: &oncely::Client,
    args: CallArgs,
    spec_json: &str,
    options: Option<PagesOptions>,
) -> napi::Result<NativePages> {
    let value: serde_json::Value = serde_json::from_str(spec_json).map_err(|e| {
        to_napi(&oncely::Error::InvalidInput {
            what: "page spec".into(),
            why: e.to_string(),
        })
    })?;
    let spec = page_spec(value).map_err(|e| to_napi(&e))?;
    let options = options.unwrap_or_default();
    let count = |n: Option<f64>, opt: Opt| {
        n.map(|n| limit(n, opt))
            .transpose()
            .map_err(|e| to_napi(&e.into_error(Binding::Node)))
    };
    let spec_options = PagesSpec {
        max_pages: count(options.max_pages, Opt::MaxPages)?,
        max_items: count(options.max_items, Opt::MaxItems)?,
        cursor: options.cursor,
    };
    let request = convert::prepare(client, args)?;
    let listing = spec_options.open(request, spec).map_err(|e| to_napi(&e))?;
    Ok(NativePages {
        listing: Arc::new(listing),
    })
}

#[napi]
impl NativePages {
    /// The next page (the rest of it, when items of it were taken), or null
    /// after the last.
    #[napi(catch_unwind, ts_return_type = "Promise<NativePage | null>")]
    pub fn next_page<'env>(
        &self,
        env: &'env Env,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Option<NativePage>>> {
        let listing = self.listing.clone();
        let call = async move {
            listing
                .next_page()
                .await
                .map(|page| page.map(NativePage::from))
                .map_err(|e| to_napi(&e))
        };
        env.spawn_future(guard(call, cancel.map(CancelToken::handle)))
    }

    /// The next item as JSON text, or null after the last.
    #[napi(catch_unwind, ts_return_type = "Promise<string | null>")]
    pub fn next_item<'env>(
        &self,
        env: &'env Env,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Option<String>>> {
        let listing = self.listing.clone();
        let call = async move {
            listing
                .next_item()
                .await
                .map(|item| item.map(|v| v.to_string()))
                .map_err(|e| to_napi(&e))
        };
        env.spawn_future(guard(call, cancel.map(CancelToken::handle)))
    }

    /// The cursor token to resume from; absent before the first page and
    /// after the last.
    #[napi(getter, catch_unwind)]
    pub fn cursor(&self) -> Option<String> {
        self.listing.cursor()
    }
}
