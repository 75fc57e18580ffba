"""Quick start: create an order exactly once, even when the answer is lost.

Run against the reference server:

    cargo run -p orders-server -- --port 8080 &
    python examples/python/quickstart.py http://127.0.0.1:8080
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import oncely


def main(base_url: str) -> None:
    store = Path(tempfile.mkdtemp()) / "oncely.db"
    client = oncely.Client(
        base_url,
        bearer="sk_test_123",
        store=f"sqlite:{store}",  # keys and outcomes survive a restart
        retry=oncely.RetryPolicy(max_attempts=5, base_delay=0.05),
    )
    order = {"customer_id": "cus_42", "currency": "EUR", "items": [{"sku": "sku-1", "quantity": 2}]}

    # The intent id names what we mean to do: the same intent always sends the
    # same Idempotency-Key, on every retry and after a restart.
    created = client.post("/orders", json=order, intent_id="checkout-8812")
    print(f"created order {created.json()['id']} in {created.attempts} attempt(s)")

    # Doing it again (say, after a crash) sends nothing: the store answers.
    again = oncely.Client(base_url, store=f"sqlite:{store}").post(
        "/orders", json=order, intent_id="checkout-8812"
    )
    assert again.from_store and again.json()["id"] == created.json()["id"]
    print("the same intent again was answered from the store, nothing sent")

    # Problems (RFC 9457) are exceptions with their fields.
    try:
        client.post(
            "/orders/{order_id}/payments",
            path_params={"order_id": created.json()["id"]},
            json={"amount": 1999, "currency": "EUR", "payment_method": "pm_card_declined"},
        )
    except oncely.ProblemError as problem:
        print(f"payment refused: {problem.status} {problem.title} ({problem.extensions})")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080")
