"""Record with each client against a real server, stop it, replay from the file."""

from __future__ import annotations

import gzip
import urllib.request
import zlib
from pathlib import Path

import httpx
import pytest
import requests
import urllib3

from interposition.http import use_cassette

from .conftest import BODIES, LiveServer


def decode(body: bytes, encoding: str | None) -> bytes:
    """What the other clients do for you: undo the content coding."""
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    return body


def _urllib(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url) as response:
        return response.status, decode(
            response.read(), response.headers.get("Content-Encoding")
        )


def _requests(url: str) -> tuple[int, bytes]:
    response = requests.get(url, timeout=5)
    return response.status_code, response.content


def _urllib3(url: str) -> tuple[int, bytes]:
    with urllib3.PoolManager() as pool:
        response = pool.request("GET", url)
        return response.status, response.data


def _httpx(url: str) -> tuple[int, bytes]:
    response = httpx.get(url)
    return response.status_code, response.content


CLIENTS = {
    "urllib": _urllib,
    "requests": _requests,
    "urllib3": _urllib3,
    "httpx": _httpx,
}


@pytest.mark.parametrize("client", sorted(CLIENTS))
@pytest.mark.parametrize(
    ("path", "expected"),
    BODIES,
)
def test_record_then_replay_with_the_server_stopped(
    client: str, path: str, expected: bytes, server: LiveServer, cassette_path: Path
) -> None:
    get = CLIENTS[client]
    with use_cassette(cassette_path):
        assert get(server.url + path) == (200, expected)
    assert server.hits == 1
    server.stop()
    with use_cassette(cassette_path, record_mode="none") as cassette:
        assert get(server.url + path) == (200, expected)
    assert cassette.play_counts == (1,)
