"""A stand-in for the real upstream of the cassette tests, and helpers.

The upstream is a second local aiohttp server, plain and TLS (a trustme
certificate for ``upstream.test``); the tests stop it before replaying, so a
replayed response can only come from the cassette file.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import trustme
from aiohttp import web

from aiointercept import aiointercept

from .conftest import UPSTREAM_NAME, MapResolver, _port

BINARY = bytes(range(256)) * 64
EVENTS = [f"event: tick\ndata: {i}\n\n".encode() for i in range(4)]
EVENT_GAP = 0.06
COMPRESSED_TEXT = b"squeezed " * 200


class LiveUpstream:
    """A real server on 127.0.0.1 (http and https) that counts what it serves."""

    def __init__(self, ca: trustme.CA) -> None:
        self._ca = ca
        self.hits: list[tuple[str, str]] = []
        self.headers: list[dict[str, str]] = []
        self.counter = 0
        self.disconnected = False
        self.port = 0
        self.tls_port = 0
        self._runner: web.AppRunner | None = None

    @property
    def base(self) -> str:
        return f"http://{UPSTREAM_NAME}:{self.port}"

    @property
    def tls_base(self) -> str:
        return f"https://{UPSTREAM_NAME}:{self.tls_port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/json/{name}", self._json)
        app.router.add_get("/count", self._count)
        app.router.add_get("/binary", self._binary)
        app.router.add_get("/events", self._events)
        app.router.add_get("/gzip", self._gzip)
        app.router.add_get("/secret", self._secret)
        app.router.add_get("/empty", self._empty)
        app.router.add_route("*", "/echo", self._echo)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        plain = web.TCPSite(runner, "127.0.0.1", 0)
        await plain.start()
        server_ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._ca.issue_cert(UPSTREAM_NAME).configure_cert(server_ssl)
        secure = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ssl)
        await secure.start()
        self._runner = runner
        self.port, self.tls_port = _port(plain), _port(secure)

    async def stop(self) -> None:
        """Stop serving: any later live request fails to connect."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _seen(self, request: web.Request) -> None:
        self.hits.append((request.method, str(request.rel_url)))
        self.headers.append(dict(request.headers))

    async def _json(self, request: web.Request) -> web.Response:
        self._seen(request)
        return web.json_response(
            {"name": request.match_info["name"], "query": dict(request.query)},
            headers={"X-Upstream": "yes"},
        )

    async def _count(self, request: web.Request) -> web.Response:
        self._seen(request)
        self.counter += 1
        return web.Response(text=str(self.counter))

    async def _binary(self, request: web.Request) -> web.Response:
        self._seen(request)
        return web.Response(body=BINARY, content_type="application/octet-stream")

    async def _events(self, request: web.Request) -> web.StreamResponse:
        self._seen(request)
        response = web.StreamResponse(headers={"Cache-Control": "no-cache"})
        response.content_type = "text/event-stream"
        await response.prepare(request)
        try:
            for event in EVENTS:
                await asyncio.sleep(EVENT_GAP)
                await response.write(event)
            await response.write_eof()
        except ConnectionError:
            self.disconnected = True  # the reader went away mid-stream
        return response

    async def _gzip(self, request: web.Request) -> web.Response:
        self._seen(request)
        return web.Response(
            body=gzip.compress(COMPRESSED_TEXT),
            headers={"Content-Encoding": "gzip", "Content-Type": "text/plain"},
        )

    async def _secret(self, request: web.Request) -> web.Response:
        self._seen(request)
        if request.headers.get("Authorization") != "Bearer s3cret-token":
            return web.Response(status=401, text="who are you?")
        response = web.json_response({"account": 42})
        response.set_cookie("session", "abc123", path="/")
        return response

    async def _empty(self, request: web.Request) -> web.Response:
        self._seen(request)
        return web.Response(status=204)

    async def _echo(self, request: web.Request) -> web.Response:
        self._seen(request)
        body = await request.read()
        return web.json_response(
            {
                "method": request.method,
                "body": body.decode("latin-1"),
                "content_type": request.headers.get("Content-Type"),
            },
            status=201 if request.method == "POST" else 200,
        )


def recorder(
    cassette: Path | str,
    resolver: MapResolver,
    client_ssl: ssl.SSLContext,
    **options: Any,
) -> aiointercept:
    """An intercepting mock with a cassette, forwarding to the test upstream."""
    return aiointercept(
        mock_external_urls=True,
        cassette=cassette,
        upstream_ssl=client_ssl,
        upstream_resolver=resolver,
        **options,
    )


async def http_chunks(resp: aiohttp.ClientResponse) -> list[tuple[float, bytes]]:
    """The body as (arrival time, HTTP chunk), times from the first chunk's ask."""
    start = time.monotonic()
    chunks: list[tuple[float, bytes]] = []
    buffer = b""
    async for data, end_of_chunk in resp.content.iter_chunks():
        buffer += data
        if end_of_chunk and buffer:  # aiohttp may report the last-chunk alone
            chunks.append((time.monotonic() - start, buffer))
            buffer = b""
    assert buffer == b""
    return chunks


def load_document(path: Path) -> Any:
    """The cassette file, parsed (JSON or YAML)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)
    import yaml

    return yaml.safe_load(text)


@contextmanager
def sync_resolution(port_map: dict[str, str]) -> Iterator[None]:
    """Let synchronous clients (requests, httpx) resolve ``upstream.test``."""
    import socket

    real = socket.getaddrinfo

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        return real(port_map.get(name, name), *args, **kwargs)

    socket.getaddrinfo = resolve
    try:
        yield
    finally:
        socket.getaddrinfo = real
