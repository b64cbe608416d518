"""pycurl through use_cassette: a stand-in for pycurl.Curl.

Every scenario runs against a real loopback server, then again with the
server stopped, from the file; what the callbacks and getinfo see must be
the same both times.
"""

from __future__ import annotations

import io
import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pycurl
import pytest
import trustme

from interposition import ConfigurationError
from interposition.http import HttpInteractionNotFoundError, use_cassette

from .conftest import BINARY, LARGE, UNICODE_TEXT, LiveServer
from .test_cross_client import CLIENTS, record_then_replay
from .test_httplib2 import _with_httplib2


@dataclass
class Result:
    status: int
    body: bytes
    pieces: list[bytes] = field(repr=False)
    head: list[bytes] = field(repr=False)
    info: dict[str, Any] = field(repr=False)


INFOS = (
    "RESPONSE_CODE",
    "EFFECTIVE_URL",
    "EFFECTIVE_METHOD",
    "CONTENT_TYPE",
    "REDIRECT_COUNT",
    "REDIRECT_URL",
    "HEADER_SIZE",
    "SIZE_DOWNLOAD_T",
    "CONTENT_LENGTH_DOWNLOAD_T",
    "INFO_HTTP_VERSION",
)


def curl(url: str, **options: Any) -> Result:
    handle = pycurl.Curl()
    pieces: list[bytes] = []
    head: list[bytes] = []
    try:
        handle.setopt(pycurl.URL, url)
        handle.setopt(pycurl.WRITEFUNCTION, pieces.append)
        handle.setopt(pycurl.HEADERFUNCTION, head.append)
        for name, value in options.items():
            handle.setopt(getattr(pycurl, name), value)
        handle.perform()
        info = {name: handle.getinfo(getattr(pycurl, name)) for name in INFOS}
        return Result(info["RESPONSE_CODE"], b"".join(pieces), pieces, head, info)
    finally:
        handle.close()


def _recorded(path: Path) -> list[dict[str, Any]]:
    interactions: list[dict[str, Any]] = json.loads(path.read_text())["interactions"]
    return interactions


def _twice(
    server: LiveServer, cassette_path: Path, scenario: Callable[[], object]
) -> None:
    """Run a scenario live, then replayed: it must return the same both times."""
    with use_cassette(cassette_path):
        recorded = scenario()
    assert server.hits > 0
    server.stop()
    with use_cassette(cassette_path, record_mode="none") as cassette:
        replayed = scenario()
    assert cassette.all_played
    assert replayed == recorded


@pytest.mark.parametrize(
    ("path", "options", "expected"),
    [
        ("/text?name=x", {}, b"hello x"),
        ("/binary", {}, BINARY),
        ("/unicode", {}, UNICODE_TEXT.encode()),
        ("/large", {}, LARGE),
        ("/chunked", {}, b"first,second,third"),
        ("/gzip", {"ACCEPT_ENCODING": ""}, b"compressed " * 50),
        ("/deflate", {"ACCEPT_ENCODING": "deflate"}, b"deflated " * 50),
    ],
)
def test_record_then_replay_with_the_server_stopped(
    path: str,
    options: dict[str, Any],
    expected: bytes,
    server: LiveServer,
    cassette_path: Path,
) -> None:
    with use_cassette(cassette_path):
        live = curl(server.url + path, **options)
    assert (live.status, live.body) == (200, expected)
    assert server.hits == 1
    server.stop()
    with use_cassette(cassette_path, record_mode="none") as cassette:
        replayed = curl(server.url + path, **options)
    assert cassette.play_counts == (1,)
    assert (replayed.status, replayed.body) == (200, expected)
    assert replayed.head == live.head
    assert replayed.info == live.info


def test_callbacks_and_getinfo_match_real_pycurl(
    server: LiveServer, cassette_path: Path
) -> None:
    real = curl(server.url + "/redirect", FOLLOWLOCATION=1)  # no cassette
    with use_cassette(cassette_path):
        recorded = curl(server.url + "/redirect", FOLLOWLOCATION=1)
    server.stop()
    with use_cassette(cassette_path) as cassette:
        replayed = curl(server.url + "/redirect", FOLLOWLOCATION=1)
    assert cassette.all_played
    for result in (recorded, replayed):
        assert result.body == real.body == b"hello redirected"
        assert [line.split(b":")[0] for line in result.head] == [
            line.split(b":")[0] for line in real.head
        ]
        assert {k: v for k, v in result.info.items() if k != "HEADER_SIZE"} == {
            k: v for k, v in real.info.items() if k != "HEADER_SIZE"
        }
    assert real.info["REDIRECT_COUNT"] == 1
    assert real.info["EFFECTIVE_URL"] == server.url + "/text?name=redirected"
    # Each hop is its own recording, as with every other client.
    assert [i["request"]["target"] for i in _recorded(cassette_path)] == [
        server.url + "/redirect",
        server.url + "/text?name=redirected",
    ]


def test_chunk_boundaries_reach_the_write_callback(
    server: LiveServer, cassette_path: Path
) -> None:
    def scenario() -> list[bytes]:
        return curl(server.url + "/chunked").pieces

    _twice(server, cassette_path, scenario)
    with use_cassette(cassette_path, record_mode="none"):
        assert scenario() == [b"first,", b"second,", b"third"]


def test_gzip_is_stored_raw_and_passed_raw_without_accept_encoding(
    server: LiveServer, cassette_path: Path
) -> None:
    def scenario() -> tuple[bytes, bytes]:
        raw = curl(server.url + "/gzip").body
        decoded = curl(server.url + "/gzip", ACCEPT_ENCODING="gzip").body
        return raw, decoded

    _twice(server, cassette_path, scenario)
    with use_cassette(cassette_path, record_mode="none"):
        raw, decoded = scenario()
    assert raw[:2] == b"\x1f\x8b"
    assert decoded == b"compressed " * 50
    second = _recorded(cassette_path)[1]
    assert ["Accept-Encoding", "gzip"] in second["request"]["headers"]


def test_methods_bodies_and_head(server: LiveServer, cassette_path: Path) -> None:
    def echo(**options: Any) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(
            curl(server.url + "/echo", **options).body
        )
        return document

    def scenario() -> list[object]:
        posted = echo(POSTFIELDS=b"a=1&b=\x00\xff")
        uploaded = echo(
            UPLOAD=1, READFUNCTION=io.BytesIO(b"uploaded body").read, INFILESIZE=13
        )
        deleted = echo(CUSTOMREQUEST="DELETE")
        patched = echo(CUSTOMREQUEST="PATCH", POSTFIELDS='{"k": 1}')
        head = curl(server.url + "/large", NOBODY=1)
        return [
            (posted["method"], posted["body"], posted["headers"]["Content-Type"]),
            (uploaded["method"], uploaded["body"]),
            deleted["method"],
            (patched["method"], patched["body"]),
            (head.info["EFFECTIVE_METHOD"], head.pieces, head.status),
        ]

    _twice(server, cassette_path, scenario)
    with use_cassette(cassette_path, record_mode="none"):
        assert scenario() == [
            ("POST", "a=1&b=\x00\ufffd", "application/x-www-form-urlencoded"),
            ("PUT", "uploaded body"),
            "DELETE",
            ("PATCH", '{"k": 1}'),
            ("HEAD", [], 200),
        ]
    recorded = [i["request"] for i in _recorded(cassette_path)]
    assert recorded[1]["body"] == "uploaded body"
    # What the options imply is recorded as curl sent it.
    assert ["Content-Type", "application/x-www-form-urlencoded"] in recorded[3][
        "headers"
    ]
    assert all(name != "Content-Type" for name, _ in recorded[1]["headers"])


def test_redirect_options(server: LiveServer, cassette_path: Path) -> None:
    def scenario() -> list[object]:
        unfollowed = curl(server.url + "/redirect")
        with pytest.raises(pycurl.error) as caught:
            curl(server.url + "/redirect", FOLLOWLOCATION=1, MAXREDIRS=0)
        posted = curl(server.url + "/redirect", FOLLOWLOCATION=1, POSTFIELDS="x=1")
        return [
            (unfollowed.status, unfollowed.info["REDIRECT_URL"]),
            caught.value.args[0],
            (posted.info["EFFECTIVE_METHOD"], posted.body),
        ]

    _twice(server, cassette_path, scenario)
    with use_cassette(cassette_path, record_mode="none"):
        assert scenario() == [
            (302, server.url + "/text?name=redirected"),
            pycurl.E_TOO_MANY_REDIRECTS,
            ("GET", b"hello redirected"),  # 302 turns a POST into a GET
        ]


def test_failonerror_and_header(server: LiveServer, cassette_path: Path) -> None:
    def scenario() -> list[object]:
        with pytest.raises(pycurl.error) as caught:
            curl(server.url + "/status/404", FAILONERROR=1)
        with_head = curl(server.url + "/text?name=h", HEADER=1)
        return [caught.value.args, with_head.body.split(b"\r\n\r\n")[1]]

    _twice(server, cassette_path, scenario)
    with use_cassette(cassette_path, record_mode="none"):
        assert scenario() == [
            (pycurl.E_HTTP_RETURNED_ERROR, "The requested URL returned error: 404"),
            b"hello h",
        ]


def test_record_modes_and_a_miss_raises_from_perform(
    server: LiveServer, cassette_path: Path
) -> None:
    with (
        use_cassette(cassette_path, record_mode="none"),
        pytest.raises(HttpInteractionNotFoundError, match="holds no recordings"),
    ):
        curl(server.url + "/text")
    assert server.hits == 0
    with use_cassette(cassette_path):
        assert curl(server.url + "/counter").body == b"1"
    with use_cassette(cassette_path):
        assert curl(server.url + "/counter").body == b"1"
        with pytest.raises(HttpInteractionNotFoundError) as caught:
            curl(server.url + "/text?name=b")
    assert f"GET {server.url}/text?name=b" in str(caught.value)
    assert "record_mode='once'" in str(caught.value)
    with use_cassette(cassette_path, record_mode="new_episodes"):
        assert curl(server.url + "/counter").body == b"1"
        assert curl(server.url + "/text?name=b").body == b"hello b"
    assert server.hits == 2
    with use_cassette(cassette_path, record_mode="all"):
        assert curl(server.url + "/counter").body == b"3"
    assert len(_recorded(cassette_path)) == 1


def test_ordered_playback_of_repeated_requests(
    server: LiveServer, cassette_path: Path
) -> None:
    with use_cassette(cassette_path):
        assert [curl(server.url + "/counter").body for _ in range(3)] == [
            b"1",
            b"2",
            b"3",
        ]
    server.stop()
    with use_cassette(cassette_path) as cassette:
        assert [curl(server.url + "/counter").body for _ in range(3)] == [
            b"1",
            b"2",
            b"3",
        ]
        with pytest.raises(HttpInteractionNotFoundError, match="already played"):
            curl(server.url + "/counter")
    assert cassette.play_counts == (1, 1, 1)


def test_match_on_body_and_headers(server: LiveServer, cassette_path: Path) -> None:
    def post(body: bytes, flavour: str) -> str:
        result = curl(
            server.url + "/echo", POSTFIELDS=body, HTTPHEADER=[f"X-Flavour: {flavour}"]
        )
        return str(json.loads(result.body)["body"])

    # Exact bytes: curl sends POSTFIELDS as a form, and "one" and "two" parse
    # to the same (empty) form, so vcrpy's content-aware `body` equates them.
    match_on = ("method", "path", "raw_body", "header:x-flavour")
    with use_cassette(cassette_path, match_on=match_on):
        assert [post(b"one", "a"), post(b"two", "a"), post(b"one", "b")] == [
            "one",
            "two",
            "one",
        ]
    server.stop()
    with use_cassette(cassette_path, match_on=match_on, record_mode="none") as c:
        assert [post(b"one", "b"), post(b"two", "a"), post(b"one", "a")] == [
            "one",
            "two",
            "one",
        ]
        with pytest.raises(HttpInteractionNotFoundError, match="body"):
            post(b"three", "a")
    assert c.all_played


def test_credentials_are_redacted_and_still_match(
    server: LiveServer, cassette_path: Path
) -> None:
    sent: list[str] = []

    def scenario() -> list[int]:
        bearer = curl(server.url + "/echo", HTTPHEADER=["Authorization: Bearer s3cr3t"])
        basic = curl(server.url + "/echo", USERPWD="user:hunter2")
        sent.extend(
            json.loads(r.body)["headers"]["Authorization"] for r in (bearer, basic)
        )
        return [bearer.status, basic.status]

    _twice(server, cassette_path, scenario)
    assert sent[:2] == ["Bearer s3cr3t", "Basic dXNlcjpodW50ZXIy"]
    text = cassette_path.read_text()
    assert "s3cr3t" not in text
    assert "dXNlcjpodW50ZXIy" not in text  # base64 of user:hunter2
    headers = [dict(i["request"]["headers"]) for i in _recorded(cassette_path)]
    assert [h["Authorization"] for h in headers] == [
        "Bearer REDACTED",
        "Basic REDACTED",
    ]


def test_request_headers_as_curl_sends_them(
    server: LiveServer, cassette_path: Path
) -> None:
    with use_cassette(cassette_path):
        result = curl(
            server.url + "/echo",
            USERAGENT="agent/1",
            REFERER="http://referrer.test/",
            COOKIE="k=v",
            HTTPHEADER=["X-A: 1", "Accept:", "X-Empty;"],
        )
    sent = json.loads(result.body)["headers"]
    (interaction,) = _recorded(cassette_path)
    recorded = interaction["request"]["headers"]
    assert recorded == [
        ["User-Agent", "agent/1"],
        ["Referer", "http://referrer.test/"],
        ["Cookie", "k=REDACTED"],
        ["X-A", "1"],
        ["X-Empty", ""],
    ]
    for name, value in recorded:
        assert sent[name] == (value if name != "Cookie" else "k=v")
    assert "Accept" not in sent


def test_https_with_cainfo_and_without_verification(
    https_server: LiveServer,
    certificate_authority: trustme.CA,
    cassette_path: Path,
    tmp_path: Path,
) -> None:
    ca_file = tmp_path / "ca.pem"
    certificate_authority.cert_pem.write_to_path(str(ca_file))

    def scenario() -> list[object]:
        verified = curl(https_server.url + "/binary", CAINFO=str(ca_file))
        unverified = curl(
            https_server.url + "/text?name=tls", SSL_VERIFYPEER=0, SSL_VERIFYHOST=0
        )
        return [verified.body == BINARY, unverified.body, verified.info]

    _twice(https_server, cassette_path, scenario)
    assert "https://127.0.0.1:" in cassette_path.read_text()


def test_https_with_an_untrusted_certificate_fails_when_recording(
    https_server: LiveServer, cassette_path: Path
) -> None:
    with use_cassette(cassette_path), pytest.raises(pycurl.error) as caught:
        curl(https_server.url + "/text")
    assert caught.value.args[0] == pycurl.E_PEER_FAILED_VERIFICATION
    assert not cassette_path.exists() or _recorded(cassette_path) == []


def test_unsupported_options_raise_instead_of_recording_something_wrong(
    server: LiveServer, cassette_path: Path
) -> None:
    with use_cassette(cassette_path):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # pycurl >= 7.46
            with pytest.raises(ConfigurationError, match="HTTPPOST"):
                curl(server.url + "/echo", HTTPPOST=[("field", "value")])
        with pytest.raises(ConfigurationError, match="COOKIEFILE"):
            curl(server.url + "/text", COOKIEFILE="")
        with pytest.raises(ConfigurationError, match="HTTPAUTH"):
            curl(server.url + "/text", USERPWD="u:p", HTTPAUTH=pycurl.HTTPAUTH_DIGEST)
    assert server.hits == 0
    # Outside the cassette, or for a host it ignores, they work as ever.
    assert curl(server.url + "/text", COOKIEFILE="").body == b"hello world"
    with use_cassette(cassette_path, ignore_localhost=True):
        assert curl(server.url + "/text", COOKIEFILE="").body == b"hello world"
    assert server.hits == 2


def test_getinfo_of_what_is_not_recorded_raises(
    server: LiveServer, cassette_path: Path
) -> None:
    with use_cassette(cassette_path):
        handle = pycurl.Curl()
        handle.setopt(pycurl.URL, server.url + "/text")
        assert handle.getinfo(pycurl.RESPONSE_CODE) == 0  # nothing performed yet
        assert handle.perform_rb() == b"hello world"
        with pytest.raises(ConfigurationError, match="PRIMARY_IP"):
            handle.getinfo(pycurl.PRIMARY_IP)
        assert (
            handle.getinfo_raw(pycurl.EFFECTIVE_URL) == (server.url + "/text").encode()
        )
        assert handle.perform_rs() == "hello world"
        assert handle.errstr() == ""
        handle.close()


def test_callback_failures_are_curl_write_errors(
    server: LiveServer, cassette_path: Path
) -> None:
    def boom(data: bytes) -> None:
        raise ValueError("boom")

    def scenario() -> list[object]:
        errors: list[object] = []
        for write in (boom, lambda data: 0):
            with pytest.raises(pycurl.error) as caught:
                curl(server.url + "/text", WRITEFUNCTION=write)
            errors.append(caught.value.args[0])
        return errors

    _twice(server, cassette_path, scenario)
    with use_cassette(cassette_path, record_mode="none"):
        with pytest.raises(pycurl.error) as caught:
            curl(server.url + "/text", WRITEFUNCTION=boom)
        assert caught.value.args[0] == pycurl.E_WRITE_ERROR
        assert isinstance(caught.value.__cause__, ValueError)


def test_the_patch_and_its_limits(server: LiveServer, cassette_path: Path) -> None:
    real_type = pycurl.Curl
    before = pycurl.Curl()  # made before the cassette: a real handle
    before.setopt(pycurl.URL, server.url + "/text?name=before")
    before.setopt(pycurl.WRITEFUNCTION, lambda data: None)
    with use_cassette(cassette_path):
        assert pycurl.Curl is not real_type
        with use_cassette(cassette_path.with_name("inner.json")):
            assert pycurl.Curl is not real_type
        handle = pycurl.Curl()
        assert isinstance(handle, pycurl.Curl)
        assert handle.URL == pycurl.URL  # type: ignore[attr-defined]
        before.perform()  # not intercepted: it goes to the network
        with pytest.raises(TypeError):
            pycurl.CurlMulti().add_handle(handle)
        handle.setopt(pycurl.URL, server.url + "/counter")
        copy = handle.duphandle()
        assert copy.perform_rb() == b"2"
        handle.close()
        copy.close()
    before.close()
    assert pycurl.Curl is real_type
    assert [i["request"]["target"] for i in _recorded(cassette_path)] == [
        server.url + "/counter"
    ]


def test_a_handle_made_in_a_cassette_goes_live_after_it(
    server: LiveServer, cassette_path: Path
) -> None:
    with use_cassette(cassette_path):
        handle = pycurl.Curl()
        handle.setopt(pycurl.URL, server.url + "/counter")
        assert handle.perform_rb() == b"1"
    assert handle.perform_rb() == b"2"
    assert handle.getinfo(pycurl.PRIMARY_IP) == "127.0.0.1"  # the real handle's
    handle.close()
    assert len(_recorded(cassette_path)) == 1


# -- one cassette, any client --------------------------------------------------


def _with_pycurl(method: str, url: str, body: bytes | None) -> tuple[int, bytes]:
    options: dict[str, Any] = {"ACCEPT_ENCODING": ""}
    if method == "PUT":
        options.update(UPLOAD=1, READFUNCTION=io.BytesIO(body or b"").read)
    elif method != "GET":
        options.update(CUSTOMREQUEST=method, POSTFIELDS=body or b"")
    result = curl(url, **options)
    return result.status, result.body


OTHERS = {**CLIENTS, "httplib2": _with_httplib2}


@pytest.mark.parametrize(
    "other", ["requests", "httpx", "urllib", "http.client", "httplib2"]
)
@pytest.mark.parametrize("direction", ["pycurl first", "pycurl second"])
def test_cross_client(
    other: str, direction: str, server: LiveServer, cassette_path: Path
) -> None:
    recorder, replayer = OTHERS[other], _with_pycurl
    if direction == "pycurl first":
        recorder, replayer = replayer, recorder
    record_then_replay(recorder, replayer, server, cassette_path)
