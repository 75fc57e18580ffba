"""The transactional outbox from Python: a call enqueued on the
application's own ``sqlite3`` (and ``psycopg``) connection commits or rolls
back with its transaction; ``Outbox.dispatch`` delivers it once through the
native core (the server's ledger says so); dead rows keep their problem and
are retried with their original key."""

from __future__ import annotations

import os
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest
from server import OrdersServer

import oncely

ORDER: dict[str, Any] = {
    "customer_id": "cus_ob",
    "currency": "EUR",
    "items": [{"sku": "sku-1", "quantity": 1}],
}


def app_db(tmp_path: Path) -> tuple[sqlite3.Connection, oncely.Outbox]:
    path = tmp_path / "app.db"
    outbox = oncely.Outbox(f"sqlite:{path}")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE orders (id TEXT PRIMARY KEY)")
    return conn, outbox


def created(server: OrdersServer) -> list[dict[str, Any]]:
    return [e for e in server.ledger() if e["kind"] == "order_created"]


def test_a_row_commits_or_rolls_back_with_the_transaction(fresh: OrdersServer, tmp_path: Path) -> None:
    conn, outbox = app_db(tmp_path)
    conn.execute("BEGIN")
    conn.execute("INSERT INTO orders VALUES ('o_1')")
    oncely.enqueue_sqlite(conn, oncely.OutboxCall("POST", "/orders", json=ORDER, intent_id="o_1"))
    conn.execute("ROLLBACK")
    assert outbox.stats()["pending"] == 0

    conn.execute("BEGIN")
    conn.execute("INSERT INTO orders VALUES ('o_2')")
    row = oncely.enqueue_sqlite(
        conn, oncely.OutboxCall("POST", "/orders", json=ORDER, intent_id="o_2", partition="cus_ob")
    )
    with pytest.raises(oncely.OutboxError) as duplicate:
        oncely.enqueue_sqlite(conn, oncely.OutboxCall("POST", "/orders", json=ORDER, intent_id="o_2"))
    assert duplicate.value.kind == "duplicate_intent" and duplicate.value.existing == row
    conn.execute("COMMIT")
    assert outbox.stats()["pending"] == 1

    client = oncely.Client(fresh.base_url, retry=oncely.RetryPolicy(max_attempts=3, base_delay=0.001))
    report = outbox.dispatch(client, concurrency=4)
    assert report == {"delivered": 1, "retried": 0, "dead": 0, "lease_lost": 0}
    shown = outbox.get(row)
    assert shown["state"] == "delivered" and shown["response"]["status"] == 201
    assert [e["idempotency_key"] for e in created(fresh)] == [shown["idempotency_key"]]


def test_dead_rows_keep_their_problem_and_retry_with_their_key(fresh: OrdersServer, tmp_path: Path) -> None:
    fresh.add_faults([{"route": "POST /orders", "nth": 1, "fault": {"kind": "status", "code": 400}}])
    # Then the server processes the order and drops the connection before
    # answering: the client's retry with the same key gets the replay.
    fresh.add_faults([{"route": "POST /orders", "nth": 2, "fault": {"kind": "drop_after_commit"}}])
    _, outbox = app_db(tmp_path)
    first = outbox.enqueue(oncely.OutboxCall("POST", "/orders", json=ORDER, intent_id="dead-1"))
    client = oncely.Client(fresh.base_url, retry=oncely.RetryPolicy(max_attempts=3, base_delay=0.001))
    assert outbox.dispatch(client)["dead"] == 1
    dead = outbox.get(first)
    assert dead["state"] == "dead" and dead["last_error"]["status"] == 400
    assert [r["id"] for r in outbox.list(state="dead")] == [first]
    retried = outbox.retry(first)
    assert retried["state"] == "pending" and retried["attempts"] == 0
    # The first client recorded the 400 as the intent's final answer; a new
    # dispatcher (a new process, a new client) sends the row again.
    client = oncely.Client(fresh.base_url, retry=oncely.RetryPolicy(max_attempts=3, base_delay=0.001))
    assert outbox.dispatch(client)["delivered"] == 1
    keys = [r["idempotency_key"] for r in fresh.requests() if r["route"] == "POST /orders"]
    assert keys == [dead["idempotency_key"]] * 3
    assert len(created(fresh)) == 1
    with pytest.raises(oncely.OutboxError) as refused:
        outbox.discard(first)
    assert refused.value.kind == "wrong_state"
    with pytest.raises(oncely.OutboxError) as missing:
        outbox.get(999)
    assert missing.value.kind == "not_found"


def test_calls_that_cannot_be_sent_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"headers": {"Authorization": "Bearer s3cret"}}, "credentials"),
        ({"headers": {"X-Note": "a\r\nb"}}, "X-Note"),
        ({"timeout": 1.0}, "timeout"),
        ({"idempotency_key": "k"}, "idempotency_key"),
    ]
    for bad, what in cases:
        with pytest.raises(oncely.OutboxError, match=what) as refused:
            oncely.OutboxCall("POST", "/orders", **bad)
        assert refused.value.kind == "invalid_call"
    with pytest.raises(oncely.OutboxError, match="order_id"):
        oncely.OutboxCall("POST", "/orders/{order_id}/cancel")
    with pytest.raises(ValueError):
        oncely.OutboxCall("POST", "/orders", delay=-1)
    bare = sqlite3.connect(":memory:")
    with pytest.raises(sqlite3.OperationalError):
        oncely.enqueue_sqlite(bare, oncely.OutboxCall("POST", "/orders"))
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database, not at all, not even close")
    with pytest.raises(oncely.OutboxError) as corrupt:
        oncely.Outbox(f"sqlite:{garbage}")
    assert corrupt.value.kind == "store"
    assert garbage.read_bytes() == b"not a database, not at all, not even close"


@pytest.mark.skipif(
    not os.environ.get("ONCELY_TEST_DATABASE_URL"), reason="ONCELY_TEST_DATABASE_URL is not set"
)
def test_psycopg_transaction_carries_the_row_on_postgres(fresh: OrdersServer) -> None:
    psycopg = pytest.importorskip("psycopg")
    url = os.environ["ONCELY_TEST_DATABASE_URL"]
    schema = f"py_outbox_{uuid.uuid4().hex[:10]}"
    outbox = oncely.Outbox(f"{url}?oncely_schema={schema}")
    with psycopg.connect(url) as conn:
        conn.execute(f"CREATE TABLE {schema}.orders (id TEXT PRIMARY KEY)")
        conn.commit()
        with conn.transaction():
            conn.execute(f"INSERT INTO {schema}.orders VALUES ('o_1')")
            oncely.enqueue_postgres(
                conn, oncely.OutboxCall("POST", "/orders", json=ORDER, intent_id="pg-1"), schema=schema
            )
            raise psycopg.Rollback()
        with conn.transaction():
            conn.execute(f"INSERT INTO {schema}.orders VALUES ('o_2')")
            row = oncely.enqueue_postgres(
                conn, oncely.OutboxCall("POST", "/orders", json=ORDER, intent_id="pg-2"), schema=schema
            )
            with pytest.raises(oncely.OutboxError):
                oncely.enqueue_postgres(
                    conn, oncely.OutboxCall("POST", "/orders", json=ORDER, intent_id="pg-2"), schema=schema
                )
    assert outbox.stats()["pending"] == 1
    client = oncely.Client(fresh.base_url)
    assert outbox.dispatch(client)["delivered"] == 1
    assert outbox.get(row)["state"] == "delivered"
    assert len(created(fresh)) == 1
