"""Webhooks from Python: Standard Webhooks and Stripe signatures checked
against the schemes' published vectors (the same as the Rust tests), typed
``WebhookError`` naming what failed, and ``WebhookInbox`` running each
event's handler once (after success, failure, concurrent deliveries; sync and
async handlers), plus a claim in the application's own ``sqlite3``
transaction."""

from __future__ import annotations

import asyncio
import json
import os
import runpy
import sqlite3
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from server import REPO, OrdersServer

import oncely
from oncely import webhooks

# Standard Webhooks: github.com/standard-webhooks/standard-webhooks,
# libraries/javascript/src/webhook.test.ts ("sign function works") and
# libraries/rust/src/lib.rs (test_sign, test_verify_with_multiple_signatures).
JS_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
JS_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
JS_TS = 1614265330
JS_PAYLOAD = b'{"test": 2432232314}'
JS_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
RS_SECRET = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
RS_ID = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk"
RS_TS = 1649367553
RS_PAYLOAD = b'{"email":"test@example.com","username":"test_user"}'
RS_SIGNATURE = "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
RS_OTHERS = [
    "v1,tFtCZ5RDCPxzWQRWXWPgrCgE2frDBe9gjpbWQxnVfsQ=",
    "v1,Mm7xgUVICxZfQ3bgf0h0Dof65L/IFx+PnZvnDWPCX6Q=",
    "v1,9DfC1c3eeOrXB6w/5dIDydLNQaEyww5KalE5jLBZucE=",
]
# Stripe: secret and payload of stripe-python tests/test_webhook.py, t=12345
# as in stripe-node test/Webhook.spec.ts; the hex computed with Python's hmac.
STRIPE_SECRET = "whsec_test_secret"
STRIPE_PAYLOAD = (
    '{\n  "id": "evt_test_webhook",\n  "object": "event",\n'
    '  "data": { "object": { "id": "rdr_123", "object": "terminal.reader" } }\n}'
)
STRIPE_TS = 12345
STRIPE_V1 = "07b1ede164afb7b5de91267ffa656f568c65d6e0783ce0ac55ee094643578eda"


def std_headers(id: str, ts: int, signature: str) -> dict[str, str]:
    return {"webhook-id": id, "webhook-timestamp": str(ts), "webhook-signature": signature}


def test_standard_vectors_sign_and_verify() -> None:
    assert webhooks.sign_standard(JS_SECRET, JS_ID, JS_TS, JS_PAYLOAD) == JS_SIGNATURE
    assert webhooks.sign_standard(RS_SECRET, RS_ID, RS_TS, RS_PAYLOAD) == RS_SIGNATURE
    event = webhooks.verify_standard(
        JS_SECRET, std_headers(JS_ID, JS_TS, JS_SIGNATURE), JS_PAYLOAD, now=JS_TS + 299
    )
    assert event == {"id": JS_ID, "timestamp": JS_TS}
    # Header names in any case; the body as str; the secret without its prefix.
    headers = {"Webhook-Id": RS_ID, "Webhook-Timestamp": str(RS_TS), "Webhook-Signature": RS_SIGNATURE}
    assert webhooks.verify_standard(RS_SECRET[6:], headers, RS_PAYLOAD.decode(), now=RS_TS)["id"] == RS_ID


def test_standard_refusals_name_what_failed() -> None:
    good = std_headers(JS_ID, JS_TS, JS_SIGNATURE)
    for secret, body in [(RS_SECRET, JS_PAYLOAD), (JS_SECRET, b'{"test": 2432232315}')]:
        with pytest.raises(oncely.WebhookError) as e:
            webhooks.verify_standard(secret, good, body, now=JS_TS)
        assert e.value.kind == "no_valid_signature"
        assert e.value.http_status == 400
    for name in good:
        headers = {k: v for k, v in good.items() if k != name}
        with pytest.raises(oncely.WebhookError) as e:
            webhooks.verify_standard(JS_SECRET, headers, JS_PAYLOAD, now=JS_TS)
        assert (e.value.kind, e.value.header) == ("missing_header", name)
    with pytest.raises(oncely.WebhookError) as e:
        webhooks.verify_standard(JS_SECRET, {**good, "webhook-timestamp": "hello"}, JS_PAYLOAD, now=JS_TS)
    assert (e.value.kind, e.value.header) == ("malformed_header", "webhook-timestamp")
    for now in (JS_TS + 301, JS_TS - 301):
        with pytest.raises(oncely.WebhookError) as e:
            webhooks.verify_standard(JS_SECRET, good, JS_PAYLOAD, now=now)
        assert e.value.kind == "timestamp_out_of_tolerance"
        assert (e.value.timestamp, e.value.now, e.value.tolerance) == (JS_TS, now, 300.0)
    with pytest.raises(oncely.WebhookError) as e:
        webhooks.verify_standard(JS_SECRET, good, JS_PAYLOAD, now=JS_TS + 11, tolerance=10)
    assert e.value.kind == "timestamp_out_of_tolerance"
    with pytest.raises(oncely.WebhookError) as e:
        webhooks.verify_standard("whsec_", good, JS_PAYLOAD)
    assert e.value.kind == "invalid_secret"
    with pytest.raises(TypeError):
        webhooks.verify_standard(JS_SECRET, good, 42)  # type: ignore[arg-type]


def test_standard_several_signatures_rotation_and_binary_bodies() -> None:
    several = " ".join([RS_OTHERS[0], RS_OTHERS[1], RS_SIGNATURE, RS_OTHERS[2]])
    webhooks.verify_standard(RS_SECRET, std_headers(RS_ID, RS_TS, several), RS_PAYLOAD, now=RS_TS)
    with pytest.raises(oncely.WebhookError):
        webhooks.verify_standard(
            RS_SECRET, std_headers(RS_ID, RS_TS, " ".join(RS_OTHERS)), RS_PAYLOAD, now=RS_TS
        )
    rotating = [JS_SECRET, RS_SECRET]
    webhooks.verify_standard(rotating, std_headers(RS_ID, RS_TS, RS_SIGNATURE), RS_PAYLOAD, now=RS_TS)
    webhooks.verify_standard(rotating, std_headers(JS_ID, JS_TS, JS_SIGNATURE), JS_PAYLOAD, now=JS_TS)
    binary = bytes([0xFF, 0xFE, 0x00, 0x80])
    signature = webhooks.sign_standard(JS_SECRET, JS_ID, JS_TS, binary)
    webhooks.verify_standard(JS_SECRET, std_headers(JS_ID, JS_TS, signature), bytearray(binary), now=JS_TS)


def test_stripe_vector_and_refusals() -> None:
    header = f"t={STRIPE_TS},v1={STRIPE_V1}"
    assert webhooks.sign_stripe(STRIPE_SECRET, STRIPE_TS, STRIPE_PAYLOAD) == header
    several = f"t={STRIPE_TS},v1=bad_signature,v1={STRIPE_V1},v0=6ffbb59b"
    event = webhooks.verify_stripe(
        STRIPE_SECRET, {"Stripe-Signature": several}, STRIPE_PAYLOAD, now=STRIPE_TS + 10
    )
    assert event == {"id": "evt_test_webhook", "timestamp": STRIPE_TS}
    webhooks.verify_stripe(
        ["whsec_new", STRIPE_SECRET], {"Stripe-Signature": header}, STRIPE_PAYLOAD, now=STRIPE_TS
    )
    cases = [
        ({"Stripe-Signature": header}, "whsec_other", "no_valid_signature"),
        ({"Stripe-Signature": "i'm not even a real signature header"}, STRIPE_SECRET, "malformed_header"),
        ({"Stripe-Signature": f"t={STRIPE_TS},v0={STRIPE_V1}"}, STRIPE_SECRET, "malformed_header"),
        ({}, STRIPE_SECRET, "missing_header"),
    ]
    for headers, secret, kind in cases:
        with pytest.raises(oncely.WebhookError) as e:
            webhooks.verify_stripe(secret, headers, STRIPE_PAYLOAD, now=STRIPE_TS)
        assert e.value.kind == kind
    with pytest.raises(oncely.WebhookError) as e:
        webhooks.verify_stripe(
            STRIPE_SECRET, {"Stripe-Signature": header}, STRIPE_PAYLOAD, now=STRIPE_TS + 301
        )
    assert e.value.kind == "timestamp_out_of_tolerance"


SECRET = JS_SECRET


def delivery(event_id: str) -> tuple[dict[str, str], bytes]:
    body = json.dumps({"id": event_id, "type": "order.created"}).encode()
    ts = int(time.time())
    return std_headers(event_id, ts, webhooks.sign_standard(SECRET, event_id, ts, body)), body


def test_the_inbox_runs_a_handler_once_and_again_after_a_failure(tmp_path: Path) -> None:
    inbox = oncely.WebhookInbox(f"sqlite:{tmp_path / 'hooks.db'}", secret=SECRET, source="orders")
    runs: list[str] = []

    def handler(event: dict[str, Any]) -> dict[str, Any]:
        runs.append(event["id"])
        return {"handled": event["id"]}

    headers, body = delivery("evt_py_1")
    first = inbox.receive(headers, body, handler)
    assert first == {
        "status": "processed",
        "event_id": "evt_py_1",
        "http_status": 200,
        "result": {"handled": "evt_py_1"},
    }
    again = inbox.receive(headers, body, handler)
    assert again["status"] == "duplicate" and again["result"] == {"handled": "evt_py_1"}
    assert runs == ["evt_py_1"]

    headers, body = delivery("evt_py_2")

    def failing(event: dict[str, Any]) -> None:
        raise ValueError("upstream said 503")

    with pytest.raises(ValueError, match="upstream said 503"):
        inbox.receive(headers, body, failing)
    record = inbox.get("evt_py_2")
    assert record is not None and record["state"] == "failed"
    assert "upstream said 503" in record["last_error"]
    assert inbox.receive(headers, body, handler)["status"] == "processed"
    assert inbox.get("evt_py_2")["attempts"] == 2  # type: ignore[index]
    # Verification failures record nothing.
    with pytest.raises(oncely.WebhookError) as e:
        inbox.receive({**headers, "webhook-id": "evt_forged"}, body, handler)
    assert e.value.kind == "no_valid_signature"
    assert inbox.get("evt_forged") is None
    assert runs == ["evt_py_1", "evt_py_2"]
    assert [r["event_id"] for r in inbox.list()] == ["evt_py_2", "evt_py_1"] or len(inbox.list()) == 2


def test_concurrent_deliveries_run_the_handler_once(tmp_path: Path) -> None:
    inbox = oncely.WebhookInbox(f"sqlite:{tmp_path / 'hooks.db'}", secret=SECRET)
    started, release = threading.Event(), threading.Event()
    runs: list[str] = []

    def slow(event: dict[str, Any]) -> str:
        runs.append(event["id"])
        started.set()
        release.wait(30)
        return "sent"

    headers, body = delivery("evt_race")
    receipts: list[dict[str, Any]] = []
    first = threading.Thread(target=lambda: receipts.append(inbox.receive(headers, body, slow)))
    first.start()
    assert started.wait(30)
    busy = inbox.receive(headers, body, slow)
    assert (busy["status"], busy["http_status"]) == ("in_progress", 409)
    release.set()
    first.join(30)
    assert receipts[0]["status"] == "processed"
    assert inbox.receive(headers, body, slow)["status"] == "duplicate"
    assert runs == ["evt_race"]


def test_async_receive_awaits_coroutine_handlers(tmp_path: Path) -> None:
    inbox = oncely.WebhookInbox(str(tmp_path / "hooks.db"), secret=SECRET)
    runs: list[str] = []

    async def handler(event: dict[str, Any]) -> int:
        await asyncio.sleep(0)
        runs.append(event["id"])
        return len(runs)

    async def main() -> list[dict[str, Any]]:
        headers, body = delivery("evt_async")
        first = await inbox.areceive(headers, body, handler)
        second = await inbox.areceive(headers, body, handler)

        async def failing(event: dict[str, Any]) -> None:
            raise RuntimeError("nope")

        headers, body = delivery("evt_async_fail")
        with pytest.raises(RuntimeError, match="nope"):
            await inbox.areceive(headers, body, failing)
        third = await inbox.areceive(headers, body, handler)
        return [first, second, third]

    first, second, third = asyncio.run(main())
    assert (first["status"], first["result"]) == ("processed", 1)
    assert (second["status"], second["result"]) == ("duplicate", 1)
    assert (third["status"], third["result"]) == ("processed", 2)
    assert runs == ["evt_async", "evt_async_fail"]


def test_claim_event_sqlite_commits_with_the_applications_transaction(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    oncely.WebhookInbox(f"sqlite:{path}", secret=SECRET)  # creates the table
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE stock (reserved INTEGER NOT NULL)")
    conn.execute("INSERT INTO stock VALUES (0)")

    def deliver(commit: bool) -> bool:
        conn.execute("BEGIN")
        first = webhooks.claim_event_sqlite(conn, "evt_tx", source="orders")
        if first:
            conn.execute("UPDATE stock SET reserved = reserved + 1")
        conn.execute("COMMIT" if commit else "ROLLBACK")
        return first

    assert deliver(commit=False) is True
    assert deliver(commit=True) is True
    assert deliver(commit=True) is False
    assert conn.execute("SELECT reserved FROM stock").fetchone()[0] == 1
    inbox = oncely.WebhookInbox(f"sqlite:{path}", secret=SECRET, source="orders")
    assert inbox.get("evt_tx")["state"] == "done"  # type: ignore[index]
    with pytest.raises(oncely.WebhookError) as e:
        webhooks.claim_event_sqlite(conn, "evt_x", table="nope; DROP")
    assert e.value.kind == "invalid_config"


def test_bad_inbox_options_are_typed_errors(tmp_path: Path) -> None:
    with pytest.raises(oncely.WebhookError) as e:
        oncely.WebhookInbox(str(tmp_path / "a.db"), secret=SECRET, scheme="github")
    assert e.value.kind == "invalid_config"
    with pytest.raises(oncely.WebhookError) as e:
        oncely.WebhookInbox("memory:", secret=SECRET)
    assert e.value.kind == "invalid_config"
    with pytest.raises(oncely.WebhookError) as e:
        oncely.WebhookInbox(str(tmp_path / "a.db"), secret="whsec_!!")
    assert e.value.kind == "invalid_secret"
    inbox = oncely.WebhookInbox(str(tmp_path / "a.db"), secret=SECRET)
    with pytest.raises(TypeError):
        inbox.receive({}, b"", "not callable")  # type: ignore[arg-type]


def _post(url: str, body: Any, headers: dict[str, str] | None = None) -> Any:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"content-type": "application/json", **(headers or {})},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_the_wsgi_example_handles_each_event_once_though_delivered_twice(tmp_path: Path) -> None:
    example = runpy.run_path(str(REPO / "examples" / "webhooks" / "receiver.py"), run_name="example")
    receiver = example["Receiver"](oncely.WebhookInbox(f"sqlite:{tmp_path / 'hooks.db'}", secret=SECRET))
    url, stop = example["serve"](receiver)
    args = (
        "--webhook-url",
        url,
        "--webhook-secret",
        SECRET,
        "--webhook-duplicate-every",
        "1",
        "--webhook-retry-ms",
        "1",
    )
    try:
        with OrdersServer(*args) as server:
            for n in range(3):
                order = {
                    "customer_id": "cus_1",
                    "currency": "EUR",
                    "items": [{"sku": "sku-1", "quantity": 1}],
                }
                created = _post(f"{server.base_url}/orders", order, {"Idempotency-Key": f"k{n}"})
            _post(f"{server.base_url}/orders/{created['id']}/cancel", {}, {"Idempotency-Key": "c1"})
            deadline = time.monotonic() + 30
            while (hooks := server._admin("GET", "/_admin/webhooks"))[
                "unsettled"
            ] and time.monotonic() < deadline:
                time.sleep(0.01)
            assert hooks["unsettled"] == 0
            copies = [d["copy"] for d in hooks["deliveries"]]
            assert copies.count(2) == 4, "the fault delivered every event twice"
            assert all(d["status"] == 200 for d in hooks["deliveries"])
    finally:
        stop()
    ids = [h["id"] for h in receiver.handled]
    assert len(ids) == 4 and len(set(ids)) == 4, ids
    assert [h["type"] for h in receiver.handled] == ["order.created"] * 3 + ["order.canceled"]
    records = receiver.inbox.list()
    assert sorted(r["event_id"] for r in records) == sorted(ids)
    assert all((r["state"], r["attempts"]) == ("done", 1) for r in records)


@pytest.mark.skipif(
    not os.environ.get("ONCELY_TEST_DATABASE_URL"), reason="ONCELY_TEST_DATABASE_URL is not set"
)
def test_claim_event_postgres_commits_with_the_psycopg_transaction() -> None:
    psycopg = pytest.importorskip("psycopg")
    url = os.environ["ONCELY_TEST_DATABASE_URL"]
    schema = f"py_hooks_{uuid.uuid4().hex[:10]}"
    inbox = oncely.WebhookInbox(f"{url}?oncely_schema={schema}", secret=SECRET, source="orders")
    with psycopg.connect(url) as conn:
        conn.execute(f"CREATE TABLE {schema}.stock (reserved INTEGER NOT NULL)")
        conn.execute(f"INSERT INTO {schema}.stock VALUES (0)")
        conn.commit()
        claims = []
        for commit in (False, True, True):
            with conn.transaction():
                first = webhooks.claim_event_postgres(conn, "evt_pg", source="orders", schema=schema)
                claims.append(first)
                if first:
                    conn.execute(f"UPDATE {schema}.stock SET reserved = reserved + 1")
                if not commit:
                    raise psycopg.Rollback()
        assert claims == [True, True, False]
        row = conn.execute(f"SELECT reserved FROM {schema}.stock").fetchone()
        assert row is not None and row[0] == 1
    record = inbox.get("evt_pg")
    assert record is not None and record["state"] == "done"
