"""match_on fields, key functions, predicates, and URL normalization."""

from __future__ import annotations

import json
from collections.abc import Hashable
from pathlib import Path

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from interposition import ConfigurationError
from interposition.http import (
    HttpInteractionNotFoundError,
    HttpRequest,
    normalize_url,
    predicate,
    use_cassette,
)

from .conftest import LiveServer


def _post(url: str, **kwargs: object) -> str:
    return requests.post(url, timeout=5, **kwargs).text  # type: ignore[arg-type]


def test_default_matching_ignores_headers_and_body(
    server: LiveServer, cassette_path: Path
) -> None:
    with use_cassette(cassette_path):
        _post(server.url + "/echo", data=b"one", headers={"X-A": "1"})
    with use_cassette(cassette_path) as cassette:
        _post(server.url + "/echo", data=b"two", headers={"X-A": "2"})
    assert cassette.play_counts == (1,)


def test_query_order_case_and_default_port_do_not_matter() -> None:
    assert normalize_url("HTTP://Example.com:80/a?b=2&a=1#x") == normalize_url(
        "http://example.com/a?a=1&b=2"
    )
    assert normalize_url("http://h/a%20b?q=a+b") == normalize_url(
        "http://h/a b?q=a%20b"
    )
    assert normalize_url("http://h/a") != normalize_url("http://h/b")
    assert normalize_url("http://h:81/a") != normalize_url("http://h/a")


def test_match_on_body_distinguishes_posts(
    server: LiveServer, cassette_path: Path
) -> None:
    options: dict[str, object] = {"match_on": ["method", "url", "body"]}
    with use_cassette(cassette_path, **options):  # type: ignore[arg-type]
        first = _post(server.url + "/echo", data=b"one")
        second = _post(server.url + "/echo", data=b"two")
    server.stop()
    with use_cassette(cassette_path, **options):  # type: ignore[arg-type]
        assert _post(server.url + "/echo", data=b"two") == second
        assert _post(server.url + "/echo", data=b"one") == first
        with pytest.raises(HttpInteractionNotFoundError) as caught:
            _post(server.url + "/echo", data=b"three")
    assert "body (5 bytes b'three' vs recorded 3 bytes" in str(caught.value)


def test_match_on_json_body_ignores_key_order(
    server: LiveServer, cassette_path: Path
) -> None:
    with use_cassette(cassette_path, match_on=["method", "path", "json_body"]):
        _post(server.url + "/echo", data=b'{"a": 1, "b": [1, 2]}')
    server.stop()
    with use_cassette(cassette_path, match_on=["method", "path", "json_body"]):
        _post(server.url + "/echo", data=b'{"b":[1,2],"a":1}')


def test_match_on_named_header(server: LiveServer, cassette_path: Path) -> None:
    fields = ["method", "url", "header:Accept"]
    with use_cassette(cassette_path, match_on=fields):
        json_reply = _post(server.url + "/echo", headers={"Accept": "application/json"})
        text_reply = _post(server.url + "/echo", headers={"Accept": "text/plain"})
    server.stop()
    with use_cassette(cassette_path, match_on=fields):
        assert _post(server.url + "/echo", headers={"Accept": "text/plain"}) == (
            text_reply
        )
        assert _post(server.url + "/echo", headers={"Accept": "application/json"}) == (
            json_reply
        )
        with pytest.raises(HttpInteractionNotFoundError, match="header Accept"):
            _post(server.url + "/echo", headers={"Accept": "image/png"})


def test_match_on_path_only(server: LiveServer, cassette_path: Path) -> None:
    with use_cassette(cassette_path, match_on=["path"]):
        requests.get(server.url + "/text?name=x", timeout=5)
    server.stop()
    with use_cassette(cassette_path, match_on=["path"]):
        assert requests.get(server.url + "/text?name=y", timeout=5).text == "hello x"


def test_key_function(server: LiveServer, cassette_path: Path) -> None:
    def by_name(request: HttpRequest) -> Hashable:
        return request.url.rpartition("name=")[2].lower()

    with use_cassette(cassette_path, match_on=by_name):
        requests.get(server.url + "/text?name=Bob", timeout=5)
    server.stop()
    with use_cassette(cassette_path, match_on=by_name):
        assert requests.get(server.url + "/text?name=BOB", timeout=5).text == (
            "hello Bob"
        )


def test_predicate_matcher(server: LiveServer, cassette_path: Path) -> None:
    def same_length(incoming: HttpRequest, recorded: HttpRequest) -> bool:
        return len(incoming.url) == len(recorded.url)

    matcher = predicate(same_length)
    with use_cassette(cassette_path, match_on=matcher):
        requests.get(server.url + "/text?name=aaa", timeout=5)
    server.stop()
    with use_cassette(cassette_path, match_on=matcher):
        assert requests.get(server.url + "/text?name=zzz", timeout=5).text == (
            "hello aaa"
        )
        with pytest.raises(HttpInteractionNotFoundError):
            requests.get(server.url + "/text?name=zzzz", timeout=5)


@pytest.mark.parametrize(
    ("match_on", "message"),
    [
        (["method", "colour"], "unknown match_on field 'colour'"),
        ("method", "not the string 'method'"),
        ([], "at least one field"),
        (42, "match_on must be"),
    ],
)
def test_bad_match_on_fails_at_the_call(
    cassette_path: Path, match_on: object, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        use_cassette(cassette_path, match_on=match_on)  # type: ignore[arg-type]


def test_a_miss_names_the_method_and_port_difference(
    server: LiveServer, cassette_path: Path
) -> None:
    with use_cassette(cassette_path):
        requests.get(server.url + "/text", timeout=5)
    with (
        use_cassette(cassette_path),
        pytest.raises(HttpInteractionNotFoundError) as caught,
    ):
        requests.delete(server.url + "/text", timeout=5)
    assert "method (DELETE vs recorded GET)" in str(caught.value)
    document = json.loads(cassette_path.read_text())
    assert len(document["interactions"]) == 1


TRICKY_URLS = [
    "http://api.example.test/v1/items/5?expand=owner",
    "HTTP://H:80/a/b?c=&d=1#z",
    "http://h",
    "http://h?q",
    "http://u:p@h/x",
    "http://[::1]:80/x",
    "https://h:8443/p%20q?x=1+2",
    "http://h/#f",
    "http://h/a\nb",
    "http://h/a?b=1&a=2#f?g",
    "http://h/a\tb?x=\r1",
    " http://h/x",
    "http://h:/x",
    "http://h:99999x/",
]


@pytest.mark.parametrize("url", TRICKY_URLS)
def test_fast_url_key_equals_the_urlsplit_one(url: str) -> None:
    from interposition.http._matching import _url_parts, _url_parts_slow

    assert _url_parts(url) == _url_parts_slow(url)


@given(
    scheme=st.sampled_from(["http", "https", "HTTP"]),
    host=st.from_regex(r"[A-Za-z0-9.-]{1,20}", fullmatch=True),
    port=st.one_of(st.none(), st.integers(1, 65535)),
    path=st.text(alphabet="/abcXYZ%20-._~+;=&?#", max_size=20),
)
def test_fast_url_key_property(
    scheme: str, host: str, port: int | None, path: str
) -> None:
    from interposition.http._matching import _url_parts, _url_parts_slow

    url = f"{scheme}://{host}{'' if port is None else f':{port}'}/{path}"
    assert _url_parts(url) == _url_parts_slow(url)


# -- several recordings under one key: the body decides, then the order -------


def test_recordings_sharing_a_key_prefer_the_equal_body(
    server: LiveServer, cassette_path: Path
) -> None:
    import asyncio

    import httpx

    bodies = [{"prompt": f"question {i}", "n": i} for i in range(5)]

    async def ask(order: list[int], reorder_keys: bool) -> list[str]:
        async with httpx.AsyncClient() as client:

            async def one(i: int) -> str:
                body = bodies[i]
                if reorder_keys:  # same JSON, other key order and spacing
                    content = json.dumps(dict(reversed(body.items())), indent=1)
                else:
                    content = json.dumps(body)
                response = await client.post(
                    server.url + "/echo",
                    content=content,
                    headers={"Content-Type": "application/json"},
                )
                return str(json.loads(response.json()["body"])["prompt"])

            return list(await asyncio.gather(*(one(i) for i in order)))

    with use_cassette(cassette_path):
        recorded = asyncio.run(ask([0, 1, 2, 3, 4], reorder_keys=False))
    assert recorded == [f"question {i}" for i in range(5)]
    server.stop()
    with use_cassette(cassette_path, record_mode="none") as cassette:
        answers = asyncio.run(ask([4, 2, 0, 3, 1], reorder_keys=True))
    assert answers == [f"question {i}" for i in (4, 2, 0, 3, 1)]
    assert cassette.all_played


def test_equal_bodies_keep_recorded_order_and_forms_compare_sorted(
    cassette_path: Path,
) -> None:
    import httpx

    served: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        served.append(request.content)
        return httpx.Response(200, text=f"answer {len(served)}")

    def post(client: httpx.Client, data: dict[str, str]) -> str:
        return client.post("https://api.example.com/form", data=data).text

    with (
        use_cassette(cassette_path),
        httpx.Client(transport=httpx.MockTransport(handler)) as client,
    ):
        assert post(client, {"a": "1", "b": "2"}) == "answer 1"
        assert post(client, {"a": "1", "b": "2"}) == "answer 2"
        assert post(client, {"z": "9"}) == "answer 3"
    with (
        use_cassette(cassette_path, record_mode="none"),
        httpx.Client(transport=httpx.MockTransport(handler)) as client,
    ):
        assert post(client, {"z": "9"}) == "answer 3"  # its own body first
        assert post(client, {"b": "2", "a": "1"}) == "answer 1"  # then in order
        assert post(client, {"a": "1", "b": "2"}) == "answer 2"
        with pytest.raises(HttpInteractionNotFoundError, match="already played"):
            post(client, {"a": "1", "b": "2"})
    assert len(served) == 3
