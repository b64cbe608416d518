"""A real HTTP server on 127.0.0.1, clients to call it, and patch hygiene."""

from __future__ import annotations

import http.client
import json
import threading
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

from cassette import patcher

CLIENTS = ("http.client", "urllib.request", "urllib3", "requests")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with self.server.lock:
            self.server.hits += 1
            hits = self.server.hits
            self.server.log.append((self.command, self.path))
        document = {
            "hit": hits,
            "method": self.command,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("utf-8", "replace"),
        }
        data = json.dumps(document).encode()
        status = 404 if self.path.startswith("/missing") else 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _answer


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.hits = 0
        self.log: list[tuple[str, str]] = []


class LocalServer:
    """A ThreadingHTTPServer on 127.0.0.1 that a test can stop.

    Every answer is a JSON document with the server's hit count, so a
    replayed response is told from a live one.
    """

    def __init__(self) -> None:
        self._server = _Server()
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.01,))
        self._thread.start()
        self.running = True

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def hits(self) -> int:
        with self._server.lock:
            return self._server.hits

    def stop(self) -> None:
        """Stop serving and close the port: a request now gets refused."""
        if self.running:
            self.running = False
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()


@pytest.fixture
def server() -> Iterator[LocalServer]:
    running = LocalServer()
    try:
        yield running
    finally:
        running.stop()


Fetch = Callable[..., tuple[int, dict[str, Any]]]


def fetch(
    client: str,
    url: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> tuple[int, dict[str, Any]]:
    """Make one request with ``client``; return the status and the JSON answer."""
    headers = headers or {}
    if client == "http.client":
        parts = urlsplit(url)
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port)
        try:
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            connection.request(method, target, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, json.loads(response.read())
        finally:
            connection.close()
    if client == "urllib.request":
        request = urllib.request.Request(url, data=body, headers=headers, method=method)
        with urllib.request.urlopen(request) as response:
            return int(response.status), json.loads(response.read())
    if client == "urllib3":
        import urllib3

        with urllib3.PoolManager() as pool:
            answer = pool.request(method, url, body=body, headers=headers)
            return answer.status, json.loads(answer.data)
    if client == "requests":
        import requests

        with requests.Session() as session:
            result = session.request(method, url, data=body, headers=headers)
            return result.status_code, result.json()
    if client == "httpx":
        import httpx

        with httpx.Client() as httpx_client:
            reply = httpx_client.request(method, url, content=body, headers=headers)
            return reply.status_code, reply.json()
    raise AssertionError(client)


def _patched_attributes() -> dict[str, object]:
    """The attributes the adapters patch, as the classes hold them now."""
    import httpx
    import requests.adapters
    import urllib3.connectionpool

    return {
        "HTTPTransport.handle_request": vars(httpx.HTTPTransport)["handle_request"],
        "AsyncHTTPTransport.handle_async_request": vars(httpx.AsyncHTTPTransport)[
            "handle_async_request"
        ],
        "HTTPConnection.connect": vars(http.client.HTTPConnection)["connect"],
        "HTTPSConnection.connect": vars(http.client.HTTPSConnection).get("connect"),
        "HTTPConnectionPool._make_request": vars(
            urllib3.connectionpool.HTTPConnectionPool
        )["_make_request"],
        "HTTPAdapter.send": vars(requests.adapters.HTTPAdapter)["send"],
    }


@pytest.fixture
def originals() -> dict[str, object]:
    """The unpatched attributes (taken before the test patches anything)."""
    return _patched_attributes()


@pytest.fixture(autouse=True)
def _nothing_left_patched() -> Iterator[None]:
    before = _patched_attributes()
    yield
    leftover = list(patcher._PLAYING)
    while patcher._PLAYING:
        patcher.unpatch()
    assert not leftover, f"a test left a cassette playing: {leftover}"
    assert _patched_attributes() == before
