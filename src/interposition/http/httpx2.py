"""The ``httpx2`` adapter, and cassette transports for ``httpx2`` clients.

``use_cassette`` patches the transport seam of httpx2 (see
``interposition.http._httpx_family``): every transport class's
``handle_request`` / ``handle_async_request``, so every client is covered,
whatever its transport and whenever it was built. Without any global patch,
give a client a cassette transport instead::

    client = httpx2.Client(transport=CassetteTransport(httpx2.HTTPTransport()))

It answers from the cassette in force (``use_cassette(..., adapters=())``
activates one without patching anything), or from the ``CassetteSession``
it was given, and sends everything else through the transport it wraps.
Importing this module imports httpx2.
"""

from __future__ import annotations

import httpx2

from interposition.http._httpx_family import HttpxFamily
from interposition.http._session import CassetteSession, current_session

__all__ = ["PATCH", "AsyncCassetteTransport", "CassetteTransport"]

_FAMILY = HttpxFamily(httpx2)


class CassetteTransport(httpx2.BaseTransport):
    """A httpx2 transport that answers from a cassette, or through ``wrapped``.

    Args:
        wrapped: The transport that performs live requests (default: a new
            ``httpx2.HTTPTransport()``).
        session: Answer from this session; default: the cassette in force
            when each request is made (none: every request goes to
            ``wrapped`` untouched).
    """

    def __init__(
        self,
        wrapped: httpx2.BaseTransport | None = None,
        *,
        session: CassetteSession | None = None,
    ) -> None:
        self.wrapped: httpx2.BaseTransport = (
            wrapped if wrapped is not None else httpx2.HTTPTransport()
        )
        self.session = session

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        """Answer from the cassette, or send through the wrapped transport."""
        session = self.session if self.session is not None else current_session()
        response: httpx2.Response = _FAMILY.handle(
            session, request, self.wrapped.handle_request
        )
        return response

    def close(self) -> None:
        """Close the wrapped transport."""
        self.wrapped.close()


class AsyncCassetteTransport(httpx2.AsyncBaseTransport):
    """The asyncio form of ``CassetteTransport`` (default: ``AsyncHTTPTransport``)."""

    def __init__(
        self,
        wrapped: httpx2.AsyncBaseTransport | None = None,
        *,
        session: CassetteSession | None = None,
    ) -> None:
        self.wrapped: httpx2.AsyncBaseTransport = (
            wrapped if wrapped is not None else httpx2.AsyncHTTPTransport()
        )
        self.session = session

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        """Answer from the cassette, or send through the wrapped transport."""
        session = self.session if self.session is not None else current_session()
        response: httpx2.Response = await _FAMILY.handle_async(
            session, request, self.wrapped.handle_async_request
        )
        return response

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        await self.wrapped.aclose()


#: The httpx2 patch (see interposition.http._patching).
PATCH = _FAMILY.patch((CassetteTransport, AsyncCassetteTransport))
