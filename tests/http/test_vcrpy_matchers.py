"""vcrpy's matcher names mean what vcrpy means: checked against vcrpy itself.

For each pair of requests and each vcrpy matcher name, our key function
(one dict lookup per request) must agree with vcrpy's pairwise matcher.
"""

from __future__ import annotations

import pytest
from vcr.matchers import requests_match
from vcr.request import Request as VcrRequest

from interposition.http._mapping import HttpRequest, request_to_engine
from interposition.http._matching import build_matcher

JSON = (("Content-Type", "application/json"),)
FORM = (("Content-Type", "application/x-www-form-urlencoded"),)

PAIRS: list[tuple[HttpRequest, HttpRequest]] = [
    (
        HttpRequest("GET", "http://a.test/x?b=2&a=1"),
        HttpRequest("GET", "http://a.test/x?a=1&b=2"),
    ),
    (
        HttpRequest("GET", "http://a.test/x?a=1"),
        HttpRequest("GET", "http://a.test/x?a=2"),
    ),
    (
        HttpRequest("GET", "http://a.test/x?a=%20"),
        HttpRequest("GET", "http://a.test/x?a=+"),
    ),
    (HttpRequest("GET", "http://a.test"), HttpRequest("GET", "http://a.test/")),
    (
        HttpRequest("GET", "http://a.test/a%20b"),
        HttpRequest("GET", "http://a.test/a b"),
    ),
    (HttpRequest("GET", "http://a.test:80/x"), HttpRequest("GET", "http://a.test/x")),
    (HttpRequest("GET", "https://a.test/x"), HttpRequest("GET", "http://a.test/x")),
    (HttpRequest("GET", "http://a.test/x"), HttpRequest("POST", "http://a.test/x")),
    (
        HttpRequest("GET", "http://a.test:8080/x"),
        HttpRequest("GET", "http://b.test:8080/x"),
    ),
    (
        HttpRequest("POST", "http://a.test/", JSON, b'{"a": 1, "b": [1, 2]}'),
        HttpRequest("POST", "http://a.test/", JSON, b'{"b":[1,2],"a":1}'),
    ),
    (
        HttpRequest("POST", "http://a.test/", JSON, b'{"a": 1}'),
        HttpRequest("POST", "http://a.test/", JSON, b'{"a": 2}'),
    ),
    (
        HttpRequest("POST", "http://a.test/", FORM, b"a=1&b=2"),
        HttpRequest("POST", "http://a.test/", FORM, b"b=2&a=1"),
    ),
    (
        HttpRequest("POST", "http://a.test/", FORM, b"a=1&a=2"),
        HttpRequest("POST", "http://a.test/", FORM, b"a=2&a=1"),
    ),
    (
        HttpRequest("POST", "http://a.test/", (), b"same bytes"),
        HttpRequest("POST", "http://a.test/", (), b"same bytes"),
    ),
    (
        HttpRequest("POST", "http://a.test/", (), b"one"),
        HttpRequest("POST", "http://a.test/", (), b"two"),
    ),
    (
        HttpRequest("POST", "http://a.test/", JSON, b"not json"),
        HttpRequest("POST", "http://a.test/", JSON, b"not json"),
    ),
    (
        HttpRequest("GET", "http://a.test/", (("X-A", "1"),)),
        HttpRequest("GET", "http://a.test/", (("x-a", "1"),)),
    ),
    (
        HttpRequest("GET", "http://a.test/", (("X-A", "1"),)),
        HttpRequest("GET", "http://a.test/", (("X-A", "2"),)),
    ),
]

NAMES = [
    "method",
    "uri",
    "scheme",
    "host",
    "port",
    "path",
    "query",
    "headers",
    "raw_body",
    "body",
]


def _vcrpy(request: HttpRequest) -> VcrRequest:
    return VcrRequest(
        request.method, request.url, request.body or None, dict(request.headers)
    )


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("pair", range(len(PAIRS)))
def test_key_agrees_with_vcrpy(name: str, pair: int) -> None:
    first, second = PAIRS[pair]
    from vcr.config import VCR

    matcher_function = VCR().matchers[name]
    expected = requests_match(_vcrpy(first), _vcrpy(second), [matcher_function])
    key, _ = build_matcher([name])
    assert callable(key)
    got = key(request_to_engine(first)) == key(request_to_engine(second))
    assert got == expected, (name, first, second)


def test_url_stays_normalized() -> None:
    key, _ = build_matcher(["method", "url"])
    assert callable(key)
    a = request_to_engine(HttpRequest("GET", "HTTP://A.test:80/x?b=1&a=2"))
    b = request_to_engine(HttpRequest("GET", "http://a.test/x?a=2&b=1"))
    assert key(a) == key(b)
