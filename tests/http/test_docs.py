"""The Python snippets of docs/http.md run as written (replaying from a file)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from interposition import Cassette
from interposition.http import HttpRequest, HttpResponse, to_interaction
from interposition.stores import store_for_path

DOC = Path(__file__).resolve().parents[2] / "docs" / "http.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)


def _prerecord(path: Path) -> None:
    """What the first run records, so the snippet replays offline."""
    interaction = to_interaction(
        HttpRequest("GET", "https://api.example.com/users/1"),
        HttpResponse(200, "OK", (("Content-Type", "application/json"),), b'{"id": 1}'),
    )
    store_for_path(path).save(Cassette(interactions=(interaction,)))


def test_quick_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _prerecord(Path("tests/cassettes/users.json"))
    (block,) = [b for b in _blocks() if "import requests" in b]
    namespace: dict[str, object] = {}
    exec(compile(block, str(DOC), "exec"), namespace)
    assert namespace["response"].status_code == 200  # type: ignore[attr-defined]


def test_async_decorator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _prerecord(Path("tests/cassettes/users.yaml"))
    (block,) = [b for b in _blocks() if "import httpx\n" in b]
    namespace: dict[str, object] = {}
    exec(compile(block, str(DOC), "exec"), namespace)
    asyncio.run(namespace["test_user"]())  # type: ignore[operator]


def test_shared_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _prerecord(Path("tests/cassettes/users.yaml"))
    _prerecord(Path("tests/cassettes/orders.yaml"))
    (block,) = [b for b in _blocks() if "CassetteOptions(" in b]
    namespace: dict[str, object] = {}
    exec(compile(block, str(DOC), "exec"), namespace)
    assert namespace["STRICT"].record_mode == "none"  # type: ignore[attr-defined]


def test_cassette_transport(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _prerecord(Path("tests/cassettes/users.yaml"))
    (block,) = [b for b in _blocks() if "CassetteTransport(" in b]
    namespace: dict[str, object] = {}
    exec(compile(block, str(DOC), "exec"), namespace)
    client = namespace["client"]
    response = client.get("https://api.example.com/users/1")  # type: ignore[attr-defined]
    assert response.json() == {"id": 1}
    assert namespace["session"].all_played  # type: ignore[attr-defined]
