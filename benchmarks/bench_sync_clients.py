"""httplib2 and pycurl: replay through ``use_cassette`` beside a real server.

For each client, the same code makes ``BLOCK`` sequential GETs of distinct
URLs, each answering a small JSON body:

* ``replay``: inside ``use_cassette(record_mode="none")``, from a cassette
  recorded once from the plain server at the start, by the same client;
* ``loopback``: to a plain stdlib ``ThreadingHTTPServer`` on 127.0.0.1 (in
  this process, HTTP/1.1 keep-alive), with no cassette open, so no adapter
  is patched.

Blocks of the two alternate, the first of each round switching sides, so a
burst of machine noise hits both alike. Entering and leaving the cassette
(loading the file) happens between blocks and is not timed: the figure is
the cost of one request. Reported: the median time per request over every
block of every round, and the replay / loopback ratio per round (median,
min and max).

Run: ``python -m benchmarks sync-clients``.
"""

from __future__ import annotations

import gc
import io
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httplib2
import pycurl

from benchmarks._loopback import loopback_server
from interposition.http import use_cassette

BLOCK = 200
BLOCKS = 4
ROUNDS = 7


def body_of(index: int) -> bytes:
    document = {"id": index, "name": f"item {index}", "tags": ["a", "b", "c"]}
    return json.dumps(document).encode()


def _body_for_path(path: str) -> bytes:
    return body_of(int(path.rsplit("/", 1)[1]))


#: Makes one client; returns get(url) -> body, and close().
Client = Callable[[], tuple[Callable[[str], bytes], Callable[[], None]]]


def httplib2_client() -> tuple[Callable[[str], bytes], Callable[[], None]]:
    http = httplib2.Http()

    def get(url: str) -> bytes:
        response, content = http.request(url)
        if response.status != 200:
            raise RuntimeError(response.status)
        return bytes(content)

    return get, http.close


def pycurl_client() -> tuple[Callable[[str], bytes], Callable[[], None]]:
    handle = pycurl.Curl()

    def get(url: str) -> bytes:
        buffer = io.BytesIO()
        handle.setopt(pycurl.URL, url)
        handle.setopt(pycurl.WRITEDATA, buffer)
        handle.perform()
        if handle.getinfo(pycurl.RESPONSE_CODE) != 200:
            raise RuntimeError(handle.getinfo(pycurl.RESPONSE_CODE))
        return buffer.getvalue()

    return get, handle.close


CLIENTS: dict[str, Client] = {"httplib2": httplib2_client, "pycurl": pycurl_client}


def _block(get: Callable[[str], bytes], urls: list[str]) -> float:
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        for url in urls:
            get(url)
        return time.perf_counter() - start
    finally:
        gc.enable()


def measure(name: str, client: Client, base: str, folder: Path) -> None:
    urls = [f"{base}/items/{i}" for i in range(BLOCK)]
    cassette = folder / f"{name}.json"
    with use_cassette(cassette):
        get, close = client()
        for url in urls:
            get(url)
        close()
    live_get, live_close = client()
    _block(live_get, urls)  # warm the connection

    def replay_block() -> float:
        with use_cassette(cassette, record_mode="none") as session:
            get, close = client()
            seconds = _block(get, urls)
            close()
        if not session.all_played:
            raise RuntimeError("replay did not play every recording")
        return seconds

    replay: list[float] = []
    loopback: list[float] = []
    ratios: list[float] = []
    for round_index in range(ROUNDS):
        round_replay: list[float] = []
        round_loopback: list[float] = []
        for block_index in range(BLOCKS):
            if (round_index + block_index) % 2:
                round_replay.append(replay_block())
                round_loopback.append(_block(live_get, urls))
            else:
                round_loopback.append(_block(live_get, urls))
                round_replay.append(replay_block())
        replay += round_replay
        loopback += round_loopback
        ratios.append(
            statistics.median(round_replay) / statistics.median(round_loopback)
        )
    live_close()
    per_replay = statistics.median(replay) / BLOCK
    per_loopback = statistics.median(loopback) / BLOCK
    print(
        f"{name:9s}  replay {per_replay * 1e6:7.1f} us   loopback "
        f"{per_loopback * 1e6:7.1f} us   ratio {statistics.median(ratios):4.2f}x "
        f"(rounds {min(ratios):4.2f}-{max(ratios):4.2f}x)"
    )


def main() -> None:
    print(
        f"{BLOCK} sequential GETs per block, {BLOCKS} blocks of each side per "
        f"round, {ROUNDS} rounds; median per request, ratio replay / loopback"
    )
    with (
        loopback_server(_body_for_path) as base,
        tempfile.TemporaryDirectory() as folder,
    ):
        for name, client in CLIENTS.items():
            measure(name, client, base, Path(folder))


if __name__ == "__main__":
    main()
