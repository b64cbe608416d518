"""Engine benchmarks: replay, record and load, each beside its floor.

Every figure is a median over several rounds, and every floor is measured in
the same rounds, interleaved, so that the ratios hold on a noisy machine.

Run: ``make bench`` (all benchmarks) or ``python -m benchmarks engine``.
"""

from __future__ import annotations

import gc
import hashlib
import json
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterable
from pathlib import Path

from interposition import (
    Broker,
    Cassette,
    DirectoryCassetteStore,
    Interaction,
    InteractionRequest,
    JsonFileCassetteStore,
    JsonLinesCassetteStore,
    ResponseChunk,
    YamlFileCassetteStore,
    fingerprint_key,
)
from interposition.models import canonical_request_bytes, fingerprint_value
from interposition.services import CassetteStore

SIZES = (1_000, 10_000)
Row = tuple[str, ...]


def make_request(i: int) -> InteractionRequest:
    """A realistic HTTP-like request, distinct for each ``i``."""
    return InteractionRequest(
        protocol="http",
        action="GET",
        target=f"https://api.example.com/v1/items/{i}?expand=owner&page=2",
        headers=(
            ("accept", "application/json"),
            ("user-agent", "python-requests/2.32.3"),
            ("x-request-id", f"req-{i:08d}"),
        ),
        body=b"",
    )


def make_chunks(i: int) -> tuple[ResponseChunk, ...]:
    body = json.dumps(
        {"id": i, "name": f"item {i}", "owner": {"id": i % 97, "name": "Zoë"}}
    ).encode()
    return (
        ResponseChunk(
            data=body,
            sequence=0,
            metadata=(("status", "200"), ("content-type", "application/json")),
        ),
    )


def make_cassette(n: int) -> Cassette:
    return Cassette(
        interactions=tuple(
            Interaction.build(make_request(i), make_chunks(i)) for i in range(n)
        )
    )


def median_time(run: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        gc.collect()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_replay(rounds: int = 7) -> list[Row]:
    """Microseconds per replay of a freshly built request, beside the floor."""
    rows: list[Row] = []
    for n in SIZES:
        cassette = make_cassette(n)
        broker = Broker(cassette)
        by_fingerprint = Broker(cassette, match_on=fingerprint_key)
        canonical = [
            canonical_request_bytes(r.protocol, r.action, r.target, r.headers, r.body)
            for r in map(make_request, range(n))
        ]
        table = {hashlib.sha256(c).hexdigest(): c for c in canonical}
        ours, hashed, floor, published = [], [], [], []
        for _ in range(rounds):
            fresh = [make_request(i) for i in range(n)]  # never fingerprinted
            gc.collect()
            start = time.perf_counter()
            for request in fresh:
                for _chunk in broker.replay(request):
                    pass
            ours.append((time.perf_counter() - start) / n * 1e6)

            fresh = [make_request(i) for i in range(n)]
            gc.collect()
            start = time.perf_counter()
            for request in fresh:
                for _chunk in by_fingerprint.replay(request):
                    pass
            hashed.append((time.perf_counter() - start) / n * 1e6)

            start = time.perf_counter()
            for data in canonical:
                table.get(hashlib.sha256(data).hexdigest())
            floor.append((time.perf_counter() - start) / n * 1e6)

            # The published 0.4.0 algorithm: json.dumps per fingerprint.
            fresh = [make_request(i) for i in range(n)]
            start = time.perf_counter()
            for r in fresh:
                key = json.dumps(
                    [r.protocol, r.action, r.target, r.headers, r.body.hex()],
                    separators=(",", ":"),
                    sort_keys=True,
                )
                table.get(hashlib.sha256(key.encode()).hexdigest())
            published.append((time.perf_counter() - start) / n * 1e6)
        o, h, f, p = map(statistics.median, (ours, hashed, floor, published))
        rows.append(
            (
                f"replay (exact_key), N={n:,}",
                f"{o:.2f} us",
                f"{f:.2f} us",
                f"{o / f:.2f}x",
            )
        )
        rows.append(
            (
                f"replay (fingerprint_key: SHA-256 per request), N={n:,}",
                f"{h:.2f} us",
                f"{f:.2f} us",
                f"{h / f:.2f}x",
            )
        )
        rows.append(
            (
                f"  0.4.0's json.dumps fingerprint + lookup, N={n:,}",
                f"{p:.2f} us",
                f"{f:.2f} us",
                f"{p / f:.2f}x",
            )
        )
    return rows


def _record(
    n: int, store_factory: Callable[[Path], CassetteStore] | None, tmp: Path
) -> float:
    requests = [make_request(i) for i in range(n)]
    chunks = make_chunks(0)

    def live(request: InteractionRequest) -> Iterable[ResponseChunk]:
        return chunks

    store = store_factory(tmp) if store_factory is not None else None
    broker = Broker(
        Cassette(interactions=()),
        mode="record",
        live_responder=live,
        cassette_store=store,
    )
    gc.collect()
    start = time.perf_counter()
    for request in requests:
        for _chunk in broker.replay(request):
            pass
    elapsed = time.perf_counter() - start
    assert len(broker.cassette.interactions) == n
    if store is not None:
        assert len(store.load().interactions) == n
    return elapsed


STORES: dict[str, Callable[[Path], CassetteStore] | None] = {
    "in memory": None,
    "JSON file": lambda d: JsonFileCassetteStore(d / "c.json"),
    "YAML file": lambda d: YamlFileCassetteStore(d / "c.yaml"),
    "JSON Lines": lambda d: JsonLinesCassetteStore(d / "c.jsonl"),
    "directory": lambda d: DirectoryCassetteStore(d / "dir"),
}


def bench_record(rounds: int = 3) -> list[Row]:
    """Seconds to record N interactions, per store, and the floor."""
    results: dict[tuple[str, int], list[float]] = {}
    floors: dict[int, list[float]] = {n: [] for n in SIZES}
    for _ in range(rounds):
        for n in SIZES:
            requests = [make_request(i) for i in range(n)]
            start = time.perf_counter()
            kept = [fingerprint_value(r) for r in requests]
            floors[n].append(time.perf_counter() - start)
            assert len(kept) == n
            for name, factory in STORES.items():
                with tempfile.TemporaryDirectory() as tmp:
                    results.setdefault((name, n), []).append(
                        _record(n, factory, Path(tmp))
                    )
    small, large = SIZES
    floor = {n: statistics.median(floors[n]) for n in SIZES}
    memory = {n: statistics.median(results[("in memory", n)]) for n in SIZES}
    rows: list[Row] = [
        (
            f"floor: fingerprint + list append, N={small:,} / {large:,}",
            f"{floor[small]:.4f} s / {floor[large]:.4f} s",
            "",
            f"{floor[large] / floor[small]:.1f}x for 10x",
        )
    ]
    for name in STORES:
        a = statistics.median(results[(name, small)])
        b = statistics.median(results[(name, large)])
        versus = (
            f"{b / floor[large]:.1f}x floor"
            if name == "in memory"
            else f"{b / memory[large]:.2f}x in memory"
        )
        rows.append(
            (
                f"record {name}, N={small:,} / {large:,}",
                f"{a:.4f} s / {b:.4f} s",
                versus,
                f"{b / a:.1f}x for 10x",
            )
        )
    return rows


def _peak(run: Callable[[], object]) -> int:
    gc.collect()
    tracemalloc.start()
    result = run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del result
    return peak


def bench_load(n: int = 10_000, rounds: int = 5) -> list[Row]:
    """Seconds and peak memory to load N interactions from each store format."""
    cassette = make_cassette(n)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        stores: dict[str, CassetteStore] = {
            "JSON file": JsonFileCassetteStore(base / "c.json"),
            "YAML file": YamlFileCassetteStore(base / "c.yaml"),
            "JSON Lines": JsonLinesCassetteStore(base / "c.jsonl"),
            "directory": DirectoryCassetteStore(base / "dir"),
        }
        for store in stores.values():
            store.save(cassette)
        json_path = base / "c.json"

        def floor() -> object:
            return json.loads(json_path.read_bytes())

        for name, store in stores.items():
            assert store.load() == cassette
            times, floors = [], []
            for _ in range(rounds):
                floors.append(median_time(floor, 1))
                times.append(median_time(store.load, 1))
            t, f = statistics.median(times), statistics.median(floors)
            peak, floor_peak = _peak(store.load), _peak(floor)
            rows.append(
                (
                    f"load {name}, N={n:,}",
                    f"{t:.3f} s, {peak / 2**20:.1f} MiB",
                    f"json.loads {f:.3f} s, {floor_peak / 2**20:.1f} MiB",
                    f"{t / f:.2f}x time, {peak / floor_peak:.2f}x memory",
                )
            )
    return rows


def print_table(title: str, header: Row, rows: list[Row]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


def main() -> None:
    print_table(
        "Engine replay: per broker.replay() of a freshly built request",
        ("case", "median", "floor: sha256 + dict lookup", "ratio"),
        bench_replay(),
    )
    print_table(
        "Engine record: whole run of N recordings in record mode",
        ("case", "median", "versus", "scaling"),
        bench_record(),
    )
    print_table(
        "Engine load: a 10,000-interaction cassette",
        ("case", "ours", "floor", "ratio"),
        bench_load(),
    )


if __name__ == "__main__":
    main()
