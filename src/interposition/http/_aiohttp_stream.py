"""Reading a live aiohttp response raw: its head, and its body chunk by chunk.

Shared by the aiohttp adapter (``interposition.http._aiohttp``) and
aiointercept's cassette, which both record what a real server sent through
aiohttp's own parser: the headers as received (bytes, in order), the body
still content-encoded, and, for chunked transfer encoding, one piece per
HTTP chunk with the seconds since the previous one (aiohttp's ``readchunk``
reports where each chunk ends). It imports no client library at run time.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Protocol

from interposition.http._mapping import Headers

if TYPE_CHECKING:
    from aiohttp import StreamReader

__all__ = [
    "ReadChunk",
    "header_pairs",
    "is_chunked",
    "read_raw_body",
    "timed_chunks",
    "version_text",
]

#: The next piece of a body and whether it ends an HTTP chunk (aiohttp's
#: ``readchunk``); ``None`` to stop reading early.
ReadChunk = Callable[[], Awaitable[tuple[bytes, bool] | None]]


class _Version(Protocol):
    @property
    def major(self) -> int: ...

    @property
    def minor(self) -> int: ...


class _Headers(Protocol):
    def getall(self, key: str, default: tuple[()]) -> list[str] | tuple[()]: ...


def header_pairs(raw_headers: Iterable[tuple[bytes, bytes]]) -> Headers:
    """The raw headers of aiohttp as (name, value) text pairs, in order received."""
    return tuple(
        (name.decode("latin-1"), value.decode("latin-1")) for name, value in raw_headers
    )


def version_text(version: _Version | None) -> str:
    """``HTTP/1.1`` for aiohttp's ``HttpVersion(1, 1)``."""
    return f"HTTP/{version.major}.{version.minor}" if version else "HTTP/1.1"


def is_chunked(headers: _Headers) -> bool:
    """Whether the headers say ``Transfer-Encoding: chunked``."""
    values = headers.getall("Transfer-Encoding", ())
    return any("chunked" in value.lower() for value in values)


async def timed_chunks(
    read_chunk: ReadChunk, clock: Callable[[], float]
) -> AsyncGenerator[tuple[bytes, float], None]:
    """Yield each HTTP chunk of a body, with the seconds since the previous one.

    The first delay counts from the call (the response head). A piece
    without a chunk end (a body that is not chunked, or a stream cut short)
    comes last. Ends at the end of the body, or when ``read_chunk`` returns
    ``None`` (what was not a whole chunk yet is then dropped).
    """
    last = clock()
    pending = bytearray()
    while True:
        item = await read_chunk()
        if item is None:
            return
        data, end_of_chunk = item
        if not data and not end_of_chunk:  # the end of the body
            break
        pending += data
        if not end_of_chunk or not pending:
            continue
        now = clock()
        piece = bytes(pending)
        pending.clear()
        yield piece, now - last
        last = now
    if pending:
        yield bytes(pending), clock() - last


async def read_raw_body(
    stream: StreamReader, *, chunked: bool, clock: Callable[[], float]
) -> tuple[bytes, tuple[bytes, ...], tuple[float, ...]]:
    """Read a body in full: (body, pieces, delays); pieces only when chunked."""
    if not chunked:
        return await stream.read(), (), ()
    pieces: list[bytes] = []
    delays: list[float] = []
    async for piece, delay in timed_chunks(stream.readchunk, clock):
        pieces.append(piece)
        delays.append(delay)
    return b"".join(pieces), tuple(pieces), tuple(delays)
