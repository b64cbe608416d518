"""The helpers aioresponses users import from ``aioresponses.compat``.

``normalize_url`` and ``merge_params`` are the ones the mock itself uses for
``m.requests`` keys and for the assertion helpers, so a key built with them
always finds the recorded requests. ``AIOHTTP_VERSION`` is a
``packaging.version.Version`` (``packaging`` is imported on first access).
"""

from __future__ import annotations

import asyncio
from re import Pattern
from typing import TYPE_CHECKING, Any

from aiohttp import StreamReader
from aiohttp import __version__ as _aiohttp_version
from aiohttp.client_proto import ResponseHandler
from yarl import URL

from ._urls import merge_params, normalize_url

if TYPE_CHECKING:
    from packaging.version import Version

    AIOHTTP_VERSION: Version

__all__ = [
    "AIOHTTP_VERSION",
    "URL",
    "Pattern",
    "merge_params",
    "normalize_url",
    "stream_reader_factory",
]


def stream_reader_factory(
    loop: asyncio.AbstractEventLoop | None = None,
) -> StreamReader:
    """An empty ``aiohttp.StreamReader``, e.g. to build a response body by hand.

    Without ``loop``, call it from a coroutine (it uses the running loop).
    """
    loop = loop or asyncio.get_running_loop()
    protocol = ResponseHandler(loop=loop)
    return StreamReader(protocol, limit=2**16, loop=loop)


def __getattr__(name: str) -> Any:
    if name == "AIOHTTP_VERSION":
        # Lazy: packaging is needed only by code that reads this constant.
        from packaging.version import Version  # noqa: PLC0415

        version = Version(_aiohttp_version)
        globals()[name] = version
        return version
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
