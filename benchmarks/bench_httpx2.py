"""httpx2 (and httpx) replay through ``use_cassette`` against a loopback server.

For the sync ``Client`` and the ``AsyncClient`` of httpx2 and of httpx, the
time per request of N distinct GETs replayed through ``use_cassette``
(record_mode ``none``), against the same client fetching the same bodies from
a plain stdlib HTTP/1.1 server on 127.0.0.1 (keep-alive), in the same run.
Rounds alternate between the two, so both see the same machine; the figure
is the median of the per-round times, with the spread of the per-round
ratios. Target: replay no slower than the loopback round trip (<= 1.0x).

Run: ``python -m benchmarks httpx2``.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import json
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import httpx
import httpx2

from interposition import Cassette, JsonFileCassetteStore
from interposition.http import HttpRequest, HttpResponse, to_interaction, use_cassette

N = 1_000
ROUNDS = 7


def body_of(i: int) -> bytes:
    return json.dumps({"id": i, "name": f"item {i}", "owner": {"id": i % 97}}).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # head and body leave without a 40 ms stall

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = body_of(int(self.path.rsplit("/", 1)[1]))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _write_cassette(path: Path, base: str) -> None:
    interactions = tuple(
        to_interaction(
            HttpRequest("GET", f"{base}/items/{i}"),
            HttpResponse(
                200,
                "OK",
                (
                    ("Content-Type", "application/json"),
                    ("Content-Length", str(len(body_of(i)))),
                ),
                body_of(i),
            ),
        )
        for i in range(N)
    )
    JsonFileCassetteStore(path).save(Cassette(interactions=interactions))


def _timed(function: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    function()
    return (time.perf_counter() - start) / N


def _sync_run(module: ModuleType, base: str) -> None:
    with module.Client() as client:
        for i in range(N):
            response = client.get(f"{base}/items/{i}")
            assert response.content == body_of(i)


def _async_run(module: ModuleType, base: str) -> None:
    async def run() -> None:
        async with module.AsyncClient() as client:
            for i in range(N):
                response = await client.get(f"{base}/items/{i}")
                assert response.content == body_of(i)

    asyncio.run(run())


def _replay(path: Path, run: Callable[[], None]) -> Callable[[], None]:
    def replay() -> None:
        with use_cassette(path, record_mode="none") as cassette:
            run()
        assert cassette.all_played

    return replay


def _report(name: str, loopback: list[float], replay: list[float]) -> None:
    ratios = [r / lo for r, lo in zip(replay, loopback, strict=True)]
    print(
        f"{name:<18} loopback {statistics.median(loopback) * 1e6:7.1f} us  "
        f"replay {statistics.median(replay) * 1e6:7.1f} us  "
        f"ratio {statistics.median(ratios):.2f}x "
        f"(rounds {min(ratios):.2f}-{max(ratios):.2f}x)"
    )


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    print(f"{N} GETs per round, {ROUNDS} rounds, medians per request")
    try:
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "replay.json"
            _write_cassette(path, base)
            cases: list[tuple[str, Callable[[], None]]] = []
            for module in (httpx2, httpx):
                name = module.__name__
                cases.append(
                    (f"{name} sync", functools.partial(_sync_run, module, base))
                )
                cases.append(
                    (f"{name} async", functools.partial(_async_run, module, base))
                )
            for name, run in cases:
                replay = _replay(path, run)
                run()  # warm both paths
                replay()
                loopback: list[float] = []
                replayed: list[float] = []
                for _ in range(ROUNDS):
                    loopback.append(_timed(run))
                    replayed.append(_timed(replay))
                _report(name, loopback, replayed)
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
