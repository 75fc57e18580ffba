"""The reference server (``orders-server``) as a child process, for tests.

The binary is the one cargo builds (``target/{debug,release}/orders-server``,
or ``$ONCELY_ORDERS_SERVER``); it is built on first use if missing. Each
server listens on ``127.0.0.1`` with an ephemeral port and prints
``listening on http://127.0.0.1:PORT``. The admin API (``/_admin/...``) is read
with the standard library, never with oncely itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]


def cargo_binary(name: str, override: str) -> Path:
    """A binary of the workspace: ``$override`` if set, else the newest of
    ``target/{debug,release}/NAME``, built with cargo if neither exists."""
    given = os.environ.get(override)
    if given:
        return Path(given)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    candidates = [target / "debug" / name, target / "release" / name]
    existing = [c for c in candidates if c.exists()]
    if existing:
        return max(existing, key=lambda p: p.stat().st_mtime)
    subprocess.run(["cargo", "build", "--quiet", "-p", name], cwd=REPO, check=True)
    return candidates[0]


def server_binary() -> Path:
    """The orders-server binary, built with cargo if it is not there yet."""
    return cargo_binary("orders-server", "ONCELY_ORDERS_SERVER")


class OrdersServer:
    """One running reference server (and, optionally, its second origin)."""

    def __init__(self, *args: str, secondary_origin: bool = False) -> None:
        command = [str(server_binary()), "--port", "0", *args]
        if secondary_origin:
            command.append("--secondary-origin")
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.base_url = self._read_url("listening on ")
        self.secondary_url = self._read_url("secondary origin on ") if secondary_origin else None
        # Keep draining stderr so the child never blocks on a full pipe.
        threading.Thread(target=self._drain, daemon=True).start()

    def _read_url(self, prefix: str) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith(prefix):
            self.process.kill()
            err = self.process.stderr.read() if self.process.stderr else ""
            raise RuntimeError(f"orders-server printed {line!r}, expected {prefix!r}...: {err}")
        return line[len(prefix) :]

    def _drain(self) -> None:
        if self.process.stderr is not None:
            for _ in self.process.stderr:
                pass

    # ------------------------------------------------------------------ admin

    def _admin(self, method: str, path: str, body: Any = None, secondary: bool = False) -> Any:
        base = self.secondary_url if secondary else self.base_url
        assert base is not None
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{base}{path}", data=data, method=method)
        if data is not None:
            request.add_header("content-type", "application/json")
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
        return json.loads(text) if text else None

    def add_faults(self, rules: list[dict[str, Any]]) -> None:
        self._admin("POST", "/_admin/faults", {"rules": rules})

    def clear_faults(self) -> None:
        self._admin("DELETE", "/_admin/faults")

    def requests(self, secondary: bool = False) -> list[dict[str, Any]]:
        return list(self._admin("GET", "/_admin/requests", secondary=secondary)["requests"])

    def ledger(self) -> list[dict[str, Any]]:
        return list(self._admin("GET", "/_admin/ledger")["entries"])

    def reset(self) -> None:
        self._admin("POST", "/_admin/reset")

    def open_streams(self, until: int | None = None) -> int:
        """How many streamed answers the server is sending; with ``until``,
        once that many are (the server waits for it, at most 10 s)."""
        query = "" if until is None else f"?until_open={until}"
        return int(self._admin("GET", f"/_admin/streams{query}")["open"])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> OrdersServer:
        return self

    def __exit__(self, *args: object) -> None:
        self.stop()
