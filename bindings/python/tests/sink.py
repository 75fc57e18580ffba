"""The OTLP test receiver (``otlp-sink``) as a child process, for tests.

The binary is the one cargo builds (``target/{debug,release}/otlp-sink``, or
``$ONCELY_OTLP_SINK``); it is built on first use if missing. It prints
``otlp-sink http=127.0.0.1:PORT grpc=127.0.0.1:PORT``, lists what it received
on ``GET /spans`` and ``GET /metrics`` of its HTTP port, and exits when its
standard input closes.
"""

from __future__ import annotations

import json
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

from server import cargo_binary


def sink_binary() -> Path:
    """The otlp-sink binary, built with cargo if it is not there yet."""
    return cargo_binary("otlp-sink", "ONCELY_OTLP_SINK")


class OtlpSink:
    """One running OTLP receiver."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [str(sink_binary())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().split()
        if len(line) != 3 or line[0] != "otlp-sink":
            self.process.kill()
            raise RuntimeError(f"otlp-sink printed {line!r}")
        ports = dict(part.split("=", 1) for part in line[1:])
        self.http = f"http://{ports['http']}"
        self.grpc = f"http://{ports['grpc']}"

    def _get(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.http}{path}", timeout=10) as response:
            return json.loads(response.read())

    def spans(self) -> list[dict[str, Any]]:
        return list(self._get("/spans"))

    def metrics(self) -> list[dict[str, Any]]:
        return list(self._get("/metrics"))

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> OtlpSink:
        return self

    def __exit__(self, *args: object) -> None:
        self.stop()
