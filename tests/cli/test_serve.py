"""interposition serve: a real HTTP/1.1 server over a cassette, run as users run it."""

from __future__ import annotations

import http.client
import json
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from interposition.cli._common import load_cassette
from interposition.http import from_interaction
from tests.cli.conftest import run_process, sample_interactions, write_cassette
from tests.http.conftest import LiveServer


class Served:
    def __init__(self, process: subprocess.Popen[str], line: str) -> None:
        self.process = process
        self.line = line
        url = line.rsplit(" ", 1)[-1]
        self.url = url
        host, port = url.removeprefix("http://").rsplit(":", 1)
        self.host = host
        self.port = int(port)

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=10)

    def get(
        self, path: str, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        connection = self.connection()
        try:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def raw(self, data: bytes) -> bytes:
        with socket.create_connection((self.host, self.port), timeout=10) as sock:
            sock.sendall(data)
            chunks = []
            while piece := sock.recv(65536):
                chunks.append(piece)
            return b"".join(chunks)


def _readline(process: subprocess.Popen[str], timeout: float = 30) -> str:
    assert process.stdout is not None
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(process.stdout.readline()))  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    return line[0] if line else ""


@contextmanager
def served(*args: object, stop: int = signal.SIGTERM) -> Iterator[Served]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "interposition",
            "serve",
            *map(str, args),
            "--port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = _readline(process).strip()
        if not line.startswith("Serving "):
            process.kill()
            _, err = process.communicate()
            pytest.fail(f"serve did not start: {line!r} {err!r}")
        server = Served(process, line)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(stop)
        process.wait(timeout=15)
    assert process.returncode == 0
    assert process.stderr is not None
    err = process.stderr.read()
    process.stderr.close()
    assert process.stdout is not None
    process.stdout.close()
    assert "Traceback" not in err
    assert "Stopped" in err


def test_replays_over_http_with_hosts_chunks_and_misses(tmp_path: Path) -> None:
    cassette = write_cassette(tmp_path / "c.yaml", sample_interactions())
    with served(cassette) as server:
        assert server.line == f"Serving {cassette} on http://127.0.0.1:{server.port}"
        # The first recorded origin is the default: /users/1 of api.example.com.
        status, headers, body = server.get("/users/1")
        assert (status, body) == (200, b'{"id": 1}')
        assert headers["Content-Type"] == "application/json"
        # Keep-alive: several requests on one connection, binary bodies.
        connection = server.connection()
        connection.request("POST", "/upload", body=bytes(range(256)))
        response = connection.getresponse()
        assert response.status == 201
        assert response.read() == bytes(range(256))
        assert response.msg.get_all("X-Tag") == ["a", "b"]
        connection.request("GET", "/users/1")
        assert connection.getresponse().read() == b'{"id": 1}'
        connection.close()
        # The Host header picks another recorded origin; chunks go out as chunks.
        raw = server.raw(
            b"GET /stream?page=2 HTTP/1.1\r\nHost: other.example.org\r\n"
            b"Connection: close\r\n\r\n"
        )
        head, _, body = raw.partition(b"\r\n\r\n")
        assert b"Transfer-Encoding: chunked" in head
        assert body == b"4\r\none,\r\n4\r\ntwo,\r\n5\r\nthree\r\n0\r\n\r\n"
        # An absolute-form target (as to a proxy) names its origin.
        raw = server.raw(
            b"GET https://other.example.org/stream?page=2 HTTP/1.0\r\n\r\n"
        )
        assert raw.startswith(b"HTTP/1.1 200 OK\r\n")
        assert raw.endswith(b"\r\n\r\none,two,three")  # HTTP/1.0: no chunking
        # A miss: 404, marked, naming the closest recording and the difference.
        status, headers, body = server.get("/users/2")
        assert status == 404
        assert headers["X-Interposition-Miss"] == "1"
        text = body.decode()
        assert "GET https://api.example.com/users/2" in text
        assert "Closest recording: GET https://api.example.com/users/1" in text
        assert "--upstream" in text


def test_limits_answer_431_413_and_close_idle_connections(tmp_path: Path) -> None:
    cassette = write_cassette(tmp_path / "c.json", sample_interactions())
    with served(
        cassette, "--max-headers", "5", "--max-body", "100", "--idle-timeout", "0.5"
    ) as server:
        many = b"".join(b"X-H%d: v\r\n" % n for n in range(10))
        assert server.raw(
            b"GET /users/1 HTTP/1.1\r\nHost: h\r\n" + many + b"\r\n"
        ).startswith(b"HTTP/1.1 431 ")
        big = b"POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\n"
        assert server.raw(big + b"x" * 1000).startswith(b"HTTP/1.1 413 ")
        chunked = (
            b"POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"80\r\n"
            + b"x" * 128
            + b"\r\n0\r\n\r\n"
        )
        assert server.raw(chunked).startswith(b"HTTP/1.1 413 ")
        assert server.raw(b"NONSENSE\r\n\r\n").startswith(b"HTTP/1.1 400 ")
        huge_line = b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n"
        assert server.raw(huge_line).startswith(b"HTTP/1.1 431 ")
        # An idle connection is closed by the server (recv returns b"").
        with socket.create_connection((server.host, server.port), timeout=5) as sock:
            assert sock.recv(10) == b""
        # A chunked request body within the limit is read and matched.
        ok = (
            b"POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
            b"Connection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
        )
        assert server.raw(ok).startswith(b"HTTP/1.1 201 ")


def test_interposition_http_adapter_cassettes(tmp_path: Path) -> None:
    """That package's convention: target a path, status in ``status_code``."""
    from interposition import Cassette, Interaction, InteractionRequest, ResponseChunk
    from interposition.stores import JsonFileCassetteStore

    request = InteractionRequest(
        protocol="http", action="GET", target="/api/data", headers=(), body=b""
    )
    chunk = ResponseChunk(
        data=b'{"message": "hello"}', sequence=0, metadata=(("status_code", "201"),)
    )
    path = tmp_path / "adapter.json"
    JsonFileCassetteStore(path, create_if_missing=True).save(
        Cassette(interactions=(Interaction.build(request, (chunk,)),))
    )
    with served(path) as server:
        assert server.get("/api/data")[::2] == (201, b'{"message": "hello"}')


def test_upstream_records_then_replays_without_it(
    tmp_path: Path, server: LiveServer
) -> None:
    cassette = tmp_path / "proxy.yaml"
    with served(cassette, "--upstream", server.url) as proxy:
        status, _, body = proxy.get("/text?name=proxied", {"Authorization": "Bearer s"})
        assert status == 200
        assert b"proxied" in body
        raw = proxy.raw(
            b"GET /chunked HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        assert raw.endswith(b"6\r\nfirst,\r\n7\r\nsecond,\r\n5\r\nthird\r\n0\r\n\r\n")
        assert proxy.get("/text?name=proxied")[2] == body  # replayed
    hits = server.hits
    recorded = [from_interaction(i) for i in load_cassette(cassette).interactions]
    assert [r.url for r, _ in recorded] == [
        f"{server.url}/text?name=proxied",
        f"{server.url}/chunked",
    ]
    assert recorded[0][0].header("Authorization") == "Bearer REDACTED"
    assert recorded[1][1].chunks == (b"first,", b"second,", b"third")
    server.stop()
    with served(cassette, stop=signal.SIGINT) as replay:
        assert replay.get("/text?name=proxied")[2] == body
    assert server.hits == hits


def test_user_errors_are_one_line(tmp_path: Path) -> None:
    cassette = write_cassette(tmp_path / "c.json", sample_interactions())
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        port = taken.getsockname()[1]
        for args, message in (
            ((cassette, "--port", port), f"cannot listen on 127.0.0.1:{port}: "),
            ((tmp_path / "none.yaml",), "no cassette at"),
            ((cassette, "--record-mode", "new_episodes"), "it needs --upstream URL"),
            (
                (cassette, "--upstream", f"http://127.0.0.1:{_free_port()}"),
                "unreachable",
            ),
            ((cassette, "--upstream", "ftp://x"), "must be an http:// or https:// URL"),
            ((cassette, "--match-on", "nonsense"), "nonsense"),
            ((cassette, "--port", "x"), "'x' is not a valid integer"),
        ):
            result = run_process("serve", *args)
            assert result.returncode == 2, (args, result.stderr)
            assert result.stderr.count("\n") == 1, result.stderr
            assert result.stderr.startswith("interposition: error: ")
            assert message in result.stderr, result.stderr
    finally:
        taken.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_inspect_json_after_serving(tmp_path: Path) -> None:
    cassette = write_cassette(tmp_path / "c.json", sample_interactions())
    result = run_process("inspect", cassette, "--json")
    assert json.loads(result.stdout)["total"] == 3
