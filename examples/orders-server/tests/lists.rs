//! The list endpoints of `openapi/lists.yaml`: each style's own parameters,
//! bodies and headers, and problems for parameters that cannot be used.

mod common;

use common::{client, create_order, server};
use serde_json::Value;

/// Five orders; their ids, oldest first.
async fn five(server: &orders_server::RunningServer) -> Vec<String> {
    let http = client();
    let mut ids = Vec::new();
    for i in 0..5 {
        let order = create_order(&http, server, &format!("k{i}")).await;
        ids.push(order["id"].as_str().unwrap().to_string());
    }
    ids
}

async fn get(
    server: &orders_server::RunningServer,
    path: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let response = client()
        .get(format!("{}{path}", server.base_url()))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.json().await.unwrap())
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn stripe_lists_page_forwards_and_backwards() {
    let server = server().await;
    let all = five(&server).await;
    let (status, _, body) = get(&server, "/orders?limit=2").await;
    assert_eq!(status, 200);
    assert_eq!(body["object"], "list");
    assert_eq!(body["url"], "/orders");
    assert_eq!(body["has_more"], true);
    assert_eq!(ids(&body["data"]), all[..2]);
    let (_, _, last) = get(
        &server,
        &format!("/orders?limit=2&starting_after={}", all[2]),
    )
    .await;
    assert_eq!(ids(&last["data"]), all[3..]);
    assert_eq!(last["has_more"], false);
    let (_, _, before) = get(
        &server,
        &format!("/orders?limit=2&ending_before={}", all[3]),
    )
    .await;
    assert_eq!(ids(&before["data"]), all[1..3]);
    assert_eq!(before["has_more"], true);
}

#[tokio::test]
async fn page_tokens_end_with_an_empty_token() {
    let server = server().await;
    let all = five(&server).await;
    let (_, _, first) = get(&server, "/orders/by-token?page_size=3").await;
    assert_eq!(ids(&first["orders"]), all[..3]);
    let token = first["next_page_token"].as_str().unwrap().to_string();
    assert!(!token.is_empty());
    let (_, _, second) = get(
        &server,
        &format!("/orders/by-token?page_size=3&page_token={token}"),
    )
    .await;
    assert_eq!(ids(&second["orders"]), all[3..]);
    assert_eq!(second["next_page_token"], "");
}

#[tokio::test]
async fn link_headers_name_next_last_prev_and_first() {
    let server = server().await;
    let all = five(&server).await;
    let base = server.base_url();
    let (_, headers, body) = get(&server, "/orders/by-link?per_page=2&page=2").await;
    assert_eq!(ids(&body), all[2..4]);
    let link = headers["link"].to_str().unwrap();
    for rel in [
        format!("<{base}/orders/by-link?per_page=2&page=1>; rel=\"prev\""),
        format!("<{base}/orders/by-link?per_page=2&page=3>; rel=\"next\""),
        format!("<{base}/orders/by-link?per_page=2&page=3>; rel=\"last\""),
        format!("<{base}/orders/by-link?per_page=2&page=1>; rel=\"first\""),
    ] {
        assert!(link.contains(&rel), "{rel} in {link}");
    }
    let (_, headers, _) = get(&server, "/orders/by-link?per_page=2&page=3").await;
    assert!(!headers["link"].to_str().unwrap().contains("rel=\"next\""));
}

#[tokio::test]
async fn pages_and_offsets_report_totals_and_next_urls() {
    let server = server().await;
    let all = five(&server).await;
    let (_, _, page) = get(&server, "/orders/by-page?page=2&per_page=2").await;
    assert_eq!(ids(&page["data"]), all[2..4]);
    assert_eq!(page["meta"]["total"], 5);
    let (_, _, past) = get(&server, "/orders/by-page?page=9&per_page=2").await;
    assert!(past["data"].as_array().unwrap().is_empty());
    let (_, _, offset) = get(&server, "/orders/by-offset?offset=1&limit=2").await;
    assert_eq!(ids(&offset["results"]), all[1..3]);
    assert_eq!(offset["count"], 5);
    assert_eq!(offset["next"], "/orders/by-offset?limit=2&offset=3");
    assert_eq!(offset["previous"], "/orders/by-offset?limit=2&offset=0");
    let (_, _, end) = get(&server, "/orders/by-offset?offset=5&limit=2").await;
    assert!(end["results"].as_array().unwrap().is_empty());
    assert_eq!(end["next"], Value::Null);
}

#[tokio::test]
async fn parameters_that_cannot_be_used_are_problems_naming_them() {
    let server = server().await;
    five(&server).await;
    for (path, parameter) in [
        ("/orders?limit=0", "limit"),
        ("/orders?limit=abc", "limit"),
        ("/orders?starting_after=nope", "starting_after"),
        (
            "/orders?starting_after=5f0c6b1e-0000-4000-8000-000000000000",
            "starting_after",
        ),
        ("/orders/by-token?page_token=zz", "page_token"),
        ("/orders/by-link?page=0", "page"),
        ("/orders/by-offset?limit=101", "limit"),
    ] {
        let (status, headers, body) = get(&server, path).await;
        assert_eq!(status, 400, "{path}");
        assert_eq!(headers["content-type"], "application/problem+json");
        assert_eq!(
            body["type"], "https://oncely.dev/problems/invalid-query",
            "{path}"
        );
        assert_eq!(body["parameter"], parameter, "{path}");
    }
}
