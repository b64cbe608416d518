"""patch / unpatch, unpatched_httplib_context, import hygiene, the public API."""

from __future__ import annotations

import importlib
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import cassette
from cassette import cassette_library, patcher, player, unpatched
from cassette.cassette_library import CassetteLibrary
from cassette.unpatched import unpatched_httplib_context
from interposition.errors import ConfigurationError
from tests.cassette.conftest import CLIENTS, LocalServer, _patched_attributes, fetch


def test_patch_and_unpatch_restore_every_original(
    server: LocalServer, tmp_path: Path, originals: dict[str, object]
) -> None:
    library = CassetteLibrary.create_new_cassette_library(tmp_path / "r.json", "")
    patcher.patch(library)
    try:
        patched = _patched_attributes()
        assert all(patched[name] is not originals[name] for name in originals)
        fetch("requests", server.url("/p"))
    finally:
        patcher.unpatch()
    assert _patched_attributes() == originals
    patcher.unpatch()  # nothing patched: nothing happens
    cassette.eject()
    assert _patched_attributes() == originals
    # Unpatched, requests go to the network and are not recorded.
    before = library.get_all_available()
    fetch("urllib3", server.url("/p"))
    assert library.get_all_available() == before


def test_eject_accepts_exit_arguments(tmp_path: Path) -> None:
    cassette.insert(str(tmp_path / "r.yaml"))
    error = ValueError("boom")
    cassette.eject(type(error), error, None)
    assert patcher._PLAYING == []


def test_play_unpatches_when_the_block_raises(
    tmp_path: Path, originals: dict[str, object]
) -> None:
    with pytest.raises(RuntimeError), cassette.play(tmp_path / "r.yaml"):
        raise RuntimeError
    assert _patched_attributes() == originals


def test_patches_nest_and_unpatch_undoes_the_latest(
    server: LocalServer, tmp_path: Path, originals: dict[str, object]
) -> None:
    cassette.insert(str(tmp_path / "outer.yaml"))
    cassette.insert(str(tmp_path / "inner.yaml"))
    fetch("requests", server.url("/inner"))
    cassette.eject()
    fetch("requests", server.url("/outer"))
    cassette.eject()
    assert _patched_attributes() == originals
    assert "/outer" not in (tmp_path / "inner.yaml").read_text()
    assert "/outer" in (tmp_path / "outer.yaml").read_text()


@pytest.mark.parametrize("client", CLIENTS)
def test_unpatched_httplib_context_reaches_the_server(
    client: str, server: LocalServer, tmp_path: Path
) -> None:
    path = tmp_path / "responses.yaml"
    with cassette.play(path):
        recorded = fetch(client, server.url("/live"))[1]
        with unpatched_httplib_context():
            first = fetch(client, server.url("/live"))[1]
            second = fetch(client, server.url("/live"))[1]
            fetch(client, server.url("/never-recorded"))
        assert fetch(client, server.url("/live"))[1] == recorded  # patched again
    assert (recorded["hit"], first["hit"], second["hit"]) == (1, 2, 3)
    assert server.hits == 4
    assert "/never-recorded" not in path.read_text()


def test_unpatched_httplib_context_takes_the_library_being_played(
    server: LocalServer, tmp_path: Path
) -> None:
    # cassette 0.3.8's signature: unpatched_httplib_context(cassette_library).
    path = tmp_path / "responses.yaml"
    with cassette.play(path) as player:
        recorded = fetch("urllib.request", server.url("/live"))[1]
        with unpatched_httplib_context(player.library):
            live = fetch("urllib.request", server.url("/live"))[1]
            fetch("requests", server.url("/never-recorded"))
        assert fetch("urllib.request", server.url("/live"))[1] == recorded
    assert (recorded["hit"], live["hit"]) == (1, 2)
    assert "/never-recorded" not in path.read_text()
    with (
        pytest.raises(ConfigurationError, match=r"player\.library"),
        unpatched_httplib_context("responses.yaml"),  # type: ignore[arg-type]
    ):
        pass


def test_a_thread_started_during_a_play_is_recorded(
    server: LocalServer, tmp_path: Path
) -> None:
    path = tmp_path / "responses.json"
    results: list[dict[str, object]] = []
    with cassette.play(path):
        worker = threading.Thread(
            target=lambda: results.append(fetch("requests", server.url("/thread"))[1])
        )
        worker.start()
        worker.join()
    server.stop()
    with cassette.play(path):
        assert fetch("requests", server.url("/thread"))[1] == results[0]


def test_importing_cassette_patches_nothing_and_imports_no_client() -> None:
    code = (
        "import http.client, sys\n"
        "connect = http.client.HTTPConnection.connect\n"
        "import cassette, cassette.player, cassette.cassette_library\n"
        "import cassette.patcher, cassette.unpatched\n"
        "assert http.client.HTTPConnection.connect is connect\n"
        "loaded = {'requests', 'urllib3', 'httpx'} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    ("module", "names"),
    [
        (cassette, ["eject", "insert", "play"]),
        (player, ["Player"]),
        (patcher, ["patch", "unpatch"]),
        (unpatched, ["unpatched_httplib_context"]),
        (
            cassette_library,
            [
                "DEFAULT_CONFIG",
                "MATCH_ON",
                "CassetteLibrary",
                "CassetteName",
                "DirectoryCassetteLibrary",
                "FileCassetteLibrary",
                "FileFormat",
            ],
        ),
    ],
)
def test_public_api(module: object, names: list[str]) -> None:
    exported = getattr(module, "__all__", None)
    assert exported == names  # ruff (RUF022) keeps the order
    for name in exported:
        assert hasattr(module, name)
    defined_here = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and getattr(value, "__module__", None) == getattr(module, "__name__", "")
    }
    assert defined_here <= set(exported)


def test_documented_members_exist() -> None:
    library = importlib.import_module("cassette.cassette_library")
    for cls, members in {
        library.CassetteLibrary: [
            "add_response",
            "cassette_name_for_httplib_connection",
            "create_new_cassette_library",
            "log_cassette_used",
            "report_unused_cassettes",
            "rewind",
            "save_to_cache",
            "write_to_file",
        ],
        library.DirectoryCassetteLibrary: [
            "cassette_name_for_httplib_connection",
            "generate_filename",
            "generate_path_from_cassette_name",
            "get_all_available",
            "write_to_file",
        ],
        library.FileCassetteLibrary: [
            "data",
            "get_all_available",
            "load_file",
            "write_to_file",
        ],
        library.CassetteName: ["from_httplib_connection"],
        player.Player: [
            "config",
            "log_cassette_used",
            "play",
            "report_unused_cassettes",
        ],
    }.items():
        for member in members:
            assert hasattr(cls, member), f"{cls.__name__}.{member}"
