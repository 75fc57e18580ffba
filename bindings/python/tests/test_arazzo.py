"""Arazzo workflows (openapi/orders.arazzo.yaml) run on the core engine
against the reference server: outputs, the server's ledger, compensation,
inline documents, errors naming their JSON pointer, and the async API."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from server import REPO, OrdersServer

import oncely

ARAZZO = REPO / "openapi" / "orders.arazzo.yaml"
OPENAPI = REPO / "openapi" / "orders.yaml"
STEPS = ["createOrder", "reserveStock", "authorizePayment", "requestShipment"]


def inputs(payment_method: str = "pm_card_visa") -> dict[str, Any]:
    return {
        "customer_id": "cus_1",
        "sku": "sku-1",
        "quantity": 2,
        "currency": "EUR",
        "amount": 1250,
        "payment_method": payment_method,
        "carrier": "oncely-post",
    }


def kinds_for(server: OrdersServer, order_id: str) -> list[str]:
    return [e["kind"] for e in server.ledger() if e["order_id"] == order_id]


def engine_for(server: OrdersServer, tmp_path: Path) -> oncely.WorkflowEngine:
    client = oncely.Client(server.base_url, store=f"sqlite:{tmp_path / 'runs.db'}")
    return oncely.WorkflowEngine(client, owner="arazzo-test")


def test_the_checkout_runs_every_step_once(fresh: OrdersServer, tmp_path: Path) -> None:
    flow = oncely.ArazzoWorkflow.load(ARAZZO, "checkout")
    assert flow.workflow_id == "checkout"
    assert flow.step_ids == STEPS
    engine = engine_for(fresh, tmp_path)
    outcome = flow.run(engine, inputs(), run_id="checkout-1")
    assert outcome.completed and outcome.state == "completed", outcome.error
    assert outcome.run_id == "checkout-1" and outcome.workflow == "checkout"
    assert outcome.failed_step is None and outcome.error is None
    assert set(outcome.outputs) == {"orderId", "reservationId", "paymentId", "shipmentOperationId"}
    assert set(outcome.step_outputs) == set(STEPS)
    order_id = outcome.outputs["orderId"]
    assert outcome.step_outputs["createOrder"]["orderId"] == order_id
    assert kinds_for(fresh, order_id) == [
        "order_created",
        "inventory_reserved",
        "payment_authorized",
        "shipment_requested",
    ]
    # Every write carried its own key; each was sent once.
    writes = [r for r in fresh.requests() if r["method"] == "POST"]
    assert len(writes) == 4 and len({r["idempotency_key"] for r in writes}) == 4
    # Running the same run id again sends nothing and returns the same outputs.
    again = flow.run(engine, inputs(), run_id="checkout-1")
    assert again.outputs == outcome.outputs
    assert len([r for r in fresh.requests() if r["method"] == "POST"]) == 4
    # The engine knows the run and its workflow.
    assert "checkout" in engine.workflows
    details = engine.show("checkout-1")
    assert [s["name"] for s in details["steps"]] == STEPS


def test_a_failing_step_compensates_in_reverse(fresh: OrdersServer, tmp_path: Path) -> None:
    fresh.add_faults(
        [
            {
                "route": "POST /orders/{order_id}/shipments",
                "nth": 1,
                "every": True,
                "fault": {"kind": "status", "code": 422},
            }
        ]
    )
    flow = oncely.ArazzoWorkflow.load(str(ARAZZO), "checkout")
    outcome = flow.run(engine_for(fresh, tmp_path), inputs())
    assert outcome.state == "compensated" and not outcome.completed
    assert outcome.failed_step == "requestShipment"
    assert outcome.error is not None and outcome.error["step"] == "requestShipment"
    assert outcome.outputs == {}
    order_id = outcome.step_outputs["createOrder"]["orderId"]
    assert kinds_for(fresh, order_id) == [
        "order_created",
        "inventory_reserved",
        "payment_authorized",
        "payment_voided",
        "reservation_released",
        "order_cancelled",
    ]


def test_a_declined_payment_ends_the_checkout(fresh: OrdersServer, tmp_path: Path) -> None:
    flow = oncely.ArazzoWorkflow.load(ARAZZO, "checkout")
    outcome = flow.run(engine_for(fresh, tmp_path), inputs("pm_card_declined"))
    assert outcome.state == "compensated"
    assert outcome.failed_step == "authorizePayment"
    order_id = outcome.step_outputs["createOrder"]["orderId"]
    assert kinds_for(fresh, order_id) == [
        "order_created",
        "inventory_reserved",
        "reservation_released",
        "order_cancelled",
    ]


def test_the_engine_resumes_and_works_through_arazzo_runs(fresh: OrdersServer, tmp_path: Path) -> None:
    flow = oncely.ArazzoWorkflow.load(ARAZZO, "checkout")
    engine = engine_for(fresh, tmp_path)
    flow.register(engine)
    assert engine.workflows == ["checkout"]
    first = flow.run(engine, inputs(), run_id="checkout-resume")
    # A finished run resumes to the same end, through the engine or the flow.
    assert engine.resume("checkout-resume").state == "completed"
    resumed = flow.resume(engine, "checkout-resume")
    assert resumed.completed and resumed.outputs == first.outputs
    assert engine.work() == {"completed": 0, "compensated": 0, "parked": 0, "errors": 0}
    assert len([r for r in fresh.requests() if r["method"] == "POST"]) == 4


def test_servers_name_the_base_url_of_each_source(fresh: OrdersServer, tmp_path: Path) -> None:
    flow = oncely.ArazzoWorkflow.load(ARAZZO, "checkout", servers={"orders": fresh.base_url})
    # Nothing listens at the client's own base URL: every call goes to the
    # server given for its source description.
    client = oncely.Client("http://127.0.0.1:9", store=f"sqlite:{tmp_path / 'runs.db'}")
    outcome = flow.run(oncely.WorkflowEngine(client), inputs())
    assert outcome.completed, outcome.error
    assert kinds_for(fresh, outcome.outputs["orderId"])[-1] == "shipment_requested"
    with pytest.raises(oncely.InvalidInputError, match='names "billing", which is not a source description'):
        oncely.ArazzoWorkflow.load(ARAZZO, "checkout", servers={"billing": fresh.base_url})
    with pytest.raises(oncely.InvalidInputError, match="not an absolute http"):
        oncely.ArazzoWorkflow.load(ARAZZO, "checkout", servers={"orders": "orders.internal"})
    with pytest.raises(TypeError, match="servers"):
        oncely.ArazzoWorkflow.load(ARAZZO, "checkout", servers={"orders": 5})  # type: ignore[dict-item]


def test_from_document_with_inline_text(fresh: OrdersServer, tmp_path: Path) -> None:
    document = """
arazzo: 1.0.1
info: {title: One order, version: 1.0.0}
sourceDescriptions: [{name: shop, url: ./shop.yaml, type: openapi}]
workflows:
  - workflowId: placeOrder
    inputs: {type: object, properties: {customer: {type: string}}}
    steps:
      - stepId: create
        operationId: createOrder
        requestBody:
          contentType: application/json
          payload:
            customer_id: $inputs.customer
            currency: EUR
            items: [{sku: sku-9, quantity: 1}]
        successCriteria: [{condition: $statusCode == 201}]
        outputs: {id: $response.body#/id, status: $response.body#/status}
    outputs: {orderId: $steps.create.outputs.id, status: $steps.create.outputs.status}
"""
    flow = oncely.ArazzoWorkflow.from_document(
        document, "placeOrder", openapi={"shop": OPENAPI.read_text()}, document_name="inline.arazzo.yaml"
    )
    assert flow.step_ids == ["create"]
    outcome = flow.run(engine_for(fresh, tmp_path), {"customer": "cus_inline"})
    assert outcome.completed, outcome.error
    assert outcome.outputs["status"] == "pending"
    assert kinds_for(fresh, outcome.outputs["orderId"]) == ["order_created"]
    created = [r for r in fresh.requests() if r["route"] == "POST /orders"]
    assert len(created) == 1


def test_a_bad_document_names_the_pointer() -> None:
    text = ARAZZO.read_text().replace(
        "      orderId: $steps.createOrder.outputs.orderId", "      orderId: $steps.nope.outputs.orderId"
    )
    with pytest.raises(
        oncely.InvalidInputError, match=r"(?s)bad\.arazzo\.yaml.*#/workflows/0/outputs/orderId"
    ):
        oncely.ArazzoWorkflow.from_document(
            text, "checkout", openapi={"orders": OPENAPI.read_text()}, document_name="bad.arazzo.yaml"
        )
    with pytest.raises(oncely.InvalidInputError, match=r"#/workflows/0/steps/3/operationId"):
        oncely.ArazzoWorkflow.from_document(
            ARAZZO.read_text().replace("operationId: requestShipment", "operationId: noSuchOperation"),
            "checkout",
            openapi={"orders": OPENAPI.read_text()},
        )
    with pytest.raises(oncely.InvalidInputError, match=r"#/sourceDescriptions/0"):
        oncely.ArazzoWorkflow.from_document(ARAZZO.read_text(), "checkout", openapi={})
    with pytest.raises(oncely.InvalidInputError, match=r"#/arazzo"):
        oncely.ArazzoWorkflow.from_document("arazzo: 2.0.0\n", "checkout", openapi={})
    with pytest.raises(oncely.InvalidInputError, match=r"no workflow \"nope\""):
        oncely.ArazzoWorkflow.load(ARAZZO, "nope")


def test_the_async_api(fresh: OrdersServer, tmp_path: Path) -> None:
    flow = oncely.ArazzoWorkflow.load(ARAZZO, "checkout")
    engine = engine_for(fresh, tmp_path)
    run_id = f"async-{uuid.uuid4()}"

    async def main() -> tuple[oncely.ArazzoOutcome, oncely.ArazzoOutcome]:
        outcome = await flow.arun(engine, inputs(), run_id=run_id)
        return outcome, await flow.aresume(engine, run_id)

    outcome, resumed = asyncio.run(main())
    assert outcome.completed and outcome.run_id == run_id
    assert resumed.outputs == outcome.outputs
    assert kinds_for(fresh, outcome.outputs["orderId"])[-1] == "shipment_requested"


CRASHING_RUN = """
import json, sys
import oncely

flow = oncely.ArazzoWorkflow.load(sys.argv[3], "checkout")
engine = oncely.WorkflowEngine(oncely.Client(sys.argv[1], store="sqlite:" + sys.argv[2]), lease=0.2)
flow.run(engine, json.loads(sys.argv[4]), run_id="crash-1")
"""


def test_work_drives_a_run_whose_worker_died(fresh: OrdersServer, tmp_path: Path) -> None:
    route = "POST /orders/{order_id}/shipments"
    fresh.add_faults([{"route": route, "nth": 1, "fault": {"kind": "delay", "ms": 400}}])
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(CRASHING_RUN))
    db = tmp_path / "runs.db"
    worker = subprocess.Popen(
        [sys.executable, str(script), fresh.base_url, str(db), str(ARAZZO), json.dumps(inputs())]
    )
    try:
        # The worker dies while the shipment request is on the server.
        while not any(r["route"] == route for r in fresh.requests()):
            assert worker.poll() is None, "the worker ended before the shipment was sent"
            time.sleep(0.01)
        worker.kill()
    finally:
        worker.wait()
    # The server finishes the delayed request (and stores its answer).
    while any(r["route"] == route and r["status"] is None for r in fresh.requests()):
        time.sleep(0.01)
    engine = oncely.WorkflowEngine(oncely.Client(fresh.base_url, store=f"sqlite:{db}"), lease=0.2)
    flow = oncely.ArazzoWorkflow.load(ARAZZO, "checkout")
    flow.register(engine)
    assert engine.work() == {"completed": 1, "compensated": 0, "parked": 0, "errors": 0}
    outcome = flow.resume(engine, "crash-1")
    assert outcome.completed
    assert kinds_for(fresh, outcome.outputs["orderId"]) == [
        "order_created",
        "inventory_reserved",
        "payment_authorized",
        "shipment_requested",
    ]
    # The resumed step sent its call again with the same key; the server
    # shipped once.
    shipments = [r for r in fresh.requests() if r["route"] == route]
    assert len(shipments) == 2 and len({r["idempotency_key"] for r in shipments}) == 1
