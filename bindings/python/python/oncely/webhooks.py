"""Webhooks received exactly once.

Senders deliver webhooks at least once; a receiver must process each event
once. The native core verifies deliveries (Standard Webhooks, Stripe's
``Stripe-Signature``: several signatures, several secrets while a key is
rotated, a timestamp tolerance both ways, constant-time comparison) and keeps
the record of processed events:

- ``WebhookInbox(location, secret=...)``: ``receive(headers, body, handler)``
  verifies, runs the handler once per event id (under a lease, extended while
  it runs) and records ``done`` or ``failed``; a redelivery of a done event is
  ``"duplicate"``, one that finds the event in progress ``"in_progress"``
  (answer ``receipt["http_status"]``, 409, so the sender tries again later).
- ``claim_event_sqlite`` / ``claim_event_postgres``: for handlers whose
  effects are rows in the application's own database, the claim is written
  on the application's connection, inside its transaction, so the record and
  the effects commit or roll back together. The table is created by opening
  a ``WebhookInbox`` on the same database once.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, Union

from oncely._native import (
    WebhookError,
    WebhookInbox,
    sign_webhook,
    verify_standard_webhook,
    verify_stripe_webhook,
    webhook_claim_sql,
)

#: A signed body as a receiver gets it.
Body = Union[bytes, bytearray, memoryview, str]
#: One secret, or several while a key is rotated.
Secrets = Union[str, Sequence[str]]


class _Connection(Protocol):
    def execute(self, sql: str, params: Sequence[Any], /) -> Any: ...


def verify_standard(
    secret: Secrets,
    headers: Mapping[str, str],
    body: Body,
    *,
    tolerance: float | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """Verifies a Standard Webhooks delivery (``webhook-id``,
    ``webhook-timestamp``, ``webhook-signature``) against ``secret``
    (``whsec_<base64>``, or a list of them). Returns ``{"id", "timestamp"}``;
    raises ``WebhookError`` naming what failed. ``tolerance``: seconds either
    way (default 300); ``now``: Unix seconds instead of the clock (tests)."""
    return verify_standard_webhook(secret, headers, body, tolerance=tolerance, now=now)


def verify_stripe(
    secret: Secrets,
    headers: Mapping[str, str],
    body: Body,
    *,
    tolerance: float | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """Verifies a Stripe delivery (``Stripe-Signature``) against the endpoint
    secret(s). Returns ``{"id", "timestamp"}`` with the event id of the JSON
    body; raises ``WebhookError``."""
    return verify_stripe_webhook(secret, headers, body, tolerance=tolerance, now=now)


def sign_standard(secret: Secrets, id: str, timestamp: int, body: Body) -> str:
    """The ``webhook-signature`` value (``v1,<base64>``) for a delivery."""
    return sign_webhook("standard", secret, timestamp, body, id=id)


def sign_stripe(secret: Secrets, timestamp: int, body: Body) -> str:
    """The ``Stripe-Signature`` value (``t=...,v1=...``) for a delivery."""
    return sign_webhook("stripe", secret, timestamp, body)


def _claim(conn: _Connection, sql: str, source: str, event_id: str) -> bool:
    now_ms = int(time.time() * 1000)
    return conn.execute(sql, [source, event_id, now_ms, now_ms]).fetchone() is not None


def claim_event_sqlite(
    conn: _Connection,
    event_id: str,
    *,
    source: str = "default",
    table: str = "oncely_webhook_events",
) -> bool:
    """Claims ``event_id`` on a ``sqlite3`` connection, inside the transaction
    it has open: ``True`` when the event is new (run the handler, then
    commit: the record commits with its effects), ``False`` when it was
    processed before (skip it)."""
    return _claim(conn, webhook_claim_sql("qmark", table), source, event_id)


def claim_event_postgres(
    conn: _Connection,
    event_id: str,
    *,
    source: str = "default",
    schema: str = "oncely",
) -> bool:
    """Claims ``event_id`` on a ``psycopg`` connection (or cursor), inside its
    transaction. A second delivery claiming at the same time waits for this
    transaction, then gets ``False`` (committed) or ``True`` (rolled back)."""
    return _claim(conn, webhook_claim_sql("format", f"{schema}.oncely_webhook_events"), source, event_id)


__all__ = [
    "Body",
    "Secrets",
    "WebhookError",
    "WebhookInbox",
    "claim_event_postgres",
    "claim_event_sqlite",
    "sign_standard",
    "sign_stripe",
    "verify_standard",
    "verify_stripe",
]
