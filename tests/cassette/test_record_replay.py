"""Record on the first run, replay afterwards: every client, every storage.

Each test records against the local server, stops it, and replays: a
request that reached the network now would be refused.
"""

from __future__ import annotations

import json
import urllib.error
from pathlib import Path

import pytest
import urllib3

import cassette
from tests.cassette.conftest import CLIENTS, LocalServer, fetch

#: What each client raises when the (stopped) server refuses the connection.
REFUSED = (OSError, urllib3.exceptions.MaxRetryError)

STORAGES = ("responses.json", "responses.yaml", "responses.yml", "requests")


@pytest.mark.parametrize("storage", STORAGES)
@pytest.mark.parametrize("client", CLIENTS)
def test_first_run_records_later_runs_replay(
    client: str, storage: str, server: LocalServer, tmp_path: Path
) -> None:
    path = tmp_path / storage
    url = server.url("/resource?id=1")
    with cassette.play(path):
        status, first = fetch(client, url)
        again = fetch(client, url)[1]
    assert status == 200
    assert first["hit"] == 1
    assert again == first  # replayed, not requested twice
    assert server.hits == 1
    assert path.exists()

    server.stop()
    with cassette.play(path):
        assert fetch(client, url) == (200, first)
        assert fetch(client, url) == (200, first)


@pytest.mark.parametrize("client", CLIENTS)
def test_missing_requests_are_recorded_next_to_replayed_ones(
    client: str, server: LocalServer, tmp_path: Path
) -> None:
    path = tmp_path / "responses.yaml"
    with cassette.play(path):
        one = fetch(client, server.url("/one"))[1]
    with cassette.play(path):
        assert fetch(client, server.url("/one"))[1] == one
        two = fetch(client, server.url("/two"))[1]
    assert (one["hit"], two["hit"]) == (1, 2)

    server.stop()
    with cassette.play(path):
        assert fetch(client, server.url("/one"))[1] == one
        assert fetch(client, server.url("/two"))[1] == two


@pytest.mark.parametrize("client", CLIENTS)
def test_request_headers_distinguish_recordings(
    client: str, server: LocalServer, tmp_path: Path
) -> None:
    path = tmp_path / "responses.json"
    url = server.url("/negotiate")
    with cassette.play(path):
        as_json = fetch(client, url, headers={"Accept": "application/json"})[1]
        as_text = fetch(client, url, headers={"Accept": "text/plain"})[1]
    assert as_json["hit"] != as_text["hit"]
    assert as_json["headers"]["accept"] == "application/json"

    server.stop()
    with cassette.play(path):
        assert fetch(client, url, headers={"Accept": "text/plain"})[1] == as_text
        assert fetch(client, url, headers={"Accept": "application/json"})[1] == as_json
        # Another header value was never recorded: it goes to the network.
        with pytest.raises(REFUSED, match=r"refused|Max retries"):
            fetch(client, url, headers={"Accept": "image/png"})


@pytest.mark.parametrize("client", CLIENTS)
def test_request_bodies_distinguish_recordings(
    client: str, server: LocalServer, tmp_path: Path
) -> None:
    path = tmp_path / "requests"
    url = server.url("/submit")
    with cassette.play(path):
        a = fetch(client, url, method="POST", body=b'{"n": 1}')[1]
        b = fetch(client, url, method="POST", body=b'{"n": 2}')[1]
    assert (a["body"], b["body"]) == ('{"n": 1}', '{"n": 2}')
    assert len(list(path.iterdir())) == 2

    server.stop()
    with cassette.play(path):
        assert fetch(client, url, method="POST", body=b'{"n": 2}')[1] == b
        assert fetch(client, url, method="POST", body=b'{"n": 1}')[1] == a


def test_error_statuses_are_recorded_and_replayed(
    server: LocalServer, tmp_path: Path
) -> None:
    path = tmp_path / "responses.yaml"
    url = server.url("/missing")
    with cassette.play(path), pytest.raises(urllib.error.HTTPError) as live:
        fetch("urllib.request", url)
    body = live.value.read()
    live.value.close()
    server.stop()
    with cassette.play(path), pytest.raises(REFUSED):
        # requests sends other headers than urllib: a recording of its own.
        fetch("requests", url)
    with cassette.play(path), pytest.raises(urllib.error.HTTPError) as replayed:
        fetch("urllib.request", url)
    assert replayed.value.code == 404
    assert replayed.value.read() == body
    replayed.value.close()


@pytest.mark.parametrize(
    ("filename", "file_format", "kind"),
    [
        ("responses.dat", "yaml", "yaml"),
        ("responses.dat", "json", "json"),
        ("responses.json", "yaml", "yaml"),
        ("responses.yaml", "", "yaml"),
        ("responses.JSON", "", "json"),
    ],
)
def test_the_format_comes_from_file_format_or_the_extension(
    filename: str, file_format: str, kind: str, server: LocalServer, tmp_path: Path
) -> None:
    path = tmp_path / filename
    cassette.insert(str(path), file_format=file_format)
    try:
        fetch("urllib.request", server.url("/format"))
    finally:
        cassette.eject()
    text = path.read_text()
    if kind == "json":
        assert json.loads(text)["version"] == 2
    else:
        assert text.startswith("# interposition cassette")
        assert "\nversion: 2\n" in text


def test_a_yaml_directory(server: LocalServer, tmp_path: Path) -> None:
    path = tmp_path / "requests"
    with cassette.play(path, file_format="yaml"):
        first = fetch("requests", server.url("/y"))[1]
    (recorded,) = path.iterdir()
    assert recorded.suffix == ".yaml"
    server.stop()
    # The format of the files already there is used when none is given.
    with cassette.play(path):
        assert fetch("requests", server.url("/y"))[1] == first
    assert len(list(path.iterdir())) == 1


def test_credentials_are_redacted_and_still_replay(
    server: LocalServer, tmp_path: Path
) -> None:
    path = tmp_path / "responses.json"
    secret = {"Authorization": "Bearer s3cr3t-t0ken"}
    with cassette.play(path):
        first = fetch("requests", server.url("/private"), headers=secret)[1]
    assert "s3cr3t" not in path.read_text()
    server.stop()
    with cassette.play(path):
        replayed = fetch("requests", server.url("/private"), headers=secret)[1]
    assert (replayed["hit"], replayed["path"]) == (first["hit"], "/private")
    # The echo of the credential in the response body was redacted too.
    assert "s3cr3t" not in replayed["headers"]["authorization"]


def test_plays_nest(server: LocalServer, tmp_path: Path) -> None:
    outer, inner = tmp_path / "outer.json", tmp_path / "inner.json"
    with cassette.play(outer):
        fetch("requests", server.url("/outer"))
        with cassette.play(inner):
            fetch("requests", server.url("/inner"))
        fetch("requests", server.url("/outer2"))
    assert "/inner" in inner.read_text()
    assert "/inner" not in outer.read_text()
    assert "/outer2" in outer.read_text()


def test_httpx_is_played_too(server: LocalServer, tmp_path: Path) -> None:
    path = tmp_path / "responses.yaml"
    with cassette.play(path):
        first = fetch("httpx", server.url("/httpx"))
    server.stop()
    with cassette.play(path):
        assert fetch("httpx", server.url("/httpx")) == first
