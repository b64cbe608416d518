"""Sync and async callbacks: what they receive, what they may return."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from aiointercept import CallbackResult, aiointercept


@pytest.mark.asyncio
async def test_sync_callback_receives_the_request(
    session: aiohttp.ClientSession,
) -> None:
    seen: dict[str, Any] = {}

    def callback(url: URL, **kwargs: Any) -> CallbackResult:
        seen["url"] = url
        seen.update(kwargs)
        return CallbackResult(status=202, payload={"ok": True})

    async with aiointercept() as m:
        m.post(f"{m.server_url}/cb?z=1&a=2&a=1", callback=callback)
        resp = await session.post(
            f"{m.server_url}/cb?z=1&a=2&a=1#frag",
            json={"k": "v"},
            headers={"X-Req": "1"},
        )
        assert resp.status == 202
        assert await resp.json() == {"ok": True}
    assert seen["url"] == URL(f"{m.server_url}/cb?a=1&a=2&z=1")
    assert seen["method"] == "POST"
    assert seen["headers"]["X-Req"] == "1"
    assert seen["query"] == {"z": ["1"], "a": ["2", "1"]}
    assert seen["json"] == {"k": "v"}
    assert seen["data"] == b'{"k": "v"}'
    assert isinstance(seen["request"], web.BaseRequest)


@pytest.mark.asyncio
async def test_callback_gets_only_the_names_it_declares(
    session: aiohttp.ClientSession,
) -> None:
    def callback(url: URL, headers: Any, query: Any) -> CallbackResult:
        return CallbackResult(body=f"{url.path} {headers['X-N']} {query['q']}")

    async with aiointercept() as m:
        m.get(f"{m.server_url}/narrow?q=1", callback=callback)
        resp = await session.get(f"{m.server_url}/narrow?q=1", headers={"X-N": "n"})
        assert await resp.text() == "/narrow n ['1']"


@pytest.mark.asyncio
async def test_async_callback_and_repeat(session: aiohttp.ClientSession) -> None:
    count = 0

    async def callback(url: URL, **kwargs: Any) -> CallbackResult:
        nonlocal count
        count += 1
        return CallbackResult(body=f"call {count}")

    async with aiointercept() as m:
        m.get(f"{m.server_url}/a", callback=callback, repeat=True)
        texts = [
            await (await session.get(f"{m.server_url}/a")).text() for _ in range(3)
        ]
    assert texts == ["call 1", "call 2", "call 3"]


@pytest.mark.asyncio
async def test_callback_returning_none_uses_the_registered_response(
    session: aiohttp.ClientSession,
) -> None:
    calls: list[URL] = []

    def spy(url: URL, **kwargs: Any) -> None:
        calls.append(url)

    async with aiointercept() as m:
        m.get(f"{m.server_url}/spy", status=203, body="static", callback=spy)
        resp = await session.get(f"{m.server_url}/spy")
        assert (resp.status, await resp.text()) == (203, "static")
    assert calls == [URL(f"{m.server_url}/spy")]


@pytest.mark.asyncio
async def test_callback_result_fields(session: aiohttp.ClientSession) -> None:
    results = iter(
        [
            CallbackResult(status=201, body="text", reason="Made"),
            CallbackResult(body=b"\xff", content_type="application/octet-stream"),
            CallbackResult(payload={"p": 1}, body="ignored"),
            CallbackResult(
                headers={"Content-Type": "text/csv", "X-H": "h"},
                content_type="text/plain",
            ),
        ]
    )

    def callback(url: URL, **kwargs: Any) -> CallbackResult:
        return next(results)

    async with aiointercept() as m:
        m.get(f"{m.server_url}/r", callback=callback, repeat=True)
        url = f"{m.server_url}/r"
        resp = await session.get(url)
        assert (resp.status, resp.reason, await resp.text()) == (201, "Made", "text")
        assert resp.content_type == "application/json"
        resp = await session.get(url)
        assert await resp.read() == b"\xff"
        assert resp.content_type == "application/octet-stream"
        assert await (await session.get(url)).json() == {"p": 1}
        resp = await session.get(url)
        # a Content-Type header wins over the content_type default
        assert resp.headers["Content-Type"] == "text/csv"
        assert resp.headers["X-H"] == "h"


@pytest.mark.asyncio
async def test_callback_can_stream_an_async_body(
    session: aiohttp.ClientSession,
) -> None:
    async def parts() -> AsyncIterator[bytes]:
        yield b"one,"
        yield b"two"

    def callback(url: URL, **kwargs: Any) -> CallbackResult:
        return CallbackResult(body=parts(), content_type="text/plain")

    async with aiointercept() as m:
        m.get(f"{m.server_url}/s", callback=callback)
        resp = await session.get(f"{m.server_url}/s")
        assert resp.headers["Transfer-Encoding"] == "chunked"
        assert await resp.read() == b"one,two"


@pytest.mark.asyncio
async def test_callback_returning_a_wrong_type_is_a_server_error(
    session: aiohttp.ClientSession,
) -> None:
    def callback(url: URL, **kwargs: Any) -> Any:
        return {"not": "a CallbackResult"}

    async with aiointercept() as m:
        m.get(f"{m.server_url}/bad", callback=callback)
        resp = await session.get(f"{m.server_url}/bad")
        assert resp.status == 500
