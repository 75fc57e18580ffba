//! The shared `Listing` on the wire: taking items and pages in turn, and
//! resuming from its cursor inside a page, never loses or repeats an item.

use oncely_bindings_common::{page_spec, PagesSpec};
use orders_server::{spawn, RunningServer, ServerConfig};
use serde_json::{json, Value};

const ORDERS: usize = 10;

async fn server_with_orders() -> (RunningServer, Vec<String>) {
    let server = spawn(ServerConfig::default()).await.unwrap();
    let client = oncely::Client::builder(server.base_url()).build().unwrap();
    let mut customers = Vec::new();
    for i in 0..ORDERS {
        let customer = format!("cus_{i:02}");
        client
            .post("/orders")
            .json(&json!({"customer_id": customer, "currency": "EUR",
                "items": [{"sku": "s", "quantity": 1}]}))
            .send_empty()
            .await
            .unwrap();
        customers.push(customer);
    }
    (server, customers)
}

fn customer(item: &Value) -> String {
    item["customer_id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn items_and_pages_in_turn_and_a_cursor_inside_a_page() {
    let (server, customers) = server_with_orders().await;
    let client = oncely::Client::builder(server.base_url()).build().unwrap();
    let spec = || page_spec(json!({"items": "", "style": "link_header"})).unwrap();
    let request = || client.get("/orders/by-link").query("per_page", 4);

    let listing = PagesSpec::default().open(request(), spec()).unwrap();
    assert_eq!(listing.cursor(), None);
    let mut taken = Vec::new();
    for _ in 0..2 {
        taken.push(customer(&listing.next_item().await.unwrap().unwrap()));
    }
    // The page asked for now is the rest of the first one.
    let rest = listing.next_page().await.unwrap().unwrap();
    assert_eq!((rest.number, rest.items.len()), (0, 2));
    taken.extend(rest.items.iter().map(customer));
    // One item of the second page, then the listing is left: its cursor
    // points at the second item of that page.
    taken.push(customer(&listing.next_item().await.unwrap().unwrap()));
    let token = listing.cursor().unwrap();
    drop(listing);

    let resumed = PagesSpec {
        cursor: Some(token),
        ..PagesSpec::default()
    }
    .open(request(), spec())
    .unwrap();
    while let Some(item) = resumed.next_item().await.unwrap() {
        taken.push(customer(&item));
    }
    assert_eq!(taken, customers);
    assert_eq!(resumed.cursor(), None);
    assert!(resumed.next_page().await.unwrap().is_none());
}
