"""aiohttp replay through ``use_cassette``, beside a real loopback round trip.

One ``aiohttp.ClientSession`` makes the same sequential GETs, in one event
loop, interleaved round by round (the order alternates) so that the ratio
holds on a noisy machine:

* ``loopback``: to a plain ``aiohttp.web`` server on 127.0.0.1 (keep-alive,
  the floor for any real-server design);
* ``replay``: the same requests inside ``use_cassette(record_mode="none")``,
  from a cassette recorded off that server (the server is not reached).

The bodies are the server's: small JSON documents, and ~21 KiB ones. Each
figure is the time per request, the median over the rounds, with the
fastest and slowest round.

Run: ``python -m benchmarks aiohttp-cassette``.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
from aiohttp import web

from interposition.http import use_cassette

REQUESTS = 500
ROUNDS = 9
SIZES = {"small": 1, "large": 400}


def _body(i: int, repeat: int) -> bytes:
    item = {"id": i, "name": f"item {i}", "tags": ["a", "b", "c"]}
    return json.dumps({"items": [item] * repeat}).encode()


@asynccontextmanager
async def plain_server(repeat: int) -> AsyncIterator[tuple[str, list[int]]]:
    hits = [0]

    async def handle(request: web.Request) -> web.Response:
        hits[0] += 1
        i = int(request.match_info["i"])
        return web.Response(body=_body(i, repeat), content_type="application/json")

    app = web.Application()
    app.router.add_get("/items/{i}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", hits
    finally:
        await runner.cleanup()


async def _get_all(session: aiohttp.ClientSession, urls: list[str]) -> float:
    start = time.perf_counter()
    for url in urls:
        async with session.get(url) as response:
            await response.read()
    return (time.perf_counter() - start) / len(urls)


async def measure(repeat: int, directory: Path) -> dict[str, list[float]]:
    path = directory / f"aiohttp-{repeat}.json"
    samples: dict[str, list[float]] = {"loopback": [], "replay": []}
    async with plain_server(repeat) as (base, hits):
        urls = [f"{base}/items/{i}" for i in range(REQUESTS)]
        async with aiohttp.ClientSession() as session:
            with use_cassette(path, record_mode="all"):
                await _get_all(session, urls)
            await _get_all(session, urls)  # warm the pool and both paths
            for round_number in range(ROUNDS):
                order = ["loopback", "replay"]
                if round_number % 2:
                    order.reverse()
                for subject in order:
                    if subject == "loopback":
                        samples[subject].append(await _get_all(session, urls))
                        continue
                    before = hits[0]
                    with use_cassette(path, record_mode="none") as cassette:
                        samples[subject].append(await _get_all(session, urls))
                    assert hits[0] == before, "the replay reached the server"
                    assert cassette.all_played
    return samples


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:7.1f} us"


def main() -> None:
    """Run the benchmark and print the table."""
    print(
        f"aiohttp, {REQUESTS} sequential GETs per round, {ROUNDS} rounds "
        "interleaved; time per request: median [fastest, slowest round]"
    )
    with tempfile.TemporaryDirectory() as directory:
        for name, repeat in SIZES.items():
            samples = asyncio.run(measure(repeat, Path(directory)))
            loopback, replay = samples["loopback"], samples["replay"]
            ratios = [r / b for r, b in zip(replay, loopback, strict=True)]
            print(f"\n  body {name} ({len(_body(0, repeat))} bytes)")
            for subject, values in samples.items():
                print(
                    f"    {subject:<9} {_us(statistics.median(values))} "
                    f"[{_us(min(values)).strip()}, {_us(max(values)).strip()}]"
                )
            print(
                f"    replay / loopback: {statistics.median(ratios):.2f}x "
                f"(rounds {min(ratios):.2f}x to {max(ratios):.2f}x; target <= 1.0x)"
            )


if __name__ == "__main__":
    main()
