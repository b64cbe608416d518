"""Streamed responses: recorded with their chunk boundaries and timing."""

from __future__ import annotations

import itertools
import ssl
from pathlib import Path

import aiohttp
import pytest

from .cassette_support import (
    EVENT_GAP,
    EVENTS,
    LiveUpstream,
    http_chunks,
    load_document,
    recorder,
)
from .conftest import MapResolver


async def _events(url: str) -> list[tuple[float, bytes]]:
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        assert resp.content_type == "text/event-stream"
        assert resp.headers["Cache-Control"] == "no-cache"
        return await http_chunks(resp)


def _gaps(arrivals: list[tuple[float, bytes]]) -> list[float]:
    times = [at for at, _ in arrivals]
    return [later - earlier for earlier, later in itertools.pairwise(times)]


@pytest.mark.asyncio
@pytest.mark.parametrize("secure", [False, True])
async def test_an_event_stream_is_recorded_and_replayed_chunk_by_chunk(
    tmp_path: Path,
    live: LiveUpstream,
    resolver: MapResolver,
    upstream_client_ssl: ssl.SSLContext,
    secure: bool,
) -> None:
    path = tmp_path / "events.yaml"
    url = f"{live.tls_base if secure else live.base}/events"
    async with recorder(path, resolver, upstream_client_ssl):
        recorded = await _events(url)
    # while recording, the client gets each event as the upstream sends it
    assert [chunk for _, chunk in recorded] == EVENTS
    assert sum(_gaps(recorded)) >= 3 * EVENT_GAP * 0.5  # not held back
    chunks = load_document(path)["interactions"][0]["response_chunks"]
    assert [c["data"] for c in chunks] == [e.decode() for e in EVENTS]
    delays = [float(dict(c["metadata"])[":delay"]) for c in chunks]
    # the upstream sleeps EVENT_GAP before each event
    assert sum(delays) >= len(EVENTS) * EVENT_GAP * 0.9
    await live.stop()

    # replay: the same boundaries, as fast as possible by default
    async with recorder(path, resolver, upstream_client_ssl, record_mode="none"):
        fast = await _events(url)
    assert [chunk for _, chunk in fast] == EVENTS
    assert fast[-1][0] < sum(delays) / 2

    # replay_timing=True: the recorded delays between chunks
    async with recorder(
        path, resolver, upstream_client_ssl, record_mode="none", replay_timing=True
    ):
        timed = await _events(url)
    assert [chunk for _, chunk in timed] == EVENTS
    # the server waits each recorded delay before its chunk
    assert timed[-1][0] >= sum(delays[1:]) * 0.9
    assert sum(_gaps(timed)) >= sum(delays[1:]) * 0.5


@pytest.mark.asyncio
async def test_sse_lines_arrive_one_event_at_a_time_on_replay(
    tmp_path: Path,
    live: LiveUpstream,
    resolver: MapResolver,
    upstream_client_ssl: ssl.SSLContext,
) -> None:
    path = tmp_path / "events.json"
    async with recorder(path, resolver, upstream_client_ssl):
        await _events(f"{live.base}/events")
    await live.stop()
    async with (
        recorder(
            path, resolver, upstream_client_ssl, record_mode="none", replay_timing=True
        ),
        aiohttp.ClientSession() as session,
        session.get(f"{live.base}/events") as resp,
    ):
        data = [line async for line in resp.content if line.startswith(b"data:")]
    assert data == [f"data: {i}\n".encode() for i in range(len(EVENTS))]


@pytest.mark.asyncio
async def test_a_client_that_stops_reading_records_what_it_saw(
    tmp_path: Path,
    live: LiveUpstream,
    resolver: MapResolver,
    upstream_client_ssl: ssl.SSLContext,
) -> None:
    path = tmp_path / "events.json"
    async with recorder(path, resolver, upstream_client_ssl) as m:
        async with aiohttp.ClientSession() as session:
            resp = await session.get(f"{live.base}/events")
            seen = [await resp.content.readuntil(b"\n\n") for _ in range(2)]
            resp.close()  # the client goes away mid-stream
        assert seen == EVENTS[:2]
    assert m.cassette_session is not None
    (interaction,) = m.cassette_session.interactions
    replayable = [chunk.data for chunk in interaction.response_chunks]
    assert replayable[:2] == EVENTS[:2]
    assert replayable == EVENTS[: len(replayable)]


@pytest.mark.asyncio
async def test_a_stream_still_running_when_the_mock_stops_is_recorded(
    tmp_path: Path,
    live: LiveUpstream,
    resolver: MapResolver,
    upstream_client_ssl: ssl.SSLContext,
) -> None:
    path = tmp_path / "events.json"
    async with aiohttp.ClientSession() as session:
        m = recorder(path, resolver, upstream_client_ssl)
        async with m:
            resp = await session.get(f"{live.base}/events")
            assert await resp.content.readuntil(b"\n\n") == EVENTS[0]
        # the mock stopped mid-stream: the stream ended, and was recorded
        rest = await resp.read()
        assert EVENTS[0] + rest == b"".join(EVENTS[: 1 + rest.count(b"\n\n")])
    assert m.cassette_session is not None
    (interaction,) = m.cassette_session.interactions
    assert interaction.response_chunks[0].data == EVENTS[0]
