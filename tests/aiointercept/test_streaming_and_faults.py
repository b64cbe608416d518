"""Streaming responses chunk by chunk, and injected faults."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from aiointercept import aiointercept


async def _http_chunks(resp: aiohttp.ClientResponse) -> list[bytes]:
    """The body as the HTTP chunks it arrived in."""
    chunks: list[bytes] = []
    buffer = b""
    async for data, end_of_chunk in resp.content.iter_chunks():
        buffer += data
        if end_of_chunk and buffer:
            # (the zero-length last chunk may arrive in a read of its own)
            chunks.append(buffer)
            buffer = b""
    assert buffer == b""
    return chunks


@pytest.mark.asyncio
async def test_chunks_keep_their_boundaries(session: aiohttp.ClientSession) -> None:
    async with aiointercept() as m:
        parts = [b"alpha", b"", b"beta-" * 1000, "gamma"]
        m.get(f"{m.server_url}/stream", chunks=parts, chunk_delay=0.01)
        resp = await session.get(f"{m.server_url}/stream")
        assert resp.headers["Transfer-Encoding"] == "chunked"
        assert await _http_chunks(resp) == [b"alpha", b"beta-" * 1000, b"gamma"]


@pytest.mark.asyncio
async def test_server_sent_events_arrive_one_by_one(
    session: aiohttp.ClientSession,
) -> None:
    events = [f"data: {i}\n\n" for i in range(3)]
    async with aiointercept() as m:
        m.get(
            f"{m.server_url}/events",
            chunks=events,
            chunk_delay=0.05,
            content_type="text/event-stream",
        )
        arrivals: list[tuple[float, bytes]] = []
        start = time.monotonic()
        async with session.get(f"{m.server_url}/events") as resp:
            assert resp.content_type == "text/event-stream"
            async for line in resp.content:
                if line.strip():
                    arrivals.append((time.monotonic() - start, line))
    assert [line for _, line in arrivals] == [b"data: 0\n", b"data: 1\n", b"data: 2\n"]
    # each event is delivered on its own, about chunk_delay apart
    assert arrivals[2][0] - arrivals[0][0] >= 0.09


@pytest.mark.asyncio
async def test_async_iterable_body_streams(session: aiohttp.ClientSession) -> None:
    async def generate() -> AsyncIterator[bytes]:
        for i in range(3):
            await asyncio.sleep(0)
            yield f"{i};".encode()

    async with aiointercept() as m:
        m.get(f"{m.server_url}/gen", body=generate())
        resp = await session.get(f"{m.server_url}/gen")
        assert await _http_chunks(resp) == [b"0;", b"1;", b"2;"]


@pytest.mark.asyncio
async def test_delay_before_the_response(session: aiohttp.ClientSession) -> None:
    async with aiointercept() as m:
        m.get(f"{m.server_url}/slow", body="late", delay=0.1, repeat=True)
        start = time.monotonic()
        assert await (await session.get(f"{m.server_url}/slow")).text() == "late"
        assert time.monotonic() - start >= 0.1
        with pytest.raises(asyncio.TimeoutError):
            await session.get(
                f"{m.server_url}/slow", timeout=aiohttp.ClientTimeout(total=0.02)
            )


@pytest.mark.asyncio
async def test_truncated_body(session: aiohttp.ClientSession) -> None:
    async with aiointercept() as m:
        m.get(f"{m.server_url}/t", body=b"0123456789", truncate_at=4)
        resp = await session.get(f"{m.server_url}/t")
        assert resp.headers["Content-Length"] == "10"
        assert await resp.content.readexactly(4) == b"0123"
        with pytest.raises(aiohttp.ClientPayloadError):
            await resp.read()


@pytest.mark.asyncio
async def test_connection_reset_mid_body(session: aiohttp.ClientSession) -> None:
    async with aiointercept() as m:
        m.get(f"{m.server_url}/r", body=b"x" * 100, reset_at=10)
        resp = await session.get(f"{m.server_url}/r")
        with pytest.raises(aiohttp.ClientPayloadError) as info:
            await resp.read()
    assert "ConnectionResetError" in str(info.value) or isinstance(
        info.value.__cause__, ConnectionResetError
    )


@pytest.mark.asyncio
async def test_truncated_stream(session: aiohttp.ClientSession) -> None:
    async with aiointercept() as m:
        m.get(f"{m.server_url}/ts", chunks=[b"aaaa", b"bbbb", b"cccc"], truncate_at=6)
        received: list[bytes] = []

        async def drain(resp: aiohttp.ClientResponse) -> None:
            async for data in resp.content.iter_any():
                received.append(data)

        async with session.get(f"{m.server_url}/ts") as resp:
            with pytest.raises(aiohttp.ClientPayloadError):
                await drain(resp)
        assert b"".join(received) == b"aaaabb"


@pytest.mark.asyncio
async def test_per_chunk_delays_replay_a_timing(
    session: aiohttp.ClientSession,
) -> None:
    async with aiointercept() as m:
        m.get(
            f"{m.server_url}/timed",
            chunks=[b"a", b"b", b"c"],
            chunk_delay=[0.0, 0.15, 0.0],
        )
        arrivals: list[tuple[float, bytes]] = []
        start = time.monotonic()
        async with session.get(f"{m.server_url}/timed") as resp:
            async for data, _ in resp.content.iter_chunks():
                arrivals.append((time.monotonic() - start, data))
    assert b"".join(data for _, data in arrivals) == b"abc"
    times = {data: at for at, data in arrivals}
    assert times[b"b"] - times[b"a"] >= 0.15
    # c follows b at once: its gap is far below the one before b
    assert times[b"c"] - times[b"b"] < (times[b"b"] - times[b"a"]) / 2


def test_negative_chunk_delay_is_refused() -> None:
    with pytest.raises(ValueError, match="chunk_delay"):
        aiointercept().get("http://h/x", chunks=[b"a"], chunk_delay=[0.0, -1.0])
