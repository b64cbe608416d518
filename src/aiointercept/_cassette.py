"""Record and replay for aiointercept: the cassette fallback (ADR 0106).

Imported only when a mock is given ``cassette=``; this is the one module of
the package that imports ``interposition.http``. Every request no registered
route matched goes through ``CassetteSession.handle_async``, the session API
every HTTP adapter uses, so matching, playback order, record modes,
redaction and the file format are those of ``interposition.http``: the
session replays the request from the cassette, or calls back here to forward
it to the real server (and then records it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import hdrs, web
from multidict import CIMultiDict

from interposition.errors import InterpositionError
from interposition.http import (
    CassetteOptions,
    CassetteSession,
    HttpInteractionNotFoundError,
    HttpRequest,
    HttpResponse,
)
from interposition.http._aiohttp_stream import (
    header_pairs,
    is_chunked,
    timed_chunks,
    version_text,
)

from ._fallback import Decline, UpstreamForwarder, end_to_end
from ._requests import AiointerceptRequest
from ._responses import ResponsePlan, close_connection, send

__all__ = [
    "CassetteFallback",
    "http_request",
    "replay_plan",
]

logger = logging.getLogger("aiointercept")

_NO_CONTENT = frozenset({204, 304})
# How often a stream being recorded checks whether its client went away.
_CLIENT_POLL = 0.02


def http_request(captured: AiointerceptRequest) -> HttpRequest:
    """The request as the client sent it: real URL, raw headers in order, body."""
    raw = captured.request
    return HttpRequest(
        captured.method,
        str(raw.url),
        header_pairs(raw.raw_headers),
        captured.captured_body or b"",
    )


def replay_plan(response: HttpResponse, method: str, *, timing: bool) -> ResponsePlan:
    """How to write a recorded response, as its client saw it live.

    Hop-by-hop headers are left to the local server. A response recorded in
    pieces (or with chunked transfer encoding) is streamed with one HTTP chunk
    per recorded piece, after the recorded delays when ``timing`` is on. A
    body-less response (``HEAD``, 1xx, 204, 304) keeps its recorded
    ``Content-Length``.
    """
    recorded: CIMultiDict[str] = CIMultiDict(response.headers)
    headers = end_to_end(recorded)
    status = response.status
    bodiless = method == hdrs.METH_HEAD or status in _NO_CONTENT or status < 200
    if bodiless:
        length = recorded.get(hdrs.CONTENT_LENGTH)
        if length is not None:
            headers[hdrs.CONTENT_LENGTH] = length
        return ResponsePlan(
            status=status, reason=response.reason or None, headers=headers
        )
    if response.body and (response.chunks or is_chunked(recorded)):
        delays = response.chunk_delays if timing else ()
        return ResponsePlan(
            status=status,
            reason=response.reason or None,
            headers=headers,
            chunks=response.chunks or (response.body,),
            chunk_delay=delays or 0.0,
        )
    return ResponsePlan(
        status=status,
        reason=response.reason or None,
        headers=headers,
        body=response.body,
    )


class _Relay:
    """The live call of one request: forward it, and stream it back as it comes.

    A chunked upstream response is relayed to the client chunk by chunk while
    it arrives (so a live event stream is not held back), and its pieces and
    their timing are kept for the recording. When the client goes away, or
    the mock stops (``stopping`` is set), the stream ends there and what the
    client saw is recorded.
    """

    def __init__(
        self,
        captured: AiointerceptRequest,
        forwarder: UpstreamForwarder,
        stopping: asyncio.Event,
    ) -> None:
        self._captured = captured
        self._forwarder = forwarder
        self._stopping = stopping
        self.sent: web.StreamResponse | None = None

    async def __call__(self, _: HttpRequest) -> HttpResponse:
        async with self._forwarder.open(self._captured) as upstream:
            head = (
                upstream.status,
                upstream.reason or "",
                header_pairs(upstream.raw_headers),
            )
            http_version = version_text(upstream.version)
            if self._captured.method == hdrs.METH_HEAD or not is_chunked(
                upstream.headers
            ):
                body = await upstream.read()
                return HttpResponse(*head, body, http_version)
            pieces, delays = await self._stream(upstream)
        return HttpResponse(
            *head,
            b"".join(pieces),
            http_version,
            chunks=pieces,
            chunk_delays=delays,
        )

    async def _stream(
        self, upstream: aiohttp.ClientResponse
    ) -> tuple[tuple[bytes, ...], tuple[float, ...]]:
        response = web.StreamResponse(
            status=upstream.status,
            reason=upstream.reason,
            headers=end_to_end(upstream.headers),
        )
        response.enable_chunked_encoding()
        await response.prepare(self._captured.request)
        self.sent = response
        pieces: list[bytes] = []
        delays: list[float] = []
        stop = asyncio.ensure_future(self._stopping.wait())
        stopped = False

        async def read_chunk() -> tuple[bytes, bool] | None:
            nonlocal stopped
            item = await self._next(upstream, stop)
            # None: the client stopped reading (an event-stream client often
            # does) or the mock stops: keep what the client saw.
            stopped = item is None
            return item

        chunks = timed_chunks(read_chunk, asyncio.get_running_loop().time)
        try:
            async with contextlib.aclosing(chunks):
                async for piece, delay in chunks:
                    try:
                        await response.write(piece)
                    except ConnectionError:
                        return tuple(pieces), tuple(delays)
                    pieces.append(piece)
                    delays.append(delay)
        finally:
            stop.cancel()
        if not stopped:
            await response.write_eof()
        return tuple(pieces), tuple(delays)

    async def _next(
        self, upstream: aiohttp.ClientResponse, stop: asyncio.Future[Any]
    ) -> tuple[bytes, bool] | None:
        """The next piece of the upstream body; ``None`` if the stream must end."""
        read = asyncio.ensure_future(upstream.content.readchunk())
        try:
            while True:
                await asyncio.wait({read, stop}, timeout=_CLIENT_POLL)
                if read.done():
                    return read.result()
                transport = self._captured.request.transport
                if stop.done() or transport is None or transport.is_closing():
                    return None
        finally:
            read.cancel()


class CassetteFallback:
    """Replay unmatched requests from a cassette, or forward and record them.

    Args:
        path: The cassette file (its extension chooses the format) or
            directory.
        options: The cassette options (``record_mode``, ``match_on``,
            redaction...), as ``use_cassette`` takes them.
        replay_timing: Replay streamed responses with their recorded delays
            between chunks.
        forwarder: Sends live requests to the real servers.
    """

    def __init__(
        self,
        path: Path | str,
        options: CassetteOptions,
        *,
        replay_timing: bool,
        forwarder: UpstreamForwarder,
    ) -> None:
        self.path = Path(path)
        self._options = options
        self._replay_timing = replay_timing
        self._forwarder = forwarder
        self._stopping = asyncio.Event()
        self.session: CassetteSession | None = None

    def open(self) -> CassetteSession:
        """Load the cassette (each time the mock starts), as ``use_cassette`` does.

        Raises:
            CassetteLoadError: When the cassette exists but cannot be read.
        """
        self._stopping = asyncio.Event()
        self.session = CassetteSession(self.path, self._options)
        return self.session

    def interrupt(self) -> None:
        """The mock stops: streams being recorded end now and are recorded."""
        self._stopping.set()

    async def __call__(
        self, request: AiointerceptRequest
    ) -> web.StreamResponse | Decline | None:
        """Answer from the cassette, or live through the upstream (recorded)."""
        session = self.session
        if session is None:
            return None
        relay = _Relay(request, self._forwarder, self._stopping)
        try:
            response = await session.handle_async(http_request(request), relay)
        except HttpInteractionNotFoundError as exc:
            return Decline(str(exc), exc)
        except (aiohttp.ClientError, OSError) as exc:
            return _upstream_failed(request, relay, exc)
        except InterpositionError as exc:
            return _not_recorded(request, relay, exc)
        if relay.sent is not None:
            return relay.sent
        plan = replay_plan(response, request.method, timing=self._replay_timing)
        return await send(request.request, plan)

    async def close(self) -> None:
        """Close the upstream client; the session's statistics stay readable."""
        await self._forwarder.close()


def _upstream_failed(
    request: AiointerceptRequest, relay: _Relay, exc: Exception
) -> web.StreamResponse:
    logger.warning(
        "aiointercept: recording %s %s failed, the upstream could not be "
        "reached or went away: %r",
        request.method,
        request.url,
        exc,
    )
    close_connection(request.request)
    return relay.sent or web.Response(status=502)


def _not_recorded(
    request: AiointerceptRequest, relay: _Relay, exc: InterpositionError
) -> web.StreamResponse | Decline:
    if relay.sent is None:
        return Decline(f"the cassette could not record it: {exc}", exc)
    # The client already has the live response; only the recording is lost.
    logger.error(
        "aiointercept: %s %s was not recorded: %s", request.method, request.url, exc
    )
    return relay.sent
