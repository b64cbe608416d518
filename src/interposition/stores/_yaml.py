"""The YAML file store: one-line flow mappings, appendable, loaded at JSON speed."""

from __future__ import annotations

import os
import re
from typing import Final

from interposition import _files
from interposition.errors import (
    CassetteLoadError,
)
from interposition.models import CASSETTE_FORMAT_VERSION, Cassette, Interaction
from interposition.stores._common import (
    _LOAD_ERRORS,
    _FileStore,
    _interaction_json,
    _is_interaction,
    _load_lines,
    _read_bytes,
    _safe_yaml_load,
    _torn_header,
)

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
