"""Round-trip properties: any request, headers and bytes survive every store."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from interposition import (
    Broker,
    Cassette,
    DirectoryCassetteStore,
    Interaction,
    InteractionRequest,
    JsonLinesCassetteStore,
    RequestFingerprint,
    ResponseChunk,
    YamlFileCassetteStore,
    exact_key,
    fingerprint_key,
)

from .helpers import (
    ENGINE_SETTINGS,
    STORES,
    AnyStore,
    any_bytes,
    cassettes,
    chunks_of,
    make_interaction,
    make_request,
    new_store,
    reference_fingerprint,
    requests,
    response_chunks,
    stored_bytes,
)

ALL_STORES = sorted(STORES)


@pytest.fixture(scope="session")
def fresh_dir(tmp_path_factory: pytest.TempPathFactory) -> Callable[[], Path]:
    """A factory of fresh directories, one per hypothesis example."""

    def make() -> Path:
        return tmp_path_factory.mktemp("example")

    return make


def file_documents(store: AnyStore) -> list[Any]:
    """The interactions as the standard json / PyYAML parsers read the files."""
    if isinstance(store, DirectoryCassetteStore):
        documents = []
        for path in store.files():
            text = path.read_text(encoding="utf-8")
            parsed = (
                json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
            )
            documents.append(parsed["interaction"])
        return documents
    text = store.path.read_text(encoding="utf-8")
    if isinstance(store, JsonLinesCassetteStore):
        # Split on "\n" only: JSON leaves U+0085 and U+2028 raw in strings.
        header, *lines = text.removesuffix("\n").split("\n")
        assert json.loads(header)["format"] == "interposition-jsonl"
        return [json.loads(line) for line in lines]
    if isinstance(store, YamlFileCassetteStore):
        document = yaml.safe_load(text)
        assert yaml.load(text, Loader=yaml.CSafeLoader) == document
    else:
        document = json.loads(text)
    assert document["version"] == 2
    return list(document["interactions"])


# --- fingerprint ---------------------------------------------------------------


@ENGINE_SETTINGS
@given(requests)
def test_fingerprint_equals_the_published_algorithm(
    request: InteractionRequest,
) -> None:
    expected = reference_fingerprint(request)
    assert request.fingerprint().value == expected
    assert RequestFingerprint.from_request(request).value == expected
    assert request.fingerprint() == RequestFingerprint(value=expected)


def test_fingerprint_known_value() -> None:
    # Computed by the published 0.4.0 for the seed's quick-start request.
    request = make_request("users/42")
    assert request.fingerprint().value == reference_fingerprint(request)
    assert (
        request.fingerprint().value
        != make_request("users/42", headers=[("a", "b")]).fingerprint().value
    )


SPECIAL_CHARACTERS = ["\x7f", "\x00", "\x1f", '"', "\\", "/", "é", "\u2028", "\ud800"]


@pytest.mark.parametrize("special", SPECIAL_CHARACTERS)
@pytest.mark.parametrize("field", ["protocol", "action", "target", "key", "value"])
def test_fingerprint_escapes_like_json_dumps(special: str, field: str) -> None:
    """Every character json.dumps escapes in ASCII text (DEL included)."""
    text = f"a{special}b"
    request = InteractionRequest(
        protocol=text if field == "protocol" else "p",
        action=text if field == "action" else "a",
        target=text if field == "target" else "t",
        headers=(
            ("k", "v"),
            (text if field == "key" else "k", text if field == "value" else "v"),
        ),
        body=b"",
    )
    assert request.fingerprint().value == reference_fingerprint(request)


@ENGINE_SETTINGS
@given(requests, requests)
def test_fingerprints_equal_only_for_equal_requests(
    first: InteractionRequest, second: InteractionRequest
) -> None:
    assert (first.fingerprint() == second.fingerprint()) == (first == second)
    # The default match key agrees with the fingerprint, as documented.
    assert (exact_key(first) == exact_key(second)) == (first == second)
    assert (fingerprint_key(first) == fingerprint_key(second)) == (first == second)


# --- Cassette JSON -------------------------------------------------------------


@ENGINE_SETTINGS
@given(cassettes)
def test_cassette_json_round_trip(cassette: Cassette) -> None:
    for text in (cassette.model_dump_json(), cassette.model_dump_json(indent=2)):
        loaded = Cassette.model_validate_json(text)
        assert loaded == cassette
        assert loaded.interactions == cassette.interactions
        assert Cassette.model_validate_json(loaded.model_dump_json()) == loaded
    # The python-mode JSON dump validates too (the YAML path relies on it).
    assert Cassette.model_validate(cassette.model_dump(mode="json")) == cassette


@ENGINE_SETTINGS
@given(any_bytes)
def test_bytes_are_text_when_utf8_and_base64_otherwise(data: bytes) -> None:
    chunk = ResponseChunk(data=data, sequence=0)
    document = json.loads(chunk.model_dump_json())
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        assert document["data"] == {"base64": base64.b64encode(data).decode()}
    else:
        assert document["data"] == text
    assert ResponseChunk.model_validate_json(chunk.model_dump_json()) == chunk


def test_invalid_base64_is_a_validation_error() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="base64"):
        ResponseChunk.model_validate_json('{"data": {"base64": "@@@"}, "sequence": 0}')
    with pytest.raises(ValidationError):
        ResponseChunk.model_validate_json(
            '{"data": {"base64": "", "extra": 1}, "sequence": 0}'
        )


# --- stores --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ALL_STORES)
@ENGINE_SETTINGS
@given(cassette=cassettes)
def test_store_round_trip(kind: str, fresh_dir: Any, cassette: Cassette) -> None:
    store = new_store(kind, fresh_dir())
    store.save(cassette)
    assert store.load() == cassette
    # A fresh store object (another process, say) reads the same.
    assert new_store(kind, store.path.parent).load() == cassette
    # The files are standard JSON / YAML holding the documented layout.
    assert file_documents(store) == [
        interaction.model_dump(mode="json") for interaction in cassette.interactions
    ]
    # Saving again replaces, it does not add.
    store.save(cassette)
    assert store.load() == cassette


@pytest.mark.parametrize("kind", ALL_STORES)
@ENGINE_SETTINGS
@given(cassette=cassettes, extra=st.lists(st.integers(0, 4), max_size=4))
def test_store_append_round_trip(
    kind: str, fresh_dir: Any, cassette: Cassette, extra: list[int]
) -> None:
    """save() then append() of more interactions loads as one cassette."""
    store = new_store(kind, fresh_dir())
    store.save(cassette)
    more = [
        make_interaction(make_request(f"extra/{n}", body=bytes([n, 0xFF])), b"\x80")
        for n in extra
    ]
    for interaction in more:
        store.append(interaction)
    expected = Cassette(interactions=(*cassette.interactions, *more))
    assert store.load() == expected
    assert new_store(kind, store.path.parent).load() == expected


@pytest.mark.parametrize("kind", ALL_STORES)
@ENGINE_SETTINGS
@given(
    exchanges=st.lists(st.tuples(requests, response_chunks()), min_size=1, max_size=5)
)
def test_broker_recording_round_trip(
    kind: str,
    fresh_dir: Any,
    exchanges: list[tuple[InteractionRequest, tuple[ResponseChunk, ...]]],
) -> None:
    directory = fresh_dir()
    responses = iter([chunks for _, chunks in exchanges])

    def live(request: InteractionRequest) -> tuple[ResponseChunk, ...]:
        return next(responses)

    store = new_store(kind, directory, create_if_missing=True)
    recorder = Broker.from_store(store, mode="record", live_responder=live)
    for request, chunks in exchanges:
        assert tuple(recorder.replay(request)) == chunks
    expected = Cassette(
        interactions=tuple(
            Interaction(
                request=request,
                fingerprint=request.fingerprint(),
                response_chunks=chunks,
            )
            for request, chunks in exchanges
        )
    )
    assert recorder.cassette == expected
    loaded = new_store(kind, directory).load()
    assert loaded == expected
    # Every recording replays, in order, from the reloaded cassette.
    player = Broker(loaded, playback="sequential")
    for request, chunks in exchanges:
        assert tuple(player.replay(request)) == chunks
    assert player.unplayed_interactions() == ()


@pytest.mark.parametrize("kind", ALL_STORES)
@ENGINE_SETTINGS
@given(
    initial=cassettes,
    exchanges=st.lists(st.tuples(requests, response_chunks()), min_size=1, max_size=4),
)
def test_broker_over_given_cassette_saves_then_appends(
    kind: str,
    fresh_dir: Any,
    initial: Cassette,
    exchanges: list[tuple[InteractionRequest, tuple[ResponseChunk, ...]]],
) -> None:
    """A Broker given a cassette and a store writes it all, then appends."""
    directory = fresh_dir()
    responses = iter([chunks for _, chunks in exchanges])
    store = new_store(kind, directory)
    broker = Broker(
        initial,
        mode="record",
        live_responder=lambda request: next(responses),
        cassette_store=store,
    )
    for request, _ in exchanges:
        list(broker.replay(request))
    loaded = new_store(kind, directory).load()
    assert loaded == broker.cassette
    assert len(loaded.interactions) == len(initial.interactions) + len(exchanges)
    assert loaded.interactions[: len(initial.interactions)] == initial.interactions


# --- readable text, base64 binary ------------------------------------------------

readable_text = st.text(
    alphabet=st.sampled_from("abcXYZ019 éüßøÅ日本語κόσμε"), min_size=1, max_size=30
).filter(lambda text: text.strip() == text)


@pytest.mark.parametrize("kind", ALL_STORES)
@ENGINE_SETTINGS
@given(text=readable_text, binary=st.binary(min_size=1, max_size=48))
def test_text_stays_readable_and_binary_is_base64(
    kind: str, fresh_dir: Any, text: str, binary: bytes
) -> None:
    binary = b"\xff" + binary  # never valid UTF-8
    request = make_request("readable", body=text.encode())
    interaction = Interaction(
        request=request,
        fingerprint=request.fingerprint(),
        response_chunks=chunks_of(binary, text.encode()),
    )
    store = new_store(kind, fresh_dir())
    store.save(Cassette(interactions=(interaction,)))
    raw = stored_bytes(store)
    assert text.encode() in raw
    assert base64.b64encode(binary) in raw
    (document,) = file_documents(store)
    assert document["request"]["body"] == text
    assert document["response_chunks"][0]["data"] == {
        "base64": base64.b64encode(binary).decode()
    }
    assert document["response_chunks"][1]["data"] == text
    assert store.load().interactions == (interaction,)


def test_yaml_written_by_us_loads_through_the_generic_yaml_path(
    tmp_path: Path,
) -> None:
    """Our fast YAML layout and the safe-loader path agree on the same file."""
    request = make_request(
        "y", headers=[("k\u2028", "v\x85\x7f\ufeff")], body=b"\x00\xff"
    )
    cassette = Cassette(
        interactions=(make_interaction(request, "a\u2029b".encode(), b"\x9f"),)
    )
    store = YamlFileCassetteStore(tmp_path / "c.yaml")
    store.save(cassette)
    text = store.path.read_bytes()
    edited = tmp_path / "edited.yaml"
    edited.write_bytes(b"# edited by hand\n" + text)
    assert YamlFileCassetteStore(edited).load() == cassette
    assert store.load() == cassette


@pytest.mark.parametrize("kind", ALL_STORES)
def test_empty_cassette_round_trips(kind: str, tmp_path: Path) -> None:
    store = new_store(kind, tmp_path)
    store.save(Cassette(interactions=()))
    assert store.load() == Cassette(interactions=())
    interaction = make_interaction(make_request())
    store.append(interaction)
    assert store.load().interactions == (interaction,)
