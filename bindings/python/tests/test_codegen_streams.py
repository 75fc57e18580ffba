"""`oncely generate --lang python` on ``openapi/streaming.yaml`` (which takes
its components from ``orders.yaml`` in another file): streamed answers become
typed streams — server-sent events whose ``data`` is the contract's
``OrderEvent``, and JSON lines of ``Order`` — read through the core, sync and
asyncio, and the generated code passes ``mypy --strict``."""

from __future__ import annotations

import asyncio
import importlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from server import REPO, OrdersServer
from test_codegen import generate

import oncely
import oncely.webhooks

PACKAGE = "streams_client"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("streams")
    generate(REPO / "openapi" / "streaming.yaml", out, PACKAGE)
    sys.path.insert(0, str(out))
    try:
        yield out
    finally:
        sys.path.remove(str(out))


@pytest.fixture(scope="module")
def api(generated: Path) -> ModuleType:
    return importlib.import_module(PACKAGE)


@pytest.fixture(scope="module")
def streaming() -> Iterator[OrdersServer]:
    with OrdersServer("--stream-retry-ms", "1") as s:
        yield s


def test_generated_streaming_client_passes_mypy_strict(generated: Path) -> None:
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", PACKAGE], cwd=generated, capture_output=True, text=True
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr


def cancelled_order(c: oncely.Client, order: dict[str, Any]) -> str:
    oid = str(c.post("/orders", json=order).json()["id"])
    c.post(f"/orders/{oid}/reservations", json={})
    c.post(f"/orders/{oid}/cancel", json={})
    return oid


def test_events_are_typed_and_survive_a_cut(
    api: ModuleType, streaming: OrdersServer, order: dict[str, Any]
) -> None:
    streaming.reset()
    c = oncely.Client(streaming.base_url, retry=oncely.RetryPolicy(max_attempts=3, base_delay=0.001))
    oid = cancelled_order(c, order)
    client = api.OncelyOrdersApiStreamedAnswersClient(client=c)
    with client.stream_order_events(oid) as events:
        whole = list(events)
    assert [e.data.order_id for e in whole] == [oid] * 3
    assert isinstance(whole[0].data, api.OrderEvent)
    assert whole[-1].data.order_status == api.OrderStatus.CANCELLED
    # A cut after the first event: the core reconnects after its id.
    streaming.add_faults(
        [{"route": "GET /orders/{order_id}/events", "fault": {"kind": "cut_stream", "after": 1}}]
    )
    again = list(client.stream_order_events(oid))
    assert [e.id for e in again] == [e.id for e in whole]
    routes = [r for r in streaming.requests() if r["route"] == "GET /orders/{order_id}/events"]
    assert routes[-1]["last_event_id"] == whole[0].id


def test_json_lines_are_typed_items(api: ModuleType, streaming: OrdersServer, order: dict[str, Any]) -> None:
    streaming.reset()
    c = oncely.Client(streaming.base_url)
    ids = [str(c.post("/orders", json=order).json()["id"]) for _ in range(3)]
    client = api.OncelyOrdersApiStreamedAnswersClient(client=c)
    with client.export_orders() as lines:
        orders = list(lines)
    assert [o.id for o in orders] == ids
    assert all(isinstance(o, api.Order) for o in orders)


def test_asyncio_streams(api: ModuleType, streaming: OrdersServer, order: dict[str, Any]) -> None:
    streaming.reset()
    oid = cancelled_order(oncely.Client(streaming.base_url), order)

    async def main() -> list[Any]:
        client = api.AsyncOncelyOrdersApiStreamedAnswersClient(streaming.base_url)
        async with await client.stream_order_events(oid) as events:
            return [e async for e in events]

    got = asyncio.run(main())
    assert got[0].data.kind == api.ChangeKind.ORDER_CREATED
    assert got[-1].data.order_status == api.OrderStatus.CANCELLED


def test_generated_webhook_receiver_verifies_and_decodes(tmp_path: Path) -> None:
    """``openapi/webhooks.yaml``: ``handle_webhook`` verifies a Standard
    Webhooks signature through the core and returns the typed event."""
    generate(REPO / "openapi" / "webhooks.yaml", tmp_path, "hooks_client")
    sys.path.insert(0, str(tmp_path))
    try:
        hooks = importlib.import_module("hooks_client.webhooks")
        models = importlib.import_module("hooks_client.models")
    finally:
        sys.path.remove(str(tmp_path))
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "hooks_client"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    order: dict[str, Any] = {
        "id": "5f0c6f1e-1b7e-4c55-9a55-1f7c3e1d2a10",
        "customer_id": "cus_1",
        "items": [{"sku": "sku-1", "quantity": 1}],
        "currency": "EUR",
        "status": "cancelled",
        "note": None,
        "metadata": {},
        "version": 2,
        "created_at": "2026-12-07T10:00:00Z",
        "updated_at": "2026-12-07T10:00:01Z",
        "cancelled_at": "2026-12-07T10:00:01Z",
        "cancellation_reason": None,
    }
    body = json.dumps({"id": "evt_1", "type": "order.canceled", "data": order}).encode()
    now = int(time.time())
    headers = {
        "webhook-id": "evt_1",
        "webhook-timestamp": str(now),
        "webhook-signature": oncely.webhooks.sign_standard(secret, "evt_1", now, body),
    }
    event_id, event = hooks.handle_webhook(headers, body, secret=secret)
    assert event_id == "evt_1"
    assert isinstance(event, hooks.OrderCanceled)
    assert isinstance(event.payload, models.OrderCanceledEvent)
    with pytest.raises(oncely.WebhookError):
        hooks.handle_webhook(headers, body + b" ", secret=secret)
    with pytest.raises(oncely.DecodeError):
        hooks.decode_webhook(b'{"type": "order.exploded"}')
