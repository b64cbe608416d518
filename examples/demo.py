"""Record through a live responder into a file store, then replay from the file.

A real HTTP server on 127.0.0.1 plays the backend. The first pass records
every exchange into a cassette file; the server is then stopped, and the
second pass gets the same answers from the file alone.

Run it with ``make demo`` (or ``python examples/demo.py [directory]``).
"""

from __future__ import annotations

import sys
import tempfile
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from interposition import (
    Broker,
    InteractionNotFoundError,
    InteractionRequest,
    JsonFileCassetteStore,
    ResponseChunk,
)


class _Backend(BaseHTTPRequestHandler):
    """A tiny upstream: answers /users/<id> with a JSON document."""

    def do_GET(self) -> None:
        user_id = self.path.rsplit("/", 1)[-1]
        body = f'{{"id": {user_id}, "name": "user {user_id}"}}'.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the demo's output quiet."""


def live_responder(request: InteractionRequest) -> Iterator[ResponseChunk]:
    """Forward a request to the real backend and stream its body in chunks."""
    with urllib.request.urlopen(request.target, timeout=5) as response:
        sequence = 0
        while chunk := response.read(16):
            yield ResponseChunk(data=chunk, sequence=sequence)
            sequence += 1


def fetch(broker: Broker, url: str) -> bytes:
    """What an adapter does: build a request, let the broker answer it."""
    request = InteractionRequest(
        protocol="http", action="GET", target=url, headers=(), body=b""
    )
    return b"".join(chunk.data for chunk in broker.replay(request))


def main(directory: Path) -> None:
    """Record three calls, stop the backend, replay them from the file."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Backend)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    urls = [f"{base}/users/{n}" for n in (1, 2, 42)]
    cassette_path = directory / "demo.json"
    cassette_path.unlink(missing_ok=True)

    print(f"1. Recording against the live server at {base}")
    store = JsonFileCassetteStore(cassette_path, create_if_missing=True)
    recorder = Broker.from_store(store, mode="record", live_responder=live_responder)
    for url in urls:
        print(f"   live     {url} -> {fetch(recorder, url).decode()}")
    print(
        f"   saved {len(recorder.cassette.interactions)} interactions "
        f"to {cassette_path}"
    )

    server.shutdown()
    server.server_close()
    print("2. Server stopped. Replaying from the file alone:")
    player = Broker.from_store(JsonFileCassetteStore(cassette_path), mode="replay")
    for url in urls:
        print(f"   replayed {url} -> {fetch(player, url).decode()}")

    print("3. A request that was never recorded:")
    try:
        fetch(player, f"{base}/users/7")
    except InteractionNotFoundError as error:
        print(f"   {type(error).__name__}: {error}")
    print("Done: record -> replay with the network gone.")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp))
