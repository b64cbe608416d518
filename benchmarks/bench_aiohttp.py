"""aiointercept benchmarks: requests through aiohttp, and enter + exit.

Side by side in one event loop, interleaved round by round so that the ratios
hold on a noisy machine:

- a plain ``aiohttp.web`` server on 127.0.0.1 (the floor for any real-server
  design),
- aiointercept in both modes (``server_url``, and ``mock_external_urls=True``
  with a real hostname),
- aioresponses (in-memory, no socket: the peer most users come from).

Each subject serves 2,000 sequential GETs and rounds of 200 concurrent GETs
through one ``aiohttp.ClientSession``. Then the fixed cost of entering and
leaving the mock, with a small heap and after allocating a few million
objects (it must not grow with the heap).

Then, with ``AIOINTERCEPT_REFERENCE_PYTHON`` set, the published aiointercept
(1.0.0) beside this one, in alternating processes (see
``aiointercept_reference.py``).

Run: ``python -m benchmarks aiohttp`` (``make bench`` runs every benchmark).
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from aiointercept import aiointercept

SEQUENTIAL = 2_000
BLOCK = 100
CONCURRENT = 200
CONCURRENT_ROUNDS = 10
ROUNDS = 7
ENTER_EXIT = 2_000
BIG_HEAP_OBJECTS = 3_000_000
PAYLOAD = {"ok": True, "items": [1, 2, 3]}

Subject = Callable[[], AbstractAsyncContextManager[str]]


@asynccontextmanager
async def plain_server() -> AsyncIterator[str]:
    body = b'{"ok": true, "items": [1, 2, 3]}'

    async def handle(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/bench", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/bench"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def mock_server_url() -> AsyncIterator[str]:
    async with aiointercept() as m:
        url = f"{m.server_url}/bench"
        m.get(url, payload=PAYLOAD, repeat=True)
        yield url


@asynccontextmanager
async def mock_external() -> AsyncIterator[str]:
    async with aiointercept(mock_external_urls=True) as m:
        url = "http://api.example.com/bench"
        m.get(url, payload=PAYLOAD, repeat=True)
        yield url


class _SentRequest:
    """What a recent aiohttp's ClientResponse asks of the request writer."""

    output_size = 0


class _AioresponsesResponse(aiohttp.ClientResponse):
    """aioresponses 0.7.9 does not pass the ``stream_writer`` argument that
    aiohttp 3.14's ClientResponse requires; its ``response_class`` hook can."""

    def __init__(self, method: str, url: Any, **kwargs: Any) -> None:
        if "stream_writer" in inspect.signature(aiohttp.ClientResponse).parameters:
            kwargs.setdefault("stream_writer", _SentRequest())
        super().__init__(method, url, **kwargs)


@asynccontextmanager
async def aioresponses_mock() -> AsyncIterator[str]:
    from aioresponses import aioresponses

    url = "http://api.example.com/bench"
    with aioresponses() as m:
        m.get(url, payload=PAYLOAD, repeat=True, response_class=_AioresponsesResponse)
        yield url


SUBJECTS: dict[str, Subject] = {
    "plain aiohttp.web server": plain_server,
    "aiointercept (server_url)": mock_server_url,
    "aiointercept (mock_external_urls)": mock_external,
    "aioresponses (in-memory)": aioresponses_mock,
}
FLOOR = "plain aiohttp.web server"
PEER = "aioresponses (in-memory)"


async def _fetch(session: aiohttp.ClientSession, url: str) -> None:
    async with session.get(url) as resp:
        await resp.read()
        if resp.status != 200:
            raise RuntimeError(f"unexpected status {resp.status}")


async def _sequential_block(session: aiohttp.ClientSession, url: str) -> float:
    start = time.perf_counter()
    for _ in range(BLOCK):
        await _fetch(session, url)
    return time.perf_counter() - start


async def _concurrent_block(session: aiohttp.ClientSession, url: str) -> float:
    start = time.perf_counter()
    await asyncio.gather(*(_fetch(session, url) for _ in range(CONCURRENT)))
    return time.perf_counter() - start


Block = Callable[[aiohttp.ClientSession, str], Awaitable[float]]


async def _one_round(block: Block, blocks: int) -> dict[str, list[float]]:
    """Seconds of each of ``blocks`` blocks, per subject.

    The subjects that use a socket run side by side, alternating block by
    block, so a burst of machine noise hits all of them alike. aioresponses
    patches every ClientSession while active, so it runs on its own, right
    after, in the same round.
    """
    times: dict[str, list[float]] = {name: [] for name in SUBJECTS}
    async with AsyncExitStack() as stack:
        targets = []
        for name, subject in SUBJECTS.items():
            if name == PEER:
                continue
            url = await stack.enter_async_context(subject())
            session = await stack.enter_async_context(aiohttp.ClientSession())
            await block(session, url)  # warm connections and caches
            targets.append((name, session, url))
        for index in range(blocks):
            shift = index % len(targets)
            for name, session, url in targets[shift:] + targets[:shift]:
                times[name].append(await block(session, url))
    async with SUBJECTS[PEER]() as url, aiohttp.ClientSession() as session:
        await block(session, url)
        for _ in range(blocks):
            times[PEER].append(await block(session, url))
    return times


async def measure(block: Block, blocks: int, size: int) -> dict[str, float]:
    """Median per-request seconds of every subject, over all its blocks.

    A burst of noise from elsewhere on the machine slows a few blocks; the
    median over every block of every round ignores them.
    """
    samples: dict[str, list[float]] = {name: [] for name in SUBJECTS}
    for _ in range(ROUNDS):
        for name, times in (await _one_round(block, blocks)).items():
            samples[name].extend(seconds / size for seconds in times)
    return {name: statistics.median(values) for name, values in samples.items()}


async def enter_exit(external: bool) -> float:
    """Median seconds for one ``async with aiointercept(...)``, enter to exit."""
    samples = []
    for _ in range(ENTER_EXIT):
        start = time.perf_counter()
        async with aiointercept(mock_external_urls=external):
            pass
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _table(title: str, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


def _request_rows(results: dict[str, float]) -> list[tuple[str, ...]]:
    floor = results[FLOOR]
    peer = results[PEER]
    return [
        (
            name,
            f"{seconds * 1e6:8.1f} us",
            f"{seconds / floor:5.2f}x",
            f"{seconds / peer:5.2f}x",
        )
        for name, seconds in results.items()
    ]


async def run() -> None:
    seq = await measure(_sequential_block, SEQUENTIAL // BLOCK, BLOCK)
    conc = await measure(_concurrent_block, CONCURRENT_ROUNDS, CONCURRENT)
    header = ("subject", "per request", "vs plain server", "vs aioresponses")
    _table(
        f"{SEQUENTIAL} sequential GETs per subject and round, in blocks of "
        f"{BLOCK} (median block of {ROUNDS} rounds)",
        header,
        _request_rows(seq),
    )
    _table(
        f"{CONCURRENT_ROUNDS} x {CONCURRENT} concurrent GETs per subject and "
        f"round (median round of {ROUNDS})",
        header,
        _request_rows(conc),
    )

    small = {external: await enter_exit(external) for external in (False, True)}
    heap: list[list[int]] = [[] for _ in range(BIG_HEAP_OBJECTS)]  # gc-tracked objects
    gc.collect()
    large = {external: await enter_exit(external) for external in (False, True)}
    tracked = len(gc.get_objects())  # the benchmark may walk the heap; the mock not
    del heap
    rows: list[tuple[str, ...]] = [
        (
            "mock_external_urls=True" if external else "server_url (default)",
            f"{small[external] * 1e3:6.3f} ms",
            f"{large[external] * 1e3:6.3f} ms",
            f"{large[external] / small[external]:5.2f}x",
        )
        for external in (False, True)
    ]
    _table(
        f"enter + exit, median of {ENTER_EXIT} (large heap: {tracked:,} objects)",
        ("mode", "small heap", "large heap", "large / small"),
        rows,
    )


REFERENCE_ROUNDS = 5
_REFERENCE_SCRIPT = Path(__file__).with_name("aiointercept_reference.py")


def reference() -> None:
    """This aiointercept beside the published one (1.0.0), interleaved.

    Each round runs ``aiointercept_reference.py`` once under this venv's
    python and once under ``AIOINTERCEPT_REFERENCE_PYTHON`` (a venv with the
    published package), alternating which goes first; every figure is the
    median of the rounds, with the spread (lowest - highest).
    """
    other = os.environ.get("AIOINTERCEPT_REFERENCE_PYTHON")
    if not other:
        print(
            "\n(published aiointercept: set AIOINTERCEPT_REFERENCE_PYTHON to a "
            "python with aiointercept==1.0.0 installed to compare)"
        )
        return
    runs: dict[str, list[dict[str, float]]] = {"this project": [], "published": []}
    pythons = {"this project": sys.executable, "published": other}
    for index in range(REFERENCE_ROUNDS):
        order = list(pythons) if index % 2 == 0 else list(reversed(pythons))
        for name in order:
            out = subprocess.run(
                [pythons[name], str(_REFERENCE_SCRIPT)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            runs[name].append(json.loads(out))
    keys = list(runs["this project"][0])
    rows = []
    for key in keys:
        row = [key]
        for name in pythons:
            values = [run[key] for run in runs[name]]
            row.append(
                f"{statistics.median(values) * 1e6:7.1f} us "
                f"({min(values) * 1e6:.0f}-{max(values) * 1e6:.0f})"
            )
        rows.append(tuple(row))
    _table(
        f"this aiointercept beside the published one, {REFERENCE_ROUNDS} "
        "interleaved rounds (median, spread); per request, and enter + exit",
        ("figure", "this project", "published"),
        rows,
    )


def main() -> None:
    asyncio.run(run())
    reference()


if __name__ == "__main__":
    main()
