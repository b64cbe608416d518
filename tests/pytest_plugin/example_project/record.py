"""Record this project's cassettes with pytest-recording and vcrpy.

Run with a Python that has pytest-recording, vcrpy, requests and httpx (and
not interposition): ``python record.py``. It serves the API on
127.0.0.1:8765 while pytest-recording records.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests
import vcr

HERE = Path(__file__).parent


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def handle_one(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path == "/stream":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (b"one ", b"two ", b"three"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            return
        if self.path == "/binary":
            payload, kind = bytes(range(256)), "application/octet-stream"
        else:
            document = {"path": self.path, "body": body.decode()}
            payload, kind = json.dumps(document).encode(), "application/json"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = handle_one


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 8765), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    cassettes = HERE / "tests" / "cassettes"
    shutil.rmtree(cassettes, ignore_errors=True)
    directory = cassettes / "test_api"
    with vcr.use_cassette(str(directory / "shared.yaml")):
        requests.get("http://127.0.0.1:8765/shared")
    with vcr.use_cassette(str(directory / "test_record_mode_in_marker.yaml")):
        requests.get("http://127.0.0.1:8765/users", params={"page": "2"})
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--record-mode=new_episodes",
        ],
        cwd=HERE,
        check=True,
    )
    server.shutdown()
    server.server_close()


if __name__ == "__main__":
    main()
