"""Run the benchmarks: ``python -m benchmarks [NAME ...]`` (names: MODULES).

With no argument, every benchmark module present runs, one after another.
"""

from __future__ import annotations

import importlib
import sys

MODULES = {
    "engine": "bench_engine",
    "http": "bench_http",
    "aiohttp": "bench_aiohttp",
    "httpx2": "bench_httpx2",
    "tornado-niquests": "bench_tornado_niquests",
    "sync-clients": "bench_sync_clients",
    "aiohttp-cassette": "bench_aiohttp_cassette",
    "pytest-plugin": "bench_pytest_plugin",
    "vcrpy-format": "bench_vcrpy_format",
    "cli": "bench_cli",
}


def main(argv: list[str]) -> None:
    names = argv or list(MODULES)
    for name in names:
        if name not in MODULES:
            raise SystemExit(
                f"unknown benchmark {name!r}; choose from {sorted(MODULES)}"
            )
        try:
            module = importlib.import_module(f"benchmarks.{MODULES[name]}")
        except ModuleNotFoundError as error:
            if argv or error.name != f"benchmarks.{MODULES[name]}":
                raise
            continue
        print(f"\n=== {name} ===")
        module.main()


if __name__ == "__main__":
    main(sys.argv[1:])
