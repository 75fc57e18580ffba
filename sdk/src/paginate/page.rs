//! One page: its items, and what its answer says about the next page, read
//! the way the listing's [`PageStyle`] says.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::cursor::{PageCursor, PagePosition};
use super::link::find_rel;
use super::spec::PageStyle;
use crate::client::Response;
use crate::error::{snippet, Error};

/// One page of a listing.
#[derive(Clone, Debug)]
pub struct Page<T> {
    /// The page's items (after any skipped on resume or cut by
    /// [`max_items`](super::Pages::max_items)).
    pub items: Vec<T>,
    /// The page's number; the listing's first page is 0.
    pub number: u64,
    /// Where the listing continues after this page's items; `None` after
    /// the last page.
    pub next: Option<PageCursor>,
    /// The HTTP status of the page's answer.
    pub status: u16,
}

/// What a page says about the next one.
#[derive(Debug)]
pub(crate) enum Next {
    /// There is none.
    End,
    /// It is asked for like this (a URL already resolved, not yet checked).
    At(PagePosition),
}

/// What the next position is read from.
pub(crate) struct PageView<'a> {
    /// Names the page in errors: `page 2 of GET /orders`.
    pub what: &'a str,
    /// The page's answer (its URL and headers).
    pub response: &'a Response,
    /// The answer's body.
    pub body: &'a Value,
    /// Every item the page held.
    pub items: &'a [Value],
    /// The value of the style's query parameter this page was asked with.
    pub current: Option<&'a str>,
    /// The page size the call sets (`size_param` / `limit_param`), if any.
    pub size: Option<&'a str>,
    /// Items the pages before this one held.
    pub items_before: u64,
}

impl PageView<'_> {
    fn protocol(&self, why: impl Into<String>) -> Error {
        Error::Protocol {
            what: self.what.to_string(),
            why: why.into(),
        }
    }

    /// A body field that must be a boolean when present.
    fn flag(&self, path: &str) -> Result<Option<bool>, Error> {
        match lookup(self.body, path) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => {
                Err(self.protocol(format!("`{path}` should be a boolean, not {}", kind(other))))
            }
        }
    }

    /// A field that must be a string or a number when present; `""` is none.
    fn text(&self, value: Option<&Value>, path: &str) -> Result<Option<String>, Error> {
        match value {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(self.protocol(format!(
                "`{path}` should be a string or a number, not {}",
                kind(other)
            ))),
        }
    }

    /// A reference resolved against the page's URL.
    fn resolve(&self, reference: &str) -> Result<Next, Error> {
        let url = self.response.url().join(reference).map_err(|e| {
            self.protocol(format!(
                "the next page's URL {reference:?} is not a URL: {e}"
            ))
        })?;
        Ok(Next::At(PagePosition::Url(url.to_string())))
    }

    /// The end rules of the counting styles: an empty page, a short page, the
    /// total reached.
    fn counted_end(&self, total: Option<&str>) -> Result<bool, Error> {
        let received = self.items.len() as u64;
        if received == 0 {
            return Ok(true);
        }
        if let Some(size) = self.size.and_then(|s| s.trim().parse::<u64>().ok()) {
            if received < size {
                return Ok(true);
            }
        }
        if let Some(path) = total {
            match lookup(self.body, path) {
                None | Some(Value::Null) => {}
                Some(Value::Number(n)) if n.as_u64().is_some() => {
                    if self.items_before + received >= n.as_u64().unwrap_or(0) {
                        return Ok(true);
                    }
                }
                Some(other) => {
                    return Err(self.protocol(format!(
                        "`{path}` should be a whole number of items, not {}",
                        kind(other)
                    )))
                }
            }
        }
        Ok(false)
    }

    /// A number the call was asked with (a page number or an offset).
    fn current_number(&self, param: &str, default: u64) -> Result<u64, Error> {
        match self.current {
            None => Ok(default),
            Some(raw) => raw.trim().parse::<u64>().map_err(|_| {
                self.protocol(format!(
                    "query parameter `{param}` is {raw:?}, not a whole number to count on from"
                ))
            }),
        }
    }

    /// Where the page after this one starts, in `style`.
    pub(crate) fn next(&self, style: &PageStyle) -> Result<Next, Error> {
        match style {
            PageStyle::BodyCursor {
                next,
                param,
                has_more,
            } => {
                if let Some(path) = has_more {
                    if self.flag(path)? == Some(false) {
                        return Ok(Next::End);
                    }
                }
                Ok(match self.text(lookup(self.body, next), next)? {
                    None => Next::End,
                    Some(value) => Next::At(PagePosition::Query {
                        param: param.clone(),
                        value,
                    }),
                })
            }
            PageStyle::LastItem {
                param,
                id_field,
                has_more,
            } => {
                match self.flag(has_more)? {
                    Some(true) => {}
                    Some(false) => return Ok(Next::End),
                    None => {
                        return Err(self.protocol(format!(
                            "it has no boolean `{has_more}` to say whether more pages follow"
                        )))
                    }
                }
                let Some(last) = self.items.last() else {
                    return Err(self.protocol(format!(
                        "`{has_more}` is true but the page has no items to continue after"
                    )));
                };
                let index = self.items.len() - 1;
                match self.text(lookup(last, id_field), id_field)? {
                    Some(value) => Ok(Next::At(PagePosition::Query {
                        param: param.clone(),
                        value,
                    })),
                    None => Err(self.protocol(format!(
                        "item {index} has no `{id_field}` to continue after"
                    ))),
                }
            }
            PageStyle::NextUrl { next } => match self.text(lookup(self.body, next), next)? {
                None => Ok(Next::End),
                Some(reference) => self.resolve(&reference),
            },
            PageStyle::LinkHeader => {
                let values = self
                    .response
                    .headers()
                    .get_all(http::header::LINK)
                    .iter()
                    .filter_map(|v| v.to_str().ok());
                match find_rel(values, "next")
                    .map_err(|e| self.protocol(format!("its `Link` header is malformed: {e}")))?
                {
                    None => Ok(Next::End),
                    Some(reference) => self.resolve(&reference),
                }
            }
            PageStyle::PageNumber {
                param,
                first,
                total,
                ..
            } => {
                if self.counted_end(total.as_deref())? {
                    return Ok(Next::End);
                }
                let page = self.current_number(param, *first)?;
                Ok(Next::At(PagePosition::Query {
                    param: param.clone(),
                    value: page.saturating_add(1).to_string(),
                }))
            }
            PageStyle::Offset { param, total, .. } => {
                if self.counted_end(total.as_deref())? {
                    return Ok(Next::End);
                }
                let offset = self.current_number(param, 0)?;
                Ok(Next::At(PagePosition::Query {
                    param: param.clone(),
                    value: offset.saturating_add(self.items.len() as u64).to_string(),
                }))
            }
        }
    }
}

/// The value at a dotted path (`""` is `value` itself; a number indexes an
/// array).
pub(crate) fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return Some(value);
    }
    path.split('.')
        .try_fold(value, |value, segment| match value {
            Value::Object(map) => map.get(segment),
            Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        })
}

/// Takes the array of items at `path` out of `body`.
pub(crate) fn take_items(body: &mut Value, path: &str, what: &str) -> Result<Vec<Value>, Error> {
    let protocol = |why: String| Error::Protocol {
        what: what.to_string(),
        why,
    };
    let shown = if path.is_empty() { "the body" } else { path };
    let found = if path.is_empty() {
        Some(body)
    } else {
        path.split('.')
            .try_fold(body, |value, segment| match value {
                Value::Object(map) => map.get_mut(segment),
                Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
                _ => None,
            })
    };
    match found {
        Some(Value::Array(items)) => Ok(std::mem::take(items)),
        None => Err(protocol(format!("it has no items at `{shown}`"))),
        Some(other) => Err(protocol(format!(
            "the items at `{shown}` should be an array, not {}",
            kind(other)
        ))),
    }
}

/// Decodes item `index` into `T`; the error names the item and the field.
pub(crate) fn decode_item<T: DeserializeOwned>(
    item: Value,
    index: usize,
    what: &str,
) -> Result<T, Error> {
    let text = || snippet(item.to_string().as_bytes());
    let shown = text();
    serde_path_to_error::deserialize(item).map_err(|e| Error::Decode {
        what: format!("item {index} of {what}"),
        path: e.path().to_string(),
        message: e.into_inner().to_string(),
        snippet: shown,
    })
}

/// A JSON value's kind, for messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dotted_paths() {
        let body = json!({"meta": {"next": "x", "list": [1, {"id": 7}]}});
        assert_eq!(lookup(&body, "meta.next"), Some(&json!("x")));
        assert_eq!(lookup(&body, "meta.list.1.id"), Some(&json!(7)));
        assert_eq!(lookup(&body, ""), Some(&body));
        assert_eq!(lookup(&body, "meta.nope"), None);
        assert_eq!(lookup(&body, "meta.next.deeper"), None);
    }

    #[test]
    fn items_must_be_an_array_at_their_path() {
        let mut body = json!({"data": {"a": 1}});
        let e = take_items(&mut body, "data", "page 1 of GET /x").unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("`data`") && text.contains("an object"),
            "{text}"
        );
        assert!(text.contains("page 1 of GET /x"), "{text}");
        let e = take_items(&mut body, "results", "page 0 of GET /x").unwrap_err();
        assert!(e.to_string().contains("no items at `results`"), "{e}");
        let mut array = json!([1, 2]);
        assert_eq!(take_items(&mut array, "", "p").unwrap().len(), 2);
    }

    #[test]
    fn item_errors_name_the_item_and_field() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Order {
            id: String,
        }
        let e = decode_item::<Order>(json!({"id": 5}), 3, "page 2 of GET /orders").unwrap_err();
        match e {
            Error::Decode { what, path, .. } => {
                assert_eq!(what, "item 3 of page 2 of GET /orders");
                assert_eq!(path, "id");
            }
            other => panic!("{other:?}"),
        }
    }
}
