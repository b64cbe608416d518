"""Replay through tornado and niquests, beside the same client on loopback.

For each client, the time per request of:

* replay: ``use_cassette(record_mode="none")`` over a cassette of N distinct
  GETs (JSON bodies), through the client;
* loopback: the same client against a plain local server (the standard
  library's ``ThreadingHTTPServer`` on 127.0.0.1) serving the same bodies.

Both run in the same process, interleaved block by block (the order
alternating; each replay block in a freshly entered cassette, its entry and
the cassette's load not timed), for ROUNDS rounds. Each figure is the median
over the rounds of the per-request time; the ratio is replay / loopback per
round, and the spread is the lowest and highest of those per-round ratios.
Target: replay at most 1.0x the loopback round trip.

tornado's ``AsyncHTTPClient`` (the simple client, which opens a connection per
request, as it always does) runs in one asyncio loop. niquests is measured
only where it is installed: it replaces urllib3, so it lives in a venv of its
own. Run:

    python -m benchmarks tornado-niquests           # tornado (main venv)
    make test-niquests && .venv-niquests/bin/python -m benchmarks tornado-niquests
                                                    # tornado and niquests
"""

from __future__ import annotations

import asyncio
import gc
import importlib.util
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from benchmarks._loopback import loopback_server, write_get_cassette
from interposition.http import use_cassette

N = 200
BLOCK = 50
ROUNDS = 7


def body_of(i: int) -> bytes:
    return json.dumps({"id": i, "name": f"item {i}", "owner": {"id": i % 97}}).encode()


def path_of(i: int) -> str:
    return f"/v1/items/{i}?expand=owner"


def _body_for_path(path: str) -> bytes:
    return body_of(int(path.split("/")[3].split("?", maxsplit=1)[0]))


def write_cassette(path: Path, base: str) -> None:
    write_get_cassette(path, ((base + path_of(i), body_of(i)) for i in range(N)))


def _summary(replay: list[float], loopback: list[float]) -> dict[str, float]:
    ratios = [r / lo for r, lo in zip(replay, loopback, strict=True)]
    return {
        "replay": statistics.median(replay),
        "loopback": statistics.median(loopback),
        "ratio": statistics.median(ratios),
        "low": min(ratios),
        "high": max(ratios),
    }


# -- tornado ----------------------------------------------------------------------


async def _tornado_rounds(cassette: Path, base: str) -> dict[str, float]:
    from tornado.httpclient import AsyncHTTPClient

    client = AsyncHTTPClient(force_instance=True)

    async def block(url: str, start: int) -> float:
        began = time.perf_counter()
        for i in range(start, start + BLOCK):
            response = await client.fetch(url + path_of(i))
            assert response.body == body_of(i)
        return time.perf_counter() - began

    async def replay_block(start: int) -> float:
        async with use_cassette(cassette, record_mode="none") as session:
            seconds = await block(base, start)
        assert all(session.play_counts[start : start + BLOCK])
        return seconds

    try:
        await block(base, 0)  # warm up both paths
        await replay_block(0)
        replays: list[float] = []
        loopbacks: list[float] = []
        for round_number in range(ROUNDS):
            replay_total = loopback_total = 0.0
            for number, start in enumerate(range(0, N, BLOCK)):
                gc.collect()
                if (round_number + number) % 2:
                    replay_total += await replay_block(start)
                    loopback_total += await block(base, start)
                else:
                    loopback_total += await block(base, start)
                    replay_total += await replay_block(start)
            replays.append(replay_total / N)
            loopbacks.append(loopback_total / N)
    finally:
        client.close()
    return _summary(replays, loopbacks)


def measure_tornado(directory: Path) -> dict[str, float]:
    with loopback_server(_body_for_path) as base:
        cassette = directory / "tornado.json"
        write_cassette(cassette, base)
        return asyncio.run(_tornado_rounds(cassette, base))


# -- niquests ---------------------------------------------------------------------


def measure_niquests(directory: Path) -> dict[str, float]:
    import niquests

    with loopback_server(_body_for_path) as base, niquests.Session() as session:
        cassette = directory / "niquests.json"
        write_cassette(cassette, base)

        def block(start: int) -> float:
            began = time.perf_counter()
            for i in range(start, start + BLOCK):
                response = session.get(base + path_of(i))
                assert response.content == body_of(i)
            return time.perf_counter() - began

        def replay_block(start: int) -> float:
            with use_cassette(cassette, record_mode="none") as played:
                seconds = block(start)
            assert all(played.play_counts[start : start + BLOCK])
            return seconds

        block(0)
        replay_block(0)
        replays: list[float] = []
        loopbacks: list[float] = []
        for round_number in range(ROUNDS):
            replay_total = loopback_total = 0.0
            for number, start in enumerate(range(0, N, BLOCK)):
                gc.collect()
                if (round_number + number) % 2:
                    replay_total += replay_block(start)
                    loopback_total += block(start)
                else:
                    loopback_total += block(start)
                    replay_total += replay_block(start)
            replays.append(replay_total / N)
            loopbacks.append(loopback_total / N)
        return _summary(replays, loopbacks)


CLIENTS: dict[str, tuple[str, Callable[[Path], dict[str, float]]]] = {
    "tornado": ("tornado", measure_tornado),
    "niquests": ("niquests", measure_niquests),
}


def run() -> dict[str, dict[str, float] | None]:
    results: dict[str, dict[str, float] | None] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (module, measure) in CLIENTS.items():
            found = importlib.util.find_spec(module) is not None
            results[name] = measure(Path(tmp)) if found else None
    return results


def table(results: dict[str, dict[str, Any] | None]) -> Iterator[str]:
    yield (
        f"{N} distinct GETs, blocks of {BLOCK}, {ROUNDS} rounds; "
        "median per request, ratio = replay / loopback per round"
    )
    yield (
        f"{'client':<10} {'replay us':>10} {'loopback us':>12} {'ratio':>7} "
        f"{'spread':>13}"
    )
    for name, figures in results.items():
        if figures is None:
            yield f"{name:<10} not installed here (see the module docstring)"
            continue
        yield (
            f"{name:<10} {figures['replay'] * 1e6:>10.1f} "
            f"{figures['loopback'] * 1e6:>12.1f} {figures['ratio']:>6.2f}x "
            f"{figures['low']:>5.2f}-{figures['high']:.2f}x"
        )


def main() -> None:
    """Run the tornado and niquests replay benchmark and print the table."""
    for line in table(run()):
        print(line)


if __name__ == "__main__":
    main()
