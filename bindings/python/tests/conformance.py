"""Runs one scenario of ``openapi/conformance`` with the Python binding.

The format is documented in ``openapi/conformance/README.md``; the Rust
runner (``sdk/tests/conformance.rs``) and the Node runner read the same files.
A scenario runs either on ``oncely.Client`` (sync) or on
``oncely.AsyncClient`` (async); both must pass.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from server import REPO, OrdersServer

import oncely

SCENARIO_DIR = REPO / "openapi" / "conformance"

ERROR_KINDS: list[tuple[type[BaseException], str]] = [
    (oncely.ProblemError, "problem"),
    (oncely.StatusError, "status"),
    (oncely.RetryExhaustedError, "retry_exhausted"),
    (oncely.RetryAfterTooLongError, "retry_after_too_long"),
    (oncely.IdempotencyConflictError, "idempotency_conflict"),
    (oncely.PreconditionFailedError, "precondition_failed"),
    (oncely.TimeoutError, "timeout"),
    (oncely.CircuitOpenError, "circuit_open"),
    (oncely.OperationFailedError, "operation_failed"),
    (oncely.DecodeError, "decode"),
    (oncely.TransportError, "transport"),
]

PROBLEM_MEMBERS = ("type", "title", "status", "detail", "instance")


class ScenarioFailedError(AssertionError):
    pass


def scenario_paths() -> list[Path]:
    return sorted(SCENARIO_DIR.glob("*.yaml"))


def load(path: Path) -> dict[str, Any]:
    spec = yaml.safe_load(path.read_text())
    if spec.get("name") != path.stem:
        raise ScenarioFailedError(f"name {spec.get('name')!r} does not match the file name")
    return dict(spec)


@dataclass
class Saved:
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Outcome:
    status: int = 0
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    from_store: bool = False
    attempts: int = 0
    error: BaseException | None = None
    elapsed: float = 0.0


REFERENCE = re.compile(r"\$\{([^}]*)\}")


def substitute(value: Any, saved: dict[str, Saved]) -> Any:
    if isinstance(value, str):

        def one(match: re.Match[str]) -> str:
            reference = match.group(1)
            step, _, rest = reference.partition(".")
            section, _, tail = rest.partition(".")
            if step not in saved:
                raise ScenarioFailedError(f"no step named {step!r}")
            entry = saved[step]
            if section == "body":
                v = entry.body
                for part in tail.split(".") if tail else []:
                    v = v.get(part) if isinstance(v, dict) else None
                if v is None:
                    raise ScenarioFailedError(f"{reference} is null")
                return v if isinstance(v, str) else str(v)
            if section == "header":
                try:
                    return entry.headers[tail.lower()]
                except KeyError:
                    raise ScenarioFailedError(f"{reference}: no such header") from None
            raise ScenarioFailedError(f"unknown section {section!r} in {reference}")

        return REFERENCE.sub(one, value)
    if isinstance(value, list):
        return [substitute(v, saved) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, saved) for k, v in value.items()}
    return value


def subset(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and subset(v, actual[k]) for k, v in expected.items()
        )
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        return isinstance(actual, (int, float)) and float(expected) == float(actual)
    return bool(expected == actual)


def ms(value: Any, default: float) -> float:
    return (default if value is None else float(value)) / 1000.0


class Runner:
    """Runs a scenario in ``mode`` ``"sync"`` or ``"async"``."""

    def __init__(self, spec: dict[str, Any], mode: str) -> None:
        self.spec = spec
        self.mode = mode
        self.tmp = tempfile.TemporaryDirectory(prefix="oncely-conformance-")
        c = spec.get("client") or {}
        if c.get("store") == "sqlite":
            self.store: oncely.Store | str = f"sqlite:{Path(self.tmp.name) / 'oncely.db'}"
        else:
            self.store = oncely.Store.memory()

    def client_options(self, store: oncely.Store | str) -> dict[str, Any]:
        c = self.spec.get("client") or {}
        r = c.get("retry") or {}
        budget = c.get("budget")
        breaker = c.get("breaker") or {}
        return {
            "retry": oncely.RetryPolicy(
                max_attempts=int(r.get("max_attempts", 5)),
                base_delay=ms(r.get("base_delay_ms"), 1),
                max_delay=ms(r.get("max_delay_ms"), 20),
                max_server_delay=ms(r.get("max_server_delay_ms"), 60_000),
            ),
            "retry_budget": (
                oncely.RetryBudget(
                    capacity=float(budget.get("capacity", 100)),
                    deposit_per_success=float(budget.get("deposit", 0.1)),
                )
                if budget
                else False
            ),
            "circuit_breaker": oncely.CircuitBreaker(
                failure_threshold=int(breaker.get("threshold", 100)),
                open_for=ms(breaker.get("open_ms"), 1000),
            ),
            "timeout": ms(c.get("attempt_timeout_ms"), 5000),
            "deadline": ms(c.get("deadline_ms"), 30_000),
            "poll_interval": ms(c.get("poll_interval_ms"), 10),
            "bearer": c.get("bearer"),
            "store": store,
        }

    def new_client(self, base: str, store: oncely.Store | str) -> Any:
        options = self.client_options(store)
        if self.mode == "async":
            return oncely.AsyncClient(base, **options)
        return oncely.Client(base, **options)

    # ------------------------------------------------------------------ calls

    @staticmethod
    def request_kwargs(request: dict[str, Any]) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        if "json" in request:
            kwargs["json"] = request["json"]
        if request.get("headers"):
            kwargs["headers"] = {k: str(v) for k, v in request["headers"].items()}
        for name in ("intent_id", "idempotency_key", "idempotent"):
            if name in request:
                kwargs[name] = request[name]
        if "attempt_timeout_ms" in request:
            kwargs["timeout"] = request["attempt_timeout_ms"] / 1000.0
        if "deadline_ms" in request:
            kwargs["deadline"] = request["deadline_ms"] / 1000.0
        return kwargs

    def perform_sync(self, client: oncely.Client, base: str, request: dict[str, Any]) -> Outcome:
        kwargs = self.request_kwargs(request)
        method, path = request.get("method", "GET"), request["path"]
        if request.get("operation"):
            op = client.request_operation(method, path, **kwargs)
            if request.get("resume"):
                op = self.new_client(base, self.store).resume_operation(op.resume_token())
            return Outcome(status=200, body=op.wait(), attempts=1)
        response = client.request(method, path, **kwargs)
        return Outcome(
            status=response.status,
            body=response.json(),
            headers=response.headers,
            from_store=response.from_store,
            attempts=response.attempts,
        )

    async def perform_async(self, client: oncely.AsyncClient, base: str, request: dict[str, Any]) -> Outcome:
        kwargs = self.request_kwargs(request)
        method, path = request.get("method", "GET"), request["path"]
        if request.get("operation"):
            op = await client.request_operation(method, path, **kwargs)
            if request.get("resume"):
                op = self.new_client(base, self.store).resume_operation(op.resume_token())
            return Outcome(status=200, body=await op.wait(), attempts=1)
        response = await client.request(method, path, **kwargs)
        return Outcome(
            status=response.status,
            body=response.json(),
            headers=response.headers,
            from_store=response.from_store,
            attempts=response.attempts,
        )

    async def perform(self, client: Any, base: str, request: dict[str, Any]) -> Outcome:
        started = time.monotonic()
        try:
            if self.mode == "async":
                outcome = await self.perform_async(client, base, request)
            else:
                outcome = self.perform_sync(client, base, request)
        except oncely.Error as e:
            outcome = Outcome(error=e)
        outcome.elapsed = time.monotonic() - started
        return outcome

    # ------------------------------------------------------------------ checks

    @staticmethod
    def check_expect(expect: dict[str, Any], outcome: Outcome, saved: dict[str, Saved]) -> None:
        if "min_elapsed_ms" in expect and outcome.elapsed * 1000 < expect["min_elapsed_ms"]:
            raise ScenarioFailedError(
                f"took {outcome.elapsed * 1000:.0f} ms, expected at least {expect['min_elapsed_ms']} ms"
            )
        kind = expect.get("error")
        error = outcome.error
        if error is None:
            if kind:
                raise ScenarioFailedError(f"expected error {kind}, got {outcome.status} {outcome.body}")
            status_ok = outcome.status == expect.get("status", outcome.status) or (
                "body" in expect and outcome.status == 200 and expect["status"] == 200
            )
            if not status_ok:
                raise ScenarioFailedError(f"status {outcome.status}, expected {expect['status']}")
            if "body" in expect:
                want = substitute(expect["body"], saved)
                if not subset(want, outcome.body):
                    raise ScenarioFailedError(f"body {outcome.body} does not contain {want}")
            if "from_store" in expect and outcome.from_store != expect["from_store"]:
                raise ScenarioFailedError(f"from_store {outcome.from_store}, expected {expect['from_store']}")
            if "attempts" in expect and outcome.attempts != expect["attempts"]:
                raise ScenarioFailedError(f"{outcome.attempts} attempts, expected {expect['attempts']}")
            return
        if not kind:
            raise ScenarioFailedError(f"expected success, got {type(error).__name__}: {error}")
        actual_kind = next((k for cls, k in ERROR_KINDS if isinstance(error, cls)), "other")
        if actual_kind != kind:
            raise ScenarioFailedError(f"expected error {kind}, got {actual_kind}: {error}")
        if "error_status" in expect and getattr(error, "status", None) != expect["error_status"]:
            raise ScenarioFailedError(
                f"error status {getattr(error, 'status', None)}, expected {expect['error_status']}: {error}"
            )
        if "error_attempts" in expect and getattr(error, "attempts", None) != expect["error_attempts"]:
            raise ScenarioFailedError(
                f"error attempts {getattr(error, 'attempts', None)}, expected {expect['error_attempts']}"
            )
        if "retryable" in expect and getattr(error, "retryable", None) is not expect["retryable"]:
            raise ScenarioFailedError(
                f"retryable {getattr(error, 'retryable', None)}, expected {expect['retryable']}: {error}"
            )
        if "requested_delay_ms" in expect:
            requested = getattr(error, "requested", None)
            if requested is None or round(requested * 1000) != expect["requested_delay_ms"]:
                raise ScenarioFailedError(
                    f"expected requested delay {expect['requested_delay_ms']} ms: {error}"
                )
        if "problem" in expect:
            problem = getattr(error, "problem", None)
            if problem is None:
                raise ScenarioFailedError(f"no problem in {error}")
            actual = {k: problem.get(k) for k in PROBLEM_MEMBERS}
            actual["extensions"] = {k: v for k, v in problem.items() if k not in PROBLEM_MEMBERS}
            if not subset(expect["problem"], actual):
                raise ScenarioFailedError(f"problem {actual} does not contain {expect['problem']}")

    def check_wire(self, server: OrdersServer) -> None:
        wire = self.spec.get("wire") or {}
        for rule in wire.get("requests") or []:
            origin = rule.get("origin", "primary")
            if origin == "secondary":
                log = server.requests(secondary=True)
            elif origin == "any":
                log = server.requests() + (server.requests(secondary=True) if server.secondary_url else [])
            else:
                log = server.requests()
            matching = [
                r
                for r in log
                if ("route" not in rule or r.get("route") == rule["route"])
                and ("path_prefix" not in rule or r["path"].startswith(rule["path_prefix"]))
            ]
            seen = f"requests {rule}: saw {matching}"
            if "count" in rule and len(matching) != rule["count"]:
                raise ScenarioFailedError(f"expected {rule['count']}; {seen}")
            if "min" in rule and len(matching) < rule["min"]:
                raise ScenarioFailedError(f"expected at least {rule['min']}; {seen}")
            if rule.get("same_key"):
                first = matching[0].get("idempotency_key") if matching else None
                if first is None or any(r.get("idempotency_key") != first for r in matching):
                    raise ScenarioFailedError(f"keys differ or are missing; {seen}")
            if "key" in rule and any(r.get("idempotency_key") != rule["key"] for r in matching):
                raise ScenarioFailedError(f"expected key {rule['key']}; {seen}")
            if rule.get("no_key") and any(r.get("idempotency_key") for r in matching):
                raise ScenarioFailedError(f"expected no key; {seen}")
            if "authorization" in rule and any(
                r.get("has_authorization") != rule["authorization"] for r in matching
            ):
                raise ScenarioFailedError(f"expected authorization present = {rule['authorization']}; {seen}")
        ledger = server.ledger()
        for rule in wire.get("ledger") or []:
            n = sum(1 for e in ledger if e.get("kind") == rule["kind"])
            if n != rule.get("count", 0):
                raise ScenarioFailedError(f"ledger has {n} x {rule['kind']}, expected {rule.get('count', 0)}")

    # ------------------------------------------------------------------ run

    async def run(self) -> None:
        srv = self.spec.get("server") or {}
        args = [
            "--operation-ms",
            str(srv.get("operation_ms", 100)),
            "--retry-after-ms",
            str(srv.get("retry_after_ms", 10)),
        ]
        with self.tmp, OrdersServer(*args, secondary_origin=bool(srv.get("secondary_origin"))) as server:
            if self.spec.get("faults"):
                server.add_faults(self.spec["faults"])
            base = server.base_url
            client = self.new_client(base, self.store)
            saved: dict[str, Saved] = {}
            for i, step in enumerate(self.spec["steps"], start=1):
                try:
                    restart = step.get("restart_client")
                    if restart is True:
                        del client
                        client = self.new_client(base, self.store)
                        continue
                    if restart == "fresh_store":
                        client = self.new_client(base, oncely.Store.memory())
                        continue
                    if "wait_ms" in step:
                        await asyncio.sleep(step["wait_ms"] / 1000.0)
                        continue
                    request = substitute(step["request"], saved)
                    outcome = await self.perform(client, base, request)
                    self.check_expect(step.get("expect") or {}, outcome, saved)
                    if step.get("name") and outcome.error is None:
                        saved[step["name"]] = Saved(outcome.body, outcome.headers)
                except ScenarioFailedError as e:
                    raise ScenarioFailedError(f"step {i}: {e}") from None
            try:
                self.check_wire(server)
            except ScenarioFailedError as e:
                raise ScenarioFailedError(f"wire: {e}") from None


def run_scenario(path: Path, mode: str) -> None:
    asyncio.run(Runner(load(path), mode).run())
