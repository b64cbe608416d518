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


class AiointerceptRequest(web.Request):
    """One request received by the mock, as stored in ``m.requests``.

    The very ``aiohttp.web.Request`` the server received (a subclass of it,
    made by the server's request factory), so a callback can use everything
    aiohttp offers, plus what the mock captured before answering:

    Attributes:
        url: The normalized URL the client asked for, with its real scheme and
            host (``https://api.example.com/...`` when intercepted); also
            ``canonical_url``. aiohttp's own view of the URL (the loopback
            server's) is ``rel_url`` joined to ``host``.
        captured_body: The raw body, or ``None`` when the request had none.
        kwargs: ``headers`` (the raw request headers, a case-insensitive
            multidict), ``query`` (``dict`` of name -> list of values, so
            duplicate keys survive), ``json`` (the decoded body, or ``None``)
            and ``data`` (the raw body, or ``None``).
        method: The HTTP method, upper case.
        request: The request itself (kept for code written against earlier
            releases, where it was a separate object).
    """

    ATTRS = web.Request.ATTRS | frozenset(
        ["captured_body", "kwargs", "canonical_url", "_upper_method"]
    )

    captured_body: bytes | None
    kwargs: RequestKwargs
    canonical_url: URL
    _upper_method: str

    @property
    def url(self) -> URL:
        """The normalized URL the client asked for."""
        return self.canonical_url

    @property
    def method(self) -> str:
        """The HTTP method, upper case."""
        return self._upper_method

    @property
    def request(self) -> AiointerceptRequest:
        """This request (it is the ``aiohttp.web.Request``)."""
        return self

    @property
    def args(self) -> tuple[()]:
        """Positional call arguments: always empty (aioresponses compatibility)."""
        return ()

    def __repr__(self) -> str:
        return f"<AiointerceptRequest {self._upper_method} {self.canonical_url}>"


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


async def capture(request: AiointerceptRequest) -> AiointerceptRequest:
    """Read the body and fill in the record of ``request``.

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
    request.captured_body = body
    request.kwargs = kwargs
    request.canonical_url = normalize_url(url)
    request._upper_method = request._method.upper()
    return request
