"""HTTP replay through ``requests``, side by side with the peers.

For N = 1,000 and 10,000 distinct GETs recorded in one cassette, measures the
time per request to replay them through a ``requests.Session`` with:

* ``interposition`` (``use_cassette``, record_mode ``none``);
* ``vcrpy`` (record_mode ``none``, the same interactions in its format);
* ``cassetter`` (record_mode ``none``, the same interactions);
* ``responses`` (the same interactions registered as responses);
* the floor: a requests transport adapter that returns a prebuilt response
  and matches nothing.

vcrpy and responses scan every recording on every request, so they replay a
uniform sample of the requests; the others replay all N. Also measured: the
time to load each cassette (file to a usable, indexed cassette) and to save
it. Every figure is the median of several rounds.

Run: ``python -m benchmarks http`` or ``python benchmarks/bench_http.py``.
"""

from __future__ import annotations

import gc
import json
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import yaml
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from interposition import Cassette, JsonFileCassetteStore
from interposition.http import (
    CassetteSession,
    HttpRequest,
    HttpResponse,
    to_interaction,
    use_cassette,
)

SIZES = (1_000, 10_000)
ROUNDS = 5
SCAN_SAMPLE = {1_000: 100, 10_000: 20}
BLOCK = {1_000: 250, 10_000: 1_000}
HOST = "http://api.example.test"


def url_of(i: int) -> str:
    return f"{HOST}/v1/items/{i}?expand=owner"


def body_of(i: int) -> bytes:
    return json.dumps({"id": i, "name": f"item {i}", "owner": {"id": i % 97}}).encode()


RESPONSE_HEADERS = {"Content-Type": "application/json"}


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def _timed(function: Callable[[], object]) -> float:
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        function()
        return time.perf_counter() - start
    finally:
        gc.enable()


def _timed_replay(session: requests.Session, indices: list[int]) -> float:
    return _timed(lambda: _replay(session, indices))


def _sample(n: int, count: int) -> list[int]:
    step = max(1, n // count)
    return list(range(0, n, step))[:count]


def _replay(session: requests.Session, indices: list[int]) -> None:
    for i in indices:
        response = session.get(url_of(i))
        assert response.status_code == 200, response.status_code
        assert response.content == body_of(i)


# -- interposition ------------------------------------------------------------


def ours_write(path: Path, n: int) -> None:
    interactions = tuple(
        to_interaction(
            HttpRequest("GET", url_of(i), (("Accept", "*/*"),)),
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
        for i in range(n)
    )
    JsonFileCassetteStore(path).save(Cassette(interactions=interactions))


@contextmanager
def ours_session(path: Path) -> Iterator[requests.Session]:
    with use_cassette(path, record_mode="none"), requests.Session() as session:
        yield session


def ours_load(path: Path) -> float:
    return _timed(lambda: CassetteSession(path, record_mode="none"))


def ours_save(path: Path, target: Path) -> float:
    cassette = JsonFileCassetteStore(path).load()
    return _timed(lambda: JsonFileCassetteStore(target).save(cassette))


# -- vcrpy ----------------------------------------------------------------------


def vcr_write(path: Path, n: int) -> None:
    document = {
        "version": 1,
        "interactions": [
            {
                "request": {
                    "body": None,
                    "headers": {"Accept": ["*/*"]},
                    "method": "GET",
                    "uri": url_of(i),
                },
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {
                        "Content-Type": ["application/json"],
                        "Content-Length": [str(len(body_of(i)))],
                    },
                    "body": {"string": body_of(i).decode()},
                },
            }
            for i in range(n)
        ],
    }
    path.write_text(json.dumps(document))


@contextmanager
def vcr_session(path: Path) -> Iterator[requests.Session]:
    import vcr

    recorder = vcr.VCR(record_mode="none", serializer="json")
    with recorder.use_cassette(str(path)), requests.Session() as session:
        yield session


def vcr_load(path: Path) -> float:
    from vcr.cassette import Cassette as VcrCassette
    from vcr.serializers import jsonserializer

    return _timed(
        lambda: VcrCassette.load(
            path=str(path), serializer=jsonserializer, record_mode="none"
        )
    )


def vcr_save(path: Path, target: Path) -> float:
    from vcr.cassette import Cassette as VcrCassette
    from vcr.serializers import jsonserializer

    cassette = VcrCassette.load(
        path=str(path), serializer=jsonserializer, record_mode="none"
    )
    cassette._path = str(target)
    return _timed(lambda: cassette._save(force=True))


# -- cassetter ------------------------------------------------------------------


def cassetter_write(path: Path, n: int) -> None:
    from cassetter import Cassette as CassetterCassette
    from cassetter import RecordMode

    cassette = CassetterCassette(path, record_mode=RecordMode.ALL)
    cassette.load()
    for i in range(n):
        body = body_of(i)
        cassette.record(
            "GET",
            url_of(i),
            {"Accept": ["*/*"]},
            None,
            200,
            {"Content-Type": ["application/json"], "Content-Length": [str(len(body))]},
            body,
        )
    cassette.save()


@contextmanager
def cassetter_session(path: Path) -> Iterator[requests.Session]:
    import cassetter

    with (
        cassetter.use_cassette(path, record_mode="none", intercept=["requests"]),
        requests.Session() as session,
    ):
        yield session


def cassetter_load(path: Path) -> float:
    from cassetter import Cassette as CassetterCassette
    from cassetter import RecordMode

    return _timed(lambda: CassetterCassette(path, record_mode=RecordMode.NONE).load())


def cassetter_save(path: Path, target: Path) -> float:
    from cassetter import Cassette as CassetterCassette
    from cassetter import RecordMode

    cassette = CassetterCassette(path, record_mode=RecordMode.NONE)
    cassette.load()
    cassette._path = str(target)
    cassette._dirty = True
    return _timed(cassette.save)


# -- responses ------------------------------------------------------------------


def responses_write(path: Path, n: int) -> None:
    document = {
        "responses": [
            {
                "response": {
                    "method": "GET",
                    "url": url_of(i),
                    "body": body_of(i).decode(),
                    "status": 200,
                    "headers": {"X-Item": str(i)},
                    "content_type": "application/json",
                    "auto_calculate_content_length": False,
                }
            }
            for i in range(n)
        ]
    }
    path.write_text(yaml.safe_dump(document))


@contextmanager
def responses_session(path: Path) -> Iterator[requests.Session]:
    import responses

    with (
        responses.RequestsMock(assert_all_requests_are_fired=False) as mock,
        requests.Session() as session,
    ):
        mock._add_from_file(str(path))
        yield session


def responses_load(path: Path) -> float:
    import responses

    def load() -> None:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            mock._add_from_file(str(path))

    return _timed(load)


def responses_save(path: Path, target: Path) -> float:
    import responses
    from responses import _recorder

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock._add_from_file(str(path))
        registered = list(mock.registered())

    def save() -> None:
        with target.open("w") as file:
            _recorder._dump(registered, file, yaml.dump)

    return _timed(save)


# -- the floor --------------------------------------------------------------------


class FloorAdapter(BaseAdapter):
    """Returns a prebuilt response, matching nothing."""

    def __init__(self) -> None:
        super().__init__()
        self._bodies: dict[str, bytes] = {}

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        response = requests.Response()
        response.status_code = 200
        response.reason = "OK"
        response.headers = CaseInsensitiveDict(RESPONSE_HEADERS)
        response._content = self._bodies[request.url or ""]
        response.url = request.url or ""
        response.request = request
        response.connection = self  # type: ignore[assignment]
        return response

    def close(self) -> None:
        pass


def floor_writer(path: Path, n: int) -> None:
    path.write_text(json.dumps(n))


@contextmanager
def floor_session(path: Path) -> Iterator[requests.Session]:
    n = json.loads(path.read_text())
    adapter = FloorAdapter()
    adapter._bodies = {url_of(i): body_of(i) for i in range(n)}
    with requests.Session() as session:
        session.mount(HOST, adapter)
        yield session


# -- the run ------------------------------------------------------------------------

Opener = Callable[[Path], AbstractContextManager[requests.Session]]


@dataclass(frozen=True)
class Tool:
    name: str
    write: Callable[[Path, int], None]
    suffix: str
    session: Opener
    load: Callable[[Path], float] | None
    save: Callable[[Path, Path], float] | None
    scans: bool  # scans every recording per request: replay a sample only


TOOLS: list[Tool] = [
    Tool(
        "interposition", ours_write, "json", ours_session, ours_load, ours_save, False
    ),
    Tool("vcrpy", vcr_write, "json", vcr_session, vcr_load, vcr_save, True),
    Tool(
        "cassetter",
        cassetter_write,
        "toml",  # its YAML loader refuses 10,000 interactions (node budget)
        cassetter_session,
        cassetter_load,
        cassetter_save,
        False,
    ),
    Tool(
        "responses",
        responses_write,
        "yaml",
        responses_session,
        responses_load,
        responses_save,
        True,
    ),
    Tool("floor", floor_writer, "json", floor_session, None, None, False),
]


def _blocks(indices: list[int], size: int) -> list[list[int]]:
    return [indices[start : start + size] for start in range(0, len(indices), size)]


def measure(n: int, directory: Path) -> dict[str, dict[str, float]]:
    """Per-request replay, load and save (seconds) for each tool at size n.

    The tools that replay all N requests take turns by blocks of BLOCK
    requests (each block in a freshly entered cassette, its entry not timed),
    in an order that rotates, so that load from elsewhere on the machine hits
    them alike; the ratios are the figures to read. The scanning tools
    replay a uniform sample, once per round.
    """
    every = list(range(n))
    paths = {tool.name: directory / f"{tool.name}-{n}.{tool.suffix}" for tool in TOOLS}
    for tool in TOOLS:
        tool.write(paths[tool.name], n)
    replays: dict[str, list[float]] = {tool.name: [] for tool in TOOLS}
    loads: dict[str, list[float]] = {tool.name: [] for tool in TOOLS}
    saves: dict[str, list[float]] = {tool.name: [] for tool in TOOLS}
    full = [tool for tool in TOOLS if not tool.scans]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for round_number in range(ROUNDS):
            totals = dict.fromkeys((tool.name for tool in full), 0.0)
            for block_number, block in enumerate(_blocks(every, BLOCK[n])):
                shift = (round_number + block_number) % len(full)
                for tool in full[shift:] + full[:shift]:
                    with tool.session(paths[tool.name]) as session:
                        totals[tool.name] += _timed_replay(session, block)
            for name, total in totals.items():
                replays[name].append(total / n)
            for tool in TOOLS:
                path = paths[tool.name]
                if tool.scans:
                    sample = _sample(n, SCAN_SAMPLE[n])
                    with tool.session(path) as session:
                        elapsed = _timed_replay(session, sample)
                    replays[tool.name].append(elapsed / len(sample))
                if tool.load is not None and tool.save is not None:
                    target = directory / f"{tool.name}-{n}-{round_number}.{tool.suffix}"
                    loads[tool.name].append(tool.load(path))
                    saves[tool.name].append(tool.save(path, target))
    nan = float("nan")
    return {
        tool.name: {
            "replay": _median(replays[tool.name]),
            "load": _median(loads[tool.name]) if loads[tool.name] else nan,
            "save": _median(saves[tool.name]) if saves[tool.name] else nan,
            "sample": float(SCAN_SAMPLE[n] if tool.scans else n),
        }
        for tool in TOOLS
    }


def _format_us(seconds: float) -> str:
    return "-" if seconds != seconds else f"{seconds * 1e6:,.1f}"


def _format_ms(seconds: float) -> str:
    return "-" if seconds != seconds else f"{seconds * 1e3:,.1f}"


def run() -> dict[int, dict[str, dict[str, float]]]:
    with tempfile.TemporaryDirectory() as tmp:
        return {n: measure(n, Path(tmp)) for n in SIZES}


def table(all_results: dict[int, dict[str, dict[str, float]]]) -> Iterator[str]:
    yield (
        f"{'N':>6}  {'tool':<14} {'replay us/req':>13} {'vs floor':>9} "
        f"{'load ms':>9} {'save ms':>9} {'requests':>8}"
    )
    for n, results in all_results.items():
        floor = results["floor"]["replay"]
        for name, figures in results.items():
            yield (
                f"{n:>6}  {name:<14} {_format_us(figures['replay']):>13} "
                f"{figures['replay'] / floor:>8.2f}x {_format_ms(figures['load']):>9} "
                f"{_format_ms(figures['save']):>9} {int(figures['sample']):>8}"
            )
    ours = {n: all_results[n]["interposition"]["replay"] for n in all_results}
    small, large = min(ours), max(ours)
    yield ""
    ratio = ours[large] / ours[small]
    yield f"interposition replay, N={large:,} vs N={small:,}: {ratio:.2f}x"
    for n, r in all_results.items():
        yield (
            f"N={n:,}: vcrpy / interposition = "
            f"{r['vcrpy']['replay'] / r['interposition']['replay']:,.0f}x; "
            f"cassetter / interposition: replay "
            f"{r['cassetter']['replay'] / r['interposition']['replay']:.2f}x, load "
            f"{r['cassetter']['load'] / r['interposition']['load']:.2f}x, save "
            f"{r['cassetter']['save'] / r['interposition']['save']:.2f}x"
        )


def main() -> None:
    """Run the HTTP benchmark and print the table."""
    for line in table(run()):
        print(line)


if __name__ == "__main__":
    main()
