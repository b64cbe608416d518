"""A real urllib3 ``HTTPResponse`` over a replayed ``HttpResponse``.

Shared by the urllib3 and requests adapters (requests reads urllib3
responses); it patches nothing.
"""

from __future__ import annotations

import http.client
import io
from typing import Any, Final

from urllib3.connectionpool import HTTPConnectionPool
from urllib3.response import HTTPResponse

from interposition.http._mapping import HttpResponse

__all__ = [
    "build_urllib3_response",
    "http_response_from_urllib3",
    "urllib3_response_args",
]

_VERSIONS: Final = {"HTTP/1.0": 10, "HTTP/1.1": 11, "HTTP/2": 20, "HTTP/2.0": 20}


class _CookieSource:
    """Enough of http.client.HTTPResponse for ``requests`` to read cookies."""

    def __init__(self, headers: tuple[tuple[str, str], ...], method: str) -> None:
        self.msg = http.client.HTTPMessage()
        for name, value in headers:
            self.msg[name] = value
        self._method = method

    def isclosed(self) -> bool:
        return True

    def close(self) -> None:
        """Nothing to close: the body is in memory."""


def build_urllib3_response(
    response: HttpResponse,
    *,
    method: str,
    url: str,
    pool: HTTPConnectionPool | None = None,
    connection: Any = None,
    retries: Any = None,
    preload_content: bool = True,
    decode_content: bool = True,
    enforce_content_length: bool = True,
) -> HTTPResponse:
    """A real urllib3 HTTPResponse over an HttpResponse's body."""
    return HTTPResponse(
        **urllib3_response_args(
            response,
            method=method,
            url=url,
            pool=pool,
            connection=connection,
            retries=retries,
            preload_content=preload_content,
            decode_content=decode_content,
            enforce_content_length=enforce_content_length,
        )
    )


def urllib3_response_args(
    response: HttpResponse,
    *,
    method: str,
    url: str,
    pool: HTTPConnectionPool | None = None,
    connection: Any = None,
    retries: Any = None,
    preload_content: bool = True,
    decode_content: bool = True,
    enforce_content_length: bool = True,
) -> dict[str, Any]:
    """The keyword arguments of a urllib3 HTTPResponse over a replayed body."""
    headers = response.headers
    cookie_source: Any = None
    for name, _ in headers:
        if name.lower() == "set-cookie":
            cookie_source = _CookieSource(headers, method)
            break
    version = response.http_version
    return {
        "body": io.BytesIO(response.body),
        "headers": list(headers),
        "status": response.status,
        "version": _VERSIONS.get(version, 11),
        "version_string": version,
        "reason": response.reason,
        "preload_content": preload_content,
        "decode_content": decode_content,
        "original_response": cookie_source,
        "pool": pool,
        "connection": connection,
        "retries": retries,
        "enforce_content_length": enforce_content_length,
        "request_method": method,
        "request_url": url,
    }


def http_response_from_urllib3(wire: Any) -> HttpResponse:
    """Read a live urllib3 response whole, as received (still content-encoded)."""
    return HttpResponse(
        status=wire.status,
        reason=wire.reason or "",
        headers=tuple(wire.headers.items()),
        body=wire.read(decode_content=False),
        http_version=getattr(wire, "version_string", "HTTP/1.1"),
    )
