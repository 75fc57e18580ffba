"""A 202 Accepted operation: start it, keep its resume token, wait for it.

python examples/python/polling.py http://127.0.0.1:8080
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import oncely


def on_progress(progress: oncely.Progress) -> None:
    percent = "?" if progress.percent is None else f"{progress.percent:.0f}"
    print(f"  {progress.status} ({percent}%) after {progress.polls} poll(s)")


def ship(base_url: str) -> dict[str, Any]:
    client = oncely.Client(base_url, poll_interval=0.2)
    order = {"customer_id": "cus_7", "currency": "EUR", "items": [{"sku": "sku-1", "quantity": 1}]}
    order_id = client.post("/orders", json=order).json()["id"]

    op = client.request_operation(
        "POST", "/orders/{order_id}/shipments", path_params={"order_id": order_id}, json={"carrier": "dhl"}
    )
    # A token holds everything needed to continue (no credentials): store it
    # with your job, and another process can pick the operation up.
    token = op.resume_token()
    resumed = oncely.Client(base_url, poll_interval=0.2).resume_operation(token)
    shipment: dict[str, Any] = resumed.wait(progress=on_progress)
    print(f"shipment {shipment['id']} is {shipment['status']}")
    return shipment


async def ship_async(base_url: str) -> str:
    """The same with asyncio, and a decoder that picks the tracking number."""
    client = oncely.AsyncClient(base_url, poll_interval=0.2)
    order = {"customer_id": "cus_8", "currency": "EUR", "items": [{"sku": "sku-2", "quantity": 1}]}
    order_id = (await client.post("/orders", json=order)).json()["id"]

    def tracking(result: Any) -> str:
        return str(result["tracking_number"])

    op = await client.request_operation(
        "POST",
        "/orders/{order_id}/shipments",
        path_params={"order_id": order_id},
        json={"carrier": "ups"},
        decoder=tracking,
    )
    number = await op.wait()
    print(f"tracking number {number}")
    return number


if __name__ == "__main__":
    url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080"
    ship(url)
    asyncio.run(ship_async(url))
