"""The ``httpx`` adapter, and cassette transports for ``httpx`` clients.

``use_cassette`` patches the transport seam of httpx (see
``interposition.http._httpx_family``): every transport class's
``handle_request`` / ``handle_async_request``, so every client is covered,
whatever its transport and whenever it was built. Without any global patch,
give a client a cassette transport instead::

    client = httpx.Client(transport=CassetteTransport(httpx.HTTPTransport()))

It answers from the cassette in force (``use_cassette(..., adapters=())``
activates one without patching anything), or from the ``CassetteSession``
it was given, and sends everything else through the transport it wraps.
Importing this module imports httpx.
"""

from __future__ import annotations

import httpx

from interposition.http._httpx_family import HttpxFamily
from interposition.http._session import CassetteSession, current_session

__all__ = ["PATCH", "AsyncCassetteTransport", "CassetteTransport"]

_FAMILY = HttpxFamily(httpx)


class CassetteTransport(httpx.BaseTransport):
    """A httpx transport that answers from a cassette, or through ``wrapped``.

    Args:
        wrapped: The transport that performs live requests (default: a new
            ``httpx.HTTPTransport()``).
        session: Answer from this session; default: the cassette in force
            when each request is made (none: every request goes to
            ``wrapped`` untouched).
    """

    def __init__(
        self,
        wrapped: httpx.BaseTransport | None = None,
        *,
        session: CassetteSession | None = None,
    ) -> None:
        self.wrapped: httpx.BaseTransport = (
            wrapped if wrapped is not None else httpx.HTTPTransport()
        )
        self.session = session

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer from the cassette, or send through the wrapped transport."""
        session = self.session if self.session is not None else current_session()
        response: httpx.Response = _FAMILY.handle(
            session, request, self.wrapped.handle_request
        )
        return response

    def close(self) -> None:
        """Close the wrapped transport."""
        self.wrapped.close()


class AsyncCassetteTransport(httpx.AsyncBaseTransport):
    """The asyncio form of ``CassetteTransport`` (default: ``AsyncHTTPTransport``)."""

    def __init__(
        self,
        wrapped: httpx.AsyncBaseTransport | None = None,
        *,
        session: CassetteSession | None = None,
    ) -> None:
        self.wrapped: httpx.AsyncBaseTransport = (
            wrapped if wrapped is not None else httpx.AsyncHTTPTransport()
        )
        self.session = session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer from the cassette, or send through the wrapped transport."""
        session = self.session if self.session is not None else current_session()
        response: httpx.Response = await _FAMILY.handle_async(
            session, request, self.wrapped.handle_async_request
        )
        return response

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        await self.wrapped.aclose()


#: The httpx patch (see interposition.http._patching).
PATCH = _FAMILY.patch((CassetteTransport, AsyncCassetteTransport))
