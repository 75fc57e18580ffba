//! HTTP surface: the contract's operations, the admin API, and the router
//! that puts them behind the request pipeline.

mod admin;
mod events;
mod export;
mod inventory;
mod lists;
mod orders;
mod payments;
mod shipments;

use std::collections::HashMap;

use axum::extract::{DefaultBodyLimit, FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use uuid::Uuid;

use crate::idempotency::KeyPolicy;
use crate::pipeline;
use crate::problem::Problem;
use crate::state::ServerState;

/// One operation of the contract.
#[derive(Debug)]
pub(crate) struct RouteSpec {
    pub(crate) method: Method,
    pub(crate) template: &'static str,
    pub(crate) key: KeyPolicy,
}

impl RouteSpec {
    /// `"METHOD /template"`, as used in the request log and fault rules.
    pub(crate) fn label(&self) -> String {
        format!("{} {}", self.method, self.template)
    }
}

const fn spec(method: Method, template: &'static str, key: KeyPolicy) -> RouteSpec {
    RouteSpec {
        method,
        template,
        key,
    }
}

/// Every operation of `openapi/orders.yaml`, `openapi/streaming.yaml` and
/// `openapi/lists.yaml` with its key policy.
static ROUTES: [RouteSpec; 17] = [
    spec(Method::POST, "/orders", KeyPolicy::Required),
    spec(Method::GET, "/orders/{order_id}", KeyPolicy::Ignored),
    spec(Method::PATCH, "/orders/{order_id}", KeyPolicy::Optional),
    spec(
        Method::POST,
        "/orders/{order_id}/cancel",
        KeyPolicy::Required,
    ),
    spec(
        Method::POST,
        "/orders/{order_id}/reservations",
        KeyPolicy::Required,
    ),
    spec(
        Method::DELETE,
        "/orders/{order_id}/reservations/{reservation_id}",
        KeyPolicy::Optional,
    ),
    spec(
        Method::POST,
        "/orders/{order_id}/payments",
        KeyPolicy::Required,
    ),
    spec(
        Method::POST,
        "/orders/{order_id}/payments/{payment_id}/void",
        KeyPolicy::Required,
    ),
    spec(
        Method::POST,
        "/orders/{order_id}/shipments",
        KeyPolicy::Required,
    ),
    spec(
        Method::GET,
        "/operations/{operation_id}",
        KeyPolicy::Ignored,
    ),
    spec(Method::GET, "/orders/export", KeyPolicy::Ignored),
    spec(Method::GET, "/orders/{order_id}/events", KeyPolicy::Ignored),
    // `openapi/lists.yaml`: the orders, paged five ways.
    spec(Method::GET, "/orders", KeyPolicy::Ignored),
    spec(Method::GET, "/orders/by-token", KeyPolicy::Ignored),
    spec(Method::GET, "/orders/by-link", KeyPolicy::Ignored),
    spec(Method::GET, "/orders/by-page", KeyPolicy::Ignored),
    spec(Method::GET, "/orders/by-offset", KeyPolicy::Ignored),
];

/// The contract operation for a method and matched route template.
pub(crate) fn lookup(method: &Method, template: &str) -> Option<&'static RouteSpec> {
    ROUTES
        .iter()
        .find(|spec| spec.method == method && spec.template == template)
}

/// The complete application: contract routes behind the pipeline, problem
/// details for unknown routes and methods, and the unlogged admin API.
pub(crate) fn build(state: ServerState) -> Router {
    let api = Router::new()
        .route("/orders", get(lists::stripe).post(orders::create))
        .route("/orders/by-token", get(lists::by_token))
        .route("/orders/by-link", get(lists::by_link))
        .route("/orders/by-page", get(lists::by_page))
        .route("/orders/by-offset", get(lists::by_offset))
        .route("/orders/{order_id}", get(orders::get).patch(orders::update))
        .route("/orders/export", get(export::export))
        .route("/orders/{order_id}/events", get(events::stream))
        .route("/orders/{order_id}/cancel", post(orders::cancel))
        .route("/orders/{order_id}/reservations", post(inventory::reserve))
        .route(
            "/orders/{order_id}/reservations/{reservation_id}",
            delete(inventory::release),
        )
        .route("/orders/{order_id}/payments", post(payments::authorize))
        .route(
            "/orders/{order_id}/payments/{payment_id}/void",
            post(payments::void),
        )
        .route("/orders/{order_id}/shipments", post(shipments::request))
        .route("/operations/{operation_id}", get(shipments::operation))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), pipeline::run));
    api.merge(admin::routes())
        .layer(DefaultBodyLimit::disable())
        .with_state(state)
}

async fn not_found() -> Problem {
    Problem::not_found("no such resource")
}

async fn method_not_allowed() -> Problem {
    Problem::method_not_allowed()
}

/// Path parameters; a malformed one yields a problem, never a plain-text
/// rejection.
pub(crate) struct PathIds(HashMap<String, String>);

impl PathIds {
    /// The UUID in parameter `name`; anything else is `404` (no such resource).
    pub(crate) fn uuid(&self, name: &str, what: &str) -> Result<Uuid, Problem> {
        let raw = self.0.get(name).map(String::as_str).unwrap_or_default();
        Uuid::parse_str(raw)
            .map_err(|_| Problem::not_found(&format!("{what} {raw:?} does not exist")))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PathIds {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map(|Path(ids)| PathIds(ids))
            .map_err(|err| Problem::not_found(&format!("invalid path: {err}")))
    }
}

/// Adds `Retry-After` (and `retry-after-ms` when configured) to a response.
pub(crate) fn with_retry_after(mut response: Response, state: &ServerState) -> Response {
    let config = state.config();
    let headers = response.headers_mut();
    headers.insert(
        axum::http::header::RETRY_AFTER,
        HeaderValue::from(config.retry_after_secs),
    );
    if let Some(ms) = config.retry_after_ms {
        headers.insert(
            HeaderName::from_static("retry-after-ms"),
            HeaderValue::from(ms),
        );
    }
    response
}

/// A JSON response with a status.
pub(crate) fn json<T: serde::Serialize>(status: axum::http::StatusCode, value: &T) -> Response {
    (status, axum::Json(value)).into_response()
}
