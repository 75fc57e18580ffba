//! List operations that page: where the items are, how the next page is
//! asked for, and which rule said so.
//!
//! An explicit extension wins over detection: `x-pagination` (oncely's own,
//! the core's `PageSpec` JSON form; `false` turns detection off),
//! `x-ms-pageable` (Azure AutoRest), `x-speakeasy-pagination` and
//! `x-fern-pagination`. Without one, a `GET` whose success body holds a list
//! is paginated by the first rule that matches:
//!
//! 1. `has_more` in the body with a `starting_after` query parameter: the
//!    last item's `id` is the cursor (Stripe).
//! 2. A `Link` response header: its `rel="next"` URL (GitHub, RFC 8288).
//! 3. A next-page token in the body paired with a query parameter of the
//!    same meaning (`nextPageToken` ↔ `pageToken`, `NextToken` ↔ `NextToken`,
//!    `next_cursor` ↔ `cursor`, `pageInfo.endCursor` ↔ `after`, …), with a
//!    `has_more`-like boolean beside it when there is one.
//! 4. A next-page URL in the body (`nextLink`, `next`, `links.next`,
//!    `_links.next.href`, `@odata.nextLink`, …).
//! 5. A page-number query parameter (`page`, `pageNumber`, `page[number]`),
//!    with the page size parameter and a total field when declared.
//! 6. An integer offset query parameter (`offset`, `skip`, `$skip`,
//!    `startIndex`), likewise.
//!
//! An operation with a page-like query parameter or a next-page field that
//! matches none of them is reported (`Operation::pagination_miss`) with what
//! was missing, so `oncely check` shows it instead of guessing.

use serde_json::{Map, Value};

use super::Lowerer;
use crate::error::{DiagnosticKind, Severity};
use crate::ir::{
    Method, Operation, PageStyle, Pagination, Param, ParamLocation, Primitive, Success, Type,
    TypeDef,
};

/// Names of the items array, most telling first.
const ITEM_FIELDS: [&str; 13] = [
    "data",
    "items",
    "results",
    "value",
    "values",
    "entries",
    "records",
    "elements",
    "list",
    "nodes",
    "content",
    "resources",
    "objects",
];

/// Container fields whose own array may be the items (`{"data": {"items": …}}`,
/// HAL's `_embedded`).
const CONTAINERS: [&str; 5] = ["data", "result", "response", "_embedded", "embedded"];

/// Query parameters that take a page token (normalised: lower case,
/// alphanumerics only).
const TOKEN_PARAMS: [&str; 16] = [
    "pagetoken",
    "nextpagetoken",
    "nexttoken",
    "token",
    "cursor",
    "pagecursor",
    "nextcursor",
    "marker",
    "continuationtoken",
    "continuation",
    "startingtoken",
    "after",
    "pageafter",
    "next",
    "skiptoken",
    "nextmarker",
];

/// Body fields that hold the next page's token (normalised). A bare `next`
/// is not one: APIs that name a field so put the next page's URL in it.
const TOKEN_FIELDS: [&str; 10] = [
    "nextpagetoken",
    "nexttoken",
    "nextcursor",
    "nextpagecursor",
    "nextmarker",
    "continuationtoken",
    "nextcontinuationtoken",
    "endcursor",
    "nextpage",
    "cursor",
];

/// Body fields that hold the next page's URL (normalised).
const URL_FIELDS: [&str; 9] = [
    "nextlink",
    "odatanextlink",
    "nexturl",
    "nextpageurl",
    "nextpagelink",
    "next",
    "nexthref",
    "nextpage",
    "nextpageuri",
];

/// Objects that group paging fields (`links.next`, `meta.next_cursor`, …).
const GROUPS: [&str; 10] = [
    "links",
    "_links",
    "meta",
    "pagination",
    "paging",
    "pageinfo",
    "responsemetadata",
    "metadata",
    "page",
    "cursor",
];

/// Booleans that say whether another page follows (normalised).
const MORE_FIELDS: [&str; 5] = ["hasmore", "hasnextpage", "hasnext", "more", "istruncated"];

/// Query parameters of a page number (normalised).
const PAGE_PARAMS: [&str; 5] = ["page", "pagenumber", "pageno", "pagenum", "pageindex"];

/// Query parameters of an offset (normalised).
const OFFSET_PARAMS: [&str; 6] = [
    "offset",
    "skip",
    "startindex",
    "start",
    "pageoffset",
    "startat",
];

/// Query parameters of a page size (normalised).
const SIZE_PARAMS: [&str; 11] = [
    "perpage",
    "pagesize",
    "limit",
    "size",
    "pagelimit",
    "maxresults",
    "top",
    "count",
    "max",
    "maxitems",
    "pagelength",
];

/// Body fields of a total item count (normalised).
const TOTAL_FIELDS: [&str; 9] = [
    "total",
    "totalcount",
    "totalresults",
    "totalitems",
    "totalrecords",
    "totalelements",
    "totalsize",
    "count",
    "odatacount",
];

/// Whether a (normalised) query parameter takes a page token: one of the
/// known names, or a `…token`/`…cursor` named for paging
/// (`pagination_token`, `next_page_cursor`).
fn token_param(n: &str) -> bool {
    TOKEN_PARAMS.contains(&n)
        || (n.ends_with("token") || n.ends_with("cursor"))
            && ["pag", "next", "continu"].iter().any(|w| n.contains(w))
}

/// Lower case, ASCII letters and digits only: `page[cursor]` → `pagecursor`.
fn norm(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A body field found while looking for paging fields.
struct Leaf<'t> {
    /// Dotted path from the body.
    path: String,
    /// The field's own name, normalised.
    name: String,
    /// Its normalised group (`links` for `links.next`), if nested.
    group: Option<String>,
    ty: &'t Type,
}

/// What [`Lowerer::pagination`] decided.
pub(crate) struct Detected {
    pub(crate) pagination: Option<Pagination>,
    pub(crate) miss: Option<String>,
}

impl Detected {
    fn none() -> Detected {
        Detected {
            pagination: None,
            miss: None,
        }
    }

    fn miss(why: impl Into<String>) -> Detected {
        Detected {
            pagination: None,
            miss: Some(why.into()),
        }
    }

    fn found(items: (String, Type), style: PageStyle, rule: impl Into<String>) -> Detected {
        Detected {
            pagination: Some(Pagination {
                items: items.0,
                item: items.1,
                style,
                rule: rule.into(),
            }),
            miss: None,
        }
    }
}

impl Lowerer<'_> {
    /// Whether and how an operation pages.
    pub(crate) fn pagination(&mut self, raw: &Map<String, Value>, op: &Operation) -> Detected {
        let (method, params, ptr) = (op.method, op.params.as_slice(), op.pointer.as_str());
        let headers: Vec<String> = op
            .responses
            .iter()
            .filter(|r| r.is_success())
            .flat_map(|r| r.headers.iter().cloned())
            .collect();
        let headers = headers.as_slice();
        let body = success_body(&op.success);
        if let Some(found) = self.explicit(raw, method, params, body, ptr) {
            return found;
        }
        let query: Vec<&Param> = params
            .iter()
            .filter(|p| p.location == ParamLocation::Query)
            .collect();
        let leaves = body.map(|b| self.leaves(b)).unwrap_or_default();
        let signals = signals(&query, &leaves, headers);
        if signals.is_empty() {
            return Detected::none();
        }
        if method != Method::Get {
            return Detected::miss(format!(
                "{} on a {} (only GET lists are paged)",
                signals.join(", "),
                method.as_str()
            ));
        }
        let Some(body) = body else {
            return Detected::miss(format!("{} but no JSON success body", signals.join(", ")));
        };
        if op.body.as_ref().is_some_and(|b| b.required) {
            return Detected::miss(format!(
                "{}, but the request needs a body (a pager re-sends the query only)",
                signals.join(", ")
            ));
        }
        let last = op
            .path
            .split('/')
            .rfind(|s| !s.is_empty() && !s.starts_with('{'))
            .unwrap_or_default();
        let items = match self.items(body, last) {
            Ok(items) => items,
            Err(why) => return Detected::miss(format!("{}, but {why}", signals.join(", "))),
        };
        let param = |names: &[&str]| {
            query
                .iter()
                .find(|p| names.contains(&norm(&p.name).as_str()))
                .copied()
        };
        let leaf = |names: &[&str]| leaves.iter().find(|l| names.contains(&l.name.as_str()));

        // 1. Stripe: has_more + starting_after, the last item's id.
        if let (Some(more), Some(after)) = (
            leaf(&["hasmore"]).filter(|l| is_bool(self.unalias(l.ty))),
            param(&["startingafter"]),
        ) {
            if self.item_has(&items.1, "id") {
                return Detected::found(
                    items,
                    PageStyle::LastItem {
                        param: after.name.clone(),
                        id_field: "id".into(),
                        has_more: more.path.clone(),
                    },
                    format!("`{}` with `{}` (last item's id)", more.path, after.name),
                );
            }
        }
        // 2. A Link header.
        if headers.iter().any(|h| h.eq_ignore_ascii_case("link")) {
            return Detected::found(items, PageStyle::LinkHeader, "Link response header");
        }
        // 3. A next-page token paired with its query parameter.
        for p in &query {
            let pn = norm(&p.name);
            if !token_param(&pn) || !is_text(self.unalias(&p.ty)) {
                continue;
            }
            let pair = leaves.iter().find(|l| {
                is_text(self.unalias(l.ty))
                    && TOKEN_FIELDS.contains(&l.name.as_str())
                    && pairs(&l.name, &pn)
            });
            if let Some(next) = pair {
                let more = leaves
                    .iter()
                    .find(|l| {
                        is_bool(self.unalias(l.ty))
                            && MORE_FIELDS.contains(&l.name.as_str())
                            && l.group == next.group
                    })
                    .map(|l| l.path.clone());
                let rule = format!("`{}` with `{}`", next.path, p.name);
                return Detected::found(
                    items,
                    PageStyle::BodyCursor {
                        next: next.path.clone(),
                        param: p.name.clone(),
                        has_more: more,
                    },
                    rule,
                );
            }
        }
        // 4. A next-page URL.
        if let Some(next) = self.next_url(&leaves) {
            let rule = format!("`{next}` (next page URL)");
            return Detected::found(items, PageStyle::NextUrl { next }, rule);
        }
        let size = param(&SIZE_PARAMS).map(|p| p.name.clone());
        let total = leaves
            .iter()
            .find(|l| is_integer(self.unalias(l.ty)) && TOTAL_FIELDS.contains(&l.name.as_str()))
            .map(|l| l.path.clone());
        // 5. Page numbers.
        if let Some(page) = param(&PAGE_PARAMS).filter(|p| is_integer(self.unalias(&p.ty))) {
            let first = self.first_page(page);
            let rule = format!("`{}` page number from {first}", page.name);
            return Detected::found(
                items,
                PageStyle::PageNumber {
                    param: page.name.clone(),
                    first,
                    size_param: size,
                    total,
                },
                rule,
            );
        }
        // 6. Offsets.
        if let Some(offset) = param(&OFFSET_PARAMS).filter(|p| is_integer(self.unalias(&p.ty))) {
            let rule = format!("`{}` offset", offset.name);
            return Detected::found(
                items,
                PageStyle::Offset {
                    param: offset.name.clone(),
                    limit_param: size,
                    total,
                },
                rule,
            );
        }
        Detected::miss(format!(
            "{}, but no rule matched (a next-page token with no query parameter of the same meaning, or a page parameter that is not an integer)",
            signals.join(", ")
        ))
    }

    /// An extension that says how the operation pages (or that it does not).
    fn explicit(
        &mut self,
        op: &Map<String, Value>,
        method: Method,
        params: &[Param],
        body: Option<&Type>,
        ptr: &str,
    ) -> Option<Detected> {
        let (key, value) = [
            "x-pagination",
            "x-ms-pageable",
            "x-speakeasy-pagination",
            "x-fern-pagination",
        ]
        .into_iter()
        .find_map(|k| op.get(k).map(|v| (k, v)))?;
        if value == &Value::Bool(false) || value.is_null() {
            return Some(Detected::none());
        }
        let eptr = format!("{ptr}/{key}");
        let parsed = match key {
            "x-pagination" => from_oncely(value),
            "x-ms-pageable" => from_azure(value),
            "x-speakeasy-pagination" => from_speakeasy(value),
            _ => from_fern(value),
        };
        let (items_path, style) = match parsed {
            Ok(Some(found)) => found,
            Ok(None) => return Some(Detected::none()),
            Err(why) => {
                self.diag(
                    Severity::Warning,
                    DiagnosticKind::Invalid,
                    &eptr,
                    format!("{key}: {why}; the operation is generated without paging"),
                );
                return Some(Detected::miss(format!("`{key}` not understood: {why}")));
            }
        };
        if method != Method::Get {
            return Some(Detected::miss(format!(
                "`{key}` on a {} (only GET lists are paged)",
                method.as_str()
            )));
        }
        if let Some(p) = style.param() {
            if !params
                .iter()
                .any(|q| q.location == ParamLocation::Query && q.name == p)
            {
                self.diag(
                    Severity::Note,
                    DiagnosticKind::Invalid,
                    &eptr,
                    format!("{key}: query parameter {p:?} is not declared; sent anyway"),
                );
            }
        }
        let item = match body {
            Some(b) if items_path.is_empty() => match self.unalias(b) {
                Some(Type::Array(t)) => (**t).clone(),
                _ => Type::any(),
            },
            Some(b) => {
                self.field_type(b, &items_path)
                    .map_or_else(Type::any, |t| match t.non_null() {
                        Type::Array(t) => (**t).clone(),
                        _ => Type::any(),
                    })
            }
            None => Type::any(),
        };
        Some(Detected::found((items_path, item), style, key))
    }

    /// The type behind aliases.
    fn unalias<'t>(&'t self, mut ty: &'t Type) -> Option<&'t Type> {
        for _ in 0..16 {
            match ty.non_null() {
                Type::Ref(id) => match &self.types.get(id.0)?.def {
                    TypeDef::Alias(t) => ty = t,
                    _ => return Some(ty.non_null()),
                },
                t => return Some(t),
            }
        }
        None
    }

    /// The fields of an object type.
    fn fields<'t>(&'t self, ty: &'t Type) -> Option<&'t [crate::ir::Field]> {
        match self.unalias(ty)? {
            Type::Ref(id) => match &self.types.get(id.0)?.def {
                TypeDef::Object(o) => Some(&o.fields),
                _ => None,
            },
            _ => None,
        }
    }

    /// The type at a dotted path of fields.
    fn field_type<'t>(&'t self, ty: &'t Type, path: &str) -> Option<&'t Type> {
        let mut at = ty;
        for name in path.split('.') {
            at = &self.fields(at)?.iter().find(|f| f.name == name)?.ty;
        }
        Some(at)
    }

    /// Whether the item type is an object with this field (or not an object
    /// this generator can see into, which is given the benefit of the doubt).
    fn item_has(&self, item: &Type, field: &str) -> bool {
        self.fields(item)
            .is_none_or(|fs| fs.iter().any(|f| f.name == field))
    }

    /// The body's fields and those of its paging groups, one level down.
    fn leaves<'t>(&'t self, body: &'t Type) -> Vec<Leaf<'t>> {
        let mut out = Vec::new();
        let Some(fields) = self.fields(body) else {
            return out;
        };
        for f in fields {
            let name = norm(&f.name);
            out.push(Leaf {
                path: f.name.clone(),
                name: name.clone(),
                group: None,
                ty: &f.ty,
            });
            if GROUPS.contains(&name.as_str()) {
                for g in self.fields(&f.ty).unwrap_or_default() {
                    out.push(Leaf {
                        path: format!("{}.{}", f.name, g.name),
                        name: norm(&g.name),
                        group: Some(name.clone()),
                        ty: &g.ty,
                    });
                }
            }
        }
        out
    }

    /// The items array and its element type, or why there is none.
    /// (`last` is the path's last literal segment: a list of several arrays
    /// whose field is named like the resource is its items.)
    fn items(&self, body: &Type, last: &str) -> Result<(String, Type), String> {
        if let Some(Type::Array(t)) = self.unalias(body) {
            return Ok((String::new(), (**t).clone()));
        }
        if self.all_arrays(body) {
            return Ok((String::new(), Type::any()));
        }
        let Some(fields) = self.fields(body) else {
            return Err("the success body is not a list or an object".into());
        };
        if let Some(found) = self.array_field(fields, "", last) {
            return Ok(found);
        }
        for f in fields
            .iter()
            .filter(|f| CONTAINERS.contains(&f.name.to_ascii_lowercase().as_str()))
        {
            if let Some(inner) = self.fields(&f.ty) {
                if let Some(found) = self.array_field(inner, &format!("{}.", f.name), last) {
                    return Ok(found);
                }
            }
        }
        let arrays = fields.iter().filter(|f| self.is_array(&f.ty)).count();
        Err(if arrays == 0 {
            "the success body has no array field".into()
        } else {
            format!("the success body has {arrays} array fields and none is named like the items")
        })
    }

    /// The one array field, or the one named like items.
    fn array_field(
        &self,
        fields: &[crate::ir::Field],
        prefix: &str,
        last: &str,
    ) -> Option<(String, Type)> {
        let arrays: Vec<(&crate::ir::Field, &Type)> = fields
            .iter()
            .filter_map(|f| match self.unalias(&f.ty) {
                Some(Type::Array(t)) => Some((f, &**t)),
                _ => None,
            })
            .collect();
        let objects: Vec<&(&crate::ir::Field, &Type)> = arrays
            .iter()
            .filter(|(_, t)| self.fields(t).is_some())
            .collect();
        let pick = if arrays.len() == 1 {
            arrays.first()
        } else {
            ITEM_FIELDS
                .iter()
                .find_map(|name| {
                    arrays
                        .iter()
                        .find(|(f, _)| f.name.eq_ignore_ascii_case(name))
                })
                .or_else(|| arrays.iter().find(|(f, _)| norm(&f.name) == norm(last)))
                .or_else(|| (objects.len() == 1).then(|| objects[0]))
        };
        pick.map(|(f, t)| (format!("{prefix}{}", f.name), (*t).clone()))
    }

    /// A union whose every variant is a list (items of mixed types).
    fn all_arrays(&self, ty: &Type) -> bool {
        let Some(Type::Ref(id)) = self.unalias(ty) else {
            return false;
        };
        match self.types.get(id.0).map(|d| &d.def) {
            Some(TypeDef::Union(u)) => {
                !u.variants.is_empty() && u.variants.iter().all(|v| self.is_array(&v.ty))
            }
            _ => false,
        }
    }

    fn is_array(&self, ty: &Type) -> bool {
        matches!(self.unalias(ty), Some(Type::Array(_)))
    }

    /// A next-page URL field: a `next`-like field of text, or the `href`
    /// of a `next` link object (HAL).
    fn next_url(&self, leaves: &[Leaf<'_>]) -> Option<String> {
        for l in leaves {
            if !URL_FIELDS.contains(&l.name.as_str()) {
                continue;
            }
            // A bare `next`/`nextPage` at the top is a URL only when typed so
            // or when no token parameter could take it (checked before).
            if is_text(self.unalias(l.ty)) {
                return Some(l.path.clone());
            }
            if let Some(href) = self.fields(l.ty).and_then(|fs| {
                fs.iter()
                    .find(|f| f.name == "href" && is_text(self.unalias(&f.ty)))
            }) {
                return Some(format!("{}.{}", l.path, href.name));
            }
        }
        None
    }

    /// The first page's number: the parameter's `default` or `minimum` when
    /// the document gives one (0 or 1), else 1.
    fn first_page(&self, page: &Param) -> u64 {
        let schema = self
            .doc
            .pointer(&page.pointer)
            .and_then(|p| p.get("schema").or(Some(p)));
        let number = |k: &str| schema.and_then(|s| s.get(k)).and_then(Value::as_u64);
        match number("minimum").or_else(|| number("default")) {
            Some(0) => 0,
            _ => 1,
        }
    }
}

/// The JSON type of the success body, if there is one.
fn success_body(success: &Success) -> Option<&Type> {
    match success {
        Success::Json { ty, .. } => Some(ty),
        Success::ByStatus { cases } => cases.iter().find_map(|c| match &c.body {
            crate::ir::CaseBody::Json(t) => Some(t),
            _ => None,
        }),
        _ => None,
    }
}

/// What makes an operation look paginated: page-like query parameters and
/// next-page fields.
fn signals(query: &[&Param], leaves: &[Leaf<'_>], headers: &[String]) -> Vec<String> {
    let mut out: Vec<String> = query
        .iter()
        .filter(|p| {
            let n = norm(&p.name);
            (token_param(&n) && n != "token")
                || PAGE_PARAMS.contains(&n.as_str())
                || n == "offset"
                || n == "skip"
                || n == "startingafter"
        })
        .map(|p| format!("query parameter `{}`", p.name))
        .collect();
    out.extend(
        leaves
            .iter()
            .filter(|l| {
                let n = l.name.as_str();
                let nested_only = matches!(n, "cursor" | "more");
                (TOKEN_FIELDS.contains(&n) || URL_FIELDS.contains(&n) || MORE_FIELDS.contains(&n))
                    && (!nested_only || l.group.is_some())
            })
            .map(|l| format!("field `{}`", l.path)),
    );
    if headers.iter().any(|h| h.eq_ignore_ascii_case("link")) {
        out.push("`Link` header".into());
    }
    out
}

/// Whether a next-token field and a query parameter mean the same token.
fn pairs(field: &str, param: &str) -> bool {
    let rest = field.strip_prefix("next").filter(|r| !r.is_empty());
    field == param
        || rest == Some(param)
        || rest.is_some_and(|r| {
            param
                .strip_prefix("pagination")
                .or_else(|| param.strip_prefix("page"))
                == Some(r)
        })
        || matches!(
            (field, param),
            ("endcursor", "after" | "cursor" | "pageafter")
                | (
                    "nextcursor" | "cursor",
                    "after" | "pagecursor" | "pageafter"
                )
                | ("nextpage", "pagetoken" | "cursor" | "token")
                | (
                    "nextpagetoken" | "nextcontinuationtoken",
                    "continuationtoken" | "nexttoken"
                )
                | ("nextmarker", "nextmarker")
                | ("nexttoken", "pagetoken" | "startingtoken")
                | ("continuationtoken", "continuation")
        )
}

fn is_text(ty: Option<&Type>) -> bool {
    matches!(ty, Some(Type::Primitive(Primitive::String)))
}

fn is_bool(ty: Option<&Type>) -> bool {
    matches!(ty, Some(Type::Primitive(Primitive::Boolean)))
}

fn is_integer(ty: Option<&Type>) -> bool {
    matches!(
        ty,
        Some(Type::Primitive(
            Primitive::I32 | Primitive::I64 | Primitive::Number
        ))
    )
}

/// Text of a field of an extension object.
fn text<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A JSONPath or runtime expression of a response field (`$.data`,
/// `$response.body#/next`, `$response.next`) as a dotted path.
fn dotted(expr: &str) -> Result<String, String> {
    let e = expr.trim();
    let rest = e
        .strip_prefix("$response.body#/")
        .map(|s| s.replace('/', "."))
        .or_else(|| e.strip_prefix("$response.body.").map(str::to_string))
        .or_else(|| e.strip_prefix("$response.").map(str::to_string))
        .or_else(|| e.strip_prefix("$.").map(str::to_string))
        .unwrap_or_else(|| e.to_string());
    if rest.is_empty() || rest.contains(['[', '*', '$', '#', ' ']) {
        return Err(format!("the expression {expr:?} is not a plain field path"));
    }
    Ok(rest)
}

/// A request-side expression (`$request.cursor`, `$request.query.cursor`) as
/// a query parameter name.
fn request_param(expr: &str) -> Result<String, String> {
    let e = expr.trim();
    let name = e
        .strip_prefix("$request.query.")
        .or_else(|| e.strip_prefix("$request."))
        .ok_or_else(|| format!("{expr:?} is not a `$request.` expression"))?;
    if name.is_empty() || name.contains(['.', '/', '#']) {
        return Err(format!(
            "{expr:?} is not a query parameter (a body cursor is not supported)"
        ));
    }
    Ok(name.to_string())
}

type Explicit = Result<Option<(String, PageStyle)>, String>;

/// `x-pagination`: the core's `PageSpec` JSON form.
fn from_oncely(v: &Value) -> Explicit {
    let o = v.as_object().ok_or("expected an object or `false`")?;
    let items = o
        .get("items")
        .map(|i| i.as_str().map(str::to_string).ok_or("`items` is not text"))
        .transpose()?
        .unwrap_or_default();
    let need = |k: &str| {
        text(v, k)
            .map(str::to_string)
            .ok_or_else(|| format!("`{k}` is missing"))
    };
    let opt = |k: &str| text(v, k).map(str::to_string);
    let style = match text(v, "style").ok_or("`style` is missing")? {
        "body_cursor" => PageStyle::BodyCursor {
            next: need("next")?,
            param: need("param")?,
            has_more: opt("has_more"),
        },
        "last_item" => PageStyle::LastItem {
            param: need("param")?,
            id_field: opt("id_field").unwrap_or_else(|| "id".into()),
            has_more: need("has_more")?,
        },
        "next_url" => PageStyle::NextUrl {
            next: need("next")?,
        },
        "link_header" => PageStyle::LinkHeader,
        "page_number" => PageStyle::PageNumber {
            param: need("param")?,
            first: match v.get("first") {
                None => 1,
                Some(f) => f.as_u64().ok_or("`first` is not a whole number")?,
            },
            size_param: opt("size_param"),
            total: opt("total"),
        },
        "offset" => PageStyle::Offset {
            param: need("param")?,
            limit_param: opt("limit_param"),
            total: opt("total"),
        },
        other => return Err(format!("unknown style {other:?}")),
    };
    Ok(Some((items, style)))
}

/// `x-ms-pageable`: `nextLinkName` (null: one page only) and `itemName`.
fn from_azure(v: &Value) -> Explicit {
    let o = v.as_object().ok_or("expected an object")?;
    let items = text(v, "itemName").unwrap_or("value").to_string();
    match o.get("nextLinkName") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(next)) if !next.trim().is_empty() => Ok(Some((
            items,
            PageStyle::NextUrl {
                next: next.trim().to_string(),
            },
        ))),
        Some(_) => Err("`nextLinkName` is not text".into()),
    }
}

/// `x-speakeasy-pagination`: `type` cursor / offsetLimit / url, `inputs`,
/// `outputs`.
fn from_speakeasy(v: &Value) -> Explicit {
    let kind = text(v, "type").ok_or("`type` is missing")?;
    let outputs = v.get("outputs");
    let output = |k: &str| outputs.and_then(|o| text(o, k)).map(dotted).transpose();
    let items = output("results")?.unwrap_or_default();
    let inputs = v
        .get("inputs")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let input = |ty: &str| -> Result<Option<String>, String> {
        match inputs.iter().find(|i| text(i, "type") == Some(ty)) {
            None => Ok(None),
            Some(i) if text(i, "in") == Some("requestBody") => {
                Err(format!("the {ty} goes in the request body (not supported)"))
            }
            Some(i) => Ok(text(i, "name").map(str::to_string)),
        }
    };
    let style = match kind {
        "cursor" => PageStyle::BodyCursor {
            next: output("nextCursor")?.ok_or("`outputs.nextCursor` is missing")?,
            param: input("cursor")?.ok_or("no `cursor` input")?,
            has_more: None,
        },
        "url" => PageStyle::NextUrl {
            next: output("nextUrl")?.ok_or("`outputs.nextUrl` is missing")?,
        },
        "offsetLimit" => {
            let limit = input("limit")?;
            if let Some(page) = input("page")? {
                PageStyle::PageNumber {
                    param: page,
                    first: 1,
                    size_param: limit,
                    total: None,
                }
            } else {
                PageStyle::Offset {
                    param: input("offset")?.ok_or("no `offset` or `page` input")?,
                    limit_param: limit,
                    total: None,
                }
            }
        }
        other => return Err(format!("unknown type {other:?}")),
    };
    Ok(Some((items, style)))
}

/// `x-fern-pagination`: `cursor` + `next_cursor`, or `offset` (+ `step`),
/// with `results`.
fn from_fern(v: &Value) -> Explicit {
    let items = text(v, "results")
        .map(dotted)
        .transpose()?
        .ok_or("`results` is missing")?;
    if let Some(cursor) = text(v, "cursor") {
        let next = text(v, "next_cursor").ok_or("`next_cursor` is missing")?;
        return Ok(Some((
            items,
            PageStyle::BodyCursor {
                next: dotted(next)?,
                param: request_param(cursor)?,
                has_more: text(v, "has_next_page").map(dotted).transpose()?,
            },
        )));
    }
    let offset = request_param(text(v, "offset").ok_or("neither `cursor` nor `offset`")?)?;
    let style = match text(v, "step") {
        Some(step) => PageStyle::Offset {
            param: offset,
            limit_param: Some(request_param(step)?),
            total: None,
        },
        None => PageStyle::PageNumber {
            param: offset,
            first: 1,
            size_param: None,
            total: None,
        },
    };
    Ok(Some((items, style)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised() {
        assert_eq!(norm("page[cursor]"), "pagecursor");
        assert_eq!(norm("$top"), "top");
        assert_eq!(norm("NextPageToken"), "nextpagetoken");
    }

    #[test]
    fn tokens_pair_by_meaning() {
        assert!(pairs("nextpagetoken", "pagetoken"));
        assert!(pairs("nexttoken", "nexttoken"));
        assert!(pairs("nexttoken", "token"));
        assert!(pairs("nextcursor", "cursor"));
        assert!(pairs("endcursor", "after"));
        assert!(pairs("nextmarker", "marker"));
        assert!(pairs("nexttoken", "paginationtoken"));
        assert!(pairs("nextcursor", "pagecursor"));
        assert!(!pairs("nextpagetoken", "cursor"));
        assert!(!pairs("totalcount", "count"));
    }

    #[test]
    fn expressions_become_paths() {
        assert_eq!(dotted("$response.body#/meta/next").unwrap(), "meta.next");
        assert_eq!(dotted("$.data").unwrap(), "data");
        assert_eq!(dotted("$response.next_cursor").unwrap(), "next_cursor");
        assert!(dotted("$.data[*].id").is_err());
        assert_eq!(request_param("$request.cursor").unwrap(), "cursor");
        assert!(request_param("$request.body.cursor").is_err());
    }

    #[test]
    fn extensions_are_read() {
        let v: Value = serde_json::json!({"nextLinkName": "nextLink"});
        assert_eq!(
            from_azure(&v).unwrap(),
            Some((
                "value".into(),
                PageStyle::NextUrl {
                    next: "nextLink".into()
                }
            ))
        );
        assert_eq!(
            from_azure(&serde_json::json!({"nextLinkName": null})).unwrap(),
            None
        );
        let v = serde_json::json!({"type": "cursor", "inputs": [{"name": "after", "in": "parameters", "type": "cursor"}], "outputs": {"nextCursor": "$.next", "results": "$.data"}});
        assert_eq!(
            from_speakeasy(&v).unwrap(),
            Some((
                "data".into(),
                PageStyle::BodyCursor {
                    next: "next".into(),
                    param: "after".into(),
                    has_more: None
                }
            ))
        );
        let v = serde_json::json!({"cursor": "$request.starting_after", "next_cursor": "$response.next", "results": "$response.data"});
        assert!(
            matches!(from_fern(&v).unwrap(), Some((i, PageStyle::BodyCursor { .. })) if i == "data")
        );
        let v = serde_json::json!({"style": "page_number", "param": "page", "first": 0, "items": "results"});
        assert_eq!(
            from_oncely(&v).unwrap(),
            Some((
                "results".into(),
                PageStyle::PageNumber {
                    param: "page".into(),
                    first: 0,
                    size_param: None,
                    total: None
                }
            ))
        );
        assert!(from_oncely(&serde_json::json!({"style": "sideways"})).is_err());
        assert!(from_oncely(&serde_json::json!("yes")).is_err());
    }
}
