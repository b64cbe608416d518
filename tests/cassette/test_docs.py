"""docs/cassette.md's Python snippets run, against the local server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import cassette
from cassette import patcher
from tests.cassette.conftest import LocalServer

DOC = Path(__file__).resolve().parents[2] / "docs" / "cassette.md"


def _blocks(server: LocalServer) -> list[str]:
    text = DOC.read_text().replace("http://example.com", server.url(""))
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def _run(block: str) -> dict[str, object]:
    namespace: dict[str, object] = {"__name__": "docs_cassette"}
    exec(compile(block, str(DOC), "exec"), namespace)
    return namespace


@pytest.fixture
def blocks(
    server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    monkeypatch.chdir(tmp_path)
    found = _blocks(server)
    assert len(found) == 5
    return found


def test_quick_start_records_then_replays_offline(
    blocks: list[str], server: LocalServer
) -> None:
    _run(blocks[0])
    assert server.hits == 1
    server.stop()
    _run(blocks[0])


def test_usage(blocks: list[str], server: LocalServer) -> None:
    _run(blocks[1])
    assert server.hits == 1  # the second request replays the first


def test_storage(blocks: list[str]) -> None:
    _run(blocks[2])
    libraries = [playing.library for playing in patcher._PLAYING]
    for _ in range(4):
        cassette.eject()
    assert [(type(x).__name__, x.file_format) for x in libraries] == [
        ("FileCassetteLibrary", "json"),
        ("FileCassetteLibrary", "yaml"),
        ("FileCassetteLibrary", "yaml"),
        ("DirectoryCassetteLibrary", "json"),
    ]


def test_report_unused(
    blocks: list[str], server: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    test_report_unused = _run(blocks[3])["test_report_unused"]
    assert callable(test_report_unused)
    test_report_unused()
    server.stop()
    test_report_unused()  # replayed: the recording was used
    assert capsys.readouterr().out == "\n\n"


def test_pytest_fixture_snippet(blocks: list[str]) -> None:
    namespace = _run(blocks[4])
    assert "report_unused_cassette" in namespace
