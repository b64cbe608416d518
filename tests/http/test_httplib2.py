"""httplib2 (and so google-api-python-client) through use_cassette.

Every scenario runs against a real loopback server, then again with the
server stopped, from the file.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httplib2
import pytest
import trustme

from interposition.http import HttpInteractionNotFoundError, HttpResponse, use_cassette

from .conftest import BINARY, BODIES, LARGE, LiveServer
from .test_cross_client import CLIENTS, record_then_replay


def _get(url: str, http: httplib2.Http | None = None) -> tuple[int, bytes]:
    client = http or httplib2.Http()
    try:
        response, content = client.request(url)
    finally:
        if http is None:
            client.close()
    return response.status, content


def _twice(
    server: LiveServer, cassette_path: Path, scenario: Callable[[], None]
) -> None:
    with use_cassette(cassette_path):
        scenario()
    hits = server.hits
    assert hits > 0
    server.stop()
    with use_cassette(cassette_path, record_mode="none") as cassette:
        scenario()
    assert cassette.all_played


def _recorded(path: Path) -> list[dict[str, object]]:
    interactions: list[dict[str, object]] = json.loads(path.read_text())["interactions"]
    return interactions


@pytest.mark.parametrize(
    ("path", "expected"),
    BODIES,
)
def test_record_then_replay_with_the_server_stopped(
    path: str, expected: bytes, server: LiveServer, cassette_path: Path
) -> None:
    with use_cassette(cassette_path):
        assert _get(server.url + path) == (200, expected)
    assert server.hits == 1
    server.stop()
    with use_cassette(cassette_path, record_mode="none") as cassette:
        assert _get(server.url + path) == (200, expected)
    assert cassette.play_counts == (1,)


def test_without_a_cassette_nothing_is_recorded(
    server: LiveServer, cassette_path: Path
) -> None:
    assert _get(server.url + "/text") == (200, b"hello world")
    with use_cassette(cassette_path):
        pass
    assert _get(server.url + "/text") == (200, b"hello world")
    assert server.hits == 2
    assert not cassette_path.exists()


def test_gzip_is_stored_raw_and_decoded_by_httplib2(
    server: LiveServer, cassette_path: Path
) -> None:
    def scenario() -> None:
        response, content = httplib2.Http().request(server.url + "/gzip")
        assert content == b"compressed " * 50
        assert response["-content-encoding"] == "gzip"

    _twice(server, cassette_path, scenario)
    (interaction,) = _recorded(cassette_path)
    request = interaction["request"]
    assert ["accept-encoding", "gzip, deflate"] in request["headers"]  # type: ignore[index]


def test_redirects_post_head_and_status(
    server: LiveServer, cassette_path: Path
) -> None:
    def scenario() -> None:
        http = httplib2.Http()
        response, content = http.request(server.url + "/redirect")
        assert content == b"hello redirected"
        assert response.previous is not None
        assert response.previous.status == 302
        response, content = http.request(
            server.url + "/echo",
            "POST",
            body=b"\x00\xffpayload",
            headers={"content-type": "application/octet-stream"},
        )
        echoed = json.loads(content)
        assert echoed["method"] == "POST"
        assert echoed["body"] == "\x00\ufffdpayload"
        response, content = http.request(server.url + "/large", "HEAD")
        assert response["content-length"] == str(len(LARGE))
        assert content == b""
        response, content = http.request(server.url + "/status/404")
        assert (response.status, response.reason, content) == (
            404,
            "Not Found",
            b"status 404",
        )
        response, _ = http.request(server.url + "/multi")
        assert response["x-multi"] == "one, two"

    _twice(server, cassette_path, scenario)
    assert [i["request"]["action"] for i in _recorded(cassette_path)] == [  # type: ignore[index]
        "GET",
        "GET",
        "POST",
        "HEAD",
        "GET",
        "GET",
    ]


def test_record_modes(server: LiveServer, cassette_path: Path) -> None:
    with (
        use_cassette(cassette_path, record_mode="none"),
        pytest.raises(HttpInteractionNotFoundError, match="holds no recordings"),
    ):
        _get(server.url + "/text")
    assert server.hits == 0
    with use_cassette(cassette_path):  # once, new cassette: records
        assert _get(server.url + "/counter") == (200, b"1")
    with use_cassette(cassette_path) as cassette:  # once, existing: replays
        assert _get(server.url + "/counter") == (200, b"1")
        with pytest.raises(HttpInteractionNotFoundError, match="record_mode='once'"):
            _get(server.url + "/text?name=new")
    assert cassette.broker.mode == "replay"
    with use_cassette(cassette_path, record_mode="new_episodes"):
        assert _get(server.url + "/counter") == (200, b"1")
        assert _get(server.url + "/text?name=new") == (200, b"hello new")
    assert server.hits == 2
    with use_cassette(cassette_path, record_mode="all"):
        assert _get(server.url + "/counter") == (200, b"3")
    assert [i["request"]["target"] for i in _recorded(cassette_path)] == [  # type: ignore[index]
        server.url + "/counter"
    ]


def test_a_miss_raises_from_the_request_call(
    server: LiveServer, cassette_path: Path
) -> None:
    with use_cassette(cassette_path):
        _get(server.url + "/text?name=a")
    server.stop()
    http = httplib2.Http()
    with use_cassette(cassette_path) as cassette:
        with pytest.raises(HttpInteractionNotFoundError) as caught:
            http.request(server.url + "/text?name=b")
        assert "query (name=b vs recorded name=a)" in str(caught.value)
        # The connection stays usable for the next request.
        assert _get(server.url + "/text?name=a", http) == (200, b"hello a")
    assert cassette.play_counts == (1,)
    # force_exception_to_status_code turns every error into a response, and
    # so this one too: the message is the body.
    forced = httplib2.Http()
    forced.force_exception_to_status_code = True
    with use_cassette(cassette_path):
        response, content = forced.request(server.url + "/text?name=c")
    assert response.status == 400
    assert b"No recording in cassette" in content


def test_ordered_playback_of_repeated_requests(
    server: LiveServer, cassette_path: Path
) -> None:
    http = httplib2.Http()
    with use_cassette(cassette_path):
        assert [_get(server.url + "/counter", http)[1] for _ in range(3)] == [
            b"1",
            b"2",
            b"3",
        ]
    server.stop()
    with use_cassette(cassette_path) as cassette:
        assert [_get(server.url + "/counter", http)[1] for _ in range(3)] == [
            b"1",
            b"2",
            b"3",
        ]
        with pytest.raises(HttpInteractionNotFoundError, match="already played"):
            _get(server.url + "/counter", http)
    assert cassette.play_counts == (1, 1, 1)
    with use_cassette(cassette_path, allow_playback_repeats=True):
        assert [_get(server.url + "/counter")[1] for _ in range(4)] == [
            b"1",
            b"2",
            b"3",
            b"3",
        ]


def test_match_on_body_and_headers(server: LiveServer, cassette_path: Path) -> None:
    def post(body: bytes, flavour: str) -> bytes:
        _, content = httplib2.Http().request(
            server.url + "/echo", "POST", body=body, headers={"x-flavour": flavour}
        )
        return bytes(json.loads(content)["body"].encode())

    match_on = ("method", "path", "body", "header:x-flavour")
    with use_cassette(cassette_path, match_on=match_on):
        assert post(b"one", "a") == b"one"
        assert post(b"two", "a") == b"two"
        assert post(b"one", "b") == b"one"
    server.stop()
    with use_cassette(cassette_path, match_on=match_on, record_mode="none") as c:
        assert post(b"one", "b") == b"one"
        assert post(b"two", "a") == b"two"
        assert post(b"one", "a") == b"one"
        with pytest.raises(HttpInteractionNotFoundError, match="body"):
            post(b"three", "a")
    assert c.all_played


def test_authorization_is_redacted_and_still_matches(
    server: LiveServer, cassette_path: Path
) -> None:
    def scenario() -> None:
        http = httplib2.Http()
        response, _ = http.request(
            server.url + "/echo", headers={"Authorization": "Bearer s3cr3t"}
        )
        assert response.status == 200
        http.add_credentials("user", "hunter2")
        assert _get(server.url + "/text?name=basic", http) == (200, b"hello basic")

    _twice(server, cassette_path, scenario)
    text = cassette_path.read_text()
    assert "s3cr3t" not in text
    assert "REDACTED" in text


def test_hooks_and_ignore_hosts(server: LiveServer, cassette_path: Path) -> None:
    def drop_secret(response: HttpResponse) -> HttpResponse:
        return response.replace(body=b"hidden")

    with use_cassette(
        cassette_path, before_record_response=drop_secret, ignore_localhost=False
    ):
        assert _get(server.url + "/text?name=x") == (200, b"hello x")
    with use_cassette(cassette_path, ignore_hosts=["127.0.0.1"]) as cassette:
        assert _get(server.url + "/text?name=y") == (200, b"hello y")
    assert cassette.play_counts == (0,)
    assert server.hits == 2
    server.stop()
    with use_cassette(cassette_path, record_mode="none"):
        assert _get(server.url + "/text?name=x") == (200, b"hidden")


def test_a_connection_opened_before_the_cassette_is_intercepted_in_it(
    server: LiveServer, cassette_path: Path
) -> None:
    http = httplib2.Http()
    assert _get(server.url + "/text?name=a", http) == (200, b"hello a")
    (connection,) = http.connections.values()
    assert connection.sock is not None  # kept alive, a real socket
    with use_cassette(cassette_path):
        assert _get(server.url + "/text?name=b", http) == (200, b"hello b")
    server.stop()
    with use_cassette(cassette_path, record_mode="none") as cassette:
        assert _get(server.url + "/text?name=b", http) == (200, b"hello b")
    assert cassette.all_played
    assert server.hits == 2


def test_a_connection_made_in_a_cassette_goes_live_after_it(
    server: LiveServer, cassette_path: Path
) -> None:
    http = httplib2.Http()
    with use_cassette(cassette_path):
        assert _get(server.url + "/counter", http) == (200, b"1")
    assert _get(server.url + "/counter", http) == (200, b"2")
    assert len(_recorded(cassette_path)) == 1


def test_unknown_host_is_httplib2s_own_error(cassette_path: Path) -> None:
    with use_cassette(cassette_path), pytest.raises(httplib2.ServerNotFoundError):
        httplib2.Http().request("http://no-such-host.invalid/")
    assert not cassette_path.exists() or _recorded(cassette_path) == []


def test_https_with_ca_certs_and_without_validation(
    https_server: LiveServer,
    certificate_authority: trustme.CA,
    cassette_path: Path,
    tmp_path: Path,
) -> None:
    ca_file = tmp_path / "ca.pem"
    certificate_authority.cert_pem.write_to_path(str(ca_file))

    def scenario() -> None:
        verified = httplib2.Http(ca_certs=str(ca_file))
        assert _get(https_server.url + "/text?name=tls", verified) == (
            200,
            b"hello tls",
        )
        assert _get(https_server.url + "/binary", verified) == (200, BINARY)
        unverified = httplib2.Http(disable_ssl_certificate_validation=True)
        assert _get(https_server.url + "/gzip", unverified) == (
            200,
            b"compressed " * 50,
        )

    _twice(https_server, cassette_path, scenario)
    assert "https://127.0.0.1:" in cassette_path.read_text()


def test_https_with_an_untrusted_certificate_fails_when_recording(
    https_server: LiveServer, cassette_path: Path
) -> None:
    # The default CA bundle does not know the test CA: the live request
    # fails as it would without a cassette, and nothing is recorded.
    with use_cassette(cassette_path), pytest.raises(ssl.SSLError):
        _get(https_server.url + "/text")
    assert not cassette_path.exists() or _recorded(cassette_path) == []


# -- httplib2's cache ----------------------------------------------------------


class _CacheHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hits: list[tuple[str, str | None]]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.hits.append((self.path, self.headers.get("If-None-Match")))
        if self.path == "/fresh":
            self._send(200, b"fresh body", [("Cache-Control", "max-age=3600")])
        elif self.headers.get("If-None-Match") == '"v1"':
            self._send(304, b"", [("ETag", '"v1"')])
        else:
            self._send(200, b"etag body", [("ETag", '"v1"')])

    def _send(self, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def cache_server() -> Iterator[tuple[str, list[tuple[str, str | None]]]]:
    hits: list[tuple[str, str | None]] = []
    handler = type("Handler", (_CacheHandler,), {"hits": hits})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_httplib2_cache_fresh_and_revalidated(
    cache_server: tuple[str, list[tuple[str, str | None]]],
    cassette_path: Path,
    tmp_path: Path,
) -> None:
    url, hits = cache_server

    def scenario(cache: Path) -> list[tuple[int, bytes, bool]]:
        http = httplib2.Http(cache=str(cache))
        seen = []
        for path in ("/fresh", "/fresh", "/etag", "/etag"):
            response, content = http.request(url + path)
            seen.append((response.status, content, response.fromcache))
        return seen

    expected = [
        (200, b"fresh body", False),
        (200, b"fresh body", True),
        (200, b"etag body", False),
        (200, b"etag body", True),
    ]
    with use_cassette(cassette_path):
        assert scenario(tmp_path / "cache-record") == expected
    assert hits == [("/fresh", None), ("/etag", None), ("/etag", '"v1"')]
    with use_cassette(cassette_path, record_mode="none") as cassette:
        assert scenario(tmp_path / "cache-replay") == expected
    assert cassette.all_played
    assert len(hits) == 3
    statuses = [
        i["response_chunks"][0]["metadata"][0]  # type: ignore[index]
        for i in _recorded(cassette_path)
    ]
    assert statuses == [[":status", "200"], [":status", "200"], [":status", "304"]]


# -- one cassette, any client --------------------------------------------------


def _with_httplib2(method: str, url: str, body: bytes | None) -> tuple[int, bytes]:
    response, content = httplib2.Http().request(url, method, body=body)
    return response.status, content


@pytest.mark.parametrize("other", ["requests", "httpx", "urllib", "http.client"])
@pytest.mark.parametrize("direction", ["httplib2 first", "httplib2 second"])
def test_cross_client(
    other: str, direction: str, server: LiveServer, cassette_path: Path
) -> None:
    recorder, replayer = CLIENTS[other], _with_httplib2
    if direction == "httplib2 first":
        recorder, replayer = replayer, recorder
    record_then_replay(recorder, replayer, server, cassette_path)
