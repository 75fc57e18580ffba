"""A saga: create an order, reserve stock, take the payment, ship — and undo
what was done when a step fails for good. Runs are journaled in the same
SQLite file as the idempotency keys, so a crashed run resumes where it was.

    python examples/python/saga.py http://127.0.0.1:8080
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import oncely

checkout = oncely.Workflow("checkout")


def cancel_order(ctx: oncely.StepContext) -> None:
    order = ctx.own_output()
    ctx.post(f"/orders/{order['id']}/cancel", json={"reason": "saga compensation"})


@checkout.step("create_order", compensate=cancel_order)
def create_order(ctx: oncely.StepContext) -> Any:
    return ctx.post("/orders", json=ctx.input["order"]).json()


def release_stock(ctx: oncely.StepContext) -> None:
    order, reservation = ctx.output("create_order"), ctx.own_output()
    ctx.delete(f"/orders/{order['id']}/reservations/{reservation['id']}")


@checkout.step("reserve_stock", compensate=release_stock)
def reserve_stock(ctx: oncely.StepContext) -> Any:
    order = ctx.output("create_order")
    return ctx.post(f"/orders/{order['id']}/reservations", json={}).json()


@checkout.step("take_payment")
def take_payment(ctx: oncely.StepContext) -> Any:
    order = ctx.output("create_order")
    payment = {"amount": 1999, "currency": "EUR", "payment_method": ctx.input["payment_method"]}
    return ctx.post(f"/orders/{order['id']}/payments", json=payment)  # the response's JSON is journaled


@checkout.operation_step("ship")
def ship(ctx: oncely.StepContext) -> oncely.Operation[Any]:
    order = ctx.output("create_order")
    return ctx.request_operation("POST", f"/orders/{order['id']}/shipments", json={"carrier": "dhl"})


def main(base_url: str) -> None:
    store = Path(tempfile.mkdtemp()) / "oncely.db"
    client = oncely.Client(base_url, store=f"sqlite:{store}", poll_interval=0.1)
    engine = oncely.WorkflowEngine(client)
    order = {"customer_id": "cus_9", "currency": "EUR", "items": [{"sku": "sku-1", "quantity": 1}]}

    ok = engine.start(checkout, {"order": order, "payment_method": "pm_card_visa"}, run_id="cart-1001")
    print(f"{ok.run_id}: {ok.state}, shipped with {ok.outputs['ship']['carrier']}")

    declined = engine.start(
        checkout, {"order": order, "payment_method": "pm_card_declined"}, run_id="cart-1002"
    )
    reason = (declined.error or {}).get("error", {}).get("message")
    print(f"{declined.run_id}: {declined.state} because {reason}")

    # The journal tells the whole story, readable from any language.
    details = engine.show("cart-1002")
    for step in details["steps"]:
        print(f"  {step['name']:<14} {step['phase']:<12} {step['status']}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080")
