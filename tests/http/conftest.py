"""A real HTTP server on 127.0.0.1 for every test that crosses a socket."""

from __future__ import annotations

import gzip
import json
import ssl
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import trustme

BINARY = bytes(range(256)) * 4
UNICODE_TEXT = "Grüße, 世界! ½ — ünïcødé"
LARGE = b"0123456789abcdef" * 65536  # 1 MiB

#: (path, decoded body) of the test server: every kind of body an adapter meets.
BODIES: list[tuple[str, bytes]] = [
    ("/text?name=x", b"hello x"),
    ("/binary", BINARY),
    ("/unicode", UNICODE_TEXT.encode()),
    ("/large", LARGE),
    ("/chunked", b"first,second,third"),
    ("/gzip", b"compressed " * 50),
    ("/deflate", b"deflated " * 50),
]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", ""):
            out = b""
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(
        self,
        status: int,
        body: bytes,
        headers: list[tuple[str, str]] | None = None,
        content_type: str = "text/plain; charset=utf-8",
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in headers or []:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self) -> None:
        body = self._body()
        with self.server.lock:
            self.server.hits += 1
            self.server.log.append((self.command, self.path))
            hits = self.server.hits
        parts = urlsplit(self.path)
        path = parts.path
        query = parse_qs(parts.query)
        if path == "/echo":
            document = {
                "method": self.command,
                "path": self.path,
                "headers": dict(self.headers.items()),
                "body": body.decode("utf-8", "replace"),
            }
            self._send(
                200, json.dumps(document).encode(), content_type="application/json"
            )
        elif path == "/text":
            self._send(200, f"hello {query.get('name', ['world'])[0]}".encode())
        elif path == "/counter":
            self._send(200, str(hits).encode())
        elif path == "/lines":
            self._send(200, b"".join(b"line %d\n" % i for i in range(10)))
        elif path == "/unicode":
            self._send(200, UNICODE_TEXT.encode())
        elif path == "/binary":
            self._send(200, BINARY, content_type="application/octet-stream")
        elif path == "/large":
            self._send(200, LARGE, content_type="application/octet-stream")
        elif path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            if self.command != "HEAD":
                for piece in (b"first,", b"second,", b"third"):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.write(b"0\r\n\r\n")
        elif path == "/gzip":
            self._send(
                200,
                gzip.compress(b"compressed " * 50, mtime=0),
                [("Content-Encoding", "gzip")],
            )
        elif path == "/deflate":
            self._send(
                200, zlib.compress(b"deflated " * 50), [("Content-Encoding", "deflate")]
            )
        elif path == "/br":
            import brotli

            self._send(
                200, brotli.compress(b"brotli " * 50), [("Content-Encoding", "br")]
            )
        elif path == "/redirect":
            self._send(302, b"", [("Location", "/text?name=redirected")])
        elif path.startswith("/status/"):
            code = int(path.rsplit("/", 1)[1])
            self._send(code, f"status {code}".encode())
        elif path == "/cookie":
            self._send(
                200,
                b"cookie set",
                [
                    ("Set-Cookie", "session=abc123; Path=/"),
                    ("Set-Cookie", "theme=dark; Path=/"),
                ],
            )
        elif path == "/token":
            token_document: dict[str, object] = {
                "access_token": "s3cr3t",
                "token_type": "bearer",
                "expires_in": 3600,
            }
            self._send(
                200,
                json.dumps(token_document).encode(),
                content_type="application/json",
            )
        elif path == "/multi":
            self._send(200, b"multi", [("X-Multi", "one"), ("X-Multi", "two")])
        else:
            self._send(404, b"not found")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    hits = 0

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.log: list[tuple[str, str]] = []


class LiveServer:
    """A running server: its base URL, request log, and stop()."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self._server = _Server()
        self.port = self._server.server_address[1]
        scheme = "http"
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True
        )
        self._thread.start()
        self.running = True

    @property
    def hits(self) -> int:
        return self._server.hits

    @property
    def log(self) -> list[tuple[str, str]]:
        return self._server.log

    def stop(self) -> None:
        if self.running:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self.running = False


@pytest.fixture
def server() -> Iterator[LiveServer]:
    live = LiveServer()
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture
def cassette_path(tmp_path: Path) -> Path:
    return tmp_path / "cassette.json"


@pytest.fixture(scope="session")
def certificate_authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def https_server(certificate_authority: trustme.CA) -> Iterator[LiveServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate_authority.issue_cert("127.0.0.1").configure_cert(context)
    live = LiveServer(tls=context)
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture
def client_tls(certificate_authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    certificate_authority.configure_trust(context)
    return context
