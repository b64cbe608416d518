"""One cassette, any client: recorded with each, replayed with every other."""

from __future__ import annotations

import asyncio
import gzip
import http.client
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import httpx2
import pytest
import requests
import urllib3

from interposition.http import use_cassette

from .conftest import BINARY, UNICODE_TEXT, LiveServer

#: (method, path, body) -> (status, decoded body)
Client = Callable[[str, str, bytes | None], tuple[int, bytes]]


def _with_http_client(method: str, url: str, body: bytes | None) -> tuple[int, bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, target, body=body)
        response = connection.getresponse()
        data = response.read()
        if response.getheader("Content-Encoding") == "gzip":
            data = gzip.decompress(data)
        return response.status, data
    finally:
        connection.close()


def _with_urllib(method: str, url: str, body: bytes | None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method=method)
    with urllib.request.urlopen(request) as response:
        data = response.read()
        if response.headers.get("Content-Encoding") == "gzip":
            data = gzip.decompress(data)
        return response.status, data


def _with_urllib3(method: str, url: str, body: bytes | None) -> tuple[int, bytes]:
    with urllib3.PoolManager() as pool:
        response = pool.request(method, url, body=body)
        return response.status, response.data


def _with_requests(method: str, url: str, body: bytes | None) -> tuple[int, bytes]:
    response = requests.request(method, url, data=body, timeout=5)
    return response.status_code, response.content


def _with_httpx(method: str, url: str, body: bytes | None) -> tuple[int, bytes]:
    with httpx.Client() as client:
        response = client.request(method, url, content=body)
        return response.status_code, response.content


def _with_httpx_async(method: str, url: str, body: bytes | None) -> tuple[int, bytes]:
    async def call() -> tuple[int, bytes]:
        async with httpx.AsyncClient() as client:
            response = await client.request(method, url, content=body)
            return response.status_code, response.content

    return asyncio.run(call())


def _with_httpx2(method: str, url: str, body: bytes | None) -> tuple[int, bytes]:
    with httpx2.Client() as client:
        response = client.request(method, url, content=body)
        return response.status_code, response.content


def _with_httpx2_async(method: str, url: str, body: bytes | None) -> tuple[int, bytes]:
    async def call() -> tuple[int, bytes]:
        async with httpx2.AsyncClient() as client:
            response = await client.request(method, url, content=body)
            return response.status_code, response.content

    return asyncio.run(call())


CLIENTS: dict[str, Client] = {
    "http.client": _with_http_client,
    "urllib": _with_urllib,
    "urllib3": _with_urllib3,
    "requests": _with_requests,
    "httpx": _with_httpx,
    "httpx-async": _with_httpx_async,
    "httpx2": _with_httpx2,
    "httpx2-async": _with_httpx2_async,
}

EXCHANGES: list[tuple[str, str, bytes | None, tuple[int, bytes]]] = [
    ("GET", "/text?name=matrix", None, (200, b"hello matrix")),
    ("GET", "/binary", None, (200, BINARY)),
    ("GET", "/unicode", None, (200, UNICODE_TEXT.encode())),
    ("GET", "/gzip", None, (200, b"compressed " * 50)),
    ("GET", "/chunked", None, (200, b"first,second,third")),
    ("PUT", "/status/201", b"\x00\xffdata", (201, b"status 201")),
]


def record_then_replay(
    recorder: Client, replayer: Client, server: LiveServer, cassette_path: Path
) -> None:
    """Run EXCHANGES live with one client (recording), then from the file with
    the other, the server stopped; every recording must be played."""
    with use_cassette(cassette_path):
        for method, path, body, expected in EXCHANGES:
            assert recorder(method, server.url + path, body) == expected
    server.stop()
    with use_cassette(cassette_path, record_mode="none") as cassette:
        for method, path, body, expected in EXCHANGES:
            assert replayer(method, server.url + path, body) == expected
    assert cassette.all_played


@pytest.mark.parametrize("replayer", sorted(CLIENTS))
@pytest.mark.parametrize("recorder", sorted(CLIENTS))
def test_recorded_by_one_replayed_by_another(
    recorder: str,
    replayer: str,
    server: LiveServer,
    cassette_path: Path,
) -> None:
    record_then_replay(CLIENTS[recorder], CLIENTS[replayer], server, cassette_path)
