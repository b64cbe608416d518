"""Record and replay through a cassette: a real upstream, then only the file."""

from __future__ import annotations

import ssl
from pathlib import Path

import aiohttp
import pytest

from .cassette_support import BINARY, LiveUpstream, load_document, recorder
from .conftest import MapResolver


@pytest.mark.asyncio
@pytest.mark.parametrize("suffix", [".json", ".yaml"])
async def test_record_then_replay_from_the_file(
    tmp_path: Path,
    live: LiveUpstream,
    resolver: MapResolver,
    upstream_client_ssl: ssl.SSLContext,
    suffix: str,
) -> None:
    path = tmp_path / f"c{suffix}"

    async def scenario() -> list[object]:
        async with aiohttp.ClientSession() as session:
            a = await session.get(f"{live.base}/json/alice?x=1")
            b = await session.get(f"{live.tls_base}/binary")
            c = await session.post(f"{live.base}/echo", json={"k": "v"})
            return [
                a.status,
                await a.json(),
                a.headers["X-Upstream"],
                await b.read(),
                b.content_type,
                c.status,
                await c.json(),
            ]

    async with recorder(path, resolver, upstream_client_ssl) as m:
        recorded = await scenario()
    assert len(live.hits) == 3
    assert m.cassette_session is not None
    assert len(m.cassette_session.interactions) == 3
    assert recorded[3] == BINARY
    await live.stop()

    async with recorder(path, resolver, upstream_client_ssl, record_mode="none") as m:
        replayed = await scenario()
    assert replayed == recorded
    assert m.cassette_session is not None
    assert m.cassette_session.all_played
    assert not m.misses
    assert len(live.hits) == 3
    doc = load_document(path)
    targets = [i["request"]["target"] for i in doc["interactions"]]
    assert f"{live.tls_base}/binary" in targets
