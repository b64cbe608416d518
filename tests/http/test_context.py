"""use_cassette as context manager and decorator; patches are reversible."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import requests
import urllib3
from requests.adapters import HTTPAdapter

import interposition.http
from interposition import ConfigurationError
from interposition.http import current_session, installed_adapters, use_cassette

from .conftest import LiveServer

PATCHED = (
    (http.client.HTTPConnection, "connect"),
    (http.client.HTTPSConnection, "connect"),
    (urllib3.connectionpool.HTTPConnectionPool, "_make_request"),
    (HTTPAdapter, "send"),
    (httpx.HTTPTransport, "handle_request"),
    (httpx.AsyncHTTPTransport, "handle_async_request"),
)


def _originals() -> list[object]:
    return [vars(owner)[name] for owner, name in PATCHED]


def test_patches_apply_inside_and_are_undone_after(cassette_path: Path) -> None:
    before = _originals()
    with use_cassette(cassette_path):
        inside = _originals()
        with use_cassette(cassette_path.with_name("inner.json")):
            assert _originals() == inside  # nested: one patch, counted
        assert _originals() == inside
    assert all(a is not b for a, b in zip(before, inside, strict=True))
    assert _originals() == before


def test_patches_are_undone_when_the_block_raises(cassette_path: Path) -> None:
    before = _originals()
    with pytest.raises(RuntimeError), use_cassette(cassette_path):
        raise RuntimeError
    assert _originals() == before
    assert current_session() is None


def test_nested_cassettes_the_innermost_wins(
    server: LiveServer, tmp_path: Path
) -> None:
    with use_cassette(tmp_path / "outer.json") as outer:
        requests.get(server.url + "/text?name=outer", timeout=5)
        with use_cassette(tmp_path / "inner.json") as inner:
            assert current_session() is inner
            requests.get(server.url + "/text?name=inner", timeout=5)
        assert current_session() is outer
    assert [i.request.target for i in outer.interactions] == [
        server.url + "/text?name=outer"
    ]
    assert [i.request.target for i in inner.interactions] == [
        server.url + "/text?name=inner"
    ]


def test_decorator_sync(server: LiveServer, cassette_path: Path) -> None:
    @use_cassette(cassette_path)
    def fetch(name: str) -> str:
        return requests.get(f"{server.url}/text?name={name}", timeout=5).text

    assert fetch("a") == "hello a"
    server.stop()
    assert fetch("a") == "hello a"  # each call opens the cassette afresh
    assert fetch.__name__ == "fetch"


@pytest.mark.asyncio
async def test_decorator_async(server: LiveServer, cassette_path: Path) -> None:
    @use_cassette(cassette_path)
    async def fetch() -> str:
        async with httpx.AsyncClient() as client:
            return (await client.get(server.url + "/text")).text

    assert await fetch() == "hello world"
    server.stop()
    assert await fetch() == "hello world"


def test_record_mode_is_checked_at_the_call(cassette_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="record_mode must be one of"):
        use_cassette(cassette_path, record_mode="sometimes")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="before_record_request"):
        use_cassette(cassette_path, before_record_request=1)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="unknown cassette format"):
        use_cassette(cassette_path.with_suffix(".txt")).__enter__()


def test_a_corrupt_cassette_says_so(cassette_path: Path) -> None:
    cassette_path.write_text("{not json")
    with pytest.raises(interposition.CassetteLoadError, match=str(cassette_path)):
        use_cassette(cassette_path).__enter__()


def test_recording_metadata_round_trips_a_foreign_file(
    server: LiveServer, cassette_path: Path
) -> None:
    with use_cassette(cassette_path):
        requests.get(server.url + "/text", timeout=5)
    document = json.loads(cassette_path.read_text())
    assert document["version"] == 2
    request = document["interactions"][0]["request"]
    assert request["protocol"] == "http"
    assert request["action"] == "GET"


def test_importing_patches_nothing_and_imports_no_client() -> None:
    code = (
        "import sys, http.client\n"
        "before = http.client.HTTPConnection.connect\n"
        "import interposition, interposition.http\n"
        "assert http.client.HTTPConnection.connect is before\n"
        "loaded = {'requests', 'urllib3', 'httpx', 'aiohttp'} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_all_is_sorted_and_complete() -> None:
    exported = interposition.http.__all__
    assert exported == sorted(exported, key=lambda name: (not name.isupper(), name))
    for name in exported:
        assert hasattr(interposition.http, name), name
    public = {
        name
        for name in vars(interposition.http)
        if not name.startswith("_")
        and not isinstance(vars(interposition.http)[name], type(sys))
    }
    assert public == set(exported)


def test_installed_adapters() -> None:
    assert set(installed_adapters()) >= {"http.client", "urllib3", "requests", "httpx"}


def test_public_exceptions_report_their_public_module(cassette_path: Path) -> None:
    import traceback

    from interposition.http import (
        HttpInteractionNotFoundError,
        HttpMappingError,
        UninterceptedConnectionWarning,
    )

    for cls in (
        HttpInteractionNotFoundError,
        HttpMappingError,
        UninterceptedConnectionWarning,
    ):
        assert cls.__module__ == "interposition.http"
    with (
        use_cassette(cassette_path, record_mode="none"),
        pytest.raises(HttpInteractionNotFoundError) as caught,
    ):
        requests.get("http://127.0.0.1:9/nothing", timeout=5)
    text = "".join(traceback.format_exception(caught.value))
    assert "interposition.http.HttpInteractionNotFoundError: No recording" in text
    assert "interposition.http.HttpInteractionNotFoundError" in repr(caught.type)


def test_a_client_imported_inside_the_cassette_is_covered(tmp_path: Path) -> None:
    # Entering imports no client; one imported inside is patched on import.
    child = Path(__file__).with_name("lazy_import_child.py")
    out = subprocess.run(
        [sys.executable, "-W", "error", str(child), str(tmp_path / "c.json")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    imported, body, recorded, watching = json.loads(out.stdout)
    assert imported == []
    assert (body, recorded, watching) == ("ok", 1, False)
