"""The ``niquests`` adapter, sync and async, at its transport seam.

niquests (a fork of requests) sends every request through its transport
adapters' public ``send``: ``HTTPAdapter.send`` and the coroutine
``AsyncHTTPAdapter.send``; the session above keeps redirects, hooks, cookies
and content reading. Wrapping those two methods at the class level records
and replays niquests' traffic without going through urllib3-future's pools on
replay. The replayed ``Response`` is built by the adapter's own
``build_response`` over a real response of the urllib3 niquests uses
(urllib3-future's ``HTTPResponse``, or ``AsyncHTTPResponse`` for the async
adapter), so ``.content``, ``.json()``, ``iter_content``, ``stream=True``,
gzip decoding and ``.http_version`` behave as on the wire; the request's
``conn_info`` carries the recorded HTTP version. A multiplexed request is
answered at once (the response is not lazy). Live requests go through the
original method (never multiplexed), inside ``passthrough()``, so the urllib3
adapter below does not record them a second time.
See ``docs/adr/0201-http-adapter-seams.md``.
"""

from __future__ import annotations

import http.client
import io
from collections.abc import Awaitable, Callable
from typing import Any, Final

from niquests.adapters import AsyncHTTPAdapter, HTTPAdapter
from niquests.packages.urllib3 import ConnectionInfo, HttpVersion
from niquests.packages.urllib3._async.response import AsyncHTTPResponse
from niquests.packages.urllib3.response import HTTPResponse

from interposition.http._mapping import (
    VERSION_NUMBERS,
    VERSION_TEXTS,
    HttpRequest,
    HttpResponse,
    body_bytes,
    header_pairs,
)
from interposition.http._patching import Patch, PatchTarget
from interposition.http._session import current_session, passthrough

__all__ = ["PATCH"]

_Send = Callable[..., Any]
_AsyncSend = Callable[..., Awaitable[Any]]

_CONN_VERSIONS: Final = {
    11: HttpVersion.h11,
    20: HttpVersion.h2,
    30: HttpVersion.h3,
}


async def _async_body_bytes(body: Any) -> bytes:
    if hasattr(body, "__aiter__"):
        parts = [
            part.encode("utf-8") if isinstance(part, str) else bytes(part)
            async for part in body
        ]
        return b"".join(parts)
    return body_bytes(body)


def _request(request: Any, body: bytes) -> HttpRequest:
    url = request.url
    if isinstance(url, bytes):
        url = url.decode("utf-8")
    return HttpRequest(
        (request.method or "GET").upper(),
        str(url or ""),
        header_pairs(request.headers.items()),
        body,
    )


class _CookieSource:
    """Enough of http.client.HTTPResponse for niquests to read cookies."""

    def __init__(self, headers: tuple[tuple[str, str], ...]) -> None:
        self.msg = http.client.HTTPMessage()
        for name, value in headers:
            self.msg[name] = value

    def isclosed(self) -> bool:
        return True

    def close(self) -> None:
        """Nothing to close: the body is in memory."""


def _raw_args(answer: HttpResponse, method: str, url: str) -> dict[str, Any]:
    headers = answer.headers
    cookies = any(name.lower() == "set-cookie" for name, _ in headers)
    return {
        "body": io.BytesIO(answer.body),
        "headers": list(headers),
        "status": answer.status,
        "version": VERSION_NUMBERS.get(answer.http_version, 11),
        "reason": answer.reason,
        "preload_content": False,
        "decode_content": False,
        "original_response": _CookieSource(headers) if cookies else None,
        "request_method": method,
        "request_url": url,
    }


def _recorded(raw: Any, body: bytes) -> HttpResponse:
    return HttpResponse(
        status=raw.status,
        reason=raw.reason or "",
        headers=tuple((str(k), str(v)) for k, v in raw.headers.items()),
        body=body,
        http_version=VERSION_TEXTS.get(getattr(raw, "version", 11), "HTTP/1.1"),
    )


def _set_conn_info(request: Any, answer: HttpResponse) -> None:
    info = ConnectionInfo()
    info.http_version = _CONN_VERSIONS.get(
        VERSION_NUMBERS.get(answer.http_version, 11), HttpVersion.h11
    )
    request.conn_info = info


def _live_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    return dict(kwargs, multiplexed=False)


def _patched_send(original: _Send) -> _Send:
    def send(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        session = current_session()
        url = request.url or ""
        if isinstance(url, bytes):
            url = url.decode("utf-8")
        if session is None:
            return original(self, request, *args, **kwargs)
        if not session.handles(url):
            with passthrough():
                return original(self, request, *args, **kwargs)
        body = request.body
        data = body if isinstance(body, bytes) else body_bytes(body)
        if body is not None and not isinstance(body, (bytes, str)):
            request.body = data  # a consumed stream or file is sent as bytes
        http_request = _request(request, data)

        def live(_: HttpRequest) -> HttpResponse:
            response = original(self, request, *args, **_live_kwargs(kwargs))
            try:
                return _recorded(response.raw, response.raw.read(decode_content=False))
            finally:
                response.close()

        answer = session.handle(http_request, live)
        raw = HTTPResponse(**_raw_args(answer, http_request.method, url))
        _set_conn_info(request, answer)
        return self.build_response(request, raw)

    send.__wrapped__ = original  # type: ignore[attr-defined]
    return send


def _patched_send_async(original: _AsyncSend) -> _AsyncSend:
    async def send(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        session = current_session()
        url = request.url or ""
        if isinstance(url, bytes):
            url = url.decode("utf-8")
        if session is None:
            return await original(self, request, *args, **kwargs)
        if not session.handles(url):
            with passthrough():
                return await original(self, request, *args, **kwargs)
        body = request.body
        data = body if isinstance(body, bytes) else await _async_body_bytes(body)
        if body is not None and not isinstance(body, (bytes, str)):
            request.body = data
        http_request = _request(request, data)

        async def live(_: HttpRequest) -> HttpResponse:
            response = await original(self, request, *args, **_live_kwargs(kwargs))
            try:
                wire = await response.raw.read(decode_content=False)
                return _recorded(response.raw, wire)
            finally:
                await response.close()

        answer = await session.handle_async(http_request, live)
        raw = AsyncHTTPResponse(**_raw_args(answer, http_request.method, url))
        _set_conn_info(request, answer)
        return self.build_response(request, raw)

    send.__wrapped__ = original  # type: ignore[attr-defined]
    return send


def _targets() -> list[PatchTarget]:
    return [
        (HTTPAdapter, "send", _patched_send),
        (AsyncHTTPAdapter, "send", _patched_send_async),
    ]


#: The niquests patch (see interposition.http._patching).
PATCH = Patch("niquests", _targets)
