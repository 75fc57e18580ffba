"""The GIL is released while a call waits on the network and on the store."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from server import OrdersServer

import oncely


def ticks_during(call: Any) -> tuple[int, float]:
    """How often another Python thread ran while `call` was in flight."""
    ticks = 0
    stop = threading.Event()

    def spin() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    t = threading.Thread(target=spin)
    t.start()
    started = time.monotonic()
    try:
        call()
    finally:
        elapsed = time.monotonic() - started
        stop.set()
        t.join()
    return ticks, elapsed


def test_a_python_thread_runs_during_a_slow_request(fresh: OrdersServer, order: dict[str, Any]) -> None:
    c = oncely.Client(fresh.base_url)
    oid = c.post("/orders", json=order).json()["id"]
    fresh.add_faults([{"route": "GET /orders/{order_id}", "nth": 1, "fault": {"kind": "delay", "ms": 500}}])
    ticks, elapsed = ticks_during(lambda: c.get(f"/orders/{oid}"))
    assert elapsed >= 0.45
    # With the GIL held the other thread would not run at all; released, it
    # ticks every millisecond or so.
    assert ticks > 50, f"only {ticks} ticks in {elapsed:.2f} s: the GIL was held"


def test_threads_share_one_client(fresh: OrdersServer, order: dict[str, Any]) -> None:
    c = oncely.Client(fresh.base_url)
    oid = c.post("/orders", json=order).json()["id"]
    fresh.add_faults(
        [{"route": "GET /orders/{order_id}", "nth": 1, "every": True, "fault": {"kind": "delay", "ms": 200}}]
    )
    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(c.get(f"/orders/{oid}").status)) for _ in range(8)
    ]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 8
    assert time.monotonic() - started < 1.2, "calls from threads did not overlap"


def test_store_io_releases_the_gil(fresh: OrdersServer, order: dict[str, Any], tmp_path: Path) -> None:
    c = oncely.Client(fresh.base_url, store=f"sqlite:{tmp_path / 'o.db'}")

    def many() -> None:
        for i in range(30):
            c.post("/orders", json=order, intent_id=f"i-{i}")

    ticks, _ = ticks_during(many)
    assert ticks > 0


@pytest.fixture
def sigint_raises() -> Iterator[None]:
    """Ctrl-C raises `KeyboardInterrupt` during the test, even when the suite
    runs from a shell that ignores SIGINT (a background job); the previous
    handler comes back after."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.usefixtures("sigint_raises")
def test_ctrl_c_interrupts_a_blocking_call(fresh: OrdersServer, order: dict[str, Any]) -> None:
    c = oncely.Client(fresh.base_url)
    oid = c.post("/orders", json=order).json()["id"]
    fresh.add_faults([{"route": "GET /orders/{order_id}", "nth": 1, "fault": {"kind": "delay", "ms": 3000}}])
    timer = threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    started = time.monotonic()
    try:
        c.get(f"/orders/{oid}")
    except KeyboardInterrupt:
        pass
    else:
        raise AssertionError("the call was not interrupted")
    finally:
        timer.cancel()
    assert time.monotonic() - started < 2.0
