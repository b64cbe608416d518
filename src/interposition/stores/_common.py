"""What the file stores share.

Reading, torn-tail recovery, the file base class, and YAML read with a safe
loader and a bound on aliases.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path
from typing import Any, Final

import yaml
from pydantic import ValidationError

from interposition import _files
from interposition.errors import (
    CassetteLoadError,
    CassetteSaveError,
    InteractionValidationError,
    InterpositionError,
)
from interposition.models import Cassette, Interaction

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
