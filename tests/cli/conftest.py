"""Helpers for the command's tests: cassettes to work on, the command to run."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest

from interposition import Cassette, Interaction
from interposition.cli import main
from interposition.http import HttpRequest, HttpResponse, to_interaction
from interposition.stores import store_for_path
from tests.http.conftest import LiveServer

ROOT = Path(__file__).resolve().parents[2]
VCRPY_DATA = ROOT / "tests" / "http" / "data" / "vcrpy"
BINARY = bytes(range(256))


def sample_interactions() -> tuple[Interaction, ...]:
    """Three exchanges: JSON, binary with repeated headers, chunked."""
    return (
        to_interaction(
            HttpRequest("GET", "https://api.example.com/users/1"),
            HttpResponse(
                200, "OK", (("Content-Type", "application/json"),), b'{"id": 1}'
            ),
        ),
        to_interaction(
            HttpRequest("POST", "https://api.example.com/upload", (), BINARY),
            HttpResponse(
                201,
                "Created",
                (("X-Tag", "a"), ("X-Tag", "b"), ("Content-Type", "image/png")),
                BINARY,
            ),
        ),
        to_interaction(
            HttpRequest("GET", "https://other.example.org/stream?page=2"),
            HttpResponse(
                200,
                "OK",
                (("Content-Type", "text/plain"),),
                b"one,two,three",
                chunks=(b"one,", b"two,", b"three"),
            ),
        ),
    )


def write_cassette(path: Path, interactions: tuple[Interaction, ...]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    store_for_path(path, create_if_missing=True).save(
        Cassette(interactions=interactions)
    )
    return path


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return write_cassette(tmp_path / "sample.yaml", sample_interactions())


class Result:
    def __init__(self, status: int, out: str, err: str) -> None:
        self.status = status
        self.out = out
        self.err = err


class Cli(Protocol):
    def __call__(self, *args: object) -> Result: ...


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    """Run the command in-process: ``cli("inspect", path)`` -> Result."""

    def run(*args: object) -> Result:
        capsys.readouterr()
        status = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return Result(status, captured.out, captured.err)

    return run


def run_process(
    *args: object, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m interposition ARGS`` as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "interposition", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        check=False,
    )


@pytest.fixture
def server() -> Iterator[LiveServer]:
    live = LiveServer()
    try:
        yield live
    finally:
        live.stop()
