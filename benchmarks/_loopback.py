"""What the client benchmarks share: a plain loopback server and GET cassettes.

``loopback_server(body_for)`` is the reference every replay is measured
against: a stdlib HTTP/1.1 server on 127.0.0.1 (keep-alive, one segment per
response and Nagle off, so no 40 ms delayed-ACK stall) answering each GET
path with ``body_for(path)`` as JSON. ``write_get_cassette`` records the same
answers into a cassette, for the replay side.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from interposition import Cassette, JsonFileCassetteStore
from interposition.http import HttpRequest, HttpResponse, to_interaction


@contextmanager
def loopback_server(body_for: Callable[[str], bytes]) -> Iterator[str]:
    """Serve ``body_for(path)`` for every GET; yields the base URL."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True
        wbufsize = -1  # head and body leave in one write

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = body_for(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def write_get_cassette(path: Path, answers: Iterable[tuple[str, bytes]]) -> None:
    """A cassette of ``GET url`` -> 200 JSON ``body``, one per (url, body)."""
    interactions = tuple(
        to_interaction(
            HttpRequest("GET", url, (("Accept", "*/*"),)),
            HttpResponse(
                200,
                "OK",
                (
                    ("Content-Type", "application/json"),
                    ("Content-Length", str(len(body))),
                ),
                body,
            ),
        )
        for url, body in answers
    )
    JsonFileCassetteStore(path).save(Cassette(interactions=interactions))
