"""The JSON file store: one document, one interaction per line, appendable."""

from __future__ import annotations

import os
from typing import Final

from pydantic import ValidationError

from interposition import _files
from interposition.errors import (
    CassetteLoadError,
    CassetteSaveError,
    InterpositionError,
)
from interposition.models import CASSETTE_FORMAT_VERSION, Cassette, Interaction
from interposition.stores._common import (
    _VALIDATE_CASSETTE,
    _FileStore,
    _interaction_json,
    _is_json_syntax_error,
    _read_bytes,
    _recover,
    _torn_header,
)

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
