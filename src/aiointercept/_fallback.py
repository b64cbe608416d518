"""What happens to a request that no registered response matches.

The mock resolves every unmatched request in one place
(``aiointercept._resolve_unmatched``): it asks its fallbacks in order, and the
first one that returns a response answers; when all decline, the request is a
miss (logged with the closest registered route, and the connection closed).

A fallback is any object with ``async __call__(request) -> response | None``.
:class:`UpstreamForwarder` (``passthrough_unmatched=True``) sends the request
to the real server. A record/replay fallback (serve from a cassette, or
forward and record through the interposition Broker) slots in the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from ssl import SSLContext
from typing import Protocol

import aiohttp
from aiohttp import hdrs, web
from aiohttp.abc import AbstractResolver
from multidict import CIMultiDict

from ._interception import UpstreamConnector
from ._requests import AiointerceptRequest
from ._responses import close_connection

__all__ = ["Fallback", "UpstreamForwarder"]

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


class Fallback(Protocol):
    """Answers a request no registered response matched, or declines."""

    async def __call__(self, request: AiointerceptRequest) -> web.StreamResponse | None:
        """Return a response, or ``None`` to let the next fallback try."""
        ...

    async def close(self) -> None:
        """Release resources when the mock stops."""
        ...


def _end_to_end(headers: Mapping[str, str]) -> CIMultiDict[str]:
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

    async def __call__(self, request: AiointerceptRequest) -> web.StreamResponse | None:
        """Fetch the upstream response and relay it."""
        session = self._session
        if session is None:
            connector = UpstreamConnector(ssl=self._ssl, resolver=self._resolver)
            session = self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
            )
        raw = request.request
        target = raw.url
        try:
            async with session.request(
                raw.method,
                target,
                headers=_end_to_end(raw.headers),
                data=request.captured_body,
                allow_redirects=False,
                skip_auto_headers=(hdrs.USER_AGENT, hdrs.ACCEPT, hdrs.ACCEPT_ENCODING),
            ) as upstream:
                body = await upstream.read()
                return web.Response(
                    status=upstream.status,
                    reason=upstream.reason,
                    headers=_end_to_end(upstream.headers),
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
