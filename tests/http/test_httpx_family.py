"""httpx and httpx2: the patch of every transport, and the cassette transports."""

from __future__ import annotations

import asyncio
import gzip
import json
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
import requests

from interposition.http import (
    CassetteSession,
    HttpInteractionNotFoundError,
    installed_adapters,
    use_cassette,
)
from interposition.http import httpx as httpx_adapter
from interposition.http import httpx2 as httpx2_adapter

from .conftest import BINARY, LiveServer

MODULES = {"httpx": (httpx, httpx_adapter), "httpx2": (httpx2, httpx2_adapter)}


@pytest.fixture(params=sorted(MODULES))
def family(request: pytest.FixtureRequest) -> tuple[Any, Any]:
    return MODULES[request.param]


def test_httpx2_is_an_installed_adapter() -> None:
    assert {"httpx", "httpx2"} <= set(installed_adapters())


def test_sync_record_then_replay_with_the_server_stopped(
    family: tuple[Any, Any], server: LiveServer, cassette_path: Path
) -> None:
    client_module, _ = family

    def scenario() -> list[tuple[int, bytes]]:
        with client_module.Client() as client:
            return [
                (r.status_code, r.content)
                for r in (
                    client.get(server.url + "/text?name=sync"),
                    client.get(server.url + "/binary"),
                    client.get(server.url + "/gzip"),
                    client.post(server.url + "/echo", content=b"\x00\xff"),
                    client.get(server.url + "/status/503"),
                )
            ]

    with use_cassette(cassette_path):
        live = scenario()
    assert live[0] == (200, b"hello sync")
    assert live[1] == (200, BINARY)
    assert live[2] == (200, b"compressed " * 50)  # decoded by the client
    assert live[4][0] == 503
    server.stop()
    with use_cassette(cassette_path, record_mode="none") as cassette:
        assert scenario() == live
    assert cassette.all_played
    # The cassette holds the body as it came off the wire: still gzip.
    document = json.loads(cassette_path.read_text())
    gzipped = document["interactions"][2]["response_chunks"][0]["data"]
    assert gzip.decompress(_b64(gzipped)) == b"compressed " * 50


def _b64(value: dict[str, str]) -> bytes:
    import base64

    return base64.b64decode(value["base64"])


def test_async_record_then_replay_and_a_miss(
    family: tuple[Any, Any], server: LiveServer, cassette_path: Path
) -> None:
    client_module, _ = family

    async def scenario() -> list[bytes]:
        async with client_module.AsyncClient() as client:
            first, second = await asyncio.gather(
                client.get(server.url + "/text?name=a"),
                client.get(server.url + "/text?name=b"),
            )
            return [first.content, second.content]

    with use_cassette(cassette_path):
        assert asyncio.run(scenario()) == [b"hello a", b"hello b"]
    server.stop()
    with use_cassette(cassette_path, record_mode="none"):
        assert asyncio.run(scenario()) == [b"hello a", b"hello b"]

        async def miss() -> None:
            async with client_module.AsyncClient() as client:
                await client.get(server.url + "/text?name=c")

        with pytest.raises(HttpInteractionNotFoundError, match=r"name=c"):
            asyncio.run(miss())


def test_chunk_boundaries_replay_as_recorded(
    family: tuple[Any, Any], server: LiveServer, cassette_path: Path
) -> None:
    client_module, _ = family

    def pieces() -> list[bytes]:
        with (
            client_module.Client() as client,
            client.stream("GET", server.url + "/chunked") as response,
        ):
            return list(response.iter_raw())

    with use_cassette(cassette_path):
        recorded = pieces()
    assert b"".join(recorded) == b"first,second,third"
    server.stop()
    with use_cassette(cassette_path, record_mode="none"):
        assert pieces() == [b"first,", b"second,", b"third"]


def test_https(
    family: tuple[Any, Any],
    https_server: LiveServer,
    client_tls: ssl.SSLContext,
    cassette_path: Path,
) -> None:
    client_module, _ = family
    url = https_server.url + "/text?name=tls"
    with use_cassette(cassette_path), client_module.Client(verify=client_tls) as c:
        assert c.get(url).text == "hello tls"
    https_server.stop()
    with (
        use_cassette(cassette_path, record_mode="none"),
        client_module.Client(verify=client_tls) as c,
    ):
        assert c.get(url).text == "hello tls"


def test_redaction_and_cross_client(
    family: tuple[Any, Any], server: LiveServer, cassette_path: Path
) -> None:
    client_module, _ = family
    headers = {"Authorization": "Bearer sk-live-123"}
    with use_cassette(cassette_path), client_module.Client() as client:
        assert client.get(server.url + "/echo", headers=headers).status_code == 200
    assert "sk-live-123" not in cassette_path.read_text()
    server.stop()
    with use_cassette(cassette_path, record_mode="none") as cassette:
        body = requests.get(server.url + "/echo", headers=headers, timeout=5).json()
    # The echoed credential was redacted in the recorded body too.
    assert body["headers"]["Authorization"] == "REDACTED"
    assert cassette.all_played


def test_recorded_by_requests_replayed_by_the_family(
    family: tuple[Any, Any], server: LiveServer, cassette_path: Path
) -> None:
    client_module, _ = family
    with use_cassette(cassette_path):
        requests.get(server.url + "/binary", timeout=5)
    server.stop()
    with use_cassette(cassette_path, record_mode="none"), client_module.Client() as c:
        assert c.get(server.url + "/binary").content == BINARY


# -- transports: every transport class, and the cassette transports ----------


def test_mock_and_custom_transports_are_covered(
    family: tuple[Any, Any], cassette_path: Path
) -> None:
    client_module, _ = family
    calls: list[str] = []

    def handler(request: Any) -> Any:
        calls.append(str(request.url))
        return client_module.Response(200, content=b"from the handler")

    class Custom(client_module.BaseTransport):  # type: ignore[misc,name-defined]
        def handle_request(self, request: Any) -> Any:
            calls.append("custom " + str(request.url))
            return client_module.Response(201, content=b"from custom")

    with use_cassette(cassette_path):
        with client_module.Client(transport=client_module.MockTransport(handler)) as c:
            assert c.get("https://api.example.com/mock").content == b"from the handler"
        with client_module.Client(transport=Custom()) as c:
            assert c.get("https://api.example.com/custom").status_code == 201
    assert len(calls) == 2
    with use_cassette(cassette_path, record_mode="none") as cassette:
        with client_module.Client(transport=client_module.MockTransport(handler)) as c:
            assert c.get("https://api.example.com/mock").content == b"from the handler"
        with client_module.Client(transport=Custom()) as c:
            assert c.get("https://api.example.com/custom").content == b"from custom"
    assert len(calls) == 2  # replayed: neither transport was called again
    assert cassette.all_played
    # Restored on exit: the transports answer for themselves again.
    with client_module.Client(transport=Custom()) as c:
        assert c.get("https://api.example.com/custom").status_code == 201
    assert len(calls) == 3
    assert "handle_request" in vars(Custom)
    assert not hasattr(vars(Custom)["handle_request"], "__wrapped__")


def test_cassette_transport_without_any_patch(
    family: tuple[Any, Any], server: LiveServer, cassette_path: Path
) -> None:
    client_module, adapter = family
    original = vars(client_module.HTTPTransport)["handle_request"]
    transport = adapter.CassetteTransport(client_module.HTTPTransport())
    with (
        use_cassette(cassette_path, adapters=()) as cassette,
        client_module.Client(transport=transport) as client,
    ):
        assert vars(client_module.HTTPTransport)["handle_request"] is original
        assert client.get(server.url + "/text?name=t").text == "hello t"
    assert len(cassette.interactions) == 1
    server.stop()
    session = CassetteSession(cassette_path, record_mode="none")
    bound = adapter.CassetteTransport(session=session)
    with client_module.Client(transport=bound) as client:  # no cassette entered
        assert client.get(server.url + "/text?name=t").text == "hello t"
    assert session.all_played


def test_async_cassette_transport_wraps_a_mock_transport(
    family: tuple[Any, Any], cassette_path: Path
) -> None:
    client_module, adapter = family
    served: list[str] = []

    async def handler(request: Any) -> Any:
        served.append(request.method)
        return client_module.Response(200, json={"n": len(served)})

    async def scenario() -> Any:
        transport = adapter.AsyncCassetteTransport(client_module.MockTransport(handler))
        async with client_module.AsyncClient(transport=transport) as client:
            return (await client.post("https://api.example.com/n")).json()

    with use_cassette(cassette_path, adapters=()):
        assert asyncio.run(scenario()) == {"n": 1}
    with use_cassette(cassette_path, adapters=(), record_mode="none"):
        assert asyncio.run(scenario()) == {"n": 1}
    assert served == ["POST"]


def test_outside_a_cassette_the_transport_passes_through(
    family: tuple[Any, Any], server: LiveServer
) -> None:
    client_module, adapter = family
    with client_module.Client(transport=adapter.CassetteTransport()) as client:
        assert client.get(server.url + "/counter").text == "1"
        assert client.get(server.url + "/counter").text == "2"


@pytest.mark.parametrize("module", ["httpx2"])
def test_importing_interposition_http_imports_no_client(module: str) -> None:
    code = (
        "import sys, interposition.http; "
        f"assert {module!r} not in sys.modules, 'imported'; print('ok')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "ok"
