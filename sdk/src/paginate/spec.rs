//! [`PageSpec`]: how a list operation pages, in the JSON form the code
//! generator emits and the bindings pass in.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::Error;

/// How a list operation pages: where its items are and how the next page is
/// asked for. Its JSON form is the one generated clients pass to the Python
/// and Node bindings, and the `x-pagination` extension of an OpenAPI
/// operation:
///
/// ```
/// use oncely::paginate::{PageSpec, PageStyle};
///
/// let spec: PageSpec = serde_json::from_str(r#"{
///     "items": "data", "style": "body_cursor",
///     "next": "meta.next_cursor", "param": "cursor", "has_more": null
/// }"#).unwrap();
/// assert_eq!(spec, PageSpec::new("data", PageStyle::BodyCursor {
///     next: "meta.next_cursor".into(),
///     param: "cursor".into(),
///     has_more: None,
/// }));
/// spec.check().unwrap();
/// ```
///
/// Paths are dotted (`meta.next_cursor`; a number indexes an array, `""` is
/// the body itself). A member the style does not have is refused, so a typo
/// is an error rather than a setting silently ignored.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(try_from = "Map<String, Value>")]
pub struct PageSpec {
    /// Dotted path to the array of items; `""` when the body is the array.
    pub items: String,
    /// How the next page is found.
    #[serde(flatten)]
    pub style: PageStyle,
}

/// How the next page of a listing is found (the `style` member of a
/// [`PageSpec`], in `snake_case`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "style", rename_all = "snake_case", deny_unknown_fields)]
pub enum PageStyle {
    /// A body field holds the next page's token, sent back as query `param`.
    /// An absent, `null` or empty token ends the listing, and so does a
    /// `has_more` field that is `false`.
    BodyCursor {
        /// Dotted path to the next page's token (a string or a number).
        next: String,
        /// The query parameter the token is sent in.
        param: String,
        /// Dotted path to an optional boolean "more pages" field.
        #[serde(default)]
        has_more: Option<String>,
    },
    /// Stripe's style: the `id_field` of the last item is sent as `param`
    /// (`starting_after`) while the `has_more` field is true.
    LastItem {
        /// The query parameter the last item's id is sent in.
        param: String,
        /// Dotted path, within an item, to its id.
        id_field: String,
        /// Dotted path to the boolean "more pages" field.
        has_more: String,
    },
    /// A body field holds the URL of the next page (absolute, or a reference
    /// relative to the page's URL), which is followed.
    NextUrl {
        /// Dotted path to the next page's URL; absent, `null` or empty ends.
        next: String,
    },
    /// The `Link: <…>; rel="next"` response header (RFC 8288; GitHub's
    /// style) is followed; no such link ends the listing.
    LinkHeader,
    /// Page numbers in query `param`, counting from `first`. The listing ends
    /// on an empty page, on a page shorter than the page size (when the call
    /// sets `size_param`), or when the items received reach `total`.
    PageNumber {
        /// The query parameter the page number is sent in.
        param: String,
        /// The number of the first page (usually 1).
        #[serde(default = "one")]
        first: u64,
        /// The query parameter of the page size, when the call sets one.
        #[serde(default)]
        size_param: Option<String>,
        /// Dotted path to the total number of items.
        #[serde(default)]
        total: Option<String>,
    },
    /// Offsets in query `param`, advanced by the items received. Ends like
    /// [`PageStyle::PageNumber`], with `limit_param` as the page size.
    Offset {
        /// The query parameter the offset is sent in.
        param: String,
        /// The query parameter of the page size, when the call sets one.
        #[serde(default)]
        limit_param: Option<String>,
        /// Dotted path to the total number of items.
        #[serde(default)]
        total: Option<String>,
    },
}

fn one() -> u64 {
    1
}

impl PageSpec {
    /// A spec for items at `items` paged in `style`.
    pub fn new(items: impl Into<String>, style: PageStyle) -> Self {
        PageSpec {
            items: items.into(),
            style,
        }
    }

    /// Parses the JSON form and [checks](Self::check) it: what the bindings
    /// call with the spec a generated client passes.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let spec: PageSpec =
            serde_json::from_str(text).map_err(|e| Error::invalid("page spec", e.to_string()))?;
        spec.check()?;
        Ok(spec)
    }

    /// The `style` member's value (`body_cursor`, `last_item`, …).
    pub fn style_name(&self) -> &'static str {
        self.style.name()
    }

    /// Checks what serde cannot: parameters are named and paths are well
    /// formed. The error names the bad member.
    pub fn check(&self) -> Result<(), Error> {
        check_path("items", &self.items, true)?;
        match &self.style {
            PageStyle::BodyCursor {
                next,
                param,
                has_more,
            } => {
                check_path("next", next, false)?;
                check_param("param", param)?;
                if let Some(path) = has_more {
                    check_path("has_more", path, false)?;
                }
            }
            PageStyle::LastItem {
                param,
                id_field,
                has_more,
            } => {
                check_param("param", param)?;
                check_path("id_field", id_field, false)?;
                check_path("has_more", has_more, false)?;
            }
            PageStyle::NextUrl { next } => check_path("next", next, false)?,
            PageStyle::LinkHeader => {}
            PageStyle::PageNumber {
                param,
                size_param,
                total,
                ..
            } => check_counted(param, "size_param", size_param.as_deref(), total.as_deref())?,
            PageStyle::Offset {
                param,
                limit_param,
                total,
            } => check_counted(
                param,
                "limit_param",
                limit_param.as_deref(),
                total.as_deref(),
            )?,
        }
        Ok(())
    }
}

impl PageStyle {
    /// The style's name in the JSON form.
    pub fn name(&self) -> &'static str {
        match self {
            PageStyle::BodyCursor { .. } => "body_cursor",
            PageStyle::LastItem { .. } => "last_item",
            PageStyle::NextUrl { .. } => "next_url",
            PageStyle::LinkHeader => "link_header",
            PageStyle::PageNumber { .. } => "page_number",
            PageStyle::Offset { .. } => "offset",
        }
    }

    /// The query parameter this style sends its position in (`None` for the
    /// styles that follow URLs).
    pub(crate) fn param(&self) -> Option<&str> {
        match self {
            PageStyle::BodyCursor { param, .. }
            | PageStyle::LastItem { param, .. }
            | PageStyle::PageNumber { param, .. }
            | PageStyle::Offset { param, .. } => Some(param),
            PageStyle::NextUrl { .. } | PageStyle::LinkHeader => None,
        }
    }
}

/// The checks of the counting styles (page numbers, offsets).
fn check_counted(
    param: &str,
    size_name: &str,
    size: Option<&str>,
    total: Option<&str>,
) -> Result<(), Error> {
    check_param("param", param)?;
    if let Some(size) = size {
        check_param(size_name, size)?;
        if size == param {
            return Err(bad(
                size_name,
                format!("is the same parameter as `param` ({param:?})"),
            ));
        }
    }
    if let Some(total) = total {
        check_path("total", total, false)?;
    }
    Ok(())
}

fn bad(member: &str, why: impl Into<String>) -> Error {
    Error::invalid(format!("page spec member `{member}`"), why)
}

fn check_param(member: &str, name: &str) -> Result<(), Error> {
    if name.trim().is_empty() {
        return Err(bad(member, "names no query parameter (it is empty)"));
    }
    Ok(())
}

/// A dotted path: `""` (the body itself) only where `root_ok`, and no empty
/// segment (`a..b`, `.a`, `a.`).
fn check_path(member: &str, path: &str, root_ok: bool) -> Result<(), Error> {
    if path.is_empty() {
        return if root_ok {
            Ok(())
        } else {
            Err(bad(member, "is empty (it must name a field)"))
        };
    }
    if path.split('.').any(|segment| segment.trim().is_empty()) {
        return Err(bad(
            member,
            format!("{path:?} has an empty segment (write fields as `a.b`)"),
        ));
    }
    Ok(())
}

impl TryFrom<Map<String, Value>> for PageSpec {
    type Error = String;

    /// Reads the JSON form: `items` (default `""`), `style`, and the style's
    /// own members; anything else is refused by name.
    fn try_from(mut map: Map<String, Value>) -> Result<Self, String> {
        let items = match map.remove("items") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(items)) => items,
            Some(other) => return Err(format!("`items` must be a string, not {other}")),
        };
        let style = PageStyle::deserialize(Value::Object(map)).map_err(|e| e.to_string())?;
        Ok(PageSpec { items, style })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(spec: &PageSpec) {
        let text = serde_json::to_string(spec).unwrap();
        let back: PageSpec = serde_json::from_str(&text).unwrap();
        assert_eq!(&back, spec, "{text}");
        spec.check().unwrap();
    }

    #[test]
    fn every_style_round_trips_through_json() {
        let specs = [
            PageSpec::new(
                "data",
                PageStyle::BodyCursor {
                    next: "meta.next_cursor".into(),
                    param: "cursor".into(),
                    has_more: Some("meta.has_more".into()),
                },
            ),
            PageSpec::new(
                "data",
                PageStyle::LastItem {
                    param: "starting_after".into(),
                    id_field: "id".into(),
                    has_more: "has_more".into(),
                },
            ),
            PageSpec::new(
                "results",
                PageStyle::NextUrl {
                    next: "next".into(),
                },
            ),
            PageSpec::new("", PageStyle::LinkHeader),
            PageSpec::new(
                "data",
                PageStyle::PageNumber {
                    param: "page".into(),
                    first: 0,
                    size_param: Some("per_page".into()),
                    total: Some("meta.total".into()),
                },
            ),
            PageSpec::new(
                "results",
                PageStyle::Offset {
                    param: "offset".into(),
                    limit_param: None,
                    total: None,
                },
            ),
        ];
        for spec in &specs {
            round_trip(spec);
        }
    }

    #[test]
    fn the_documented_json_form_reads_and_writes() {
        let text = json!({"items": "data", "style": "body_cursor", "next": "meta.next_cursor",
            "param": "cursor", "has_more": null});
        let spec: PageSpec = serde_json::from_value(text.clone()).unwrap();
        assert_eq!(serde_json::to_value(&spec).unwrap(), text);
        let link: PageSpec = serde_json::from_value(json!({"style": "link_header"})).unwrap();
        assert_eq!(link, PageSpec::new("", PageStyle::LinkHeader));
        assert_eq!(
            serde_json::to_value(&link).unwrap(),
            json!({"items": "", "style": "link_header"})
        );
        let pages: PageSpec = serde_json::from_value(
            json!({"items": "data", "style": "page_number", "param": "page"}),
        )
        .unwrap();
        assert!(matches!(
            pages.style,
            PageStyle::PageNumber { first: 1, .. }
        ));
    }

    #[test]
    fn unknown_members_and_styles_are_refused_by_name() {
        let e = PageSpec::from_json(
            r#"{"items": "data", "style": "body_cursor", "next": "n", "param": "c", "has_mor": "x"}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("has_mor"), "{e}");
        let e = PageSpec::from_json(r#"{"items": "data", "style": "scroll"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("scroll"), "{e}");
        let e = PageSpec::from_json(r#"{"items": "data", "style": "next_url"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("next"), "{e}");
        let e = PageSpec::from_json(r#"{"items": 3, "style": "link_header"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("items"), "{e}");
    }

    #[test]
    fn check_names_the_bad_member() {
        let cases = [
            (
                PageSpec::new(
                    "data",
                    PageStyle::BodyCursor {
                        next: "".into(),
                        param: "cursor".into(),
                        has_more: None,
                    },
                ),
                "`next`",
            ),
            (
                PageSpec::new(
                    "data..x",
                    PageStyle::NextUrl {
                        next: "next".into(),
                    },
                ),
                "`items`",
            ),
            (
                PageSpec::new(
                    "data",
                    PageStyle::LastItem {
                        param: " ".into(),
                        id_field: "id".into(),
                        has_more: "has_more".into(),
                    },
                ),
                "`param`",
            ),
            (
                PageSpec::new(
                    "data",
                    PageStyle::PageNumber {
                        param: "page".into(),
                        first: 1,
                        size_param: Some("page".into()),
                        total: None,
                    },
                ),
                "`size_param`",
            ),
            (
                PageSpec::new(
                    "data",
                    PageStyle::Offset {
                        param: "offset".into(),
                        limit_param: None,
                        total: Some("meta.".into()),
                    },
                ),
                "`total`",
            ),
        ];
        for (spec, member) in cases {
            let e = spec.check().unwrap_err();
            assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
            assert!(e.to_string().contains(member), "{member}: {e}");
        }
    }
}
