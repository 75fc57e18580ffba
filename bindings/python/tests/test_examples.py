"""The examples in examples/python run against the reference server."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from server import REPO, OrdersServer

EXAMPLES = sorted((REPO / "examples" / "python").glob("*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(path: Path, server: OrdersServer) -> None:
    done = subprocess.run(
        [sys.executable, str(path), server.base_url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"{path.name} failed:\n{done.stdout}\n{done.stderr}"
    assert done.stdout.strip(), f"{path.name} printed nothing"


def test_examples_are_importable_modules() -> None:
    for path in EXAMPLES:
        namespace = runpy.run_path(str(path), run_name="not_main")
        assert "main" in namespace or any(callable(v) for v in namespace.values())
