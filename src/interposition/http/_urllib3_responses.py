"""A real urllib3 ``HTTPResponse`` over a replayed ``HttpResponse``.

Shared by the urllib3 and requests adapters (requests reads urllib3
responses); it patches nothing. It works with urllib3 2.x and with
urllib3-future (the fork niquests installs under the name ``urllib3``), whose
``HTTPResponse`` takes no ``version_string`` and numbers HTTP/3 as 30.
"""

from __future__ import annotations

import http.client
import inspect
import io
from typing import Any, Final

from urllib3.connectionpool import HTTPConnectionPool
from urllib3.response import HTTPResponse

from interposition.http._mapping import VERSION_NUMBERS, VERSION_TEXTS, HttpResponse

__all__ = [
    "build_urllib3_response",
    "http_response_from_urllib3",
    "urllib3_response_args",
]


#: urllib3 2.x takes ``version_string``; urllib3-future does not.
_TAKES_VERSION_STRING: Final = (
    "version_string" in inspect.signature(HTTPResponse.__init__).parameters
)


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
    args: dict[str, Any] = {
        "body": io.BytesIO(response.body),
        "headers": list(headers),
        "status": response.status,
        "version": VERSION_NUMBERS.get(version, 11),
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
    if _TAKES_VERSION_STRING:
        args["version_string"] = version
    return args


def _version_string(wire: Any) -> str:
    named = getattr(wire, "version_string", None)
    if isinstance(named, str) and named:
        return named
    return VERSION_TEXTS.get(getattr(wire, "version", 11), "HTTP/1.1")


def http_response_from_urllib3(wire: Any) -> HttpResponse:
    """Read a live urllib3 response whole, as received (still content-encoded)."""
    return HttpResponse(
        status=wire.status,
        reason=wire.reason or "",
        headers=tuple(wire.headers.items()),
        body=wire.read(decode_content=False),
        http_version=_version_string(wire),
    )
