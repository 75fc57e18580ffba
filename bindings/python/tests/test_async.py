"""The asyncio client."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from server import OrdersServer

import oncely

pytestmark = pytest.mark.asyncio


def client(server: OrdersServer, **options: Any) -> oncely.AsyncClient:
    options.setdefault("retry", oncely.RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.01))
    return oncely.AsyncClient(server.base_url, **options)


async def test_create_read_and_problem(fresh: OrdersServer, order: dict[str, Any]) -> None:
    async with client(fresh) as c:
        created = await c.post("/orders", json=order)
        assert created.status == 201
        oid = created.json()["id"]
        got = await c.get("/orders/{order_id}", path_params={"order_id": oid})
        assert got.json()["id"] == oid
        with pytest.raises(oncely.ProblemError) as info:
            await c.post(
                f"/orders/{oid}/payments",
                json={"amount": 1, "currency": "EUR", "payment_method": "pm_card_declined"},
            )
        assert info.value.extensions["decline_code"] == "insufficient_funds"
    await c.aclose()


async def test_calls_are_coroutines_and_run_concurrently(fresh: OrdersServer, order: dict[str, Any]) -> None:
    c = client(fresh)
    oid = (await c.post("/orders", json=order)).json()["id"]
    fresh.add_faults(
        [{"route": "GET /orders/{order_id}", "nth": 1, "every": True, "fault": {"kind": "delay", "ms": 200}}]
    )
    started = asyncio.get_running_loop().time()
    tasks = [asyncio.create_task(c.get(f"/orders/{oid}")) for _ in range(10)]
    responses = await asyncio.gather(*tasks)
    elapsed = asyncio.get_running_loop().time() - started
    assert all(r.status == 200 for r in responses)
    assert elapsed < 1.5, f"10 calls of 200 ms took {elapsed:.2f} s: not concurrent"


async def test_cancelling_a_call(fresh: OrdersServer, order: dict[str, Any]) -> None:
    c = client(fresh)
    oid = (await c.post("/orders", json=order)).json()["id"]
    fresh.add_faults([{"route": "GET /orders/{order_id}", "nth": 1, "fault": {"kind": "delay", "ms": 2000}}])
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(c.get(f"/orders/{oid}"), timeout=0.1)
    # The client is still fine afterwards.
    assert (await c.get(f"/orders/{oid}")).status == 200


async def test_retry_exhausted(fresh: OrdersServer, order: dict[str, Any]) -> None:
    fresh.add_faults(
        [{"route": "POST /orders", "nth": 1, "every": True, "fault": {"kind": "status", "code": 503}}]
    )
    with pytest.raises(oncely.RetryExhaustedError) as info:
        await client(fresh).post("/orders", json=order)
    assert info.value.attempts == 3


async def test_bad_arguments_raise_at_once() -> None:
    c = oncely.AsyncClient("http://127.0.0.1:1")
    with pytest.raises(TypeError):
        await c.post("/x", json={"a": object()})
    with pytest.raises(ValueError):
        oncely.AsyncClient("nope")


async def test_operation_wait_poll_and_resume(fresh: OrdersServer, order: dict[str, Any]) -> None:
    c = client(fresh, poll_interval=0.01)
    oid = (await c.post("/orders", json=order)).json()["id"]
    op = await c.request_operation(
        "POST", "/orders/{order_id}/shipments", path_params={"order_id": oid}, json={"carrier": "dhl"}
    )
    first = await op.poll_once()
    assert isinstance(first, oncely.Progress) and not first.done
    resumed = client(fresh).resume_operation(op.resume_token(), decoder=lambda v: v["carrier"])
    seen: list[oncely.Progress] = []
    carrier = await resumed.wait(progress=seen.append)
    assert carrier == "dhl"
    assert resumed.done
    done = await resumed.poll_once()
    assert isinstance(done, oncely.Done) and done.result == "dhl"
