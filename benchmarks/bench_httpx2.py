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
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import httpx
import httpx2

from benchmarks._loopback import loopback_server, write_get_cassette
from interposition.http import use_cassette

N = 1_000
ROUNDS = 7


def body_of(i: int) -> bytes:
    return json.dumps({"id": i, "name": f"item {i}", "owner": {"id": i % 97}}).encode()


def _body_for_path(path: str) -> bytes:
    return body_of(int(path.rsplit("/", 1)[1]))


def _write_cassette(path: Path, base: str) -> None:
    write_get_cassette(path, ((f"{base}/items/{i}", body_of(i)) for i in range(N)))


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
    print(f"{N} GETs per round, {ROUNDS} rounds, medians per request")
    with (
        loopback_server(_body_for_path) as base,
        tempfile.TemporaryDirectory() as directory,
    ):
        path = Path(directory) / "replay.json"
        _write_cassette(path, base)
        cases: list[tuple[str, Callable[[], None]]] = []
        for module in (httpx2, httpx):
            name = module.__name__
            cases.append((f"{name} sync", functools.partial(_sync_run, module, base)))
            cases.append((f"{name} async", functools.partial(_async_run, module, base)))
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


if __name__ == "__main__":
    main()
