"""The pytest plugin end to end: a generated suite, against pytest-recording.

A generated suite of N tests, each ``@pytest.mark.vcr`` replaying its own
20-interaction vcrpy-format cassette through requests, is run (a pytest
subprocess, wall time) four ways on the same files, rounds interleaved:

- ``interposition``: our plugin (record mode none, the default);
- ``pytest-recording``: pytest-recording + vcrpy, in a venv of their own
  (``INTERPOSITION_BENCH_RECORDING_PYTHON``, default
  ``.venv-recording/bin/python``; ``make bench-pytest-plugin`` builds it);
- ``floor``: the same tests with no plugin, requests answered by an adapter
  returning prebuilt responses (pytest's and requests' own cost);
- and, for the per-test overhead without the marker, M trivial tests run
  with our plugin and with ``-p no:interposition`` (the package imported by
  a conftest in both, so that start-up cost cancels out).

Targets (issue 8): >= 5x faster than pytest-recording, within 1.3x of the
floor, <= 20 us of plugin overhead per unmarked test.

Run: ``python -m benchmarks pytest-plugin`` (``BENCH_TESTS`` changes N).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

N = int(os.environ.get("BENCH_TESTS", "200"))
INTERACTIONS = 20
UNMARKED = 4000
ROUNDS = 5
ROOT = Path(__file__).resolve().parent.parent
RECORDING_PYTHON = os.environ.get(
    "INTERPOSITION_BENCH_RECORDING_PYTHON",
    str(ROOT / ".venv-recording" / "bin" / "python"),
)
FLAGS = (
    "-q", "-W", "error", "-p", "no:cacheprovider", "-p", "no:asyncio",
    "-p", "no:hypothesispytest", "-p", "no:xdist", "-p", "no:anyio",
    "-p", "no:cassetter",  # a peer in the bench venv, with its own --record-mode
)  # fmt: skip

CONFTEST = """
import os

import pytest

if os.environ.get("BENCH_FLOOR"):
    import requests
    from requests.adapters import BaseAdapter
    from requests.structures import CaseInsensitiveDict

    BODIES = {}

    class Prebuilt(BaseAdapter):
        def send(self, request, **kwargs):
            response = requests.Response()
            response.status_code = 200
            response.reason = "OK"
            response.headers = CaseInsensitiveDict(
                {"Content-Type": "application/json"}
            )
            response._content = BODIES.setdefault(
                request.url, ('{"url": "%s"}' % request.url).encode()
            )
            response.url = request.url
            response.request = request
            return response

        def close(self):
            pass

    @pytest.fixture(autouse=True)
    def prebuilt(monkeypatch):
        monkeypatch.setattr(
            requests.Session, "get_adapter", lambda self, url: Prebuilt()
        )
"""

TEST = """
import pytest
import requests


@pytest.mark.vcr
def test_{n}():
    with requests.Session() as session:
        for j in range({interactions}):
            url = "http://api.bench.test/items/{n}/" + str(j)
            assert session.get(url).json()["url"] == url
"""


def _cassette(n: int) -> str:
    interactions = []
    for j in range(INTERACTIONS):
        url = f"http://api.bench.test/items/{n}/{j}"
        interactions.append(
            {
                "request": {
                    "body": None,
                    "headers": {
                        "Accept": ["*/*"],
                        "Accept-Encoding": ["gzip, deflate"],
                        "Connection": ["keep-alive"],
                        "User-Agent": ["python-requests/2.32.0"],
                    },
                    "method": "GET",
                    "uri": url,
                },
                "response": {
                    "body": {"string": f'{{"url": "{url}"}}'},
                    "headers": {
                        "Content-Type": ["application/json"],
                        "Content-Length": [str(len(url) + 11)],
                    },
                    "status": {"code": 200, "message": "OK"},
                },
            }
        )
    return yaml.safe_dump({"interactions": interactions, "version": 1})


def build_suite(root: Path) -> tuple[Path, Path]:
    """The marked suite (with cassettes) and the unmarked one."""
    marked = root / "marked"
    cassettes = marked / "cassettes"
    marked.mkdir()
    (marked / "conftest.py").write_text(CONFTEST)
    # Declared for the floor's run, which has no plugin to declare it.
    (marked / "pytest.ini").write_text("[pytest]\nmarkers =\n    vcr: cassette\n")
    per_file = 20
    for start in range(0, N, per_file):
        module = f"test_gen_{start:05d}"
        source = "".join(
            TEST.format(n=n, interactions=INTERACTIONS)
            for n in range(start, min(start + per_file, N))
        )
        (marked / f"{module}.py").write_text(source)
        directory = cassettes / module
        directory.mkdir(parents=True)
        for n in range(start, min(start + per_file, N)):
            (directory / f"test_{n}.yaml").write_text(_cassette(n))
    unmarked = root / "unmarked"
    unmarked.mkdir()
    # Imported in both runs, so the difference is the per-test cost alone
    # (importing the package, pydantic included, is a start-up cost).
    (unmarked / "conftest.py").write_text("import interposition.pytest_plugin\n")
    (unmarked / "test_plain.py").write_text(
        "import pytest\n\n\n@pytest.mark.parametrize('n', range("
        f"{UNMARKED}))\ndef test_plain(n):\n    pass\n"
    )
    return marked, unmarked


def _run(python: str, directory: Path, *extra: str, floor: bool = False) -> float:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("BENCH_FLOOR", None)
    if floor:
        env["BENCH_FLOOR"] = "1"
    start = time.perf_counter()
    result = subprocess.run(
        [python, "-m", "pytest", *FLAGS, *extra, str(directory)],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(
            f"{python} -m pytest {' '.join(extra)} {directory} failed:\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return elapsed


def _hook_cost(directory: Path) -> list[float]:
    """Per-test cost of the plugin's collection hook, measured in-process (us).

    The hook is the plugin's only per-test work on a test without the marker
    (it implements no per-test runtest hook), so this is its overhead
    without the subprocess noise of whole runs.
    """
    import pytest

    from interposition.pytest_plugin import pytest_collection_modifyitems

    class Capture:
        def __init__(self) -> None:
            self.items: list[pytest.Item] = []
            self.session: pytest.Session | None = None

        def pytest_collection_finish(self, session: pytest.Session) -> None:
            self.items = list(session.items)
            self.session = session

    capture = Capture()
    pytest.main(
        [*FLAGS[3:], "-qq", "-W", "ignore", "--collect-only", str(directory)],
        plugins=[capture],
    )
    session = capture.session
    assert session is not None
    costs = []
    for _ in range(ROUNDS):
        items = [item for item in capture.items for _ in range(5)]
        start = time.perf_counter()
        pytest_collection_modifyitems(session, session.config, items)
        costs.append((time.perf_counter() - start) / len(items) * 1e6)
    return costs


def _spread(values: list[float]) -> str:
    return f"{min(values):.2f}-{max(values):.2f}"


def main() -> None:
    ours = sys.executable
    have_recording = Path(RECORDING_PYTHON).exists()
    if not have_recording:
        print(
            f"pytest-recording venv not found at {RECORDING_PYTHON}: run "
            "`make bench-pytest-plugin` (or set INTERPOSITION_BENCH_RECORDING_PYTHON)"
        )
    with tempfile.TemporaryDirectory() as tmp:
        marked, unmarked = build_suite(Path(tmp))
        times: dict[str, list[float]] = {
            "interposition": [],
            "pytest-recording": [],
            "floor": [],
            "unmarked (plugin)": [],
            "unmarked (no plugin)": [],
        }
        # A first, unmeasured run of each warms the file cache.
        _run(ours, marked)
        for _ in range(ROUNDS):
            times["interposition"].append(_run(ours, marked))
            if have_recording:
                times["pytest-recording"].append(_run(RECORDING_PYTHON, marked))
            times["floor"].append(
                _run(ours, marked, "-p", "no:interposition", floor=True)
            )
            times["unmarked (plugin)"].append(_run(ours, unmarked))
            times["unmarked (no plugin)"].append(
                _run(ours, unmarked, "-p", "no:interposition")
            )
    print(
        f"{N} tests x {INTERACTIONS} interactions (vcrpy YAML cassettes, requests); "
        f"wall time of the pytest run, median of {ROUNDS} interleaved rounds "
        "(spread min-max)"
    )
    for name in ("interposition", "pytest-recording", "floor"):
        if times[name]:
            values = times[name]
            print(
                f"  {name:18} {statistics.median(values):6.2f} s  ({_spread(values)})"
            )
    ours_median = statistics.median(times["interposition"])
    floor_median = statistics.median(times["floor"])
    if times["pytest-recording"]:
        ratios = [
            r / o
            for r, o in zip(
                times["pytest-recording"], times["interposition"], strict=True
            )
        ]
        print(
            f"  pytest-recording / interposition: {statistics.median(ratios):.1f}x "
            f"({_spread(ratios)}) (target >= 5x)"
        )
    ratios = [
        o / f for o, f in zip(times["interposition"], times["floor"], strict=True)
    ]
    print(
        f"  interposition / floor: {ours_median / floor_median:.2f}x "
        f"(per round {_spread(ratios)}) (target <= 1.3x)"
    )
    overheads = [
        (p - n) / UNMARKED * 1e6
        for p, n in zip(
            times["unmarked (plugin)"], times["unmarked (no plugin)"], strict=True
        )
    ]
    print(
        f"  per-test overhead without the marker, whole runs ({UNMARKED} tests): "
        f"{statistics.median(overheads):.1f} us ({_spread(overheads)})"
    )
    with tempfile.TemporaryDirectory() as tmp:
        _, unmarked = build_suite(Path(tmp))
        hook = _hook_cost(unmarked)
    print(
        "  per-test plugin work without the marker (collection hook, in-process): "
        f"{statistics.median(hook):.2f} us ({_spread(hook)}) (target <= 20 us)"
    )


if __name__ == "__main__":
    main()
