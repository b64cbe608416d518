"""A loopback HTTP server, and pytester projects that talk to it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from interposition.http._patching import acquire_adapters, release_adapters

# pytester's in-process runs drop the modules each run imported: the clients
# every adapter patches are imported here once, not once per run.
release_adapters(acquire_adapters(None))

BINARY = bytes(range(256))

#: Every generated project gets this ini: asyncio strict, warnings are errors.
INI = """
[pytest]
asyncio_mode = strict
asyncio_default_fixture_loop_scope = function
filterwarnings = error
"""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with self.server.lock:
            self.server.hits.append(f"{self.command} {self.path}")
        if self.path.startswith("/binary"):
            payload, kind = BINARY, "application/octet-stream"
        elif self.path.startswith("/stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (b"one ", b"two ", b"three"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            return
        else:
            document = {
                "method": self.command,
                "path": self.path,
                "headers": dict(self.headers.items()),
                "body": body.decode("utf-8", "replace"),
            }
            payload, kind = json.dumps(document).encode(), "application/json"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Set-Cookie", "session=abc123")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.hits: list[str] = []


@dataclass
class Server:
    """The running server: its URL and the requests it answered."""

    url: str
    _server: _Server = field(repr=False)

    @property
    def hits(self) -> list[str]:
        with self._server.lock:
            return list(self._server.hits)


@pytest.fixture
def server() -> Iterator[Server]:
    httpd = _Server()
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_address[1]}", httpd)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture
def project(pytester: pytest.Pytester, server: Server) -> pytest.Pytester:
    """A pytester project whose tests get the server's URL as ``server_url``."""
    pytester.makeini(INI)
    pytester.makeconftest(
        f"""
import pytest

@pytest.fixture(scope="session")
def server_url():
    return {server.url!r}
"""
    )
    return pytester


#: The example project is run by test_example_project.py, not collected here.
collect_ignore = ["example_project"]
