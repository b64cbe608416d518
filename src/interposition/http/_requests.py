"""The ``requests`` adapter, at its transport seam.

``requests`` sends every request through one public method of its transport
adapter, ``HTTPAdapter.send(request, **kwargs) -> Response``; the session
above it keeps its own redirects, hooks and cookies. Wrapping that method at
the class level records and replays requests' traffic without going down
through urllib3's connection pool on replay. The replayed ``Response`` is
built by the adapter's own ``build_response`` over a real
``urllib3.HTTPResponse``, so ``stream=True``, ``iter_content``, ``raw``
and content decoding behave as on the wire. Live requests go through the
original method, inside ``passthrough()``, so the urllib3 adapter below does
not record them a second time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Final

from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from urllib3.response import HTTPResponse

from interposition.http._mapping import (
    HttpRequest,
    HttpResponse,
    body_bytes,
    header_pairs,
)
from interposition.http._patching import Patch, PatchTarget
from interposition.http._session import current_session, passthrough
from interposition.http._urllib3_responses import (
    build_urllib3_response,
    http_response_from_urllib3,
    urllib3_response_args,
)

__all__ = ["PATCH"]

_Send = Callable[..., Response]


_LAZY_INIT: Final = threading.RLock()


class _LazyRaw(HTTPResponse):
    """A urllib3 response over a replayed body, initialized on first use.

    After ``stream=False`` the body is already in ``Response.content`` and
    most callers never touch ``raw``; building a urllib3 response is the
    largest cost of a replay, so it is deferred until an attribute of the
    instance is first needed. ``_original_response`` is None until then,
    which is what requests' cookie extraction reads (responses with
    Set-Cookie never take this path).
    """

    _original_response = None

    def __init__(self, build: Callable[[], dict[str, Any]]) -> None:
        self.__dict__["_lazy_build"] = build

    @property
    def closed(self) -> bool:
        """True while never used (so finalization does not build it)."""
        if "_lazy_build" in self.__dict__:
            return True
        return bool(HTTPResponse.closed.__get__(self))

    def __getattr__(self, name: str) -> Any:
        # Only called for attributes the instance does not have (yet).
        with _LAZY_INIT:
            build = self.__dict__.pop("_lazy_build", None)
            if build is not None:
                HTTPResponse.__init__(self, **build())
        if build is None:
            # Built meanwhile by another thread, or a genuine miss.
            if name in self.__dict__:
                return self.__dict__[name]
            raise AttributeError(name)
        return getattr(self, name)


def _preread_headers(answer: HttpResponse) -> CaseInsensitiveDict[str] | None:
    """The headers as requests shows them, when the body can be preset.

    Repeated names are joined by ", ", as requests does. None when requests
    would have more to do than read the body: decode it (Content-Encoding)
    or take cookies from it (Set-Cookie).
    """
    joined: dict[str, tuple[str, str]] = {}
    for name, value in answer.headers:
        lowered = name.lower()
        if lowered == "set-cookie" or (
            lowered == "content-encoding"
            and value.strip().lower() not in ("", "identity")
        ):
            return None
        previous = joined.get(lowered)
        joined[lowered] = (
            (name, value)
            if previous is None
            else (previous[0], f"{previous[1]}, {value}")
        )
    headers: CaseInsensitiveDict[str] = CaseInsensitiveDict()
    for name, value in joined.values():
        headers[name] = value
    return headers


def _patched_send(original: _Send) -> _Send:
    def send(
        self: HTTPAdapter, request: PreparedRequest, *args: Any, **kwargs: Any
    ) -> Response:
        session = current_session()
        url = request.url or ""
        if session is None:
            return original(self, request, *args, **kwargs)
        if not session.handles(url):
            with passthrough():
                return original(self, request, *args, **kwargs)
        body = request.body
        data = body if isinstance(body, bytes) else body_bytes(body)
        if body is not None and not isinstance(body, (bytes, str)):
            request.body = data  # a consumed stream or file is sent as bytes
        method = (request.method or "GET").upper()
        http_request = HttpRequest(
            method, url, header_pairs(request.headers.items()), data
        )

        def live(_: HttpRequest) -> HttpResponse:
            response = original(self, request, *args, **kwargs)
            try:
                return http_response_from_urllib3(response.raw)
            finally:
                response.close()

        answer = session.handle(http_request, live)
        headers = None if kwargs.get("stream") else _preread_headers(answer)
        if headers is None:
            raw = build_urllib3_response(
                answer,
                method=method,
                url=url,
                preload_content=False,
                decode_content=False,
            )
            return self.build_response(request, raw)

        def raw_args() -> dict[str, Any]:
            return urllib3_response_args(
                answer,
                method=method,
                url=url,
                preload_content=False,
                decode_content=False,
            )

        # What build_response and a stream=False read would produce, without
        # going through urllib3 for a body that needs no decoding.
        response = Response()
        response.raw = _LazyRaw(raw_args)
        response.status_code = answer.status
        response.headers = headers
        response.encoding = get_encoding_from_headers(headers)
        response.reason = answer.reason
        response.url = url
        response.request = request
        response.connection = self
        response._content = answer.body
        response._content_consumed = True  # type: ignore[attr-defined]
        return response

    send.__wrapped__ = original  # type: ignore[attr-defined]
    return send


def _targets() -> list[PatchTarget]:
    return [(HTTPAdapter, "send", _patched_send)]


#: The requests patch (see interposition.http._patching).
PATCH = Patch("requests", _targets)
