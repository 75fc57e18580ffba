"""One trace across the language boundary: a Python OpenTelemetry span is the
parent of the core's call, every attempt carries the trace on the wire, and
the core's own spans reach an OTLP receiver (``otlp-sink``) when the standard
variables ask for it.

Each case runs in a child interpreter: the core reads the ``OTEL_*``
variables at import, and Python's tracer provider can be set once per
process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from server import OrdersServer
from sink import OtlpSink

SECRET = "sk_live_telemetry_secret"

# The child: a Python span around a sync call (retried once after a 503) and
# an asyncio call; prints the Python span's ids.
SCRIPT = textwrap.dedent(
    """
    import asyncio, json, sys
    import oncely
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    base, secret, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    trace.set_tracer_provider(TracerProvider())
    tracer = trace.get_tracer("checkout")
    retry = oncely.RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.01)
    order = {"customer_id": "cus_1", "currency": "EUR", "items": [{"sku": "sku-1", "quantity": 1}]}
    client = oncely.Client(base, bearer=secret, retry=retry)
    out = {"enabled": oncely.telemetry_enabled()}
    if mode == "no-span":
        client.post("/orders", json=order)
    else:
        with tracer.start_as_current_span("checkout") as span:
            client.post("/orders", json=order, params={"api_key": secret})
        ctx = span.get_span_context()
        out["trace_id"] = format(ctx.trace_id, "032x")
        out["span_id"] = format(ctx.span_id, "016x")

        async def main():
            async_client = oncely.AsyncClient(base, bearer=secret, retry=retry)
            with tracer.start_as_current_span("lookup") as span:
                await async_client.get("/orders")
            c = span.get_span_context()
            return format(c.trace_id, "032x")

        out["async_trace_id"] = asyncio.run(main())
    oncely.flush_telemetry()
    print(json.dumps(out))
    """
)


def run_child(server: OrdersServer, mode: str, env: dict[str, str]) -> dict[str, Any]:
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    child_env.update(env)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, server.base_url, SECRET, mode],
        env=child_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def parent_id(traceparent: str) -> str:
    version, trace_id, span_id, flags = traceparent.split("-")
    assert (version, len(trace_id), len(span_id), len(flags)) == ("00", 32, 16, 2), traceparent
    return span_id


@pytest.fixture()
def retried(fresh: OrdersServer) -> Iterator[OrdersServer]:
    """The first POST /orders is answered 503, so the call has two attempts."""
    fresh.add_faults([{"route": "POST /orders", "nth": 1, "fault": {"kind": "status", "code": 503}}])
    yield fresh


def posts(server: OrdersServer) -> list[dict[str, Any]]:
    return [r for r in server.requests() if r["method"] == "POST" and r["path"] == "/orders"]


def test_a_python_span_is_the_parent_of_the_exported_call_and_its_attempts(retried: OrdersServer) -> None:
    with OtlpSink() as sink:
        out = run_child(
            retried,
            "span",
            {
                "OTEL_EXPORTER_OTLP_ENDPOINT": sink.http,
                "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
                "OTEL_SERVICE_NAME": "checkout-py",
            },
        )
        spans = sink.spans()
    assert out["enabled"] is True
    trace_id, python_span = out["trace_id"], out["span_id"]
    in_trace = [s for s in spans if s["trace_id"] == trace_id]
    calls = [s for s in in_trace if s["name"] == "oncely.call"]
    assert len(calls) == 1, [s["name"] for s in in_trace]
    call = calls[0]
    assert call["parent_span_id"] == python_span
    assert call["resource"].get("service.name") == "checkout-py"
    attempts = [s for s in in_trace if s["parent_span_id"] == call["span_id"] and s["kind"] == "client"]
    assert sorted(a["attributes"].get("http.request.resend_count", 0) for a in attempts) == [0, 1]
    assert sorted(a["attributes"]["http.response.status_code"] for a in attempts) == [201, 503]
    assert all(a["name"] == "POST /orders" for a in attempts)
    # Every attempt went out with its own span as the parent on the wire.
    sent = posts(retried)
    assert len(sent) == 2
    assert {parent_id(r["traceparent"]) for r in sent} == {a["span_id"] for a in attempts}
    assert all(r["traceparent"].split("-")[1] == trace_id for r in sent)
    # The asyncio call continued its own Python span's trace.
    assert any(s["trace_id"] == out["async_trace_id"] and s["name"] == "oncely.call" for s in spans)
    # No credential in any exported attribute.
    assert SECRET not in json.dumps(spans)


def test_without_an_exporter_the_python_trace_is_still_forwarded(retried: OrdersServer) -> None:
    out = run_child(retried, "span", {})
    assert out["enabled"] is False
    sent = posts(retried)
    assert len(sent) == 2
    assert all(r["traceparent"].split("-")[1] == out["trace_id"] for r in sent)
    # A fresh span id per attempt, never the Python span's own.
    ids = [parent_id(r["traceparent"]) for r in sent]
    assert len(set(ids)) == 2 and out["span_id"] not in ids
    lookups = [r for r in retried.requests() if r["method"] == "GET" and r["path"] == "/orders"]
    assert lookups and lookups[0]["traceparent"].split("-")[1] == out["async_trace_id"]


def test_no_current_span_sends_no_trace_context(fresh: OrdersServer) -> None:
    run_child(fresh, "no-span", {})
    sent = posts(fresh)
    assert len(sent) == 1 and sent[0].get("traceparent") is None
