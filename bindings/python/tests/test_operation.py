"""202 operations on the synchronous client."""

from __future__ import annotations

import time
from typing import Any

import pytest
from server import OrdersServer

import oncely


def start(
    server: OrdersServer, order: dict[str, Any], **body: Any
) -> tuple[oncely.Client, oncely.Operation[Any]]:
    c = oncely.Client(server.base_url, poll_interval=0.01)
    oid = c.post("/orders", json=order).json()["id"]
    op = c.request_operation("POST", f"/orders/{oid}/shipments", json={"carrier": "dhl", **body})
    return c, op


def test_wait_reports_progress(fresh: OrdersServer, order: dict[str, Any]) -> None:
    _, op = start(fresh, order)
    seen: list[oncely.Progress] = []
    result = op.wait(progress=seen.append)
    assert result["carrier"] == "dhl"
    assert seen and all(p.status for p in seen)
    assert [p.polls for p in seen] == sorted(p.polls for p in seen)
    assert op.done
    # Waiting again returns the same result without polling.
    assert op.wait() == result


def test_poll_once_until_done(fresh: OrdersServer, order: dict[str, Any]) -> None:
    _, op = start(fresh, order)
    for _ in range(200):
        polled = op.poll_once()
        if isinstance(polled, oncely.Done):
            assert polled.result["carrier"] == "dhl"
            assert polled.done
            break
        assert not polled.done
        assert "oncely.Progress" in repr(polled)
        time.sleep(0.01)
    else:
        pytest.fail("operation never finished")


def test_resume_token_in_another_client(fresh: OrdersServer, order: dict[str, Any]) -> None:
    _, op = start(fresh, order)
    token = op.resume_token()
    other = oncely.Client(fresh.base_url, poll_interval=0.01)
    resumed = other.resume_operation(token, decoder=lambda v: v["id"])
    shipment_id = resumed.wait()
    assert isinstance(shipment_id, str)
    ledger = [e for e in fresh.ledger() if e["kind"] == "shipment_requested"]
    assert len(ledger) == 1


def test_failed_operation_raises_with_the_problem(fresh: OrdersServer, order: dict[str, Any]) -> None:
    _, op = start(fresh, order, simulate="fail")
    with pytest.raises(oncely.OperationFailedError) as info:
        op.wait()
    assert info.value.operation_status
    assert info.value.problem is not None and info.value.problem["status"] == 422


def test_progress_callback_exception_stops_the_wait(fresh: OrdersServer, order: dict[str, Any]) -> None:
    _, op = start(fresh, order)

    def boom(p: oncely.Progress) -> None:
        raise KeyError("stop here")

    with pytest.raises(KeyError, match="stop here"):
        op.wait(progress=boom)
    # The handle is still usable afterwards.
    assert op.wait()["carrier"] == "dhl"


def test_bad_resume_token(server: OrdersServer) -> None:
    c = oncely.Client(server.base_url)
    with pytest.raises(oncely.InvalidResumeTokenError) as info:
        c.resume_operation("not-a-token!")
    assert isinstance(info.value, ValueError)
