"""Record against a real server, stop it, replay from the file alone.

A real HTTP server on 127.0.0.1 plays the backend. Two ways to record:

* the engine: a Broker records through a live responder into a JSON file;
* HTTP: ``use_cassette`` records what ``urllib.request`` sends into a YAML
  file.

The server is then stopped, and the same answers come from the files: the
engine's through the Broker, the HTTP ones to another client,
``http.client``, since one cassette serves every client.

Run it with ``make demo`` (or ``python examples/demo.py [directory]``).
"""

from __future__ import annotations

import http.client
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
from interposition.http import use_cassette


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


def get_with_http_client(port: int, path: str) -> bytes:
    """A GET with http.client: another client than the one that recorded."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        return connection.getresponse().read()
    finally:
        connection.close()


def main(directory: Path) -> None:
    """Record with the engine and over HTTP, stop the backend, replay both."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Backend)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    base = f"http://127.0.0.1:{port}"
    urls = [f"{base}/users/{n}" for n in (1, 2, 42)]
    engine_path = directory / "demo.json"
    http_path = directory / "demo-http.yaml"
    for path in (engine_path, http_path):
        path.unlink(missing_ok=True)

    print(f"1. Engine: recording against the live server at {base}")
    store = JsonFileCassetteStore(engine_path, create_if_missing=True)
    recorder = Broker.from_store(store, mode="record", live_responder=live_responder)
    for url in urls:
        print(f"   live     {url} -> {fetch(recorder, url).decode()}")
    print(
        f"   saved {len(recorder.cassette.interactions)} interactions to {engine_path}"
    )

    print("2. HTTP: recording what urllib.request sends, with use_cassette")
    with use_cassette(http_path) as cassette:
        for url in urls:
            with urllib.request.urlopen(url, timeout=5) as response:
                print(f"   live     {url} -> {response.read().decode()}")
    print(f"   saved {len(cassette.interactions)} exchanges to {http_path}")

    server.shutdown()
    server.server_close()
    print("3. Server stopped. The engine replays from its file alone:")
    player = Broker.from_store(JsonFileCassetteStore(engine_path), mode="replay")
    for url in urls:
        print(f"   replayed {url} -> {fetch(player, url).decode()}")

    print("4. HTTP replays to http.client, a different client, from the file:")
    with use_cassette(http_path, record_mode="none") as cassette:
        for url in urls:
            answer = get_with_http_client(port, url.removeprefix(base))
            print(f"   replayed {url} -> {answer.decode()}")
    print(f"   every recording played: {cassette.all_played}")

    print("5. A request that was never recorded:")
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
