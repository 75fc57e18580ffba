"""Type stubs of the native module ``oncely._native`` (the Rust core)."""

import builtins
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from os import PathLike
from typing import Any, Generic, Literal, TypeVar, overload

from typing_extensions import Self, TypeAlias

__version__: str

T = TypeVar("T")

#: A JSON value as Python sees it.
JSON: TypeAlias = Any
#: A value of a path or query parameter.
Scalar: TypeAlias = str | int | float | bool
#: Query parameters: a mapping (a list value repeats the name) or (name, value) pairs.
Params: TypeAlias = Mapping[str, Scalar | Sequence[Scalar] | None] | Sequence[tuple[str, Scalar | None]]

def refresh_logging() -> None:
    """Apply a changed level of the ``oncely`` logger at once (it is re-read
    at most once a second otherwise)."""

def flush_telemetry() -> None:
    """Export every finished span and the current metrics of the core now
    (run at interpreter exit too). Does nothing when the core exports
    nothing; ``RuntimeError`` when the collector cannot be reached."""

def telemetry_enabled() -> bool:
    """Whether the core exports its spans and metrics over OTLP: the
    standard ``OTEL_EXPORTER_OTLP_*`` variables were set at import."""

def _panic_for_test(where_: str) -> Any: ...

# ---------------------------------------------------------------- exceptions

class Error(Exception):
    """Base class of every error oncely raises."""

    #: The HTTP status behind the error, when there was an answer.
    status: int | None
    #: True when the same call may succeed later.
    retryable: bool
    #: The problem document (as a dict) when the server sent one.
    problem: dict[str, JSON] | None

class InvalidInputError(Error, ValueError):
    what: str
    why: str

class TransportError(Error):
    method: str
    url: str
    #: ``"connect"`` (nothing was sent), ``"request"``, ``"body"``, or
    #: ``"too_large"`` (the answer exceeded ``max_response_bytes``; then
    #: ``limit`` holds that limit).
    kind: str
    limit: int | None

class TimeoutError(Error, builtins.TimeoutError):
    method: str
    path: str
    #: ``"attempt"``, ``"deadline"`` or ``"operation"``.
    kind: str
    #: Seconds elapsed when the limit was hit.
    elapsed: float

class ProblemError(Error):
    """An RFC 9457 problem document."""

    type: str | None
    title: str | None
    status: int | None
    detail: str | None
    instance: str | None
    extensions: dict[str, JSON]
    headers: dict[str, str]
    response: Response

class StatusError(Error):
    headers: dict[str, str]
    content: bytes
    response: Response

class PreconditionFailedError(Error):
    type: str | None
    title: str | None
    detail: str | None
    instance: str | None
    extensions: dict[str, JSON]
    content: bytes

class DecodeError(Error):
    what: str
    path: str
    message: str
    snippet: str

class IdempotencyConflictError(Error):
    key: str
    detail: str
    type: str | None
    title: str | None
    instance: str | None
    extensions: dict[str, JSON]

class RetryExhaustedError(Error):
    attempts: int
    last_error: Error

class RetryAfterTooLongError(Error):
    requested: float
    limit: float
    last_error: Error

class CircuitOpenError(Error):
    host: str
    retry_in: float

class OperationFailedError(Error):
    operation_status: str
    type: str | None
    title: str | None
    detail: str | None
    instance: str | None
    extensions: dict[str, JSON]
    content: bytes

class ProtocolError(Error):
    what: str
    why: str

class InvalidResumeTokenError(Error, ValueError):
    why: str

class StoreError(Error): ...

class OutboxError(Error):
    """The outbox refused or failed."""

    #: ``invalid_call``, ``duplicate_intent``, ``not_installed``, ``not_found``,
    #: ``wrong_state``, ``store`` or ``error``.
    kind: str
    #: For ``duplicate_intent``: the row that has the intent.
    existing: int

class WebhookError(Error):
    """A webhook delivery was refused, or its processing failed."""

    #: ``missing_header``, ``malformed_header``, ``no_valid_signature``,
    #: ``timestamp_out_of_tolerance``, ``invalid_secret``, ``malformed_body``,
    #: ``invalid_config``, ``not_installed``, ``handler_failed``, ``lease_lost``
    #: or ``store``.
    kind: str
    #: What to answer the sender: 400 when verification refused the delivery,
    #: else 500 (the sender delivers again later).
    http_status: int
    #: The header at fault (``missing_header``, ``malformed_header``).
    header: str
    #: For ``timestamp_out_of_tolerance``: the signed time and now (Unix
    #: seconds) and the tolerance (seconds).
    timestamp: int
    now: int
    tolerance: float
    #: For ``handler_failed`` and ``lease_lost``: the event.
    event_id: str

class WorkflowError(Error):
    """The engine could not start, resume or inspect a run."""

    #: ``invalid_definition``, ``unknown_run``, ``unknown_workflow``,
    #: ``run_id_taken``, ``definition_changed``, ``leased``, ``lease_lost``,
    #: ``wrong_state``, ``interrupted``, ``no_journal`` or ``other``.
    kind: str
    run_id: str | None

class InternalError(Error): ...

# ---------------------------------------------------------------- configuration

class RetryPolicy:
    """Attempts and full-jitter exponential backoff (the server's
    ``Retry-After`` wins). Omitted values keep the core's defaults
    (5 attempts, 0.1 s base, 20 s cap, server delays up to 60 s)."""

    def __init__(
        self,
        *,
        max_attempts: int | None = None,
        base_delay: float | None = None,
        max_delay: float | None = None,
        max_server_delay: float | None = None,
    ) -> None: ...
    @staticmethod
    def none() -> RetryPolicy:
        """One attempt, no retries."""
    @property
    def max_attempts(self) -> int: ...
    @property
    def base_delay(self) -> float: ...
    @property
    def max_delay(self) -> float: ...
    @property
    def max_server_delay(self) -> float: ...

class RetryBudget:
    """A token bucket shared by a client's calls: once spent, retries add at
    most ``deposit_per_success`` of the successes' traffic."""

    def __init__(
        self, *, capacity: float | None = None, deposit_per_success: float | None = None
    ) -> None: ...
    @property
    def capacity(self) -> float: ...
    @property
    def deposit_per_success(self) -> float: ...

class CircuitBreaker:
    """Per host: open after ``failure_threshold`` consecutive failures, probe
    again after ``open_for`` seconds."""

    def __init__(self, *, failure_threshold: int | None = None, open_for: float | None = None) -> None: ...
    @property
    def failure_threshold(self) -> int: ...
    @property
    def open_for(self) -> float: ...

class Store:
    """Where idempotency records and workflow journals live."""

    @staticmethod
    def memory() -> Store: ...
    @staticmethod
    def sqlite(path: str | PathLike[str]) -> Store: ...
    @staticmethod
    def open(spec: str) -> Store:
        """``"memory"``, ``"sqlite:PATH"`` or ``"postgres://..."``."""

# ---------------------------------------------------------------- responses and operations

class Response:
    """A complete answer. Header names are lower case."""

    @property
    def status(self) -> int: ...
    @property
    def headers(self) -> dict[str, str]: ...
    def header(self, name: str, default: str | None = None) -> str | None: ...
    @property
    def content(self) -> bytes: ...
    @property
    def text(self) -> str: ...
    def json(self) -> JSON: ...
    @property
    def url(self) -> str | None: ...
    @property
    def etag(self) -> str | None: ...
    @property
    def attempts(self) -> int: ...
    @property
    def from_store(self) -> bool: ...
    @property
    def replayed(self) -> bool: ...
    @property
    def idempotency_key(self) -> str | None: ...
    @property
    def is_success(self) -> bool: ...

class Progress:
    """An operation still running."""

    @property
    def status(self) -> str: ...
    @property
    def percent(self) -> float | None: ...
    @property
    def polls(self) -> int: ...
    @property
    def done(self) -> bool: ...

class Done(Generic[T]):
    """An operation that ended with ``result``."""

    @property
    def result(self) -> T: ...
    @property
    def done(self) -> bool: ...

class Operation(Generic[T]):
    """A long-running operation (``202 Accepted``)."""

    def wait(self, progress: Callable[[Progress], object] | None = None) -> T: ...
    def poll_once(self) -> Progress | Done[T]: ...
    def resume_token(self) -> str: ...
    @property
    def done(self) -> bool: ...

class AsyncOperation(Generic[T]):
    """A long-running operation, awaited."""

    async def wait(self, progress: Callable[[Progress], object] | None = None) -> T: ...
    async def poll_once(self) -> Progress | Done[T]: ...
    def resume_token(self) -> str: ...
    @property
    def done(self) -> bool: ...

# ---------------------------------------------------------------- streamed answers

class ServerEvent:
    """One server-sent event, as the WHATWG HTML standard dispatches it."""

    @property
    def id(self) -> str | None:
        """The stream's last event id when this event arrived (``None`` before any)."""
    @property
    def event(self) -> str:
        """The event type (``"message"`` when the event named none)."""
    @property
    def data(self) -> str:
        """The event's ``data`` lines, joined with line feeds."""
    @property
    def retry(self) -> float | None:
        """The reconnection time (seconds) this event set, if it set one."""
    def json(self) -> JSON:
        """The data as JSON; bad JSON raises ``DecodeError`` naming the event."""

class EventStream(Iterator[ServerEvent]):
    """A ``text/event-stream`` answer; reconnects with ``Last-Event-ID`` when cut.
    ``close()`` (or leaving the ``with`` block) closes the connection."""

    def __iter__(self) -> Self: ...
    def __next__(self) -> ServerEvent: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *args: object) -> bool: ...
    @property
    def last_event_id(self) -> str | None: ...

class JsonLines(Iterator[JSON]):
    """A JSON lines answer: one decoded JSON value per line."""

    def __iter__(self) -> Self: ...
    def __next__(self) -> JSON: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *args: object) -> bool: ...
    @property
    def last_event_id(self) -> str | None: ...

class AsyncEventStream(AsyncIterator[ServerEvent]):
    """Like ``EventStream``, for ``async for``; opens on first use."""

    def __aiter__(self) -> Self: ...
    async def __anext__(self) -> ServerEvent: ...
    async def aclose(self) -> None: ...
    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, *args: object) -> bool: ...
    @property
    def last_event_id(self) -> str | None: ...

class AsyncJsonLines(AsyncIterator[JSON]):
    """Like ``JsonLines``, for ``async for``; opens on first use."""

    def __aiter__(self) -> Self: ...
    async def __anext__(self) -> JSON: ...
    async def aclose(self) -> None: ...
    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, *args: object) -> bool: ...
    @property
    def last_event_id(self) -> str | None: ...

# ---------------------------------------------------------------- pages

#: How a list operation pages: the JSON form of the core's ``PageSpec``, e.g.
#: ``{"items": "data", "style": "body_cursor", "next": "next_cursor", "param": "cursor"}``.
PageSpec: TypeAlias = Mapping[str, JSON]

class Page:
    """One page of a listing."""

    @property
    def items(self) -> list[JSON]: ...
    @property
    def number(self) -> int:
        """The page's number; the listing's first page is 0."""
    @property
    def next_cursor(self) -> str | None:
        """The cursor token of where the listing continues after this page."""
    @property
    def status(self) -> int: ...
    def __len__(self) -> int: ...

class PageItems:
    """The items of a listing, across its pages."""

    def __iter__(self) -> Self: ...
    def __next__(self) -> JSON: ...
    @property
    def cursor(self) -> str | None: ...

class Pages:
    """The pages of a list operation, fetched as iterated (blocking)."""

    def __iter__(self) -> Self: ...
    def __next__(self) -> Page: ...
    def next_page(self) -> Page | None: ...
    def items(self) -> PageItems: ...
    @property
    def cursor(self) -> str | None:
        """The token to resume from (``Client.pages(..., cursor=token)``);
        ``None`` before the first page and after the last."""

class AsyncPageItems:
    """The items of a listing, across its pages (asyncio)."""

    def __aiter__(self) -> Self: ...
    async def __anext__(self) -> JSON: ...
    @property
    def cursor(self) -> str | None: ...

class AsyncPages:
    """The pages of a list operation, fetched as iterated (asyncio)."""

    def __aiter__(self) -> Self: ...
    async def __anext__(self) -> Page: ...
    async def next_page(self) -> Page | None: ...
    def items(self) -> AsyncPageItems: ...
    @property
    def cursor(self) -> str | None: ...

# ---------------------------------------------------------------- clients

class Client:
    """A client for one API. Calls block (with the GIL released) and go
    through the core: keys, retries, store, problems. Options left out (or
    ``None``) keep the core's defaults; ``math.inf`` removes a limit."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        api_key_header: str | None = None,
        bearer: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        proxy: str | Literal[False] | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
        retry_budget: RetryBudget | bool | None = None,
        circuit_breaker: CircuitBreaker | None = None,
        store: Store | str | None = None,
        idempotency_header: str | None = None,
        key_ttl: float | None = None,
        user_agent: str | None = None,
        trusted_origins: Sequence[str] | None = None,
        max_response_bytes: int | None = None,
        poll_interval: float | None = None,
        poll_max_interval: float | None = None,
        poll_timeout: float | None = None,
    ) -> None: ...
    @property
    def base_url(self) -> str: ...
    def request(
        self,
        method: str,
        path: str,
        *,
        json: JSON = None,
        data: Mapping[str, JSON] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        path_params: Mapping[str, Scalar] | None = None,
        intent_id: str | None = None,
        idempotency_key: str | None = None,
        idempotent: bool | None = None,
        if_match: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
    ) -> Response: ...
    def get(
        self,
        path: str,
        *,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        path_params: Mapping[str, Scalar] | None = None,
        idempotency_key: str | None = None,
        idempotent: bool | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
    ) -> Response: ...
    def post(
        self,
        path: str,
        *,
        json: JSON = None,
        data: Mapping[str, JSON] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        path_params: Mapping[str, Scalar] | None = None,
        intent_id: str | None = None,
        idempotency_key: str | None = None,
        idempotent: bool | None = None,
        if_match: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
    ) -> Response: ...
    def put(
        self,
        path: str,
        *,
        json: JSON = None,
        data: Mapping[str, JSON] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        path_params: Mapping[str, Scalar] | None = None,
        intent_id: str | None = None,
        idempotency_key: str | None = None,
        idempotent: bool | None = None,
        if_match: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
    ) -> Response: ...
    def patch(
        self,
        path: str,
        *,
        json: JSON = None,
        data: Mapping[str, JSON] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        path_params: Mapping[str, Scalar] | None = None,
        intent_id: str | None = None,
        idempotency_key: str | None = None,
        idempotent: bool | None = None,
        if_match: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
    ) -> Response: ...
    def delete(
        self,
        path: str,
        *,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        path_params: Mapping[str, Scalar] | None = None,
        intent_id: str | None = None,
        idempotency_key: str | None = None,
        idempotent: bool | None = None,
        if_match: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
    ) -> Response: ...
    @overload
    def request_operation(
        self,
        method: str,
        path: str,
        *,
        decoder: Callable[[JSON], T],
        json: JSON = None,
        data: Mapping[str, JSON] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        path_params: Mapping[str, Scalar] | None = None,
        intent_id: str | None = None,
        idempotency_key: str | None = None,
        idempotent: bool | None = None,
        if_match: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
    ) -> Operation[T]: ...
    @overload
    def request_operation(
        self,
        method: str,
        path: str,
        *,
        decoder: None = None,
        json: JSON = None,
        data: Mapping[str, JSON] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        path_params: Mapping[str, Scalar] | None = None,
        intent_id: str | None = None,
        idempotency_key: str | None = None,
        idempotent: bool | None = None,
        if_match: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
    ) -> Operation[JSON]: ...
    def pages(
        self,
        method: str,
        path: str,
        spec: PageSpec,
        *,
        max_pages: int | None = None,
        max_items: int | None = None,
        cursor: str | None = None,
        json: JSON = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        path_params: Mapping[str, Scalar] | None = None,
        idempotent: bool | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
    ) -> Pages:
        """The pages of a list operation; each page is one call of ``method path``."""
    @overload
    def resume_operation(self, token: str, *, decoder: Callable[[JSON], T]) -> Operation[T]: ...
    @overload
    def resume_operation(self, token: str, *, decoder: None = None) -> Operation[JSON]: ...
    def stream_events(
        self,
        method: str,
        path: str,
        *,
        last_event_id: str | None = None,
        reconnect: Literal["on_cut", "on_cut_or_end", "never"] | None = None,
        max_item_bytes: int | None = None,
        json: JSON = None,
        data: Mapping[str, JSON] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        path_params: Mapping[str, Scalar] | None = None,
        intent_id: str | None = None,
        idempotency_key: str | None = None,
        idempotent: bool | None = None,
        if_match: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
    ) -> EventStream:
        """Sends the request and reads its ``text/event-stream`` answer; opening errors raise here."""
    def stream_lines(
        self,
        method: str,
        path: str,
        *,
        max_item_bytes: int | None = None,
        json: JSON = None,
        data: Mapping[str, JSON] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        path_params: Mapping[str, Scalar] | None = None,
        intent_id: str | None = None,
        idempotency_key: str | None = None,
        idempotent: bool | None = None,
        if_match: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
    ) -> JsonLines:
        """Sends the request and reads its JSON lines answer (``application/x-ndjson``, ...)."""
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *args: object) -> bool: ...

class AsyncClient:
    """Like ``Client``, with coroutine methods (asyncio)."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        api_key_header: str | None = None,
        bearer: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        proxy: str | Literal[False] | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
        retry_budget: RetryBudget | bool | None = None,
        circuit_breaker: CircuitBreaker | None = None,
        store: Store | str | None = None,
        idempotency_header: str | None = None,
        key_ttl: float | None = None,
        user_agent: str | None = None,
        trusted_origins: Sequence[str] | None = None,
        max_response_bytes: int | None = None,
        poll_interval: float | None = None,
        poll_max_interval: float | None = None,
        poll_timeout: float | None = None,
    ) -> None: ...
    @property
    def base_url(self) -> str: ...
    async def request(
        self,
        method: str,
        path: str,
        *,
        json: JSON = None,
        data: Mapping[str, JSON] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        path_params: Mapping[str, Scalar] | None = None,
        intent_id: str | None = None,
        idempotency_key: str | None = None,
        idempotent: bool | None = None,
        if_match: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
    ) -> Response: ...
    async def get(
        self,
        path: str,
        *,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        path_params: Mapping[str, Scalar] | None = None,
        idempotency_key: str | None = None,
        idempotent: bool | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
    ) -> Response: ...
    async def post(
        self,
        path: str,
        *,
        json: JSON = None,
        data: Mapping[str, JSON] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        path_params: Mapping[str, Scalar] | None = None,
        intent_id: str | None = None,
        idempotency_key: str | None = None,
        idempotent: bool | None = None,
        if_match: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
    ) -> Response: ...
    async def put(
        self,
        path: str,
        *,
        json: JSON = None,
        data: Mapping[str, JSON] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        path_params: Mapping[str, Scalar] | None = None,
        intent_id: str | None = None,
        idempotency_key: str | None = None,
        idempotent: bool | None = None,
        if_match: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
    ) -> Response: ...
    async def patch(
        self,
        path: str,
        *,
        json: JSON = None,
        data: Mapping[str, JSON] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        path_params: Mapping[str, Scalar] | None = None,
        intent_id: str | None = None,
        idempotency_key: str | None = None,
        idempotent: bool | None = None,
        if_match: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
    ) -> Response: ...
    async def delete(
        self,
        path: str,
        *,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        path_params: Mapping[str, Scalar] | None = None,
        intent_id: str | None = None,
        idempotency_key: str | None = None,
        idempotent: bool | None = None,
        if_match: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
    ) -> Response: ...
    @overload
    async def request_operation(
        self,
        method: str,
        path: str,
        *,
        decoder: Callable[[JSON], T],
        json: JSON = None,
        data: Mapping[str, JSON] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        path_params: Mapping[str, Scalar] | None = None,
        intent_id: str | None = None,
        idempotency_key: str | None = None,
        idempotent: bool | None = None,
        if_match: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
    ) -> AsyncOperation[T]: ...
    @overload
    async def request_operation(
        self,
        method: str,
        path: str,
        *,
        decoder: None = None,
        json: JSON = None,
        data: Mapping[str, JSON] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        path_params: Mapping[str, Scalar] | None = None,
        intent_id: str | None = None,
        idempotency_key: str | None = None,
        idempotent: bool | None = None,
        if_match: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
    ) -> AsyncOperation[JSON]: ...
    def pages(
        self,
        method: str,
        path: str,
        spec: PageSpec,
        *,
        max_pages: int | None = None,
        max_items: int | None = None,
        cursor: str | None = None,
        json: JSON = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        path_params: Mapping[str, Scalar] | None = None,
        idempotent: bool | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
    ) -> AsyncPages:
        """The pages of a list operation; each page is one call of ``method path``."""
    @overload
    def resume_operation(self, token: str, *, decoder: Callable[[JSON], T]) -> AsyncOperation[T]: ...
    @overload
    def resume_operation(self, token: str, *, decoder: None = None) -> AsyncOperation[JSON]: ...
    def stream_events(
        self,
        method: str,
        path: str,
        *,
        last_event_id: str | None = None,
        reconnect: Literal["on_cut", "on_cut_or_end", "never"] | None = None,
        max_item_bytes: int | None = None,
        json: JSON = None,
        data: Mapping[str, JSON] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        path_params: Mapping[str, Scalar] | None = None,
        intent_id: str | None = None,
        idempotency_key: str | None = None,
        idempotent: bool | None = None,
        if_match: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
    ) -> AsyncEventStream:
        """Like ``Client.stream_events``; the stream opens on the first ``__anext__``."""
    def stream_lines(
        self,
        method: str,
        path: str,
        *,
        max_item_bytes: int | None = None,
        json: JSON = None,
        data: Mapping[str, JSON] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        path_params: Mapping[str, Scalar] | None = None,
        intent_id: str | None = None,
        idempotency_key: str | None = None,
        idempotent: bool | None = None,
        if_match: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
    ) -> AsyncJsonLines:
        """Like ``Client.stream_lines``; the stream opens on first use."""
    def aclose(self) -> Awaitable[None]: ...
    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, *args: object) -> bool: ...

# ---------------------------------------------------------------- workflows

class StepError(Error):
    """Raised by a step to fail it; ``retryable=True`` asks for another attempt
    (with the same idempotency key), otherwise the run compensates."""

    retryable: bool
    def __init__(self, message: str, retryable: bool = False) -> None: ...

class StepContext:
    """What a step or compensation gets: its run, key, input, earlier outputs,
    and calls that carry the step's idempotency key."""

    @property
    def run_id(self) -> str: ...
    @property
    def workflow(self) -> str: ...
    @property
    def step(self) -> str: ...
    @property
    def is_compensation(self) -> bool: ...
    @property
    def attempt(self) -> int: ...
    @property
    def key(self) -> str: ...
    def key_for(self, label: str) -> str: ...
    @property
    def input(self) -> JSON: ...
    def output(self, step: str) -> JSON: ...
    def own_output(self) -> JSON: ...
    def request(
        self,
        method: str,
        path: str,
        *,
        json: JSON = None,
        data: Mapping[str, JSON] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        path_params: Mapping[str, Scalar] | None = None,
        if_match: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
    ) -> Response: ...
    def get(
        self,
        path: str,
        *,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        path_params: Mapping[str, Scalar] | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
    ) -> Response: ...
    def post(
        self,
        path: str,
        *,
        json: JSON = None,
        data: Mapping[str, JSON] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        path_params: Mapping[str, Scalar] | None = None,
        if_match: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
    ) -> Response: ...
    def put(
        self,
        path: str,
        *,
        json: JSON = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        path_params: Mapping[str, Scalar] | None = None,
        if_match: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
    ) -> Response: ...
    def patch(
        self,
        path: str,
        *,
        json: JSON = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        path_params: Mapping[str, Scalar] | None = None,
        if_match: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
    ) -> Response: ...
    def delete(
        self,
        path: str,
        *,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        path_params: Mapping[str, Scalar] | None = None,
        if_match: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
    ) -> Response: ...
    def request_operation(
        self,
        method: str,
        path: str,
        *,
        json: JSON = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        path_params: Mapping[str, Scalar] | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
    ) -> Operation[JSON]: ...
    async def arequest(
        self,
        method: str,
        path: str,
        *,
        json: JSON = None,
        data: Mapping[str, JSON] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        path_params: Mapping[str, Scalar] | None = None,
        if_match: str | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
    ) -> Response: ...
    async def arequest_operation(
        self,
        method: str,
        path: str,
        *,
        json: JSON = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        path_params: Mapping[str, Scalar] | None = None,
        timeout: float | None = None,
        deadline: float | None = None,
        retry: RetryPolicy | int | None = None,
    ) -> AsyncOperation[JSON]: ...

#: A step or compensation: a plain function or ``async def`` taking a StepContext.
StepFunction: TypeAlias = Callable[[StepContext], object]
F = TypeVar("F", bound=Callable[[StepContext], object])

class Workflow:
    """A saga: named steps (Python callables taking a ``StepContext``), each
    with an optional compensation, run by the core engine on the journal."""

    def __init__(
        self,
        name: str,
        *,
        action_retry: RetryPolicy | int | None = None,
        compensation_retry: RetryPolicy | int | None = None,
    ) -> None: ...
    @overload
    def step(self, name: str, action: F, *, compensate: StepFunction | None = None) -> F: ...
    @overload
    def step(
        self, name: str, action: None = None, *, compensate: StepFunction | None = None
    ) -> Callable[[F], F]: ...
    @overload
    def operation_step(self, name: str, submit: F, *, compensate: StepFunction | None = None) -> F: ...
    @overload
    def operation_step(
        self, name: str, submit: None = None, *, compensate: StepFunction | None = None
    ) -> Callable[[F], F]: ...
    @property
    def name(self) -> str: ...
    @property
    def step_names(self) -> list[str]: ...
    @property
    def fingerprint(self) -> str: ...
    def run(
        self, client: Client | AsyncClient, input: JSON = None, *, run_id: str | None = None
    ) -> RunOutcome: ...

class RunOutcome:
    """Where a run ended."""

    @property
    def run_id(self) -> str: ...
    @property
    def workflow(self) -> str: ...
    @property
    def state(self) -> str:
        """``"completed"``, ``"compensated"`` or ``"needs_attention"``."""
    @property
    def outputs(self) -> dict[str, JSON]: ...
    @property
    def error(self) -> dict[str, JSON] | None: ...
    @property
    def completed(self) -> bool: ...

class WorkflowEngine:
    """Drives runs through the journal of a client's store (any process with
    the same store can resume or inspect them, in any language)."""

    def __init__(
        self, client: Client | AsyncClient, *, owner: str | None = None, lease: float | None = None
    ) -> None: ...
    def register(self, workflow: Workflow) -> None: ...
    def start(self, workflow: Workflow, input: JSON = None, *, run_id: str | None = None) -> RunOutcome: ...
    def resume(self, run_id: str) -> RunOutcome: ...
    def retry(self, run_id: str) -> RunOutcome: ...
    def show(self, run_id: str) -> dict[str, JSON]: ...
    def describe(self, run_id: str) -> str: ...
    def list_runs(
        self, *, states: Sequence[str] | None = None, workflow: str | None = None, limit: int | None = None
    ) -> list[dict[str, JSON]]: ...
    def work(
        self, *, concurrency: int = 1, idle_poll: float = 0.1, stop_when_idle: bool = True
    ) -> dict[str, int]: ...
    async def astart(
        self, workflow: Workflow, input: JSON = None, *, run_id: str | None = None
    ) -> RunOutcome: ...
    async def aresume(self, run_id: str) -> RunOutcome: ...
    async def ashow(self, run_id: str) -> dict[str, JSON]: ...
    async def alist_runs(
        self, *, states: Sequence[str] | None = None, workflow: str | None = None, limit: int | None = None
    ) -> list[dict[str, JSON]]: ...
    @property
    def owner(self) -> str: ...
    @property
    def workflows(self) -> list[str]: ...

class ArazzoOutcome:
    """Where a run of an Arazzo workflow ended."""

    @property
    def run_id(self) -> str: ...
    @property
    def workflow(self) -> str:
        """The workflow's ``workflowId``."""
    @property
    def state(self) -> str:
        """``"completed"``, ``"compensated"`` or ``"needs_attention"``."""
    @property
    def completed(self) -> bool: ...
    @property
    def outputs(self) -> dict[str, JSON]:
        """The workflow's ``outputs``, evaluated (empty unless completed)."""
    @property
    def step_outputs(self) -> dict[str, JSON]:
        """Each journaled step's ``outputs``, by step name (``stepId``)."""
    @property
    def failed_step(self) -> str | None:
        """The step whose failure ended the run, when it did not complete."""
    @property
    def error(self) -> dict[str, JSON] | None:
        """The failure that made the run compensate (``step``, ``phase``, ``error``)."""

class ArazzoWorkflow:
    """One workflow of an Arazzo 1.0 document, checked and compiled: each step
    a journaled engine step whose writes carry the step's idempotency key, its
    ``x-oncely-compensate`` call the step's compensation. Loading, checking or
    compiling failures raise ``InvalidInputError`` naming the JSON pointer."""

    @staticmethod
    def load(
        path: str | PathLike[str], workflow_id: str, *, servers: Mapping[str, str] | None = None
    ) -> ArazzoWorkflow:
        """Loads the Arazzo file at ``path`` (local source descriptions are read
        relative to it). ``servers``: source description name -> base URL; a
        source without one uses the client's base URL."""
    @staticmethod
    def from_document(
        document: str,
        workflow_id: str,
        *,
        openapi: Mapping[str, str],
        servers: Mapping[str, str] | None = None,
        document_name: str = "workflow.arazzo.yaml",
    ) -> ArazzoWorkflow:
        """Like ``load``, from the document's text; ``openapi`` maps each source
        description's name to its OpenAPI text (JSON or YAML)."""
    @property
    def workflow_id(self) -> str:
        """The ``workflowId`` (also the workflow's name on the engine)."""
    @property
    def step_ids(self) -> list[str]:
        """The Arazzo steps, in document order."""
    def register(self, engine: WorkflowEngine) -> None:
        """Makes the workflow known to ``engine``, so ``engine.resume`` and
        ``engine.work()`` drive its runs."""
    def run(
        self, engine: WorkflowEngine, inputs: Mapping[str, JSON] | None = None, *, run_id: str | None = None
    ) -> ArazzoOutcome:
        """Starts a run (or continues the run ``run_id``) and drives it to its end."""
    async def arun(
        self, engine: WorkflowEngine, inputs: Mapping[str, JSON] | None = None, *, run_id: str | None = None
    ) -> ArazzoOutcome:
        """Like ``run``, as a coroutine."""
    def resume(self, engine: WorkflowEngine, run_id: str) -> ArazzoOutcome:
        """Continues a run after a crash (finished steps are not sent again)."""
    async def aresume(self, engine: WorkflowEngine, run_id: str) -> ArazzoOutcome:
        """Like ``resume``, as a coroutine."""

class OutboxCall:
    """One call to enqueue in the transactional outbox: checked and encoded at
    once (a header that cannot be sent, a credential header, a missing path
    parameter raise ``OutboxError`` with ``kind="invalid_call"``)."""

    def __init__(
        self,
        method: str,
        path: str,
        *,
        partition: str | None = None,
        delay: float | None = None,
        json: Any = None,
        content: bytes | None = None,
        content_type: str | None = None,
        params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
        headers: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
        path_params: Mapping[str, Any] | None = None,
        intent_id: str | None = None,
    ) -> None: ...
    @property
    def intent_id(self) -> str | None:
        """The intent id the idempotency key is derived from, if named."""
    def insert_statement(
        self, style: str = "qmark", table: str = "oncely_outbox"
    ) -> tuple[str, list[int | str | bytes | None]]:
        """The ``INSERT`` for the application's own connection (``style``:
        ``qmark``, ``format`` or ``dollar``)."""

class Outbox:
    """An outbox table (``"sqlite:PATH"`` or ``"postgres://...?oncely_schema=NAME"``),
    created or migrated when opened."""

    def __init__(self, location: str) -> None: ...
    @property
    def location(self) -> str: ...
    def enqueue(self, call: OutboxCall) -> int:
        """Enqueues in a transaction of its own; returns the row id."""
    def get(self, id: int) -> dict[str, Any]: ...
    def list(
        self, *, state: str | None = None, partition: str | None = None, limit: int = 100
    ) -> builtins.list[dict[str, Any]]: ...
    def retry(self, id: int) -> dict[str, Any]:
        """Sends a dead row again with its original key."""
    def discard(self, id: int) -> dict[str, Any]:
        """Never sends a dead or pending row (kept, marked discarded)."""
    def stats(self) -> dict[str, int]: ...
    def dispatch(
        self,
        client: Client | AsyncClient,
        *,
        concurrency: int | None = None,
        max_attempts: int | None = None,
        owner: str | None = None,
        lease: float | None = None,
        rate: float | None = None,
    ) -> dict[str, int]:
        """Delivers what is due until nothing is; returns the counts."""

def verify_standard_webhook(
    secret: str | Sequence[str],
    headers: Mapping[str, str],
    body: bytes | bytearray | memoryview | str,
    *,
    tolerance: float | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """Verifies a Standard Webhooks delivery: ``{"id", "timestamp"}``."""

def verify_stripe_webhook(
    secret: str | Sequence[str],
    headers: Mapping[str, str],
    body: bytes | bytearray | memoryview | str,
    *,
    tolerance: float | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """Verifies a Stripe (``Stripe-Signature``) delivery: ``{"id", "timestamp"}``."""

def sign_webhook(
    scheme: str,
    secret: str | Sequence[str],
    timestamp: int,
    body: bytes | bytearray | memoryview | str,
    *,
    id: str | None = None,
) -> str:
    """The signature header value (``standard``: ``webhook-signature``; ``stripe``:
    ``Stripe-Signature``)."""

def webhook_claim_sql(style: str = "qmark", table: str = "oncely_webhook_events") -> str:
    """The claim ``INSERT``: parameters ``(source, event_id, now_ms, now_ms)``; a row
    back means claimed."""

class WebhookInbox:
    """A table of received events (``"sqlite:PATH"`` or ``"postgres://..."``) and the
    verifier of its deliveries: each event id runs its handler once to success."""

    def __init__(
        self,
        location: str,
        *,
        secret: str | Sequence[str],
        scheme: str = "standard",
        tolerance: float | None = None,
        source: str | None = None,
        lease: float | None = None,
    ) -> None: ...
    @property
    def location(self) -> str: ...
    @property
    def source(self) -> str: ...
    def receive(
        self,
        headers: Mapping[str, str],
        body: bytes | bytearray | memoryview | str,
        handler: Callable[[dict[str, Any]], Any],
    ) -> dict[str, Any]:
        """Verifies, then runs ``handler(event)`` unless processed or in progress:
        ``{"status", "event_id", "result", "http_status"}``."""
    def areceive(
        self,
        headers: Mapping[str, str],
        body: bytes | bytearray | memoryview | str,
        handler: Callable[[dict[str, Any]], Any],
    ) -> Awaitable[dict[str, Any]]:
        """Like ``receive``; an ``async def`` handler is awaited on this loop."""
    def get(self, event_id: str) -> dict[str, Any] | None: ...
    def list(self, limit: int = 100) -> builtins.list[dict[str, Any]]: ...
