"""Every shared conformance scenario, on the sync and on the async client."""

from __future__ import annotations

from pathlib import Path

import pytest
from conformance import run_scenario, scenario_paths

PATHS = scenario_paths()


def test_scenarios_are_there() -> None:
    assert len(PATHS) >= 15, f"expected the shared scenarios, found {len(PATHS)}"


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_scenario(path: Path, mode: str) -> None:
    run_scenario(path, mode)
