"""Run by test_context: a cassette entered before the client is imported."""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from interposition.http import use_cassette


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
clients = ("requests", "httpx", "httpx2", "aiohttp", "tornado", "urllib3", "pycurl")
with use_cassette(Path(sys.argv[1])) as cassette:
    imported = [name for name in clients if name in sys.modules]
    import requests

    body = requests.get(f"http://127.0.0.1:{server.server_address[1]}/x", timeout=5)
watching = any(type(f).__name__ == "_ImportWatcher" for f in sys.meta_path)
print(json.dumps([imported, body.text, len(cassette.interactions), watching]))
