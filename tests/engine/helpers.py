"""Shared builders, hypothesis strategies and store factories for engine tests."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeAlias

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from interposition import (
    Cassette,
    DirectoryCassetteStore,
    Interaction,
    InteractionRequest,
    JsonFileCassetteStore,
    JsonLinesCassetteStore,
    ResponseChunk,
    YamlFileCassetteStore,
)

# One profile for every property of the engine suite. The default keeps the
# whole suite well under a minute; raise INTERPOSITION_ENGINE_EXAMPLES (e.g. to
# 1000) for a thorough run.
settings.register_profile(
    "interposition-engine",
    max_examples=int(os.environ.get("INTERPOSITION_ENGINE_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ENGINE_SETTINGS = settings.get_profile("interposition-engine")


def reference_fingerprint(request: InteractionRequest) -> str:
    """The published 0.4.0 algorithm, written out independently of ours."""
    canonical = json.dumps(
        [
            request.protocol,
            request.action,
            request.target,
            request.headers,
            request.body.hex(),
        ],
        separators=(",", ":"),
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def make_request(
    target: str = "users/42",
    *,
    protocol: str = "api",
    action: str = "query",
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
) -> InteractionRequest:
    return InteractionRequest(
        protocol=protocol,
        action=action,
        target=target,
        headers=tuple(headers),
        body=body,
    )


def chunks_of(*datas: bytes) -> tuple[ResponseChunk, ...]:
    return tuple(
        ResponseChunk(data=data, sequence=number) for number, data in enumerate(datas)
    )


def make_interaction(
    request: InteractionRequest,
    *datas: bytes,
    metadata: tuple[tuple[str, str], ...] = (),
) -> Interaction:
    """A validated interaction (through the constructor, as users build them)."""
    return Interaction(
        request=request,
        fingerprint=request.fingerprint(),
        response_chunks=chunks_of(*(datas or (b"ok",))),
        metadata=metadata,
    )


def datas(chunks: Iterable[ResponseChunk]) -> list[bytes]:
    return [chunk.data for chunk in chunks]


# --- hypothesis strategies --------------------------------------------------

#: Any text: every code point but surrogates (which str.encode refuses), so
#: control characters, NUL, U+0085, U+2028, U+FEFF and astral planes included.
texts = st.text(max_size=24)
#: Text that likes the characters formats choke on.
awkward_texts = st.text(
    alphabet=st.sampled_from(
        [
            "\x00", "\x01", "\t", "\n", "\r", "\x1b", "\x7f", "\x85", "\xa0",
            "\u2028", "\u2029", "\ufeff", "\ufffe", "\uffff", "\U0001f600",
            '"', "'", "\\", "/", ":", "#", "&", "*", "!", "|", ">", "%", "@",
            "`", "-", "?", "{", "}", "[", "]", ",", " ", "a", "é", "日",
        ]
    ),
    max_size=12,
)  # fmt: skip
any_text = texts | awkward_texts
pairs = st.lists(st.tuples(any_text, any_text), max_size=4).map(tuple)
#: Bytes of every kind: arbitrary (mostly not UTF-8), UTF-8 text, empty.
any_bytes = st.binary(max_size=64) | any_text.map(str.encode) | st.just(b"")

requests = st.builds(
    InteractionRequest,
    protocol=any_text,
    action=any_text,
    target=any_text,
    headers=pairs,
    body=any_bytes,
)


@st.composite
def response_chunks(draw: st.DrawFn) -> tuple[ResponseChunk, ...]:
    payloads = draw(st.lists(st.tuples(any_bytes, pairs), min_size=1, max_size=4))
    return tuple(
        ResponseChunk(data=data, sequence=number, metadata=metadata)
        for number, (data, metadata) in enumerate(payloads)
    )


@st.composite
def interactions(draw: st.DrawFn) -> Interaction:
    request = draw(requests)
    return Interaction(
        request=request,
        fingerprint=request.fingerprint(),
        response_chunks=draw(response_chunks()),
        metadata=draw(pairs),
    )


cassettes = st.builds(
    Cassette, interactions=st.lists(interactions(), max_size=5).map(tuple)
)

# --- stores -------------------------------------------------------------------

AnyStore: TypeAlias = (
    JsonFileCassetteStore
    | YamlFileCassetteStore
    | JsonLinesCassetteStore
    | DirectoryCassetteStore
)
StoreFactory: TypeAlias = Callable[..., AnyStore]


def _dir_json(path: Path, **options: Any) -> DirectoryCassetteStore:
    return DirectoryCassetteStore(path, file_format="json", **options)


def _dir_yaml(path: Path, **options: Any) -> DirectoryCassetteStore:
    return DirectoryCassetteStore(path, file_format="yaml", **options)


#: name -> (factory, file name inside a fresh directory)
STORES: dict[str, tuple[StoreFactory, str]] = {
    "json": (JsonFileCassetteStore, "cassette.json"),
    "yaml": (YamlFileCassetteStore, "cassette.yaml"),
    "jsonl": (JsonLinesCassetteStore, "cassette.jsonl"),
    "dir-json": (_dir_json, "cassette"),
    "dir-yaml": (_dir_yaml, "cassette"),
}
FILE_STORES = ("json", "yaml", "jsonl")


def new_store(kind: str, directory: Path, **options: Any) -> AnyStore:
    """A store of ``kind`` at a fresh location inside ``directory``."""
    factory, name = STORES[kind]
    return factory(directory / name, **options)


def stored_bytes(store: AnyStore) -> bytes:
    """Everything a store wrote, concatenated (files of a directory in order)."""
    if isinstance(store, DirectoryCassetteStore):
        return b"".join(path.read_bytes() for path in store.files())
    return store.path.read_bytes()
