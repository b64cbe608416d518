"""Stores: creation, atomicity, errors that name the file, recovery, names."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pytest
import yaml

from interposition import (
    Cassette,
    CassetteLoadError,
    CassetteRecoveryWarning,
    CassetteSaveError,
    ConfigurationError,
    DirectoryCassetteStore,
    InterpositionError,
    JsonFileCassetteStore,
    JsonLinesCassetteStore,
    YamlFileCassetteStore,
    store_for_path,
)

from .helpers import (
    FILE_STORES,
    STORES,
    AnyStore,
    make_interaction,
    make_request,
    new_store,
)

ALL_STORES = sorted(STORES)


def sample(count: int = 3) -> Cassette:
    """Interactions with headers, binary and non-ASCII bodies, several chunks."""
    return Cassette(
        interactions=tuple(
            make_interaction(
                make_request(
                    f"items/{n}",
                    headers=[("accept", "application/json"), ("x-n", str(n))],
                    body=f"naïve body {n} ✓".encode(),
                ),
                b'{"id": %d}' % n,
                bytes(range(250, 256)) * (n + 1),
                "fin ☃".encode(),
                metadata=(("n", str(n)),),
            )
            for n in range(count)
        )
    )


def load_quietly(store: AnyStore) -> tuple[Cassette, list[str]]:
    """Load, returning the cassette and any recovery warnings' messages."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cassette = store.load()
    messages = [str(w.message) for w in caught]
    assert all(issubclass(w.category, CassetteRecoveryWarning) for w in caught)
    return cassette, messages


# --- creation -----------------------------------------------------------------


@pytest.mark.parametrize("kind", ALL_STORES)
def test_missing_cassette_raises_unless_create_if_missing(
    kind: str, tmp_path: Path
) -> None:
    store = new_store(kind, tmp_path)
    with pytest.raises(CassetteLoadError) as caught:
        store.load()
    assert caught.value.path == store.path
    assert str(store.path) in str(caught.value)
    assert isinstance(caught.value, InterpositionError)
    created = new_store(kind, tmp_path, create_if_missing=True)
    assert created.load() == Cassette(interactions=())
    assert not created.path.exists()  # loading creates nothing


def test_json_missing_file_error_has_the_os_error_as_cause(tmp_path: Path) -> None:
    with pytest.raises(CassetteLoadError) as caught:
        JsonFileCassetteStore(tmp_path / "missing.json").load()
    assert isinstance(caught.value.__cause__, FileNotFoundError)


@pytest.mark.parametrize("kind", ALL_STORES)
def test_save_and_append_create_parent_directories(kind: str, tmp_path: Path) -> None:
    store = new_store(kind, tmp_path / "a" / "b" / "c")
    store.save(sample(1))
    assert store.load() == sample(1)
    appender = new_store(kind, tmp_path / "x" / "y")
    interaction = sample(1).interactions[0]
    appender.append(interaction)
    assert appender.load().interactions == (interaction,)


@pytest.mark.parametrize("kind", ALL_STORES)
def test_create_if_missing_then_record_creates_the_file(
    kind: str, tmp_path: Path
) -> None:
    store = new_store(kind, tmp_path / "new", create_if_missing=True)
    cassette = store.load()
    assert cassette.interactions == ()
    store.save(Cassette(interactions=sample(2).interactions))
    assert new_store(kind, tmp_path / "new").load() == sample(2)


# --- atomic saves -------------------------------------------------------------


@pytest.mark.parametrize("kind", FILE_STORES)
def test_save_leaves_no_temporary_files(kind: str, tmp_path: Path) -> None:
    store = new_store(kind, tmp_path)
    for count in (3, 1, 0, 2):
        store.save(sample(count))
    for interaction in sample(5).interactions[2:]:
        store.append(interaction)
    assert sorted(os.listdir(tmp_path)) == [store.path.name]
    assert len(store.load().interactions) == 5


@pytest.mark.parametrize("file_format", ["json", "yaml"])
def test_directory_save_leaves_no_temporary_or_stale_files(
    file_format: str, tmp_path: Path
) -> None:
    store = DirectoryCassetteStore(tmp_path / "d", file_format=file_format)  # type: ignore[arg-type]
    store.save(sample(4))
    store.save(sample(2))  # fewer: stale files go
    store.append(sample(3).interactions[2])
    names = sorted(os.listdir(store.path))
    assert len(names) == 3
    assert all(not name.startswith(".") for name in names)
    assert all(name.endswith(f".{file_format}") for name in names)
    assert store.load() == sample(3)


@pytest.mark.parametrize("kind", FILE_STORES)
def test_save_over_a_directory_fails_and_leaves_no_temp(
    kind: str, tmp_path: Path
) -> None:
    store = new_store(kind, tmp_path)
    store.path.mkdir()
    (store.path / "keep").write_text("inside")
    with pytest.raises(CassetteSaveError) as caught:
        store.save(sample(2))
    assert caught.value.path == store.path
    assert caught.value.__cause__ is not None
    assert (store.path / "keep").read_text() == "inside"
    assert sorted(os.listdir(tmp_path)) == [store.path.name]


FAILING_WRITE_CHILD = textwrap.dedent(
    """
    import resource, signal, sys
    from interposition import CassetteSaveError, store_for_path
    from tests.engine.test_stores import sample

    store = store_for_path(sys.argv[1])
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a kill
    resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))
    try:
        store.save(sample(40))
    except CassetteSaveError as error:
        print("CassetteSaveError", type(error.__cause__).__name__)
    else:
        print("saved")
    """
)


@pytest.mark.parametrize("kind", FILE_STORES)
def test_failed_save_keeps_the_old_file_intact(kind: str, tmp_path: Path) -> None:
    """A write that fails half-way (file size limit) leaves the old cassette."""
    store = new_store(kind, tmp_path)
    store.save(sample(1))
    before = store.path.read_bytes()
    assert len(before) < 2000
    result = subprocess.run(
        [sys.executable, "-c", FAILING_WRITE_CHILD, str(store.path)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[2],
        timeout=60,
        check=True,
    )
    assert result.stdout.split() == ["CassetteSaveError", "OSError"]
    assert store.path.read_bytes() == before
    assert store.load() == sample(1)
    assert sorted(os.listdir(tmp_path)) == [store.path.name]


# --- load errors name the file ------------------------------------------------------


def assert_load_error(store: AnyStore, path: Path, *fragments: str) -> None:
    with pytest.raises(CassetteLoadError) as caught:
        store.load()
    assert caught.value.path == path
    message = str(caught.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize("kind", FILE_STORES)
def test_loading_a_directory_fails(kind: str, tmp_path: Path) -> None:
    store = new_store(kind, tmp_path, create_if_missing=True)
    store.path.mkdir()
    assert_load_error(store, store.path)


def test_directory_store_on_a_file_fails(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_text("not a directory")
    store = DirectoryCassetteStore(path, create_if_missing=True)
    assert_load_error(store, path, "not a directory")
    assert_load_error(DirectoryCassetteStore(tmp_path / "none"), tmp_path / "none")


GARBAGE = [
    b"",
    b"\x00\x01\x02\xff\xfe binary garbage",
    b"not json at all {",
    b"{]",
    b'{"interactions": [}',
    b"\xef\xbb\xbf{ bom and broken",
]


@pytest.mark.parametrize("kind", FILE_STORES)
@pytest.mark.parametrize("garbage", GARBAGE)
def test_garbage_is_a_load_error(kind: str, garbage: bytes, tmp_path: Path) -> None:
    store = new_store(kind, tmp_path)
    store.path.write_bytes(garbage)
    assert_load_error(store, store.path)


FOREIGN_JSON = [
    b"[]",
    b"42",
    b'"text"',
    b"null",
    b'{"something": "else"}',
    b'{"interactions": 5}',
    b'{"interactions": [{"request": 1}]}',
    b'{"version": 99, "interactions": []}',
    b'{"interactions": [], "version": "two"}',
]


@pytest.mark.parametrize("document", FOREIGN_JSON)
def test_json_that_is_not_a_cassette_is_a_load_error(
    document: bytes, tmp_path: Path
) -> None:
    path = tmp_path / "c.json"
    path.write_bytes(document)
    assert_load_error(JsonFileCassetteStore(path), path)


def test_newer_version_error_says_to_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text('{"version": 99, "interactions": []}')
    assert_load_error(JsonFileCassetteStore(path), path, "version 99", "upgrade")
    yaml_path = tmp_path / "c.yaml"
    yaml_path.write_text("version: 99\ninteractions: []\n")
    assert_load_error(YamlFileCassetteStore(yaml_path), yaml_path, "version 99")


FOREIGN_YAML = [
    "- a list\n- not a mapping\n",
    "just a string\n",
    "42\n",
    "interactions: {a: 1}\n",
    "interactions:\n  - request: nope\n",
    "key: [unclosed\n",
    "!!python/object/apply:os.system ['true']\n",
    "interactions: !!python/object/apply:os.system ['true']\n",
    "version: 99\ninteractions: []\n",
    "\t\tbad indentation: [\n",
]


@pytest.mark.parametrize("document", FOREIGN_YAML)
def test_yaml_that_is_not_a_cassette_is_a_load_error(
    document: str, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(document)
    assert_load_error(YamlFileCassetteStore(path), path)


@pytest.mark.parametrize("document", FOREIGN_YAML)
def test_foreign_yaml_in_a_directory_store_is_a_load_error(
    document: str, tmp_path: Path
) -> None:
    store = DirectoryCassetteStore(tmp_path / "d", file_format="yaml")
    store.save(sample(1))
    bad = store.path / "000000-bad.yaml"
    bad.write_text(document)
    assert_load_error(store, bad)


FOREIGN_JSONL = [
    b'{"version":2,"format":"something-else"}\n',
    b"[]\n",
    b'{"version":99,"format":"interposition-jsonl"}\n',
    b"not json\n",
]


@pytest.mark.parametrize("document", FOREIGN_JSONL)
def test_jsonl_that_is_not_a_cassette_is_a_load_error(
    document: bytes, tmp_path: Path
) -> None:
    path = tmp_path / "c.jsonl"
    path.write_bytes(document)
    assert_load_error(JsonLinesCassetteStore(path), path)


def billion_laughs(levels: int = 9) -> str:
    names = "abcdefghijklmnop"[:levels]
    lines = ["a: &a [" + ", ".join(['"lol"'] * 9) + "]"]
    for previous, current in itertools.pairwise(names):
        lines.append(f"{current}: &{current} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


BOMBS = {
    "top-level": billion_laughs() + "interactions: []\n",
    "as-interactions": billion_laughs() + f"interactions: *{'abcdefghi'[-1]}\n",
    "in-headers": billion_laughs()
    + "interactions:\n"
    + "- request: {protocol: p, action: a, target: t, headers: *i, body: ''}\n"
    + f"  fingerprint: {{value: '{'0' * 64}'}}\n"
    + "  response_chunks: [{data: x, sequence: 0}]\n",
    "in-body": billion_laughs()
    + "interactions:\n"
    + "- request: {protocol: p, action: a, target: t, headers: [], body: *i}\n"
    + f"  fingerprint: {{value: '{'0' * 64}'}}\n"
    + "  response_chunks: [{data: x, sequence: 0}]\n",
    "many-aliases": "a: &a x\nb: [" + ", ".join(["*a"] * 500) + "]\n",
}

BOMB_CHILD = textwrap.dedent(
    """
    import sys, time
    from interposition import CassetteLoadError, store_for_path
    from interposition.stores import DirectoryCassetteStore
    path = sys.argv[1]
    store = (
        DirectoryCassetteStore(path, file_format="yaml")
        if sys.argv[2] == "dir" else store_for_path(path)
    )
    start = time.perf_counter()
    try:
        store.load()
    except CassetteLoadError as error:
        print("refused", time.perf_counter() - start, error)
    else:
        print("loaded", time.perf_counter() - start)
    """
)


@pytest.mark.parametrize("where", sorted(BOMBS))
@pytest.mark.parametrize("store_kind", ["file", "dir"])
def test_yaml_alias_bomb_is_refused_quickly(
    where: str, store_kind: str, tmp_path: Path
) -> None:
    if store_kind == "file":
        path = tmp_path / "bomb.yaml"
        path.write_text(BOMBS[where])
    else:
        path = tmp_path / "bomb"
        path.mkdir()
        (path / "000001-bomb.yaml").write_text(BOMBS[where])
    started = time.monotonic()
    # A child process, so that a regression fails this test instead of
    # hanging the suite or exhausting its memory.
    result = subprocess.run(
        [sys.executable, "-c", BOMB_CHILD, str(path), store_kind],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    status, seconds, *message = result.stdout.split(maxsplit=2)
    assert status == "refused", result.stdout
    assert float(seconds) < 0.5
    assert "alias" in message[0]
    assert str(path) in message[0]
    assert time.monotonic() - started < 30


def test_yaml_with_a_few_anchors_still_loads(tmp_path: Path) -> None:
    """Hand-written YAML may share parts with anchors; that stays fine."""
    request = make_request("t", headers=[("accept", "json"), ("x", "y")])
    other = make_request("u", headers=[("accept", "json"), ("x", "y")])
    text = textwrap.dedent(
        f"""\
        # written by hand
        interactions:
          - request:
              protocol: api
              action: query
              target: t
              headers: &headers [[accept, json], [x, y]]
              body: ""
            fingerprint: {{value: {request.fingerprint().value}}}
            response_chunks: &chunks
              - {{data: "ok", sequence: 0}}
              - data: {{base64: "/wA="}}
                sequence: 1
          - request: {{protocol: api, action: query, target: u, headers: *headers,
                       body: ""}}
            fingerprint: {{value: {other.fingerprint().value}}}
            response_chunks: *chunks
        """
    )
    path = tmp_path / "hand.yaml"
    path.write_text(text)
    cassette = YamlFileCassetteStore(path).load()
    assert [i.request for i in cassette.interactions] == [request, other]
    assert [c.data for c in cassette.interactions[1].response_chunks] == [
        b"ok",
        b"\xff\x00",
    ]


def test_yaml_without_interactions_key_is_an_empty_cassette(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("version: 2\ninteractions:\n")
    assert YamlFileCassetteStore(path).load() == Cassette(interactions=())


@pytest.mark.parametrize("file_format", ["json", "yaml"])
def test_corrupt_file_in_the_middle_of_a_directory_store(
    file_format: str, tmp_path: Path
) -> None:
    store = DirectoryCassetteStore(tmp_path / "d", file_format=file_format)  # type: ignore[arg-type]
    store.save(sample(5))
    files = store.files()
    files[2].write_bytes(files[2].read_bytes()[:40])
    assert_load_error(store, files[2])
    # A valid document with a wrong fingerprint is refused too.
    store.save(sample(5))
    files = store.files()
    text = files[1].read_text()
    fingerprint = sample(5).interactions[1].fingerprint.value
    files[1].write_text(text.replace(fingerprint, "f" * 64))
    assert_load_error(store, files[1], "Fingerprint does not match")


def test_directory_store_ignores_hidden_and_foreign_files(tmp_path: Path) -> None:
    store = DirectoryCassetteStore(tmp_path / "d")
    store.save(sample(2))
    (store.path / ".000000-leftover.json.123.tmp").write_text("partial")
    (store.path / ".hidden.json").write_text("{")
    (store.path / "README.txt").write_text("notes")
    (store.path / "sub.json").mkdir()
    assert store.load() == sample(2)


# --- save errors -------------------------------------------------------------------


@pytest.mark.parametrize("kind", ALL_STORES)
def test_unwritable_path_raises_save_error(kind: str, tmp_path: Path) -> None:
    blocker = tmp_path / "regular-file"
    blocker.write_text("a file where a directory should be")
    store = new_store(kind, blocker / "deeper")
    interaction = sample(1).interactions[0]
    with pytest.raises(CassetteSaveError) as caught:
        store.save(sample(1))
    assert blocker in (caught.value.path, *caught.value.path.parents)
    assert isinstance(caught.value.__cause__, OSError)
    with pytest.raises(CassetteSaveError):
        store.append(interaction)
    assert blocker.read_text() == "a file where a directory should be"


# --- torn tails --------------------------------------------------------------------


def last_interaction_span(kind: str, data: bytes) -> tuple[int, int]:
    """Byte offsets [start, end) of the last interaction's JSON text."""
    if kind == "json":
        end = len(data) - len(b"\n]}\n")
        start = data.rindex(b"\n", 0, end) + 1
    else:
        end = len(data) - 1
        start = data.rindex(b"\n", 0, end) + 1
        if kind == "yaml":
            assert data[start : start + 2] == b"- "
            start += 2
    assert data[start : start + 1] == b"{"
    assert data[end - 1 : end] == b"}"
    return start, end


@pytest.mark.parametrize("kind", FILE_STORES)
@pytest.mark.parametrize("written_by", ["save", "append"])
def test_torn_tail_recovers_every_complete_interaction(
    kind: str, written_by: str, tmp_path: Path
) -> None:
    cassette = sample(3)
    store = new_store(kind, tmp_path)
    if written_by == "save":
        store.save(cassette)
    else:
        for interaction in cassette.interactions:
            store.append(interaction)
    data = store.path.read_bytes()
    start, end = last_interaction_span(kind, data)
    torn = new_store(kind, tmp_path / "torn")
    torn.path.parent.mkdir()
    # In YAML, from the "-" that starts the item.
    first = start - 1 if kind == "yaml" else start + 1
    for offset in range(first, end):
        torn.path.write_bytes(data[:offset])
        with pytest.warns(CassetteRecoveryWarning, match="cut short") as caught:
            loaded = torn.load()
        assert len(caught) == 1
        assert str(torn.path) in str(caught[0].message)
        assert loaded.interactions == cassette.interactions[:2], offset
    # Cut after the last interaction is complete: nothing is lost.
    for offset in range(end, len(data)):
        torn.path.write_bytes(data[:offset])
        loaded, _ = load_quietly(torn)
        assert loaded.interactions == cassette.interactions, offset


@pytest.mark.parametrize("kind", FILE_STORES)
def test_crash_while_creating_the_file_loads_as_empty(
    kind: str, tmp_path: Path
) -> None:
    """A file cut anywhere in its first write (header included) still loads."""
    interaction = sample(1).interactions[0]
    store = new_store(kind, tmp_path)
    store.append(interaction)
    data = store.path.read_bytes()
    _, end = last_interaction_span(kind, data)
    later = make_interaction(make_request("later"), b"\xff")
    for offset in range(1, len(data)):
        torn = new_store(kind, tmp_path / str(offset))
        torn.path.parent.mkdir()
        torn.path.write_bytes(data[:offset])
        loaded, messages = load_quietly(torn)
        expected = (interaction,) if offset >= end else ()
        assert loaded.interactions == expected, offset
        if offset < end:
            assert len(messages) <= 1
        # Recording goes on into a whole file.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CassetteRecoveryWarning)
            torn.append(later)
        reloaded = new_store(kind, tmp_path / str(offset)).load()
        # A line that is whole but lacks its newline is kept, as load() keeps it.
        assert reloaded.interactions == (*expected, later), offset


@pytest.mark.parametrize("kind", FILE_STORES)
def test_append_after_a_torn_tail_produces_a_valid_file(
    kind: str, tmp_path: Path
) -> None:
    cassette = sample(3)
    original = new_store(kind, tmp_path)
    original.save(cassette)
    data = original.path.read_bytes()
    start, end = last_interaction_span(kind, data)
    extra = make_interaction(make_request("after-crash", body=b"\xff"), b"new")
    for number, offset in enumerate(range(start + 1, end, 23)):
        store = new_store(kind, tmp_path / str(number))
        store.path.parent.mkdir()
        store.path.write_bytes(data[:offset])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CassetteRecoveryWarning)
            store.append(extra)
        # The file is whole again: loads without a warning (warnings are
        # errors in this suite), and standard parsers read it.
        reloaded = new_store(kind, store.path.parent).load()
        assert reloaded.interactions == (*cassette.interactions[:2], extra), offset
        text = store.path.read_text(encoding="utf-8")
        if kind == "json":
            assert len(json.loads(text)["interactions"]) == 3
        elif kind == "yaml":
            assert len(yaml.safe_load(text)["interactions"]) == 3
        else:
            assert len(text.strip().split("\n")) == 4
        store.append(cassette.interactions[2])
        assert new_store(kind, store.path.parent).load().interactions == (
            *cassette.interactions[:2],
            extra,
            cassette.interactions[2],
        )


def corrupt_line(data: bytes, line_number: int) -> bytes:
    lines = data.split(b"\n")
    line = lines[line_number]
    middle = len(line) // 2
    lines[line_number] = line[:middle] + b"\x00#garbage" + line[middle + 20 :]
    return b"\n".join(lines)


def interaction_line_numbers(kind: str, data: bytes) -> list[int]:
    lines = data.split(b"\n")
    return [
        number
        for number, line in enumerate(lines)
        if line.startswith((b'{"request"', b'- {"request"'))
    ]


@pytest.mark.parametrize("kind", FILE_STORES)
@pytest.mark.parametrize("torn_too", [False, True])
def test_corruption_in_the_middle_is_an_error_not_a_drop(
    kind: str, torn_too: bool, tmp_path: Path
) -> None:
    store = new_store(kind, tmp_path)
    store.save(sample(4))
    data = store.path.read_bytes()
    numbers = interaction_line_numbers(kind, data)
    assert len(numbers) == 4
    for middle in numbers[:3]:
        corrupted = corrupt_line(data, middle)
        if torn_too:
            corrupted = corrupted[: len(corrupted) - 30]
        store.path.write_bytes(corrupted)
        assert_load_error(store, store.path)


@pytest.mark.parametrize("kind", FILE_STORES)
def test_a_middle_line_removed_partially_is_an_error(kind: str, tmp_path: Path) -> None:
    store = new_store(kind, tmp_path)
    store.save(sample(4))
    data = store.path.read_bytes()
    lines = data.split(b"\n")
    number = interaction_line_numbers(kind, data)[1]
    lines[number] = lines[number][: len(lines[number]) // 3]
    store.path.write_bytes(b"\n".join(lines))
    assert_load_error(store, store.path)


def test_jsonl_error_names_the_bad_line(tmp_path: Path) -> None:
    store = JsonLinesCassetteStore(tmp_path / "c.jsonl")
    store.save(sample(4))
    data = store.path.read_bytes()
    store.path.write_bytes(corrupt_line(data, 2))
    assert_load_error(store, store.path, "interaction 2 of 4")


@pytest.mark.parametrize("kind", FILE_STORES)
def test_valid_json_with_a_wrong_fingerprint_in_the_middle(
    kind: str, tmp_path: Path
) -> None:
    store = new_store(kind, tmp_path)
    store.save(sample(3))
    fingerprint = sample(3).interactions[1].fingerprint.value
    data = store.path.read_bytes().replace(fingerprint.encode(), b"0" * 64)
    store.path.write_bytes(data)
    assert_load_error(store, store.path, "Fingerprint does not match")
    # ... also when the file is torn at the end as well.
    store.path.write_bytes(data[:-60])
    assert_load_error(store, store.path)


def test_empty_jsonl_file_is_an_error_unless_create_if_missing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "c.jsonl"
    path.write_bytes(b"")
    assert_load_error(JsonLinesCassetteStore(path), path, "empty")
    assert JsonLinesCassetteStore(path, create_if_missing=True).load() == Cassette(
        interactions=()
    )


# --- directory names ---------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "/abs",
        "/",
        "a/b",
        "a\\b",
        "..\\..\\x",
        "./x",
        ".hidden",
        "nul\x00byte",
        "line\nbreak",
        "ünïcødé/../..",
        "x" * 1000,
    ],
)
def test_directory_file_names_cannot_escape(name: str, tmp_path: Path) -> None:
    root = tmp_path / "root"
    store = DirectoryCassetteStore(root / "d", filename=lambda position, i: name)
    interaction = sample(1).interactions[0]
    store.append(interaction)
    path = store.file_for(1, interaction)
    assert path.parent == store.path
    assert not path.name.startswith(".")
    assert len(path.name) <= 255
    # Nothing was written anywhere but inside the directory.
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written == [path]
    assert store.load().interactions == (interaction,)
    store.save(sample(1))
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [path]


@pytest.mark.parametrize("name", ["", "..", ".", "...", "/", "//"])
def test_directory_file_names_that_are_nothing_are_refused(
    name: str, tmp_path: Path
) -> None:
    store = DirectoryCassetteStore(tmp_path / "d", filename=lambda position, i: name)
    interaction = sample(1).interactions[0]
    try:
        path = store.file_for(1, interaction)
    except InterpositionError:
        # Refused clearly, by save and append alike, and nothing is written.
        with pytest.raises(InterpositionError):
            store.append(interaction)
        with pytest.raises(InterpositionError):
            store.save(sample(1))
        assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    else:
        # Or made into a harmless name inside the directory.
        assert path.parent == store.path
        assert path.name not in {"", ".", ".."}
        store.append(interaction)
        assert store.load().interactions == (interaction,)


def test_directory_default_names_keep_recording_order(tmp_path: Path) -> None:
    store = DirectoryCassetteStore(tmp_path / "d")
    for interaction in sample(12).interactions:
        store.append(interaction)
    assert store.load() == sample(12)
    names = [p.name for p in store.files()]
    assert names == sorted(names)
    assert names[0].startswith("000001-")
    assert names[-1].startswith("000012-")


def test_directory_append_never_overwrites_with_default_names(tmp_path: Path) -> None:
    """Two stores (two processes, say) appending to one directory lose nothing."""
    first = DirectoryCassetteStore(tmp_path / "d")
    second = DirectoryCassetteStore(tmp_path / "d")
    interactions = sample(6).interactions
    for a, b in zip(interactions[::2], interactions[1::2], strict=True):
        first.append(a)
        second.append(b)
    loaded = DirectoryCassetteStore(tmp_path / "d").load()
    assert sorted(i.request.target for i in loaded.interactions) == sorted(
        i.request.target for i in interactions
    )


def test_directory_invalid_format_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        DirectoryCassetteStore(tmp_path, file_format="xml")  # type: ignore[arg-type]


# --- store_for_path ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("c.json", JsonFileCassetteStore),
        ("c.JSON", JsonFileCassetteStore),
        ("c.yaml", YamlFileCassetteStore),
        ("c.yml", YamlFileCassetteStore),
        ("c.jsonl", JsonLinesCassetteStore),
        ("c.ndjson", JsonLinesCassetteStore),
        ("cassettes", DirectoryCassetteStore),
    ],
)
def test_store_for_path_by_extension(name: str, kind: type, tmp_path: Path) -> None:
    store = store_for_path(tmp_path / name, create_if_missing=True)
    assert type(store) is kind
    assert store.path == tmp_path / name
    assert store.load() == Cassette(interactions=())
    store.save(sample(1))
    assert store_for_path(str(tmp_path / name)).load() == sample(1)


@pytest.mark.parametrize("name", ["c.txt", "c.xml", "c.json.bak", "c.pickle"])
def test_store_for_path_unknown_extension(name: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="unknown cassette format"):
        store_for_path(tmp_path / name)


@pytest.mark.parametrize("text", ["\x85", "a\u2028b", "\u2029", "x\x85\ny"])
def test_directory_yaml_keeps_unicode_line_breaks(tmp_path: Path, text: str) -> None:
    """PyYAML folds raw U+0085/U+2028/U+2029 of single-quoted scalars to spaces."""
    request = make_request(text, headers=[(text, text)], body=text.encode())
    cassette = Cassette(interactions=(make_interaction(request, text.encode()),))
    store = DirectoryCassetteStore(tmp_path / "c", file_format="yaml")
    store.save(cassette)
    assert store.load() == cassette


# --- several store objects on one cassette ------------------------------------------


@pytest.mark.parametrize("kind", ALL_STORES)
def test_append_after_another_store_saved_is_not_lost(
    kind: str, tmp_path: Path
) -> None:
    """A store that appended before keeps appending to the file saved since."""
    x1, y, x2, x3 = (
        make_interaction(make_request(target)) for target in ("x1", "y", "x2", "x3")
    )
    first = new_store(kind, tmp_path)
    first.append(x1)
    new_store(kind, tmp_path).save(Cassette(interactions=(x1, y)))
    first.append(x2)
    loaded = new_store(kind, tmp_path).load().interactions
    if kind.startswith("dir"):
        # File names order a directory; a stale position may sort either way.
        assert sorted(i.request.target for i in loaded) == ["x1", "x2", "y"]
    else:
        assert loaded == (x1, y, x2)
    # The file removed altogether: the next append starts a new one.
    if kind in FILE_STORES:
        first.path.unlink()
        first.append(x3)
        assert new_store(kind, tmp_path).load().interactions == (x3,)


@pytest.mark.parametrize("kind", FILE_STORES)
def test_two_stores_appending_in_turn_lose_nothing(kind: str, tmp_path: Path) -> None:
    first = new_store(kind, tmp_path)
    second = new_store(kind, tmp_path)
    interactions = sample(8).interactions
    for a, b in zip(interactions[::2], interactions[1::2], strict=True):
        first.append(a)
        second.append(b)
    assert new_store(kind, tmp_path).load().interactions == interactions
