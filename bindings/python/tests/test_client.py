"""The synchronous client against the reference server."""

from __future__ import annotations

import math
import os
import pickle
import uuid
from pathlib import Path
from typing import Any

import pytest
from server import OrdersServer

import oncely


def client(server: OrdersServer, **options: Any) -> oncely.Client:
    options.setdefault("retry", oncely.RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.01))
    return oncely.Client(server.base_url, **options)


def test_create_and_read(fresh: OrdersServer, order: dict[str, Any]) -> None:
    c = client(fresh)
    created = c.post("/orders", json=order)
    assert created.status == 201
    assert created.is_success
    assert created.headers["content-type"].startswith("application/json")
    assert created.header("Content-Type") == created.headers["content-type"]
    assert created.header("x-missing", "d") == "d"
    assert created.idempotency_key  # POST gets a key
    assert created.attempts == 1
    assert created.from_store is False and created.replayed is False
    body = created.json()
    assert body["customer_id"] == "cus_1"
    assert created.etag
    assert created.text.startswith("{")
    assert isinstance(created.content, bytes)
    got = c.get("/orders/{order_id}", path_params={"order_id": body["id"]})
    assert got.json()["id"] == body["id"]
    assert got.idempotency_key is None  # GET gets none
    assert got.url is not None and got.url.endswith(body["id"])
    assert repr(got) == "<oncely.Response [200]>"


def test_query_parameters_and_headers(fresh: OrdersServer, order: dict[str, Any]) -> None:
    c = client(fresh, headers={"X-Trace": "t-1"})
    oid = c.post("/orders", json=order).json()["id"]
    got = c.get(f"/orders/{oid}", params={"expand": ["items", "customer"], "flag": True, "skip": None})
    assert got.url is not None and got.url.endswith("?expand=items&expand=customer&flag=true")
    got = c.get(f"/orders/{oid}", params=[("limit", 5)], headers={"Accept": "application/json"})
    assert got.url is not None and got.url.endswith("?limit=5")


def test_intent_id_gives_the_same_key_and_the_stored_answer(
    fresh: OrdersServer, order: dict[str, Any], tmp_path: Path
) -> None:
    store = f"sqlite:{tmp_path / 'oncely.db'}"
    first = client(fresh, store=store).post("/orders", json=order, intent_id="cart-1")
    again = client(fresh, store=store).post("/orders", json=order, intent_id="cart-1")
    assert again.from_store and again.attempts == 0
    assert again.json()["id"] == first.json()["id"]
    assert again.idempotency_key == first.idempotency_key
    assert len([e for e in fresh.ledger() if e["kind"] == "order_created"]) == 1


def test_shared_store_object(fresh: OrdersServer, order: dict[str, Any]) -> None:
    store = oncely.Store.memory()
    a, b = client(fresh, store=store), client(fresh, store=store)
    first = a.post("/orders", json=order, intent_id="cart-2")
    assert b.post("/orders", json=order, intent_id="cart-2").json()["id"] == first.json()["id"]
    with pytest.raises(oncely.IdempotencyConflictError) as info:
        b.post("/orders", json={**order, "currency": "USD"}, intent_id="cart-2")
    assert info.value.key == first.idempotency_key
    assert "nothing was sent" in str(info.value)
    assert "memory" in repr(store)


def test_problem_error_has_every_field(fresh: OrdersServer, order: dict[str, Any]) -> None:
    c = client(fresh)
    oid = c.post("/orders", json=order).json()["id"]
    with pytest.raises(oncely.ProblemError) as info:
        c.post(
            f"/orders/{oid}/payments",
            json={"amount": 1999, "currency": "EUR", "payment_method": "pm_card_declined"},
        )
    e = info.value
    assert isinstance(e, oncely.Error)
    assert e.type == "https://oncely.dev/problems/payment-declined"
    assert e.title and e.detail
    assert e.status == 402
    assert e.instance == f"/orders/{oid}/payments"
    assert e.extensions == {"decline_code": "insufficient_funds"}
    assert e.retryable is False
    assert e.problem is not None and e.problem["status"] == 402
    assert e.response.status == 402
    assert e.response.json()["decline_code"] == "insufficient_funds"
    assert "application/problem+json" in e.headers["content-type"]
    # Exceptions survive pickling (multiprocessing, logging to other processes).
    copy = pickle.loads(pickle.dumps(oncely.Error("x")))
    assert str(copy) == "x"


def test_retry_exhausted_keeps_the_last_error(fresh: OrdersServer, order: dict[str, Any]) -> None:
    fresh.add_faults(
        [{"route": "POST /orders", "nth": 1, "every": True, "fault": {"kind": "status", "code": 503}}]
    )
    with pytest.raises(oncely.RetryExhaustedError) as info:
        client(fresh).post("/orders", json=order)
    e = info.value
    assert e.attempts == 3
    assert e.status == 503
    assert isinstance(e.last_error, oncely.Error)
    assert e.__cause__ is e.last_error
    keys = {r["idempotency_key"] for r in fresh.requests() if r["route"] == "POST /orders"}
    assert len(keys) == 1  # one key on every attempt


def test_transport_and_timeout_errors() -> None:
    c = oncely.Client("http://127.0.0.1:9", retry=oncely.RetryPolicy.none())
    with pytest.raises(oncely.RetryExhaustedError) as info:
        c.get("/x")
    assert isinstance(info.value.last_error, oncely.TransportError)
    assert info.value.last_error.kind == "connect"


def test_an_answer_over_the_size_limit_is_a_transport_error(
    fresh: OrdersServer, order: dict[str, Any]
) -> None:
    oid = client(fresh).post("/orders", json=order).json()["id"]
    small = client(fresh, max_response_bytes=16)
    with pytest.raises(oncely.TransportError) as info:
        small.get(f"/orders/{oid}")
    assert info.value.kind == "too_large"
    assert info.value.limit == 16
    gets = [r for r in fresh.requests() if r["route"] == "GET /orders/{order_id}"]
    assert len(gets) == 1  # the same request would get the same answer: not retried
    with pytest.raises(ValueError, match="max_response_bytes"):
        client(fresh, max_response_bytes=0)


def test_a_proxy_carries_the_call_and_bad_proxies_are_value_errors(
    fresh: OrdersServer, order: dict[str, Any]
) -> None:
    # The reference server plays an HTTP forward proxy: it receives the whole
    # URL in the request line and serves it by path.
    proxied = oncely.Client("http://orders.invalid", proxy=fresh.base_url)
    created = proxied.post("/orders", json=order).json()
    assert len([e for e in fresh.ledger() if e["kind"] == "order_created"]) == 1
    assert created["id"]
    direct = client(fresh, proxy=False)
    assert direct.get(f"/orders/{created['id']}").json()["id"] == created["id"]
    with pytest.raises(ValueError, match="proxy URL"):
        oncely.Client("http://orders.invalid", proxy="ftp://proxy.example")
    with pytest.raises(TypeError, match="proxy"):
        oncely.Client("http://orders.invalid", proxy=True)  # type: ignore[arg-type]


def test_timeout_is_also_the_builtin(fresh: OrdersServer, order: dict[str, Any]) -> None:
    c = client(fresh)
    oid = c.post("/orders", json=order).json()["id"]
    fresh.add_faults(
        [{"route": "GET /orders/{order_id}", "nth": 1, "every": True, "fault": {"kind": "delay", "ms": 300}}]
    )
    with pytest.raises(TimeoutError) as info:
        c.get(f"/orders/{oid}", timeout=0.05, deadline=0.12)
    assert isinstance(info.value, oncely.TimeoutError)
    assert info.value.kind == "deadline"
    assert info.value.elapsed >= 0.1


def test_precondition_failed(fresh: OrdersServer, order: dict[str, Any]) -> None:
    c = client(fresh)
    created = c.post("/orders", json=order)
    oid, etag = created.json()["id"], created.etag
    assert etag is not None
    c.patch(f"/orders/{oid}", json={"note": "first"}, if_match=etag)
    with pytest.raises(oncely.PreconditionFailedError) as info:
        c.patch(f"/orders/{oid}", json={"note": "stale"}, if_match=etag)
    assert info.value.status == 412


def test_decode_error(fresh: OrdersServer) -> None:
    fresh.add_faults(
        [
            {
                "route": "GET /orders",
                "nth": 1,
                "fault": {"kind": "status", "code": 200, "body": "<html>", "content_type": "text/html"},
            }
        ]
    )
    response = client(fresh).get("/orders")
    with pytest.raises(oncely.DecodeError) as info:
        response.json()
    assert "text/html" in str(info.value)
    assert response.text == "<html>"


def test_status_error_keeps_the_raw_body(fresh: OrdersServer, order: dict[str, Any]) -> None:
    fresh.add_faults(
        [
            {
                "route": "POST /orders",
                "nth": 1,
                "fault": {
                    "kind": "status",
                    "code": 400,
                    "body": "{oops",
                    "content_type": "application/problem+json",
                },
            }
        ]
    )
    with pytest.raises(oncely.StatusError) as info:
        client(fresh).post("/orders", json=order)
    assert info.value.status == 400
    assert info.value.content == b"{oops"
    assert info.value.response.status == 400


def test_context_manager_and_repr(server: OrdersServer) -> None:
    with oncely.Client(server.base_url) as c:
        assert c.base_url.startswith("http://127.0.0.1")
        assert "oncely.Client" in repr(c)
        with pytest.raises(oncely.ProblemError) as info:
            c.get("/orders/missing")
        assert info.value.status == 404


def test_form_and_raw_bodies(fresh: OrdersServer) -> None:
    c = client(fresh, retry=oncely.RetryPolicy.none())
    # The reference server wants JSON: both answer a problem, which proves the
    # bodies were built and sent (and that nothing is retried blindly).
    with pytest.raises(oncely.Error):
        c.post("/orders", data={"customer_id": "c", "items": [{"sku": "s", "quantity": 1}]})
    with pytest.raises(oncely.Error):
        c.post("/orders", content=b"raw", content_type="text/plain")


# ---------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    ("options", "exc", "text"),
    [
        ({"timeout": -1}, ValueError, "timeout"),
        ({"timeout": "5"}, TypeError, "timeout must be a number"),
        ({"deadline": math.nan}, ValueError, "deadline"),
        ({"retry": "many"}, TypeError, "retry must be"),
        ({"retry": 0}, ValueError, "at least 1"),
        ({"store": "redis://x"}, oncely.StoreError, "unknown store scheme `redis`"),
        ({"store": 5}, TypeError, "store must be"),
        ({"headers": {"X": 1}}, TypeError, "must be str"),
        ({"headers": {"bad header": "x"}}, ValueError, "bad header"),
        ({"bearer": "se\ncret"}, ValueError, "credential"),
        ({"nope": 1}, TypeError, "unexpected keyword argument 'nope'"),
        ({"retry_budget": 3}, TypeError, "retry_budget"),
    ],
)
def test_bad_client_options(options: dict[str, Any], exc: type[Exception], text: str) -> None:
    with pytest.raises(exc) as info:
        oncely.Client("http://127.0.0.1:1", **options)
    assert text in str(info.value)
    assert "se\ncret" not in str(info.value)


@pytest.mark.parametrize(
    ("base", "text"),
    [("localhost:8080", "not http or https"), ("api.example.com", "needs a scheme"), ("", "base URL")],
)
def test_bad_base_url(base: str, text: str) -> None:
    with pytest.raises(oncely.InvalidInputError) as info:
        oncely.Client(base)
    assert isinstance(info.value, ValueError)
    assert text in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "exc", "text"),
    [
        ({"json": {"a": object()}}, TypeError, 'json["a"]: object of type object'),
        ({"json": {1: "x"}}, TypeError, "keys must be str"),
        ({"json": [math.inf]}, ValueError, "json[0]"),
        ({"json": 2**80}, ValueError, "64 bits"),
        ({"params": 5}, TypeError, "params must be"),
        ({"params": {"a": object()}}, TypeError, "parameter 'a'"),
        ({"headers": ["x"]}, TypeError, "headers must be a mapping"),
        ({"timeout": 0}, ValueError, "more than 0"),
        ({"json": {}, "data": {}}, ValueError, "only one of"),
        ({"content": "text"}, TypeError, "content must be bytes"),
        ({"idempotent": "yes"}, TypeError, "idempotent must be bool"),
        ({"whatever": 1}, TypeError, "unexpected keyword argument 'whatever'"),
    ],
)
def test_bad_request_arguments(kwargs: dict[str, Any], exc: type[Exception], text: str) -> None:
    c = oncely.Client("http://127.0.0.1:1")
    with pytest.raises(exc) as info:
        c.request("POST", "/x", **kwargs)
    assert text in str(info.value)


def test_bad_method_and_template() -> None:
    c = oncely.Client("http://127.0.0.1:1")
    with pytest.raises(ValueError, match="not a valid HTTP method"):
        c.request("GE T", "/x")
    with pytest.raises(oncely.InvalidInputError, match="no value for"):
        c.get("/orders/{id}")
    with pytest.raises(ValueError, match="is None"):
        c.get("/orders/{id}", path_params={"id": None})  # type: ignore[dict-item]


def test_deeply_nested_json_is_refused() -> None:
    value: Any = []
    for _ in range(300):
        value = [value]
    with pytest.raises(ValueError, match="nested more than"):
        oncely.Client("http://127.0.0.1:1").post("/x", json=value)


def test_retry_policy_and_config_objects() -> None:
    p = oncely.RetryPolicy(max_attempts=3, base_delay=0.05)
    assert (p.max_attempts, p.base_delay) == (3, 0.05)
    assert p.max_delay == 20.0 and p.max_server_delay == 60.0
    assert oncely.RetryPolicy.none().max_attempts == 1
    assert "max_attempts=3" in repr(p)
    with pytest.raises(ValueError):
        oncely.RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        oncely.RetryPolicy(base_delay=-1)
    b = oncely.RetryBudget(capacity=5)
    assert (b.capacity, b.deposit_per_success) == (5.0, 0.1)
    br = oncely.CircuitBreaker(failure_threshold=3, open_for=0.5)
    assert (br.failure_threshold, br.open_for) == (3, 0.5)
    with pytest.raises(TypeError):
        oncely.RetryPolicy(3)  # type: ignore[call-arg]


def test_corrupt_sqlite_store_is_a_store_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(oncely.StoreError, match="corrupt"):
        oncely.Client("http://127.0.0.1:1", store=f"sqlite:{bad}")
    assert bad.read_bytes().startswith(b"this is not")


@pytest.mark.skipif(
    not os.environ.get("ONCELY_TEST_DATABASE_URL"),
    reason="needs PostgreSQL (make python-test starts one via scripts/with-postgres.sh)",
)
def test_postgres_store_is_shared(fresh: OrdersServer, order: dict[str, Any]) -> None:
    url = os.environ["ONCELY_TEST_DATABASE_URL"]
    a = client(fresh, store=url)
    b = client(fresh, store=oncely.Store.open(url))
    intent = f"pg-{uuid.uuid4()}"
    first = a.post("/orders", json=order, intent_id=intent)
    again = b.post("/orders", json=order, intent_id=intent)
    assert again.from_store and again.json()["id"] == first.json()["id"]
    shown = repr(oncely.Store.open(url))
    assert shown.startswith("<oncely.Store postgres:")
    assert "@" not in shown  # no user or password
