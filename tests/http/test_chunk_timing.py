"""Per-chunk timing: HttpResponse.chunk_delays <-> ":delay" chunk metadata."""

from __future__ import annotations

from pathlib import Path

from interposition import Cassette, ResponseChunk
from interposition.http import (
    HttpRequest,
    HttpResponse,
    from_interaction,
    response_from_chunks,
    response_to_chunks,
    to_interaction,
)
from interposition.stores import store_for_path

HEAD = (("Content-Type", "text/event-stream"),)
STREAM = HttpResponse(
    200,
    "OK",
    HEAD,
    b"data: 1\n\ndata: 2\n\n",
    chunks=(b"data: 1\n\n", b"data: 2\n\n"),
    chunk_delays=(0.01, 0.25),
)


def test_each_chunk_carries_its_delay_in_its_metadata() -> None:
    chunks = response_to_chunks(STREAM)
    assert [c.data for c in chunks] == list(STREAM.chunks)
    assert chunks[0].metadata[:3] == (
        (":status", "200"),
        (":reason", "OK"),
        (":version", "HTTP/1.1"),
    )
    assert chunks[0].metadata[-1] == (":delay", "0.010000")
    assert chunks[1].metadata == ((":delay", "0.250000"),)
    back = response_from_chunks(chunks)
    assert back.headers == HEAD  # ":delay" is not a header
    assert back.chunks == STREAM.chunks
    assert back.chunk_delays == (0.01, 0.25)


def test_a_single_timed_chunk_keeps_its_delay() -> None:
    one = HttpResponse(200, "OK", (), b"x", chunks=(b"x",), chunk_delays=(0.5,))
    back = response_from_chunks(response_to_chunks(one))
    assert (back.body, back.chunks, back.chunk_delays) == (b"x", (b"x",), (0.5,))


def test_untimed_responses_are_unchanged() -> None:
    plain = HttpResponse(200, "OK", HEAD, b"ab", chunks=(b"a", b"b"))
    chunks = response_to_chunks(plain)
    assert all(key != ":delay" for c in chunks for key, _ in c.metadata)
    assert response_from_chunks(chunks).chunk_delays == ()
    # delays that do not line up with the pieces are not written
    odd = plain.replace(chunk_delays=(0.1,))
    odd_chunks = response_to_chunks(odd)
    assert all(key != ":delay" for c in odd_chunks for key, _ in c.metadata)


def test_unreadable_or_partial_delays_are_ignored() -> None:
    head = ((":status", "200"), (":delay", "soon"))
    chunks = (
        ResponseChunk(data=b"a", sequence=0, metadata=head),
        ResponseChunk(data=b"b", sequence=1, metadata=()),
    )
    back = response_from_chunks(chunks)
    assert (back.body, back.chunk_delays) == (b"ab", ())


def test_a_new_body_resets_the_timing() -> None:
    changed = STREAM.replace(body=b"other")
    assert (changed.chunks, changed.chunk_delays) == ((), ())
    kept = STREAM.replace(headers=())
    assert kept.chunk_delays == STREAM.chunk_delays


def test_timing_survives_json_and_yaml_files(tmp_path: Path) -> None:
    request = HttpRequest("GET", "https://api.example.com/events")
    for name in ("c.json", "c.yaml"):
        store = store_for_path(tmp_path / name, create_if_missing=True)
        store.save(Cassette(interactions=(to_interaction(request, STREAM),)))
        loaded = store.load().interactions[0]
        _, response = from_interaction(loaded)
        assert response.chunks == STREAM.chunks
        assert response.chunk_delays == (0.01, 0.25)


def test_infinite_or_negative_delays_are_ignored() -> None:
    for bad in ("inf", "nan", "-1"):
        chunks = (
            ResponseChunk(
                data=b"a", sequence=0, metadata=((":status", "200"), (":delay", "0"))
            ),
            ResponseChunk(data=b"b", sequence=1, metadata=((":delay", bad),)),
        )
        assert response_from_chunks(chunks).chunk_delays == ()
