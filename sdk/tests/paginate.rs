//! Auto-pagination on the wire: the reference server's five list endpoints
//! (`openapi/lists.yaml`), paged in every style, with faults, limits, resumed
//! cursors, links to another origin and servers that loop.

use std::time::Duration;

use futures::TryStreamExt;
use oncely::paginate::{PageCursor, PagePosition, PageSpec, PageStyle, Pages};
use oncely::{Client, Error, RetryPolicy};
use orders_server::{
    spawn, spawn_with_state, Fault, FaultRule, Outcome, RunningServer, ServerConfig,
};
use serde::Deserialize;
use serde_json::json;

/// How many orders every test lists.
const ORDERS: usize = 25;
/// The page size every test asks for.
const SIZE: usize = 4;
/// `ceil(ORDERS / SIZE)`: the pages that hold the orders.
const FULL_PAGES: usize = ORDERS.div_ceil(SIZE);

#[derive(Debug, Clone, Deserialize, PartialEq)]
struct Order {
    id: String,
    customer_id: String,
}

fn client(server: &RunningServer) -> Client {
    Client::builder(server.base_url())
        .retry_policy(
            RetryPolicy::default()
                .base_delay(Duration::from_millis(1))
                .max_delay(Duration::from_millis(5)),
        )
        .build()
        .unwrap()
}

/// A server holding `ORDERS` orders; their customer ids, in creation order.
async fn server_with_orders(config: ServerConfig) -> (RunningServer, Vec<String>) {
    let server = spawn(config).await.unwrap();
    let customers = seed(&server).await;
    (server, customers)
}

async fn seed(server: &RunningServer) -> Vec<String> {
    let client = client(server);
    let mut customers = Vec::new();
    for i in 0..ORDERS {
        let customer = format!("cus_{i:02}");
        client
            .post("/orders")
            .json(&json!({"customer_id": customer, "currency": "EUR",
                "items": [{"sku": "sku-1", "quantity": 1}]}))
            .send_empty()
            .await
            .unwrap();
        customers.push(customer);
    }
    customers
}

/// Where the server's request log ends now: [`queries`] counts from here.
fn mark(server: &RunningServer) -> usize {
    server.requests().len()
}

/// The queries of the requests the server received on `path` since `mark`,
/// in order.
fn queries(server: &RunningServer, path: &str, mark: usize) -> Vec<String> {
    server
        .requests()
        .into_iter()
        .skip(mark)
        .filter(|r| r.path == path)
        .map(|r| r.query.unwrap_or_default())
        .collect()
}

fn stripe() -> PageSpec {
    PageSpec::new(
        "data",
        PageStyle::LastItem {
            param: "starting_after".into(),
            id_field: "id".into(),
            has_more: "has_more".into(),
        },
    )
}

fn by_token() -> PageSpec {
    PageSpec::new(
        "orders",
        PageStyle::BodyCursor {
            next: "next_page_token".into(),
            param: "page_token".into(),
            has_more: None,
        },
    )
}

fn by_link() -> PageSpec {
    PageSpec::new("", PageStyle::LinkHeader)
}

fn by_offset_url() -> PageSpec {
    PageSpec::new(
        "results",
        PageStyle::NextUrl {
            next: "next".into(),
        },
    )
}

/// One listing: the path, the page size's query parameter, the spec, and
/// how many requests it takes.
struct Case {
    name: &'static str,
    path: &'static str,
    size_param: &'static str,
    spec: PageSpec,
    requests: usize,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "last item (Stripe)",
            path: "/orders",
            size_param: "limit",
            spec: stripe(),
            requests: FULL_PAGES,
        },
        Case {
            name: "body cursor",
            path: "/orders/by-token",
            size_param: "page_size",
            spec: by_token(),
            requests: FULL_PAGES,
        },
        Case {
            name: "link header (GitHub)",
            path: "/orders/by-link",
            size_param: "per_page",
            spec: by_link(),
            requests: FULL_PAGES,
        },
        Case {
            // No page size known: the total ends the listing.
            name: "page numbers with a total",
            path: "/orders/by-page",
            size_param: "per_page",
            spec: PageSpec::new(
                "data",
                PageStyle::PageNumber {
                    param: "page".into(),
                    first: 1,
                    size_param: None,
                    total: Some("meta.total".into()),
                },
            ),
            requests: FULL_PAGES,
        },
        Case {
            // Nothing but an empty page ends it.
            name: "page numbers, empty last page",
            path: "/orders/by-page",
            size_param: "per_page",
            spec: PageSpec::new(
                "data",
                PageStyle::PageNumber {
                    param: "page".into(),
                    first: 1,
                    size_param: None,
                    total: None,
                },
            ),
            requests: FULL_PAGES + 1,
        },
        Case {
            name: "offsets, empty last page",
            path: "/orders/by-offset",
            size_param: "limit",
            spec: PageSpec::new(
                "results",
                PageStyle::Offset {
                    param: "offset".into(),
                    limit_param: None,
                    total: None,
                },
            ),
            requests: FULL_PAGES + 1,
        },
        Case {
            // The short last page ends it.
            name: "offsets with the limit known",
            path: "/orders/by-offset",
            size_param: "limit",
            spec: PageSpec::new(
                "results",
                PageStyle::Offset {
                    param: "offset".into(),
                    limit_param: Some("limit".into()),
                    total: None,
                },
            ),
            requests: FULL_PAGES,
        },
        Case {
            name: "next URL (a relative reference)",
            path: "/orders/by-offset",
            size_param: "limit",
            spec: by_offset_url(),
            requests: FULL_PAGES,
        },
    ]
}

#[tokio::test]
async fn every_style_yields_every_item_exactly_once_in_order() {
    let (server, customers) = server_with_orders(ServerConfig::default()).await;
    let client = client(&server);
    for case in cases() {
        let since = mark(&server);
        let mut pages = client
            .get(case.path)
            .query(case.size_param, SIZE)
            .pages::<Order>(case.spec.clone());
        let mut seen = Vec::new();
        let mut numbers = Vec::new();
        while let Some(page) = pages.next_page().await.unwrap() {
            assert_eq!(page.status, 200);
            numbers.push(page.number);
            seen.extend(page.items.into_iter().map(|o| o.customer_id));
        }
        assert_eq!(seen, customers, "{}", case.name);
        assert!(pages.cursor().is_none(), "{}: ended", case.name);
        let sent = queries(&server, case.path, since);
        assert_eq!(sent.len(), case.requests, "{}: {sent:?}", case.name);
        assert_eq!(numbers, (0..case.requests as u64).collect::<Vec<_>>());
        // Every page was asked for once, and nothing after the end.
        let distinct: std::collections::HashSet<_> = sent.iter().collect();
        assert_eq!(distinct.len(), sent.len(), "{}: {sent:?}", case.name);
        assert!(pages.next_page().await.unwrap().is_none());
        assert_eq!(queries(&server, case.path, since).len(), case.requests);
    }
}

#[tokio::test]
async fn the_page_parameter_replaces_the_callers_value() {
    let (server, customers) = server_with_orders(ServerConfig::default()).await;
    let since = mark(&server);
    // The call starts at page 2; later pages replace `page`, never repeat it.
    let spec = PageSpec::new(
        "data",
        PageStyle::PageNumber {
            param: "page".into(),
            first: 1,
            size_param: Some("per_page".into()),
            total: None,
        },
    );
    let items: Vec<Order> = client(&server)
        .get("/orders/by-page")
        .query("page", 2)
        .query("per_page", SIZE)
        .pages(spec)
        .into_items()
        .try_collect()
        .await
        .unwrap();
    let names: Vec<_> = items.into_iter().map(|o| o.customer_id).collect();
    assert_eq!(names, customers[SIZE..]);
    let sent = queries(&server, "/orders/by-page", since);
    assert_eq!(sent[0], "page=2&per_page=4");
    assert_eq!(sent[1], "per_page=4&page=3");
    assert_eq!(sent.len(), FULL_PAGES - 1);
}

#[tokio::test]
async fn a_503_on_page_two_is_retried() {
    let (server, customers) = server_with_orders(ServerConfig::default()).await;
    let since = mark(&server);
    server.add_fault(FaultRule::new("GET /orders/by-token", Fault::status(503)).nth(2));
    let items: Vec<Order> = client(&server)
        .get("/orders/by-token")
        .query("page_size", SIZE)
        .pages(by_token())
        .into_items()
        .try_collect()
        .await
        .unwrap();
    let names: Vec<_> = items.into_iter().map(|o| o.customer_id).collect();
    assert_eq!(names, customers);
    let log: Vec<_> = server
        .requests()
        .into_iter()
        .skip(since)
        .filter(|r| r.path == "/orders/by-token")
        .collect();
    assert_eq!(log.len(), FULL_PAGES + 1, "{log:?}");
    assert_eq!(log[1].status, Outcome::Status(503));
    // The retry asked for the same page again.
    assert_eq!(log[1].query, log[2].query);
    assert!(log[1].idempotency_key.is_none(), "a GET has no key");
}

#[tokio::test]
async fn limits_stop_early_and_the_cursor_continues_without_loss() {
    let (server, customers) = server_with_orders(ServerConfig::default()).await;
    let since = mark(&server);
    let client = client(&server);
    let list = || {
        client
            .get("/orders/by-link")
            .query("per_page", SIZE)
            .pages::<Order>(by_link())
    };

    let mut pages = list().max_pages(2);
    let mut seen = Vec::new();
    while let Some(page) = pages.next_page().await.unwrap() {
        seen.extend(page.items);
    }
    assert_eq!(seen.len(), 2 * SIZE);
    assert_eq!(queries(&server, "/orders/by-link", since).len(), 2);
    assert_eq!(pages.cursor().map(PageCursor::page_number), Some(2));

    // Six items: the second page is cut after two; the cursor points at the
    // rest of that page.
    let since = mark(&server);
    let mut pages = list().max_items(6);
    let mut first = Vec::new();
    while let Some(page) = pages.next_page().await.unwrap() {
        first.extend(page.items);
    }
    assert_eq!(first.len(), 6);
    assert_eq!(queries(&server, "/orders/by-link", since).len(), 2);
    let cursor = pages.cursor().cloned().unwrap();
    assert_eq!((cursor.page_number(), cursor.skip()), (1, 2));

    let rest: Vec<Order> = list()
        .resume_from(cursor)
        .into_items()
        .try_collect()
        .await
        .unwrap();
    let names: Vec<_> = first
        .into_iter()
        .chain(rest)
        .map(|o| o.customer_id)
        .collect();
    assert_eq!(names, customers, "nothing lost, nothing twice");
    assert_eq!(
        queries(&server, "/orders/by-link", since).len(),
        2 + FULL_PAGES - 1,
        "only the cut page was asked for again"
    );

    // A limit of zero asks for nothing.
    let since = mark(&server);
    assert!(list().max_items(0).next_page().await.unwrap().is_none());
    assert!(queries(&server, "/orders/by-link", since).is_empty());
}

#[tokio::test]
async fn a_cursor_taken_after_page_two_resumes_at_page_three() {
    let (server, customers) = server_with_orders(ServerConfig::default()).await;
    let client = client(&server);
    for (path, size_param, spec) in [
        ("/orders/by-token", "page_size", by_token()),
        ("/orders", "limit", stripe()),
        ("/orders/by-link", "per_page", by_link()),
        ("/orders/by-offset", "limit", by_offset_url()),
    ] {
        let since = mark(&server);
        let list = || {
            client
                .get(path)
                .query(size_param, SIZE)
                .pages::<Order>(spec.clone())
        };
        let mut pages = list();
        let mut seen = Vec::new();
        for _ in 0..2 {
            seen.extend(pages.next_page().await.unwrap().unwrap().items);
        }
        let token = pages.cursor().unwrap().to_token();
        drop(pages);

        // Another process, later: only the token is kept.
        let cursor = PageCursor::from_token(&token).unwrap();
        assert_eq!(cursor.page_number(), 2);
        assert_eq!(cursor.items_before(), 2 * SIZE as u64);
        let mut pages = list().resume_from(cursor);
        let third = pages.next_page().await.unwrap().unwrap();
        assert_eq!(third.number, 2);
        seen.extend(third.items);
        while let Some(page) = pages.next_page().await.unwrap() {
            seen.extend(page.items);
        }
        let names: Vec<_> = seen.into_iter().map(|o| o.customer_id).collect();
        assert_eq!(names, customers, "{path}");
        let sent = queries(&server, path, since);
        assert_eq!(
            sent.len(),
            FULL_PAGES,
            "{path}: nothing fetched twice: {sent:?}"
        );
        let distinct: std::collections::HashSet<_> = sent.iter().collect();
        assert_eq!(distinct.len(), sent.len(), "{path}: {sent:?}");
    }
}

#[tokio::test]
async fn a_next_link_to_another_origin_is_never_followed() {
    // `elsewhere` serves the same orders on another port; `server`'s next
    // links point at it.
    let elsewhere = spawn(ServerConfig::default()).await.unwrap();
    let server = spawn_with_state(elsewhere.state().sibling(ServerConfig {
        list_link_base: Some(elsewhere.base_url()),
        ..ServerConfig::default()
    }))
    .await
    .unwrap();
    seed(&server).await;
    let since = mark(&server);
    let client = Client::builder(server.base_url())
        .bearer_token("sk_secret")
        .build()
        .unwrap();
    for (path, size_param, spec) in [
        ("/orders/by-link", "per_page", by_link()),
        ("/orders/by-offset", "limit", by_offset_url()),
    ] {
        let mut pages = client
            .get(path)
            .query(size_param, SIZE)
            .pages::<Order>(spec);
        let first = pages.next_page().await.unwrap().unwrap();
        assert_eq!(first.items.len(), SIZE);
        assert!(first.next.is_none());
        for _ in 0..2 {
            let e = pages.next_page().await.unwrap_err();
            assert!(matches!(e, Error::Protocol { .. }), "{path}: {e}");
            let text = e.to_string();
            assert!(text.contains("another origin"), "{text}");
            assert!(text.contains(&elsewhere.base_url()), "{text}");
        }
        assert_eq!(queries(&server, path, since).len(), 1);
    }

    // A cursor (a token from anywhere) naming another origin is refused too.
    let cursor = PageCursor::from_token(&forged_token(PagePosition::Url(format!(
        "{}/orders/by-link?page=2",
        elsewhere.base_url()
    ))))
    .unwrap();
    let e = client
        .get("/orders/by-link")
        .pages::<Order>(by_link())
        .resume_from(cursor)
        .next_page()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("another origin"), "{e}");
    assert!(
        elsewhere.requests().is_empty(),
        "{:?}",
        elsewhere.requests()
    );
}

/// A token as another process would write one, for `position`.
fn forged_token(position: PagePosition) -> String {
    use base64::Engine;
    let json = json!({"v": 1, "position": position, "page": 1, "items_before": 4});
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json.to_string())
}

#[tokio::test]
async fn a_server_repeating_its_cursor_is_an_error_not_a_loop() {
    let (server, _) = server_with_orders(ServerConfig::default()).await;
    let since = mark(&server);
    server.add_fault(
        FaultRule::new(
            "GET /orders/by-token",
            Fault::Status {
                code: 200,
                retry_after: None,
                retry_after_ms: None,
                should_retry: None,
                body: Some(
                    json!({"orders": [{"id": "o_1", "customer_id": "c"}], "next_page_token": "abc"})
                        .to_string(),
                ),
                content_type: Some("application/json".into()),
            },
        )
        .every(),
    );
    let mut pages = client(&server)
        .get("/orders/by-token")
        .pages::<Order>(by_token());
    assert_eq!(pages.next_page().await.unwrap().unwrap().items.len(), 1);
    // The second page, asked for with `abc`, says `abc` again: returned, and
    // the listing stops there.
    let second = pages.next_page().await.unwrap().unwrap();
    assert!(second.next.is_none());
    let e = pages.next_page().await.unwrap_err();
    assert!(matches!(e, Error::Protocol { .. }), "{e}");
    assert!(e.to_string().contains("same cursor twice"), "{e}");
    assert!(
        e.to_string().contains("page 1 of GET /orders/by-token"),
        "{e}"
    );
    assert_eq!(
        queries(&server, "/orders/by-token", since),
        ["", "page_token=abc"],
        "no third request"
    );
}

#[tokio::test]
async fn items_that_are_not_an_array_name_the_path_and_page() {
    let (server, _) = server_with_orders(ServerConfig::default()).await;
    server.add_fault(
        FaultRule::new(
            "GET /orders/by-token",
            Fault::Status {
                code: 200,
                retry_after: None,
                retry_after_ms: None,
                should_retry: None,
                body: Some(json!({"orders": {"id": "o_1"}, "next_page_token": "x"}).to_string()),
                content_type: Some("application/json".into()),
            },
        )
        .nth(2),
    );
    let result: Result<Vec<Order>, Error> = client(&server)
        .get("/orders/by-token")
        .query("page_size", SIZE)
        .pages(by_token())
        .into_items()
        .try_collect()
        .await;
    let e = result.unwrap_err();
    assert!(matches!(e, Error::Protocol { .. }), "{e}");
    let text = e.to_string();
    assert!(text.contains("page 1 of GET /orders/by-token"), "{text}");
    assert!(text.contains("`orders`"), "{text}");
    assert!(text.contains("should be an array, not an object"), "{text}");

    // Items that are not `T`: the error names the item, the page and the field.
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Numbered {
        id: u64,
    }
    let e = client(&server)
        .get("/orders/by-link")
        .pages::<Numbered>(by_link())
        .next_page()
        .await
        .unwrap_err();
    match e {
        Error::Decode { what, path, .. } => {
            assert_eq!(what, "item 0 of page 0 of GET /orders/by-link");
            assert_eq!(path, "id");
        }
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn mistakes_are_reported_before_any_request() {
    let (server, _) = server_with_orders(ServerConfig::default()).await;
    let since = mark(&server);
    let client = client(&server);
    let first = |pages: Pages<Order>| async move {
        let mut pages = pages;
        pages.next_page().await.unwrap_err()
    };
    let bad_spec = PageSpec::new(
        "data",
        PageStyle::BodyCursor {
            next: "".into(),
            param: "cursor".into(),
            has_more: None,
        },
    );
    let e = first(client.get("/orders/by-token").pages(bad_spec)).await;
    assert!(e.to_string().contains("`next`"), "{e}");
    let e = first(
        client
            .post("/orders/search")
            .intent_id("one-intent")
            .pages(by_token()),
    )
    .await;
    assert!(e.to_string().contains("intent id"), "{e}");
    let cursor = PageCursor::from_token(&forged_token(PagePosition::Query {
        param: "cursor".into(),
        value: "x".into(),
    }))
    .unwrap();
    let e = first(
        client
            .get("/orders/by-token")
            .pages(by_token())
            .resume_from(cursor),
    )
    .await;
    assert!(e.to_string().contains("`page_token`"), "{e}");
    assert_eq!(mark(&server), since, "{:?}", server.requests());
}

#[tokio::test]
async fn the_x_pagination_of_lists_yaml_is_a_page_spec_that_pages() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../openapi/lists.yaml"
    ))
    .unwrap();
    let document: serde_json::Value = serde_yaml::from_str(&text).unwrap();
    let declared = &document["paths"]["/orders/by-page"]["get"]["x-pagination"];
    let spec = PageSpec::from_json(&declared.to_string()).unwrap();
    assert_eq!(spec.style_name(), "page_number");

    let (server, customers) = server_with_orders(ServerConfig::default()).await;
    let since = mark(&server);
    let items: Vec<Order> = client(&server)
        .get("/orders/by-page")
        .query("per_page", SIZE)
        .pages(spec)
        .into_items()
        .try_collect()
        .await
        .unwrap();
    let names: Vec<_> = items.into_iter().map(|o| o.customer_id).collect();
    assert_eq!(names, customers);
    assert_eq!(queries(&server, "/orders/by-page", since).len(), FULL_PAGES);
}
