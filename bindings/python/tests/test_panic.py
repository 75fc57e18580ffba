"""A Rust panic inside the extension becomes oncely.InternalError."""

from __future__ import annotations

import asyncio

import pytest

import oncely
from oncely import _native


@pytest.mark.parametrize("where", ["sync", "blocking"])
def test_panic_becomes_an_oncely_error(where: str) -> None:
    with pytest.raises(oncely.InternalError) as info:
        _native._panic_for_test(where)
    assert isinstance(info.value, oncely.Error)
    assert isinstance(info.value, Exception)  # not a BaseException-only PanicException
    assert f"test panic ({where})" in str(info.value)


def test_panic_in_a_coroutine_becomes_an_oncely_error() -> None:
    async def run() -> None:
        await _native._panic_for_test("async")

    with pytest.raises(oncely.InternalError, match="test panic"):
        asyncio.run(run())


def test_interpreter_is_fine_afterwards() -> None:
    with pytest.raises(oncely.InternalError):
        _native._panic_for_test("blocking")
    assert oncely.RetryPolicy().max_attempts == 5
