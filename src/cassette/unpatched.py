"""A context in which HTTP requests reach the network untouched."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from interposition.errors import ConfigurationError
from interposition.http import passthrough

if TYPE_CHECKING:
    from cassette.cassette_library import CassetteLibrary

__all__ = ["unpatched_httplib_context"]


@contextlib.contextmanager
def unpatched_httplib_context(
    cassette_library: CassetteLibrary | None = None,
) -> Iterator[None]:
    """Create a context in which no cassette intercepts requests.

    Inside it, requests go to the network as if nothing were patched: they
    are neither replayed nor recorded, whatever cassette is playing.

    Args:
        cassette_library: The library being played, as cassette 0.3.8 takes
            it (``unpatched_httplib_context(player.library)``). Accepted and
            checked; every playing library is bypassed alike, and whatever
            was playing before the block plays again after it (nothing is
            patched that was not patched before).

    Raises:
        ConfigurationError: ``cassette_library`` is not a ``CassetteLibrary``.
    """
    if cassette_library is not None:
        from cassette.cassette_library import (  # noqa: PLC0415 - no cycle at import
            CassetteLibrary,
        )

        if not isinstance(cassette_library, CassetteLibrary):
            msg = (
                "unpatched_httplib_context() takes the CassetteLibrary being "
                f"played (player.library) or nothing, got {cassette_library!r}"
            )
            raise ConfigurationError(msg)
    with passthrough():
        yield
