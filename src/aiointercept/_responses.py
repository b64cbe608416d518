"""Response descriptions and how they are written to the wire.

A registered response is turned into a :class:`ResponsePlan` once, at
registration; serving it costs one ``aiohttp.web.Response``. Streaming and
fault injection (delay, truncated body, connection reset, closed connection)
write through an ``aiohttp.web.StreamResponse`` on the real socket, so the
client sees exactly what a misbehaving server would send.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import socket
import struct
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import hdrs, web
from multidict import CIMultiDict

from aiointercept._errors import configuration_error

__all__ = [
    "DEFAULT_CONTENT_TYPE",
    "CallbackResult",
    "ChunkSource",
    "ResponsePlan",
    "close_connection",
    "encode_body",
    "send",
]

DEFAULT_CONTENT_TYPE = "application/json"

ChunkSource = Iterable[bytes | str] | AsyncIterable[bytes | str]


class CallbackResult:
    """What a callback returns to describe the response.

    Args:
        method: Accepted for aioresponses compatibility; not used.
        status: The response status code.
        body: The raw body (``str`` is UTF-8 encoded), or an async iterable of
            chunks to stream.
        content_type: The ``Content-Type`` header, unless ``headers`` already
            has one.
        payload: A JSON-serializable body; overrides ``body``.
        headers: Extra response headers.
        response_class: Accepted for aioresponses compatibility; not used.
        reason: The HTTP reason phrase.
    """

    __slots__ = (
        "body",
        "content_type",
        "headers",
        "method",
        "payload",
        "reason",
        "response_class",
        "status",
    )

    def __init__(  # noqa: PLR0917 - the aioresponses signature
        self,
        method: str = hdrs.METH_GET,
        status: int = 200,
        body: str | bytes | AsyncIterable[bytes | str] = "",
        content_type: str = DEFAULT_CONTENT_TYPE,
        payload: Any = None,
        headers: Mapping[str, str] | None = None,
        response_class: Any = None,
        reason: str | None = None,
    ) -> None:
        self.method = method
        self.status = status
        self.body = body
        self.content_type = content_type
        self.payload = payload
        self.headers = headers
        self.response_class = response_class
        self.reason = reason

    def __repr__(self) -> str:
        return f"CallbackResult(status={self.status!r}, reason={self.reason!r})"


def encode_body(body: str | bytes | bytearray | None) -> bytes:
    """Encode a body given as text (UTF-8) or bytes."""
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    return bytes(body)


def _json_body(value: Any) -> bytes:
    return jsonlib.dumps(value).encode("utf-8")


@dataclass(slots=True)
class ResponsePlan:
    """Everything needed to write one response.

    Attributes:
        status: The status code.
        reason: The reason phrase, or ``None`` for the standard one.
        headers: The final headers, ``Content-Type`` included.
        body: The body bytes (ignored when ``chunks`` is set).
        chunks: Chunks to stream with chunked transfer encoding, one HTTP chunk
            per item, so a streaming client sees the same boundaries.
        chunk_delay: Seconds to wait before each chunk after the first, or
            one value per chunk (waited before that chunk, the first
            included), e.g. the recorded timing of a stream.
        delay: Seconds to wait before anything is sent.
        truncate_at: Send only this many body bytes, then close the connection
            cleanly (the client sees an incomplete payload).
        reset_at: Send only this many body bytes, then reset the connection
            (TCP RST).
        close: Close the connection without answering (the client sees
            ``ClientConnectionError``).
    """

    status: int = 200
    reason: str | None = None
    headers: CIMultiDict[str] = field(default_factory=CIMultiDict)
    body: bytes = b""
    chunks: ChunkSource | None = None
    chunk_delay: float | tuple[float, ...] = 0.0
    delay: float = 0.0
    truncate_at: int | None = None
    reset_at: int | None = None
    close: bool = False

    @property
    def simple(self) -> bool:
        """Whether a plain ``web.Response`` can carry this plan."""
        return (
            self.chunks is None
            and not self.delay
            and self.truncate_at is None
            and self.reset_at is None
            and not self.close
        )

    @classmethod
    def build(
        cls,
        *,
        status: int = 200,
        body: str | bytes | AsyncIterable[bytes | str] | None = b"",
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        content_type: str | None = None,
        header_wins: bool = False,
        reason: str | None = None,
        chunks: ChunkSource | None = None,
        chunk_delay: float | Sequence[float] = 0.0,
        delay: float = 0.0,
        truncate_at: int | None = None,
        reset_at: int | None = None,
        close: bool = False,
    ) -> ResponsePlan:
        """Validate the arguments of ``add()`` / ``CallbackResult`` into a plan.

        ``header_wins`` selects the precedence between ``content_type`` and a
        ``Content-Type`` in ``headers``: ``add()`` lets ``content_type``
        override, a ``CallbackResult`` lets the header win.
        """
        final_headers: CIMultiDict[str] = CIMultiDict(headers or {})
        has_header = hdrs.CONTENT_TYPE in final_headers
        if content_type is not None and not (header_wins and has_header):
            final_headers[hdrs.CONTENT_TYPE] = content_type
        elif not has_header:
            final_headers[hdrs.CONTENT_TYPE] = DEFAULT_CONTENT_TYPE
        if not isinstance(body, str | bytes | bytearray | None):
            if chunks is not None:
                raise configuration_error("give a streamed body or chunks=, not both")
            chunks, body = body, b""
        for name, value in (("truncate_at", truncate_at), ("reset_at", reset_at)):
            if value is not None and value < 0:
                raise configuration_error(f"{name} must be >= 0, got {value!r}")
        delays = (
            (float(chunk_delay),)
            if isinstance(chunk_delay, int | float)
            else tuple(float(value) for value in chunk_delay)
        )
        if delay < 0 or any(value < 0 for value in delays):
            raise configuration_error("delay and chunk_delay must be >= 0")
        return cls(
            status=status,
            reason=reason,
            headers=final_headers,
            body=_json_body(json) if json is not None else encode_body(body),
            chunks=chunks,
            chunk_delay=delays[0] if isinstance(chunk_delay, int | float) else delays,
            delay=delay,
            truncate_at=truncate_at,
            reset_at=reset_at,
            close=close,
        )


def close_connection(request: web.BaseRequest, *, reset: bool = False) -> None:
    """Drop the connection of ``request``; with ``reset``, send a TCP RST."""
    transport = request.transport
    if transport is None:
        return
    if reset:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # Linger 0: the kernel answers close() with RST, not FIN.
            sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
        transport.abort()
    else:
        transport.close()


async def _iterate(source: ChunkSource) -> AsyncIterable[bytes]:
    if isinstance(source, AsyncIterable):
        async for item in source:
            yield encode_body(item)
    else:
        for item in source:
            yield encode_body(item)


def _pause_before(chunk_delay: float | tuple[float, ...], index: int) -> float:
    if isinstance(chunk_delay, tuple):
        return chunk_delay[index] if index < len(chunk_delay) else 0.0
    return chunk_delay if index else 0.0


async def _enumerate(source: AsyncIterable[bytes]) -> AsyncIterator[tuple[int, bytes]]:
    index = 0
    async for item in source:
        yield index, item
        index += 1


async def send(  # noqa: PLR0911 - one return per way of answering
    request: web.BaseRequest, plan: ResponsePlan
) -> web.StreamResponse:
    """Answer ``request`` as ``plan`` says."""
    if plan.delay:
        await asyncio.sleep(plan.delay)
    if plan.close:
        close_connection(request)
        return web.Response(status=502)
    if plan.simple:
        return web.Response(
            body=plan.body, status=plan.status, reason=plan.reason, headers=plan.headers
        )
    response = web.StreamResponse(
        status=plan.status, reason=plan.reason, headers=plan.headers
    )
    limit = plan.truncate_at if plan.truncate_at is not None else plan.reset_at
    if plan.chunks is None:
        response.content_length = len(plan.body)
        await response.prepare(request)
        if limit is None:
            await response.write(plan.body)
            await response.write_eof()
            return response
        await response.write(plan.body[:limit])
        close_connection(request, reset=plan.reset_at is not None)
        return response
    response.enable_chunked_encoding()
    await response.prepare(request)
    sent = 0
    async for index, chunk in _enumerate(_iterate(plan.chunks)):
        pause = _pause_before(plan.chunk_delay, index)
        if pause:
            await asyncio.sleep(pause)
        if limit is not None and sent + len(chunk) >= limit:
            if limit > sent:
                await response.write(chunk[: limit - sent])
            close_connection(request, reset=plan.reset_at is not None)
            return response
        if chunk:
            await response.write(chunk)
        sent += len(chunk)
    if limit is not None:
        close_connection(request, reset=plan.reset_at is not None)
        return response
    await response.write_eof()
    return response
