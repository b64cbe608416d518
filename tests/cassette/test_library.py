"""The cassette_library module: names, libraries, usage reports."""

from __future__ import annotations

import hashlib
import http.client
import io
import json
from pathlib import Path

import pytest

import cassette
from cassette import patcher
from cassette.cassette_library import (
    CassetteLibrary,
    CassetteName,
    DirectoryCassetteLibrary,
    FileCassetteLibrary,
)
from cassette.player import Player
from interposition.errors import ConfigurationError, InterpositionError
from interposition.http import HttpResponse
from tests.cassette.conftest import LocalServer, fetch


def test_cassette_name_from_httplib_connection() -> None:
    name = CassetteName.from_httplib_connection(
        "example.com", 80, "get", "/a?b=1", None, {"X-B": "2", "Accept": "*/*"}
    )
    assert isinstance(name, str)
    assert name == (
        'httplib:GET example.com:80/a?b=1 [["accept","*/*"],["x-b","2"]] ""'
    )
    assert (name.method, name.host, name.port, name.url) == (
        "GET",
        "example.com",
        80,
        "/a?b=1",
    )
    assert name.request is not None
    assert name.request.url == "http://example.com/a?b=1"
    # Header order and case do not matter; their values, the body, do.
    same = CassetteName.from_httplib_connection(
        "example.com", 80, "GET", "/a?b=1", b"", [("accept", "*/*"), ("x-b", "2")]
    )
    assert same == name
    other = CassetteName.from_httplib_connection(
        "example.com", 80, "GET", "/a?b=1", b"x", {"X-B": "2", "Accept": "*/*"}
    )
    assert other != name


def test_cassette_name_hashes_the_body_when_asked() -> None:
    body = b'{"big": "body"}\n'
    shown = CassetteName.from_httplib_connection("h", 8080, "POST", "/", body, {})
    hashed = CassetteName.from_httplib_connection(
        "h", 8080, "POST", "/", body, {}, will_hash_body=True
    )
    assert shown.endswith('"{\\"big\\": \\"body\\"}\\n"')
    assert "\n" not in shown  # one name, one line
    assert hashed.endswith(" sha256:" + hashlib.sha256(body).hexdigest())
    binary = CassetteName.from_httplib_connection("h", 1, "POST", "/", b"\xff", {})
    assert " sha256:" in binary
    plain = CassetteName("any text")
    assert plain == "any text"
    assert plain.request is None


def test_create_new_cassette_library_file_or_directory(tmp_path: Path) -> None:
    create = CassetteLibrary.create_new_cassette_library
    assert isinstance(create(tmp_path / "r.yaml", ""), FileCassetteLibrary)
    assert isinstance(create(tmp_path / "r.json", "yaml"), FileCassetteLibrary)
    assert create(tmp_path / "r.yml", "").file_format == "yaml"
    directory = create(tmp_path / "requests", "")
    assert isinstance(directory, DirectoryCassetteLibrary)
    assert directory.file_format == "json"
    assert isinstance(create(f"{tmp_path}/data.v2/", "json"), DirectoryCassetteLibrary)
    (tmp_path / "existing.d").mkdir()
    assert isinstance(create(tmp_path / "existing.d", ""), DirectoryCassetteLibrary)


def test_bad_arguments_are_configuration_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="pass file_format='json'"):
        cassette.insert(str(tmp_path / "responses.txt"))
    with pytest.raises(ConfigurationError, match="'json' or 'yaml', not 'xml'"):
        Player(tmp_path / "responses.json", file_format="xml")
    with pytest.raises(ConfigurationError, match="unknown cassette config key"):
        Player(tmp_path / "r.json", config={"log_casette_used": True})
    assert issubclass(ConfigurationError, InterpositionError)


@pytest.mark.parametrize("name", ["responses.yaml", "responses.json", "requests"])
def test_a_corrupt_cassette_is_a_clear_error(
    name: str, server: LocalServer, tmp_path: Path, originals: dict[str, object]
) -> None:
    path = tmp_path / name
    if name == "requests":
        with cassette.play(path):
            fetch("urllib.request", server.url("/x"))
        (broken,) = path.iterdir()
    else:
        broken = path
    broken.write_text("{ this is not: [a cassette")
    with pytest.raises(InterpositionError) as error, cassette.play(path):
        pytest.fail("the cassette loaded")  # pragma: no cover
    assert type(error.value).__name__ == "CassetteLoadError"
    assert f"Failed to load cassette from {broken}" in str(error.value)
    # Nothing stays patched after the failure.
    from tests.cassette.conftest import _patched_attributes

    assert _patched_attributes() == originals


def test_directory_file_names(server: LocalServer, tmp_path: Path) -> None:
    library = CassetteLibrary.create_new_cassette_library(tmp_path / "d", "json")
    assert isinstance(library, DirectoryCassetteLibrary)
    with Player(library.filename).play():
        fetch("http.client", server.url("/a/b?c=d&e=../f"), headers={"X": "1"})
    (recorded,) = library.filename.iterdir()
    assert recorded.name.startswith(f"httplib_GET_127.0.0.1_{server.port}__a_b_c_d_e")
    assert library.get_all_available() == [recorded.name]
    (name,) = library.data
    assert library.generate_filename(name) == recorded.name
    assert library.generate_path_from_cassette_name(name) == recorded
    assert name.endswith(" sha256:" + hashlib.sha256(b"").hexdigest())
    # A long target is cut, the digest is kept; nothing unsafe survives.
    long_name = library.cassette_name_for_httplib_connection(
        "h", 80, "GET", "/../" + "x" * 500, None, {}
    )
    filename = library.generate_filename(long_name)
    assert len(filename) < 200
    assert "/" not in filename
    assert not filename.startswith(".")
    assert filename.endswith(".json")
    assert library.generate_filename("plain").startswith("cassette_")


def test_data_load_file_and_get_all_available(
    server: LocalServer, tmp_path: Path
) -> None:
    library = CassetteLibrary.create_new_cassette_library(tmp_path / "r.yaml", "")
    assert isinstance(library, FileCassetteLibrary)
    assert library.data == {}
    assert library.get_all_available() == []
    with cassette.play(library.filename):
        fetch("urllib3", server.url("/one"))
        fetch("urllib3", server.url("/two"), method="POST", body=b"hi")
    names = library.get_all_available()
    assert [n.split(" ")[1] for n in names] == [
        f"127.0.0.1:{server.port}/one",
        f"127.0.0.1:{server.port}/two",
    ]
    assert names[1].endswith(' "hi"')
    loaded = library.load_file()
    assert list(loaded) == names
    assert all(isinstance(r, HttpResponse) for r in loaded.values())
    assert library.data is loaded
    # Compatibility no-ops.
    library.rewind()
    library.write_to_file()
    library.save_to_cache("hash", {"a": 1})
    assert library.get_all_available() == names


@pytest.mark.parametrize("storage", ["r.json", "dir"])
def test_add_response(storage: str, tmp_path: Path) -> None:
    library = CassetteLibrary.create_new_cassette_library(tmp_path / storage, "")
    name = library.cassette_name_for_httplib_connection(
        "127.0.0.1", 9, "GET", "/added", None, {"Accept": "text/plain"}
    )
    library.add_response(name, HttpResponse(200, "OK", (), b"stored"))
    assert library.data[name].body == b"stored"
    # Replayed, though nothing listens on port 9.
    player = Player(library.filename)
    with player.play():
        player.library.add_response(
            player.library.cassette_name_for_httplib_connection(
                "127.0.0.1", 9, "GET", "/later", None, {}
            ),
            HttpResponse(201, "Created", (), b"later"),
        )
        connection = http.client.HTTPConnection("127.0.0.1", 9)
        connection.putrequest(
            "GET", "/later", skip_host=True, skip_accept_encoding=True
        )
        connection.endheaders()
        assert connection.getresponse().read() == b"later"
        connection.putrequest(
            "GET", "/added", skip_host=True, skip_accept_encoding=True
        )
        connection.putheader("Accept", "text/plain")
        connection.endheaders()
        assert connection.getresponse().read() == b"stored"
        connection.close()
    with pytest.raises(ConfigurationError, match="does not carry a request"):
        library.add_response(CassetteName("x"), HttpResponse(200))
    with pytest.raises(ConfigurationError, match="HttpResponse"):
        library.add_response(name, "not a response")  # type: ignore[arg-type]


def _record(server: LocalServer, path: Path, *targets: str) -> None:
    with cassette.play(path):
        for target in targets:
            fetch("requests", server.url(target))


def test_report_unused_directory_adds_up_over_plays(
    server: LocalServer, tmp_path: Path
) -> None:
    path = tmp_path / "requests"
    _record(server, path, "/a", "/b", "/c")
    player = Player(path, config={"log_cassette_used": True})
    assert player.config == {"log_cassette_used": True}
    with player.play():
        fetch("requests", server.url("/a"))
    with player.play():
        fetch("requests", server.url("/b"))
        fetch("requests", server.url("/new"))  # recorded now: used
    output = io.StringIO()
    player.report_unused_cassettes(output)
    (unused,) = output.getvalue().split("\n")
    assert unused.startswith(f"httplib_GET_127.0.0.1_{server.port}__c_")
    assert player.library.get_all_available() == sorted(p.name for p in path.iterdir())


def test_report_unused_file_library(server: LocalServer, tmp_path: Path) -> None:
    path = tmp_path / "responses.yaml"
    _record(server, path, "/a", "/b", "/c")
    player = Player(path, config={"log_cassette_used": True})
    with player.play():
        fetch("requests", server.url("/b"))
    output = io.StringIO()
    player.report_unused_cassettes(output)
    lines = output.getvalue().split("\n")
    assert [line.split(" ")[:2] for line in lines] == [
        ["httplib:GET", f"127.0.0.1:{server.port}/a"],
        ["httplib:GET", f"127.0.0.1:{server.port}/c"],
    ]
    assert lines == sorted(lines)


def test_report_unused_to_stdout_and_explicit_logging(
    server: LocalServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "requests"
    _record(server, path, "/a", "/b")
    player = Player(path, config={"log_cassette_used": True})
    first, second = player.library.get_all_available()
    player.log_cassette_used(path / first)  # a path counts by its file name
    player.report_unused_cassettes()
    assert capsys.readouterr().out == second


def test_report_unused_needs_log_cassette_used(tmp_path: Path) -> None:
    player = Player(tmp_path / "requests")
    player.log_cassette_used("ignored")
    assert player.library.used == set()
    with pytest.raises(ConfigurationError, match="'log_cassette_used': True"):
        player.report_unused_cassettes(io.StringIO())


def test_a_cassette_0_3_json_file_is_refused(
    tmp_path: Path, originals: dict[str, object]
) -> None:
    path = tmp_path / "responses.json"
    old = {"httplib:GET example.com:80/ {}": {"status": 200, "content": "x"}}
    path.write_text(json.dumps(old))
    with pytest.raises(InterpositionError, match=r"Failed to load cassette from"):
        cassette.insert(str(path))
    assert patcher._PLAYING == []
    assert json.loads(path.read_text()) == old  # left as it was
