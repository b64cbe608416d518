"""The Player: plays a cassette library and reports recordings never used."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from typing import IO

from cassette.cassette_library import CassetteLibrary
from cassette.patcher import _start, _stop

__all__ = ["Player"]


class Player:
    """Plays a cassette file or directory, as many times as asked.

    Args:
        filename: The cassette file or directory (see
            ``CassetteLibrary.create_new_cassette_library``).
        file_format: ``"json"``, ``"yaml"``, or empty to choose by extension.
        config: ``{"log_cassette_used": True}`` to report unused recordings.

    Attributes:
        library: The CassetteLibrary played.

    Raises:
        ConfigurationError: For an unknown format or config key.
    """

    def __init__(
        self,
        filename: str | os.PathLike[str],
        file_format: str = "",
        config: Mapping[str, object] | None = None,
    ) -> None:
        self.library: CassetteLibrary = CassetteLibrary.create_new_cassette_library(
            filename, file_format, config
        )

    def __repr__(self) -> str:
        return f"Player({self.library!r})"

    @property
    def config(self) -> dict[str, object]:
        """The library's configuration (``log_cassette_used``)."""
        return self.library.config

    def log_cassette_used(self, path: str | os.PathLike[str]) -> None:
        """Log that a recording was used (see ``CassetteLibrary.log_cassette_used``)."""
        self.library.log_cassette_used(path)

    @contextlib.contextmanager
    def play(self) -> Iterator[Player]:
        """Play the library in a ``with`` block; yields the player.

        Raises:
            CassetteLoadError: The library exists but cannot be read.
        """
        playing = _start(self.library)
        try:
            yield self
        finally:
            _stop(playing)

    def report_unused_cassettes(self, output: IO[str] | None = None) -> None:
        """Write the recordings never used in any play, sorted, one per line.

        See ``CassetteLibrary.report_unused_cassettes``.
        """
        self.library.report_unused_cassettes(output)
