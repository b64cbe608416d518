"""A context in which HTTP requests reach the network untouched."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from interposition.http import passthrough

__all__ = ["unpatched_httplib_context"]


@contextlib.contextmanager
def unpatched_httplib_context() -> Iterator[None]:
    """Create a context in which no cassette intercepts requests.

    Inside it, requests go to the network as if nothing were patched: they
    are neither replayed nor recorded, whatever cassette is playing.
    """
    with passthrough():
        yield
