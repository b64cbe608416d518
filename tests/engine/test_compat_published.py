"""Cassettes written by the published interposition 0.4.0 load unchanged.

``data/published-0.4.0.json`` was written by the real published library (see
``data/make_published_fixture.py``). The expectations below are spelled out
by hand, so that a misread file cannot pass.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from interposition import (
    Broker,
    Cassette,
    InteractionRequest,
    JsonFileCassetteStore,
    ResponseChunk,
)

from .helpers import datas, make_interaction, make_request, reference_fingerprint

FIXTURE = Path(__file__).with_name("data") / "published-0.4.0.json"

EXPECTED_REQUESTS = [
    InteractionRequest(
        protocol="api",
        action="query",
        target="users/42",
        headers=(("accept", "application/json"), ("x-trace", "ünïcødé")),
        body=b"",
    ),
    InteractionRequest(
        protocol="postgres",
        action="SELECT",
        target="users_table",
        headers=(),
        body="SELECT id, name FROM users WHERE name = 'Jörg'".encode(),
    ),
    InteractionRequest(
        protocol="mqtt",
        action="subscribe",
        target="sensors/temp/room1",
        headers=(("qos", "1"),),
        body=b"",
    ),
    InteractionRequest(
        protocol="http",
        action="POST",
        target="https://example.com/api/v1/items?q=caf%C3%A9",
        headers=(("content-type", "application/json"), ("accept", "*/*")),
        body='{"name": "café", "tags": ["a", "b"]}'.encode(),
    ),
]
EXPECTED_CHUNKS = [
    (
        ResponseChunk(
            data='{"id": 42, "name": "Zoë Ångström ✓ 日本語"}'.encode(),
            sequence=0,
            metadata=(("content-type", "application/json; charset=utf-8"),),
        ),
        ResponseChunk(data=b"", sequence=1, metadata=(("end", "true"),)),
    ),
    (ResponseChunk(data=b'[(42, "Alice")]', sequence=0),),
    (
        ResponseChunk(data=b"24.5", sequence=0),
        ResponseChunk(data=b"24.6", sequence=1),
        ResponseChunk(data=b"24.7", sequence=2),
    ),
    (
        ResponseChunk(data=b'{"created": true}', sequence=0),
        ResponseChunk(data="… done\n".encode(), sequence=1),
    ),
]
EXPECTED_METADATA = [
    (),
    (),
    (),
    (("recorded_at", "2025-01-02T03:04:05+00:00"), ("scenario", "x")),
]


def check_published_cassette(cassette: Cassette) -> None:
    assert [i.request for i in cassette.interactions] == EXPECTED_REQUESTS
    assert [i.response_chunks for i in cassette.interactions] == EXPECTED_CHUNKS
    assert [i.metadata for i in cassette.interactions] == EXPECTED_METADATA
    # 0.4.0 stored the fingerprints; ours must agree with every one of them.
    stored = json.loads(FIXTURE.read_text(encoding="utf-8"))["interactions"]
    for interaction, document in zip(cassette.interactions, stored, strict=True):
        assert interaction.fingerprint.value == document["fingerprint"]["value"]
        assert interaction.fingerprint.value == reference_fingerprint(
            interaction.request
        )


def test_fixture_is_the_published_layout() -> None:
    """The fixture really is 0.4.0 output: no version key, text bytes."""
    document = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert set(document) == {"interactions"}
    assert len(document["interactions"]) == 4
    first = document["interactions"][0]
    assert first["response_chunks"][0]["data"].startswith('{"id": 42')
    assert "Zoë" in FIXTURE.read_text(encoding="utf-8")


def test_published_file_loads_with_model_validate_json() -> None:
    cassette = Cassette.model_validate_json(FIXTURE.read_bytes())
    check_published_cassette(cassette)
    # Also from str, as the seed's examples read it.
    check_published_cassette(
        Cassette.model_validate_json(FIXTURE.read_text(encoding="utf-8"))
    )


def test_published_file_loads_with_the_json_store() -> None:
    cassette = JsonFileCassetteStore(FIXTURE).load()
    check_published_cassette(cassette)


@pytest.mark.parametrize("playback", ["first", "sequential"])
def test_every_published_interaction_replays(playback: str) -> None:
    broker = Broker.from_store(JsonFileCassetteStore(FIXTURE), playback=playback)
    for request, chunks in zip(EXPECTED_REQUESTS, EXPECTED_CHUNKS, strict=True):
        assert tuple(broker.replay(request)) == chunks
    assert broker.unplayed_interactions() == ()
    assert broker.play_counts == (1, 1, 1, 1)


def test_published_file_round_trips_through_our_format(tmp_path: Path) -> None:
    copy = tmp_path / "published.json"
    shutil.copyfile(FIXTURE, copy)
    store = JsonFileCassetteStore(copy)
    original = store.load()
    # Appending to a 0.4.0 file keeps everything and the result still loads.
    extra = make_interaction(make_request("new"), b"\xff\x00binary")
    store.append(extra)
    appended = store.load()
    assert appended.interactions == (*original.interactions, extra)
    check_published_cassette(Cassette(interactions=appended.interactions[:4]))
    # Text written by 0.4.0 stays text in our files.
    text = copy.read_text(encoding="utf-8")
    assert "Zoë Ångström ✓ 日本語" in text
    assert '"version":2' in text
    assert datas(appended.interactions[-1].response_chunks) == [b"\xff\x00binary"]


def test_auto_mode_over_published_file_records_only_misses(tmp_path: Path) -> None:
    copy = tmp_path / "published.json"
    shutil.copyfile(FIXTURE, copy)
    calls: list[InteractionRequest] = []

    def live(request: InteractionRequest) -> list[ResponseChunk]:
        calls.append(request)
        return [ResponseChunk(data=b"live", sequence=0)]

    broker = Broker.from_store(
        JsonFileCassetteStore(copy), mode="auto", live_responder=live
    )
    for request in EXPECTED_REQUESTS:
        list(broker.replay(request))
    assert calls == []
    new = make_request("users/43")
    assert datas(broker.replay(new)) == [b"live"]
    assert calls == [new]
    reloaded = JsonFileCassetteStore(copy).load()
    assert len(reloaded.interactions) == 5
    check_published_cassette(Cassette(interactions=reloaded.interactions[:4]))
