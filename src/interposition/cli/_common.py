"""What every subcommand shares: opening cassettes, finding them in trees.

Nothing here imports click or rich: the subcommands' logic is testable and
importable without the ``cli`` extra; only ``_app`` (the command line) needs
them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from interposition.errors import InterpositionError
from interposition.models import Cassette
from interposition.services import CassetteStore
from interposition.stores import DirectoryCassetteStore, store_for_path

__all__ = [
    "CASSETTE_SUFFIXES",
    "CliError",
    "find_cassettes",
    "is_directory_cassette",
    "load_cassette",
    "open_store",
]

#: The file extensions a cassette may have (a directory cassette has none).
CASSETTE_SUFFIXES: Final = frozenset({".json", ".yaml", ".yml", ".jsonl", ".ndjson"})

#: A directory store's interaction file starts so (see stores/_directory.py).
_DIRECTORY_FILE_MARK: Final = b'"interaction":'


class CliError(InterpositionError):
    """A mistake on the command line (a missing file, a bad option value).

    The command prints its message as one line on stderr and exits with 2.
    """


def is_directory_cassette(path: Path) -> bool:
    """Whether ``path`` is a directory cassette (one file per interaction)."""
    if not path.is_dir():
        return False
    for file in DirectoryCassetteStore(path).files()[:1]:
        try:
            with file.open("rb") as handle:
                head = handle.read(256)
        except OSError:
            return False
        return _DIRECTORY_FILE_MARK in head and b'"interactions"' not in head
    return False


def open_store(path: Path, *, must_exist: bool = True) -> CassetteStore:
    """The store for the cassette at ``path``, chosen as ``use_cassette`` does.

    Raises:
        CliError: ``must_exist`` and there is no cassette at ``path``.
        ConfigurationError: The extension names no format.
    """
    if must_exist and not path.exists():
        msg = f"no cassette at {path}: check the path"
        raise CliError(msg)
    if path.is_dir():
        if must_exist and not is_directory_cassette(path):
            msg = (
                f"{path} is a directory but not a directory cassette (no "
                "interaction files in it)"
            )
            raise CliError(msg)
        return DirectoryCassetteStore(path)
    return store_for_path(path)


def load_cassette(path: Path) -> Cassette:
    """Load the cassette at ``path`` in whatever format it is.

    Raises:
        CliError: There is no cassette at ``path``.
        CassetteLoadError: It cannot be read (the message says why).
        ConfigurationError: The extension names no format.
    """
    return open_store(path).load()


def find_cassettes(root: Path) -> Iterator[Path]:
    """Every cassette under ``root``: files by extension, directory cassettes.

    Hidden directories (``.git``, ``.venv``) are not entered; files are
    yielded in a stable (sorted) order.
    """
    for directory, subdirectories, files in os.walk(root):
        here = Path(directory)
        subdirectories.sort()
        kept = []
        for name in subdirectories:
            if name.startswith("."):
                continue
            if is_directory_cassette(here / name):
                yield here / name
            else:
                kept.append(name)
        subdirectories[:] = kept
        for name in sorted(files):
            if not name.startswith(".") and Path(name).suffix.lower() in (
                CASSETTE_SUFFIXES
            ):
                yield here / name
