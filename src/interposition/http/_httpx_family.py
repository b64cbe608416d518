"""What the httpx and httpx2 adapters share: one transport seam, two modules.

httpx and its fork httpx2 have the same contract between a client and its
transport: one public method, ``BaseTransport.handle_request`` (and
``AsyncBaseTransport.handle_async_request``). ``HttpxFamily(module)`` holds
everything the adapter does with that contract for one of the two modules:
turning the module's ``Request`` into an ``HttpRequest``, a recorded
``HttpResponse`` into the module's ``Response`` (whose stream yields the
recorded raw body, piece by piece, so the client decodes and streams it as it
would a network response), and answering a request through a cassette
session with a ``send`` callable that performs it.

The cassette transports (``interposition.http.httpx.CassetteTransport``...)
call ``handle`` / ``handle_async`` with their wrapped transport's method.
The patch that ``use_cassette`` applies does the same for every transport
class the client knows at the moment the patch is applied: each class that
defines its own ``handle_request`` / ``handle_async_request`` (the default
transports, ``MockTransport``, ``ASGITransport``, ``WSGITransport``, and
user-defined subclasses) gets it wrapped at class level, so clients built
with their own transports are covered too, and no private attribute of the
client is touched. See ``docs/adr/0204-httpx-transports.md``.

This module imports no client: it is given the module.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from types import ModuleType
from typing import Any

from interposition.http._mapping import HttpRequest, HttpResponse
from interposition.http._patching import Patch, PatchTarget
from interposition.http._session import CassetteSession, current_session, passthrough

__all__ = ["HttpxFamily"]

_Send = Callable[[Any], Any]
_AsyncSend = Callable[[Any], Awaitable[Any]]


def _subclasses(base: type) -> list[type]:
    """Every subclass of ``base``, depth first, each once."""
    seen: dict[type, None] = {}
    pending: list[type] = list(base.__subclasses__())
    while pending:
        cls = pending.pop()
        if cls not in seen:
            seen[cls] = None
            pending.extend(cls.__subclasses__())
    return list(seen)


class HttpxFamily:
    """The cassette seam of one httpx-like module (``httpx`` or ``httpx2``)."""

    def __init__(self, module: ModuleType) -> None:
        """Initialize.

        Args:
            module: The client module (``httpx`` or ``httpx2``).
        """
        self.module = module
        self.name: str = module.__name__

        class ReplayStream(module.SyncByteStream, module.AsyncByteStream):  # type: ignore[name-defined,misc]
            """The recorded body, piece by piece, for sync and async clients."""

            def __init__(self, pieces: tuple[bytes, ...]) -> None:
                self._pieces = pieces

            def __iter__(self) -> Iterator[bytes]:
                yield from self._pieces

            async def __aiter__(self) -> AsyncIterator[bytes]:
                for piece in self._pieces:
                    yield piece

        self._stream = ReplayStream

    # -- conversions ----------------------------------------------------------

    @staticmethod
    def to_http_request(request: Any, body: bytes) -> HttpRequest:
        """The module's Request (its body already read) as an HttpRequest."""
        return HttpRequest(
            request.method.upper(),
            str(request.url),
            tuple(
                (name.decode("latin-1"), value.decode("latin-1"))
                for name, value in request.headers.raw
            ),
            body,
        )

    @staticmethod
    def to_http_response(
        response: Any, pieces: list[bytes], delays: list[float]
    ) -> HttpResponse:
        """The module's Response, its raw body read in ``pieces``, as an HttpResponse.

        A chunked body keeps its pieces (the transport yields one per HTTP
        chunk received) and the time before each.
        """
        reason = response.extensions.get("reason_phrase", b"")
        version = response.extensions.get("http_version", b"HTTP/1.1")
        chunked = (
            len(pieces) > 1
            and "chunked" in response.headers.get("transfer-encoding", "").lower()
        )
        return HttpResponse(
            status=response.status_code,
            reason=reason.decode("latin-1")
            if isinstance(reason, bytes)
            else str(reason),
            headers=tuple(
                (name.decode("latin-1"), value.decode("latin-1"))
                for name, value in response.headers.raw
            ),
            body=b"".join(pieces),
            http_version=version.decode("ascii")
            if isinstance(version, bytes)
            else str(version),
            chunks=tuple(pieces) if chunked else (),
            chunk_delays=tuple(delays) if chunked else (),
        )

    def build_response(self, response: HttpResponse) -> Any:
        """A transport-level Response of the module over the recorded raw body."""
        pieces = tuple(p for p in (response.chunks or (response.body,)) if p)
        return self.module.Response(
            response.status,
            headers=[
                (name.encode("latin-1"), value.encode("latin-1"))
                for name, value in response.headers
            ],
            stream=self._stream(pieces),
            extensions={
                "http_version": response.http_version.encode("ascii"),
                "reason_phrase": response.reason.encode("latin-1"),
            },
        )

    # -- answering through a session ------------------------------------------

    def _preread(self, response: Any) -> bool:
        """Whether the transport built the response from bytes it had already.

        (``Response(content=...)``, as ``MockTransport`` handlers return:
        already read, and its ``ByteStream`` holds the raw bytes.)
        """
        return bool(response.is_stream_consumed) and isinstance(
            response.stream, self.module.ByteStream
        )

    def handle(self, session: CassetteSession | None, request: Any, send: _Send) -> Any:
        """Answer ``request`` from ``session`` (None: send it untouched)."""
        if session is None:
            return send(request)
        if not session.handles(str(request.url)):
            with passthrough():
                return send(request)

        def live(_: HttpRequest) -> HttpResponse:
            response = send(request)
            try:
                if self._preread(response):
                    return self.to_http_response(response, list(response.stream), [])
                pieces: list[bytes] = []
                delays: list[float] = []
                last = time.monotonic()
                for piece in response.iter_raw():
                    now = time.monotonic()
                    pieces.append(piece)
                    delays.append(now - last)
                    last = now
                return self.to_http_response(response, pieces, delays)
            finally:
                response.close()

        answer = session.handle(self.to_http_request(request, request.read()), live)
        return self.build_response(answer)

    async def handle_async(
        self, session: CassetteSession | None, request: Any, send: _AsyncSend
    ) -> Any:
        """The asyncio form of ``handle``."""
        if session is None:
            return await send(request)
        if not session.handles(str(request.url)):
            with passthrough():
                return await send(request)

        async def live(_: HttpRequest) -> HttpResponse:
            response = await send(request)
            try:
                if self._preread(response):
                    return self.to_http_response(response, list(response.stream), [])
                pieces: list[bytes] = []
                delays: list[float] = []
                last = time.monotonic()
                async for piece in response.aiter_raw():
                    now = time.monotonic()
                    pieces.append(piece)
                    delays.append(now - last)
                    last = now
                return self.to_http_response(response, pieces, delays)
            finally:
                await response.aclose()

        body = await request.aread()
        answer = await session.handle_async(self.to_http_request(request, body), live)
        return self.build_response(answer)

    # -- the patch --------------------------------------------------------------

    def _wrap(self, original: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        def handle_request(transport: Any, request: Any) -> Any:
            return self.handle(
                current_session(), request, lambda r: original(transport, r)
            )

        handle_request.__wrapped__ = original  # type: ignore[attr-defined]
        return handle_request

    def _wrap_async(
        self, original: Callable[[Any, Any], Awaitable[Any]]
    ) -> Callable[[Any, Any], Awaitable[Any]]:
        async def handle_async_request(transport: Any, request: Any) -> Any:
            return await self.handle_async(
                current_session(), request, lambda r: original(transport, r)
            )

        handle_async_request.__wrapped__ = original  # type: ignore[attr-defined]
        return handle_async_request

    def patch(self, own: tuple[type, ...]) -> Patch:
        """The patch of every transport class, except ``own`` (and subclasses).

        Args:
            own: The cassette transports, which answer through the session
                themselves.
        """

        def targets() -> list[PatchTarget]:
            found: list[PatchTarget] = []
            for base, method, wrap in (
                (self.module.BaseTransport, "handle_request", self._wrap),
                (
                    self.module.AsyncBaseTransport,
                    "handle_async_request",
                    self._wrap_async,
                ),
            ):
                for cls in _subclasses(base):
                    if method in vars(cls) and not issubclass(cls, own):
                        found.append((cls, method, wrap))
            return found

        return Patch(self.name, targets)
