"""aiohttp through use_cassette: recorded off real servers, replayed offline.

Every scenario records against a loopback server, stops it, and replays from
the file: aiohttp's own client stack runs both times (request writing,
response parsing, decompression, streaming, redirects, cookies).
"""

from __future__ import annotations

import asyncio
import json
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from aiointercept import aiointercept
from interposition import InterpositionError
from interposition.http import HttpInteractionNotFoundError, use_cassette

from .conftest import BINARY, LARGE, UNICODE_TEXT, LiveServer
from .test_cross_client import CLIENTS, record_then_replay

Scenario = Callable[[], Awaitable[None]]


async def _twice(server: LiveServer, cassette_path: Path, scenario: Scenario) -> None:
    """Run a scenario live (recording), stop the server, run it from the file."""
    async with use_cassette(cassette_path) as recording:
        await scenario()
    assert recording.interactions
    hits = server.hits
    server.stop()
    async with use_cassette(cassette_path, record_mode="none") as cassette:
        await scenario()
    assert cassette.all_played
    assert server.hits == hits


def _recorded(path: Path) -> list[Any]:
    interactions: list[Any] = json.loads(path.read_text())["interactions"]
    return interactions


@pytest.mark.asyncio
async def test_bodies_statuses_redirects_cookies_and_head(
    server: LiveServer, cassette_path: Path
) -> None:
    async def scenario() -> None:
        jar = aiohttp.CookieJar(unsafe=True)  # cookies from an IP address
        async with aiohttp.ClientSession(cookie_jar=jar) as session:
            async with session.get(server.url + "/text?name=aio") as response:
                assert response.status == 200
                assert response.reason == "OK"
                assert await response.text() == "hello aio"
            async with session.get(server.url + "/binary") as response:
                assert await response.read() == BINARY
            async with session.get(server.url + "/unicode") as response:
                assert await response.text() == UNICODE_TEXT
            async with session.get(server.url + "/large") as response:
                assert await response.read() == LARGE
            for path, expected in (
                ("/gzip", b"compressed "),
                ("/deflate", b"deflated "),
            ):
                async with session.get(server.url + path) as response:
                    assert await response.read() == expected * 50
            async with session.get(server.url + "/redirect") as response:
                assert await response.text() == "hello redirected"
                assert [r.status for r in response.history] == [302]
                assert str(response.url).endswith("/text?name=redirected")
            async with session.get(server.url + "/status/404") as response:
                assert (response.status, response.reason) == (404, "Not Found")
                assert await response.text() == "status 404"
            async with session.get(server.url + "/cookie") as response:
                assert response.status == 200
            # Set-Cookie values are redacted in the file, and so on replay.
            assert {c.key for c in session.cookie_jar} == {"session", "theme"}
            async with session.head(server.url + "/large") as response:
                assert response.headers["Content-Length"] == str(len(LARGE))
                assert await response.read() == b""
            async with session.get(server.url + "/multi") as response:
                assert response.headers.getall("X-Multi") == ["one", "two"]
            async with session.post(
                server.url + "/echo", json={"a": "ü"}, headers={"X-A": "1"}
            ) as response:
                echoed = await response.json()
                assert echoed["method"] == "POST"
                assert json.loads(echoed["body"]) == {"a": "ü"}
                assert echoed["headers"]["X-A"] == "1"
            with pytest.raises(aiohttp.ClientResponseError) as caught:
                async with session.get(
                    server.url + "/status/500", raise_for_status=True
                ):
                    pass
            assert caught.value.status == 500

    await _twice(server, cassette_path, scenario)


@pytest.mark.asyncio
async def test_request_bodies_streamed_and_with_expect_continue(
    server: LiveServer, cassette_path: Path
) -> None:
    async def parts() -> AsyncIterator[bytes]:
        for piece in (b"one,", b"two,", b"three"):
            yield piece

    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            async with session.put(server.url + "/echo", data=parts()) as response:
                assert (await response.json())["body"] == "one,two,three"
            async with session.post(
                server.url + "/echo", data=b"x" * 100_000, expect100=True
            ) as response:
                assert (await response.json())["body"] == "x" * 100_000

    await _twice(server, cassette_path, scenario)
    bodies = [i["request"]["body"] for i in _recorded(cassette_path)]
    assert bodies == ["one,two,three", "x" * 100_000]


# -- streaming -----------------------------------------------------------------

EVENTS = (b"data: 1\n\n", b"data: 2\n\n", b"data: three\ndata: lines\n\n")


@asynccontextmanager
async def event_server() -> AsyncIterator[str]:
    """An aiohttp.web server sending an event stream, a pause between events."""

    async def events(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for event in EVENTS:
            await response.write(event)
            await asyncio.sleep(0.03)
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/events", events)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/events"
    finally:
        await runner.cleanup()


async def _read_events(url: str) -> dict[str, object]:
    seen: dict[str, object] = {}
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as response:
            seen["iter_chunks"] = [c async for c in response.content.iter_chunks()]
        async with session.get(url) as response:
            seen["iter_any"] = [c async for c in response.content.iter_any()]
        async with session.get(url) as response:
            pieces = []
            while True:
                piece = await response.content.readchunk()
                if piece == (b"", False):
                    break
                pieces.append(piece)
            seen["readchunk"] = pieces
        async with session.get(url) as response:
            # A line that spans pieces (none here) and reading line by line.
            seen["lines"] = [line async for line in response.content]
        async with session.get(url) as response:
            seen["read"] = await response.read()
    return seen


@pytest.mark.asyncio
async def test_an_event_stream_replays_chunk_by_chunk(cassette_path: Path) -> None:
    async with event_server() as url, use_cassette(cassette_path):
        live = await _read_events(url)
    async with use_cassette(cassette_path, record_mode="none") as cassette:
        replayed = await _read_events(url)
    assert cassette.all_played
    assert replayed == live
    assert replayed["iter_chunks"] == [(event, True) for event in EVENTS]
    assert replayed["iter_any"] == list(EVENTS)
    assert replayed["readchunk"] == [(event, True) for event in EVENTS]
    assert replayed["read"] == b"".join(EVENTS)
    chunks = _recorded(cassette_path)[0]["response_chunks"]
    assert [c["data"] for c in chunks] == [e.decode() for e in EVENTS]
    delays = [
        float(value)
        for chunk in chunks
        for key, value in chunk["metadata"]
        if key == ":delay"
    ]
    assert len(delays) == 3
    assert delays[1] >= 0.02  # the pause between events was measured


@pytest.mark.asyncio
async def test_a_line_spanning_chunks_and_exact_reads(
    server: LiveServer, cassette_path: Path
) -> None:
    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url + "/chunked") as response:
                # "first,second,third" in three chunks: read across them
                assert await response.content.readexactly(8) == b"first,se"
                assert await response.content.readuntil(b"third") == b"cond,third"
                assert await response.content.read() == b""
            async with session.get(server.url + "/chunked") as response:
                pieces = [c async for c in response.content.iter_chunked(4)]
                assert b"".join(pieces) == b"first,second,third"
                assert max(map(len, pieces)) == 4

    await _twice(server, cassette_path, scenario)


@pytest.mark.asyncio
async def test_a_response_left_unread_and_released(
    server: LiveServer, cassette_path: Path
) -> None:
    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            response = await session.get(server.url + "/chunked")
            assert await response.content.readchunk() == (b"first,", True)
            response.release()
            async with session.get(server.url + "/text") as again:
                assert await again.text() == "hello world"

    await _twice(server, cassette_path, scenario)


# -- record modes, matching, order ---------------------------------------------


async def _text(url: str, **kwargs: object) -> str:
    async with (
        aiohttp.ClientSession() as session,
        session.get(url, **kwargs) as response,  # type: ignore[arg-type]
    ):
        return await response.text()


@pytest.mark.asyncio
async def test_a_miss_raises_the_sessions_error_from_the_call(
    server: LiveServer, cassette_path: Path
) -> None:
    async with use_cassette(cassette_path):
        assert await _text(server.url + "/text?name=a") == "hello a"
    async with use_cassette(cassette_path) as cassette, aiohttp.ClientSession() as s:
        assert cassette.broker.mode == "replay"
        with pytest.raises(HttpInteractionNotFoundError) as caught:
            await s.get(server.url + "/text?name=b")
        # the session stays usable after a miss
        async with s.get(server.url + "/text?name=a") as response:
            assert await response.text() == "hello a"
    assert server.hits == 1
    error = caught.value
    assert not isinstance(error, aiohttp.ClientError)
    assert isinstance(error, InterpositionError)
    message = str(error)
    assert f"GET {server.url}/text?name=b" in message
    assert f"Closest recording: GET {server.url}/text?name=a" in message
    assert "query (name=b vs recorded name=a)" in message


@pytest.mark.asyncio
async def test_record_modes(server: LiveServer, cassette_path: Path) -> None:
    async with use_cassette(cassette_path, record_mode="none"):
        with pytest.raises(HttpInteractionNotFoundError, match="holds no recordings"):
            await _text(server.url + "/text?name=a")
    assert not cassette_path.exists()
    async with use_cassette(cassette_path, record_mode="new_episodes"):
        assert await _text(server.url + "/counter") == "1"
    async with use_cassette(cassette_path, record_mode="new_episodes"):
        assert await _text(server.url + "/counter") == "1"  # replayed
        assert await _text(server.url + "/text?name=new") == "hello new"  # recorded
    assert server.hits == 2
    async with use_cassette(cassette_path, record_mode="all"):
        assert await _text(server.url + "/counter") == "3"  # re-recorded
    assert [i["request"]["target"] for i in _recorded(cassette_path)] == [
        server.url + "/counter"
    ]
    server.stop()
    async with use_cassette(cassette_path, record_mode="once"):
        assert await _text(server.url + "/counter") == "3"


@pytest.mark.asyncio
async def test_repeated_requests_replay_in_order(
    server: LiveServer, cassette_path: Path
) -> None:
    async with use_cassette(cassette_path):
        assert [await _text(server.url + "/counter") for _ in range(3)] == [
            "1",
            "2",
            "3",
        ]
    server.stop()
    async with use_cassette(cassette_path) as cassette:
        assert [await _text(server.url + "/counter") for _ in range(3)] == [
            "1",
            "2",
            "3",
        ]
        with pytest.raises(HttpInteractionNotFoundError, match="already played"):
            await _text(server.url + "/counter")
    assert cassette.play_counts == (1, 1, 1)
    async with use_cassette(cassette_path, allow_playback_repeats=True):
        assert [await _text(server.url + "/counter") for _ in range(4)] == [
            "1",
            "2",
            "3",
            "3",
        ]


@pytest.mark.asyncio
async def test_match_on(server: LiveServer, cassette_path: Path) -> None:
    async with use_cassette(cassette_path, match_on=["method", "path"]):
        assert await _text(server.url + "/text?name=a") == "hello a"
    server.stop()
    async with use_cassette(cassette_path, match_on=["method", "path"]):
        assert await _text(server.url + "/text?name=other") == "hello a"
    async with use_cassette(cassette_path, match_on=["method", "url", "header:X-V"]):
        with pytest.raises(HttpInteractionNotFoundError, match=r"(?i)x-v"):
            await _text(server.url + "/text?name=a", headers={"X-V": "2"})


@pytest.mark.asyncio
async def test_redaction_filters_and_hooks(
    server: LiveServer, cassette_path: Path
) -> None:
    def hook(request: object) -> object:
        from interposition.http import HttpRequest

        assert isinstance(request, HttpRequest)
        return None if "skip" in request.url else request

    async def scenario() -> None:
        headers = {"Authorization": "Bearer s3cr3t", "X-Team": "blue"}
        assert await _text(
            server.url + "/text?name=a&access_token=t0k", headers=headers
        )
        # not recorded nor replayed: it reaches the server both times
        assert await _text(server.url + "/counter?skip=1") in ("2", "3")

    options: dict[str, object] = {
        "filter_headers": ["X-Team"],
        "before_record_request": hook,
    }
    async with use_cassette(cassette_path, **options):  # type: ignore[arg-type]
        await scenario()
    async with use_cassette(cassette_path, record_mode="none", **options):  # type: ignore[arg-type]
        await scenario()
    text = cassette_path.read_text()
    assert "s3cr3t" not in text
    assert "Bearer REDACTED" in text
    assert "blue" not in text
    assert "t0k" not in text
    assert "skip" not in text
    assert server.hits == 3


@pytest.mark.asyncio
async def test_https_with_a_private_ca(
    https_server: LiveServer, client_tls: ssl.SSLContext, cassette_path: Path
) -> None:
    async def scenario() -> None:
        connector = aiohttp.TCPConnector(ssl=client_tls)
        async with aiohttp.ClientSession(connector=connector) as session:
            async with session.get(https_server.url + "/binary") as response:
                assert await response.read() == BINARY
            async with session.get(https_server.url + "/chunked") as response:
                assert [c async for c in response.content.iter_any()] == [
                    b"first,",
                    b"second,",
                    b"third",
                ]

    await _twice(https_server, cassette_path, scenario)
    assert _recorded(cassette_path)[0]["request"]["target"].startswith("https://")


@pytest.mark.asyncio
async def test_decode_compressed_response(
    server: LiveServer, cassette_path: Path
) -> None:
    async with use_cassette(cassette_path, decode_compressed_response=True):
        assert await _text(server.url + "/gzip") == "compressed " * 50
    server.stop()
    assert "compressed compressed" in cassette_path.read_text()
    async with use_cassette(cassette_path):
        assert await _text(server.url + "/gzip") == "compressed " * 50


# -- what is left alone --------------------------------------------------------


@pytest.mark.asyncio
async def test_ignored_hosts_reach_the_network(
    server: LiveServer, cassette_path: Path
) -> None:
    for options in ({"ignore_localhost": True}, {"ignore_hosts": ["127.0.0.1"]}):
        async with use_cassette(cassette_path, record_mode="none", **options):
            assert await _text(server.url + "/text") == "hello world"
    assert server.hits == 2
    assert not cassette_path.exists()


@pytest.mark.asyncio
async def test_no_connection_crosses_the_cassette_boundary(
    server: LiveServer, cassette_path: Path
) -> None:
    async with aiohttp.ClientSession() as session:
        async with (
            use_cassette(cassette_path),
            session.get(server.url + "/counter") as response,
        ):
            assert await response.text() == "1"
        # After the block: a fresh real request, not the cassette's connection.
        async with session.get(server.url + "/counter") as response:
            assert await response.text() == "2"
        assert server.hits == 2
        # A keep-alive connection to the real server is pooled now; a cassette
        # request must not use it.
        async with (
            use_cassette(cassette_path, record_mode="none"),
            session.get(server.url + "/counter") as response,
        ):
            assert await response.text() == "1"
        assert server.hits == 2
        async with session.get(server.url + "/counter") as response:
            assert await response.text() == "3"
        connector = session.connector
        assert connector is not None
        # Only real connections are ever pooled.
        pooled = [p for conns in connector._conns.values() for p, _ in conns]
        assert pooled
        assert all(type(p.transport).__name__ != "_CassetteTransport" for p in pooled)


@pytest.mark.asyncio
async def test_a_live_failure_is_the_clients_own_error(cassette_path: Path) -> None:
    down = LiveServer()
    down.stop()
    async with use_cassette(cassette_path), aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectorError):
            await session.get(down.url + "/text")
    assert not cassette_path.exists()


@pytest.mark.asyncio
async def test_the_patch_is_restored(cassette_path: Path) -> None:
    before = aiohttp.BaseConnector.connect
    async with use_cassette(cassette_path):
        assert aiohttp.BaseConnector.connect is not before
        async with use_cassette(cassette_path):
            pass
        assert aiohttp.BaseConnector.connect is not before
    assert aiohttp.BaseConnector.connect is before
    assert "connect" not in vars(aiohttp.TCPConnector)


# -- the ways to enter a cassette --------------------------------------------------


@pytest.mark.asyncio
async def test_async_with_and_the_decorator(
    server: LiveServer, cassette_path: Path
) -> None:
    @use_cassette(cassette_path)
    async def fetch() -> str:
        return await _text(server.url + "/text?name=deco")

    assert await fetch() == "hello deco"
    server.stop()
    assert await fetch() == "hello deco"


def test_with_around_asyncio_run(server: LiveServer, cassette_path: Path) -> None:
    with use_cassette(cassette_path):
        assert asyncio.run(_text(server.url + "/text?name=run")) == "hello run"
    server.stop()
    with use_cassette(cassette_path, record_mode="none") as cassette:
        assert asyncio.run(_text(server.url + "/text?name=run")) == "hello run"
    assert cassette.all_played


# -- cross-client ------------------------------------------------------------------


def _with_aiohttp(method: str, url: str, body: bytes | None) -> tuple[int, bytes]:
    async def call() -> tuple[int, bytes]:
        async with (
            aiohttp.ClientSession() as session,
            session.request(method, url, data=body) as response,
        ):
            return response.status, await response.read()

    return asyncio.run(call())


@pytest.mark.parametrize("other", sorted(CLIENTS))
@pytest.mark.parametrize("direction", ["aiohttp-records", "aiohttp-replays"])
def test_cross_client(
    direction: str, other: str, server: LiveServer, cassette_path: Path
) -> None:
    recorder, replayer = (
        (_with_aiohttp, CLIENTS[other])
        if direction == "aiohttp-records"
        else (CLIENTS[other], _with_aiohttp)
    )
    record_then_replay(recorder, replayer, server, cassette_path)


# -- beside aiointercept -------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_mock_keeps_its_own_traffic_under_a_cassette(
    server: LiveServer, cassette_path: Path
) -> None:
    for record_mode in ("once", "none"):
        async with (
            use_cassette(cassette_path, record_mode=record_mode),
            aiointercept() as mock,
        ):
            mock.get(mock.server_url + "/mocked", payload={"from": "mock"})
            async with aiohttp.ClientSession() as session:
                async with session.get(mock.server_url + "/mocked") as response:
                    assert await response.json() == {"from": "mock"}
                if record_mode == "once":
                    # other traffic still goes through the cassette
                    async with session.get(server.url + "/text") as response:
                        assert await response.text() == "hello world"
            mock.assert_called_once_with(mock.server_url + "/mocked")
        server.stop()
    assert [i["request"]["target"] for i in _recorded(cassette_path)] == [
        server.url + "/text"
    ]


@pytest.mark.asyncio
async def test_an_intercepting_mock_answers_its_routes_under_a_cassette(
    cassette_path: Path,
) -> None:
    async with (
        use_cassette(cassette_path, record_mode="none"),
        aiointercept(mock_external_urls=True) as mock,
    ):
        mock.get("http://api.example.com/users/1", payload={"id": 1})
        async with (
            aiohttp.ClientSession() as session,
            session.get("http://api.example.com/users/1") as response,
        ):
            assert await response.json() == {"id": 1}
    mock.assert_called_once_with("http://api.example.com/users/1")
    assert not cassette_path.exists()


def test_a_mock_started_before_the_http_layer_loaded_is_known_from_the_next_start(
    tmp_path: Path,
) -> None:
    code = (
        "import asyncio, sys\n"
        "import aiohttp\n"
        "from aiointercept import aiointercept\n"
        "async def main():\n"
        "    async with aiointercept() as mock:\n"
        "        mock.get(mock.server_url + '/x', body='mock')\n"
        "        assert 'interposition.http' not in sys.modules\n"
        "        from interposition.http import use_cassette\n"
        "        async with aiointercept():\n"
        "            pass\n"
        f"        async with use_cassette({str(tmp_path / 'c.json')!r}):\n"
        "            async with aiohttp.ClientSession() as s:\n"
        "                async with s.get(mock.server_url + '/x') as r:\n"
        "                    assert await r.text() == 'mock'\n"
        "asyncio.run(main())\n"
    )
    subprocess.run([sys.executable, "-W", "error", "-c", code], check=True)
    assert not (tmp_path / "c.json").exists()


def test_without_aiohttp_the_adapter_is_never_imported(
    server: LiveServer, tmp_path: Path
) -> None:
    code = (
        "import sys\n"
        "sys.modules['aiohttp'] = None\n"
        "import urllib.request\n"
        "from interposition.http import installed_adapters, use_cassette\n"
        "assert 'aiohttp' not in installed_adapters()\n"
        f"with use_cassette({str(tmp_path / 'c.json')!r}):\n"
        f"    urllib.request.urlopen({server.url + '/text'!r}).read()\n"
        "assert 'interposition.http._aiohttp' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert (tmp_path / "c.json").exists()
