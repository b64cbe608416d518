"""The product as a user meets it: the ``interposition`` command, end to end.

1. A local upstream API starts on 127.0.0.1.
2. ``interposition run`` runs a small program (``demo_app.py``, which knows
   nothing of interposition) with a cassette active: it records.
3. The upstream stops; the same command replays, with the network gone.
4. ``interposition inspect`` lists what was recorded.
5. ``interposition serve`` serves the cassette over HTTP; a plain HTTP
   client (``http.client``) fetches one response from it.
6. ``interposition audit`` finds no credentials (the bearer token the program
   sent was redacted before it was written).

Run it with ``make demo`` (or ``python examples/demo.py [directory]``).
"""

from __future__ import annotations

import http.client
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
COMMAND = [sys.executable, "-m", "interposition"]


class _Upstream(BaseHTTPRequestHandler):
    """A tiny API: /users/<id> as JSON, /report streamed in three chunks."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path == "/report":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for line in (b"north: 12\n", b"south: 7\n", b"east: 3\n"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                self.wfile.flush()
                time.sleep(0.01)
            self.wfile.write(b"0\r\n\r\n")
            return
        user_id = self.path.rsplit("/", 1)[-1]
        body = f'{{"id": {user_id}, "name": "user {user_id}"}}'.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the demo's output quiet."""


def interposition(*args: str, check: bool = True) -> int:
    """Run ``interposition ARGS`` as a user would, showing the command."""
    shown = " ".join(shlex.quote(a) for a in args).replace(sys.executable, "python")
    print(f"$ interposition {shown}", flush=True)
    status = subprocess.run([*COMMAND, *args], check=False).returncode
    if check and status != 0:
        raise SystemExit(f"interposition {args[0]} exited with {status}")
    return status


def fetch_from_server(cassette: Path, path: str) -> None:
    """``interposition serve`` the cassette; GET one path with http.client."""
    print(f"$ interposition serve {cassette} --port 0", flush=True)
    server = subprocess.Popen(
        [*COMMAND, "serve", str(cassette), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline().strip()
        print(f"   {line}")
        url = line.rsplit(" ", 1)[-1]
        host, port = url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=5)
        connection.request("GET", path)
        response = connection.getresponse()
        print(f"   GET {path} -> {response.status} {response.read().decode()}")
        connection.close()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)


def main(directory: Path) -> None:
    """Record, replay offline, inspect, serve and audit one cassette."""
    cassette = directory / "demo.yaml"
    cassette.unlink(missing_ok=True)
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{upstream.server_address[1]}"
    program = [sys.executable, str(HERE / "demo_app.py"), base]

    print(f"1. An upstream API runs at {base}. Record what the program asks it:")
    interposition("run", "--cassette", str(cassette), "--", *program)

    upstream.shutdown()
    upstream.server_close()
    print("2. The upstream is stopped. The same command replays from the cassette:")
    interposition("run", "--cassette", str(cassette), "--", *program)

    print("3. What was recorded:")
    interposition("inspect", str(cassette))

    print("4. The cassette served over HTTP, to a plain HTTP client:")
    fetch_from_server(cassette, "/users/2")

    print("5. No credentials were written (the bearer token was redacted):")
    interposition("audit", str(cassette))
    print("Done: record -> replay offline -> inspect -> serve -> audit.")


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp))
