"""Streamed answers from Python against the reference server's streaming
routes (``openapi/streaming.yaml``): server-sent events (reconnecting after
``Last-Event-ID``), JSON lines, the faults that break them, and closing."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from server import OrdersServer

import oncely

EVENTS = "GET /orders/{order_id}/events"
EXPORT = "GET /orders/export"


@pytest.fixture(scope="module")
def streaming() -> Iterator[OrdersServer]:
    """A reference server whose event streams ask for 1 ms reconnections."""
    with OrdersServer("--stream-retry-ms", "1") as s:
        yield s


@pytest.fixture()
def server(streaming: OrdersServer) -> OrdersServer:
    streaming.reset()
    return streaming


def client(server: OrdersServer) -> oncely.Client:
    return oncely.Client(
        server.base_url, retry=oncely.RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.01)
    )


def aclient(server: OrdersServer) -> oncely.AsyncClient:
    return oncely.AsyncClient(
        server.base_url, retry=oncely.RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.01)
    )


def create_order(c: oncely.Client, order: dict[str, Any]) -> str:
    return str(c.post("/orders", json=order).json()["id"])


def order_with_history(c: oncely.Client, order: dict[str, Any]) -> str:
    """An order created, reserved and cancelled: its event stream ends after three events."""
    oid = create_order(c, order)
    c.post(f"/orders/{oid}/reservations", json={})
    c.post(f"/orders/{oid}/cancel", json={})
    return oid


def requests_to(server: OrdersServer, route: str) -> list[dict[str, Any]]:
    return [r for r in server.requests() if r["route"] == route]


def content(events: list[oncely.ServerEvent]) -> list[tuple[str | None, str, str]]:
    return [(e.id, e.event, e.data) for e in events]


def test_events_arrive_in_order(server: OrdersServer, order: dict[str, Any]) -> None:
    c = client(server)
    oid = order_with_history(c, order)
    with c.stream_events("GET", f"/orders/{oid}/events") as events:
        got = list(events)
        assert events.last_event_id == got[-1].id
    assert [e.event for e in got] == ["order_created", "inventory_reserved", "order_cancelled"]
    ids = [int(e.id or "0") for e in got]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert got[0].retry == pytest.approx(0.001)
    assert got[1].retry is None
    last = got[2].json()
    assert isinstance(last, dict) and last["order_status"] == "cancelled"
    assert len(requests_to(server, EVENTS)) == 1


def test_a_cut_stream_reconnects_after_the_last_event_id(server: OrdersServer, order: dict[str, Any]) -> None:
    c = client(server)
    oid = order_with_history(c, order)
    expected = list(c.stream_events("GET", f"/orders/{oid}/events"))
    server.add_faults([{"route": EVENTS, "fault": {"kind": "cut_stream", "after": 1}}])
    got = list(c.stream_events("GET", "/orders/{id}/events", path_params={"id": oid}))
    assert content(got) == content(expected)
    cut, resumed = requests_to(server, EVENTS)[1:]
    assert "last_event_id" not in cut
    assert resumed["last_event_id"] == expected[0].id


def test_a_kept_last_event_id_resumes(server: OrdersServer, order: dict[str, Any]) -> None:
    c = client(server)
    oid = order_with_history(c, order)
    first = next(c.stream_events("GET", f"/orders/{oid}/events"))
    rest = list(c.stream_events("GET", f"/orders/{oid}/events", last_event_id=first.id))
    assert [e.event for e in rest] == ["inventory_reserved", "order_cancelled"]


def test_a_cut_without_reconnection_raises(server: OrdersServer, order: dict[str, Any]) -> None:
    c = client(server)
    oid = order_with_history(c, order)
    server.add_faults([{"route": EVENTS, "fault": {"kind": "cut_stream", "after": 1}}])
    events = c.stream_events("GET", f"/orders/{oid}/events", reconnect="never")
    assert next(events).event == "order_created"
    with pytest.raises(oncely.TransportError):
        next(events)


def test_another_content_type_is_a_protocol_error(server: OrdersServer, order: dict[str, Any]) -> None:
    c = client(server)
    oid = create_order(c, order)
    server.add_faults(
        [{"route": EVENTS, "fault": {"kind": "content_type", "content_type": "application/json"}}]
    )
    with pytest.raises(oncely.ProtocolError) as info:
        c.stream_events("GET", f"/orders/{oid}/events")
    assert '"application/json"' in str(info.value)


def test_a_503_before_the_stream_is_retried(server: OrdersServer, order: dict[str, Any]) -> None:
    c = client(server)
    oid = order_with_history(c, order)
    server.add_faults([{"route": EVENTS, "fault": {"kind": "status", "code": 503, "retry_after": "0"}}])
    assert len(list(c.stream_events("GET", f"/orders/{oid}/events"))) == 3
    assert [r["status"] for r in requests_to(server, EVENTS)] == [503, 200]


def test_stream_options_are_checked(server: OrdersServer) -> None:
    c = client(server)
    with pytest.raises(oncely.InvalidInputError, match="reconnect"):
        c.stream_events("GET", "/orders/x/events", reconnect="always")  # type: ignore[arg-type]
    with pytest.raises(oncely.InvalidInputError, match="max_item_bytes"):
        c.stream_events("GET", "/orders/x/events", max_item_bytes=0)
    with pytest.raises(TypeError, match="max_item_bytes"):
        c.stream_events("GET", "/orders/x/events", max_item_bytes="1")  # type: ignore[arg-type]
    with pytest.raises(oncely.InvalidInputError, match="last_event_id"):
        c.stream_lines("GET", "/orders/export", last_event_id="1")  # type: ignore[call-arg]


def test_close_closes_the_connection(server: OrdersServer, order: dict[str, Any]) -> None:
    c = client(server)
    oid = create_order(c, order)  # not cancelled: its stream follows it live
    events = c.stream_events("GET", f"/orders/{oid}/events")
    assert next(events).event == "order_created"
    assert server.open_streams() == 1
    events.close()
    assert server.open_streams(until=0) == 0
    with pytest.raises(StopIteration):
        next(events)


def test_close_ends_a_next_waiting_on_another_thread(server: OrdersServer, order: dict[str, Any]) -> None:
    c = client(server)
    oid = create_order(c, order)
    events = c.stream_events("GET", f"/orders/{oid}/events")
    assert next(events).event == "order_created"
    ended = threading.Event()

    def wait_for_more() -> None:
        # Blocks with the GIL released until the stream is closed.
        for _ in events:
            pass
        ended.set()

    reader = threading.Thread(target=wait_for_more)
    reader.start()
    events.close()
    reader.join(timeout=10)
    assert ended.is_set()
    assert server.open_streams(until=0) == 0


def test_ndjson_lines_are_json_values(server: OrdersServer, order: dict[str, Any]) -> None:
    c = client(server)
    ids = [create_order(c, order) for _ in range(3)]
    with c.stream_lines("GET", "/orders/export") as lines:
        got = list(lines)
    assert [o["id"] for o in got] == ids


def test_a_bad_line_raises_with_its_number_and_the_stream_goes_on(server: OrdersServer) -> None:
    body = '{"n": 1}\n\n{"n":\n{"n": 4}\n'
    fault = {"kind": "status", "code": 200, "content_type": "application/x-ndjson", "body": body}
    server.add_faults([{"route": EXPORT, "fault": fault}])
    lines = client(server).stream_lines("GET", "/orders/export")
    assert next(lines) == {"n": 1}
    with pytest.raises(oncely.DecodeError, match="line 3 of GET /orders/export"):
        next(lines)
    assert next(lines) == {"n": 4}
    assert list(lines) == []


@pytest.mark.asyncio
async def test_async_events_and_lines(server: OrdersServer, order: dict[str, Any]) -> None:
    c = client(server)
    oid = order_with_history(c, order)
    create_order(c, order)
    ac = aclient(server)
    kinds = [e.event async for e in ac.stream_events("GET", f"/orders/{oid}/events")]
    assert kinds == ["order_created", "inventory_reserved", "order_cancelled"]
    async with ac.stream_lines("GET", "/orders/export") as lines:
        assert len([o async for o in lines]) == 2


@pytest.mark.asyncio
async def test_async_errors_raise_on_first_use(server: OrdersServer) -> None:
    stream = aclient(server).stream_events("GET", "/orders/6b1c1ba5-4ae4-4a54-9a4b-3b1b1b1b1b1b/events")
    with pytest.raises(oncely.ProblemError):
        await stream.__anext__()


@pytest.mark.asyncio
async def test_async_aclose_closes_the_connection(server: OrdersServer, order: dict[str, Any]) -> None:
    oid = create_order(client(server), order)
    async with aclient(server).stream_events("GET", f"/orders/{oid}/events") as events:
        first = await events.__anext__()
        assert first.event == "order_created"
        # Another read waits for a change that never comes: cancelling it
        # leaves the stream usable, closing it ends the connection.
        waiting = asyncio.ensure_future(events.__anext__())
        await asyncio.sleep(0)
        waiting.cancel()
    assert await asyncio.to_thread(server.open_streams, 0) == 0
