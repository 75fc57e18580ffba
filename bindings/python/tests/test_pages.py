"""Auto-pagination: ``Client.pages`` / ``AsyncClient.pages`` against the
reference server's list endpoints (``openapi/lists.yaml``)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from server import OrdersServer

import oncely

ORDERS = 25
SIZE = 4
FULL_PAGES = -(-ORDERS // SIZE)

STRIPE: dict[str, Any] = {
    "items": "data",
    "style": "last_item",
    "param": "starting_after",
    "id_field": "id",
    "has_more": "has_more",
}
BY_TOKEN: dict[str, Any] = {
    "items": "orders",
    "style": "body_cursor",
    "next": "next_page_token",
    "param": "page_token",
    "has_more": None,
}
BY_LINK: dict[str, Any] = {"items": "", "style": "link_header"}
BY_PAGE: dict[str, Any] = {
    "items": "data",
    "style": "page_number",
    "param": "page",
    "first": 1,
    "size_param": "per_page",
    "total": "meta.total",
}
BY_OFFSET: dict[str, Any] = {"items": "results", "style": "offset", "param": "offset"}
BY_NEXT_URL: dict[str, Any] = {"items": "results", "style": "next_url", "next": "next"}

#: (path, page size parameter, spec, requests it takes)
CASES = [
    ("/orders", "limit", STRIPE, FULL_PAGES),
    ("/orders/by-token", "page_size", BY_TOKEN, FULL_PAGES),
    ("/orders/by-link", "per_page", BY_LINK, FULL_PAGES),
    ("/orders/by-page", "per_page", BY_PAGE, FULL_PAGES),
    # Nothing tells the end but an empty page.
    ("/orders/by-offset", "limit", BY_OFFSET, FULL_PAGES + 1),
    ("/orders/by-offset", "limit", BY_NEXT_URL, FULL_PAGES),
]


def fast_retry() -> oncely.RetryPolicy:
    return oncely.RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.01)


def seeded(server: OrdersServer) -> list[str]:
    """``ORDERS`` orders on a reset server; their customer ids, in creation order."""
    server.reset()
    client = oncely.Client(server.base_url)
    customers = [f"cus_{i:02}" for i in range(ORDERS)]
    for customer in customers:
        client.post(
            "/orders",
            json={"customer_id": customer, "currency": "EUR", "items": [{"sku": "s", "quantity": 1}]},
        )
    return customers


def queries(server: OrdersServer, path: str) -> list[str]:
    return [r.get("query") or "" for r in server.requests() if r["path"] == path and r["method"] == "GET"]


@pytest.mark.parametrize(("path", "size_param", "spec", "requests"), CASES)
def test_every_style_yields_every_item_once_in_order(
    server: OrdersServer, path: str, size_param: str, spec: dict[str, Any], requests: int
) -> None:
    customers = seeded(server)
    client = oncely.Client(server.base_url, retry=fast_retry())
    pages = client.pages("GET", path, spec, params={size_param: SIZE})
    assert pages.cursor is None
    seen: list[str] = []
    numbers: list[int] = []
    for page in pages:
        assert page.status == 200
        numbers.append(page.number)
        seen.extend(item["customer_id"] for item in page.items)
    assert seen == customers
    assert numbers == list(range(requests))
    assert pages.cursor is None
    assert pages.next_page() is None
    sent = queries(server, path)
    assert len(sent) == requests
    assert len(set(sent)) == len(sent), sent


def test_items_cross_pages_and_a_503_on_page_two_is_retried(server: OrdersServer) -> None:
    customers = seeded(server)
    server.add_faults([{"route": "GET /orders/by-token", "nth": 2, "fault": {"kind": "status", "code": 503}}])
    client = oncely.Client(server.base_url, retry=fast_retry())
    items = list(client.pages("GET", "/orders/by-token", BY_TOKEN, params={"page_size": SIZE}).items())
    assert [item["customer_id"] for item in items] == customers
    log = [r for r in server.requests() if r["path"] == "/orders/by-token"]
    assert len(log) == FULL_PAGES + 1
    assert log[1]["status"] == 503
    assert log[1].get("query") == log[2].get("query")


def test_limits_stop_early_and_the_cursor_resumes_without_loss(server: OrdersServer) -> None:
    customers = seeded(server)
    client = oncely.Client(server.base_url, retry=fast_retry())

    pages = client.pages("GET", "/orders/by-link", BY_LINK, params={"per_page": SIZE}, max_pages=2)
    assert sum(len(page) for page in pages) == 2 * SIZE
    assert len(queries(server, "/orders/by-link")) == 2

    before = len(queries(server, "/orders/by-link"))
    first = client.pages("GET", "/orders/by-link", BY_LINK, params={"per_page": SIZE}, max_items=6)
    taken = [item["customer_id"] for item in first.items()]
    assert taken == customers[:6]
    token = first.cursor
    assert token is not None
    # Another process, later: the token alone continues, inside the cut page.
    rest = client.pages("GET", "/orders/by-link", BY_LINK, params={"per_page": SIZE}, cursor=token)
    taken += [item["customer_id"] for item in rest.items()]
    assert taken == customers
    assert len(queries(server, "/orders/by-link")) - before == 2 + FULL_PAGES - 1


def test_pages_and_items_share_one_position(server: OrdersServer) -> None:
    customers = seeded(server)
    client = oncely.Client(server.base_url)
    pages = client.pages("GET", "/orders", STRIPE, params={"limit": SIZE})
    items = pages.items()
    taken = [next(items)["customer_id"], next(items)["customer_id"]]
    # The page asked for now is the rest of the one the items came from.
    rest = pages.next_page()
    assert rest is not None and rest.number == 0
    taken += [item["customer_id"] for item in rest.items]
    taken += [item["customer_id"] for item in items]
    assert taken == customers
    assert len(queries(server, "/orders")) == FULL_PAGES


def test_async_pages_and_items(server: OrdersServer) -> None:
    customers = seeded(server)

    async def run() -> tuple[list[str], list[str], str | None]:
        client = oncely.AsyncClient(server.base_url, retry=fast_retry())
        by_page: list[str] = []
        pages = client.pages("GET", "/orders/by-page", BY_PAGE, params={"per_page": SIZE}, max_pages=3)
        async for page in pages:
            by_page.extend(item["customer_id"] for item in page.items)
        cursor = pages.cursor
        by_item = [
            item["customer_id"]
            async for item in client.pages(
                "GET", "/orders/by-offset", BY_NEXT_URL, params={"limit": SIZE}, cursor=None
            ).items()
        ]
        rest = client.pages("GET", "/orders/by-page", BY_PAGE, params={"per_page": SIZE}, cursor=cursor)
        while (more := await rest.next_page()) is not None:
            by_page.extend(item["customer_id"] for item in more.items)
        return by_page, by_item, rest.cursor

    by_page, by_item, end = asyncio.run(run())
    assert by_page == customers
    assert by_item == customers
    assert end is None
    assert len(queries(server, "/orders/by-page")) == FULL_PAGES


def test_bad_input_is_refused_before_anything_is_sent(server: OrdersServer) -> None:
    server.reset()
    client = oncely.Client(server.base_url)
    with pytest.raises(oncely.InvalidInputError, match="`next`"):
        client.pages("GET", "/orders/by-token", {**BY_TOKEN, "next": ""})
    with pytest.raises(oncely.InvalidInputError, match="has_mor"):
        client.pages("GET", "/orders/by-token", {**BY_TOKEN, "has_mor": "x"})
    with pytest.raises(oncely.InvalidInputError, match="page cursor token"):
        client.pages("GET", "/orders/by-token", BY_TOKEN, cursor="nope")
    with pytest.raises(oncely.InvalidInputError, match="max_pages"):
        client.pages("GET", "/orders/by-token", BY_TOKEN, max_pages=-1)
    # A call option the stubs leave out (one key cannot serve every page).
    one_intent: dict[str, Any] = {"intent_id": "one"}
    with pytest.raises(oncely.InvalidInputError, match="intent id"):
        client.pages("POST", "/orders/search", BY_TOKEN, **one_intent).next_page()
    assert server.requests() == []


def test_a_page_whose_items_are_not_an_array_is_a_protocol_error(server: OrdersServer) -> None:
    seeded(server)
    body = '{"orders": {"id": "o_1"}, "next_page_token": "x"}'
    fault = {"kind": "status", "code": 200, "body": body, "content_type": "application/json"}
    server.add_faults([{"route": "GET /orders/by-token", "nth": 2, "fault": fault}])
    client = oncely.Client(server.base_url)
    pages = client.pages("GET", "/orders/by-token", BY_TOKEN, params={"page_size": SIZE})
    assert len(next(pages)) == SIZE
    with pytest.raises(oncely.ProtocolError, match=r"page 1 of GET /orders/by-token.*`orders`"):
        next(pages)
