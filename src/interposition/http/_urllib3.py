"""The ``urllib3`` 2.x adapter (and so ``requests``).

It replaces ``HTTPConnectionPool._make_request``, the one method through
which urllib3 sends a request on a pooled connection and gets a response
back: retries, redirects, connection release and response decoding stay
urllib3's own, above it. A replayed response is a real
``urllib3.HTTPResponse`` over the recorded body, so ``read(n)``,
``stream()``, ``decode_content`` and ``requests``' ``stream=True`` /
``iter_content`` behave as on the wire. A live request calls the original
method and reads the raw (still content-encoded) body.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from urllib3.connectionpool import HTTPConnectionPool
from urllib3.response import BaseHTTPResponse

from interposition.http._mapping import (
    HttpRequest,
    HttpResponse,
    body_bytes,
    build_url,
    header_pairs,
)
from interposition.http._patching import Patch, PatchTarget
from interposition.http._session import current_session, passthrough
from interposition.http._urllib3_responses import (
    build_urllib3_response,
    http_response_from_urllib3,
)

__all__ = ["PATCH"]

_MakeRequest = Callable[..., BaseHTTPResponse]


def _header_pairs(headers: Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
    if not headers:
        return ()
    return header_pairs(headers.items())


def _patched_make_request(original: _MakeRequest) -> _MakeRequest:
    def _make_request(  # noqa: PLR0917 - mirrors urllib3's signature
        self: HTTPConnectionPool,
        conn: Any,
        method: str,
        url: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        retries: Any = None,
        *args: Any,
        **kwargs: Any,
    ) -> BaseHTTPResponse:
        session = current_session()
        if session is None:
            return original(
                self, conn, method, url, body, headers, retries, *args, **kwargs
            )
        full_url = build_url(self.scheme, self.host, self.port, url)
        if not session.handles(full_url):
            with passthrough():
                return original(
                    self, conn, method, url, body, headers, retries, *args, **kwargs
                )
        data = body_bytes(body)
        request = HttpRequest(
            method.upper(),
            full_url,
            _header_pairs(headers if headers is not None else self.headers),
            data,
        )
        response_conn = kwargs.get("response_conn")

        def live(_: HttpRequest) -> HttpResponse:
            live_kwargs = dict(kwargs, preload_content=False, decode_content=False)
            wire = original(
                self, conn, method, url, data, headers, retries, *args, **live_kwargs
            )
            try:
                return http_response_from_urllib3(wire)
            finally:
                wire.release_conn()

        recorded_before = True

        def tracked_live(request: HttpRequest) -> HttpResponse:
            nonlocal recorded_before
            recorded_before = False
            return live(request)

        answer = session.handle(request, tracked_live)
        return build_urllib3_response(
            answer,
            method=method,
            url=url,
            pool=self,
            # After a live request the wire response released the connection.
            connection=response_conn if recorded_before else None,
            retries=retries,
            preload_content=kwargs.get("preload_content", True),
            decode_content=kwargs.get("decode_content", True),
            enforce_content_length=kwargs.get("enforce_content_length", True),
        )

    _make_request.__wrapped__ = original  # type: ignore[attr-defined]
    return _make_request


def _targets() -> list[PatchTarget]:
    return [(HTTPConnectionPool, "_make_request", _patched_make_request)]


#: The urllib3 patch (see interposition.http._patching).
PATCH = Patch("urllib3", _targets)
