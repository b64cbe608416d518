"""Models: frozen, validated, versioned, with a JSON Schema."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from interposition import (
    Cassette,
    Interaction,
    InteractionRequest,
    InteractionValidationError,
    InterpositionError,
    RequestFingerprint,
    ResponseChunk,
)
from interposition.models import CASSETTE_FORMAT_VERSION

from .helpers import ENGINE_SETTINGS, chunks_of, make_interaction, make_request

REQUEST = make_request("users/42", headers=[("k", "v")], body=b"q")
INTERACTION = make_interaction(REQUEST, b"a", b"b", metadata=(("m", "1"),))
CASSETTE = Cassette(interactions=(INTERACTION,))


# --- frozen ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "field", "value"),
    [
        (REQUEST, "target", "other"),
        (REQUEST, "body", b"other"),
        (REQUEST.fingerprint(), "value", "0" * 64),
        (INTERACTION.response_chunks[0], "data", b"x"),
        (INTERACTION, "metadata", ()),
        (INTERACTION, "response_chunks", ()),
        (CASSETTE, "interactions", ()),
        (CASSETTE, "version", 1),
    ],
)
def test_models_are_frozen(model: Any, field: str, value: Any) -> None:
    before = model.model_dump()
    with pytest.raises(ValidationError, match="frozen"):
        setattr(model, field, value)
    assert model.model_dump() == before


def test_models_are_hashable_and_compare_by_value() -> None:
    same = make_interaction(
        make_request("users/42", headers=[("k", "v")], body=b"q"),
        b"a",
        b"b",
        metadata=(("m", "1"),),
    )
    assert same == INTERACTION
    assert hash(same) == hash(INTERACTION)
    assert hash(Cassette(interactions=(same,))) == hash(CASSETTE)
    assert (
        len({REQUEST, make_request("users/42", headers=[("k", "v")], body=b"q")}) == 1
    )


# --- fingerprints ------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "",
        "abc",
        "0" * 63,
        "0" * 65,
        "A" * 64,
        "g" * 64,
        " " + "0" * 63,
        "0" * 64 + "\n",
        "0" * 63 + "\n",
        "\uff10" * 64,  # fullwidth digit zero
    ],
)
def test_invalid_fingerprints_are_refused(value: str) -> None:
    with pytest.raises(ValidationError):
        RequestFingerprint(value=value)


@ENGINE_SETTINGS
@given(
    st.text(alphabet="0123456789abcdefABCDEFg \n", min_size=62, max_size=66)
    | st.text(max_size=70)
)
def test_fingerprint_accepts_exactly_64_lowercase_hex(value: str) -> None:
    valid = re.fullmatch(r"[0-9a-f]{64}", value) is not None
    try:
        RequestFingerprint(value=value)
    except ValidationError:
        assert not valid
    else:
        assert valid


def test_fingerprint_validation_applies_to_json_too() -> None:
    with pytest.raises(ValidationError):
        RequestFingerprint.model_validate_json('{"value": "xyz"}')
    fingerprint = RequestFingerprint.model_validate_json(
        json.dumps({"value": REQUEST.fingerprint().value})
    )
    assert fingerprint == REQUEST.fingerprint()


# --- interaction validation ----------------------------------------------------


def test_fingerprint_mismatch_raises_interaction_validation_error() -> None:
    wrong = make_request("users/43").fingerprint()
    with pytest.raises(InteractionValidationError, match="Fingerprint does not match"):
        Interaction(request=REQUEST, fingerprint=wrong, response_chunks=chunks_of(b""))


def test_interaction_validation_error_is_an_interposition_error_and_a_value_error() -> (
    None
):
    # As in the published 0.4.0, so `except ValueError` keeps catching it.
    assert issubclass(InteractionValidationError, InterpositionError)
    assert issubclass(InteractionValidationError, ValueError)
    wrong = make_request("users/43").fingerprint()
    with pytest.raises(ValueError, match="Fingerprint does not match") as caught:
        Interaction(request=REQUEST, fingerprint=wrong, response_chunks=chunks_of(b""))
    # Raised as itself, not wrapped by pydantic.
    assert type(caught.value) is InteractionValidationError


@pytest.mark.parametrize(
    ("sequences", "message"),
    [
        ((), "Response chunks cannot be empty"),
        ((1,), "Response chunks must start at sequence 0"),
        ((0, 2), "Response chunks must be sequential with no gaps"),
    ],
)
def test_the_published_messages(sequences: tuple[int, ...], message: str) -> None:
    chunks = tuple(ResponseChunk(data=b"x", sequence=s) for s in sequences)
    with pytest.raises(InteractionValidationError) as caught:
        Interaction(
            request=REQUEST, fingerprint=REQUEST.fingerprint(), response_chunks=chunks
        )
    assert str(caught.value) == message
    wrong = make_request("users/43").fingerprint()
    with pytest.raises(InteractionValidationError) as mismatch:
        Interaction(request=REQUEST, fingerprint=wrong, response_chunks=chunks_of(b""))
    assert str(mismatch.value) == (
        "Fingerprint does not match request: "
        f"expected {REQUEST.fingerprint().value}, got {wrong.value}"
    )


def test_empty_chunks_raise() -> None:
    with pytest.raises(InteractionValidationError, match="cannot be empty"):
        Interaction(
            request=REQUEST, fingerprint=REQUEST.fingerprint(), response_chunks=()
        )


@pytest.mark.parametrize(
    ("sequences", "message"),
    [
        ((1,), "start at sequence 0"),
        ((0, 2), "no gaps"),
        ((0, 0), "no gaps"),
        ((0, 1, 1), "no gaps"),
        ((1, 0), "start at sequence 0"),
        ((-1,), "start at sequence 0"),
    ],
)
def test_non_sequential_chunks_raise(sequences: tuple[int, ...], message: str) -> None:
    chunks = tuple(ResponseChunk(data=b"x", sequence=s) for s in sequences)
    with pytest.raises(InteractionValidationError, match=message):
        Interaction(
            request=REQUEST, fingerprint=REQUEST.fingerprint(), response_chunks=chunks
        )


def test_model_validate_raises_pydantic_validation_error_with_the_message() -> None:
    # As the published 0.4.0 does: the message is carried by pydantic's error.
    document = json.loads(INTERACTION.model_dump_json())
    document["fingerprint"]["value"] = "0" * 64
    with pytest.raises(ValidationError, match="Fingerprint does not match") as caught:
        Interaction.model_validate_json(json.dumps(document))
    (detail,) = caught.value.errors()
    assert isinstance(detail["ctx"]["error"], InteractionValidationError)
    with pytest.raises(ValidationError, match="Fingerprint does not match"):
        Interaction.model_validate(document)
    document = json.loads(INTERACTION.model_dump_json())
    document["response_chunks"][1]["sequence"] = 5
    with pytest.raises(
        ValidationError, match="Response chunks must be sequential with no gaps"
    ):
        Interaction.model_validate_json(json.dumps(document))
    with pytest.raises(ValidationError, match="no gaps"):
        Cassette.model_validate({"interactions": [document]})


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "SHA-256 hex must be exactly 64 characters"),
        ("0" * 65, "SHA-256 hex must be exactly 64 characters"),
        ("g" * 64, "Invalid hex characters in fingerprint"),
        ("A" * 64, "Invalid hex characters in fingerprint"),
    ],
)
def test_fingerprint_messages_are_the_published_ones(value: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        RequestFingerprint(value=value)


def test_build_checks_chunks_and_computes_the_fingerprint() -> None:
    built = Interaction.build(REQUEST, chunks_of(b"a", b"b"), (("m", "1"),))
    assert built == INTERACTION
    with pytest.raises(InteractionValidationError):
        Interaction.build(REQUEST, ())
    with pytest.raises(InteractionValidationError):
        Interaction.build(REQUEST, (ResponseChunk(data=b"", sequence=3),))


def test_wrong_types_raise_validation_error() -> None:
    with pytest.raises(ValidationError):
        InteractionRequest(
            protocol="p",
            action="a",
            target="t",
            headers=(("only-one",),),  # type: ignore[arg-type]
            body=b"",
        )
    with pytest.raises(ValidationError):
        ResponseChunk(data=b"", sequence="first")  # type: ignore[arg-type]


# --- cassette --------------------------------------------------------------------


def test_find_interaction_returns_the_first_match() -> None:
    first = make_interaction(REQUEST, b"first")
    second = make_interaction(REQUEST, b"second")
    other = make_interaction(make_request("other"), b"other")
    cassette = Cassette(interactions=(other, first, second))
    assert cassette.find_interaction(REQUEST.fingerprint()) == first
    assert cassette.find_interaction(REQUEST.fingerprint()) == first
    assert cassette.find_interaction(other.fingerprint) == other
    assert cassette.find_interaction(make_request("none").fingerprint()) is None
    assert Cassette(interactions=()).find_interaction(REQUEST.fingerprint()) is None


def test_cassette_equality_does_not_depend_on_lookups() -> None:
    looked_up = Cassette(interactions=(INTERACTION,))
    assert looked_up.find_interaction(REQUEST.fingerprint()) == INTERACTION
    fresh = Cassette(interactions=(INTERACTION,))
    assert looked_up == fresh
    assert fresh == looked_up
    assert hash(looked_up) == hash(fresh)
    assert looked_up != Cassette(interactions=())


def test_json_schema_generation() -> None:
    schema = Cassette.model_json_schema()
    json.dumps(schema)  # serializable
    assert schema["type"] == "object"
    assert "interactions" in schema["properties"]
    assert "interactions" in schema["required"]
    assert schema["properties"]["version"]["default"] == CASSETTE_FORMAT_VERSION
    definitions = schema["$defs"]
    assert {"Interaction", "InteractionRequest", "ResponseChunk"} <= set(definitions)
    body = definitions["InteractionRequest"]["properties"]["body"]
    kinds = [option.get("type") for option in body["anyOf"]]
    assert kinds == ["string", "object"]
    assert body["anyOf"][1]["required"] == ["base64"]
    fingerprint = definitions["RequestFingerprint"]["properties"]["value"]
    assert fingerprint["pattern"] == "^[0-9a-f]{64}$"
    # Serialization mode describes what model_dump_json writes.
    assert Cassette.model_json_schema(mode="serialization")["type"] == "object"


def test_dump_writes_the_version() -> None:
    document = json.loads(CASSETTE.model_dump_json())
    assert document["version"] == CASSETTE_FORMAT_VERSION == 2


def test_document_without_version_loads_as_current() -> None:
    document = json.loads(CASSETTE.model_dump_json())
    del document["version"]
    loaded = Cassette.model_validate_json(json.dumps(document))
    assert loaded == CASSETTE
    assert loaded.version == CASSETTE_FORMAT_VERSION


def test_version_1_loads_and_migrates() -> None:
    document = json.loads(CASSETTE.model_dump_json())
    document["version"] = 1
    loaded = Cassette.model_validate_json(json.dumps(document))
    assert loaded == CASSETTE
    assert json.loads(loaded.model_dump_json())["version"] == 2


@pytest.mark.parametrize("version", [3, 99])
def test_newer_version_fails_with_a_clear_message(version: int) -> None:
    document = {"version": version, "interactions": []}
    with pytest.raises(ValidationError) as caught:
        Cassette.model_validate_json(json.dumps(document))
    message = str(caught.value)
    assert f"cassette format version {version} is newer" in message
    assert "upgrade interposition" in message


@pytest.mark.parametrize("version", [0, -1, "two", None])
def test_invalid_versions_fail(version: object) -> None:
    with pytest.raises(ValidationError):
        Cassette.model_validate({"version": version, "interactions": []})


def test_unknown_fields_are_ignored_like_0_4_0() -> None:
    # 0.4.0 ignored unknown keys; so do we (a newer minor may add some).
    document = json.loads(CASSETTE.model_dump_json())
    document["comment"] = "hand-written"
    assert Cassette.model_validate_json(json.dumps(document)) == CASSETTE
