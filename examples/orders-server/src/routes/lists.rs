//! The list operations of `openapi/lists.yaml`: the same orders, oldest first,
//! paged the way five well-known kinds of API page.
//!
//! | route | style | request | next page |
//! |---|---|---|---|
//! | `GET /orders` | Stripe | `limit`, `starting_after`, `ending_before` | `has_more` + the last item's `id` |
//! | `GET /orders/by-token` | page token (Google AIP-158) | `page_size`, `page_token` | body `next_page_token` (`""` at the end) |
//! | `GET /orders/by-link` | GitHub | `per_page`, `page` | `Link: <…>; rel="next"` (and `prev`, `first`, `last`) |
//! | `GET /orders/by-page` | page numbers | `page`, `per_page` | body `meta.total` |
//! | `GET /orders/by-offset` | offsets (Django REST framework) | `offset`, `limit` | body `next` (a URL), `count`; an empty page past the end |

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::Response;
use serde_json::{json, Value};
use uuid::Uuid;

use super::json;
use crate::model::Order;
use crate::problem::Problem;
use crate::state::{lock, ServerState};

/// The largest page any list serves.
const MAX_PAGE: usize = 100;

/// The query parameters of one request, in order.
struct Params(Vec<(String, String)>);

impl Params {
    fn of(uri: &Uri) -> Result<Self, Problem> {
        axum::extract::Query::<Vec<(String, String)>>::try_from_uri(uri)
            .map(|q| Params(q.0))
            .map_err(|e| Problem::invalid_query("*", format!("the query string is malformed: {e}")))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A whole number in `min..=max`, `default` when absent.
    fn number(&self, name: &str, default: usize, min: usize, max: usize) -> Result<usize, Problem> {
        let Some(raw) = self.get(name) else {
            return Ok(default);
        };
        match raw.parse::<usize>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(Problem::invalid_query(
                name,
                format!("`{name}` must be a whole number from {min} to {max}, not {raw:?}"),
            )),
        }
    }
}

/// The orders, oldest first, as JSON values.
fn all_orders(state: &ServerState) -> Vec<Value> {
    lock(&state.shared().domain)
        .orders_by_creation()
        .into_iter()
        .map(|order: &Order| serde_json::to_value(order).unwrap_or(Value::Null))
        .collect()
}

/// The position of the order `id` (a query parameter's value) in `orders`.
fn position_of(orders: &[Value], name: &str, id: &str) -> Result<usize, Problem> {
    let missing = || Problem::invalid_query(name, format!("no such order: {id:?}"));
    let id = Uuid::parse_str(id).map_err(|_| missing())?.to_string();
    orders
        .iter()
        .position(|o| o["id"].as_str() == Some(id.as_str()))
        .ok_or_else(missing)
}

/// The base that next-page links are made absolute with: the configured one,
/// or this origin as the request's `Host` names it.
fn link_base(state: &ServerState, headers: &HeaderMap) -> String {
    if let Some(base) = &state.config().list_link_base {
        return base.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// `GET /orders`, Stripe's list: `{object: "list", url, has_more, data}`.
pub(super) async fn stripe(
    State(state): State<ServerState>,
    uri: Uri,
) -> Result<Response, Problem> {
    let params = Params::of(&uri)?;
    let limit = params.number("limit", 10, 1, MAX_PAGE)?;
    let orders = all_orders(&state);
    let (window, has_more) = match (params.get("starting_after"), params.get("ending_before")) {
        (Some(_), Some(_)) => {
            return Err(Problem::invalid_query(
                "ending_before",
                "`starting_after` and `ending_before` cannot be combined",
            ))
        }
        (Some(after), None) => {
            let start = position_of(&orders, "starting_after", after)? + 1;
            let end = (start + limit).min(orders.len());
            (start..end, end < orders.len())
        }
        (None, Some(before)) => {
            let end = position_of(&orders, "ending_before", before)?;
            let start = end.saturating_sub(limit);
            (start..end, start > 0)
        }
        (None, None) => {
            let end = limit.min(orders.len());
            (0..end, end < orders.len())
        }
    };
    let data = &orders[window];
    Ok(json(
        StatusCode::OK,
        &json!({"object": "list", "url": "/orders", "has_more": has_more, "data": data}),
    ))
}

/// The opaque page token that continues after the order at `index`.
fn token_after(orders: &[Value], index: usize) -> String {
    let id = orders[index]["id"].as_str().unwrap_or_default();
    hex::encode(format!("after:{id}"))
}

/// `GET /orders/by-token`: `{orders, next_page_token}` (`""` on the last page).
pub(super) async fn by_token(
    State(state): State<ServerState>,
    uri: Uri,
) -> Result<Response, Problem> {
    let params = Params::of(&uri)?;
    let size = params.number("page_size", 10, 1, MAX_PAGE)?;
    let orders = all_orders(&state);
    let start = match params.get("page_token").filter(|t| !t.is_empty()) {
        None => 0,
        Some(token) => {
            let bad = || {
                Problem::invalid_query("page_token", "the page token is not one this server issued")
            };
            let decoded = hex::decode(token).map_err(|_| bad())?;
            let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
            let id = decoded.strip_prefix("after:").ok_or_else(bad)?;
            position_of(&orders, "page_token", id)? + 1
        }
    };
    let end = (start + size).min(orders.len());
    let next = if end < orders.len() && end > start {
        token_after(&orders, end - 1)
    } else {
        String::new()
    };
    Ok(json(
        StatusCode::OK,
        &json!({"orders": &orders[start..end], "next_page_token": next}),
    ))
}

/// `GET /orders/by-link`, GitHub's style: the body is the array; `Link` has
/// `prev`, `next`, `first` and `last` (those that exist), absolute URLs.
pub(super) async fn by_link(
    State(state): State<ServerState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, Problem> {
    let params = Params::of(&uri)?;
    let per_page = params.number("per_page", 30, 1, MAX_PAGE)?;
    let page = params.number("page", 1, 1, usize::MAX)?;
    let orders = all_orders(&state);
    let last = orders.len().div_ceil(per_page).max(1);
    let start = (page - 1).saturating_mul(per_page).min(orders.len());
    let end = (start + per_page).min(orders.len());
    let base = link_base(&state, &headers);
    let link = |n: usize, rel: &str| {
        format!("<{base}/orders/by-link?per_page={per_page}&page={n}>; rel=\"{rel}\"")
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(link((page - 1).min(last), "prev"));
    }
    if page < last {
        links.push(link(page + 1, "next"));
        links.push(link(last, "last"));
    }
    if page > 1 {
        links.push(link(1, "first"));
    }
    let mut response = json(StatusCode::OK, &&orders[start..end]);
    if !links.is_empty() {
        if let Ok(value) = HeaderValue::from_str(&links.join(", ")) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}

/// `GET /orders/by-page`: `{data, meta: {page, per_page, total}}`; a page past
/// the end is empty.
pub(super) async fn by_page(
    State(state): State<ServerState>,
    uri: Uri,
) -> Result<Response, Problem> {
    let params = Params::of(&uri)?;
    let per_page = params.number("per_page", 10, 1, MAX_PAGE)?;
    let page = params.number("page", 1, 1, usize::MAX)?;
    let orders = all_orders(&state);
    let start = (page - 1).saturating_mul(per_page).min(orders.len());
    let end = (start + per_page).min(orders.len());
    Ok(json(
        StatusCode::OK,
        &json!({
            "data": &orders[start..end],
            "meta": {"page": page, "per_page": per_page, "total": orders.len()},
        }),
    ))
}

/// `GET /orders/by-offset`, Django REST framework's limit/offset style:
/// `{count, next, previous, results}`; `next` is a path (or, with
/// `list_link_base`, an absolute URL) and `null` on the last page; an offset
/// past the end is an empty page.
pub(super) async fn by_offset(
    State(state): State<ServerState>,
    uri: Uri,
) -> Result<Response, Problem> {
    let params = Params::of(&uri)?;
    let limit = params.number("limit", 10, 1, MAX_PAGE)?;
    let offset = params.number("offset", 0, 0, usize::MAX)?;
    let orders = all_orders(&state);
    let start = offset.min(orders.len());
    let end = (start + limit).min(orders.len());
    let base = state
        .config()
        .list_link_base
        .as_deref()
        .map(|b| b.trim_end_matches('/').to_owned())
        .unwrap_or_default();
    let at = |n: usize| format!("{base}/orders/by-offset?limit={limit}&offset={n}");
    let next = (end < orders.len()).then(|| at(end));
    let previous = (offset > 0).then(|| at(offset.saturating_sub(limit)));
    Ok(json(
        StatusCode::OK,
        &json!({
            "count": orders.len(),
            "next": next,
            "previous": previous,
            "results": &orders[start..end],
        }),
    ))
}
