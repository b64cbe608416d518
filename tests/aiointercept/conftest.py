"""Fixtures: a client session, a stand-in for the real upstream, a CA."""

from __future__ import annotations

import socket
import ssl
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import trustme
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from aiointercept._interception import patched_names
from aiointercept._urls import is_loopback

UPSTREAM_NAME = "upstream.test"


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may look up a real name: the tests run without a network."""
    real_getaddrinfo = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and not is_loopback(name):
            raise AssertionError(f"a test tried to resolve {name!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)


@pytest.fixture(autouse=True)
def _connector_restored() -> Iterator[None]:
    """Every test must leave aiohttp's TCPConnector exactly as it found it."""
    before = {n: aiohttp.TCPConnector.__dict__.get(n) for n in patched_names()}
    yield
    after = {n: aiohttp.TCPConnector.__dict__.get(n) for n in patched_names()}
    assert after == before


class MapResolver(AbstractResolver):
    """Resolve a few names to 127.0.0.1 (the tests have no DNS)."""

    def __init__(self, names: set[str]) -> None:
        self.names = names
        self.calls: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.calls.append(host)
        if host not in self.names:
            raise OSError(f"no such host in the test resolver: {host}")
        return [
            ResolveResult(
                hostname=host,
                host="127.0.0.1",
                port=port,
                family=socket.AF_INET,
                proto=0,
                flags=0,
            )
        ]

    async def close(self) -> None:
        return None


@pytest.fixture
def resolver() -> MapResolver:
    return MapResolver({UPSTREAM_NAME})


@pytest_asyncio.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def upstream_client_ssl(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@dataclass
class Upstream:
    """A local server standing in for the real upstream."""

    port: int
    tls_port: int
    seen: list[tuple[str, str, dict[str, str], bytes]]


def _upstream_handler(seen: list[Any]) -> Any:
    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        headers = dict(request.headers)
        seen.append((request.method, str(request.rel_url), headers, body))
        return web.json_response(
            {"upstream": True, "path": request.path, "secure": request.secure},
            status=201 if request.method == "POST" else 200,
            headers={"X-Upstream": "yes"},
        )

    return handle


@pytest_asyncio.fixture
async def upstream(ca: trustme.CA) -> AsyncIterator[Upstream]:
    seen: list[tuple[str, str, dict[str, str], bytes]] = []
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", _upstream_handler(seen))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    plain = web.TCPSite(runner, "127.0.0.1", 0)
    await plain.start()
    server_ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(
        UPSTREAM_NAME, "real-api.example.com", "localhost", "127.0.0.1"
    ).configure_cert(server_ssl)
    secure = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ssl)
    await secure.start()
    try:
        yield Upstream(_port(plain), _port(secure), seen)
    finally:
        await runner.cleanup()


def _port(site: web.TCPSite) -> int:
    server = site._server  # the bound port is only known after start()
    assert server is not None
    sockets = getattr(server, "sockets", None)
    assert sockets
    port: int = sockets[0].getsockname()[1]
    return port


@pytest_asyncio.fixture
async def live(ca: trustme.CA) -> AsyncIterator[Any]:
    """The cassette tests' upstream (``cassette_support.LiveUpstream``)."""
    from .cassette_support import LiveUpstream

    upstream = LiveUpstream(ca)
    await upstream.start()
    try:
        yield upstream
    finally:
        await upstream.stop()
