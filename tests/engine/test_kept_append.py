"""Appends through a kept-open descriptor: recovery, reopening, processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from interposition import (
    Cassette,
    CassetteRecoveryWarning,
    Interaction,
    InteractionRequest,
    JsonFileCassetteStore,
    JsonLinesCassetteStore,
    ResponseChunk,
    YamlFileCassetteStore,
    store_for_path,
)


def _interaction(n: int) -> Interaction:
    request = InteractionRequest(
        protocol="http", action="GET", target=f"/items/{n}", headers=(), body=b""
    )
    return Interaction.build(request, (ResponseChunk(data=b"%d" % n, sequence=0),))


def test_build_equals_a_validated_interaction() -> None:
    request = InteractionRequest(
        protocol="p", action="a", target="t", headers=(("k", "v"),), body=b"\xff"
    )
    chunks = (
        ResponseChunk(data=b"1", sequence=0),
        ResponseChunk(data=b"2", sequence=1),
    )
    built = Interaction.build(request, chunks, (("m", "1"),))
    validated = Interaction(
        request=request,
        fingerprint=request.fingerprint(),
        response_chunks=chunks,
        metadata=(("m", "1"),),
    )
    assert built == validated
    assert built.model_dump_json() == validated.model_dump_json()
    assert built.model_fields_set == validated.model_fields_set
    assert Interaction.model_validate_json(built.model_dump_json()) == validated


@pytest.mark.parametrize(
    ("store_type", "name", "prefix"),
    [
        (JsonLinesCassetteStore, "c.jsonl", b""),
        (YamlFileCassetteStore, "c.yaml", b"- "),
    ],
)
def test_torn_line_continued_by_a_later_append_is_recovered(
    tmp_path: Path,
    store_type: type[JsonLinesCassetteStore | YamlFileCassetteStore],
    name: str,
    prefix: bytes,
) -> None:
    path = tmp_path / name
    store = store_type(path)
    store.append(_interaction(1))
    # Another process died halfway through writing its line...
    whole = _interaction(2).model_dump_json().encode()
    with path.open("ab") as file:
        file.write(prefix + whole[: len(whole) // 2])
    # ...and this store's next append lands on the same line.
    store.append(_interaction(3))
    with pytest.warns(CassetteRecoveryWarning, match="cut short"):
        loaded = store_type(path).load()
    assert loaded.interactions == (_interaction(1), _interaction(3))


@pytest.mark.parametrize(
    ("store_type", "name"),
    [
        (JsonLinesCassetteStore, "c.jsonl"),
        (YamlFileCassetteStore, "c.yaml"),
        (JsonFileCassetteStore, "c.json"),
    ],
)
def test_appends_after_a_save_go_to_the_new_file(
    tmp_path: Path,
    store_type: type[
        JsonLinesCassetteStore | YamlFileCassetteStore | JsonFileCassetteStore
    ],
    name: str,
) -> None:
    store = store_type(tmp_path / name)
    store.append(_interaction(1))
    store.save(Cassette(interactions=(_interaction(7),)))  # replaces the file
    store.append(_interaction(8))
    assert store_type(tmp_path / name).load().interactions == (
        _interaction(7),
        _interaction(8),
    )
    store.close()
    store.append(_interaction(9))  # reopens
    assert len(store.load().interactions) == 3


_WRITER = textwrap.dedent(
    """
    import sys
    from interposition import *
    kind = {"jsonl": JsonLinesCassetteStore, "yaml": YamlFileCassetteStore,
            "json": JsonFileCassetteStore}[sys.argv[2]]
    store = kind(sys.argv[1])
    for n in range(int(sys.argv[3]), int(sys.argv[3]) + 200):
        request = InteractionRequest(
            protocol="p", action="a", target=f"/{n}", headers=(), body=b"x" * n
        )
        store.append(
            Interaction.build(request, (ResponseChunk(data=b"%d" % n, sequence=0),))
        )
    """
)


@pytest.mark.parametrize("kind", ["jsonl", "yaml", "json"])
def test_processes_appending_at_once_lose_nothing(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"c.{kind}"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path), kind, str(start)],
        )
        for start in (0, 1000, 2000)
    ]
    assert [w.wait(timeout=60) for w in writers] == [0, 0, 0]
    loaded = store_for_path(path).load()
    targets = sorted(int(i.request.target[1:]) for i in loaded.interactions)
    assert targets == sorted([*range(200), *range(1000, 1200), *range(2000, 2200)])
