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
* ``VcrpyYamlCassetteStore`` / ``VcrpyJsonCassetteStore``: vcrpy's format
  (version 1), read and recorded into in place; ``store_for_path`` picks them
  for a file vcrpy wrote.

Any store fails with ``CassetteLoadError`` (naming the file and the cause) or
``CassetteSaveError``, never with a bare parser or OS exception.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal

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
from interposition.stores._vcrpy import (
    VcrpyJsonCassetteStore,
    VcrpyYamlCassetteStore,
    sniff_format,
)
from interposition.stores._yaml import YamlFileCassetteStore

__all__ = [
    "CASSETTE_FORMATS",
    "CassetteFormat",
    "CassetteRecoveryWarning",
    "DirectoryCassetteStore",
    "JsonFileCassetteStore",
    "JsonLinesCassetteStore",
    "VcrpyJsonCassetteStore",
    "VcrpyYamlCassetteStore",
    "YamlFileCassetteStore",
    "store_for_path",
]


#: The format of a new cassette: ours, or vcrpy's (version 1).
CassetteFormat = Literal["interposition", "vcrpy"]
CASSETTE_FORMATS: Final = ("interposition", "vcrpy")

#: Enough of a file's start to tell whose it is in the common cases.
_SNIFF_BYTES: Final = 4096


def _file_format(path: Path, *, json_file: bool) -> str | None:
    """Whose cassette the file at ``path`` is, or None when there is none yet."""
    try:
        with path.open("rb") as file:
            head = file.read(_SNIFF_BYTES)
            if not head.strip():
                return None
            if head.startswith((_OURS_YAML_START, _OURS_JSON_START)):
                return "interposition"
            if not json_file and sniff_format(head, json_file=False) == "vcrpy":
                return "vcrpy"
            return sniff_format(head + file.read(), json_file=json_file)
    except FileNotFoundError:
        return None
    except OSError:
        return "interposition"  # its load reports the error


_OURS_YAML_START: Final = b"# interposition cassette"
_OURS_JSON_START: Final = b'{"version":'


def store_for_path(
    path: Path | str,
    *,
    create_if_missing: bool = False,
    fsync: bool = False,
    cassette_format: CassetteFormat = "interposition",
) -> (
    JsonFileCassetteStore
    | YamlFileCassetteStore
    | JsonLinesCassetteStore
    | DirectoryCassetteStore
    | VcrpyYamlCassetteStore
    | VcrpyJsonCassetteStore
):
    """Choose a store by the path's extension and the file's content.

    ``.json``, ``.yaml``/``.yml``, ``.jsonl``/``.ndjson`` are files; a path
    without an extension is a directory of JSON files. A ``.json`` or
    ``.yaml`` file that vcrpy wrote gets a vcrpy store (so it is read, and
    recorded into, in vcrpy's format); ``cassette_format`` chooses the format
    of a file that does not exist yet (vcrpy's needs ``.yaml``, ``.yml`` or
    ``.json``).

    Raises:
        ConfigurationError: For an unknown extension or format, or vcrpy's
            format with a path that is not ``.yaml``, ``.yml`` or ``.json``.
    """
    path = Path(path)
    if cassette_format not in CASSETTE_FORMATS:
        msg = (
            "cassette_format must be 'interposition' or 'vcrpy', not "
            f"{cassette_format!r}"
        )
        raise ConfigurationError(msg)
    suffix = path.suffix.lower()
    if suffix in (".json", ".yaml", ".yml"):
        json_file = suffix == ".json"
        found = _file_format(path, json_file=json_file)
        vcrpy = found in ("vcrpy", "vcrpy-pre-1.0") or (
            found is None and cassette_format == "vcrpy"
        )
        if json_file:
            return (VcrpyJsonCassetteStore if vcrpy else JsonFileCassetteStore)(
                path, create_if_missing=create_if_missing, fsync=fsync
            )
        return (VcrpyYamlCassetteStore if vcrpy else YamlFileCassetteStore)(
            path, create_if_missing=create_if_missing, fsync=fsync
        )
    if cassette_format == "vcrpy":
        msg = (
            f"cassette_format='vcrpy' needs a .yaml, .yml or .json cassette, "
            f"not {path.name!r} (vcrpy's format is one YAML or JSON file)"
        )
        raise ConfigurationError(msg)
    if not suffix:
        return DirectoryCassetteStore(
            path, create_if_missing=create_if_missing, fsync=fsync
        )
    if suffix in JsonLinesCassetteStore.suffixes:
        return JsonLinesCassetteStore(
            path, create_if_missing=create_if_missing, fsync=fsync
        )
    msg = (
        f"unknown cassette format {suffix!r} for {path}: use .json, .yaml, .yml, "
        ".jsonl, or a path without an extension for a directory"
    )
    raise ConfigurationError(msg)
