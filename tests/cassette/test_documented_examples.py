"""Every example of the cassette 0.3.8 document, adapted to Python 3.

``urllib2`` becomes ``urllib.request``, ``cStringIO.StringIO`` becomes
``io.StringIO``, and the Internet hosts become a server on 127.0.0.1 that
each test stops before replaying, to prove that the answers come from the
cassette.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

import cassette
from cassette.player import Player
from tests.cassette.conftest import LocalServer


def test_quickstart(
    server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = server.url("/domain/named.root")

    def run() -> bytes:
        with cassette.play("data/responses.yaml"):
            # Not stored yet: cassette requests the URL and stores its response.
            r = urllib.request.urlopen(url)
            r.read()
            r.close()
            # Stored now: the external request is not made.
            r = urllib.request.urlopen(url)
        with r:
            data: bytes = r.read(10000)
        return data

    first = run()
    assert b"/domain/named.root" in first
    assert server.hits == 1
    assert (tmp_path / "data" / "responses.yaml").is_file()

    # Next time the tests run, they can run offline.
    server.stop()
    assert run() == first


def test_usage_play_context(server: LocalServer, tmp_path: Path) -> None:
    path = tmp_path / "data" / "responses.yaml"
    with cassette.play(str(path)):
        live = urllib.request.urlopen(server.url("/usage")).read()
    server.stop()
    with cassette.play(str(path)):
        replayed = urllib.request.urlopen(server.url("/usage")).read()
    assert replayed == live


def test_usage_insert_and_eject(server: LocalServer, tmp_path: Path) -> None:
    path = str(tmp_path / "data" / "responses.yaml")
    cassette.insert(path)
    live = urllib.request.urlopen(server.url("/manual")).read()
    cassette.eject()
    server.stop()

    cassette.insert(path)
    try:
        replayed = urllib.request.urlopen(server.url("/manual")).read()
    finally:
        cassette.eject()
    assert replayed == live


def test_storage_backend_directory(
    server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    cassette.insert("./data/", file_format="json")
    live = urllib.request.urlopen(server.url("/dir")).read()
    cassette.eject()
    files = sorted(path.name for path in (tmp_path / "data").iterdir())
    assert len(files) == 1
    assert files[0].startswith(f"httplib_GET_127.0.0.1_{server.port}__dir_")
    assert files[0].endswith(".json")

    server.stop()
    cassette.insert("./data/", file_format="json")
    try:
        replayed = urllib.request.urlopen(server.url("/dir")).read()
    finally:
        cassette.eject()
    assert replayed == live


def _example_directory(server: LocalServer, directory: Path) -> None:
    """The example's data: /get recorded, and two recordings never used."""
    with cassette.play(str(directory)):
        for path in ("/get", "/unused", "/unused2"):
            urllib.request.urlopen(server.url(path)).close()
    for suffix in ("unused", "unused2"):
        (recorded,) = directory.glob(f"httplib_GET_*__{suffix}_*.json")
        recorded.rename(directory / f"httplib_GET_httpbin.org_80__{suffix}.json")


def test_report_unused(server: LocalServer, tmp_path: Path) -> None:
    directory = tmp_path / "cassette" / "tests" / "data" / "requests"
    _example_directory(server, directory)
    server.stop()

    config = {"log_cassette_used": True}
    player = Player(str(directory) + "/", config=config)
    with player.play():
        urllib.request.urlopen(server.url("/get")).close()

    content = io.StringIO()
    player.report_unused_cassettes(content)
    content.seek(0)
    expected = (
        "httplib_GET_httpbin.org_80__unused.json\n"
        "httplib_GET_httpbin.org_80__unused2.json"
    )
    assert content.read() == expected


def test_report_unused_from_a_teardown_then_xargs_rm(
    server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "fixtures" / "requests"
    _example_directory(server, directory)
    server.stop()
    monkeypatch.chdir(tmp_path)
    cassette_player = Player(directory, config={"log_cassette_used": True})

    finalizers: list[Callable[[], None]] = []

    # The document's session fixture, with pytest's request.addfinalizer.
    def report_unused_cassette() -> None:
        """Report unused cassettes."""

        def func() -> None:
            with open(".unused_cassette.log", "w") as f:
                cassette_player.report_unused_cassettes(f)

        finalizers.append(func)

    report_unused_cassette()
    with cassette_player.play():  # the tests of the session
        urllib.request.urlopen(server.url("/get")).close()
    for finalizer in finalizers:
        finalizer()

    xargs = shutil.which("xargs")
    if xargs is None:  # pragma: no cover - xargs is part of POSIX
        pytest.skip("no xargs")
    with open(tmp_path / ".unused_cassette.log") as log:
        subprocess.run(
            [xargs, "rm"], stdin=log, cwd=directory, check=True, env=dict(os.environ)
        )
    remaining = [path.name for path in directory.iterdir()]
    assert len(remaining) == 1
    assert remaining[0].startswith("httplib_GET_127.0.0.1_")
    assert "__get_" in remaining[0]
