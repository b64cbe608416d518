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

from pathlib import Path

from interposition.errors import ConfigurationError
from interposition.stores._common import (
    MAX_YAML_ALIAS_EXPANSION as MAX_YAML_ALIAS_EXPANSION,
)
from interposition.stores._common import (
    MAX_YAML_ALIASES as MAX_YAML_ALIASES,
)
from interposition.stores._common import (
    CassetteRecoveryWarning,
)
from interposition.stores._directory import DirectoryCassetteStore
from interposition.stores._directory import FileNamer as FileNamer
from interposition.stores._json import JsonFileCassetteStore
from interposition.stores._jsonl import JsonLinesCassetteStore
from interposition.stores._yaml import YamlFileCassetteStore

__all__ = [
    "CassetteRecoveryWarning",
    "DirectoryCassetteStore",
    "JsonFileCassetteStore",
    "JsonLinesCassetteStore",
    "YamlFileCassetteStore",
    "store_for_path",
]


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
