"""Credentials never reach the file, and redaction never breaks matching."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from interposition import ConfigurationError
from interposition.http import (
    HttpInteractionNotFoundError,
    HttpRequest,
    HttpResponse,
    Redactor,
    use_cassette,
)

from .conftest import LiveServer

SECRETS = ("s3cr3t", "abc123", "hunter2", "tok-999", "key-777", "sess-1")


def _assert_no_secrets(path: Path) -> None:
    text = path.read_text()
    for secret in SECRETS:
        assert secret not in text, secret


def test_default_redaction_and_replay_still_matches(
    server: LiveServer, cassette_path: Path
) -> None:
    def scenario() -> tuple[str, str]:
        with requests.Session() as session:
            session.get(server.url + "/text?access_token=tok-999&page=2")
            session.get(
                server.url + "/echo",
                headers={"Authorization": "Bearer hunter2", "X-API-Key": "key-777"},
                cookies={"session": "sess-1"},
            )
            token = session.get(server.url + "/token").json()["access_token"]
            session.get(server.url + "/cookie")
            cookie = session.cookies.get("session") or ""
        return token, cookie

    with use_cassette(cassette_path):
        assert scenario() == ("s3cr3t", "abc123")  # live: the real values
    _assert_no_secrets(cassette_path)
    text = cassette_path.read_text()
    assert "Bearer REDACTED" in text
    assert "access_token=REDACTED&page=2" in text
    assert "session=REDACTED; Path=/" in text
    server.stop()
    with use_cassette(cassette_path, record_mode="none") as cassette:
        assert scenario() == ("REDACTED", "REDACTED")
    assert cassette.all_played


def test_redaction_never_makes_header_matching_fail(
    server: LiveServer, cassette_path: Path
) -> None:
    options = {"match_on": ["method", "url", "headers"]}
    headers = {"Authorization": "Bearer hunter2", "User-Agent": "test"}
    with use_cassette(cassette_path, **options):  # type: ignore[arg-type]
        requests.post(
            server.url + "/text", json={"password": "hunter2"}, headers=headers
        )
    _assert_no_secrets(cassette_path)
    server.stop()
    with use_cassette(cassette_path, **options) as cassette:  # type: ignore[arg-type]
        requests.post(
            server.url + "/text", json={"password": "hunter2"}, headers=headers
        )
    assert cassette.play_counts == (1,)


def test_filters_and_hooks(server: LiveServer, cassette_path: Path) -> None:
    def before_request(request: HttpRequest) -> HttpRequest | None:
        if "skip" in request.url:
            return None
        return request.replace(headers=(*request.headers, ("X-Hooked", "yes")))

    def before_response(response: HttpResponse) -> HttpResponse | None:
        return response.replace(headers=(*response.headers, ("X-Seen", "1")))

    options: dict[str, object] = {
        "filter_headers": ["X-Custom", ("X-Drop", None)],
        "filter_query_parameters": [("page", "N")],
        "filter_post_data_parameters": ["name"],
        "before_record_request": before_request,
        "before_record_response": before_response,
    }
    with use_cassette(cassette_path, **options):  # type: ignore[arg-type]
        requests.post(
            server.url + "/echo?page=3",
            data={"name": "Zoë", "other": "kept"},
            headers={"X-Custom": "abc", "X-Drop": "x"},
            timeout=5,
        )
        requests.get(server.url + "/text?name=skip", timeout=5)
    document = json.loads(cassette_path.read_text())
    assert len(document["interactions"]) == 1  # the skipped one was not recorded
    request = document["interactions"][0]["request"]
    headers = dict(request["headers"])
    assert headers["X-Custom"] == "REDACTED"
    assert "X-Drop" not in headers
    assert headers["X-Hooked"] == "yes"
    assert request["target"].endswith("/echo?page=N")
    assert request["body"] == "name=REDACTED&other=kept"
    metadata = dict(
        map(tuple, document["interactions"][0]["response_chunks"][0]["metadata"])
    )
    assert metadata["X-Seen"] == "1"
    hits = server.hits
    with use_cassette(cassette_path, **options) as cassette:  # type: ignore[arg-type]
        requests.post(
            server.url + "/echo?page=3",
            data={"name": "Zoë", "other": "kept"},
            headers={"X-Custom": "abc", "X-Drop": "x"},
            timeout=5,
        )
        # before_record_request returned None: straight to the network.
        assert requests.get(server.url + "/text?name=skip", timeout=5).ok
    assert cassette.play_counts == (1,)
    assert server.hits == hits + 1


def test_redact_false_keeps_everything(server: LiveServer, cassette_path: Path) -> None:
    with use_cassette(cassette_path, redact=False):
        requests.get(server.url + "/token", headers={"Authorization": "hunter2"})
    assert "hunter2" in cassette_path.read_text()
    assert "s3cr3t" in cassette_path.read_text()


def test_redactor_units() -> None:
    redactor = Redactor.build()
    assert redactor.redact_url("http://h/p?api_key=1&q=2&x=3#f") == (
        "http://h/p?api_key=REDACTED&q=2&x=3#f"
    )
    assert redactor.redact_url("http://h/p?q=2") == "http://h/p?q=2"
    assert redactor.redact_headers((("Cookie", "a=1; b=2"),)) == (
        ("Cookie", "a=REDACTED; b=REDACTED"),
    )
    assert redactor.redact_headers((("Proxy-Authorization", "Basic xyz"),)) == (
        ("Proxy-Authorization", "Basic REDACTED"),
    )
    assert redactor.redact_headers((("X-Session-Token", "t"),)) == (
        ("X-Session-Token", "REDACTED"),
    )
    body = b'{"user": {"client_secret": "x", "n": [{"refresh_token": "y"}]}, "id": 1}'
    assert json.loads(redactor.redact_body(body, "application/json")) == {
        "user": {"client_secret": "REDACTED", "n": [{"refresh_token": "REDACTED"}]},
        "id": 1,
    }
    unchanged = b'{"id": 1,  "name": "x"}'
    assert redactor.redact_body(unchanged, "application/json") is unchanged
    response = HttpResponse(
        200,
        "OK",
        (("Content-Type", "application/json"), ("Content-Length", "22")),
        b'{"access_token": "abc"}',
    )
    redacted = redactor.response(response)
    assert redacted.body == b'{"access_token":"REDACTED"}'
    assert redacted.header("content-length") == str(len(redacted.body))


def test_bad_filters_fail_at_the_call(cassette_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="filter_headers"):
        use_cassette(cassette_path, filter_headers="Authorization")
    with pytest.raises(ConfigurationError, match="filter_query_parameters items"):
        use_cassette(cassette_path, filter_query_parameters=[("a", 1)])  # type: ignore[list-item]


def test_a_miss_does_not_print_the_secret(
    server: LiveServer, cassette_path: Path
) -> None:
    with use_cassette(cassette_path):
        requests.get(server.url + "/text?api_key=key-777", timeout=5)
    with (
        use_cassette(cassette_path),
        pytest.raises(HttpInteractionNotFoundError) as caught,
    ):
        requests.get(server.url + "/other?api_key=key-777", timeout=5)
    assert "key-777" not in str(caught.value)
    assert "/other?api_key=REDACTED" in str(caught.value)


# -- credentials, and nothing else --------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "accessToken",
        "api_key",
        "apiKey",
        "apikey",
        "secret",
        "client_secret",
        "password",
        "password_confirmation",
        "secret_access_key",
        "session_id",
        "signature",
        "credentials",
        "key",
        "auth",
    ],
)
def test_credential_names_are_redacted(name: str) -> None:
    body = json.dumps({name: "v-secret"}).encode()
    assert b"v-secret" not in Redactor.build().redact_body(body, "application/json")


@pytest.mark.parametrize(
    "name",
    [
        "max_tokens",
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "input_tokens",
        "output_tokens",
        "token_type",
        "tokenizer",
        "keyboard",
        "monkey",
        "primary_key_column",
        "session_count",
        "passage",
    ],
)
def test_counts_and_kinds_are_not_credentials(name: str) -> None:
    body = json.dumps({name: "kept", "n": 3}).encode()
    assert Redactor.build().redact_body(body, "application/json") == body


def test_numbers_and_booleans_are_never_credentials() -> None:
    body = b'{"token":12,"api_key":true,"secret":null,"password":1.5}'
    assert Redactor.build().redact_body(body, "application/json") == body
    # Unless the user named the field.
    chosen = Redactor.build(filter_post_data_parameters=["token"])
    assert json.loads(chosen.redact_body(body, "application/json"))["token"] == (
        "REDACTED"
    )


def test_credential_lists_are_redacted_like_strings() -> None:
    body = json.dumps(
        {"tokens": ["t"], "api_keys": ["k"], "access_token": ["a1", {"x": "y"}, 3]}
    ).encode()
    out = json.loads(Redactor.build().redact_body(body, "application/json"))
    assert out["access_token"] == ["REDACTED", {"x": "y"}, 3]
    assert out["tokens"] == ["t"]  # a plural is a list of items, not a credential


def test_rate_limit_headers_are_kept() -> None:
    headers = (
        ("x-ratelimit-remaining-tokens", "149984"),
        ("anthropic-ratelimit-tokens-remaining", "9000"),
        ("X-CSRF-Token", "csrf-1"),
        ("X-Session-Id", "sid-1"),
        ("X-Goog-Api-Key", "g-1"),
    )
    assert dict(Redactor.build().redact_headers(headers)) == {
        "x-ratelimit-remaining-tokens": "149984",
        "anthropic-ratelimit-tokens-remaining": "9000",
        "X-CSRF-Token": "REDACTED",
        "X-Session-Id": "REDACTED",
        "X-Goog-Api-Key": "REDACTED",
    }


_NAMES = st.one_of(
    st.text(min_size=1, max_size=20),
    st.sampled_from(
        ["token", "access_token", "api_key", "secret", "password", "max_tokens"]
    ),
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
)
_DOCUMENTS = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(_NAMES, inner, max_size=4),
    ),
    max_leaves=20,
)


@given(document=st.dictionaries(_NAMES, _DOCUMENTS, max_size=6))
@settings(max_examples=200, deadline=None)
def test_a_response_without_credentials_is_byte_identical(
    document: dict[str, object],
) -> None:
    # Any field names, values that hold no text: nothing is a credential.
    body = json.dumps(document).encode()
    response = HttpResponse(200, "OK", (("Content-Type", "application/json"),), body)
    assert Redactor.build().response(response).body == body


def test_an_llm_usage_document_replays_as_recorded(cassette_path: Path) -> None:
    import httpx

    usage = {
        "id": "c1",
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
        "max_tokens": 64,
    }

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json=usage,
            headers={"x-ratelimit-remaining-tokens": "149984"},
        )

    def call() -> httpx.Response:
        with httpx.Client(transport=httpx.MockTransport(handler)) as client:
            return client.post(
                "https://api.example.com/v1/chat", json={"max_tokens": 64}
            )

    with use_cassette(cassette_path):
        recorded = call()
    with use_cassette(cassette_path, record_mode="none"):
        replayed = call()
    assert replayed.json() == recorded.json() == usage
    assert replayed.headers["x-ratelimit-remaining-tokens"] == "149984"
    assert '"max_tokens":64' in cassette_path.read_text().replace('\\"', '"')


def test_bytes_header_values_are_stored_as_text(
    server: LiveServer, cassette_path: Path
) -> None:
    import urllib3

    # botocore passes every AWS header value as bytes.
    headers = {"X-Amz-Date": b"20261201T000000Z", "X-Amz-Security-Token": b"tok-999"}
    match = ["method", "url", "header:x-amz-date"]

    def scenario() -> tuple[int, int]:
        first = requests.get(server.url + "/text", headers=headers, timeout=5)
        with urllib3.PoolManager() as pool:
            second = pool.request("GET", server.url + "/binary", headers=headers)  # type: ignore[arg-type]
        return first.status_code, second.status

    with use_cassette(cassette_path, match_on=match):
        assert scenario() == (200, 200)
    text = cassette_path.read_text()
    assert "b'" not in text
    assert text.count('"20261201T000000Z"') == 2
    _assert_no_secrets(cassette_path)  # the bytes token is redacted too
    server.stop()
    with use_cassette(cassette_path, match_on=match, record_mode="none") as cassette:
        assert scenario() == (200, 200)
    assert cassette.all_played
