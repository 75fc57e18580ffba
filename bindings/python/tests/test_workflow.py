"""Workflows (sagas) with Python steps on the core engine and journal."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from server import REPO, OrdersServer

import oncely


def saga(calls: list[str] | None = None) -> oncely.Workflow:
    """create_order (undo: cancel) -> take_payment."""
    wf = oncely.Workflow("py-checkout", action_retry=oncely.RetryPolicy(max_attempts=3, base_delay=0.001))
    seen = calls if calls is not None else []

    def cancel(ctx: oncely.StepContext) -> None:
        seen.append(f"cancel:{ctx.attempt}")
        assert ctx.is_compensation
        ctx.post(f"/orders/{ctx.own_output()['id']}/cancel", json={"reason": "compensation"})

    @wf.step("create_order", compensate=cancel)
    def create_order(ctx: oncely.StepContext) -> Any:
        seen.append("create")
        assert ctx.step == "create_order" and ctx.workflow == "py-checkout"
        return ctx.post("/orders", json=ctx.input["order"])

    @wf.step("take_payment")
    def take_payment(ctx: oncely.StepContext) -> Any:
        seen.append("pay")
        order = ctx.output("create_order")
        body = {"amount": 1999, "currency": "EUR", "payment_method": ctx.input["payment_method"]}
        return ctx.post(f"/orders/{order['id']}/payments", json=body).json()

    return wf


def test_completed_run(fresh: OrdersServer, order: dict[str, Any], tmp_path: Path) -> None:
    client = oncely.Client(fresh.base_url, store=f"sqlite:{tmp_path / 'o.db'}")
    wf = saga()
    outcome = wf.run(client, {"order": order, "payment_method": "pm_card_visa"}, run_id="order-1")
    assert outcome.completed and outcome.state == "completed"
    assert outcome.run_id == "order-1"
    assert set(outcome.outputs) == {"create_order", "take_payment"}
    assert outcome.error is None
    # Starting the same run id again executes nothing twice.
    again = wf.run(client, {"order": order, "payment_method": "pm_card_visa"}, run_id="order-1")
    assert again.outputs == outcome.outputs
    kinds = [e["kind"] for e in fresh.ledger()]
    assert kinds.count("order_created") == 1 and kinds.count("payment_authorized") == 1


def test_permanent_failure_compensates(fresh: OrdersServer, order: dict[str, Any]) -> None:
    calls: list[str] = []
    engine = oncely.WorkflowEngine(oncely.Client(fresh.base_url))
    outcome = engine.start(saga(calls), {"order": order, "payment_method": "pm_card_declined"})
    assert outcome.state == "compensated"
    assert outcome.error is not None and outcome.error["error"]["status"] == 402
    assert calls == ["create", "pay", "cancel:1"]
    details = engine.show(outcome.run_id)
    assert [(s["name"], s["phase"], s["status"]) for s in details["steps"]] == [
        ("create_order", "action", "succeeded"),
        ("create_order", "compensation", "succeeded"),
        ("take_payment", "action", "failed"),
    ]
    assert "compensated" in engine.describe(outcome.run_id)
    assert [r["run_id"] for r in engine.list_runs(states=["compensated"])] == [outcome.run_id]
    assert [e["kind"] for e in fresh.ledger()].count("order_cancelled") == 1


def test_retryable_step_error_is_retried_with_the_same_key(fresh: OrdersServer) -> None:
    wf = oncely.Workflow("flaky", action_retry=oncely.RetryPolicy(max_attempts=3, base_delay=0.001))
    keys: list[str] = []

    @wf.step("flaky")
    def flaky(ctx: oncely.StepContext) -> dict[str, int]:
        keys.append(ctx.key)
        if ctx.attempt < 3:
            raise oncely.StepError("not yet", retryable=True)
        return {"attempt": ctx.attempt}

    outcome = wf.run(oncely.Client(fresh.base_url))
    assert outcome.completed and outcome.outputs["flaky"] == {"attempt": 3}
    assert len(keys) == 3 and len(set(keys)) == 1


def test_any_exception_fails_the_step_permanently(fresh: OrdersServer) -> None:
    wf = oncely.Workflow("boom")
    wf.step("explode", lambda ctx: 1 / 0)
    outcome = wf.run(oncely.Client(fresh.base_url))
    assert outcome.state == "compensated"
    assert outcome.error is not None
    assert "ZeroDivisionError" in outcome.error["error"]["message"]


def test_problem_in_a_step_keeps_the_core_classification(fresh: OrdersServer, order: dict[str, Any]) -> None:
    fresh.add_faults(
        [{"route": "POST /orders", "nth": 1, "every": True, "fault": {"kind": "status", "code": 503}}]
    )
    wf = oncely.Workflow("outage", action_retry=oncely.RetryPolicy(max_attempts=2, base_delay=0.001))
    wf.step("create", lambda ctx: ctx.post("/orders", json=order, retry=1))
    outcome = wf.run(oncely.Client(fresh.base_url))
    assert outcome.state == "compensated"
    # Retryable (503) twice with one key, then permanent.
    posts = [r for r in fresh.requests() if r["route"] == "POST /orders"]
    assert len(posts) == 2 and len({r["idempotency_key"] for r in posts}) == 1


def test_bad_definitions() -> None:
    wf = oncely.Workflow("bad")
    with pytest.raises(TypeError, match="callable"):
        wf.step("x", 5)  # type: ignore[call-overload]
    wf.step("a", lambda ctx: None)
    wf.step("a", lambda ctx: None)
    with pytest.raises(oncely.WorkflowError) as info:
        wf.run(oncely.Client("http://127.0.0.1:1"))
    assert info.value.kind == "invalid_definition"
    assert "used twice" in str(info.value)
    engine = oncely.WorkflowEngine(oncely.Client("http://127.0.0.1:1"))
    with pytest.raises(oncely.WorkflowError) as unknown:
        engine.show("nope")
    assert unknown.value.kind == "unknown_run"
    with pytest.raises(ValueError):
        engine.list_runs(states=["sideways"])


def test_operation_step_and_async_steps(fresh: OrdersServer, order: dict[str, Any]) -> None:
    wf = oncely.Workflow("async-ship")

    @wf.step("create")
    async def create(ctx: oncely.StepContext) -> Any:
        response = await ctx.arequest("POST", "/orders", json=order)
        return response.json()

    @wf.operation_step("ship")
    async def ship(ctx: oncely.StepContext) -> Any:
        oid = ctx.output("create")["id"]
        return await ctx.arequest_operation("POST", f"/orders/{oid}/shipments", json={"carrier": "ups"})

    async def main() -> oncely.RunOutcome:
        client = oncely.AsyncClient(fresh.base_url, poll_interval=0.01)
        engine = oncely.WorkflowEngine(client)
        outcome = await engine.astart(wf, None, run_id="ship-1")
        assert (await engine.ashow("ship-1"))["run"]["state"] == "completed"
        assert len(await engine.alist_runs(workflow="async-ship")) == 1
        return outcome

    outcome = asyncio.run(main())
    assert outcome.completed
    assert outcome.outputs["ship"]["carrier"] == "ups"


def test_coroutine_steps_in_a_sync_run(fresh: OrdersServer, order: dict[str, Any]) -> None:
    wf = oncely.Workflow("sync-with-async")

    @wf.step("create")
    async def create(ctx: oncely.StepContext) -> Any:
        return (await ctx.arequest("POST", "/orders", json=order)).json()["id"]

    outcome = wf.run(oncely.Client(fresh.base_url))
    assert outcome.completed and isinstance(outcome.outputs["create"], str)


CRASHING_RUN = """
import os, sys
import oncely

wf = oncely.Workflow("crashy")
wf.step("create", lambda ctx: ctx.post("/orders", json=ctx.input).json())
def second(ctx):
    if os.environ.get("CRASH") == "1":
        os._exit(3)  # the process dies in the middle of the run
    return {"order": ctx.output("create")["id"]}
wf.step("second", second)
client = oncely.Client(sys.argv[1], store="sqlite:" + sys.argv[2])
engine = oncely.WorkflowEngine(client, lease=0.2)
engine.register(wf)
if sys.argv[3] == "start":
    print(engine.start(wf, {"customer_id": "c", "currency": "EUR", "items": [{"sku": "s", "quantity": 1}]},
                       run_id="crash-1").state)
else:
    print(engine.resume("crash-1").state)
"""


def test_resume_after_a_crash(fresh: OrdersServer, tmp_path: Path) -> None:
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(CRASHING_RUN))
    db = str(tmp_path / "o.db")
    env = {**os.environ, "CRASH": "1"}
    crashed = subprocess.run([sys.executable, str(script), fresh.base_url, db, "start"], env=env, timeout=60)
    assert crashed.returncode == 3
    env["CRASH"] = "0"
    time.sleep(0.3)  # the dead worker's lease expires
    resumed = subprocess.run(
        [sys.executable, str(script), fresh.base_url, db, "resume"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.strip() == "completed"
    assert [e["kind"] for e in fresh.ledger()].count("order_created") == 1


def demo_binary() -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    for profile in ("release", "debug"):
        if (target / profile / "demo").exists():
            return target / profile / "demo"
    subprocess.run(["cargo", "build", "--quiet", "-p", "demo"], cwd=REPO, check=True)
    return target / "debug" / "demo"


def test_a_run_started_in_rust_is_inspected_from_python(fresh: OrdersServer, tmp_path: Path) -> None:
    db = tmp_path / "rust.db"
    done = subprocess.run(
        [
            str(demo_binary()),
            "--orders",
            "2",
            "--arazzo-orders",
            "0",
            "--fault-rate",
            "0",
            "--store",
            str(db),
            "--server",
            fresh.base_url,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    engine = oncely.WorkflowEngine(oncely.Client(fresh.base_url, store=f"sqlite:{db}"))
    runs = engine.list_runs()
    assert len(runs) == 2
    details = engine.show(runs[0]["run_id"])
    assert details["run"]["state"] in ("completed", "compensated")
    assert details["steps"] and all(s["key"] for s in details["steps"])
