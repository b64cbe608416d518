"""cassette for Python 3: record HTTP requests on the first run, replay them after.

A compatibility façade over ``interposition.http``: the API of cassette 0.3.8
(``play``, ``insert``, ``eject``, ``cassette.player``,
``cassette.cassette_library``, ``cassette.patcher``, ``cassette.unpatched``)
for ``http.client``, ``urllib.request``, ``urllib3`` and ``requests``, storing
interposition's one cassette format. See ``docs/cassette.md``.

Importing this package patches nothing and imports no HTTP client.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from types import TracebackType

from cassette.cassette_library import CassetteLibrary
from cassette.patcher import patch, unpatch
from cassette.player import Player

__all__ = ["eject", "insert", "play"]


def insert(filename: str | os.PathLike[str], file_format: str = "") -> None:
    """Set up a cassette: patch the HTTP clients until ``eject()``.

    Args:
        filename: Where requests and responses are stored: a file
            (``responses.yaml``, ``responses.json``) or a directory (a path
            without extension).
        file_format: ``"json"`` or ``"yaml"``; empty: by the file's extension
            (for a directory, the format of its files, else JSON).

    Raises:
        ConfigurationError: The format is unknown or cannot be told.
        CassetteLoadError: The cassette exists but cannot be read.
    """
    patch(CassetteLibrary.create_new_cassette_library(filename, file_format))


def eject(
    exc_type: type[BaseException] | None = None,
    exc_value: BaseException | None = None,
    tb: TracebackType | None = None,
) -> None:
    """Remove the cassette: unpatch the HTTP clients.

    The arguments are those of ``__exit__`` and are ignored.
    """
    unpatch()


@contextlib.contextmanager
def play(
    filename: str | os.PathLike[str],
    file_format: str = "",
    config: Mapping[str, object] | None = None,
) -> Iterator[Player]:
    """Use a cassette in a ``with`` block; yields its Player.

    Args:
        filename: As for ``insert``.
        file_format: As for ``insert``.
        config: The library configuration, e.g. ``{"log_cassette_used": True}``.

    Raises:
        ConfigurationError: The format is unknown or cannot be told.
        CassetteLoadError: The cassette exists but cannot be read.
    """
    player = Player(filename, file_format, config)
    with player.play():
        yield player
