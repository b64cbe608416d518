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
    with use_cassette(cassette_path, adapters=["http.client"], record_mode="none"):
        # requests and urllib3 are not patched: this goes to the network.
        assert requests.get(server.url + "/text", timeout=5).ok
    context = use_cassette(cassette_path, adapters=["curl"])
    with pytest.raises(ConfigurationError, match="unknown adapter 'curl'"):
        context.__enter__()
