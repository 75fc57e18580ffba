"""Enqueueing outbox calls on the application's own connection.

The row must commit or roll back with the application's change, so it is
written on the application's connection, inside its transaction: the
native core checks and encodes the call (``OutboxCall.insert_statement``) and
these helpers execute the statement there. ``Outbox(location)`` creates the
table first (for SQLite, the same file the application writes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from oncely._native import OutboxCall, OutboxError


class _Cursor(Protocol):
    def fetchone(self) -> Any: ...


class _Connection(Protocol):
    def execute(self, sql: str, params: Sequence[Any], /) -> Any: ...


def _duplicate(intent_id: str, existing: int) -> OutboxError:
    error = OutboxError(f"intent {intent_id!r} is already in the outbox (row {existing})")
    error.kind = "duplicate_intent"
    error.existing = existing
    return error


def _enqueue(conn: _Connection, call: OutboxCall, style: str, table: str, mark: str) -> int:
    sql, params = call.insert_statement(style, table)
    row = conn.execute(sql, params).fetchone()
    if row is not None:
        return int(row[0])
    intent_id = str(params[8])
    found = conn.execute(f"SELECT id FROM {table} WHERE intent_id = {mark}", [intent_id]).fetchone()
    raise _duplicate(intent_id, int(found[0]))


def enqueue_sqlite(conn: _Connection, call: OutboxCall, *, table: str = "oncely_outbox") -> int:
    """Enqueues ``call`` on a ``sqlite3`` connection, inside the transaction it
    has open (commit or roll back as usual). Returns the row id; an intent
    already in the outbox raises ``OutboxError`` (``kind="duplicate_intent"``)
    and leaves the transaction usable."""
    return _enqueue(conn, call, "qmark", table, "?")


def enqueue_postgres(conn: _Connection, call: OutboxCall, *, schema: str = "oncely") -> int:
    """Enqueues ``call`` on a ``psycopg`` connection (or cursor), inside its
    transaction, into ``schema``'s outbox. A duplicate intent raises
    ``OutboxError`` without aborting the transaction (``ON CONFLICT DO
    NOTHING``)."""
    return _enqueue(conn, call, "format", f"{schema}.oncely_outbox", "%s")
