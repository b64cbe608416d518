"""The ``httpx`` adapter, sync and async, at the transport seam.

httpx's whole contract between a client and its transport is one public
method: ``HTTPTransport.handle_request`` and
``AsyncHTTPTransport.handle_async_request``. The adapter wraps those two
methods at the class level, so every client built on the default transports
is covered, and no private httpx or httpcore internals are touched. A
replayed response carries the recorded raw body as its stream; httpx itself
decodes it (``iter_bytes``, ``iter_text``, ``iter_lines``, gzip...) as it
would a network response.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import httpx

from interposition.http._mapping import HttpRequest, HttpResponse
from interposition.http._patching import Patch, PatchTarget
from interposition.http._session import current_session

__all__ = ["PATCH", "build_httpx_response"]

_Handle = Callable[[httpx.HTTPTransport, httpx.Request], httpx.Response]
_AsyncHandle = Callable[
    [httpx.AsyncHTTPTransport, httpx.Request], Awaitable[httpx.Response]
]


class _ReplayStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """The recorded body, piece by piece, for sync and async clients."""

    def __init__(self, pieces: tuple[bytes, ...]) -> None:
        self._pieces = pieces

    def __iter__(self) -> Iterator[bytes]:
        yield from self._pieces

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self._pieces:
            yield piece


def _request(request: httpx.Request, body: bytes) -> HttpRequest:
    return HttpRequest(
        request.method.upper(),
        str(request.url),
        tuple(
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in request.headers.raw
        ),
        body,
    )


def _response(response: httpx.Response, body: bytes) -> HttpResponse:
    reason = response.extensions.get("reason_phrase", b"")
    version = response.extensions.get("http_version", b"HTTP/1.1")
    return HttpResponse(
        status=response.status_code,
        reason=reason.decode("latin-1") if isinstance(reason, bytes) else str(reason),
        headers=tuple(
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in response.headers.raw
        ),
        body=body,
        http_version=version.decode("ascii")
        if isinstance(version, bytes)
        else str(version),
    )


def build_httpx_response(response: HttpResponse) -> httpx.Response:
    """An httpx Response (transport level) over an HttpResponse's raw body."""
    pieces = tuple(p for p in (response.chunks or (response.body,)) if p)
    return httpx.Response(
        response.status,
        headers=[
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in response.headers
        ],
        stream=_ReplayStream(pieces),
        extensions={
            "http_version": response.http_version.encode("ascii"),
            "reason_phrase": response.reason.encode("latin-1"),
        },
    )


def _patched_handle(original: _Handle) -> _Handle:
    def handle_request(
        self: httpx.HTTPTransport, request: httpx.Request
    ) -> httpx.Response:
        session = current_session()
        if session is None or not session.handles(str(request.url)):
            return original(self, request)

        def live(_: HttpRequest) -> HttpResponse:
            response = original(self, request)
            try:
                return _response(response, b"".join(response.iter_raw()))
            finally:
                response.close()

        answer = session.handle(_request(request, request.read()), live)
        return build_httpx_response(answer)

    handle_request.__wrapped__ = original  # type: ignore[attr-defined]
    return handle_request


def _patched_handle_async(original: _AsyncHandle) -> _AsyncHandle:
    async def handle_async_request(
        self: httpx.AsyncHTTPTransport, request: httpx.Request
    ) -> httpx.Response:
        session = current_session()
        if session is None or not session.handles(str(request.url)):
            return await original(self, request)

        async def live(_: HttpRequest) -> HttpResponse:
            response = await original(self, request)
            try:
                body = b"".join([piece async for piece in response.aiter_raw()])
                return _response(response, body)
            finally:
                await response.aclose()

        body = await request.aread()
        answer = await session.handle_async(_request(request, body), live)
        return build_httpx_response(answer)

    handle_async_request.__wrapped__ = original  # type: ignore[attr-defined]
    return handle_async_request


def _targets() -> list[PatchTarget]:
    return [
        (httpx.HTTPTransport, "handle_request", _patched_handle),
        (httpx.AsyncHTTPTransport, "handle_async_request", _patched_handle_async),
    ]


#: The httpx patch (see interposition.http._patching).
PATCH = Patch("httpx", _targets)
