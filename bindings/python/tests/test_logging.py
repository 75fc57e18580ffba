"""Rust tracing events reach Python logging (logger "oncely"), secrets redacted."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from server import OrdersServer

import oncely


def test_retry_events_are_log_records(
    fresh: OrdersServer, order: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    fresh.add_faults([{"route": "POST /orders", "nth": 1, "fault": {"kind": "status", "code": 503}}])
    c = oncely.Client(
        fresh.base_url,
        bearer="sk_live_supersecret",
        api_key="k_supersecret",
        retry=oncely.RetryPolicy(base_delay=0.001, max_delay=0.01),
    )
    with caplog.at_level(logging.DEBUG, logger="oncely"):
        oncely.refresh_logging()
        c.post("/orders", json=order, headers={"X-Auth-Token": "tok_supersecret"})
    records = [r for r in caplog.records if r.name.startswith("oncely")]
    retrying = [r for r in records if "retrying" in r.getMessage()]
    assert retrying, [r.getMessage() for r in records]
    record = retrying[0]
    assert record.levelno == logging.INFO
    assert record.name.startswith("oncely.")
    fields = record.oncely_fields  # type: ignore[attr-defined]
    assert fields["http.request.method"] == "POST" and fields["url.template"] == "/orders"
    assert fields["oncely.idempotency_key"]
    for r in records:
        text = r.getMessage() + repr(getattr(r, "oncely_fields", {}))
        assert "supersecret" not in text


def test_quiet_logger_gets_nothing(
    fresh: OrdersServer, order: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    fresh.add_faults([{"route": "POST /orders", "nth": 1, "fault": {"kind": "status", "code": 503}}])
    logging.getLogger("oncely").setLevel(logging.ERROR)
    try:
        oncely.refresh_logging()
        with caplog.at_level(logging.ERROR, logger="oncely"):
            oncely.Client(fresh.base_url, retry=oncely.RetryPolicy(base_delay=0.001)).post(
                "/orders", json=order
            )
        assert not [r for r in caplog.records if r.name.startswith("oncely")]
    finally:
        logging.getLogger("oncely").setLevel(logging.NOTSET)
        oncely.refresh_logging()
