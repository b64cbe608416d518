"""Patch and unpatch the HTTP clients to play a cassette library.

``patch(library)`` enters ``interposition.http.use_cassette`` for the
library, which activates every installed in-process adapter
(``http.client`` and so ``urllib.request``, ``urllib3`` and so ``requests``,
``httpx``); ``unpatch()`` leaves it, restoring every original attribute, and
logs which recordings were used. Patches nest: each ``unpatch()`` undoes the
latest ``patch()``.
"""

from __future__ import annotations

import threading

from cassette.cassette_library import CassetteLibrary, _Playing

__all__ = ["patch", "unpatch"]

_LOCK = threading.Lock()
_PLAYING: list[_Playing] = []


def _start(cassette_library: CassetteLibrary) -> _Playing:
    playing = cassette_library._begin()
    with _LOCK:
        _PLAYING.append(playing)
    return playing


def _stop(playing: _Playing) -> None:
    with _LOCK:
        try:
            _PLAYING.remove(playing)
        except ValueError:
            return  # already stopped
    playing.library._end(playing)


def patch(cassette_library: CassetteLibrary) -> None:
    """Patch the HTTP clients: requests are replayed from, or recorded to, the library.

    Args:
        cassette_library: The library to play (see
            ``CassetteLibrary.create_new_cassette_library``).

    Raises:
        CassetteLoadError: The library exists but cannot be read; nothing is
            patched then.
    """
    _start(cassette_library)


def unpatch() -> None:
    """Undo the latest ``patch()``; nothing happens when nothing is patched."""
    with _LOCK:
        if not _PLAYING:
            return
        playing = _PLAYING[-1]
    _stop(playing)
