"""Streaming and wire details replay as they happened on the wire."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from pathlib import Path

import httpx
import pytest
import requests
import urllib3

from interposition.http import use_cassette

from .conftest import BINARY, LARGE, LiveServer


def _twice(server: LiveServer, cassette_path: Path, scenario: object) -> None:
    """Run a scenario live (recording), stop the server, run it from the file."""
    assert callable(scenario)
    with use_cassette(cassette_path):
        scenario()
    server.stop()
    with use_cassette(cassette_path, record_mode="none") as cassette:
        scenario()
    assert cassette.all_played


def test_http_client_read_n_and_readline(
    server: LiveServer, cassette_path: Path
) -> None:
    def scenario() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.port)
        connection.request("GET", "/lines")
        response = connection.getresponse()
        assert response.status == 200
        assert response.readline() == b"line 0\n"
        assert response.read(4) == b"line"
        assert response.read(3) == b" 1\n"
        assert response.read() == b"".join(b"line %d\n" % i for i in range(2, 10))
        connection.close()

    _twice(server, cassette_path, scenario)


def test_http_client_keep_alive_and_chunked(
    server: LiveServer, cassette_path: Path
) -> None:
    def scenario() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.port)
        connection.request("GET", "/chunked")
        response = connection.getresponse()
        assert response.chunked
        assert response.read(6) == b"first,"
        assert response.read() == b"second,third"
        connection.request("GET", "/binary")  # same connection, kept alive
        assert connection.getresponse().read() == BINARY
        connection.close()

    _twice(server, cassette_path, scenario)


def test_http_client_head_and_post(server: LiveServer, cassette_path: Path) -> None:
    def scenario() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.port)
        connection.request("HEAD", "/large")
        response = connection.getresponse()
        assert response.getheader("Content-Length") == str(len(LARGE))
        assert response.read() == b""
        connection.request("POST", "/echo", body=b"payload", headers={"X-A": "1"})
        assert b'"body": "payload"' in connection.getresponse().read()
        connection.close()

    _twice(server, cassette_path, scenario)


def test_urllib_errors_and_redirects(server: LiveServer, cassette_path: Path) -> None:
    def scenario() -> None:
        with urllib.request.urlopen(server.url + "/redirect") as response:
            assert response.read() == b"hello redirected"
            assert response.url.endswith("/text?name=redirected")
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(server.url + "/status/404")
        assert caught.value.code == 404
        assert caught.value.read() == b"status 404"
        caught.value.close()

    _twice(server, cassette_path, scenario)


def test_requests_stream_iter_content_and_raw(
    server: LiveServer, cassette_path: Path
) -> None:
    def scenario() -> None:
        with requests.Session() as session:
            response = session.get(server.url + "/large", stream=True)
            pieces = list(response.iter_content(chunk_size=65536))
            assert len(pieces) == 16
            assert b"".join(pieces) == LARGE
            response = session.get(server.url + "/chunked", stream=True)
            assert response.raw.read(6) == b"first,"
            assert response.raw.read() == b"second,third"
            response = session.get(server.url + "/gzip", stream=True)
            assert b"".join(response.iter_content(7)) == b"compressed " * 50
            lines = session.get(server.url + "/lines", stream=True).iter_lines()
            assert next(lines) == b"line 0"

    _twice(server, cassette_path, scenario)


def test_requests_status_redirects_head_cookies(
    server: LiveServer, cassette_path: Path
) -> None:
    def scenario() -> None:
        with requests.Session() as session:
            response = session.get(server.url + "/redirect")
            assert response.text == "hello redirected"
            assert [r.status_code for r in response.history] == [302]
            assert session.get(server.url + "/status/500").status_code == 500
            assert session.get(server.url + "/status/404").reason == "Not Found"
            head = session.head(server.url + "/large")
            assert head.headers["Content-Length"] == str(len(LARGE))
            assert head.content == b""
            session.get(server.url + "/cookie")
            # Set-Cookie values are redacted in the file (see test_redaction).
            assert session.cookies.get("theme") in ("dark", "REDACTED")
            multi = session.get(server.url + "/multi")
            assert multi.headers["X-Multi"] == "one, two"
            assert multi.raw.headers.getlist("X-Multi") == ["one", "two"]
            with session.get(server.url + "/text?name=raw") as plain:
                assert plain.text == "hello raw"
                assert plain.raw.status == 200
                assert plain.raw.headers["Content-Length"] == "9"
                assert plain.encoding == "utf-8"
                assert plain.url == server.url + "/text?name=raw"
            with session.get(server.url + "/text?name=closed") as unused:
                assert unused.ok  # closed without touching raw

    _twice(server, cassette_path, scenario)


def test_urllib3_streaming_and_redirects(
    server: LiveServer, cassette_path: Path
) -> None:
    def scenario() -> None:
        with urllib3.PoolManager() as pool:
            response = pool.request("GET", server.url + "/large", preload_content=False)
            assert response.read(10) == LARGE[:10]
            assert b"".join(response.stream(100_000)) == LARGE[10:]
            response.release_conn()
            redirected = pool.request("GET", server.url + "/redirect")
            assert redirected.data == b"hello redirected"
            assert pool.request("GET", server.url + "/status/503").status == 503
            chunked = pool.request(
                "GET", server.url + "/chunked", preload_content=False
            )
            assert b"".join(chunked.stream(4)) == b"first,second,third"
            chunked.release_conn()

    _twice(server, cassette_path, scenario)


def test_httpx_streaming(server: LiveServer, cassette_path: Path) -> None:
    def scenario() -> None:
        with httpx.Client() as client:
            with client.stream("GET", server.url + "/large") as response:
                assert b"".join(response.iter_bytes(65536)) == LARGE
            with client.stream("GET", server.url + "/gzip") as response:
                assert b"".join(response.iter_bytes()) == b"compressed " * 50
            with client.stream("GET", server.url + "/lines") as response:
                assert list(response.iter_lines())[:2] == ["line 0", "line 1"]
            response = client.get(server.url + "/redirect", follow_redirects=True)
            assert response.text == "hello redirected"
            assert client.head(server.url + "/large").content == b""
            assert client.get(server.url + "/status/418").status_code == 418
            assert client.get(server.url + "/binary").content == BINARY
            multi = client.get(server.url + "/multi")
            assert multi.headers.get_list("x-multi") == ["one", "two"]

    _twice(server, cassette_path, scenario)


@pytest.mark.asyncio
async def test_httpx_async(server: LiveServer, cassette_path: Path) -> None:
    async def scenario() -> None:
        async with httpx.AsyncClient() as client:
            response = await client.get(server.url + "/chunked")
            assert response.text == "first,second,third"
            async with client.stream("GET", server.url + "/large") as streamed:
                assert b"".join([p async for p in streamed.aiter_bytes()]) == LARGE
            posted = await client.post(server.url + "/echo", json={"a": "ü"})
            assert posted.json()["method"] == "POST"

    async with use_cassette(cassette_path):
        await scenario()
    server.stop()
    async with use_cassette(cassette_path, record_mode="none") as cassette:
        await scenario()
    assert cassette.play_counts == (1, 1, 1)


def test_requests_raw_of_a_replay_is_safe_across_threads(
    server: LiveServer, cassette_path: Path
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with use_cassette(cassette_path):
        requests.get(server.url + "/text?name=t", timeout=5)
    server.stop()
    for _ in range(20):
        with use_cassette(cassette_path):
            response = requests.get(server.url + "/text?name=t", timeout=5)
        raw_of = [response] * 8
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda r: r.raw.status, raw_of))
        assert statuses == [200] * 8
