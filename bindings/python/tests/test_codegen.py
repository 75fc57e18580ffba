"""`oncely generate --lang python`: the generated orders client type-checks,
lints clean, and runs create → reserve → pay → ship → wait against the
reference server (sync and asyncio)."""

from __future__ import annotations

import asyncio
import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from server import REPO, OrdersServer

import oncely

PACKAGE = "orders_client"


def codegen_binary() -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    binary = target / "debug" / "oncely"
    if not binary.exists():
        subprocess.run(["cargo", "build", "--quiet", "-p", "oncely-cli"], cwd=REPO, check=True)
    return binary


def generate(spec: Path, out: Path, name: str | None = None) -> None:
    command = [str(codegen_binary()), "generate", str(spec), "--lang", "python", "--out", str(out)]
    if name:
        command += ["--name", name]
    subprocess.run(command, check=True, capture_output=True)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("generated")
    generate(REPO / "openapi" / "orders.yaml", out, PACKAGE)
    sys.path.insert(0, str(out))
    try:
        yield out
    finally:
        sys.path.remove(str(out))


@pytest.fixture(scope="module")
def api(generated: Path) -> ModuleType:
    return importlib.import_module(PACKAGE)


def test_generated_code_passes_mypy_strict_and_ruff(generated: Path) -> None:
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", PACKAGE], cwd=generated, capture_output=True, text=True
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."], cwd=generated, capture_output=True, text=True
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr


def test_generation_is_deterministic(generated: Path, tmp_path: Path) -> None:
    generate(REPO / "openapi" / "orders.yaml", tmp_path, PACKAGE)
    for path in (generated / PACKAGE).glob("*.py"):
        assert (tmp_path / PACKAGE / path.name).read_text() == path.read_text(), path.name


def new_order(api: ModuleType) -> Any:
    return api.CreateOrderRequest(
        customer_id="cus_gen",
        currency="EUR",
        items=[api.LineItem(sku="sku-1", quantity=2)],
        note="generated client",
    )


def test_workflow_sync(api: ModuleType, fresh: OrdersServer) -> None:
    client = api.OncelyOrdersApiClient(fresh.base_url, poll_interval=0.01)
    order = client.create_order(new_order(api), intent_id="gen-sync-1")
    assert isinstance(order, api.Order)
    assert order.status is api.OrderStatus.PENDING
    assert order.items[0].quantity == 2
    reservation = client.reserve_inventory(order.id)
    assert isinstance(reservation, api.Reservation)
    payment = client.authorize_payment(
        order.id, api.AuthorizePaymentRequest(amount=1999, currency="EUR", payment_method="pm_card_visa")
    )
    assert isinstance(payment, api.Payment) and payment.amount == 1999
    operation = client.request_shipment(order.id, api.ShipmentRequest(carrier="dhl"))
    assert isinstance(operation, oncely.Operation)
    shipment = operation.wait()
    assert isinstance(shipment, api.Shipment)
    assert shipment.carrier == "dhl" and shipment.order_id == order.id
    again = client.get_order(order.id)
    assert again.id == order.id
    # The same intent gives the same order (nothing created twice).
    assert client.create_order(new_order(api), intent_id="gen-sync-1").id == order.id
    kinds = [e["kind"] for e in fresh.ledger()]
    assert kinds.count("order_created") == 1 and kinds.count("shipment_requested") == 1


def test_problems_raise_problem_error(api: ModuleType, fresh: OrdersServer) -> None:
    client = api.OncelyOrdersApiClient(fresh.base_url)
    order = client.create_order(new_order(api))
    with pytest.raises(oncely.ProblemError) as info:
        client.authorize_payment(
            order.id, api.AuthorizePaymentRequest(amount=1, currency="EUR", payment_method="pm_card_declined")
        )
    assert info.value.status == 402
    with pytest.raises(oncely.ProblemError) as missing:
        client.get_order("no-such-order")
    assert missing.value.status == 404


def test_workflow_async(api: ModuleType, fresh: OrdersServer) -> None:
    async def run() -> Any:
        client = api.AsyncOncelyOrdersApiClient(fresh.base_url, poll_interval=0.01)
        order = await client.create_order(new_order(api))
        await client.reserve_inventory(order.id)
        await client.authorize_payment(
            order.id, api.AuthorizePaymentRequest(amount=500, currency="EUR", payment_method="pm_card_visa")
        )
        operation = await client.request_shipment(order.id, api.ShipmentRequest(carrier="ups"))
        assert isinstance(operation, oncely.AsyncOperation)
        return await operation.wait()

    shipment = asyncio.run(run())
    assert isinstance(shipment, api.Shipment) and shipment.carrier == "ups"


def test_models_round_trip_and_decode_errors(api: ModuleType) -> None:
    order = new_order(api)
    assert api.CreateOrderRequest.from_dict(order.to_dict()) == order
    assert "metadata" not in order.to_dict()  # optional members left out
    with pytest.raises(oncely.DecodeError, match="items"):
        api.CreateOrderRequest.from_dict({"customer_id": "c", "currency": "EUR", "items": "nope"})
    with pytest.raises(oncely.DecodeError, match="missing member"):
        api.LineItem.from_dict({"sku": "s"})
    # Enum values added to the API later decode instead of failing.
    later = api.OrderStatus("archived")
    assert later.value == "archived" and later.name == "UNKNOWN"


AWKWARD = """
openapi: 3.0.3
info: {title: awkward names, version: "2"}
paths:
  /class/{from}:
    get:
      operationId: import
      parameters:
        - {name: from, in: path, required: true, schema: {type: string}}
        - {name: type, in: query, schema: {type: string}}
        - {name: list, in: query, schema: {type: array, items: {type: integer}}}
        - name: "filter[name]"
          in: query
          style: deepObject
          schema: {type: object, additionalProperties: {type: string}}
        - {name: X-Id, in: header, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/str"}
  /class:
    post:
      operationId: Import
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Any"}
      responses:
        "204": {description: done}
components:
  schemas:
    str:
      type: object
      required: [type, str, 2fa]
      properties:
        type: {type: string}
        str: {type: integer}
        2fa: {type: boolean}
        class: {type: string, enum: ["", "a b", "1", "None"]}
        self: {type: object}
    Any:
      oneOf:
        - {type: string}
        - {$ref: "#/components/schemas/str"}
    Report:
      type: object
      properties:
        warnings: {type: array, items: {$ref: "#/components/schemas/Warning"}}
    Warning:
      type: object
      properties:
        code: {type: string}
"""


def test_awkward_names_are_safe(tmp_path: Path) -> None:
    spec = tmp_path / "awkward.yaml"
    spec.write_text(AWKWARD)
    out = tmp_path / "out"
    generate(spec, out)
    packages = [p for p in out.iterdir() if p.is_dir()]
    assert len(packages) == 1
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", packages[0].name], cwd=out, capture_output=True, text=True
    )
    assert mypy.returncode == 0, mypy.stdout
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."], cwd=out, capture_output=True, text=True
    )
    assert ruff.returncode == 0, ruff.stdout
    compiled = subprocess.run(
        [sys.executable, "-c", f"import {packages[0].name} as m; print(sorted(m.__all__))"],
        cwd=out,
        capture_output=True,
        text=True,
    )
    assert compiled.returncode == 0, compiled.stderr
    # A model named like a builtin is renamed: mypy would read `list[Warning]`,
    # written before `class Warning`, as the builtin.
    assert "WarningModel" in compiled.stdout, compiled.stdout
