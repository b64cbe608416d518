"""Loading a 10,000-interaction vcrpy YAML cassette: us against vcrpy.

The cassette is written by vcrpy's own YAML serializer (requests-shaped
interactions: text, JSON, form and gzip bodies, five headers a side). Each
measurement runs in a fresh process (``python -c``) that loads the file and
reports its wall time and the rise of its peak RSS (``ru_maxrss`` after the
load minus the RSS just before it, imports done; Linux). Repeats are
interleaved (us, vcrpy, us, vcrpy...) so both see the same machine; medians
and min-max are reported.

"Us" is ``CassetteSession(path, record_mode="none")``: load, convert and
index, ready to replay. "vcrpy" is ``vcr.cassette.Cassette.load(path=...)``:
its load, ready to replay.

Run: ``python -m benchmarks vcrpy-format`` (REPEATS=5 by default; set the
environment variable BENCH_REPEATS to change it).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

INTERACTIONS = 10_000
REPEATS = int(os.environ.get("BENCH_REPEATS", "5"))

_CHILD = r"""
import json, resource, sys, time
which, path = sys.argv[1], sys.argv[2]
if which == "ours":
    from interposition.http import CassetteSession
    def load():
        return len(CassetteSession(path, record_mode="none").interactions)
else:
    from vcr.cassette import Cassette
    from vcr.serializers import yamlserializer
    def load():
        cassette = Cassette.load(
            path=path, serializer=yamlserializer, record_mode="none"
        )
        return len(cassette)
with open("/proc/self/statm") as statm:
    before = int(statm.read().split()[1]) * resource.getpagesize() // 1024
start = time.perf_counter()
count = load()
elapsed = time.perf_counter() - start
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": elapsed, "rss_kib": after - before, "count": count}))
"""


def _write_cassette(path: Path) -> None:
    from vcr.serializers import yamlserializer

    interactions = []
    for i in range(INTERACTIONS):
        kind = i % 4
        uri = f"http://api.example.test/items/{i}?page={i % 7}&q=x+y"
        headers = {
            "Accept": ["*/*"],
            "Accept-Encoding": ["gzip, deflate"],
            "Connection": ["keep-alive"],
            "User-Agent": ["python-requests/2.32.3"],
        }
        body: str | None = None
        if kind == 1:
            body = json.dumps({"id": i, "name": f"item {i}", "tags": ["a", "b"]})
            headers["Content-Type"] = ["application/json"]
        elif kind == 2:
            body = f"field=value+{i}&other=%C3%A9"
            headers["Content-Type"] = ["application/x-www-form-urlencoded"]
        text = json.dumps({"id": i, "ok": True, "items": list(range(i % 10))})
        response_headers = {
            "Content-Type": ["application/json"],
            "Content-Length": [str(len(text))],
            "Date": ["Wed, 02 Dec 2026 00:53:46 GMT"],
            "Server": ["BaseHTTP/0.6 Python/3.11.7"],
            "X-Request-Id": [f"req-{i:08d}"],
        }
        if kind == 3:
            response_headers["Content-Encoding"] = ["gzip"]  # stored decoded
        interactions.append(
            {
                "request": {
                    "body": body,
                    "headers": headers,
                    "method": "POST" if body else "GET",
                    "uri": uri,
                },
                "response": {
                    "body": {"string": text},
                    "headers": response_headers,
                    "status": {"code": 200, "message": "OK"},
                },
            }
        )
    path.write_text(
        yamlserializer.serialize({"interactions": interactions, "version": 1})
    )


def _run(which: str, path: Path) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, "-c", _CHILD, which, str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, float] = json.loads(output)
    if result["count"] != INTERACTIONS:
        msg = f"{which} loaded {result['count']} interactions"
        raise SystemExit(msg)
    return result


def _summary(values: list[float], unit: str, scale: float = 1.0) -> str:
    scaled = [v * scale for v in values]
    return (
        f"median {statistics.median(scaled):.3f} {unit} "
        f"(min {min(scaled):.3f}, max {max(scaled):.3f})"
    )


def main() -> None:
    """Write the cassette, load it REPEATS times each way, print the figures."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "vcrpy-10k.yaml"
        _write_cassette(path)
        size = path.stat().st_size / 1e6
        print(f"cassette: {INTERACTIONS} interactions, {size:.1f} MB (vcrpy's YAML)")
        ours: list[dict[str, float]] = []
        theirs: list[dict[str, float]] = []
        for _ in range(REPEATS):
            ours.append(_run("ours", path))
            theirs.append(_run("vcrpy", path))
    ours_s = [r["seconds"] for r in ours]
    theirs_s = [r["seconds"] for r in theirs]
    ratios = [t / o for o, t in zip(ours_s, theirs_s, strict=True)]
    print(f"repeats: {REPEATS}, interleaved, each in a fresh process")
    print(f"interposition load: {_summary(ours_s, 's')}")
    print(f"vcrpy load:         {_summary(theirs_s, 's')}")
    print(f"vcrpy / interposition (per repeat): {_summary(ratios, 'x')}")
    mib = 1 / 1024
    print(
        "peak RSS rise, interposition: "
        f"{_summary([r['rss_kib'] for r in ours], 'MiB', mib)}"
    )
    print(
        "peak RSS rise, vcrpy:         "
        f"{_summary([r['rss_kib'] for r in theirs], 'MiB', mib)}"
    )


if __name__ == "__main__":
    main()
