"""ignore_hosts / ignore_localhost, decode_compressed_response, adapters."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import requests

from interposition import ConfigurationError
from interposition.http import (
    HttpResponse,
    UninterceptedConnectionWarning,
    decode_response,
    supported_encodings,
    use_cassette,
)

from .conftest import LiveServer


def test_ignore_localhost_goes_to_the_network_untouched(
    server: LiveServer, cassette_path: Path
) -> None:
    with use_cassette(cassette_path, ignore_localhost=True) as cassette:
        assert requests.get(server.url + "/counter", timeout=5).text == "1"
        assert requests.get(server.url + "/counter", timeout=5).text == "2"
    assert server.hits == 2
    assert cassette.interactions == ()
    assert not cassette_path.exists()


def test_ignore_hosts(server: LiveServer, cassette_path: Path) -> None:
    with use_cassette(cassette_path, ignore_hosts=["127.0.0.1"], record_mode="none"):
        assert requests.get(server.url + "/text", timeout=5).ok
    with pytest.raises(ConfigurationError, match="ignore_hosts"):
        use_cassette(cassette_path, ignore_hosts="127.0.0.1")


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_decode_compressed_response(
    server: LiveServer, cassette_path: Path, encoding: str
) -> None:
    if encoding not in supported_encodings():  # pragma: no cover - brotli missing
        pytest.skip("brotli is not installed")
    expected = {"gzip": b"compressed ", "deflate": b"deflated ", "br": b"brotli "}
    body = expected[encoding] * 50
    with use_cassette(cassette_path, decode_compressed_response=True):
        assert requests.get(f"{server.url}/{encoding}", timeout=5).content == body
    document = json.loads(cassette_path.read_text())
    chunk = document["interactions"][0]["response_chunks"][0]
    headers = {k.lower(): v for k, v in chunk["metadata"] if not k.startswith(":")}
    assert "content-encoding" not in headers
    assert headers["content-length"] == str(len(body))
    assert chunk["data"] == body.decode()  # readable in the file
    server.stop()
    with use_cassette(cassette_path, decode_compressed_response=True):
        assert requests.get(f"{server.url}/{encoding}", timeout=5).content == body


def test_decode_response_leaves_unknown_or_broken_codings_alone() -> None:
    unknown = HttpResponse(200, headers=(("Content-Encoding", "zstd-x"),), body=b"x")
    assert decode_response(unknown) is unknown
    broken = HttpResponse(200, headers=(("Content-Encoding", "gzip"),), body=b"nope")
    assert decode_response(broken) is broken
    layered = HttpResponse(
        200,
        headers=(("Content-Encoding", "gzip, gzip"),),
        body=gzip.compress(gzip.compress(b"twice")),
    )
    assert decode_response(layered).body == b"twice"


def test_adapters_can_be_restricted(server: LiveServer, cassette_path: Path) -> None:
    with (
        use_cassette(cassette_path, adapters=["http.client"], record_mode="none"),
        pytest.warns(UninterceptedConnectionWarning, match="opened by urllib3"),
    ):
        # requests and urllib3 are not patched: this goes to the network, loudly.
        assert requests.get(server.url + "/text", timeout=5).ok
    context = use_cassette(cassette_path, adapters=["curl"])
    with pytest.raises(ConfigurationError, match="unknown adapter 'curl'"):
        context.__enter__()


# -- one options object -------------------------------------------------------


def test_options_typed_keywords_match_the_options_object() -> None:
    from typing import get_type_hints

    from interposition.http import CassetteOptions, CassetteOptionsArgs

    assert tuple(get_type_hints(CassetteOptionsArgs)) == CassetteOptions.names()


def test_unknown_option_names_the_closest(cassette_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="did you mean 'filter_headers'"):
        use_cassette(cassette_path, filter_header=["x-secret"])  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError, match="unknown cassette option 'zzz'"):
        use_cassette(cassette_path, zzz=1)  # type: ignore[call-arg]


def test_options_are_frozen_and_normalized() -> None:
    import dataclasses

    from interposition.http import CassetteOptions

    options = CassetteOptions(
        filter_headers=["x-secret"],  # type: ignore[arg-type]
        ignore_hosts=iter(["Example.COM"]),  # type: ignore[arg-type]
    )
    assert options.filter_headers == ("x-secret",)
    assert options.ignored_hosts == frozenset({"example.com"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.record_mode = "all"  # type: ignore[misc]
    changed = options.replace(record_mode="none")
    assert (changed.record_mode, options.record_mode) == ("none", "once")
    with pytest.raises(ConfigurationError, match="record_mode"):
        options.replace(record_mode="sometimes")
    with pytest.raises(ConfigurationError, match="did you mean 'match_on'"):
        options.replace(match_om=["method"])


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("record_mode", "sometimes"),
        ("before_record_request", 42),
        ("before_record_response", "no"),
        ("filter_headers", "authorization"),
        ("filter_query_parameters", 3),
        ("ignore_hosts", "example.com"),
        ("adapters", "requests"),
        ("match_on", "method"),
    ],
)
def test_a_bad_value_names_its_option(
    cassette_path: Path, name: str, value: object
) -> None:
    with pytest.raises(ConfigurationError, match=name):
        use_cassette(cassette_path, **{name: value})  # type: ignore[arg-type]


def test_options_are_validated_once_per_context(
    server: LiveServer, cassette_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from interposition.http import _options

    built: list[object] = []
    real = _options.build_matcher  # type: ignore[attr-defined]

    def counting(match_on: object) -> object:
        built.append(match_on)
        return real(match_on)  # type: ignore[arg-type]

    monkeypatch.setattr(_options, "build_matcher", counting)
    context = use_cassette(cassette_path, match_on=["method", "path"])

    @context
    def call() -> str:
        return requests.get(server.url + "/text", timeout=5).text

    assert [call(), call(), call()] == ["hello world"] * 3
    with context as cassette:
        assert cassette.options is context.options
    assert built == [["method", "path"]]
    assert server.hits == 1  # recorded once, replayed after


def test_a_session_takes_options_or_keywords(cassette_path: Path) -> None:
    from interposition.http import CassetteOptions, CassetteSession

    options = CassetteOptions(record_mode="none")
    assert CassetteSession(cassette_path, options).options is options
    assert CassetteSession(cassette_path, record_mode="all").record_mode == "all"
    changed = CassetteSession(cassette_path, options, allow_playback_repeats=True)
    assert changed.options.allow_playback_repeats
    assert changed.record_mode == "none"
    with pytest.raises(ConfigurationError, match="did you mean"):
        CassetteSession(cassette_path, recordmode="none")  # type: ignore[call-arg]
