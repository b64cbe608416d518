"""Use as a decorator, and through start() / stop()."""

from __future__ import annotations

import inspect
from pathlib import Path

import aiohttp
import pytest

from aiointercept import aiointercept


@aiointercept()
@pytest.mark.asyncio
async def test_mock_after_a_fixture(tmp_path: Path, m: aiointercept) -> None:
    assert tmp_path.exists()
    m.get(f"{m.server_url}/d", body="decorated")
    async with aiohttp.ClientSession() as session:
        assert await (await session.get(f"{m.server_url}/d")).text() == "decorated"


class TestInAClass:
    @aiointercept()
    @pytest.mark.asyncio
    async def test_method(self, m: aiointercept) -> None:
        assert m.started


@pytest.mark.asyncio
async def test_decorated_function_called_directly() -> None:
    @aiointercept()
    async def fetch(path: str, m: aiointercept) -> str:
        m.get(f"{m.server_url}{path}", body=path)
        async with aiohttp.ClientSession() as session:
            return await (await session.get(f"{m.server_url}{path}")).text()

    assert list(inspect.signature(fetch).parameters) == ["path"]
    assert await fetch("/one") == "/one"
    assert await fetch(path="/two") == "/two"


@pytest.mark.asyncio
async def test_param_injects_by_keyword() -> None:
    mock = aiointercept(param="http")

    @mock
    async def fetch(*, http: aiointercept, other: int = 1) -> bool:
        return http.started and other == 1

    assert list(inspect.signature(fetch).parameters) == ["other"]
    assert await fetch() is True
    assert not mock.started


def test_decorator_rejects_sync_functions_and_missing_parameter() -> None:
    def sync() -> None:
        return None

    with pytest.raises(TypeError, match="async def"):
        aiointercept()(sync)  # type: ignore[arg-type]

    async def nothing() -> None:
        return None

    with pytest.raises(TypeError, match="no parameter"):
        aiointercept()(nothing)


@pytest.mark.asyncio
async def test_start_and_stop() -> None:
    m = aiointercept()
    await m.start()
    try:
        m.get(f"{m.server_url}/s", body="started")
        async with aiohttp.ClientSession() as session:
            assert await (await session.get(f"{m.server_url}/s")).text() == "started"
    finally:
        await m.stop()
    assert not m.started
