"""What the mock remembers about a request it received."""

from __future__ import annotations

import json as jsonlib
from typing import Any, TypedDict

from aiohttp import hdrs, web
from multidict import CIMultiDictProxy
from yarl import URL

from ._urls import normalize_url

__all__ = ["AiointerceptRequest", "RequestKwargs", "capture"]


class RequestKwargs(TypedDict):
    """The parsed parts of a request, as callbacks receive them."""

    headers: CIMultiDictProxy[str]
    query: dict[str, list[str]]
    json: Any
    data: bytes | None


class AiointerceptRequest:
    """One request received by the mock, as stored in ``m.requests``.

    Attributes:
        method: The HTTP method, upper case.
        url: The normalized URL the client asked for, with its real scheme and
            host (``https://api.example.com/...`` when intercepted).
        captured_body: The raw body, or ``None`` when the request had none.
        kwargs: ``headers`` (the raw request headers, a case-insensitive
            multidict), ``query`` (``dict`` of name -> list of values, so
            duplicate keys survive), ``json`` (the decoded body, or ``None``)
            and ``data`` (the raw body, or ``None``).
        request: The ``aiohttp.web.BaseRequest`` the server received.
    """

    __slots__ = ("captured_body", "kwargs", "method", "request", "url")

    def __init__(
        self,
        method: str,
        url: URL,
        captured_body: bytes | None,
        kwargs: RequestKwargs,
        request: web.BaseRequest,
    ) -> None:
        self.method = method
        self.url = url
        self.captured_body = captured_body
        self.kwargs = kwargs
        self.request = request

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        """The raw request headers."""
        return self.kwargs["headers"]

    @property
    def args(self) -> tuple[()]:
        """Positional call arguments: always empty (aioresponses compatibility)."""
        return ()

    def __repr__(self) -> str:
        return f"<AiointerceptRequest {self.method} {self.url}>"


def _decode_json(body: bytes) -> Any:
    if not body:
        return None
    try:
        return jsonlib.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


def _local_authority(request: web.BaseRequest) -> str:
    """The server's own address, for a request without a ``Host`` header."""
    transport = request.transport
    sockname = transport.get_extra_info("sockname") if transport else None
    if not sockname:
        return "127.0.0.1"
    return f"{sockname[0]}:{sockname[1]}"


async def capture(request: web.BaseRequest) -> AiointerceptRequest:
    """Read the body and build the record of ``request``.

    The URL is the one the client asked for: the scheme comes from the
    connection (TLS or not) and the host from the ``Host`` header, so an
    intercepted ``https://api.example.com/x`` is recorded under that URL.
    """
    body: bytes | None = None
    if request.body_exists:
        body = await request.read()
    query = request.query
    kwargs: RequestKwargs = {
        "headers": request.headers,
        "query": {key: query.getall(key) for key in query} if query else {},
        "json": _decode_json(body) if body else None,
        "data": body,
    }
    rel = request.rel_url
    url = URL.build(
        scheme=request.scheme,
        authority=request.headers.get(hdrs.HOST) or _local_authority(request),
        path=rel.raw_path,
        query_string=rel.raw_query_string,
        encoded=True,
    )
    return AiointerceptRequest(
        request.method.upper(), normalize_url(url), body, kwargs, request
    )
