from __future__ import annotations

import copy
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from server import OrdersServer

ORDER: dict[str, Any] = {
    "customer_id": "cus_1",
    "currency": "EUR",
    "items": [{"sku": "sku-1", "quantity": 2}],
}


@pytest.fixture(scope="session")
def server() -> Iterator[OrdersServer]:
    """One reference server for the tests that do not need a fresh one
    (fast 202 operations). Tests that inject faults reset it first."""
    with OrdersServer("--operation-ms", "100", "--retry-after-ms", "10") as s:
        yield s


@pytest.fixture()
def fresh(server: OrdersServer) -> OrdersServer:
    """The shared server, reset (no data, faults, log or ledger)."""
    server.reset()
    return server


@pytest.fixture()
def order() -> dict[str, Any]:
    return copy.deepcopy(ORDER)
