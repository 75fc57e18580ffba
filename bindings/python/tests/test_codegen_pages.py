"""`oncely generate --lang python` on ``openapi/lists.yaml``: every list
operation gets a ``…_pages`` method that pages through the reference
server's orders in its own style (Stripe's last item, ``Link`` headers, a
next URL, ``x-pagination`` page numbers, a next-page token), with typed
items, limits and a resumable cursor, sync and asyncio; the generated code
passes ``mypy --strict``."""

from __future__ import annotations

import asyncio
import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from server import REPO, OrdersServer
from test_codegen import generate

import oncely

PACKAGE = "lists_client"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("lists")
    generate(REPO / "openapi" / "lists.yaml", out, PACKAGE)
    sys.path.insert(0, str(out))
    try:
        yield out
    finally:
        sys.path.remove(str(out))


@pytest.fixture(scope="module")
def api(generated: Path) -> ModuleType:
    return importlib.import_module(PACKAGE)


@pytest.fixture(scope="module")
def orders(server: OrdersServer) -> list[str]:
    server.reset()
    c = oncely.Client(server.base_url)
    body = {"customer_id": "cus_p", "currency": "EUR", "items": [{"sku": "sku-1", "quantity": 1}]}
    return [str(c.post("/orders", json=body).json()["id"]) for _ in range(17)]


def test_generated_list_client_passes_mypy_strict(generated: Path) -> None:
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", PACKAGE], cwd=generated, capture_output=True, text=True
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr


def test_every_style_yields_every_item_once_in_order(
    api: ModuleType, server: OrdersServer, orders: list[str]
) -> None:
    client = api.OncelyOrdersApiListsClient(server.base_url)
    styles = {
        "last item": client.list_orders_pages(limit=4),
        "Link": client.list_orders_by_link_pages(per_page=4),
        "next URL": client.list_orders_by_offset_pages(limit=4),
        "x-pagination": client.list_orders_by_page_pages(per_page=4),
        "token": client.list_orders_by_token_pages(page_size=4),
    }
    for style, pages in styles.items():
        items = list(pages.items())
        assert [o.id for o in items] == orders, style
        assert all(isinstance(o, api.Order) for o in items), style


def test_limits_and_a_resumed_reader(api: ModuleType, server: OrdersServer, orders: list[str]) -> None:
    client = api.OncelyOrdersApiListsClient(server.base_url)
    assert len(list(client.list_orders_by_token_pages(page_size=4, max_items=6).items())) == 6
    assert len(list(client.list_orders_by_token_pages(page_size=4, max_pages=2))) == 2
    pages = client.list_orders_by_token_pages(page_size=4)
    first = next(iter(pages))
    cursor = pages.cursor
    assert cursor is not None and first.next_cursor == cursor
    rest = [o.id for o in client.list_orders_by_token_pages(page_size=4, resume_from=cursor).items()]
    assert [o.id for o in first.items] + rest == orders


def test_asyncio_pages(api: ModuleType, server: OrdersServer, orders: list[str]) -> None:
    async def main() -> list[Any]:
        client = api.AsyncOncelyOrdersApiListsClient(server.base_url)
        return [o.id async for o in client.list_orders_pages(limit=5).items()]

    assert asyncio.run(main()) == orders
