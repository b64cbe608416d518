"""niquests, sync and async: recorded against a real server, replayed without it.

niquests installs urllib3-future in place of urllib3, so it is absent from
the main venv on purpose (the requests and urllib3 tests there run on real
urllib3) and this module is skipped there. ``make test-niquests`` runs it in
a venv of its own with INTERPOSITION_REQUIRE_CLIENTS=niquests, which turns
that skip into a failure.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import os
from pathlib import Path
from typing import Any

import pytest

if "niquests" in os.environ.get("INTERPOSITION_REQUIRE_CLIENTS", "").split(","):
    import niquests
else:
    niquests = pytest.importorskip(
        "niquests",
        reason="niquests replaces urllib3: it is tested by make test-niquests",
    )

import httpx
import requests
import urllib3

from interposition.http import (
    HttpInteractionNotFoundError,
    HttpRequest,
    HttpResponse,
    use_cassette,
)

from .conftest import BINARY, BODIES, LARGE, LiveServer


def test_urllib3_here_is_urllib3_future() -> None:
    # What this venv is for: the urllib3 and requests adapters run on the fork.
    version = str(vars(urllib3)["__version__"])
    assert int(version.rsplit(".", maxsplit=1)[-1]) >= 900, version


def _twice(server: LiveServer, cassette_path: Path, scenario: Any) -> object:
    """Record a scenario, stop the server, replay it; both runs agree."""
    with use_cassette(cassette_path):
        recorded = scenario(server.url)
    server.stop()
    with use_cassette(cassette_path, record_mode="none") as cassette:
        replayed = scenario(server.url)
    assert cassette.all_played
    assert replayed == recorded
    return replayed


@pytest.mark.parametrize(
    ("path", "expected"),
    BODIES,
)
def test_bodies_replay_with_the_server_stopped(
    path: str, expected: bytes, server: LiveServer, cassette_path: Path
) -> None:
    def scenario(url: str) -> object:
        response = niquests.get(url + path, timeout=5)
        assert response.content == expected
        return (response.status_code, response.reason, response.content)

    _twice(server, cassette_path, scenario)
    assert server.hits == 1


def test_response_features(server: LiveServer, cassette_path: Path) -> None:
    def scenario(url: str) -> object:
        with niquests.Session() as session:
            plain = session.get(url + "/text?name=v")
            assert plain.http_version == 11
            assert plain.conn_info is not None
            assert str(plain.conn_info.http_version.value) == "HTTP/1.1"
            posted = session.post(url + "/echo", json={"a": "ü"})
            assert posted.json()["method"] == "POST"
            streamed = session.get(url + "/large", stream=True)
            pieces = list(streamed.iter_content(chunk_size=65536))
            assert len(pieces) == 16
            assert b"".join(pieces) == LARGE
            gzipped = session.get(url + "/gzip", stream=True)
            assert b"".join(gzipped.iter_content(7)) == b"compressed " * 50
            raw = session.get(url + "/chunked", stream=True).raw
            assert raw.read(6) == b"first,"
            lines = session.get(url + "/lines", stream=True).iter_lines()
            assert next(lines) == b"line 0"
            redirected = session.get(url + "/redirect")
            assert [r.status_code for r in redirected.history] == [302]
            head = session.head(url + "/large")
            assert head.headers["Content-Length"] == str(len(LARGE))
            assert head.content == b""
            missing = session.get(url + "/status/404")
            assert (missing.status_code, missing.reason, missing.ok) == (
                404,
                "Not Found",
                False,
            )
            session.get(url + "/cookie")
            # Set-Cookie values are redacted in the file.
            assert session.cookies.get("theme") in ("dark", "REDACTED")
            multi = session.get(url + "/multi")
            return (
                plain.text,
                plain.headers["Content-Length"],
                posted.json()["body"],
                redirected.text,
                redirected.url,
                multi.headers["X-Multi"],
            )

    replayed = _twice(server, cassette_path, scenario)
    assert replayed == (
        "hello v",
        "7",
        '{"a": "\\u00fc"}',
        "hello redirected",
        f"{server.url}/text?name=redirected",
        "one, two",
    )


def test_async_session(server: LiveServer, cassette_path: Path) -> None:
    async def scenario(url: str) -> object:
        async with niquests.AsyncSession() as session:
            response = await session.get(url + "/chunked")
            gzipped = await session.get(url + "/gzip")
            streamed = await session.get(url + "/large", stream=True)
            pieces = [p async for p in await streamed.iter_content(65536)]
            posted = await session.post(url + "/echo", data=b"\x00\xff")
            redirected = await session.get(url + "/redirect")
            return (
                response.text,
                gzipped.content,
                b"".join(pieces) == LARGE,
                posted.status_code,
                redirected.text,
                response.http_version,
            )

    replayed = _twice(server, cassette_path, lambda url: asyncio.run(scenario(url)))
    assert replayed == (
        "first,second,third",
        b"compressed " * 50,
        True,
        200,
        "hello redirected",
        11,
    )


def test_multiplexed_session_is_answered(
    server: LiveServer, cassette_path: Path
) -> None:
    def scenario(url: str) -> object:
        with niquests.Session(multiplexed=True) as session:
            responses = [session.get(url + f"/text?name={i}") for i in range(3)]
            session.gather()
            return [r.text for r in responses]

    assert _twice(server, cassette_path, scenario) == [
        "hello 0",
        "hello 1",
        "hello 2",
    ]


def test_https(
    https_server: LiveServer,
    certificate_authority: Any,
    cassette_path: Path,
    tmp_path: Path,
) -> None:
    ca_file = tmp_path / "ca.pem"
    certificate_authority.cert_pem.write_to_path(str(ca_file))

    def scenario(url: str) -> object:
        response = niquests.get(url + "/binary", verify=str(ca_file), timeout=5)
        assert response.content == BINARY
        return response.status_code

    _twice(https_server, cassette_path, scenario)
    assert f'"https://127.0.0.1:{https_server.port}/binary"' in (
        cassette_path.read_text()
    )


def test_a_miss_raises_from_the_call(server: LiveServer, cassette_path: Path) -> None:
    with use_cassette(cassette_path):
        niquests.get(server.url + "/text?name=a", timeout=5)
    with use_cassette(cassette_path):
        with pytest.raises(HttpInteractionNotFoundError) as caught:
            niquests.get(server.url + "/text?name=b", timeout=5)
        assert "query (name=b vs recorded name=a)" in str(caught.value)

        async def call() -> None:
            async with niquests.AsyncSession() as session:
                await session.get(server.url + "/text?name=c")

        with pytest.raises(HttpInteractionNotFoundError, match="name=c"):
            asyncio.run(call())
    assert server.hits == 1


def test_record_modes_and_ordered_playback(
    server: LiveServer, cassette_path: Path
) -> None:
    def count() -> str:
        return str(niquests.get(server.url + "/counter", timeout=5).text)

    with use_cassette(cassette_path):
        assert [count(), count()] == ["1", "2"]
    with use_cassette(cassette_path) as cassette:
        assert [count(), count()] == ["1", "2"]
        with pytest.raises(HttpInteractionNotFoundError, match="already played"):
            count()
    assert cassette.play_counts == (1, 1)
    with use_cassette(cassette_path, allow_playback_repeats=True):
        assert [count(), count(), count()] == ["1", "2", "2"]
    with use_cassette(cassette_path, record_mode="new_episodes"):
        assert count() == "1"
        assert niquests.get(server.url + "/text?name=n").text == "hello n"
    assert server.hits == 3
    with use_cassette(cassette_path, record_mode="all"):
        assert count() == "4"
    with use_cassette(cassette_path, record_mode="none") as cassette:
        assert count() == "4"
    assert len(cassette.interactions) == 1


def test_match_on_and_ignore_hosts(server: LiveServer, cassette_path: Path) -> None:
    with use_cassette(cassette_path, match_on=["method", "path"]):
        assert niquests.get(server.url + "/text?name=a").text == "hello a"
    with use_cassette(cassette_path, match_on=["method", "path"]):
        assert niquests.get(server.url + "/text?name=b").text == "hello a"
    with use_cassette(cassette_path, record_mode="none", ignore_hosts=["127.0.0.1"]):
        assert niquests.get(server.url + "/text?name=c").text == "hello c"
    assert server.hits == 2


def test_authorization_is_redacted_and_hooks_run(
    server: LiveServer, cassette_path: Path
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
    with use_cassette(cassette_path, **options):
        niquests.get(server.url + "/text", headers={"Authorization": "Bearer s3"})
        niquests.get(server.url + "/text?user", auth=("user", "pa55"))
        niquests.get(server.url + "/text?skip")
    text = cassette_path.read_text()
    assert "s3" not in text
    assert "pa55" not in text
    assert "dXNlcjpwYTU1" not in text  # base64 of user:pa55
    assert "X-Hooked" in text
    assert "skip" not in text
    server.stop()
    with use_cassette(cassette_path, record_mode="none", **options):
        replayed = niquests.get(
            server.url + "/text", headers={"Authorization": "Bearer s3"}
        )
    assert replayed.text == "hello world"
    assert replayed.headers["X-Seen"] == "1"


def _requests_get(url: str) -> bytes:
    return requests.get(url, timeout=5).content


def _httpx_get(url: str) -> bytes:
    return httpx.get(url).content


def _urllib3_get(url: str) -> bytes:
    with urllib3.PoolManager() as pool:
        return pool.request("GET", url).data


def _niquests_get(url: str) -> bytes:
    content: bytes = niquests.get(url, timeout=5).content
    return content


PATHS = [
    ("/text?name=cross", b"hello cross"),
    ("/binary", BINARY),
    ("/gzip", b"compressed " * 50),
    ("/chunked", b"first,second,third"),
]
OTHERS = {"requests": _requests_get, "httpx": _httpx_get, "urllib3": _urllib3_get}


@pytest.mark.parametrize("other", sorted(OTHERS))
@pytest.mark.parametrize("direction", ["from niquests", "to niquests"])
def test_cross_client(
    direction: str, other: str, server: LiveServer, cassette_path: Path
) -> None:
    recorder, replayer = (
        (_niquests_get, OTHERS[other])
        if direction == "from niquests"
        else (OTHERS[other], _niquests_get)
    )
    with use_cassette(cassette_path):
        for path, expected in PATHS:
            assert recorder(server.url + path) == expected
    server.stop()
    with use_cassette(cassette_path, record_mode="none") as cassette:
        for path, expected in PATHS:
            assert replayer(server.url + path) == expected
    assert cassette.all_played
    document = json.loads(cassette_path.read_text())
    gzipped = document["interactions"][2]["response_chunks"][0]["data"]
    assert isinstance(gzipped, dict)  # raw gzip stays bytes (base64) in the file
    assert gzip.decompress(base64.b64decode(gzipped["base64"]))


def test_the_patch_is_undone(cassette_path: Path) -> None:
    from niquests.adapters import AsyncHTTPAdapter, HTTPAdapter

    originals = (HTTPAdapter.send, AsyncHTTPAdapter.send)
    with use_cassette(cassette_path):
        assert HTTPAdapter.send is not originals[0]
        assert AsyncHTTPAdapter.send is not originals[1]
    assert (HTTPAdapter.send, AsyncHTTPAdapter.send) == originals


def test_the_niquests_seam_alone_records_and_replays(
    server: LiveServer, cassette_path: Path
) -> None:
    async def call(url: str) -> bytes:
        async with niquests.AsyncSession() as session:
            content: bytes = (await session.get(url + "/binary")).content
            return content

    def scenario(url: str) -> object:
        return (niquests.get(url + "/gzip").content, asyncio.run(call(url)))

    with use_cassette(cassette_path, adapters=["niquests"]):
        recorded = scenario(server.url)
    server.stop()
    with use_cassette(cassette_path, record_mode="none", adapters=["niquests"]):
        assert scenario(server.url) == recorded == (b"compressed " * 50, BINARY)
