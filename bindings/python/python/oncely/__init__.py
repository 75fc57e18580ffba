"""oncely — calls to remote APIs that happen once.

A Python face on the oncely Rust core: idempotency keys that are reused on
every retry and persisted across restarts, retries with backoff that honour
the server, ``202 Accepted`` operations polled to their end, RFC 9457 problem
details as exceptions, and durable workflows (sagas).

>>> import oncely
>>> client = oncely.Client("https://api.example.com", bearer="sk_test", store="sqlite:oncely.db")
>>> order = client.post("/orders", json={"sku": "A-1"}, intent_id="cart-8812").json()  # doctest: +SKIP

Everything is decided by the Rust core; this package only translates values
and errors. Rust ``tracing`` events are records of the ``oncely`` logger.
A call made inside a current OpenTelemetry span (``opentelemetry-api``)
continues its trace, and the core exports its own spans over OTLP when the
standard ``OTEL_EXPORTER_OTLP_*`` variables are set at import.
"""

from __future__ import annotations

import atexit as _atexit
import logging as _logging

from oncely import webhooks
from oncely._native import (
    ArazzoOutcome,
    ArazzoWorkflow,
    AsyncClient,
    AsyncEventStream,
    AsyncJsonLines,
    AsyncOperation,
    AsyncPageItems,
    AsyncPages,
    CircuitBreaker,
    CircuitOpenError,
    Client,
    DecodeError,
    Done,
    Error,
    EventStream,
    IdempotencyConflictError,
    InternalError,
    InvalidInputError,
    InvalidResumeTokenError,
    JsonLines,
    Operation,
    OperationFailedError,
    Outbox,
    OutboxCall,
    OutboxError,
    Page,
    PageItems,
    Pages,
    PreconditionFailedError,
    ProblemError,
    Progress,
    ProtocolError,
    Response,
    RetryAfterTooLongError,
    RetryBudget,
    RetryExhaustedError,
    RetryPolicy,
    RunOutcome,
    ServerEvent,
    StatusError,
    StepContext,
    StepError,
    Store,
    StoreError,
    TimeoutError,
    TransportError,
    WebhookError,
    WebhookInbox,
    Workflow,
    WorkflowEngine,
    WorkflowError,
    __version__,
    flush_telemetry,
    refresh_logging,
    telemetry_enabled,
)
from oncely._outbox import enqueue_postgres, enqueue_sqlite

# A library adds no handler of its own: records go wherever the application
# sends them (and nowhere, silently, when it configures nothing).
_logging.getLogger("oncely").addHandler(_logging.NullHandler())


def _flush_telemetry_at_exit() -> None:
    """Exports the core's last spans; a collector gone by then is not an error."""
    try:
        flush_telemetry()
    except RuntimeError as error:
        _logging.getLogger("oncely").warning("%s", error)


if telemetry_enabled():
    _atexit.register(_flush_telemetry_at_exit)

__all__ = [
    "ArazzoOutcome",
    "ArazzoWorkflow",
    "AsyncClient",
    "AsyncEventStream",
    "AsyncJsonLines",
    "AsyncOperation",
    "AsyncPageItems",
    "AsyncPages",
    "CircuitBreaker",
    "CircuitOpenError",
    "Client",
    "DecodeError",
    "Done",
    "Error",
    "EventStream",
    "IdempotencyConflictError",
    "InternalError",
    "InvalidInputError",
    "InvalidResumeTokenError",
    "JsonLines",
    "Operation",
    "OperationFailedError",
    "Outbox",
    "OutboxCall",
    "OutboxError",
    "Page",
    "PageItems",
    "Pages",
    "PreconditionFailedError",
    "ProblemError",
    "Progress",
    "ProtocolError",
    "Response",
    "RetryAfterTooLongError",
    "RetryBudget",
    "RetryExhaustedError",
    "RetryPolicy",
    "RunOutcome",
    "ServerEvent",
    "StatusError",
    "StepContext",
    "StepError",
    "Store",
    "StoreError",
    "TimeoutError",
    "TransportError",
    "WebhookError",
    "WebhookInbox",
    "Workflow",
    "WorkflowEngine",
    "WorkflowError",
    "__version__",
    "enqueue_postgres",
    "enqueue_sqlite",
    "flush_telemetry",
    "refresh_logging",
    "telemetry_enabled",
    "webhooks",
]
