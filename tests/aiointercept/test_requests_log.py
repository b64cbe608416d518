"""m.requests: keys, entries, and when it is reset."""

from __future__ import annotations

import asyncio
import io

import aiohttp
import pytest
from yarl import URL

from aiointercept import AiointerceptRequest, aiointercept
from aiointercept.compat import normalize_url


@pytest.mark.asyncio
async def test_keys_are_method_and_normalized_url(
    session: aiohttp.ClientSession,
) -> None:
    async with aiointercept() as m:
        m.get(f"{m.server_url}/p?b=1&a=2", repeat=True)
        await session.get(f"{m.server_url}/p?b=1&a=2#fragment")
        await session.get(f"{m.server_url}/p", params={"a": "2", "b": "1"})
    key = ("GET", URL(f"{m.server_url}/p?a=2&b=1"))
    assert list(m.requests) == [key]
    assert key == ("GET", normalize_url(f"{m.server_url}/p?b=1&a=2#x"))
    assert len(m.requests[key]) == 2


@pytest.mark.asyncio
async def test_entries_carry_body_and_kwargs(session: aiohttp.ClientSession) -> None:
    async with aiointercept() as m:
        m.get(f"{m.server_url}/g?t=1&t=2")
        m.post(f"{m.server_url}/form")
        await session.get(
            f"{m.server_url}/g?t=1&t=2", headers=[("X-Dup", "1"), ("X-Dup", "2")]
        )
        await session.post(f"{m.server_url}/form", data={"a": "1"})
    get = m.requests[("GET", URL(f"{m.server_url}/g?t=1&t=2"))][-1]
    assert isinstance(get, AiointerceptRequest)
    assert get.method == "GET"
    assert get.captured_body is None
    assert get.kwargs["json"] is None
    assert get.kwargs["query"] == {"t": ["1", "2"]}
    assert get.kwargs["headers"].getall("X-Dup") == ["1", "2"]
    assert get.headers is get.kwargs["headers"]
    assert get.args == ()
    post = m.requests[("POST", URL(f"{m.server_url}/form"))][-1]
    assert post.captured_body == b"a=1"
    assert post.kwargs["data"] == b"a=1"
    assert post.kwargs["json"] is None
    assert m.call_count == 2
    assert m.last_request is post


@pytest.mark.asyncio
async def test_log_survives_exit_and_resets_on_the_next_entry(
    session: aiohttp.ClientSession,
) -> None:
    m = aiointercept()
    async with m:
        m.get(f"{m.server_url}/x")
        await session.get(f"{m.server_url}/x")
    assert m.call_count == 1
    m.assert_called_once_with(f"{m.server_url}/x")
    async with m:
        assert m.requests == {}
        assert m.last_request is None


@pytest.mark.asyncio
async def test_http10_request_without_host_header() -> None:
    async with aiointercept() as m:
        m.get(f"{m.server_url}/old", body="ok")
        reader, writer = await asyncio.open_connection("127.0.0.1", m.server_port)
        writer.write(b"GET /old HTTP/1.0\r\n\r\n")
        await writer.drain()
        reply = await reader.read()
        writer.close()
        await writer.wait_closed()
    assert reply.startswith((b"HTTP/1.0 200", b"HTTP/1.1 200"))
    assert reply.endswith(b"\r\n\r\nok")
    assert list(m.requests) == [("GET", URL(f"{m.server_url}/old"))]


@pytest.mark.asyncio
async def test_large_uploads_are_captured(session: aiohttp.ClientSession) -> None:
    body = bytes(range(256)) * 12_000  # about 3 MiB
    async with aiointercept() as m:
        m.put(f"{m.server_url}/upload", status=201)
        resp = await session.put(f"{m.server_url}/upload", data=io.BytesIO(body))
        assert resp.status == 201
    assert m.requests[("PUT", URL(f"{m.server_url}/upload"))][0].captured_body == body
