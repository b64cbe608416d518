"""Cassette stores: JSON file, YAML file, JSON Lines journal, directory.

Every store loads and saves the one cassette format (see
``docs/cassette-format.md``) and offers ``append()``, so that a Broker
recording N interactions writes O(N) bytes in total:

* ``JsonFileCassetteStore``: one JSON document, one interaction per line.
  ``save()`` is atomic (temp file + rename); ``append()`` rewrites only the
  closing ``]}``. A crash mid-append leaves a torn tail that ``load()``
  recovers with a warning.
* ``YamlFileCassetteStore``: the same in YAML, each interaction a
  JSON-compatible flow mapping on its own line: readable, appendable, and
  loaded at JSON speed. Hand-written YAML is read with a safe loader and a
  bound on aliases.
* ``JsonLinesCassetteStore``: an append-only journal, one interaction per
  line after a header line; a torn last line is dropped with a warning.
* ``DirectoryCassetteStore``: one file per interaction, named so that no
  name can leave the directory.

Any store fails with ``CassetteLoadError`` (naming the file and the cause) or
``CassetteSaveError``, never with a bare parser or OS exception.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from interposition import _files
from interposition.errors import (
    CassetteLoadError,
    CassetteSaveError,
    ConfigurationError,
    InteractionValidationError,
    InterpositionError,
)
from interposition.models import CASSETTE_FORMAT_VERSION, Cassette, Interaction

__all__ = [
    "CassetteRecoveryWarning",
    "DirectoryCassetteStore",
    "JsonFileCassetteStore",
    "JsonLinesCassetteStore",
    "YamlFileCassetteStore",
    "store_for_path",
]

#: A YAML document that uses more aliases than this is refused: our writer
#: uses none, and unbounded aliases let a small file expand without limit.
MAX_YAML_ALIASES: Final = 100
#: ... and one whose aliases stand for more nodes than this in all: a few
#: nested aliases ("billion laughs") can stand for billions of nodes.
MAX_YAML_ALIAS_EXPANSION: Final = 100_000

_SERIALIZE = Interaction.__pydantic_serializer__.to_json
_VALIDATE_CASSETTE = Cassette.model_validate_json
_VALIDATE_INTERACTION = Interaction.model_validate_json

_LOAD_ERRORS = (
    ValidationError,
    InterpositionError,
    ValueError,
    TypeError,
    yaml.YAMLError,
)


class CassetteRecoveryWarning(UserWarning):
    """A cassette had a torn tail (a crash mid-write); the partial item was dropped."""


#: One interaction as compact JSON bytes, by pydantic-core directly.
_interaction_json: Final = _SERIALIZE


def _read_bytes(path: Path, create_if_missing: bool) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        if create_if_missing:
            return None
        raise CassetteLoadError(path, exc) from exc
    except OSError as exc:
        raise CassetteLoadError(path, exc) from exc


_ITEM_START: Final = b'{"request":'


def _recover(path: Path, items: list[bytes], *, torn_tail: bool = True) -> Cassette:
    """Validate interactions one by one, dropping what a crash cut short.

    Two things a crash mid-append leaves are recovered, with a warning: a
    last item cut short (when ``torn_tail``: the data does not end where a
    complete write would), and a cut-short item that a later append
    continued on the same line (the later interaction is kept). Anything
    else invalid is corruption, reported with its position.

    Raises:
        CassetteLoadError: If an interaction other than the last is invalid.
    """
    interactions: list[Interaction] = []
    dropped = 0
    for number, item in enumerate(items, start=1):
        try:
            interactions.append(_VALIDATE_INTERACTION(item))
            continue
        except (ValidationError, InteractionValidationError) as exc:
            error: Exception = exc
        glued = item.rfind(_ITEM_START)
        if glued > 0:
            try:
                interactions.append(_VALIDATE_INTERACTION(item[glued:]))
                dropped += 1
                continue
            except (ValidationError, InteractionValidationError):
                pass
        if number < len(items) or not torn_tail:
            msg = f"interaction {number} of {len(items)} is invalid: {error}"
            raise CassetteLoadError(path, msg) from error
        dropped += 1
    if dropped:
        warnings.warn(
            CassetteRecoveryWarning(
                f"{path}: {dropped} interaction(s) were cut short by a process "
                f"that stopped mid-write; loaded the {len(interactions)} complete "
                "ones and dropped the partial ones"
            ),
            stacklevel=4,
        )
    return Cassette.model_construct(interactions=tuple(interactions))


def _load_lines(path: Path, data: bytes, start: int, marker: bytes) -> Cassette | None:
    """Load one interaction per line of ``data[start:]``, each after ``marker``.

    Validates line by line, so that no second copy of the file is ever made.
    Returns None when a non-blank line lacks the marker (not our layout).

    Raises:
        CassetteLoadError: A line other than the last is invalid.
    """
    interactions = []
    validate = _VALIDATE_INTERACTION
    skip = len(marker)
    end = len(data)
    position = start
    try:
        while position < end:
            newline = data.find(b"\n", position)
            if newline == -1:
                newline = end
            if newline > position:
                if not data.startswith(marker, position):
                    if newline == end and marker.startswith(data[position:end]):
                        # Only part of the marker was written: a torn line.
                        items = [
                            line[skip:]
                            for line in data[start:position].split(b"\n")
                            if line.strip()
                        ]
                        return _recover(path, [*items, b""])
                    return None
                interactions.append(validate(data[position + skip : newline]))
            position = newline + 1
    except (ValidationError, InteractionValidationError):
        items = [line[skip:] for line in data[start:].split(b"\n") if line.strip()]
        return _recover(path, items, torn_tail=not data.endswith(b"\n"))
    return Cassette.model_construct(interactions=tuple(interactions))


def _is_interaction(line: bytes, marker: bytes = b"") -> bool:
    """Whether ``line`` is one whole interaction (after ``marker``)."""
    if not line.startswith(marker):
        return False
    try:
        _VALIDATE_INTERACTION(line[len(marker) :])
    except (ValidationError, InteractionValidationError):
        return False
    return True


def _is_json_syntax_error(exc: ValidationError) -> bool:
    return any(error["type"] == "json_invalid" for error in exc.errors())


def _torn_header(path: Path, data: bytes, header: bytes) -> Cassette | None:
    """An empty cassette, with a warning, when ``data`` is ``header`` cut short.

    That is what a crash while the file was being created leaves.
    """
    if not data or len(data) >= len(header) or not header.startswith(data):
        return None
    warnings.warn(
        CassetteRecoveryWarning(
            f"{path}: the file ends inside its header (the process creating it "
            "stopped mid-write); loaded it as an empty cassette"
        ),
        stacklevel=3,
    )
    return Cassette(interactions=())


class _FileStore:
    """What the single-file stores share: path, creation flag, durability."""

    suffixes: tuple[str, ...] = ()

    def __init__(
        self, path: Path | str, *, create_if_missing: bool = False, fsync: bool = False
    ) -> None:
        """Initialize the store.

        Args:
            path: The cassette file.
            create_if_missing: ``load()`` returns an empty cassette instead of
                raising when the file does not exist.
            fsync: Flush every write to the disk (survives power loss, slower);
                without it, writes survive a killed process but not a crash
                of the machine.
        """
        self._path = Path(path)
        self._create_if_missing = create_if_missing
        self._fsync = fsync
        self._appender = _files.KeptFile(self._path, self._append_flags)

    _append_flags = os.O_WRONLY | os.O_APPEND

    @property
    def path(self) -> Path:
        """The cassette file."""
        return self._path

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self._path)!r})"

    def close(self) -> None:
        """Close the file kept open for appends (it reopens when needed).

        Appends keep the file open, so that each costs one write; a store
        that is garbage-collected closes it too.
        """
        self._appender.close()

    def _save_bytes(self, data: bytes) -> None:
        self._appender.close()  # the save renames a new file over this one
        try:
            _files.atomic_write(self._path, data, fsync=self._fsync)
        except OSError as exc:
            raise CassetteSaveError(self._path, exc) from exc

    def _prepare_append(self, fd: int) -> None:
        """Make the file ready for appends; runs under the lock, once per open."""
        raise NotImplementedError

    def _append_bytes(self, data: bytes) -> None:
        """Append ``data`` with one write to the kept descriptor.

        With O_APPEND, concurrent appenders (threads, processes) each land
        whole lines at the end; a crash mid-write leaves a torn line that
        the loader recovers from.
        """
        try:
            fd = self._appender.fd(self._prepare_append)
            _files.write_all(fd, data)
            if self._fsync:
                os.fsync(fd)
        except OSError as exc:
            raise CassetteSaveError(self._path, exc) from exc


_JSON_HEAD: Final = b'{"version":%d,"interactions":[' % CASSETTE_FORMAT_VERSION
_JSON_TAIL: Final = b"\n]}\n"


class JsonFileCassetteStore(_FileStore):
    """A cassette in one JSON file, one interaction per line.

    Files written by ``Cassette.model_dump_json()`` (in any layout) and by
    the published 0.4.0 load too; the first ``append()`` to such a file
    rewrites it in this layout.
    """

    suffixes = (".json",)

    def load(self) -> Cassette:
        """Load the cassette.

        Raises:
            CassetteLoadError: The file is missing (unless create_if_missing),
                unreadable, or not a valid cassette.
        """
        data = _read_bytes(self._path, self._create_if_missing)
        if data is None:
            return Cassette(interactions=())
        try:
            return _VALIDATE_CASSETTE(data)
        except ValidationError as exc:
            if _is_json_syntax_error(exc) and data.startswith(_JSON_HEAD + b"\n"):
                return self._recover_torn(data)
            torn = _torn_header(self._path, data, _JSON_HEAD + b"\n")
            if torn is not None:
                return torn
            raise CassetteLoadError(self._path, exc) from exc
        except InterpositionError as exc:
            raise CassetteLoadError(self._path, exc) from exc

    def _recover_torn(self, data: bytes) -> Cassette:
        items = []
        for line in data[len(_JSON_HEAD) + 1 :].split(b"\n"):
            item = line.strip()
            # The document's closing "]}" has a line of its own; every
            # interaction also ends with "]}" (its metadata list), so only a
            # whole line of it, or of a torn "]", is the closing.
            if item not in (b"]}", b"]"):
                item = item.removesuffix(b",")
                if item:
                    items.append(item)
        return _recover(self._path, items)

    def save(self, cassette: Cassette) -> None:
        """Replace the file with ``cassette``, atomically; parents are created.

        Raises:
            CassetteSaveError: The file or its directory cannot be written.
        """
        lines = [_interaction_json(i) for i in cassette.interactions]
        body = b"\n" + b",\n".join(lines) if lines else b""
        self._save_bytes(_JSON_HEAD + body + _JSON_TAIL)

    _append_flags = os.O_RDWR

    def _prepare_append(self, fd: int) -> None:
        pass

    def append(self, interaction: Interaction) -> None:
        """Add one interaction at the end of the file, in O(1).

        Only the closing ``]}`` is rewritten, under an exclusive lock. A file
        in another layout (hand-edited, or torn by a crash) is rewritten
        whole, once, in this layout.

        Raises:
            CassetteSaveError: The file cannot be written.
        """
        line = _interaction_json(interaction)
        rewrite = False
        try:
            fd = self._appender.fd(self._prepare_append)
            with _files.exclusive(fd):
                size = os.fstat(fd).st_size
                tail = b""
                if size > len(_JSON_HEAD) + len(_JSON_TAIL):
                    tail = os.pread(fd, len(_JSON_TAIL) + 1, size - len(_JSON_TAIL) - 1)
                if size == 0:
                    _files.write_all(fd, _JSON_HEAD + b"\n" + line + _JSON_TAIL, 0)
                elif tail[1:] == _JSON_TAIL and tail[:1] in (b"[", b"}"):
                    separator = b"\n" if tail[:1] == b"[" else b",\n"
                    _files.write_all(
                        fd, separator + line + _JSON_TAIL, size - len(_JSON_TAIL)
                    )
                else:
                    rewrite = True  # not our layout: rewrite it whole, unlocked
                if self._fsync:
                    os.fsync(fd)
        except OSError as exc:
            raise CassetteSaveError(self._path, exc) from exc
        if rewrite:
            interactions = (*self.load().interactions, interaction)
            self.save(Cassette.model_construct(interactions=interactions))


_YAML_HEAD: Final = (
    "# interposition cassette: one interaction per item, each a JSON-compatible\n"
    "# flow mapping on one line (https://yaml.org/spec/1.2.2/#flow-mappings).\n"
    f"version: {CASSETTE_FORMAT_VERSION}\n"
    "interactions:\n"
).encode()
_YAML_EMPTY: Final = _YAML_HEAD[: -len(b"\n")] + b" []\n"

# Characters YAML does not allow raw in a scalar, or reads as line breaks.
_YAML_UNPRINTABLE = re.compile("[\x7f-\x84\x86-\x9f\x85\u2028\u2029\ufffe\uffff]")


def _yaml_line(interaction: Interaction) -> bytes:
    line = _interaction_json(interaction)
    if not line.isascii():
        text = _YAML_UNPRINTABLE.sub(
            lambda m: f"\\u{ord(m.group()):04x}", line.decode()
        )
        line = text.encode()
    return b"- " + line + b"\n"


# PyYAML writes these raw in single-quoted scalars, then reads them back as
# line breaks (folded to spaces): strings holding them are double-quoted, where
# they are escaped.
_YAML_LINE_BREAKS = re.compile("[\x85\u2028\u2029]")


class _SafeDumper(yaml.SafeDumper):
    """``yaml.safe_dump``'s dumper, with strings that survive a round trip."""


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = '"' if _YAML_LINE_BREAKS.search(data) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_SafeDumper.add_representer(str, _represent_str)


class _BoundedSafeLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader (C when available); aliases are counted first."""


def _check_yaml_aliases(text: bytes) -> None:
    """Refuse documents whose aliases are too many or expand too far."""
    aliases = 0
    expanded = 0
    sizes: dict[str, int] = {}  # anchor -> nodes its node stands for
    open_nodes: list[list[Any]] = []  # [anchor, size] of each open collection
    for event in yaml.parse(text, Loader=_BoundedSafeLoader):
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_YAML_ALIASES:
                msg = (
                    f"the document uses more than {MAX_YAML_ALIASES} YAML aliases; "
                    "refusing to expand it"
                )
                raise ValueError(msg)
            size = sizes.get(event.anchor or "", 1)
            expanded += size
            if expanded > MAX_YAML_ALIAS_EXPANSION:
                msg = (
                    "the document's YAML aliases expand to more than "
                    f"{MAX_YAML_ALIAS_EXPANSION} nodes; refusing to expand it"
                )
                raise ValueError(msg)
        elif isinstance(event, yaml.CollectionStartEvent):
            open_nodes.append([event.anchor, 1])
            continue
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, size = open_nodes.pop()
            if anchor:
                sizes[anchor] = size
        elif isinstance(event, yaml.ScalarEvent):
            size = 1
            if event.anchor:
                sizes[event.anchor] = size
        else:
            continue
        if open_nodes:
            open_nodes[-1][1] += size


def _safe_yaml_load(text: bytes) -> Any:
    _check_yaml_aliases(text)
    return yaml.load(text, Loader=_BoundedSafeLoader)  # noqa: S506 - a safe loader


class YamlFileCassetteStore(_FileStore):
    """A cassette in one YAML file.

    Written as a block sequence of one-line flow mappings, so that appending
    is a plain append and loading runs at JSON speed. Any other YAML
    cassette (block style, comments, anchors) loads through PyYAML's safe
    loader, with at most ``MAX_YAML_ALIASES`` aliases standing for at most
    ``MAX_YAML_ALIAS_EXPANSION`` nodes.
    """

    suffixes = (".yaml", ".yml")

    def load(self) -> Cassette:
        """Load the cassette.

        Raises:
            CassetteLoadError: The file is missing (unless create_if_missing),
                unreadable, or not a valid cassette.
        """
        data = _read_bytes(self._path, self._create_if_missing)
        if data is None:
            return Cassette(interactions=())
        if data.startswith(_YAML_HEAD):
            try:
                cassette = _load_lines(self._path, data, len(_YAML_HEAD), b"- ")
            except CassetteLoadError:
                cassette = None  # maybe valid YAML after all: let PyYAML judge
            if cassette is not None:
                return cassette
        torn = _torn_header(self._path, data, _YAML_HEAD)
        if torn is not None:
            return torn
        return self._load_any_yaml(data)

    def _load_any_yaml(self, data: bytes) -> Cassette:
        try:
            document = _safe_yaml_load(data)
        except _LOAD_ERRORS as exc:
            raise CassetteLoadError(self._path, exc) from exc
        if not isinstance(document, dict):
            msg = "not a cassette: expected a mapping with an 'interactions' list"
            raise CassetteLoadError(self._path, msg)
        if "interactions" not in document:
            msg = (
                "not an interposition cassette: the mapping has no 'interactions' "
                "key (a file of another tool? it was left untouched)"
            )
            raise CassetteLoadError(self._path, msg)
        if document["interactions"] is None:  # "interactions:" with no items
            document["interactions"] = ()
        try:
            return Cassette.model_validate(document)
        except _LOAD_ERRORS as exc:
            raise CassetteLoadError(self._path, exc) from exc

    def save(self, cassette: Cassette) -> None:
        """Replace the file with ``cassette``, atomically.

        Raises:
            CassetteSaveError: The file or its directory cannot be written.
        """
        if not cassette.interactions:
            self._save_bytes(_YAML_EMPTY)
        else:
            lines = b"".join(_yaml_line(i) for i in cassette.interactions)
            self._save_bytes(_YAML_HEAD + lines)

    def _prepare_append(self, fd: int) -> None:
        size = _files.truncate_torn_tail(
            fd, os.fstat(fd).st_size, lambda line: _is_interaction(line, b"- ")
        )
        if size == 0:
            _files.write_all(fd, _YAML_HEAD, 0)
        elif os.pread(fd, len(_YAML_HEAD), 0) != _YAML_HEAD:
            # Another layout (``interactions: []``, hand-written YAML): rewrite
            # it in ours, once. Nothing is kept open yet: the new file is
            # what gets opened for the appends.
            lines = b"".join(_yaml_line(i) for i in self.load().interactions)
            _files.atomic_write(self._path, _YAML_HEAD + lines, fsync=self._fsync)

    def append(self, interaction: Interaction) -> None:
        """Add one interaction at the end of the file, in O(1): one write.

        Raises:
            CassetteSaveError: The file cannot be written.
        """
        self._append_bytes(_yaml_line(interaction))


_JSONL_HEAD: Final = b'{"version":%d,"format":"interposition-jsonl"}\n' % (
    CASSETTE_FORMAT_VERSION
)


class _JsonLinesHeader(BaseModel):
    model_config = ConfigDict(frozen=True)
    version: int
    format: Literal["interposition-jsonl"]


class JsonLinesCassetteStore(_FileStore):
    """An append-only journal: a header line, then one interaction per line.

    The most robust store for recording: every interaction is one ``write()``
    of one line, and a torn last line (a crash mid-write) is dropped with a
    ``CassetteRecoveryWarning`` instead of failing the load.
    """

    suffixes = (".jsonl", ".ndjson")

    def load(self) -> Cassette:
        """Load the cassette.

        Raises:
            CassetteLoadError: The file is missing (unless create_if_missing),
                unreadable, or not a valid cassette.
        """
        data = _read_bytes(self._path, self._create_if_missing)
        if data is None or not data:
            if data is None or self._create_if_missing:
                return Cassette(interactions=())
            raise CassetteLoadError(self._path, "the file is empty")
        torn = _torn_header(self._path, data, _JSONL_HEAD)
        if torn is not None:
            return torn
        head, _, _ = data.partition(b"\n")
        try:
            header = _JsonLinesHeader.model_validate_json(head)
            Cassette(version=header.version, interactions=())
        except ValidationError as exc:
            msg = f"the first line is not an interposition JSON Lines header: {exc}"
            raise CassetteLoadError(self._path, msg) from exc
        cassette = _load_lines(self._path, data, len(head) + 1, b"")
        assert cassette is not None  # noqa: S101 - every line has the empty marker
        return cassette

    def save(self, cassette: Cassette) -> None:
        """Replace the journal with ``cassette``, atomically.

        Raises:
            CassetteSaveError: The file or its directory cannot be written.
        """
        lines = b"".join(_interaction_json(i) + b"\n" for i in cassette.interactions)
        self._save_bytes(_JSONL_HEAD + lines)

    def _prepare_append(self, fd: int) -> None:
        size = os.fstat(fd).st_size
        if _files.truncate_torn_tail(fd, size, _is_interaction) == 0:
            _files.write_all(fd, _JSONL_HEAD, 0)

    def append(self, interaction: Interaction) -> None:
        """Append one line, in one write.

        Raises:
            CassetteSaveError: The file cannot be written.
        """
        self._append_bytes(_interaction_json(interaction) + b"\n")


class _InteractionFile(BaseModel):
    model_config = ConfigDict(frozen=True)
    version: int = CASSETTE_FORMAT_VERSION
    interaction: Interaction


#: Names a directory store's file, given the interaction's position.
FileNamer = Callable[[int, Interaction], str]


def _default_name(position: int, interaction: Interaction) -> str:
    return f"{position:06d}-{interaction.fingerprint.value[:16]}"


class DirectoryCassetteStore:
    """A cassette as a directory with one file per interaction.

    Files are read in name order; the default names (``000001-<fingerprint
    prefix>.json``) keep recording order, and an append never overwrites a
    file. A custom ``filename`` function may name files after the request;
    its names are sanitized so that none can leave the directory, and a new
    recording whose name is taken replaces that file (the name is the
    recording's identity). Positions are counted per store object: two
    processes appending to one directory lose nothing, but files they give
    the same position load in name order.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        file_format: Literal["json", "yaml"] = "json",
        create_if_missing: bool = False,
        fsync: bool = False,
        filename: FileNamer | None = None,
    ) -> None:
        """Initialize the store.

        Args:
            path: The directory.
            file_format: ``json`` or ``yaml``, for every file.
            create_if_missing: ``load()`` returns an empty cassette when the
                directory does not exist.
            fsync: Flush every file to the disk.
            filename: Names a file from (position, interaction); the suffix is
                added. Defaults to ``<position>-<fingerprint prefix>``.
        """
        if file_format not in ("json", "yaml"):
            msg = f"file_format must be 'json' or 'yaml', not {file_format!r}"
            raise ConfigurationError(msg)
        self._path = Path(path)
        self._format = file_format
        self._suffix = ".json" if file_format == "json" else ".yaml"
        self._create_if_missing = create_if_missing
        self._fsync = fsync
        self._filename = filename or _default_name
        self._next_position: int | None = None

    @property
    def path(self) -> Path:
        """The directory."""
        return self._path

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({str(self._path)!r}, file_format={self._format!r})"
        )

    def files(self) -> list[Path]:
        """The interaction files, in load order."""
        try:
            names = sorted(
                entry.name
                for entry in os.scandir(self._path)
                if entry.name.endswith(self._suffix)
                and not entry.name.startswith(".")
                and entry.is_file()
            )
        except FileNotFoundError:
            return []
        return [self._path / name for name in names]

    def file_for(self, position: int, interaction: Interaction) -> Path:
        """The path of an interaction's file, always inside the directory.

        Raises:
            ConfigurationError: The ``filename`` function gave a name that
                leaves nothing once made safe (such as ``""`` or ``".."``).
        """
        try:
            name = _files.safe_filename(self._filename(position, interaction))
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from exc
        name += self._suffix
        path = self._path / name
        if path.parent != self._path:  # pragma: no cover - safe_filename prevents it
            msg = f"{name!r} would leave {self._path}"
            raise ValueError(msg)
        return path

    def _encode(self, interaction: Interaction) -> bytes:
        document = _InteractionFile(interaction=interaction)
        if self._format == "json":
            return document.model_dump_json(indent=2).encode() + b"\n"
        return yaml.dump(
            document.model_dump(mode="json"),
            Dumper=_SafeDumper,
            allow_unicode=True,
            sort_keys=False,
            width=100,
        ).encode()

    def _decode(self, data: bytes) -> Interaction:
        if self._format == "json":
            return _InteractionFile.model_validate_json(data).interaction
        return _InteractionFile.model_validate(_safe_yaml_load(data)).interaction

    def load(self) -> Cassette:
        """Load every interaction file of the directory, in name order.

        Raises:
            CassetteLoadError: The directory is missing (unless
                create_if_missing) or a file is unreadable or invalid; the
                error names the file.
        """
        if not self._path.is_dir():
            if self._create_if_missing and not self._path.exists():
                return Cassette(interactions=())
            cause = (
                "no such directory" if not self._path.exists() else "not a directory"
            )
            raise CassetteLoadError(self._path, cause)
        interactions = []
        for file in self.files():
            try:
                interactions.append(self._decode(file.read_bytes()))
            except (OSError, *_LOAD_ERRORS) as exc:
                raise CassetteLoadError(file, exc) from exc
        return Cassette.model_construct(interactions=tuple(interactions))

    def save(self, cassette: Cassette) -> None:
        """Write one file per interaction and remove the files of older saves.

        Raises:
            CassetteSaveError: A file cannot be written.
        """
        try:
            old = set(self.files())
            written = set()
            for position, interaction in enumerate(cassette.interactions, start=1):
                path = self.file_for(position, interaction)
                _files.atomic_write(path, self._encode(interaction), fsync=self._fsync)
                written.add(path)
            for stale in old - written:
                stale.unlink(missing_ok=True)
            self._path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CassetteSaveError(self._path, exc) from exc
        self._next_position = len(cassette.interactions) + 1

    def append(self, interaction: Interaction) -> None:
        """Write one more file (see the class docstring for names that are taken).

        Raises:
            CassetteSaveError: The file cannot be written.
        """
        data = self._encode(interaction)
        try:
            if self._next_position is None:
                self._next_position = len(self.files()) + 1
            self._path.mkdir(parents=True, exist_ok=True)
            while True:
                path = self.file_for(self._next_position, interaction)
                self._next_position += 1
                tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
                tmp.write_bytes(data)
                try:
                    os.link(tmp, path)  # fails if the name is taken: never overwrite
                except FileExistsError:
                    if self._filename is not _default_name:
                        os.replace(tmp, path)
                        return
                    continue
                finally:
                    tmp.unlink(missing_ok=True)
                return
        except OSError as exc:
            raise CassetteSaveError(self._path, exc) from exc


def store_for_path(
    path: Path | str, *, create_if_missing: bool = False, fsync: bool = False
) -> (
    JsonFileCassetteStore
    | YamlFileCassetteStore
    | JsonLinesCassetteStore
    | DirectoryCassetteStore
):
    """Choose a store by the path's extension.

    ``.json``, ``.yaml``/``.yml``, ``.jsonl``/``.ndjson`` are files; a path
    without an extension is a directory of JSON files.

    Raises:
        ConfigurationError: For an unknown extension.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if not suffix:
        return DirectoryCassetteStore(
            path, create_if_missing=create_if_missing, fsync=fsync
        )
    for kind in (JsonFileCassetteStore, YamlFileCassetteStore, JsonLinesCassetteStore):
        if suffix in kind.suffixes:
            return kind(path, create_if_missing=create_if_missing, fsync=fsync)
    msg = (
        f"unknown cassette format {suffix!r} for {path}: use .json, .yaml, .yml, "
        ".jsonl, or a path without an extension for a directory"
    )
    raise ConfigurationError(msg)
