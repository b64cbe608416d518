"""tornado's AsyncHTTPClient: recorded against a real server, replayed without it.

Each scenario runs three times: against the server with no cassette (what
tornado does live), recording, and replaying with the server stopped; the
three must agree. Every test runs with the simple client, and with the curl
client where pycurl is installed (``make test-niquests`` installs it and sets
INTERPOSITION_REQUIRE_CLIENTS=pycurl,..., which makes its absence a failure).
"""

from __future__ import annotations

import base64
import gzip
import importlib
import importlib.util
import json
import os
import re
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import requests
import urllib3
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPResponse
from tornado.simple_httpclient import SimpleAsyncHTTPClient

from interposition import Cassette
from interposition.http import (
    HttpInteractionNotFoundError,
    HttpRequest,
    HttpResponse,
    to_interaction,
    use_cassette,
)
from interposition.stores import store_for_path

from .conftest import BINARY, LARGE, UNICODE_TEXT, LiveServer

Scenario = Callable[[AsyncHTTPClient, str], Awaitable[object]]


IMPLEMENTATIONS = ["simple"]
if importlib.util.find_spec("pycurl") is not None:
    IMPLEMENTATIONS.append("curl")
elif "pycurl" in os.environ.get("INTERPOSITION_REQUIRE_CLIENTS", "").split(","):
    raise AssertionError("pycurl is required here (INTERPOSITION_REQUIRE_CLIENTS)")


def _implementation(name: str) -> type[AsyncHTTPClient]:
    if name == "curl":
        curl: Any = importlib.import_module("tornado.curl_httpclient")
        return curl.CurlAsyncHTTPClient  # type: ignore[no-any-return]
    return SimpleAsyncHTTPClient


@pytest_asyncio.fixture(params=IMPLEMENTATIONS)
async def client(request: pytest.FixtureRequest) -> AsyncIterator[AsyncHTTPClient]:
    implementation = _implementation(request.param)
    instance = implementation(force_instance=True)
    assert type(instance) is implementation
    try:
        yield instance
    finally:
        instance.close()


def _is_curl(client: AsyncHTTPClient) -> bool:
    return not isinstance(client, SimpleAsyncHTTPClient)


def _view(response: HTTPResponse) -> tuple[object, ...]:
    """What a caller sees of a response (the Date header aside)."""
    return (
        response.code,
        response.reason,
        [(k, v) for k, v in response.headers.get_all() if k != "Date"],
        response.body,
        response.effective_url,
        response.request.url,
        type(response.error).__name__,
    )


async def _three_ways(
    server: LiveServer,
    client: AsyncHTTPClient,
    cassette_path: Path,
    scenario: Scenario,
) -> object:
    """Live without a cassette, recorded, replayed: the three results agree."""
    live = await scenario(client, server.url)
    async with use_cassette(cassette_path):
        recorded = await scenario(client, server.url)
    server.stop()
    async with use_cassette(cassette_path, record_mode="none") as cassette:
        replayed = await scenario(client, server.url)
    assert cassette.all_played
    assert replayed == recorded == live
    return replayed


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/text?name=x", b"hello x"),
        ("/binary", BINARY),
        ("/unicode", UNICODE_TEXT.encode()),
        ("/large", LARGE),
        ("/chunked", b"first,second,third"),
        ("/deflate", None),
    ],
)
async def test_bodies_replay_with_the_server_stopped(
    path: str,
    expected: bytes | None,
    server: LiveServer,
    client: AsyncHTTPClient,
    cassette_path: Path,
) -> None:
    if expected is None:  # the simple client leaves deflate, curl decodes it
        deflated = b"deflated " * 50
        expected = deflated if _is_curl(client) else zlib.compress(deflated)

    async def scenario(client: AsyncHTTPClient, url: str) -> object:
        response = await client.fetch(url + path)
        assert response.body == expected
        return _view(response)

    await _three_ways(server, client, cassette_path, scenario)


@pytest.mark.asyncio
@pytest.mark.parametrize("decompress", [True, False])
async def test_gzip_looks_as_it_does_live(
    decompress: bool,
    server: LiveServer,
    client: AsyncHTTPClient,
    cassette_path: Path,
) -> None:
    async def scenario(client: AsyncHTTPClient, url: str) -> object:
        lines: list[str] = []
        pieces: list[bytes] = []
        streamed = await client.fetch(
            url + "/gzip",
            decompress_response=decompress,
            header_callback=lines.append,
            streaming_callback=pieces.append,
        )
        whole = await client.fetch(url + "/gzip", decompress_response=decompress)
        body = whole.body if not decompress else gzip.compress(whole.body)
        assert gzip.decompress(body) == b"compressed " * 50
        assert streamed.body == b""
        return (
            _view(streamed),
            _view(whole),
            [line for line in lines if not line.startswith("Date:")],
            b"".join(pieces),
        )

    replayed: Any = await _three_ways(server, client, cassette_path, scenario)
    headers = dict(replayed[1][2])
    if decompress and _is_curl(client):  # curl decodes, keeps the header
        assert replayed[1][3] == b"compressed " * 50
        assert headers["Content-Encoding"] == "gzip"
    elif decompress:
        assert replayed[1][3] == b"compressed " * 50
        assert headers["X-Consumed-Content-Encoding"] == "gzip"
        assert "Content-Encoding" not in headers
    else:
        assert gzip.decompress(replayed[1][3]) == b"compressed " * 50
        assert headers["Content-Encoding"] == "gzip"
    lines = replayed[2]
    assert lines[0] == "HTTP/1.1 200 OK\r\n"
    assert lines[-1] == "\r\n"
    assert all(line.endswith("\r\n") for line in lines)
    # The cassette holds what crossed the wire: still gzip.
    document = json.loads(cassette_path.read_text())
    data = document["interactions"][0]["response_chunks"][0]["data"]
    assert gzip.decompress(base64.b64decode(data["base64"])) == b"compressed " * 50


@pytest.mark.asyncio
async def test_redirects_errors_and_methods(
    server: LiveServer, client: AsyncHTTPClient, cassette_path: Path
) -> None:
    async def scenario(client: AsyncHTTPClient, url: str) -> object:
        followed = await client.fetch(url + "/redirect")
        assert followed.body == b"hello redirected"
        assert followed.effective_url == url + "/text?name=redirected"
        assert followed.request.url == url + "/redirect"
        kept = await client.fetch(
            url + "/redirect", follow_redirects=False, raise_error=False
        )
        assert kept.code == 302
        with pytest.raises(HTTPClientError) as caught:
            await client.fetch(url + "/status/404")
        assert caught.value.code == 404
        assert caught.value.response is not None
        error_body = caught.value.response.body
        unraised = await client.fetch(url + "/status/500", raise_error=False)
        assert isinstance(unraised.error, HTTPClientError)
        posted = await client.fetch(
            url + "/echo", method="POST", body=b"\x00\xffdata", headers={"X-A": "1"}
        )
        echoed = json.loads(posted.body)
        head = await client.fetch(url + "/large", method="HEAD")
        assert head.body == b""
        return (
            _view(followed),
            _view(kept),
            error_body,
            _view(unraised),
            echoed["method"],
            echoed["headers"]["X-A"],
            echoed["headers"]["Host"],
            head.headers["Content-Length"],
        )

    await _three_ways(server, client, cassette_path, scenario)
    # Each hop of the redirect is its own recording.
    targets = [
        i["request"]["target"]
        for i in json.loads(cassette_path.read_text())["interactions"]
    ]
    assert targets[:3] == [
        f"{server.url}/redirect",
        f"{server.url}/text?name=redirected",
        f"{server.url}/redirect",
    ]


@pytest.mark.asyncio
async def test_a_redirected_post_becomes_a_get(
    server: LiveServer, client: AsyncHTTPClient, cassette_path: Path
) -> None:
    async def scenario(client: AsyncHTTPClient, url: str) -> object:
        response = await client.fetch(url + "/redirect", method="POST", body=b"x")
        assert response.body == b"hello redirected"
        return _view(response)

    await _three_ways(server, client, cassette_path, scenario)
    methods = [
        i["request"]["action"]
        for i in json.loads(cassette_path.read_text())["interactions"]
    ]
    assert methods == ["POST", "GET"]


@pytest.mark.asyncio
async def test_streaming_callback_gets_each_recorded_chunk(
    client: AsyncHTTPClient, cassette_path: Path
) -> None:
    url = "http://api.example.test/events"
    pieces = (b"data: 1\n\n", b"data: 2\n\n", b"data: 3\n\n")
    response = HttpResponse(
        200,
        "OK",
        (("Content-Type", "text/event-stream"), ("Transfer-Encoding", "chunked")),
        b"".join(pieces),
        chunks=pieces,
    )
    store = store_for_path(cassette_path, create_if_missing=True)
    interaction = to_interaction(HttpRequest("GET", url), response)
    store.save(Cassette(interactions=(interaction, interaction)))
    got: list[bytes] = []
    awaited: list[bytes] = []

    async def slow(piece: bytes) -> None:
        awaited.append(piece)

    async with use_cassette(cassette_path, record_mode="none"):
        streamed = await client.fetch(url, streaming_callback=got.append)
        assert got == list(pieces)
        assert streamed.body == b""
        await client.fetch(url, streaming_callback=slow)
        assert awaited == list(pieces)


@pytest.mark.asyncio
async def test_live_chunks_are_recorded_as_tornado_delivered_them(
    server: LiveServer, client: AsyncHTTPClient, cassette_path: Path
) -> None:
    got: list[bytes] = []
    async with use_cassette(cassette_path):
        await client.fetch(server.url + "/chunked", streaming_callback=got.append)
    server.stop()
    replayed: list[bytes] = []
    async with use_cassette(cassette_path, record_mode="none"):
        await client.fetch(server.url + "/chunked", streaming_callback=replayed.append)
    assert replayed == got
    assert b"".join(got) == b"first,second,third"


@pytest.mark.asyncio
async def test_https(
    https_server: LiveServer,
    client: AsyncHTTPClient,
    certificate_authority: Any,
    cassette_path: Path,
    tmp_path: Path,
) -> None:
    ca_file = tmp_path / "ca.pem"
    certificate_authority.cert_pem.write_to_path(str(ca_file))

    async def scenario(client: AsyncHTTPClient, url: str) -> object:
        response = await client.fetch(url + "/binary", ca_certs=str(ca_file))
        assert response.body == BINARY
        return _view(response)

    await _three_ways(https_server, client, cassette_path, scenario)
    assert (
        f'"https://127.0.0.1:{https_server.port}/binary"' in cassette_path.read_text()
    )


@pytest.mark.asyncio
async def test_a_miss_raises_from_fetch(
    server: LiveServer, client: AsyncHTTPClient, cassette_path: Path
) -> None:
    async with use_cassette(cassette_path):
        await client.fetch(server.url + "/text?name=a")
    async with use_cassette(cassette_path):
        with pytest.raises(HttpInteractionNotFoundError) as caught:
            await client.fetch(server.url + "/text?name=b")
        assert "query (name=b vs recorded name=a)" in str(caught.value)
        with pytest.raises(HttpInteractionNotFoundError):
            await client.fetch(server.url + "/text?name=b", raise_error=False)
    assert server.hits == 1


@pytest.mark.asyncio
async def test_a_miss_behind_a_redirect_raises_from_fetch(
    server: LiveServer, client: AsyncHTTPClient, cassette_path: Path
) -> None:
    async with use_cassette(cassette_path):
        await client.fetch(
            server.url + "/redirect", follow_redirects=False, raise_error=False
        )
    async with use_cassette(cassette_path, record_mode="none"):
        with pytest.raises(HttpInteractionNotFoundError, match="name=redirected"):
            await client.fetch(server.url + "/redirect")


@pytest.mark.asyncio
async def test_a_connection_error_is_raised_as_live(
    server: LiveServer, client: AsyncHTTPClient, cassette_path: Path
) -> None:
    server.stop()
    expected = HTTPClientError if _is_curl(client) else ConnectionRefusedError
    try:
        await client.fetch(server.url + "/text")
    except Exception as error:
        live = error
    assert type(live) is expected or issubclass(type(live), expected)
    async with use_cassette(cassette_path):
        with pytest.raises(type(live)) as caught:
            await client.fetch(server.url + "/text")
    # The same error as live (curl's message says how many ms it took).
    assert re.sub(r"\d+ ms", "N ms", str(caught.value)) == re.sub(
        r"\d+ ms", "N ms", str(live)
    )
    assert not cassette_path.exists()


@pytest.mark.asyncio
async def test_record_modes_and_ordered_playback(
    server: LiveServer, client: AsyncHTTPClient, cassette_path: Path
) -> None:
    async def count(url: str = server.url) -> bytes:
        return (await client.fetch(url + "/counter")).body

    async with use_cassette(cassette_path):  # once, new: records
        assert [await count(), await count()] == [b"1", b"2"]
    async with use_cassette(cassette_path) as cassette:  # once, existing: replays
        assert [await count(), await count()] == [b"1", b"2"]
        with pytest.raises(HttpInteractionNotFoundError, match="already played"):
            await count()
    assert cassette.play_counts == (1, 1)
    async with use_cassette(cassette_path, allow_playback_repeats=True):
        assert [await count(), await count(), await count()] == [b"1", b"2", b"2"]
    async with use_cassette(cassette_path, record_mode="new_episodes"):
        assert await count() == b"1"
        assert (await client.fetch(server.url + "/text?name=n")).body == b"hello n"
    assert server.hits == 3
    async with use_cassette(cassette_path, record_mode="all"):
        assert await count() == b"4"
    assert server.hits == 4
    async with use_cassette(cassette_path, record_mode="none") as cassette:
        assert await count() == b"4"
    assert len(cassette.interactions) == 1


@pytest.mark.asyncio
async def test_match_on_and_ignore_hosts(
    server: LiveServer, client: AsyncHTTPClient, cassette_path: Path
) -> None:
    async with use_cassette(cassette_path, match_on=["method", "path"]):
        assert (await client.fetch(server.url + "/text?name=a")).body == b"hello a"
    async with use_cassette(cassette_path, match_on=["method", "path"]):
        assert (await client.fetch(server.url + "/text?name=b")).body == b"hello a"
    async with use_cassette(
        cassette_path, record_mode="none", ignore_hosts=["127.0.0.1"]
    ):
        assert (await client.fetch(server.url + "/text?name=c")).body == b"hello c"
    assert server.hits == 2


@pytest.mark.asyncio
async def test_authorization_is_redacted_and_hooks_run(
    server: LiveServer, client: AsyncHTTPClient, cassette_path: Path
) -> None:
    def before_request(request: HttpRequest) -> HttpRequest | None:
        if "skip" in request.url:
            return None
        return request.replace(headers=(*request.headers, ("X-Hooked", "yes")))

    def before_response(response: HttpResponse) -> HttpResponse | None:
        return response.replace(headers=(*response.headers, ("X-Seen", "1")))

    options: dict[str, Any] = {
        "before_record_request": before_request,
        "before_record_response": before_response,
    }
    async with use_cassette(cassette_path, **options):
        await client.fetch(server.url + "/text", headers={"Authorization": "Bearer s3"})
        await client.fetch(
            server.url + "/text?user", auth_username="u", auth_password="p"
        )
        await client.fetch(server.url + "/text?skip")
    text = cassette_path.read_text()
    assert "s3" not in text
    assert base64.b64encode(b"u:p").decode() not in text
    assert "X-Hooked" in text
    assert "skip" not in text
    server.stop()
    async with use_cassette(cassette_path, record_mode="none", **options):
        replayed = await client.fetch(
            server.url + "/text", headers={"Authorization": "Bearer s3"}
        )
    assert replayed.body == b"hello world"
    assert replayed.headers["X-Seen"] == "1"


def _requests_get(url: str) -> bytes:
    return requests.get(url, timeout=5).content


def _httpx_get(url: str) -> bytes:
    return httpx.get(url).content


def _urllib3_get(url: str) -> bytes:
    with urllib3.PoolManager() as pool:
        return pool.request("GET", url).data


PATHS = [
    ("/text?name=cross", b"hello cross"),
    ("/binary", BINARY),
    ("/gzip", b"compressed " * 50),
    ("/chunked", b"first,second,third"),
]
OTHERS = {"requests": _requests_get, "httpx": _httpx_get, "urllib3": _urllib3_get}


@pytest.mark.asyncio
@pytest.mark.parametrize("other", sorted(OTHERS))
async def test_recorded_with_tornado_replayed_by_others(
    other: str, server: LiveServer, client: AsyncHTTPClient, cassette_path: Path
) -> None:
    async with use_cassette(cassette_path):
        for path, expected in PATHS:
            assert (await client.fetch(server.url + path)).body == expected
    server.stop()
    with use_cassette(cassette_path, record_mode="none") as cassette:
        for path, expected in PATHS:
            assert OTHERS[other](server.url + path) == expected
    assert cassette.all_played


@pytest.mark.asyncio
@pytest.mark.parametrize("other", sorted(OTHERS))
async def test_recorded_by_others_replayed_with_tornado(
    other: str, server: LiveServer, client: AsyncHTTPClient, cassette_path: Path
) -> None:
    with use_cassette(cassette_path):
        for path, expected in PATHS:
            assert OTHERS[other](server.url + path) == expected
    server.stop()
    options: dict[str, Any] = {"record_mode": "none", "allow_playback_repeats": True}
    async with use_cassette(cassette_path, **options) as cassette:
        for path, expected in PATHS:
            assert (await client.fetch(server.url + path)).body == expected
        raw = await client.fetch(server.url + "/gzip", decompress_response=False)
        assert gzip.decompress(raw.body) == b"compressed " * 50
    assert cassette.play_counts == (1, 1, 2, 1)


@pytest.mark.asyncio
async def test_the_patch_is_undone(
    client: AsyncHTTPClient, cassette_path: Path
) -> None:
    original = SimpleAsyncHTTPClient.fetch_impl
    async with use_cassette(cassette_path):
        assert SimpleAsyncHTTPClient.fetch_impl is not original
    assert SimpleAsyncHTTPClient.fetch_impl is original


def test_the_blocking_client(server: LiveServer, cassette_path: Path) -> None:
    from tornado.httpclient import HTTPClient

    def scenario() -> object:
        client = HTTPClient()
        try:
            response = client.fetch(server.url + "/redirect")
            with pytest.raises(HTTPClientError):
                client.fetch(server.url + "/status/404")
            return _view(response)
        finally:
            client.close()

    live = scenario()
    with use_cassette(cassette_path):
        recorded = scenario()
    server.stop()
    with use_cassette(cassette_path, record_mode="none") as cassette:
        replayed = scenario()
        blocking = HTTPClient()
        with pytest.raises(HttpInteractionNotFoundError):
            blocking.fetch(server.url + "/nowhere")
        blocking.close()
    assert replayed == recorded == live
    assert cassette.all_played
