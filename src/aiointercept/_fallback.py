"""What happens to a request that no registered response matches.

The mock resolves every unmatched request in one place
(``aiointercept._resolve_unmatched``): it asks its fallbacks in order, and the
first one that returns a response answers; when all decline, the request is a
miss (logged with the closest registered route, and the connection closed).

A fallback is any object with
``async __call__(request) -> response | Decline | None``.
:class:`UpstreamForwarder` (``passthrough_unmatched=True``) sends the request
to the real server; the cassette fallback (``cassette=``, in ``_cassette``)
replays it, or forwards and records it through the interposition Broker. A
fallback that declines with a :class:`Decline` says why, and the reason goes
into the miss when no other fallback answers.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from ssl import SSLContext
from typing import Protocol

import aiohttp
from aiohttp import hdrs, web
from aiohttp.abc import AbstractResolver
from multidict import CIMultiDict

from ._interception import UpstreamConnector
from ._requests import AiointerceptRequest
from ._responses import close_connection

__all__ = ["Decline", "Fallback", "UpstreamForwarder", "end_to_end"]

logger = logging.getLogger("aiointercept")

_HOP_BY_HOP = frozenset(
    name.lower()
    for name in (
        hdrs.CONNECTION,
        hdrs.CONTENT_LENGTH,
        hdrs.HOST,
        hdrs.KEEP_ALIVE,
        hdrs.PROXY_AUTHENTICATE,
        hdrs.PROXY_AUTHORIZATION,
        hdrs.TE,
        hdrs.TRAILER,
        hdrs.TRANSFER_ENCODING,
        hdrs.UPGRADE,
    )
)


class Decline:
    """Why a fallback did not answer (it goes into the miss).

    Attributes:
        reason: What the fallback could not do, for the miss message.
        error: The exception that explains it (e.g. the cassette's
            ``HttpInteractionNotFoundError``), if any.
    """

    __slots__ = ("error", "reason")

    def __init__(self, reason: str, error: Exception | None = None) -> None:
        self.reason = reason
        self.error = error

    def __repr__(self) -> str:
        return f"Decline({self.reason!r})"


class Fallback(Protocol):
    """Answers a request no registered response matched, or declines."""

    async def __call__(
        self, request: AiointerceptRequest
    ) -> web.StreamResponse | Decline | None:
        """Return a response; or decline (``None`` or a reason) to let the next try."""
        ...

    async def close(self) -> None:
        """Release resources when the mock stops."""
        ...


def end_to_end(headers: Mapping[str, str]) -> CIMultiDict[str]:
    """The headers without hop-by-hop ones (and without ``Content-Length``)."""
    kept: CIMultiDict[str] = CIMultiDict()
    for name, value in headers.items():
        if name.lower() not in _HOP_BY_HOP:
            kept.add(name, value)
    return kept


class UpstreamForwarder:
    """Forward a request to the real server it was meant for.

    The scheme is the one of the intercepted connection and the authority the
    request's ``Host`` header, so ``https://api.example.com/x`` goes to
    ``https://api.example.com/x``. Bodies are relayed byte for byte: the
    response is not decompressed, and redirects are returned to the client.

    Args:
        ssl: TLS verification for the upstream: ``None``/``True`` for the
            system's default trust, ``False`` to skip it, or a context (for a
            private CA).
        resolver: An aiohttp resolver for upstream names (default: aiohttp's).
    """

    def __init__(
        self,
        ssl: SSLContext | bool | None = None,
        resolver: AbstractResolver | None = None,
    ) -> None:
        self._ssl: SSLContext | bool = True if ssl is None else ssl
        self._resolver = resolver
        self._session: aiohttp.ClientSession | None = None

    def open(
        self, request: AiointerceptRequest
    ) -> AbstractAsyncContextManager[aiohttp.ClientResponse]:
        """Send ``request`` to its real server; enter the result for the response.

        The body is not decompressed and redirects are not followed.
        """
        session = self._session
        if session is None:
            connector = UpstreamConnector(ssl=self._ssl, resolver=self._resolver)
            session = self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
            )
        raw = request.request
        return session.request(
            raw.method,
            raw.url,
            headers=end_to_end(raw.headers),
            data=request.captured_body,
            allow_redirects=False,
            skip_auto_headers=(hdrs.USER_AGENT, hdrs.ACCEPT, hdrs.ACCEPT_ENCODING),
        )

    async def __call__(self, request: AiointerceptRequest) -> web.StreamResponse | None:
        """Fetch the upstream response and relay it."""
        raw = request.request
        target = raw.url
        try:
            async with self.open(request) as upstream:
                body = await upstream.read()
                return web.Response(
                    status=upstream.status,
                    reason=upstream.reason,
                    headers=end_to_end(upstream.headers),
                    body=body,
                )
        except (aiohttp.ClientError, OSError) as exc:
            logger.warning(
                "aiointercept: passthrough to %s %s failed: %r", raw.method, target, exc
            )
            close_connection(raw)
            return web.Response(status=502)

    async def close(self) -> None:
        """Close the upstream session."""
        if self._session is not None:
            await self._session.close()
            self._session = None
