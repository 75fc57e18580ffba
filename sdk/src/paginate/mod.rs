//! Auto-pagination: a list operation's pages, one ordinary oncely call each.
//!
//! A [`PageSpec`] says where a page's items are and how the next page is
//! asked for, in one of six [`PageStyle`]s: a body cursor sent back as a
//! query parameter, Stripe's last-item id with `has_more`, a next-page URL in
//! the body, the `Link` header (RFC 8288, [`parse_link_header`]), page
//! numbers and offsets. [`RequestBuilder::pages`](crate::RequestBuilder::pages)
//! turns a call into [`Pages`]: page by page ([`Pages::next_page`]), as a
//! stream of pages or of items, bounded by [`Pages::max_pages`] and
//! [`Pages::max_items`], and resumable from a [`PageCursor`] (also as a
//! token, for another process).
//!
//! - `spec` — [`PageSpec`] and [`PageStyle`], their JSON form and checks;
//! - `cursor` — [`PageCursor`], a position in a listing, and its token;
//! - `link` — the `Link` header parser;
//! - `page` — [`Page`], and what one page's answer says about the next;
//! - `pager` — [`Pages`], the listing itself.
//!
//! The code generator emits a `PageSpec` per list operation (from the
//! `x-pagination` extension or by detection; `openapi/PAGINATION.md`), and
//! generated Python and TypeScript clients pass its JSON form to the
//! bindings, so every language pages with this one implementation.

mod cursor;
mod link;
mod page;
mod pager;
mod spec;

pub use cursor::{PageCursor, PagePosition};
pub use link::{parse_link_header, Link};
pub use page::Page;
pub use pager::Pages;
pub use spec::{PageSpec, PageStyle};
