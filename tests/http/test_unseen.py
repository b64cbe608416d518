"""A connection that no adapter saw, while a cassette is in force, is reported."""

from __future__ import annotations

import asyncio
import http.client
import socket
import warnings
from pathlib import Path

import pytest
import requests

from interposition.http import (
    UninterceptedConnectionWarning,
    passthrough,
    use_cassette,
)

from .conftest import LiveServer


def _raw_get(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"GET /text HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return sock.recv(65536)


def test_a_raw_socket_is_reported_once_and_still_connects(
    server: LiveServer, cassette_path: Path
) -> None:
    with (
        use_cassette(cassette_path) as cassette,
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        assert _raw_get(server.port).startswith(b"HTTP/1.1 200")
        assert _raw_get(server.port).startswith(b"HTTP/1.1 200")
    assert [w.category for w in caught] == [UninterceptedConnectionWarning]
    message = str(caught[0].message)
    assert f"127.0.0.1:{server.port}" in message
    assert "opened by tests" in message
    assert str(cassette.path) in message
    assert "ignore_hosts" in message
    assert caught[0].filename == __file__  # points at the caller
    assert cassette.interactions == ()
    assert server.hits == 2


def test_a_client_whose_adapter_is_off_is_named(
    server: LiveServer, cassette_path: Path
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port)
    with (
        use_cassette(cassette_path, adapters=["requests"]),
        pytest.warns(UninterceptedConnectionWarning, match="opened by http.client"),
    ):
        connection.request("GET", "/text")
    assert connection.getresponse().read() == b"hello world"
    connection.close()


def test_asyncio_connections_are_reported(
    server: LiveServer, cassette_path: Path
) -> None:
    async def talk() -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GET /text HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = await reader.read()
        writer.close()
        await writer.wait_closed()
        return data

    with (
        use_cassette(cassette_path),
        pytest.warns(UninterceptedConnectionWarning, match="opened by tests"),
    ):
        assert asyncio.run(talk()).endswith(b"hello world")


@pytest.mark.parametrize(
    "options",
    [{"ignore_localhost": True}, {"ignore_hosts": ["127.0.0.1"]}],
    ids=["ignore_localhost", "ignore_hosts"],
)
def test_ignored_hosts_are_not_reported(
    server: LiveServer, cassette_path: Path, options: dict[str, object]
) -> None:
    with use_cassette(cassette_path, **options), warnings.catch_warnings():  # type: ignore[arg-type]
        warnings.simplefilter("error")
        assert _raw_get(server.port).startswith(b"HTTP/1.1 200")
        # Covered clients, sent to an ignored host, are not reported either.
        assert requests.get(server.url + "/text", timeout=5).text == "hello world"


def test_covered_clients_passthrough_and_outside_are_silent(
    server: LiveServer, cassette_path: Path
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with use_cassette(cassette_path):
            assert requests.get(server.url + "/text", timeout=5).ok  # recorded
            with passthrough():
                _raw_get(server.port)
        _raw_get(server.port)  # no cassette in force
    assert "connect" not in vars(socket.socket)  # the patch is undone
    assert "connect_ex" not in vars(socket.socket)


def test_unix_sockets_are_not_http(tmp_path: Path, cassette_path: Path) -> None:
    path = str(tmp_path / "s.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    try:
        with use_cassette(cassette_path), warnings.catch_warnings():
            warnings.simplefilter("error")
            client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            client.connect(path)
            client.close()
    finally:
        listener.close()
