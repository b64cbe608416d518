"""The JSON Lines journal store: a header line, then one interaction per line."""

from __future__ import annotations

import os
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from interposition import _files
from interposition.errors import (
    CassetteLoadError,
)
from interposition.models import CASSETTE_FORMAT_VERSION, Cassette, Interaction
from interposition.stores._common import (
    _FileStore,
    _interaction_json,
    _is_interaction,
    _load_lines,
    _read_bytes,
    _torn_header,
)

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
