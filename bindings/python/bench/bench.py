"""oncely vs httpx vs requests on loopback, ratios in the same run.

    python bindings/python/bench/bench.py [--n 10000] [--concurrency 64] [--against echo|orders|URL]

``--against echo`` (the default) starts a minimal loopback server
(``cargo build --release -p oncely-python --example echo-server``) so that the
numbers measure the clients; ``--against orders`` starts the reference server
(``orders-server``, with its idempotency handling, request log and ledger,
about 110 us per request on its own). Every client makes the same calls:
``GET /orders/{id}`` and ``POST /orders`` with a ~1 KB JSON body.
oncely runs with its production defaults — retries, retry budget, circuit
breaker, an idempotency key (and a store record) on every POST; the baselines
send an ``Idempotency-Key`` too, since the server requires one, but keep no
records. Sequential: ``oncely.Client`` vs ``httpx.Client`` vs
``requests.Session``. Concurrent: ``oncely.AsyncClient`` vs
``httpx.AsyncClient`` with ``--concurrency`` tasks. The numbers are ratios of
throughput (calls per second) against httpx in the same run.

Build the extension in release mode first (``pip install ./bindings/python``
or ``maturin develop --release``): a debug build is several times slower.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import requests

import oncely

REPO = Path(__file__).resolve().parents[3]
ORDER: dict[str, Any] = {
    "customer_id": "cus_bench",
    "currency": "EUR",
    "items": [{"sku": f"sku-{i}", "quantity": i + 1} for i in range(8)],
    "note": "x" * 700,
    "metadata": {"source": "bench", "campaign": "spring"},
}


def start_server(kind: str) -> tuple[subprocess.Popen[str], str]:
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    if kind == "echo":
        binary = target / "release" / "examples" / "echo-server"
        build = ["cargo", "build", "--release", "-q", "-p", "oncely-python", "--example", "echo-server"]
    else:
        binary = target / "release" / "orders-server"
        build = ["cargo", "build", "--release", "-q", "-p", "orders-server"]
    if not binary.exists():
        subprocess.run(build, cwd=REPO, check=True)
    process = subprocess.Popen(
        [str(binary), "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    return process, line.removeprefix("listening on ")


ROUNDS = 10


def interleaved(n: int, calls: dict[str, Callable[[int], object]]) -> dict[str, float]:
    """Calls per second of each client, `n` calls each, run in ROUNDS rounds
    that alternate between the clients (so a busy machine slows all alike)."""
    for call in calls.values():
        for i in range(min(200, n)):  # warm up connections and caches
            call(i)
    spent = dict.fromkeys(calls, 0.0)
    per_round = max(1, n // ROUNDS)
    for _ in range(ROUNDS):
        for name, call in calls.items():
            started = time.perf_counter()
            for i in range(per_round):
                call(i)
            spent[name] += time.perf_counter() - started
    return {name: per_round * ROUNDS / seconds for name, seconds in spent.items()}


async def interleaved_async(
    n: int, concurrency: int, calls: dict[str, Callable[[int], Awaitable[object]]]
) -> dict[str, float]:
    """Like `interleaved`, with `concurrency` tasks sharing each round."""

    async def worker(call: Callable[[int], Awaitable[object]], count: int) -> None:
        for i in range(count):
            await call(i)

    for call in calls.values():
        await asyncio.gather(*(worker(call, 5) for _ in range(concurrency)))
    spent = dict.fromkeys(calls, 0.0)
    per_task = max(1, n // ROUNDS // concurrency)
    for _ in range(ROUNDS):
        for name, call in calls.items():
            started = time.perf_counter()
            await asyncio.gather(*(worker(call, per_task) for _ in range(concurrency)))
            spent[name] += time.perf_counter() - started
    return {name: per_task * concurrency * ROUNDS / seconds for name, seconds in spent.items()}


def sequential(base: str, n: int, store: str, order_id: str) -> dict[str, dict[str, float]]:
    body = json.dumps(ORDER)

    def key_headers() -> dict[str, str]:
        return {"Idempotency-Key": str(uuid.uuid4()), "Content-Type": "application/json"}

    oc = oncely.Client(base, store=store)
    hc = httpx.Client(base_url=base)
    rs = requests.Session()

    def rget(i: int) -> object:
        r = rs.get(f"{base}/orders/{order_id}")
        r.raise_for_status()
        return r.json()

    def rpost(i: int) -> object:
        r = rs.post(f"{base}/orders", data=body, headers=key_headers())
        r.raise_for_status()
        return r.json()

    gets = interleaved(
        n,
        {
            "oncely": lambda i: oc.get(f"/orders/{order_id}").json(),
            "httpx": lambda i: hc.get(f"/orders/{order_id}").raise_for_status().json(),
            "requests": rget,
        },
    )
    posts = interleaved(
        n,
        {
            "oncely": lambda i: oc.post("/orders", json=ORDER).json(),
            "httpx": lambda i: (
                hc.post("/orders", content=body, headers=key_headers()).raise_for_status().json()
            ),
            "requests": rpost,
        },
    )
    hc.close()
    rs.close()
    return {name: {"GET": gets[name], "POST": posts[name]} for name in gets}


async def concurrent(
    base: str, n: int, concurrency: int, store: str, order_id: str
) -> dict[str, dict[str, float]]:
    body = json.dumps(ORDER)
    oc = oncely.AsyncClient(base, store=store)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits) as hc:

        async def oget(i: int) -> object:
            return (await oc.get(f"/orders/{order_id}")).json()

        async def opost(i: int) -> object:
            return (await oc.post("/orders", json=ORDER)).json()

        async def hget(i: int) -> object:
            return (await hc.get(f"/orders/{order_id}")).raise_for_status().json()

        async def hpost(i: int) -> object:
            headers = {"Idempotency-Key": str(uuid.uuid4()), "Content-Type": "application/json"}
            return (await hc.post("/orders", content=body, headers=headers)).raise_for_status().json()

        gets = await interleaved_async(n, concurrency, {"oncely": oget, "httpx": hget})
        posts = await interleaved_async(n, concurrency, {"oncely": opost, "httpx": hpost})
    return {name: {"GET": gets[name], "POST": posts[name]} for name in gets}


def report(title: str, results: dict[str, dict[str, float]]) -> list[str]:
    lines = [title]
    for method in ("GET", "POST"):
        base = results["httpx"][method]
        parts = [f"{name} {r[method]:8.0f}/s ({r[method] / base:4.2f}x)" for name, r in results.items()]
        lines.append(f"  {method:4} " + "   ".join(parts))
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10_000, help="calls per client and method")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--against", default="echo", help='"echo" (minimal server), "orders" (reference server) or a base URL'
    )
    parser.add_argument("--store", default="memory", help='oncely store: "memory" or "sqlite:PATH"')
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()

    process = None
    base = args.against
    if base in ("echo", "orders"):
        process, base = start_server(base)
    try:
        created = oncely.Client(base).post("/orders", json=ORDER).json()
        order_id = str(created.get("id", "ord_bench"))
        seq = sequential(base, args.n, args.store, order_id)
        conc = asyncio.run(concurrent(base, args.n, args.concurrency, args.store, order_id))
    finally:
        if process is not None:
            process.terminate()
            process.wait()
    lines = [
        f"oncely {oncely.__version__}, {args.n} calls per client and method, "
        f"store={args.store}, against {args.against} ({base})"
    ]
    lines += report("sequential (1 thread):", seq)
    lines += report(f"concurrent ({args.concurrency} asyncio tasks):", conc)
    print("\n".join(lines))
    if args.json:
        Path(args.json).write_text(json.dumps({"sequential": seq, "concurrent": conc}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
