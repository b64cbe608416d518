"""The HTTP convention: HttpRequest / HttpResponse <-> engine Interaction."""

from __future__ import annotations

import pytest

from interposition import Interaction, InteractionRequest, ResponseChunk
from interposition.http import (
    HttpMappingError,
    HttpRequest,
    HttpResponse,
    build_url,
    from_interaction,
    request_to_engine,
    response_from_chunks,
    response_to_chunks,
    to_interaction,
)

REQUEST = HttpRequest(
    "POST",
    "https://api.example.com/v1/items?b=2&a=1",
    (("Accept", "text/plain"), ("X-Tag", "one"), ("X-Tag", "two")),
    b'{"name": "caf\xc3\xa9"}',
)
RESPONSE = HttpResponse(
    201,
    "Created",
    (
        ("Content-Type", "application/json"),
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
    ),
    b"\x00\x01binary\xff",
    "HTTP/1.1",
)


def test_request_maps_onto_the_engine_fields() -> None:
    engine = request_to_engine(REQUEST)
    assert engine.protocol == "http"
    assert engine.action == "POST"
    assert engine.target == REQUEST.url
    assert engine.headers == REQUEST.headers
    assert engine.body == REQUEST.body


def test_response_head_lives_in_the_first_chunk_metadata() -> None:
    chunks = response_to_chunks(RESPONSE)
    assert len(chunks) == 1
    assert chunks[0].metadata[:3] == (
        (":status", "201"),
        (":reason", "Created"),
        (":version", "HTTP/1.1"),
    )
    assert chunks[0].metadata[3:] == RESPONSE.headers
    assert response_from_chunks(chunks) == RESPONSE


def test_round_trip_through_interaction_and_json() -> None:
    interaction = to_interaction(REQUEST, RESPONSE)
    loaded = Interaction.model_validate_json(interaction.model_dump_json())
    assert from_interaction(loaded) == (REQUEST, RESPONSE)


def test_body_in_several_chunks_is_joined_and_kept() -> None:
    response = HttpResponse(200, "OK", (), b"abcdef", chunks=(b"ab", b"cd", b"ef"))
    chunks = response_to_chunks(response)
    assert [c.data for c in chunks] == [b"ab", b"cd", b"ef"]
    assert [c.sequence for c in chunks] == [0, 1, 2]
    assert chunks[1].metadata == ()
    back = response_from_chunks(chunks)
    assert back.body == b"abcdef"
    assert back.chunks == (b"ab", b"cd", b"ef")


def test_headers_accessors_are_case_insensitive() -> None:
    assert REQUEST.header("x-tag") == "one"
    assert REQUEST.header_values("X-TAG") == ["one", "two"]
    assert RESPONSE.header("missing") is None


def test_foreign_interactions_are_refused_with_a_clear_error() -> None:
    foreign = Interaction.build(
        InteractionRequest(
            protocol="grpc", action="Get", target="svc", headers=(), body=b""
        ),
        (ResponseChunk(data=b"", sequence=0),),
    )
    with pytest.raises(HttpMappingError, match="not recorded by an HTTP adapter"):
        from_interaction(foreign)
    with pytest.raises(HttpMappingError, match=":status"):
        response_from_chunks((ResponseChunk(data=b"", sequence=0),))


@pytest.mark.parametrize(
    ("scheme", "host", "port", "target", "expected"),
    [
        ("http", "Example.COM", 80, "/a", "http://example.com/a"),
        ("https", "example.com", 443, "/a?b=1", "https://example.com/a?b=1"),
        ("http", "127.0.0.1", 8080, "/", "http://127.0.0.1:8080/"),
        ("http", "::1", 8080, "/x", "http://[::1]:8080/x"),
        ("http", "proxy", 3128, "http://other/x", "http://other/x"),
        ("https", "h", None, "", "https://h/"),
    ],
)
def test_build_url(
    scheme: str, host: str, port: int | None, target: str, expected: str
) -> None:
    assert build_url(scheme, host, port, target) == expected


def test_request_to_engine_equals_a_validated_request() -> None:
    built = request_to_engine(REQUEST)
    validated = InteractionRequest(
        protocol="http",
        action=REQUEST.method,
        target=REQUEST.url,
        headers=REQUEST.headers,
        body=REQUEST.body,
    )
    assert built == validated
    assert built.fingerprint() == validated.fingerprint()
    assert built.model_dump() == validated.model_dump()
    lists = HttpRequest("get", "http://h/", [("A", "1")], bytearray(b"x"))  # type: ignore[arg-type]
    assert request_to_engine(lists).headers == (("A", "1"),)
    assert request_to_engine(lists).body == b"x"
    assert request_to_engine(lists).action == "GET"
