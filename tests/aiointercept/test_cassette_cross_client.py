"""One cassette for every client: requests / httpx <-> aiohttp through aiointercept."""

from __future__ import annotations

import asyncio
import gzip
import ssl
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import trustme

from interposition.http import use_cassette

from .cassette_support import (
    BINARY,
    COMPRESSED_TEXT,
    EVENTS,
    LiveUpstream,
    http_chunks,
    recorder,
    sync_resolution,
)
from .conftest import UPSTREAM_NAME, MapResolver

SSE = b"".join(EVENTS)


def _urls(live: LiveUpstream) -> dict[str, str]:
    return {
        "json": f"{live.base}/json/bob?b=2&a=1",
        "binary": f"{live.tls_base}/binary",
        "gzip": f"{live.base}/gzip",
        "events": f"{live.base}/events",
        "echo": f"{live.tls_base}/echo",
    }


# What every client must see, live or replayed.
EXPECTED: dict[str, Any] = {
    "json": {"name": "bob", "query": {"b": "2", "a": "1"}},
    "binary": BINARY,
    "gzip": COMPRESSED_TEXT,
    "events": SSE,
    "echo": {"method": "POST", "body": "k=v", "content_type": "text/plain"},
}


async def _with_aiohttp(urls: dict[str, str]) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session:
        seen: dict[str, Any] = {}
        async with session.get(urls["json"]) as resp:
            seen["json"] = await resp.json()
        async with session.get(urls["binary"]) as resp:
            seen["binary"] = await resp.read()
        async with session.get(urls["gzip"]) as resp:
            assert resp.headers["Content-Encoding"] == "gzip"
            seen["gzip"] = await resp.read()
        async with session.get(urls["events"]) as resp:
            seen["events"] = b"".join(chunk for _, chunk in await http_chunks(resp))
        async with session.post(
            urls["echo"], data=b"k=v", headers={"Content-Type": "text/plain"}
        ) as resp:
            assert resp.status == 201
            seen["echo"] = await resp.json()
        return seen


def _with_requests(urls: dict[str, str], verify: str | bool) -> dict[str, Any]:
    requests = pytest.importorskip("requests")
    with requests.Session() as session:
        return {
            "json": session.get(urls["json"]).json(),
            "binary": session.get(urls["binary"], verify=verify).content,
            "gzip": session.get(urls["gzip"]).content,
            "events": session.get(urls["events"]).content,
            "echo": session.post(
                urls["echo"],
                data=b"k=v",
                headers={"Content-Type": "text/plain"},
                verify=verify,
            ).json(),
        }


async def _with_httpx(urls: dict[str, str], verify: ssl.SSLContext) -> dict[str, Any]:
    httpx = pytest.importorskip("httpx")
    async with httpx.AsyncClient(verify=verify) as client:
        posted = await client.post(
            urls["echo"], content=b"k=v", headers={"Content-Type": "text/plain"}
        )
        return {
            "json": (await client.get(urls["json"])).json(),
            "binary": (await client.get(urls["binary"])).content,
            "gzip": (await client.get(urls["gzip"])).content,
            "events": (await client.get(urls["events"])).content,
            "echo": posted.json(),
        }


@pytest.mark.asyncio
async def test_recorded_with_requests_replayed_to_aiohttp(
    tmp_path: Path,
    live: LiveUpstream,
    resolver: MapResolver,
    upstream_client_ssl: ssl.SSLContext,
    ca: trustme.CA,
) -> None:
    pytest.importorskip("requests")
    path = tmp_path / "requests.yaml"
    urls = _urls(live)
    with (
        ca.cert_pem.tempfile() as ca_file,
        sync_resolution({UPSTREAM_NAME: "127.0.0.1"}),
        use_cassette(path),
    ):
        # requests blocks: run it beside the loop that serves the upstream
        assert await asyncio.to_thread(_with_requests, urls, ca_file) == EXPECTED
    assert len(live.hits) == 5
    await live.stop()
    async with recorder(path, resolver, upstream_client_ssl, record_mode="none") as m:
        assert await _with_aiohttp(urls) == EXPECTED
    assert not m.misses
    assert m.cassette_session is not None
    assert m.cassette_session.all_played


@pytest.mark.asyncio
async def test_recorded_with_httpx_replayed_to_aiohttp(
    tmp_path: Path,
    live: LiveUpstream,
    resolver: MapResolver,
    upstream_client_ssl: ssl.SSLContext,
) -> None:
    pytest.importorskip("httpx")
    path = tmp_path / "httpx.json"
    urls = _urls(live)
    with sync_resolution({UPSTREAM_NAME: "127.0.0.1"}):
        async with use_cassette(path):
            assert await _with_httpx(urls, upstream_client_ssl) == EXPECTED
    assert len(live.hits) == 5
    await live.stop()
    async with recorder(path, resolver, upstream_client_ssl, record_mode="none") as m:
        assert await _with_aiohttp(urls) == EXPECTED
    assert not m.misses


@pytest.mark.asyncio
async def test_recorded_with_aiohttp_replayed_to_requests_and_httpx(
    tmp_path: Path,
    live: LiveUpstream,
    resolver: MapResolver,
    upstream_client_ssl: ssl.SSLContext,
) -> None:
    path = tmp_path / "aiohttp.yaml"
    urls = _urls(live)
    async with recorder(path, resolver, upstream_client_ssl):
        assert await _with_aiohttp(urls) == EXPECTED
    assert len(live.hits) == 5
    await live.stop()
    # the upstream is gone: every answer below comes from the file
    if _installed("requests"):
        with use_cassette(path, record_mode="none") as cassette:
            assert _with_requests(urls, verify=True) == EXPECTED
        assert cassette.all_played
    if _installed("httpx"):
        async with use_cassette(path, record_mode="none") as cassette:
            assert await _with_httpx(urls, upstream_client_ssl) == EXPECTED
        assert cassette.all_played
    # the raw body is what was on the wire: gzip stays gzip
    async with use_cassette(path, record_mode="none") as cassette:
        (gz,) = [i for i in cassette.interactions if i.request.target.endswith("/gzip")]
        assert gzip.decompress(gz.response_chunks[0].data) == COMPRESSED_TEXT


def _installed(name: str) -> bool:
    try:
        __import__(name)
    except ImportError:
        return False
    return True
