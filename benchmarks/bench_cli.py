"""The ``interposition`` command: serve under load, convert, audit.

1. ``serve`` under bounded load on loopback: CONNECTIONS keep-alive
   connections for SECONDS, from an asyncio load generator in this process
   (each connection sends a GET, reads the whole response, sends the next).
   Beside it, in the same run and interleaved round by round, a plain
   ``aiohttp.web`` server (its own process, like ``serve``) answering the same
   bodies from a dict. Figures: requests/s, p50 and p99 latency, errors, and
   the server's RSS at start and end.
2. ``convert`` of a 10,000-interaction vcrpy YAML cassette (written by
   vcrpy's own serializer) to our JSON: the whole command's wall time and
   peak RSS, against a process in which vcrpy loads the same file
   (``vcr.cassette.Cassette.load``), interleaved.
3. ``audit`` of a tree of 1,000 cassettes (5 interactions each, YAML): the
   whole command's wall time.

Each figure is the median of ROUNDS interleaved rounds, with min and max.
Run: ``python -m benchmarks cli``; BENCH_ROUNDS (5), BENCH_SECONDS (8),
BENCH_CONNECTIONS (32) change the defaults.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_vcrpy_format import INTERACTIONS
from benchmarks.bench_vcrpy_format import _write_cassette as write_vcrpy_cassette
from interposition import Cassette
from interposition.http import HttpRequest, HttpResponse, to_interaction
from interposition.stores import store_for_path

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
PATHS = 100
HOST = "http://api.example.test"

_AIOHTTP_SERVER = r"""
import json, sys
from aiohttp import web
bodies = json.load(open(sys.argv[1]))
async def handle(request):
    body = bodies.get(request.path_qs)
    if body is None:
        return web.Response(status=404)
    return web.Response(body=body.encode(), content_type="application/json")
app = web.Application()
app.router.add_route("GET", "/{tail:.*}", handle)
async def main():
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    print(f"Serving aiohttp on http://127.0.0.1:{port}", flush=True)
    import asyncio
    await asyncio.Event().wait()
import asyncio
asyncio.run(main())
"""


def body_of(i: int) -> str:
    return json.dumps({"id": i, "name": f"item {i}", "tags": ["a", "b"], "n": i * 7})


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def _client(
    port: int, paths: list[str], deadline: float, latencies: list[float]
) -> int:
    errors = 0
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = 0
    try:
        while time.perf_counter() < deadline:
            path = paths[i % len(paths)]
            i += 1
            start = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            if not head.startswith(b"HTTP/1.1 200"):
                errors += 1
    except (ConnectionError, asyncio.IncompleteReadError):
        errors += 1
    finally:
        writer.close()
    return errors


async def _load(port: int, seconds: float) -> dict[str, float]:
    paths = [f"/v1/items/{i}" for i in range(PATHS)]
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    errors = await asyncio.gather(
        *(_client(port, paths, deadline, latencies) for _ in range(CONNECTIONS))
    )
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
        "errors": float(sum(errors)),
    }


def _start(command: list[str]) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    return process, int(line.rsplit(":", 1)[1])


def _measure(command: list[str]) -> dict[str, float]:
    process, port = _start(command)
    try:
        asyncio.run(_load(port, 0.5))  # warm-up
        start_rss = rss_kib(process.pid)
        result = asyncio.run(_load(port, SECONDS))
        result["rss_start_mib"] = start_rss / 1024
        result["rss_end_mib"] = rss_kib(process.pid) / 1024
        return result
    finally:
        process.terminate()
        process.wait(timeout=15)


def _summary(values: list[float], unit: str, digits: int = 2) -> str:
    return (
        f"median {statistics.median(values):.{digits}f} {unit} "
        f"(min {min(values):.{digits}f}, max {max(values):.{digits}f})"
    )


def bench_serve(directory: Path) -> None:
    cassette = directory / "serve.yaml"
    interactions = tuple(
        to_interaction(
            HttpRequest("GET", f"{HOST}/v1/items/{i}"),
            HttpResponse(
                200,
                "OK",
                (("Content-Type", "application/json"),),
                body_of(i).encode(),
            ),
        )
        for i in range(PATHS)
    )
    store_for_path(cassette, create_if_missing=True).save(
        Cassette(interactions=interactions)
    )
    bodies = directory / "bodies.json"
    bodies.write_text(json.dumps({f"/v1/items/{i}": body_of(i) for i in range(PATHS)}))
    serve = [sys.executable, "-m", "interposition", "serve", str(cassette)]
    baseline = [sys.executable, "-c", _AIOHTTP_SERVER, str(bodies)]
    ours: list[dict[str, float]] = []
    theirs: list[dict[str, float]] = []
    for _ in range(ROUNDS):
        ours.append(_measure(serve))
        theirs.append(_measure(baseline))
    print(
        f"serve: {CONNECTIONS} keep-alive connections, {SECONDS:g} s a round, "
        f"{ROUNDS} rounds interleaved, {PATHS} distinct GETs"
    )
    for name, results in (("interposition serve", ours), ("aiohttp.web", theirs)):
        print(f"  {name}:")
        for key, unit in (("rps", "req/s"), ("p50_ms", "ms"), ("p99_ms", "ms")):
            print(f"    {key:<6} {_summary([r[key] for r in results], unit)}")
        print(f"    errors {sum(r['errors'] for r in results):.0f} in all rounds")
        start = _summary([r["rss_start_mib"] for r in results], "MiB", 1)
        end = _summary([r["rss_end_mib"] for r in results], "MiB", 1)
        print(f"    RSS    start {start}; end {end}")
    ratio = [o["p50_ms"] / t["p50_ms"] for o, t in zip(ours, theirs, strict=True)]
    print(f"  p50 serve / aiohttp.web (per round): {_summary(ratio, 'x')}")


_VCRPY_LOAD = r"""
import sys
from vcr.cassette import Cassette
from vcr.serializers import yamlserializer
cassette = Cassette.load(
    path=sys.argv[1], serializer=yamlserializer, record_mode="none"
)
assert len(cassette) > 0
"""


def _timed(command: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of one child process."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0,):
        assert process.stderr is not None
        raise SystemExit(f"{command} failed: {process.stderr.read().decode()}")
    if process.stderr is not None:
        process.stderr.close()
    return elapsed, usage.ru_maxrss / 1024


def bench_convert(directory: Path) -> None:
    source = directory / "vcrpy-10k.yaml"
    write_vcrpy_cassette(source)
    target = directory / "converted.json"
    ours: list[tuple[float, float]] = []
    theirs: list[tuple[float, float]] = []
    for _ in range(ROUNDS):
        ours.append(
            _timed(
                [
                    sys.executable,
                    "-m",
                    "interposition",
                    "convert",
                    str(source),
                    str(target),
                    "--force",
                ]
            )
        )
        theirs.append(_timed([sys.executable, "-c", _VCRPY_LOAD, str(source)]))
    size = source.stat().st_size / 1e6
    print(
        f"convert: {INTERACTIONS} interactions, {size:.1f} MB of vcrpy YAML -> our "
        f"JSON; {ROUNDS} rounds interleaved, whole processes"
    )
    print(f"  interposition convert: {_summary([s for s, _ in ours], 's')}")
    print(f"  vcrpy load:            {_summary([s for s, _ in theirs], 's')}")
    ratio = [t[0] / o[0] for o, t in zip(ours, theirs, strict=True)]
    print(f"  vcrpy load / convert (per round): {_summary(ratio, 'x')}")
    print(f"  peak RSS, convert:     {_summary([m for _, m in ours], 'MiB', 1)}")
    print(f"  peak RSS, vcrpy load:  {_summary([m for _, m in theirs], 'MiB', 1)}")


def bench_audit(directory: Path) -> None:
    tree = directory / "tree"
    for n in range(1000):
        interactions = tuple(
            to_interaction(
                HttpRequest(
                    "GET",
                    f"{HOST}/v1/items/{n}/{i}?page=1",
                    (("Authorization", "Bearer REDACTED"), ("Accept", "*/*")),
                ),
                HttpResponse(
                    200,
                    "OK",
                    (("Content-Type", "application/json"),),
                    body_of(i).encode(),
                ),
            )
            for i in range(5)
        )
        path = tree / f"group{n % 20:02d}" / f"cassette{n:04d}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        store_for_path(path, create_if_missing=True).save(
            Cassette(interactions=interactions)
        )
    times = [
        _timed([sys.executable, "-m", "interposition", "audit", str(tree)])[0]
        for _ in range(ROUNDS)
    ]
    print(f"audit: 1,000 cassettes x 5 interactions (YAML), {ROUNDS} rounds")
    print(f"  interposition audit: {_summary(times, 's')}")


def main(argv: list[str] | None = None) -> None:
    parts = argv or ["serve", "convert", "audit"]
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        if "serve" in parts:
            bench_serve(directory)
        if "convert" in parts:
            bench_convert(directory)
        if "audit" in parts:
            bench_audit(directory)


if __name__ == "__main__":
    main(sys.argv[1:])
