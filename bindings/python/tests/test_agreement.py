"""The cross-binding agreement table (bindings/common/tests/agreement.json):
Python refuses each bad input with the kind and the words Node uses."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import oncely

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parents[2] / "common" / "tests" / "agreement.json").read_text(encoding="utf-8")
)

KINDS: dict[type[BaseException], str] = {
    oncely.InvalidInputError: "invalid_input",
    oncely.StoreError: "store",
}


def maker(python: dict[str, Any]) -> Callable[..., object]:
    base_url = python.get("base_url", "http://127.0.0.1:1")
    makers: dict[str, Callable[..., object]] = {
        "Client": lambda **options: oncely.Client(base_url, **options),
        "CircuitBreaker": oncely.CircuitBreaker,
        "RetryPolicy": oncely.RetryPolicy,
        "RetryBudget": oncely.RetryBudget,
    }
    return makers[python["make"]]


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_refused_as_in_node(case: dict[str, Any]) -> None:
    python = case["python"]
    with pytest.raises(oncely.Error) as info:
        maker(python)(**python["args"])
    assert KINDS.get(type(info.value)) == case["kind"], repr(info.value)
    assert str(info.value) == case["message"]["python"]
