"""One round of the aiointercept scenarios, for whichever aiointercept imports.

Run by ``bench_aiohttp`` with two interpreters, alternately: this project's
venv, and one with the published ``aiointercept`` installed (its import name
is ours, so it cannot share a venv; set ``AIOINTERCEPT_REFERENCE_PYTHON`` to
that venv's python, e.g. one made with ``python -m venv /tmp/ai100 &&
/tmp/ai100/bin/pip install aiointercept==1.0.0``). Each process measures
aiointercept against a plain ``aiohttp.web`` server in its own loop, and
prints JSON: per-request seconds and enter + exit seconds, medians.

Standalone on purpose: it imports nothing of this repository.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from aiohttp import web

from aiointercept import aiointercept

BLOCK = 100
BLOCKS = 10
CONCURRENT = 200
ENTER_EXIT = 500
PAYLOAD = {"ok": True, "items": [1, 2, 3]}


@asynccontextmanager
async def plain() -> AsyncIterator[str]:
    body = json.dumps(PAYLOAD).encode()

    async def handle(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/bench", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/bench"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def mock(external: bool) -> AsyncIterator[str]:
    async with aiointercept(mock_external_urls=external) as m:
        url = "http://api.example.com/bench" if external else f"{m.server_url}/bench"
        m.get(url, payload=PAYLOAD, repeat=True)
        yield url


async def fetch(session: aiohttp.ClientSession, url: str) -> None:
    async with session.get(url) as resp:
        await resp.json()


async def sequential(session: aiohttp.ClientSession, url: str) -> float:
    start = time.perf_counter()
    for _ in range(BLOCK):
        await fetch(session, url)
    return (time.perf_counter() - start) / BLOCK


async def concurrent(session: aiohttp.ClientSession, url: str) -> float:
    start = time.perf_counter()
    await asyncio.gather(*(fetch(session, url) for _ in range(CONCURRENT)))
    return (time.perf_counter() - start) / CONCURRENT


async def one_round() -> dict[str, float]:
    subjects = {
        "plain": plain(),
        "server_url": mock(False),
        "mock_external_urls": mock(True),
    }
    results: dict[str, float] = {}
    for label, block in (("seq", sequential), ("conc", concurrent)):
        samples: dict[str, list[float]] = {name: [] for name in subjects}
        for name, subject in (
            ("plain", plain()),
            ("server_url", mock(False)),
            ("mock_external_urls", mock(True)),
        ):
            async with subject as url, aiohttp.ClientSession() as session:
                await block(session, url)  # warm up
                for _ in range(BLOCKS):
                    samples[name].append(await block(session, url))
        for name, values in samples.items():
            results[f"{label} {name}"] = statistics.median(values)
    for subject in subjects.values():
        del subject
    for external in (False, True):
        times = []
        for _ in range(ENTER_EXIT):
            start = time.perf_counter()
            async with aiointercept(mock_external_urls=external):
                pass
            times.append(time.perf_counter() - start)
        key = "mock_external_urls" if external else "server_url"
        results[f"enter+exit {key}"] = statistics.median(times)
    return results


if __name__ == "__main__":
    print(json.dumps(asyncio.run(one_round())))
    sys.stdout.flush()
