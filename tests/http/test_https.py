"""https: recorded over real TLS (a local CA), replayed with the server gone."""

from __future__ import annotations

import http.client
import ssl
import urllib.request
from pathlib import Path

import httpx
import requests
import urllib3

from interposition.http import use_cassette

from .conftest import BINARY, LiveServer


def _scenario(server: LiveServer, tls: ssl.SSLContext, ca_file: str) -> None:
    with urllib.request.urlopen(server.url + "/text?name=tls", context=tls) as reply:
        assert reply.read() == b"hello tls"
    connection = http.client.HTTPSConnection("127.0.0.1", server.port, context=tls)
    connection.request("GET", "/chunked")
    assert connection.getresponse().read() == b"first,second,third"
    connection.close()
    assert requests.get(server.url + "/binary", verify=ca_file, timeout=5).content == (
        BINARY
    )
    with urllib3.PoolManager(ssl_context=tls) as pool:
        assert pool.request("GET", server.url + "/unicode").status == 200
    with httpx.Client(verify=tls) as client:
        assert client.get(server.url + "/gzip").content == b"compressed " * 50


def test_https_record_and_replay(
    https_server: LiveServer,
    client_tls: ssl.SSLContext,
    certificate_authority: object,
    cassette_path: Path,
    tmp_path: Path,
) -> None:
    ca_file = tmp_path / "ca.pem"
    certificate_authority.cert_pem.write_to_path(str(ca_file))  # type: ignore[attr-defined]
    with use_cassette(cassette_path):
        _scenario(https_server, client_tls, str(ca_file))
    assert https_server.hits == 5
    assert "https://127.0.0.1:" in cassette_path.read_text()
    https_server.stop()
    with use_cassette(cassette_path, record_mode="none") as cassette:
        _scenario(https_server, client_tls, str(ca_file))
    assert cassette.all_played
